/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What `report` computes from the rows it read: per state, exact
 * percentiles (from the sorted durations, not the buckets) and a log2
 * histogram; close causes; the processes with most CLOSE_WAIT time,
 * retransmits and resets; all of it per group with --by. Plain C, no I/O.
 *
 * The per-state tables and the close causes count the connections that
 * ended (like the metrics' histograms, agg.h): an open row's current state
 * has not ended, so its time there is not a duration yet. The top
 * processes count open rows too, since a socket left in CLOSE_WAIT is
 * what that table is for.
 */
#ifndef TL_REPORT_STATS_H
#define TL_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "hist.h"
#include "report_row.h"

enum rep_by { REP_BY_NONE = 0, REP_BY_PORT, REP_BY_COMM, REP_BY_RADDR };
enum rep_top { REP_TOP_CLOSE_WAIT = 0, REP_TOP_RETRANS, REP_TOP_RESETS, REP_TOP_N };

#define REP_TOP_MAX 10
#define REP_KEY_LEN 64 /* a comm (REP_COMM_LEN) or an address (REP_ADDR_LEN) */
_Static_assert(REP_KEY_LEN >= REP_COMM_LEN && REP_KEY_LEN >= REP_ADDR_LEN, "a key holds both");

struct rep_state {
	unsigned int state; /* enum tl_tcp_state */
	size_t count;
	uint64_t p50_ns, p90_ns, p99_ns, max_ns;
	struct hist h;
};

struct rep_group {
	char key[REP_KEY_LEN]; /* raw (a comm): sanitize before printing */
	bool other;            /* the groups past the cap, together */
	size_t rows;
	struct rep_state st[TL_NSTATES]; /* the states with data, in schema order */
	unsigned int n_st;
};

struct rep_cause {
	char name[REP_CAUSE_LEN];
	uint64_t count;
};

struct rep_proc {
	bool owner_known;
	uint32_t pid;
	char comm[REP_COMM_LEN]; /* raw */
	uint64_t value;          /* ns of CLOSE_WAIT, or a count */
};

struct rep_result {
	uint64_t rows, open, skipped;
	struct rep_group *groups; /* most rows first; "other" last */
	size_t n_groups;
	struct rep_cause *causes; /* most first, ties by name */
	size_t n_causes;
	struct rep_proc top[REP_TOP_N][REP_TOP_MAX]; /* largest first, zero values left out */
	size_t n_top[REP_TOP_N];
};

struct rep_stats;

/* NULL when out of memory. */
struct rep_stats *rep_new(void);
void rep_free(struct rep_stats *s);
/* Returns 0 or -ENOMEM. */
int rep_add(struct rep_stats *s, const struct rep_row *r);
/* A line that was not a connection record (a JSON summary or alert). */
void rep_skip(struct rep_stats *s);

/* The group a row falls in: its port (the listener's local port for a
 * passive row, the remote port otherwise, as the metrics label it), comm
 * or remote address; "" with REP_BY_NONE. */
void rep_key(const struct rep_row *r, enum rep_by by, char *buf, size_t n);

/* state: only that one (enum tl_tcp_state), or -1 for all. At most
 * max_groups groups (>= 1); the rest become one "other" group. Returns 0
 * or -ENOMEM; free the result with rep_result_free. */
int rep_compute(const struct rep_stats *s, enum rep_by by, int state, size_t max_groups,
		struct rep_result *out);
void rep_result_free(struct rep_result *res);

#endif /* TL_REPORT_STATS_H */
