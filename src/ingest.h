/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one ingestion loop: poll the ring buffer, decode each record, apply
 * it to the connection table; then the periodic work (timewait listings,
 * CLOSE_WAIT alerts, the listener listings' results) and the outputs' tick. Data flows one way: ring
 * buffer -> table -> (snapshot) -> sinks. No sink reads the ring buffer
 * or the table itself.
 *
 * A snapshot (the live view, --batch) points into the table, so no record
 * may be applied while it is taken; but with a million open connections
 * taking it lasts seconds, and the kernel's ring buffer (8 MiB) would
 * overflow meanwhile. So the loop takes it in steps (outputs_snap_*): it
 * walks the table handing each open connection over, then lets the sinks
 * sort and print VIEW_STEP_ROWS rows at a time, and every VIEW_STEP_ROWS
 * rows walked and between two steps reads the ring buffer into a backlog
 * (backlog.h). Once the snapshot is done the backlog is applied in order,
 * the ring buffer still read into its tail meanwhile. Past INGEST_HELD_MAX
 * bytes the records are left to the kernel's ring buffer, whose drops are
 * counted: a loader that cannot keep up must not grow without bound.
 */
#ifndef TL_INGEST_H
#define TL_INGEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backlog.h"
#include "lsncount.h"

struct conntab;
struct tracer;
struct outputs;
struct sockwatch;
struct alerts;
struct lsnwatch;
struct view_stats;

#define INGEST_HELD_MAX (256u << 20)

struct ingest {
	struct conntab *ct;
	struct tracer *tr;    /* NULL: nothing to read (not started, detached) */
	uint64_t records;     /* ring-buffer records applied */
	uint64_t bad_records; /* of those, not decoded */
	uint64_t start_ns;    /* when tracing began */
	char tiers[512];      /* tracer_tiers_line, for the views' header */
	struct backlog held;  /* records read while a snapshot is taken */
	bool holding;         /* ingest_record holds, not applies */
	bool held_oom;
	struct lsnwatch *lw;  /* --listeners in the run: the pane shows its listing */
	struct lsncount lc;   /* the listeners' SYN-ACK retransmits, half-opens */
};

/* What main's loop needs besides the ingest state. */
struct ingest_loop {
	struct outputs *out;
	struct sockwatch *sw;
	struct alerts *al;
	struct lsnwatch *lw;            /* --listeners; NULL without */
	uint64_t deadline_ns;           /* -d: 0 = none */
	volatile sig_atomic_t *stop;    /* SIGINT, SIGTERM, SIGHUP */
	volatile sig_atomic_t *reopen;  /* SIGUSR1: logrotate moved the files */
};

/* The tracer's (and the seed's) record_fn: decode and apply one record, or
 * hold it while a snapshot is taken. -ENOMEM ends libbpf's loop when the
 * backlog cannot grow. */
int ingest_record(void *ctx, void *data, size_t size);
/* The views' header counters: records, the table's and the tracer's. */
void ingest_stats(struct ingest *in, struct view_stats *vs);
/* Take the snapshot the outputs' tick asked for (see above). Returns 1 when
 * a sink finished with it (-n COUNT), else 0. */
int ingest_snapshot(struct ingest *in, struct outputs *out, uint64_t now_ns);
/* Apply what was held, in order. 0, or -ENOMEM (said) when the backlog
 * could not grow. */
int ingest_release(struct ingest *in);
/* Poll until a stop signal, the deadline, q or -n COUNT, or an output
 * error. 0, or -errno after saying why (the ring buffer could not be read,
 * the backlog could not grow). */
int ingest_run(struct ingest *in, const struct ingest_loop *lp);
/* 0 or -ENOMEM. */
int ingest_init(struct ingest *in);
void ingest_fini(struct ingest *in);

#endif /* TL_INGEST_H */
