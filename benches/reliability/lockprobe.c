/* lockprobe: observe POSIX fcntl record locks on a file from outside.
 *
 *   lockprobe probe FILE [HOLDS_OUT]
 *       Polls fcntl(F_GETLK, F_WRLCK, whole file) in a tight loop (one core)
 *       and reports, as one "key=value ..." line on stdout, how much of the
 *       measuring window some other process held a lock on FILE, and how
 *       long each hold lasted.  The window opens on SIGUSR1 (send it only
 *       after "lockprobe: ready" appears on stderr) and closes on
 *       SIGTERM/SIGINT, which ends the probe.  A hold begins when a sample
 *       sees a lock after a free sample (or a different holder pid) and ends
 *       at the next free sample; both ends are placed midway between the two
 *       samples that bracket the transition, so a hold is off by at most one
 *       sampling interval (~1 us).
 *       When the probe is descheduled, the gap between two samples exceeds
 *       LOCKPROBE_GAP_US (default 50): that stretch counts as unknown, so
 *       share = held / known time from the first hold's start to the last
 *       hold's end (share_window: over the whole window; known_share =
 *       known / window), and a hold whose start or end falls in such a gap
 *       is dropped (dropped_holds); holds entirely inside one are not seen.  On a busy machine run
 *       the probe with `chrt -f 1` so it keeps its core.  It exits after
 *       LOCKPROBE_MAX_S (default 900) s or when its parent dies.  HOLDS_OUT,
 *       if given, receives one hold length (ns) per line.
 *
 *   lockprobe hold FILE HOLD_US GAP_US N
 *       Validation: N times fork a child that takes F_SETLK F_WRLCK on FILE,
 *       busy-waits HOLD_US and closes; the parent reaps it and busy-waits
 *       GAP_US.  Prints the holds really made (from just before F_SETLK to
 *       just before close) and their share of the run, to compare with the
 *       probe.
 *
 * Build: gcc -O2 -o lockprobe lockprobe.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile sig_atomic_t started, stop;
static void on_start(int s) { (void)s; started = 1; }
static void on_stop(int s) { (void)s; stop = 1; }

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct { int64_t *v; size_t n, cap; } vec;
static void push(vec *a, int64_t x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (!a->v) { perror("realloc"); exit(2); }
    }
    a->v[a->n++] = x;
}
static double pct(vec *a, double p) { /* nearest-rank, a sorted */
    if (!a->n) return 0;
    size_t i = (size_t)(p / 100.0 * a->n + 0.999999);
    if (i < 1) i = 1;
    if (i > a->n) i = a->n;
    return a->v[i - 1] / 1000.0;
}
static void summary(vec *a, const char *pre) {
    double sum = 0;
    for (size_t i = 0; i < a->n; i++) sum += a->v[i];
    qsort(a->v, a->n, sizeof *a->v, cmp64);
    printf("%sn=%zu %smean_us=%.1f %smedian_us=%.1f %sp99_us=%.1f %smax_us=%.1f %ssum_ms=%.3f",
           pre, a->n, pre, a->n ? sum / a->n / 1000.0 : 0, pre, pct(a, 50), pre,
           pct(a, 99), pre, pct(a, 100), pre, sum / 1e6);
}

static int probe(const char *file, const char *holds_out) {
    int fd = open(file, O_RDONLY);
    if (fd < 0) { perror(file); return 2; }
    const char *g = getenv("LOCKPROBE_GAP_US");
    int64_t limit = (g ? atol(g) : 50) * 1000; /* longer sampling gaps: state unknown */
    struct sigaction sa = {0};
    sa.sa_handler = on_start; sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_stop; sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the script that started us */
    const char *m = getenv("LOCKPROBE_MAX_S");
    int64_t max_ns = (m ? atol(m) : 900) * 1000000000LL;
    fprintf(stderr, "lockprobe: ready\n");
    while (!started && !stop) usleep(1000); /* the window opens on SIGUSR1 */
    vec holds = {0};
    uint64_t samples = 0, held_samples = 0, wr = 0, rd = 0, errs = 0, long_gaps = 0, dropped = 0;
    int64_t gap_max = 0, held_ns = 0, known_ns = 0;
    int64_t k0 = -1, h0 = 0, k1 = 0, h1 = 0; /* counters at the first hold's start, last hold's end */
    int64_t start = now_ns(), prev_t = start, hold_start = 0;
    pid_t prev_pid = 0; /* 0: free, -1: OFD lock (no pid) */
    int hold_ok = 0;    /* current hold's start was seen within the gap limit */
    while (!stop) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        int64_t t = now_ns();
        if (t - start > max_ns) break;
        if (fcntl(fd, F_GETLK, &fl) < 0) { errs++; continue; }
        pid_t pid = fl.l_type == F_UNLCK ? 0 : (fl.l_pid ? fl.l_pid : -1);
        int64_t dt = t - prev_t;
        int first = samples++ == 0;
        if (pid) {
            held_samples++;
            if (fl.l_type == F_WRLCK) wr++; else rd++;
        }
        if (!first) {
            if (dt > gap_max) gap_max = dt;
            if (dt <= limit) { /* interval state known (a transition splits it in half) */
                known_ns += dt;
                held_ns += (prev_pid ? dt : 0) + (pid ? dt : 0);
            } else long_gaps++;
        }
        if (pid != prev_pid) {
            int64_t mid = prev_t + dt / 2;
            int sharp = !first && dt <= limit;
            if (prev_pid) {
                if (hold_ok && sharp) push(&holds, mid - hold_start);
                else dropped++;
            }
            hold_start = mid;
            hold_ok = sharp;
            if (pid && !prev_pid && k0 < 0) { k0 = known_ns; h0 = held_ns; }
            if (!pid && k0 >= 0) { k1 = known_ns; h1 = held_ns; }
        }
        prev_pid = pid;
        prev_t = t;
    }
    double win = (double)(now_ns() - start);
    printf("window_s=%.3f samples=%llu gap_mean_ns=%.0f gap_max_ns=%lld gaps_over_limit=%llu "
           "known_share=%.4f share=%.4f share_window=%.4f share_samples=%.4f wr_samples=%llu "
           "rd_samples=%llu errors=%llu dropped_holds=%llu ",
           win / 1e9, (unsigned long long)samples, samples ? win / samples : 0,
           (long long)gap_max, (unsigned long long)long_gaps, known_ns / win,
           k1 > k0 ? (h1 - h0) / 2.0 / (k1 - k0) : 0, known_ns ? held_ns / 2.0 / known_ns : 0,
           samples ? (double)held_samples / samples : 0, (unsigned long long)wr,
           (unsigned long long)rd, (unsigned long long)errs, (unsigned long long)dropped);
    if (holds_out) {
        FILE *f = fopen(holds_out, "w");
        if (f) { for (size_t i = 0; i < holds.n; i++) fprintf(f, "%lld\n", (long long)holds.v[i]); fclose(f); }
    }
    summary(&holds, "hold_");
    printf("\n");
    return 0;
}

static int hold(const char *file, long hold_us, long gap_us, long n) {
    /* one child process per hold, like one tool process per update */
    int64_t *truth = mmap(NULL, 3 * n * sizeof(int64_t), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0); /* lengths, starts, ends */
    if (truth == MAP_FAILED) { perror("mmap"); return 2; }
    for (long i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) { perror("fork"); return 2; }
        if (c == 0) {
            int fd = open(file, O_RDWR);
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            if (fd < 0) { perror(file); _exit(2); }
            /* the lock is held from inside F_SETLK to inside close: count from
             * just before the one to just before the other, so that being
             * preempted on the way out of F_SETLK counts and on the way out
             * of close does not */
            int64_t a = now_ns();
            if (fcntl(fd, F_SETLK, &fl) < 0) { perror("lock"); _exit(2); }
            while (now_ns() - a < hold_us * 1000) {}
            int64_t b = now_ns();
            close(fd);
            truth[i] = b - a; truth[n + i] = a; truth[2 * n + i] = b;
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) return 2;
        int64_t b = now_ns();
        while (now_ns() - b < gap_us * 1000) {}
    }
    int64_t total = truth[3 * n - 1] - truth[n]; /* first hold's start to last hold's end */
    vec holds = {truth, n, n};
    double sum = 0;
    for (long i = 0; i < n; i++) sum += truth[i];
    printf("wall_ms=%.3f true_share=%.4f ", total / 1e6, sum / total);
    summary(&holds, "true_");
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "probe")) return probe(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc == 6 && !strcmp(argv[1], "hold"))
        return hold(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
    fprintf(stderr, "usage: lockprobe probe FILE [HOLDS_OUT] | lockprobe hold FILE HOLD_US GAP_US N\n");
    return 2;
}
