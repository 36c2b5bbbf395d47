/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The model behind the live view and --batch: which open connections are
 * shown (filters), in what order (sort column), the top rows that fit, the
 * recently closed ones, and every cell formatted as sanitized text. Plain
 * C, no curses: unit-tested, and shared by sink_live.c and sink_batch.c.
 *
 * A refresh walks the open connections once (view_begin, view_add for each,
 * view_end): counters and the rows that pass the filters are gathered, then
 * only the `max_rows` first in sort order are selected with a bounded heap
 * (O(n log k)), never a full sort of 100 000 rows. Nothing is sorted per
 * event; refreshes come at most a few times a second.
 *
 * The view never reads the connection table: main's loop walks it and
 * hands each open connection to view_add (ingest.c). Row pointers are
 * valid only until the table changes, so no record is applied from
 * view_begin until the sink has formatted its rows: records read meanwhile
 * are held in ingest's backlog. The live view keeps copies of the rows it
 * shows instead (view_begin_top), so the table may hand it a compact
 * connection's copy; --batch shows every row and keeps pointers.
 */
#ifndef TL_VIEW_H
#define TL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"
#include "hist.h"
#include "sink.h"


enum view_col {
	VCOL_PID = 0, VCOL_COMM, VCOL_FD, VCOL_LOCAL, VCOL_REMOTE, VCOL_STATE,
	VCOL_INSTATE,  /* time in the current state (default sort, longest first) */
	VCOL_AGE,
	VCOL_RTX,      /* SYN/SYN-ACK/FIN/data retransmits, sorted by their sum */
	VCOL_N,
};

struct lsn_snap;

/* What only the caller knows (tracer counters), read once per refresh. */
struct view_stats {
	uint64_t records;        /* ring-buffer records so far */
	uint64_t rb_drops, map_full, bad_records, stale, missed, gaps;
	uint64_t healed; /* rows completed at the socket's end: not lost, said */
	uint64_t synack_orphans; /* SYN-ACK retransmits not joined to a connection */
	uint64_t connect_errors; /* failed connect()s (connect_error) */
	uint64_t start_ns;       /* when tracing began (CLOCK_MONOTONIC) */
	const char *tiers;       /* "state: tp_btf, synack: tracepoint, ..." */
	/* The listeners, listed for this snapshot when a sink wanted them
	 * (the listener pane): NULL otherwise, or when the listing failed
	 * (lsn_err). Valid until snap_begin returns. */
	const struct lsn_snap *lsn;
	int lsn_err;
	uint64_t lsn_cost_ns;    /* how long the listing took, its steps only */
	bool lsn_shared;         /* lsn is --listeners' own listing: none made for it */
};

/* One open connection as shown: every cell sanitized and cut to width. */
struct view_row {
	char pid[12];
	char comm[SINK_COMM_LEN];
	char fd[12];
	char local[SINK_ENDPOINT_LEN];
	char remote[SINK_ENDPOINT_LEN];
	char state[16];
	char instate[32];  /* ">=" prefix: a lower bound (open before the start) */
	char age[32];
	char rtx[48];      /* "SYN/SYN-ACK/FIN/data" */
};

/* One closed connection: who, how it ended, time per state in path order. */
struct view_closed_row {
	char pid[12];
	char comm[SINK_COMM_LEN];
	char local[SINK_ENDPOINT_LEN];
	char remote[SINK_ENDPOINT_LEN];
	char cause[24];
	char states[256]; /* "SYN_SENT 0.1ms > ESTABLISHED 2.00s > ..." */
};

/* A merge sort cut into steps (view_sort_step): runs of VIEW_STEP_ROWS
 * sorted, then merged pairwise from src into dst. */
enum view_sort_phase { VSORT_DONE = 0, VSORT_RUNS, VSORT_MERGE };
struct view_sort {
	enum view_sort_phase phase;
	struct conn **tmp, **src, **dst;
	size_t n, run;
	size_t lo, mid, hi, i, j, k; /* the pair being merged, and where */
};

struct view {
	/* Filters: --state (fixed), and the interactive ones. */
	uint32_t cli_states;     /* 0 = every state */
	uint32_t states;         /* `f`: 0 = every state */
	uint32_t pid;            /* `p`: 0 = every owner */
	char search[48];         /* `/`: substring of pid, comm, local or remote */
	enum view_col sort;
	bool reverse;            /* opposite of the column's natural order */
	bool wide;               /* -w: address columns wide enough for IPv6 */

	/* The last refresh. */
	uint64_t now_ns;
	size_t n_open;           /* every open connection (before any filter) */
	size_t n_match;          /* passing every filter: rows there are */
	size_t n_counted;        /* passing all but the `f` state filter */
	uint32_t by_state[TL_NSTATES]; /* of n_counted, per current state */
	struct conn **rows;      /* the selected rows, in order */
	size_t n_rows;
	struct conn **all;       /* scratch: every match of this refresh */
	/* view_begin_top: the best `top` matches kept as copies as they come
	 * (a bounded heap, rows[] pointing into `kept`), no pointer to any
	 * other: the table hands over a compact connection as a copy valid
	 * only during view_add (conntab_cold.c). Shallow: a copy's rare parts
	 * (conn_extra.h) are the table's, read before the snapshot ends. */
	size_t top;              /* 0: every match kept by pointer (view_begin) */
	struct conn *kept;
	size_t cap_kept;
	uint64_t top_rk;         /* with `keyed`, the heap root's sort key */
	uint64_t *keys;          /* beside `all`, with `keyed`: each one's sort key (view.c) */
	bool keyed;
	size_t cap_all;
	size_t max_rows;
	bool oom;                /* a row could not be kept this refresh */
	uint64_t refresh_ns;     /* how long the last gather + select took */
	struct view_sort sorting; /* view_select's sort of every row, in steps */
	double events_per_s;
	uint64_t last_records, last_ns;

	/* Totals since start: closed connections (view_closed) plus the
	 * open ones of this refresh. */
	uint64_t closed_total;
	uint64_t closed_rtx[4], closed_rst[2];
	uint64_t open_rtx[4], open_rst[2];

	/* `H`: per state, the time the connections closed since the start
	 * spent there: every state on a path but CLOSE, once, when measured
	 * (the rule of agg.h's histograms and of the closed rows). */
	struct hist hist[TL_NSTATES];
	uint8_t hist_state;      /* the state the pane shows */

	/* Recently closed: a ring of copies, newest last. */
	struct conn *closed;
	size_t closed_cap, closed_n, closed_head; /* head: index of the oldest */
	uint64_t closed_seq;     /* connections ever put in the ring */
};

/* Column names as the header shows them, and a column's natural order
 * (times and counts: largest first). */
const char *view_col_name(enum view_col c);

/* `closed_cap`: how many recently closed connections to keep (>= 1).
 * Returns 0 or -ENOMEM. */
int view_init(struct view *v, uint32_t cli_states, size_t closed_cap);
void view_fini(struct view *v);
/* A connection that ended (a sink's conn op); open ones (written at exit)
 * are ignored. */
void view_closed(struct view *v, const struct conn *c);

/* A refresh: view_begin, view_add for every open connection, view_end.
 * view_end keeps the first `max_rows` (SIZE_MAX: all) matches in sort
 * order; returns 0 or -ENOMEM (the rows of the previous refresh are kept
 * then, and n_rows is 0). */
void view_begin(struct view *v, uint64_t now_ns);
/* A refresh that will show at most `max_rows` (>= 1), the only kind
 * whose view_add may be handed a connection that is gone once it returns
 * (the live view: the table then keeps idle connections compact). Its
 * view_end must be given the same max_rows. */
void view_begin_top(struct view *v, uint64_t now_ns, size_t max_rows);
void view_add(struct view *v, struct conn *c);
int view_end(struct view *v, size_t max_rows, const struct view_stats *st);
/* view_end in steps, for a snapshot of every row (--batch) that must not
 * keep the ring buffer unread for a second: view_select picks the rows
 * (the top `max_rows` are sorted at once; when every match is kept they
 * are sorted by the steps), then view_sort_step does about VIEW_STEP_ROWS
 * rows' work per call and returns false once v->rows is in order. */
int view_select(struct view *v, size_t max_rows, const struct view_stats *st);
bool view_sort_step(struct view *v);

/* When the next refresh is due: `interval_ns` after `start_ns`, or
 * VIEW_BUSY_FACTOR times what this one took (`cost_ns`), whichever is
 * later, so refreshes take at most a tenth of the loader's time and the
 * ring buffer is read in between. Sets *stretched when the cost decided. */
#define VIEW_BUSY_FACTOR 10
uint64_t view_next_ns(uint64_t start_ns, uint64_t cost_ns, uint64_t interval_ns, bool *stretched);
/* A snapshot's step: rows walked, sorted or printed between two reads of
 * the ring buffer by main's loop. */
#define VIEW_STEP_ROWS 4096

/* Cells of a row (now: the refresh's time). */
void view_fmt_row(const struct view *v, const struct conn *c, struct view_row *r);
void view_fmt_closed(const struct view *v, const struct conn *c, struct view_closed_row *r);
/* Does `c` pass every filter (--state, `f`, `p`, `/`)? */
bool view_wants(const struct view *v, const struct conn *c);
/* The closed connection kept `age` places back (0 = newest), or NULL. */
const struct conn *view_closed_at(const struct view *v, size_t age);
/* The i-th most recent closed connection passing the filters (0 = newest),
 * or NULL. */
const struct conn *view_closed_nth(const struct view *v, size_t i);

/* A duration to read at a glance, at most 7 columns: "850us", "12.3ms",
 * "1.25s", "59.9s", "12m03s", "5h02m", "3d04h". */
void view_dur(uint64_t ns, char *buf, size_t n);

/* Header lines (text, no trailing newline). Each returns the length. */
size_t view_hdr_top(const struct view *v, const struct view_stats *st, char *buf, size_t n);
/* Returns true when something was lost: shown prominently. */
bool view_hdr_drops(const struct view_stats *st, char *buf, size_t n);
size_t view_hdr_states(const struct view *v, char *buf, size_t n);
size_t view_hdr_totals(const struct view *v, const struct view_stats *st, char *buf, size_t n);
size_t view_hdr_mode(const struct view *v, char *buf, size_t n);
/* The column header and a row as one fixed-width text line. */
size_t view_line_head(const struct view *v, char *buf, size_t n);
/* Where column `c` sits in view_line_head's line. */
void view_col_span(const struct view *v, enum view_col c, size_t *start, size_t *width);
size_t view_line_row(const struct view *v, const struct view_row *r, char *buf, size_t n);
/* The closed rows' column header, with the count closed since the start. */
size_t view_line_closed_head(const struct view *v, char *buf, size_t n);
size_t view_line_closed(const struct view *v, const struct view_closed_row *r, char *buf,
			size_t n);

/* The histogram pane (`H`). It opens on the `f` filter's state if one is
 * set, else the first --state, else `top_state`: the state of the table's
 * top row (-1: no row), else the first state with data. */
void view_hist_open(struct view *v, int top_state);
/* To the next (dir > 0) or previous state with data, wrapping around;
 * unchanged when no state has any. */
void view_hist_cycle(struct view *v, int dir);
/* The pane's title: the state, the count and the longest time there. */
size_t view_hist_head(const struct view *v, char *buf, size_t n);
/* The bucket lines of the pane's state (hist_line's, bars `bar_w` wide):
 * how many there are, and the i-th. */
size_t view_hist_lines(const struct view *v);
void view_hist_line(const struct view *v, size_t i, unsigned int bar_w, char *buf, size_t n);

/* Interactive filters from the user's text. 0, or -EINVAL (unchanged):
 * state "" = every state, else a name state_parse() knows; pid "" = every
 * owner, else 1..INT_MAX; search "" = none. */
int view_set_state(struct view *v, const char *text);
int view_set_pid(struct view *v, const char *text);
int view_set_search(struct view *v, const char *text);

#endif /* TL_VIEW_H */
