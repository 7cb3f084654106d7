/*
 * Oracle for rrd-clib/src/rrd_snprintf.rs: formats doubles with the real
 * rrd_snprintf() exported by the installed librrd (rrdtool 1.7.2) and prints
 *
 *     <16 hex digits: IEEE-754 bits of the input><TAB><format><TAB><output>
 *
 * one line per (value, format).  <output> is the buffer contents after the
 * call; rrd_snprintf leaves it empty (and returns -1) when "%f" overflows.
 *
 * Usage: harness golden|full     (see gen.sh and README.md)
 *
 * Everything is deterministic: a fixed-seed splitmix64 drives all random
 * choices, and decimal strings are converted with glibc's strtod.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rrd_snprintf(char *, size_t, const char *, ...);

static uint64_t rng_state = 0x5eed0f0072d70001ULL;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform integer in [0, n) (tiny modulo bias is irrelevant here) */
static uint64_t below(uint64_t n) { return next_u64() % n; }
static double unit(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static uint64_t bits_of(double v) { uint64_t b; memcpy(&b, &v, 8); return b; }
static double of_bits(uint64_t b) { double v; memcpy(&v, &b, 8); return v; }

static void emit(double v, const char *fmt)
{
	char buf[512];
	buf[0] = '\0';
	rrd_snprintf(buf, sizeof buf, fmt, v);
	printf("%016llx\t%s\t%s\n", (unsigned long long)bits_of(v), fmt, buf);
}

/* Format sets. */
#define F_E10   (1 << 0)
#define F_E2    (1 << 1)
#define F_E6    (1 << 2)
#define F_F10   (1 << 3)
#define F_F2    (1 << 4)
#define F_F6    (1 << 5)
#define F_ODD   (1 << 6)	/* %0.0e %0.1e %0.19e %0.25e %0.0f %0.19f */

static void emit_set(double v, int set)
{
	if (set & F_E10) emit(v, "%0.10e");
	if (set & F_E2) emit(v, "%0.2e");
	if (set & F_E6) emit(v, "%0.6e");
	if (set & F_F10) emit(v, "%0.10f");
	if (set & F_F2) emit(v, "%0.2f");
	if (set & F_F6) emit(v, "%0.6f");
	if (set & F_ODD) {
		emit(v, "%0.0e");
		emit(v, "%0.1e");
		emit(v, "%0.19e");
		emit(v, "%0.25e");
		emit(v, "%0.0f");
		emit(v, "%0.19f");
	}
}

/* v, -v and both binary neighbours of each */
static void emit_around(double v, int set)
{
	emit_set(v, set);
	emit_set(-v, set);
	emit_set(nextafter(v, INFINITY), set);
	emit_set(nextafter(v, -INFINITY), set);
	emit_set(-nextafter(v, INFINITY), set);
	emit_set(-nextafter(v, -INFINITY), set);
}

/*
 * An exact binary value whose decimal expansion has exactly `digits`
 * significant digits, the last being 5: an exact tie when printed with
 * digits-1 significant digits.  Either j / 2^k with j odd (k fraction digits)
 * or an integer (10m + 5) * 10^p.
 */
static double tie(int digits)
{
	if (below(4) == 0) {	/* integer */
		int p = (int)below(4);
		uint64_t lo = 1, hi;
		for (int i = 1; i < digits - 1; i++) lo *= 10;	/* m has digits-1 digits */
		hi = lo * 10;
		uint64_t m = lo + below(hi - lo);
		double v = (double)(10 * m + 5);
		for (int i = 0; i < p; i++) v *= 10;	/* exact while < 2^53 */
		return v;
	}
	for (;;) {
		int k = 1 + (int)below(digits + 5);
		/* value in [10^(digits-1-k), 10^(digits-k)) => j in [2^k*lo, 2^k*hi) */
		long double lo = powl(10.0L, digits - 1 - k) * ldexpl(1.0L, k);
		long double hi = powl(10.0L, digits - k) * ldexpl(1.0L, k);
		if (hi > 9007199254740992.0L)
			hi = 9007199254740992.0L;
		uint64_t jlo = (uint64_t)ceill(lo), jhi = (uint64_t)hi;
		if (jhi <= jlo + 1)
			continue;
		uint64_t j = (jlo + below(jhi - jlo)) | 1;
		if (j >= jhi)
			continue;
		return ldexp((double)j, -k);
	}
}

/* A decimal string d.ddd...d5 (digits significant digits) times 10^e. */
static double near_tie(int digits, int emin, int emax)
{
	char s[64];
	int n = 0;
	s[n++] = (char)('1' + below(9));
	s[n++] = '.';
	for (int i = 1; i < digits - 1; i++)
		s[n++] = (char)('0' + below(10));
	s[n++] = '5';
	n += sprintf(s + n, "e%d", emin + (int)below((uint64_t)(emax - emin + 1)));
	return strtod(s, NULL);
}

/* "realistic" rrdtool values: counters, rates, averages, gauges */
static double realistic(void)
{
	static const double steps[] = { 1, 5, 10, 60, 300, 900, 3600, 86400 };
	switch (below(10)) {
	case 0: return (double)below(1ULL << (1 + below(63)));	/* counter */
	case 1: return (double)below(1ULL << 32) / steps[below(8)];	/* rate */
	case 2: {						/* average */
		int n = 1 + (int)below(12);
		double s = 0;
		for (int i = 0; i < n; i++)
			s += unit() * 1000;
		return s / n;
	}
	case 3: {						/* short decimal */
		char s[64];
		sprintf(s, "%.*f", (int)below(7), unit() * pow(10, (double)below(10)));
		return (below(2) ? -1 : 1) * strtod(s, NULL);
	}
	case 4: return (below(2) ? -1 : 1) * unit() * pow(10, (double)below(40) - 20);
	case 5: return (double)(below(2000) - 1000) / (double)(1 + below(1000));
	case 6: return unit() * 100;					/* percent */
	case 7: return (double)below(1ULL << 40) * 8 / steps[below(8)];	/* bits/s */
	case 8: return ((double)below(100000) - 50000) / 1000.0;	/* temperature */
	default: return (double)below(1000000) / 1e6 * (double)below(5000);
	}
}

int main(int argc, char **argv)
{
	int full = argc > 1 && strcmp(argv[1], "full") == 0;
	int all = F_E10 | F_E2 | F_E6 | F_F10 | F_F2 | F_F6 | F_ODD;
	/* golden: 1 in `thin` of the bulk edge values get all formats */
	int thin = full ? 1 : 32;
	long n_bits = full ? 120000 : 6000;
	long n_real = full ? 80000 : 4000;
	long n_tie = full ? 20000 : 1000;
	long n_near = full ? 20000 : 700;
	char s[64];
	long i;

	/* --- hand-picked edges, every format --- */
	const double special[] = {
		0.0, 1.0, 2.0, 0.5, 0.1, 0.2, 0.3, 1.5, 2.5, 9.5, 10.0, 99.5,
		DBL_MIN, DBL_MAX, DBL_EPSILON, 5e-324, 2.2250738585072009e-308,
		4294967295.0, 4294967296.0, 9007199254740992.0, 9007199254740993.0,
		9223372036854775808.0, 18446744073709549568.0, 18446744073709551616.0,
		1e19, 1e20, 1e21, 1e22, 1e23,
		209572.015625, 0.539541253125, 9.999999999949999, 9.99999999995,
		9.9999999999, 0.99999999995, 0.0000123, 123456.789, 1e-5, 1e-7,
		3.14159265358979, 2.718281828459045, 1.0 / 3, 2.0 / 3,
	};
	for (i = 0; i < (long)(sizeof special / sizeof *special); i++)
		emit_around(special[i], all);
	emit_set(INFINITY, all);
	emit_set(-INFINITY, all);
	emit_set(of_bits(0x7ff8000000000000ULL), all);	/* NaN */
	emit_set(of_bits(0xfff8000000000000ULL), all);	/* -NaN (rrdtool's DNAN) */
	emit_set(of_bits(0x7ff0000000000001ULL), all);	/* signalling NaN */
	emit_set(of_bits(0x000fffffffffffffULL), all);	/* largest subnormal */
	emit_set(-0.0, all);

	/* --- powers of ten and neighbours --- */
	for (int e = -323; e <= 308; e++) {
		sprintf(s, "1e%d", e);
		emit_around(strtod(s, NULL), (e + 400) % thin == 0 ? all : F_E10);
	}
	/* --- powers of two --- */
	for (int e = -1074; e <= 1023; e++)
		emit_set(ldexp(1.0, e), (e + 2000) % thin == 0 ? all : F_E10 | (abs(e) < 80 ? F_F10 : 0));
	/* --- small integers and their negatives --- */
	for (i = 0; i <= (full ? 100000 : 1000); i += full ? 1 : 17) {
		emit_set((double)i, F_E10 | (i % 16 == 0 ? F_E2 | F_E6 | F_F2 : 0));
		emit_set(-(double)i, F_E10);
	}
	/* --- 1e-300 .. 1e300 in steps of 10^0.01 style mantissas --- */
	for (int e = -300; e <= 300; e++) {
		for (int k = 0; k < (full ? 40 : 1); k++) {
			sprintf(s, "%d.%04de%d", 1 + (int)below(9), (int)below(10000), e);
			emit_set(strtod(s, NULL), F_E10);
		}
	}
	/* --- exact ties and near ties --- */
	for (i = 0; i < n_tie; i++) {
		double v = tie(12);
		emit_set(below(2) ? v : -v, F_E10);
		emit_set(tie(4), F_E2);
		emit_set(tie(8), F_E6);
		if (i % 4 == 0) {	/* ties at the 10th fraction digit for %f */
			double t = ldexp((double)(below(1ULL << 20) * 2 + 1), -(int)(1 + below(10)));
			emit_set(t, F_F10 | F_F2 | F_F6);
		}
	}
	for (i = 0; i < n_near; i++) {
		double v = near_tie(12, -300, 300);
		emit_set(v, F_E10);
		emit_set(nextafter(v, 0), F_E10);
		emit_set(nextafter(v, INFINITY), F_E10);
		emit_set(near_tie(4, -300, 300), F_E2);
		emit_set(near_tie(8, -300, 300), F_E6);
		emit_set(near_tie(12, -8, 8), F_E10 | F_F10);
	}
	/* --- random bit patterns --- */
	for (i = 0; i < n_bits; i++) {
		double v = of_bits(next_u64());
		emit_set(v, F_E10 | (i % 8 == 0 ? F_E2 | F_E6 : 0) | (i % 64 == 0 ? F_F10 : 0));
	}
	/* --- realistic values --- */
	for (i = 0; i < n_real; i++) {
		double v = realistic();
		emit_set(v, F_E10 | F_F10 | (i % 8 == 0 ? F_E2 | F_E6 | F_F2 | F_F6 : 0));
	}
	return 0;
}
