// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Main's loop: poll -> decode -> apply, snapshots in steps (ingest.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "alerts.h"
#include "conntab.h"
#include "connerr_scan.h"
#include "decode.h"
#include "ingest.h"
#include "listen_scan.h"
#include "log.h"
#include "lsnwatch.h"
#include "outputs.h"
#include "sockwatch.h"
#include "timefmt.h"
#include "tracer.h"
#include "view.h"

#define POLL_MS 100

int ingest_record(void *ctx, void *data, size_t size)
{
	struct ingest *in = ctx;
	struct tl_rec e;

	if (in->holding) {
		if (backlog_push(&in->held, data, size)) {
			in->held_oom = true;
			return -ENOMEM; /* ends the loop: one error line, exit 1 */
		}
		return 0;
	}
	in->records++;
	if (decode_record(data, size, &e)) {
		in->bad_records++;
		return 0;
	}
	conntab_apply(in->ct, &e);
	return 0;
}

/* The kernel's drop counters are read only when a view refreshes. */
void ingest_stats(struct ingest *in, struct view_stats *vs)
{
	struct summary sum = {};
	struct tl_stats st;

	memset(vs, 0, sizeof(*vs));
	conntab_summary(in->ct, &sum);
	vs->records = in->records;
	vs->bad_records = in->bad_records;
	vs->synack_orphans = sum.synack_orphans;
	vs->healed = sum.healed;
	vs->start_ns = in->start_ns;
	vs->tiers = in->tiers;
	if (in->tr && !tracer_stats(in->tr, &st)) {
		vs->rb_drops = st.v[TL_STAT_RB_FULL];
		vs->map_full = st.v[TL_STAT_MAP_FULL];
		vs->stale = st.v[TL_STAT_STALE];
		vs->gaps = st.v[TL_STAT_GAPS];
		vs->missed = tracer_missed(in->tr);
	}
}

/* Read the ring buffer into the backlog, not into the table. */
static void hold_more(void *ctx)
{
	struct ingest *in = ctx;

	if (!in->tr || in->held_oom || in->held.len >= INGEST_HELD_MAX)
		return;
	in->holding = true;
	tracer_drain(in->tr);
	in->holding = false;
}

struct walk {
	struct ingest *in;
	struct outputs *out;
	uint64_t n;
};

static void walk_one(void *ctx, struct conn *c)
{
	struct walk *w = ctx;

	outputs_snap_row(w->out, c);
	if (++w->n % VIEW_STEP_ROWS == 0)
		hold_more(w->in);
}

/* The listener pane's listing, a namespace per step, the ring buffer read
 * into the backlog between two: a host with many namespaces or listeners
 * must not stall it. Returns the listing's error, 0 with *s to free. */
static int list_listeners(struct ingest *in, struct lsn_snap *s, uint64_t *cost_ns)
{
	uint64_t t0 = mono_now_ns(), longest;
	struct lsn_scan sc;
	int r = lsn_scan_begin(&sc, true);
	size_t n_ns = sc.nsl.n;

	longest = mono_now_ns() - t0;
	for (int more = 1; !r && more > 0;) {
		uint64_t t, step;

		hold_more(in);
		t = mono_now_ns();
		more = lsn_scan_step(&sc);
		r = more < 0 ? more : 0;
		step = mono_now_ns() - t;
		longest = step > longest ? step : longest;
	}
	lsn_scan_free(&sc, r ? NULL : s);
	*cost_ns = mono_now_ns() - t0;
	/* The longest step is the longest the ring buffer went unread. */
	log_debug("listener pane: %zu listeners in %zu namespaces listed in %" PRIu64
		  " us, the longest step %" PRIu64 " us%s%s",
		  r ? 0 : s->n, n_ns, *cost_ns / 1000, longest / 1000, r ? ": " : "", r ? strerror(-r) : "");
	return r;
}

int ingest_snapshot(struct ingest *in, struct outputs *out, uint64_t now_ns)
{
	struct walk w = { .in = in, .out = out };
	struct lsn_snap ls = {};
	const struct lsn_snap *shared;
	struct view_stats st;
	uint64_t lsn_cost = 0;
	int done = 0, lsn_err = 0;
	bool listed;

	if (!outputs_snapping(out))
		return 0;
	listed = outputs_want_listeners(out);
	/* With --listeners the watch's thread lists them every -i already:
	 * its newest listing, not a second one of the same sockets. */
	shared = listed ? lsnwatch_last(in->lw) : NULL;
	if (listed && !shared) {
		lsn_err = list_listeners(in, &ls, &lsn_cost);
		now_ns = mono_now_ns();
	}
	ingest_stats(in, &st);
	st.connect_errors = out->ce.total;
	if (listed) {
		if (!shared) /* the watch's listing has them already */
			lsncount_fill(&in->lc, ls.v, ls.n);
		st.lsn = shared ? shared : lsn_err ? NULL : &ls;
		st.lsn_shared = shared != NULL;
		st.lsn_err = lsn_err;
		st.lsn_cost_ns = lsn_cost;
	}
	outputs_snap_begin(out, &st, now_ns);
	lsn_snap_free(&ls);
	conntab_foreach_open(in->ct, walk_one, &w);
	while (outputs_snap_step(out, &done))
		hold_more(in);
	return done;
}

/* Still reading the ring buffer into the backlog's tail every
 * VIEW_STEP_ROWS records applied: a large backlog takes a while. */
int ingest_release(struct ingest *in)
{
	uint64_t n;

	n = backlog_replay(&in->held, ingest_record, hold_more, VIEW_STEP_ROWS, in);
	if (in->held_oom) {
		log_err("out of memory holding the %" PRIu64 " records read during a snapshot", n + 1);
		return -ENOMEM;
	}
	return 0;
}

int ingest_run(struct ingest *in, const struct ingest_loop *lp)
{
	struct outputs *out = lp->out;
	int err, done;

	in->lw = lp->lw;
	while (!*lp->stop && !out->err) {
		uint64_t before = in->records, now;

		err = tracer_poll(in->tr, POLL_MS);
		if (err < 0 && err != -EINTR) {
			log_err("reading the ring buffer failed: %s", strerror(-err));
			return err;
		}
		if (*lp->reopen) {
			*lp->reopen = 0;
			outputs_reopen(out);
		}
		conntab_tick(in->ct, mono_now_ns());
		connerr_scan_due(&out->ce);
		sockwatch_poll(lp->sw, in->ct, mono_now_ns());
		alerts_tick(lp->al, mono_now_ns());
		lsnwatch_tick(lp->lw);
		now = mono_now_ns();
		done = outputs_tick(out, now);
		done |= ingest_snapshot(in, out, now);
		err = ingest_release(in);
		if (err)
			return err;
		outputs_flush_due(out, mono_now_ns(), in->records == before);
		if (done)
			break; /* q in the live view, or -n COUNT snapshots written */
		if (lp->deadline_ns && mono_now_ns() >= lp->deadline_ns)
			break;
	}
	return 0;
}

int ingest_init(struct ingest *in)
{
	memset(in, 0, sizeof(*in));
	return lsncount_init(&in->lc);
}

void ingest_fini(struct ingest *in)
{
	backlog_free(&in->held);
	lsncount_fini(&in->lc);
}
