// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fmtnum.h"
#include "timefmt.h"

#define NSEC_PER_SEC 1000000000LL

static int64_t ts_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void timeconv_init(struct timeconv *tc)
{
	/* Bracketing the realtime read with two monotonic reads and taking
	 * their midpoint halves the error a preemption between reads adds. */
	int64_t m1 = ts_ns(CLOCK_MONOTONIC);
	int64_t r = ts_ns(CLOCK_REALTIME);
	int64_t m2 = ts_ns(CLOCK_MONOTONIC);

	tc->mono_to_real_ns = r - (m1 + (m2 - m1) / 2);
}

uint64_t mono_now_ns(void)
{
	return (uint64_t)ts_ns(CLOCK_MONOTONIC);
}

/* Wall-clock seconds and microseconds; floor division so that a time just
 * before the epoch does not print a negative fraction. */
static int to_tm(const struct timeconv *tc, uint64_t mono_ns, struct tm *tm, long *usec)
{
	int64_t real = (int64_t)mono_ns + tc->mono_to_real_ns;
	int64_t sec = real / NSEC_PER_SEC;
	int64_t rem = real % NSEC_PER_SEC;
	time_t t;

	if (rem < 0) {
		rem += NSEC_PER_SEC;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, tm))
		return -EOVERFLOW;
	*usec = (long)(rem / 1000);
	return 0;
}

static int fmt_done(int len, char *buf, size_t n)
{
	if (len < 0 || (size_t)len >= n) {
		if (n)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

/* "2026-11-21T11:32:05.000123Z" with the date, "11:32:05.000123" without.
 * Written digit by digit: one call per record in the stream and two per CSV
 * row, where snprintf was a tenth of the loader's time (fmtnum.h). */
static int fmt_time(const struct timeconv *tc, uint64_t mono_ns, char *buf, size_t n, bool date)
{
	struct tm tm;
	long usec;
	char *p = buf;
	int rc, year;

	if (n < (date ? 28 : 16))
		return fmt_done(-1, buf, n);
	rc = to_tm(tc, mono_ns, &tm, &usec);
	if (rc) {
		buf[0] = '\0';
		return rc;
	}
	year = tm.tm_year + 1900;
	if (date && (year < 0 || year > 9999)) /* not four digits: as printf has them */
		return fmt_done(snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", year,
					 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
					 tm.tm_sec, usec),
				buf, n);
	if (date) {
		put_zpad(p, (uint64_t)year, 4);
		p[4] = '-';
		put_zpad(p + 5, (uint64_t)tm.tm_mon + 1, 2);
		p[7] = '-';
		put_zpad(p + 8, (uint64_t)tm.tm_mday, 2);
		p[10] = 'T';
		p += 11;
	}
	put_zpad(p, (uint64_t)tm.tm_hour, 2);
	p[2] = ':';
	put_zpad(p + 3, (uint64_t)tm.tm_min, 2);
	p[5] = ':';
	put_zpad(p + 6, (uint64_t)tm.tm_sec, 2);
	p[8] = '.';
	put_zpad(p + 9, (uint64_t)usec, 6);
	p += 15;
	if (date)
		*p++ = 'Z';
	*p = '\0';
	return 0;
}

int fmt_iso8601(const struct timeconv *tc, uint64_t mono_ns, char *buf, size_t n)
{
	return fmt_time(tc, mono_ns, buf, n, true);
}

int fmt_clock(const struct timeconv *tc, uint64_t mono_ns, char *buf, size_t n)
{
	return fmt_time(tc, mono_ns, buf, n, false);
}

int fmt_ms(uint64_t ns, char *buf, size_t n)
{
	/* Integers only: a double loses nanoseconds past 2^53 and rounds
	 * 0.9999 ms up to "1.000", which would overstate a duration. */
	char tmp[FMT_U64_LEN + 4];
	size_t len = put_u64(tmp, ns / 1000000);

	tmp[len] = '.';
	put_zpad(tmp + len + 1, ns / 1000 % 1000, 3);
	len += 4;
	if (len >= n)
		return fmt_done(-1, buf, n);
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return 0;
}
