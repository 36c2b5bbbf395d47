/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel stamps records with bpf_ktime_get_ns() (CLOCK_MONOTONIC); the
 * outputs show wall-clock time. The offset is taken once at start-up. */
#ifndef TL_TIMEFMT_H
#define TL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

struct timeconv {
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

void timeconv_init(struct timeconv *tc);
uint64_t mono_now_ns(void);
/* "2026-11-21T11:32:05.123456Z". Returns 0, or -ENOSPC if `n` < 28. */
int fmt_iso8601(const struct timeconv *tc, uint64_t mono_ns, char *buf, size_t n);
/* "11:32:05.123456" (UTC), for the stream. Returns 0 or -ENOSPC (n < 16). */
int fmt_clock(const struct timeconv *tc, uint64_t mono_ns, char *buf, size_t n);
/* Nanoseconds as milliseconds with three decimals: "1234.567". */
int fmt_ms(uint64_t ns, char *buf, size_t n);

#endif /* TL_TIMEFMT_H */
