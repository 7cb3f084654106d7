/*
 * librrd-bench: the workloads of `rrd-bench` (benches/src/main.rs) run
 * against C librrd 1.7.2, for side-by-side comparison (benches/compare.sh).
 * Every run prints what it did, then the rate as a bare number on its last
 * line.
 *
 *   librrd-bench update --mode one|batch --n N FILE
 *       create FILE with workload W, then updates 1..=N through
 *       rrd_update_r: one "t:v" argument per call (`one`, alias `reopen`:
 *       librrd opens and closes the file on every call), or 1000 per call
 *       (`batch`); prints updates/s
 *   librrd-bench fetch --n N FILE
 *       rrd_fetch_r(FILE, AVERAGE, start 1000000000, end 1000086400,
 *       step 1) N times; FILE is prepared with W and 86400 updates when it
 *       does not exist; prints fetches/s
 *   librrd-bench xport --n N -- ARGS...
 *       rrd_xport with `xport ARGS...` (rrdtool's xport command line) N
 *       times, its XML going to /dev/null; prints milliseconds per xport
 *   librrd-bench graph --n N -- OUT ARGS...
 *       rrd_graph_v with `graph OUT ARGS...` (rrdtool's graph command line)
 *       N times; prints milliseconds per graph
 *   librrd-bench shape --n N FILE -- DEFS...
 *       create FILE from DS:/RRA: definitions (step 1, start 1000000000),
 *       then N updates 1000 per rrd_update_r call, data source k of update
 *       i getting (i + k) % 100; prints updates/s (benches/curves.sh)
 *   librrd-bench window --rows K --n N FILE
 *       rrd_fetch_r(FILE, AVERAGE, LAST-K, LAST, step 1) N times on a file
 *       of `rrd-bench big`; prints fetches/s
 *   librrd-bench collectd --files F --rounds R DIR
 *       create F files (W's definitions, step 10) in DIR, sync, then R rounds of
 *       one rrd_update_r per file (collectd's rrdtool plugin does just
 *       this); prints updates/s
 *
 * Workload W: create --start 1000000000 --step 1 DS:v:GAUGE:120:U:U
 * RRA:AVERAGE:0.5:1:3600 RRA:AVERAGE:0.5:60:1440 RRA:MIN:0.5:60:1440
 * RRA:MAX:0.5:60:1440; update i (from 1) at 1000000000+i with value i%100.
 */
#define _DEFAULT_SOURCE /* sync() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#define W_START 1000000000L
#define DAY 86400L
#define BATCH 1000
#define COLLECTD_STEP 10

static const char *W_DEFS[] = {
    "DS:v:GAUGE:120:U:U",     "RRA:AVERAGE:0.5:1:3600", "RRA:AVERAGE:0.5:60:1440",
    "RRA:MIN:0.5:60:1440",    "RRA:MAX:0.5:60:1440",
};
#define W_NDEFS ((int)(sizeof W_DEFS / sizeof W_DEFS[0]))

static const char *USAGE =
    "usage:\n"
    "  librrd-bench update --mode one|reopen|batch --n N FILE\n"
    "  librrd-bench fetch --n N FILE\n"
    "  librrd-bench xport --n N -- ARGS...\n"
    "  librrd-bench graph --n N -- OUT ARGS...\n"
    "  librrd-bench collectd --files F --rounds R DIR\n";

static void usage(const char *msg) {
    fprintf(stderr, "librrd-bench: %s\n%s", msg, USAGE);
    exit(1);
}

static void die_rrd(const char *what, const char *path) {
    fprintf(stderr, "librrd-bench: %s %s: %s\n", what, path, rrd_get_error());
    exit(1);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void create_with_step(const char *path, unsigned long step) {
    unlink(path);
    rrd_clear_error();
    if (rrd_create_r(path, step, (time_t)W_START, W_NDEFS, W_DEFS) != 0)
        die_rrd("creating", path);
}

/* Updates first..first+n-1 of W, `per_call` "t:v" arguments per call. */
static void update_w(const char *path, long first, long n, int per_call) {
    static char bufs[BATCH][40];
    static const char *argv[BATCH];
    long end = first + n;
    for (long i = first; i < end;) {
        int k = 0;
        for (; k < per_call && i < end; k++, i++) {
            snprintf(bufs[k], sizeof bufs[k], "%ld:%ld", W_START + i, i % 100);
            argv[k] = bufs[k];
        }
        if (rrd_update_r(path, NULL, k, argv) != 0)
            die_rrd("updating", path);
    }
}

/* The value of `--NAME` in argv (either `--NAME V` or `--NAME=V`), and the
 * one positional argument left in *pos. */
struct opts {
    const char *names[4];
    const char *values[4];
    int count;
    const char *pos;
};

static void parse_opts(int argc, char **argv, struct opts *o) {
    o->pos = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) == 0) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const char *value;
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                usage("an option needs a value");
            int found = 0;
            for (int j = 0; j < o->count; j++) {
                if (strlen(o->names[j]) == len && strncmp(o->names[j], name, len) == 0) {
                    o->values[j] = value;
                    found = 1;
                }
            }
            if (!found)
                usage("unknown option");
        } else if (o->pos == NULL) {
            o->pos = a;
        } else {
            usage("one path expected");
        }
    }
    if (o->pos == NULL)
        usage("a path is required");
}

static long count_opt(const struct opts *o, int j) {
    if (o->values[j] == NULL)
        usage("a count option is missing");
    char *end;
    errno = 0;
    long v = strtol(o->values[j], &end, 10);
    if (errno || *end || v <= 0)
        usage("a count wants a positive integer");
    return v;
}

static int cmd_update(int argc, char **argv) {
    struct opts o = {{"mode", "n"}, {NULL, NULL}, 2, NULL};
    parse_opts(argc, argv, &o);
    if (o.values[0] == NULL)
        usage("--mode is required");
    int per_call;
    if (strcmp(o.values[0], "one") == 0 || strcmp(o.values[0], "reopen") == 0)
        per_call = 1;
    else if (strcmp(o.values[0], "batch") == 0)
        per_call = BATCH;
    else
        usage("--mode wants one, reopen or batch");
    long n = count_opt(&o, 1);
    create_with_step(o.pos, 1);
    double t0 = now_s();
    update_w(o.pos, 1, n, per_call);
    double secs = now_s() - t0;
    printf("librrd update, %d per rrd_update_r call: %ld updates in %.4f s\n", per_call, n, secs);
    printf("%.0f\n", (double)n / secs);
    return 0;
}


static long fetch_window(const char *path, time_t last, long rows) {
    time_t start = last - rows, end = last;
    unsigned long step = 1, ds_cnt = 0;
    char **ds_namv = NULL;
    rrd_value_t *data = NULL;
    if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &ds_cnt, &ds_namv, &data) != 0)
        die_rrd("fetching from", path);
    for (unsigned long i = 0; i < ds_cnt; i++)
        free(ds_namv[i]);
    free(ds_namv);
    free(data);
    return (long)((end - start) / (long)step);
}

/* The day of workload W: AVERAGE from 1000000000 to 1000086400. */
static long fetch_day(const char *path) { return fetch_window(path, W_START + DAY, DAY); }

static int cmd_fetch(int argc, char **argv) {
    struct opts o = {{"n"}, {NULL}, 1, NULL};
    parse_opts(argc, argv, &o);
    long n = count_opt(&o, 0);
    if (access(o.pos, F_OK) != 0) {
        create_with_step(o.pos, 1);
        update_w(o.pos, 1, DAY, BATCH);
        printf("prepared %s with workload W, %ld updates\n", o.pos, DAY);
    }
    long rows = fetch_day(o.pos);
    if (rows != 1441) {
        fprintf(stderr, "librrd-bench: %s: the day's fetch gave %ld rows, not 1441\n", o.pos, rows);
        return 1;
    }
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        fetch_day(o.pos);
    double secs = now_s() - t0;
    printf("librrd fetch AVERAGE -s %ld -e %ld: %ld fetches of %ld rows in %.4f s\n", W_START,
           W_START + DAY, n, rows, secs);
    printf("%.0f\n", (double)n / secs);
    return 0;
}

static int cmd_collectd(int argc, char **argv) {
    struct opts o = {{"files", "rounds"}, {NULL, NULL}, 2, NULL};
    parse_opts(argc, argv, &o);
    long files = count_opt(&o, 0), rounds = count_opt(&o, 1);
    if (mkdir(o.pos, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "librrd-bench: creating %s: %s\n", o.pos, strerror(errno));
        return 1;
    }
    size_t plen = strlen(o.pos) + 32;
    char *path = malloc(plen);
    if (path == NULL)
        return 1;
    for (long k = 0; k < files; k++) {
        snprintf(path, plen, "%s/f%05ld.rrd", o.pos, k);
        create_with_step(path, COLLECTD_STEP);
    }
    /* as rrd-bench: the rounds start on clean pages */
    sync();
    char buf[40];
    const char *args[1] = {buf};
    double t0 = now_s();
    for (long r = 1; r <= rounds; r++) {
        for (long k = 0; k < files; k++) {
            snprintf(path, plen, "%s/f%05ld.rrd", o.pos, k);
            snprintf(buf, sizeof buf, "%ld:%ld", W_START + r * COLLECTD_STEP, (r + k) % 100);
            if (rrd_update_r(path, NULL, 1, args) != 0)
                die_rrd("updating", path);
        }
    }
    double secs = now_s() - t0;
    long n = files * rounds;
    printf("librrd collectd: %ld files x %ld rounds = %ld updates in %.4f s\n", files, rounds, n,
           secs);
    printf("%.0f\n", (double)n / secs);
    free(path);
    return 0;
}

/* One rrd_xport of `xport ARGS` (a fresh argv: optparse permutes it), its
 * output going to the current stdout. */
static void xport_once(int nargs, char **args) {
    char **argv = malloc(sizeof(char *) * (size_t)(nargs + 2));
    if (argv == NULL)
        exit(1);
    argv[0] = "xport";
    for (int i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    argv[nargs + 1] = NULL;
    time_t start, end;
    unsigned long step, col_cnt;
    char **legend_v = NULL;
    rrd_value_t *data = NULL;
    rrd_clear_error();
    if (rrd_xport(nargs + 1, argv, NULL, &start, &end, &step, &col_cnt, &legend_v, &data) != 0) {
        fprintf(stderr, "librrd-bench: xport: %s\n", rrd_get_error());
        exit(1);
    }
    for (unsigned long c = 0; c < col_cnt; c++)
        free(legend_v[c]);
    free(legend_v);
    free(data);
    free(argv);
}

static int cmd_xport(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[0], "--n") != 0 || strcmp(argv[2], "--") != 0)
        usage("xport needs --n N -- ARGS...");
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end != 0 || n < 1)
        usage("--n needs a positive count");
    int nargs = argc - 3;
    char **args = argv + 3;
    /* once for the byte count, then the timed runs into /dev/null */
    fflush(stdout);
    int saved = dup(1);
    int devnull = open("/dev/null", O_WRONLY);
    if (saved < 0 || devnull < 0 || dup2(devnull, 1) < 0) {
        perror("librrd-bench: redirecting stdout");
        return 1;
    }
    xport_once(nargs, args);
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        xport_once(nargs, args);
    double secs = now_s() - t0;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(devnull);
    printf("librrd xport: %ld runs in %.4f s\n", n, secs);
    printf("%.4f\n", secs * 1000.0 / (double)n);
    return 0;
}

static void graph_once(int nargs, char **args) {
    char **argv = malloc(sizeof(char *) * (size_t)(nargs + 2));
    if (argv == NULL)
        exit(1);
    argv[0] = "graph";
    for (int i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    argv[nargs + 1] = NULL;
    rrd_clear_error();
    rrd_info_t *info = rrd_graph_v(nargs + 1, argv);
    if (info == NULL || rrd_test_error()) {
        fprintf(stderr, "librrd-bench: graph: %s\n", rrd_get_error());
        exit(1);
    }
    rrd_info_free(info);
    free(argv);
}

static int cmd_graph(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[0], "--n") != 0 || strcmp(argv[2], "--") != 0)
        usage("graph needs --n N -- OUT ARGS...");
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end != 0 || n < 1)
        usage("--n needs a positive count");
    int nargs = argc - 3;
    char **args = argv + 3;
    /* the first graph pays for font discovery; it is not timed */
    graph_once(nargs, args);
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        graph_once(nargs, args);
    double secs = now_s() - t0;
    printf("librrd graph: %ld graphs in %.4f s\n", n, secs);
    printf("%.4f\n", secs * 1000.0 / (double)n);
    return 0;
}

/* Updates 1..=n of a `shape` file with `ds` sources, 1000 per call. */
static int cmd_shape(int argc, char **argv) {
    int sep = -1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            sep = i;
            break;
        }
    if (sep < 0)
        usage("shape wants -- before the definitions");
    struct opts o = {{"n"}, {NULL}, 1, NULL};
    parse_opts(sep, argv, &o);
    long n = count_opt(&o, 0);
    int ndefs = argc - sep - 1;
    const char **defs = (const char **)(argv + sep + 1);
    int ds = 0, rras = 0;
    for (int i = 0; i < ndefs; i++) {
        ds += strncmp(defs[i], "DS:", 3) == 0;
        rras += strncmp(defs[i], "RRA:", 4) == 0;
    }
    unlink(o.pos);
    rrd_clear_error();
    if (rrd_create_r(o.pos, 1, (time_t)W_START, ndefs, defs) != 0)
        die_rrd("creating", o.pos);
    size_t len = 24 + (size_t)ds * 4;
    char *bufs = malloc(len * BATCH);
    const char **args = malloc(sizeof(char *) * BATCH);
    if (bufs == NULL || args == NULL)
        return 1;
    double t0 = now_s();
    for (long i = 1; i <= n;) {
        int k = 0;
        for (; k < BATCH && i <= n; k++, i++) {
            char *b = bufs + (size_t)k * len;
            int at = snprintf(b, len, "%ld", W_START + i);
            for (int d = 0; d < ds; d++)
                at += snprintf(b + at, len - (size_t)at, ":%ld", (i + d) % 100);
            args[k] = b;
        }
        if (rrd_update_r(o.pos, NULL, k, args) != 0)
            die_rrd("updating", o.pos);
    }
    double secs = now_s() - t0;
    printf("librrd update, 1000 per call, %d DS, %d RRA: %ld updates in %.4f s\n", ds, rras, n,
           secs);
    printf("%.0f\n", (double)n / secs);
    free(bufs);
    free(args);
    return 0;
}


static int cmd_window(int argc, char **argv) {
    struct opts o = {{"rows", "n"}, {NULL, NULL}, 2, NULL};
    parse_opts(argc, argv, &o);
    long want = count_opt(&o, 0), n = count_opt(&o, 1);
    rrd_clear_error();
    time_t last = rrd_last_r(o.pos);
    if (last == -1)
        die_rrd("reading the last update of", o.pos);
    long rows = fetch_window(o.pos, last, want);
    if (rows != want + 1) {
        fprintf(stderr, "librrd-bench: %s: the fetch gave %ld rows, not %ld\n", o.pos, rows,
                want + 1);
        return 1;
    }
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        fetch_window(o.pos, last, want);
    double secs = now_s() - t0;
    printf("librrd fetch AVERAGE -s %ld -e %ld: %ld fetches of %ld rows in %.4f s\n",
           (long)last - want, (long)last, n, rows, secs);
    printf("%.0f\n", (double)n / secs);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage("a subcommand is required");
    if (strcmp(argv[1], "update") == 0)
        return cmd_update(argc - 2, argv + 2);
    if (strcmp(argv[1], "fetch") == 0)
        return cmd_fetch(argc - 2, argv + 2);
    if (strcmp(argv[1], "xport") == 0)
        return cmd_xport(argc - 2, argv + 2);
    if (strcmp(argv[1], "graph") == 0)
        return cmd_graph(argc - 2, argv + 2);
    if (strcmp(argv[1], "shape") == 0)
        return cmd_shape(argc - 2, argv + 2);
    if (strcmp(argv[1], "window") == 0)
        return cmd_window(argc - 2, argv + 2);
    if (strcmp(argv[1], "collectd") == 0)
        return cmd_collectd(argc - 2, argv + 2);
    usage("unknown subcommand");
    return 1;
}
