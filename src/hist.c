// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Log2 histograms of durations, and exact percentiles (hist.h). */
#include <errno.h>
#include <string.h>
#include "hist.h"

#define NS_PER_US 1000ULL
#define HIST_BAR_MAX 128

unsigned int hist_bucket(uint64_t ns)
{
	/* ceil(ns / 1000) us, then the smallest k with that <= 2^k. */
	uint64_t us = ns / NS_PER_US + (ns % NS_PER_US != 0);
	unsigned int k;

	if (us <= 1)
		return 0;
	k = 64 - (unsigned int)__builtin_clzll(us - 1);
	return k < HIST_FINITE ? k : HIST_INF;
}

uint64_t hist_upper_ns(unsigned int k)
{
	return k < HIST_FINITE ? (1ULL << k) * NS_PER_US : UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t ns)
{
	h->b[hist_bucket(ns)]++;
	h->count++;
	h->sum_ns = h->sum_ns > UINT64_MAX - ns ? UINT64_MAX : h->sum_ns + ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned int k = 0; k < HIST_BUCKETS; k++)
		dst->b[k] += src->b[k];
	dst->count += src->count;
	dst->sum_ns = dst->sum_ns > UINT64_MAX - src->sum_ns ? UINT64_MAX
							       : dst->sum_ns + src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

void hist_edge_fmt(uint64_t ns, char *buf, size_t n)
{
	if (ns == UINT64_MAX)
		snprintf(buf, n, "inf");
	else if (ns < 1000000ULL)
		snprintf(buf, n, "%lluus", (unsigned long long)(ns / NS_PER_US));
	else if (ns < 1000000000ULL)
		snprintf(buf, n, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, n, "%.1fs", (double)ns / 1e9);
}

bool hist_span(const struct hist *h, unsigned int *lo, unsigned int *hi, uint64_t *top)
{
	*lo = HIST_BUCKETS;
	*hi = 0;
	*top = 0;
	for (unsigned int k = 0; k < HIST_BUCKETS; k++) {
		if (!h->b[k])
			continue;
		*lo = k < *lo ? k : *lo;
		*hi = k;
		*top = h->b[k] > *top ? h->b[k] : *top;
	}
	return *top != 0;
}

void hist_line(const struct hist *h, unsigned int k, uint64_t top, unsigned int bar_w, char *buf,
	       size_t n)
{
	unsigned int w;
	char a[16], b[16], range[40];

	if (bar_w > HIST_BAR_MAX)
		bar_w = HIST_BAR_MAX;
	if (k >= HIST_BUCKETS) {
		if (n)
			buf[0] = '\0';
		return;
	}
	w = top ? (unsigned int)((h->b[k] * bar_w + top - 1) / top) : 0;
	if (w > bar_w)
		w = bar_w; /* a bucket above `top`: the caller's scale is off */
	hist_edge_fmt(k ? hist_upper_ns(k - 1) : 0, a, sizeof(a));
	hist_edge_fmt(hist_upper_ns(k), b, sizeof(b));
	snprintf(range, sizeof(range), "(%s, %s]", a, b);
	snprintf(buf, n, "  %20s : %-10llu |%-*.*s|", range, (unsigned long long)h->b[k],
		 (int)bar_w, (int)w,
		 "****************************************************************"
		 "****************************************************************");
}

int hist_draw(FILE *f, const struct hist *h, unsigned int bar_w)
{
	unsigned int lo, hi, lines = 0;
	uint64_t top;
	char line[HIST_LINE_LEN];

	if (!hist_span(h, &lo, &hi, &top))
		return 0;
	for (unsigned int k = lo; k <= hi; k++) {
		hist_line(h, k, top, bar_w, line, sizeof(line));
		if (fprintf(f, "%s\n", line) < 0)
			return -EIO;
		lines++;
	}
	return (int)lines;
}

uint64_t pctl_nearest_rank(const uint64_t *sorted, size_t n, double p)
{
	double r = p / 100.0 * (double)n;
	size_t rank;

	if (!n)
		return 0;
	rank = r < 1 ? 1 : (size_t)r;
	if ((double)rank < r) /* ceil() without libm */
		rank++;
	return sorted[(rank > n ? n : rank) - 1];
}
