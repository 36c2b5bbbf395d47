/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The aggregates (agg.h) in the Prometheus text exposition format 0.0.4,
 * or OpenMetrics 1.0.0 when the scraper asks for it (its Accept header),
 * as `promtool check metrics` accepts them: HELP and TYPE for every
 * family, base units (seconds), counters ending in _total, label values
 * escaped (backslash, quote, newline) and valid UTF-8 (process names go
 * through sanitize.c first).
 *
 * Series with a known, bounded label set are written from the start, at 0,
 * so that rate() sees their first increase: every retransmit kind, reset
 * direction, lost reason, open state, and closed (role, cause) for the
 * active and passive roles. Histograms, the unknown role's closed counts
 * and the CLOSE_WAIT processes appear once observed. Families and samples
 * come in a fixed order (agg.h's), so equal aggregates give equal text.
 */
#ifndef TL_PROMTEXT_H
#define TL_PROMTEXT_H

#include <stddef.h>
#include <stdio.h>
#include "agg.h"

enum prom_fmt { PROM_TEXT = 0, PROM_OPENMETRICS };

/* The format a scraper's Accept header asks for (NULL: text). */
enum prom_fmt prom_negotiate(const char *accept);
/* Its Content-Type header value. */
const char *prom_content_type(enum prom_fmt fmt);
/* Write the exposition of `a`. 0 or -errno (a write error). */
int promtext_write(FILE *f, const struct agg *a, enum prom_fmt fmt);
/* The same into a malloc'd buffer (*buf, *len; free() it). 0 or -ENOMEM. */
int promtext_render(const struct agg *a, enum prom_fmt fmt, char **buf, size_t *len);

#endif /* TL_PROMTEXT_H */
