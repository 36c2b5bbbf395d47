/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The set of sinks one run writes to, chosen from the options: --csv and
 * --json files, plus text or --stream on stdout unless a file sink took it
 * (or the metrics are the only output: a daemon), plus the metrics. */
#ifndef TL_OUTPUTS_H
#define TL_OUTPUTS_H

#include <stdbool.h>
#include "cli.h"
#include "conn.h"
#include "connerr.h"
#include "timefmt.h"

#define MAX_SINKS 4 /* --csv, --json, stdout, the metrics */

struct outputs {
	struct sink *sinks[MAX_SINKS];
	const char *paths[MAX_SINKS]; /* as given; "-" = stdout */
	bool by_state[MAX_SINKS]; /* --state applies to this sink */
	int n;
	int err; /* first write error, -errno */
	uint64_t flushed_ns; /* last timed flush (outputs_flush_due) */
	uint64_t lost;       /* records that did not reach an output (outputs_close) */
	uint32_t state_mask; /* --state; 0 = all */
	bool once;           /* --once: open connections only */
	struct sink *metrics; /* also in sinks[]: told the other sinks' losses */
	struct connerr_tab ce; /* the failed connect()s, per process and destination */
};

/* Opens every sink; on failure prints one error line naming the file,
 * closes what it opened and returns -errno. */
int outputs_open(struct outputs *out, const struct options *o, const struct timeconv *tc);
void outputs_conn(void *ctx, const struct conn *c);
void outputs_transition(void *ctx, const struct transition *t);
void outputs_summary(struct outputs *out, const struct summary *s);
void outputs_alert(struct outputs *out, const struct cw_alert *a);
void outputs_cw_summary(struct outputs *out, const struct cw_proc *p, size_t n);
/* The table's connect_error callback: counted in out->ce, told to every
 * sink. outputs_summary writes the per-process and destination lines
 * before each sink's summary. */
void outputs_connect_error(void *ctx, const struct conn_error *ce);
/* --listeners in a run: a listing, a burst that ended (sink.h). */
struct lsn_snap;
struct lsn_burst;
void outputs_listeners(struct outputs *out, const struct lsn_snap *snap, uint64_t at_ns);
void outputs_listen_overflow(struct outputs *out, const struct lsn_burst *b, uint64_t now_ns);
/* Every poll tick: the live view's keys, and whether the live view or
 * --batch wants a snapshot (outputs_snapping). Returns 1 when one of them
 * is finished (q), else 0; errors go to out->err. */
int outputs_tick(struct outputs *out, uint64_t now_ns);
/* A snapshot of the open connections for the sinks whose tick asked for
 * one, driven by main's loop (ingest.c): begin, a row for every open
 * connection, then steps while outputs_snap_step returns true. *done is
 * set when a sink finished (-n COUNT reached); errors go to out->err. */
struct view_stats;
bool outputs_snapping(const struct outputs *out);
/* Whether a sink keeps the connections a snapshot hands it (--batch: the
 * live view keeps copies): the table must then keep them whole (conntab_cfg.cold). */
bool outputs_keep_rows(const struct outputs *out);
/* Whether a snapping sink wants the listeners with it (the live view's
 * listener pane): main's loop lists them first (view_stats.lsn). */
bool outputs_want_listeners(const struct outputs *out);
void outputs_snap_begin(struct outputs *out, const struct view_stats *st, uint64_t now_ns);
void outputs_snap_row(struct outputs *out, struct conn *c);
bool outputs_snap_step(struct outputs *out, int *done);
/* Every poll round: flush the buffered outputs when the round read no
 * records (`idle`) or OUTPUTS_FLUSH_NS after the last flush, so a finished
 * record reaches its file (and a tail -f) within a second. */
#define OUTPUTS_FLUSH_NS 500000000ULL
void outputs_flush_due(struct outputs *out, uint64_t now_ns, bool idle);
/* SIGUSR1: every file sink moves to a new file of the same name (sink_reopen),
 * after writing all it had to the old one, so that a rotation loses and
 * repeats no record; the timed flush then applies to the new file. A file
 * that cannot be opened: one error line, and that sink keeps writing the
 * file it had (as nginx does: a full disk or a bad permission at 3 a.m.
 * must not cost the records). Returns how many sinks were not reopened. */
int outputs_reopen(struct outputs *out);
/* Flush all now; errors go to out->err. */
void outputs_flush(struct outputs *out);
/* Flush, then put in s what did not reach an output so far (not_written,
 * out_err), so that no summary claims a record it could not write. */
void outputs_account(struct outputs *out, struct summary *s);
/* Flush and close all, adding the records that did not reach an output to
 * out->lost; returns the first error seen, -errno, or 0 (-ETIMEDOUT: a
 * reader stopped reading and shutdown gave up on it, outfd.h). */
int outputs_close(struct outputs *out);
#endif /* TL_OUTPUTS_H */
