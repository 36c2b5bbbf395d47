/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A log2 histogram of durations, in microsecond buckets as bcc's tools
 * print them, shared by the metrics (agg.c), `report` and the live view.
 *
 * Bucket k holds the durations d with 2^(k-1) us < d <= 2^k us (bucket 0:
 * d <= 1 us), so its upper edge 2^k us is inclusive, exactly Prometheus'
 * `le`: the cumulative count of buckets 0..k is the count of durations
 * <= 2^k us. The last bucket (HIST_INF) holds everything above
 * 2^(HIST_INF-1) us (~19 h). Sums are kept in ns, so a histogram's _sum is
 * exact, not rebuilt from bucket midpoints.
 */
#ifndef TL_HIST_H
#define TL_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_FINITE 37             /* buckets 0..36: up to 2^36 us, ~19.1 h */
#define HIST_INF HIST_FINITE       /* the +Inf bucket */
#define HIST_BUCKETS (HIST_FINITE + 1)

struct hist {
	uint64_t b[HIST_BUCKETS];
	uint64_t count;
	uint64_t sum_ns; /* saturates at UINT64_MAX (584 years) */
	uint64_t max_ns;
};

/* The bucket a duration falls in. */
unsigned int hist_bucket(uint64_t ns);
/* Bucket k's inclusive upper edge in ns (UINT64_MAX for HIST_INF). */
uint64_t hist_upper_ns(unsigned int k);
void hist_add(struct hist *h, uint64_t ns);
/* dst += src, bucket by bucket. */
void hist_merge(struct hist *dst, const struct hist *src);
/* The non-empty span of buckets, lo..hi, and the largest bucket's count
 * (the bars' scale). false, and nothing to draw, when the histogram is empty. */
bool hist_span(const struct hist *h, unsigned int *lo, unsigned int *hi, uint64_t *top);
/* Bucket k as one line without a newline: "  (256ms, 512ms] : 20 |***  |",
 * the bar `bar_w` columns wide (at most 128) scaled to `top`. The one
 * formatter behind hist_draw and the live view's histogram pane; a buffer
 * of HIST_LINE_LEN holds any line. */
#define HIST_LINE_LEN 176
void hist_line(const struct hist *h, unsigned int k, uint64_t top, unsigned int bar_w, char *buf,
	       size_t n);
/* Draw the non-empty span of buckets as bcc does, one line each:
 * "  (256ms, 512ms] : 20 |****...|", bars scaled to the largest bucket,
 * `bar_w` columns wide (at most 128). Writes nothing for an empty histogram. Returns
 * the lines written, or -errno on a write error. */
int hist_draw(FILE *f, const struct hist *h, unsigned int bar_w);
/* A bucket edge in few characters: "1us", "512us", "1.0ms", "2.1s". */
void hist_edge_fmt(uint64_t ns, char *buf, size_t n);

/* The p-th percentile (0 < p <= 100) of `n` sorted values, by nearest rank:
 * the smallest value with at least p% of them at or below it. 0 when n is
 * 0. Exact, unlike an estimate from buckets (a factor of 2 wide). */
uint64_t pctl_nearest_rank(const uint64_t *sorted, size_t n, double p);

#endif /* TL_HIST_H */
