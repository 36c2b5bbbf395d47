/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The aggregates behind --metrics and --metrics-file: what a fleet's
 * monitoring wants from the connection records, as distributions and
 * counters rather than rows. Plain C, no I/O; fed by the metrics sink
 * (sink_metrics.c) and rendered by promtext.c.
 *
 * - Histograms (hist.h) of the time spent in each state a connection
 *   left, observed when its record is written as it ends (the same rows
 *   --csv writes, so `report` on that CSV gives the same counts), labelled
 *   by role and port: the local port for passive connections (the
 *   listener's), the remote port for active ones. Ports get a label of
 *   their own in the order they are first seen, up to max_ports; later
 *   ones share "other", so a series never changes label and counters stay
 *   monotonic. A connection of unknown role (open before the start, its
 *   side never learnt) does not say which port is the service's: "other".
 *   A closed connection has left every state on its path except CLOSE (a
 *   half-open request its SYN_RECV too); a state entered twice is one
 *   observation of its summed time.
 * - Counters of connections closed (role, close cause), retransmits by
 *   kind and resets by direction: the closed connections' counts plus the
 *   open ones' counts at the last walk, so a connection's retransmits
 *   show while it is open, and stay counted once when it closes. One that
 *   drops out of the walks before its record comes (it lingers ~100 ms)
 *   keeps its share meanwhile, so the totals never go back.
 * - Gauges from the last walk of the open connections: open connections
 *   by state; CLOSE_WAIT sockets and the oldest CLOSE_WAIT age by process
 *   name, the AGG_MAX_COMMS with most sockets, the rest as "other".
 * - Records lost by reason: totals the run's counters give.
 * - connect() failures by errno (connect_error), as they come.
 * - With --listeners, the listener families (lsnagg.h), per listening port.
 */
#ifndef TL_AGG_H
#define TL_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"
#include "hist.h"

#define AGG_MAX_PORTS_DEFAULT 64
#define AGG_MAX_PORTS_LIMIT 1024
#define AGG_MAX_COMMS 64

enum agg_retrans { AGG_RTX_SYN = 0, AGG_RTX_SYNACK, AGG_RTX_FIN, AGG_RTX_DATA, AGG_RTX_N };
enum agg_reset { AGG_RST_SENT = 0, AGG_RST_RECEIVED, AGG_RST_N };
enum agg_lost {
	AGG_LOST_RINGBUF = 0, /* "ringbuf_full" */
	AGG_LOST_MAP_FULL,    /* "map_full" */
	AGG_LOST_BAD,         /* "bad_record" */
	AGG_LOST_STALE,       /* "stale" */
	AGG_LOST_MISSED,      /* "missed_run" (kernel-skipped program runs) */
	AGG_LOST_GAPS,        /* "gap" */
	AGG_LOST_OUTPUT,      /* "output" (records that did not reach an output) */
	AGG_LOST_N,
};

struct agg;

/* max_ports: 1..AGG_MAX_PORTS_LIMIT. NULL when out of memory. */
struct agg *agg_new(unsigned int max_ports);
void agg_free(struct agg *a);

/* A connection's record as it ends (c->closed): one observation per state
 * left whose time is measured (conn_measured), its close cause, its
 * retransmits and resets. Records of open connections are ignored. */
void agg_closed(struct agg *a, const struct conn *c);

/* A walk of the open connections: begin, one row each, end. The gauges
 * are replaced at end; the counters take each row's growth as it comes
 * (only ever an increase). Not thread-safe: one thread feeds and reads. */
void agg_open_begin(struct agg *a);
void agg_open_row(struct agg *a, const struct conn *c, uint64_t now_ns);
void agg_open_end(struct agg *a);

/* Totals as the run's counters say now. */
void agg_set_lost(struct agg *a, enum agg_lost reason, uint64_t total);
/* SYN-ACK retransmits never joined to a connection (summary.synack_orphans):
 * counted in kind "synack". */
void agg_set_synack_orphans(struct agg *a, uint64_t total);

/* connect() failures (connect_error) by errno, 1..AGG_ERRNO_MAX; others
 * are not counted. */
#define AGG_ERRNO_MAX 4095
void agg_connect_error(struct agg *a, int err);
/* The count of errno `err`; agg_connect_errors_next() the next errno
 * above `after` that has one (0 when none), in increasing order. */
uint64_t agg_connect_errors(const struct agg *a, int err);
int agg_connect_errors_next(const struct agg *a, int after);
/* The listener families (lsnagg.h), off until enabled: 0 or -ENOMEM. */
int agg_listen_enable(struct agg *a);
/* NULL when not enabled. */
struct lsnagg *agg_listeners(const struct agg *a);

/* Label names, for the exposition. */
const char *agg_retrans_name(enum agg_retrans k); /* "syn", "synack", "fin", "data" */
const char *agg_reset_name(enum agg_reset d);     /* "sent", "received" */
const char *agg_lost_name(enum agg_lost r);

/* Read access, for promtext.c and the tests. A series is one label set. */
struct agg_hist_series {
	uint8_t state;  /* enum tl_tcp_state */
	uint8_t role;   /* enum conn_role */
	int32_t port;   /* -1: "other" */
	struct hist h;
};
size_t agg_hist_n(const struct agg *a);
/* In a stable order: state, role, then port ("other" last). */
const struct agg_hist_series *agg_hist_at(const struct agg *a, size_t i);
uint64_t agg_closed_count(const struct agg *a, unsigned int role, unsigned int cause);
uint64_t agg_open_count(const struct agg *a, unsigned int state);
uint64_t agg_retrans(const struct agg *a, enum agg_retrans k);
uint64_t agg_resets(const struct agg *a, enum agg_reset d);
uint64_t agg_lost(const struct agg *a, enum agg_lost r);
struct agg_cw_proc {
	char comm[TL_COMM_LEN + 1]; /* raw (NUL-terminated), or "other" */
	bool other;                 /* the processes past AGG_MAX_COMMS */
	bool unknown;               /* no owner known */
	uint64_t sockets;
	uint64_t oldest_ns;
};
size_t agg_cw_n(const struct agg *a);
/* Most sockets first, ties by name; "other" last. */
const struct agg_cw_proc *agg_cw_at(const struct agg *a, size_t i);

#endif /* TL_AGG_H */
