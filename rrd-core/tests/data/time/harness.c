/* Run C rrdtool 1.7.2's own time parser (librrd's rrd_parsetime and
 * rrd_proc_start_end) on cases read from stdin, with a chosen "now" and TZ.
 *
 * Build: gcc -O0 -o harness harness.c /usr/lib/x86_64-linux-gnu/librrd.so.8
 *
 * Input lines (tab-separated):  one  TZ NOW SPEC
 *                               pair TZ NOW START END
 * Output, one line per input:
 *   one:  the absolute time (mktime(tm) + offset, as `rrdtool create` does),
 *         or "START|END years months days seconds" for a relative spec,
 *         or "ERR message".
 *   pair: "start end" from rrd_proc_start_end, or "ERR start: message",
 *         "ERR end: message", "ERR message".
 *
 * The executable's time() interposes on libc's, so librrd sees NOW.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Declarations from rrdtool 1.7.2's rrd.h (not installed here). */
typedef enum { ABSOLUTE_TIME, RELATIVE_TO_START_TIME, RELATIVE_TO_END_TIME, RELATIVE_TO_EPOCH } timetype;
typedef struct { timetype type; long offset; struct tm tm; } tv_t;
char *rrd_parsetime(const char *, tv_t *);
int rrd_proc_start_end(tv_t *, tv_t *, time_t *, time_t *);
char *rrd_get_error(void);
void rrd_clear_error(void);

static time_t fake_now;
time_t time(time_t *t) { if (t) *t = fake_now; return fake_now; }

/* glibc's mktime starts from the UTC offset of its previous result. Put that
   state where `rrdtool fetch` has it when it parses -s/-e: a fresh process
   (offset 0) that has just resolved its default end, "now". */
static const char *cur_tz;
static void reset_guess(void) {
    struct tm tm = {0}; tm.tm_year = 100; tm.tm_mday = 1; tm.tm_isdst = -1;
    setenv("TZ", "UTC", 1); tzset(); mktime(&tm);
    setenv("TZ", cur_tz, 1); tzset();
    tm = *localtime(&fake_now); tm.tm_isdst = -1; mktime(&tm);
}

static char *field(char **p) { char *s = *p; char *tab = strchr(s, '\t'); if (tab) { *tab = 0; *p = tab + 1; } else *p = s + strlen(s); return s; }

int main(void) {
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *p = line;
        char *kind = field(&p), *tz = field(&p), *now = field(&p), *a = field(&p), *b = field(&p);
        cur_tz = tz; setenv("TZ", tz, 1); tzset();
        fake_now = strtol(now, NULL, 10);
        tv_t s, e; char *err;
        if (strcmp(kind, "one") == 0) {
            reset_guess();
            if ((err = rrd_parsetime(a, &s))) { printf("ERR %s\n", err); continue; }
            if (s.type == ABSOLUTE_TIME || s.type == RELATIVE_TO_EPOCH) printf("%ld\n", (long)mktime(&s.tm) + s.offset);
            else printf("%s %d %d %d %ld\n", s.type == RELATIVE_TO_START_TIME ? "START" : "END", s.tm.tm_year, s.tm.tm_mon, s.tm.tm_mday, s.offset);
        } else {
            time_t st, en;
            reset_guess();
            if ((err = rrd_parsetime(a, &s))) { printf("ERR start: %s\n", err); continue; }
            reset_guess();
            if ((err = rrd_parsetime(b, &e))) { printf("ERR end: %s\n", err); continue; }
            rrd_clear_error();
            if (rrd_proc_start_end(&s, &e, &st, &en) == -1) { printf("ERR %s\n", rrd_get_error()); continue; }
            printf("%ld %ld\n", (long)st, (long)en);
        }
        fflush(stdout);
    }
    return 0;
}
