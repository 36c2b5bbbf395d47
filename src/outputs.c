// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "conn_acct.h"
#include "outputs.h"
#include "sink.h"

static int add(struct outputs *out, const struct sink_ops *ops, const char *path,
	       const struct sink_opts *so)
{
	struct sink *s = sink_open(ops, path, so);

	if (!s) {
		int err = -errno;

		/* The live view has said itself why the terminal would not do. */
		if (sink_refused())
			log_err("cannot write %s output to '%s': %s", ops->name, path, sink_refused());
		else if (ops != &sink_live_ops || err != -ENOTTY)
			log_err("cannot write %s output to '%s': %s", ops->name, path, strerror(-err));
		return err;
	}
	/* The live view and --batch apply --state themselves: their totals
	 * count every connection. */
	out->by_state[out->n] = out->once || ops == &sink_text_ops || ops == &sink_stream_ops;
	out->paths[out->n] = path;
	out->sinks[out->n++] = s;
	return 0;
}

/* What stdout shows when no file sink took it. A chosen mode wins; with a
 * --csv/--json FILE stdout keeps the per-connection lines (a record is
 * being kept: show each as it ends, as before the live view existed);
 * bare, a person at a terminal gets the live view and a pipe snapshots, as
 * top and top -b do. */
static const struct sink_ops *stdout_sink(const struct options *o)
{
	if (o->stream)
		return &sink_stream_ops;
	if (o->live)
		return &sink_live_ops;
	if (o->once)
		return &sink_once_ops;
	if (o->batch)
		return &sink_batch_ops;
	if (o->lines || o->csv_path || o->json_path)
		return &sink_text_ops;
	return isatty(STDOUT_FILENO) ? &sink_live_ops : &sink_batch_ops;
}

/* The metrics sink says itself why it could not start (the address, the
 * file): one line. */
static int add_metrics(struct outputs *out, const struct options *o, const struct sink_opts *so)
{
	struct sink_opts mo = *so;
	struct sink *s;

	mo.opts = o;
	s = sink_metrics_open(&mo);

	if (!s)
		return -errno;
	out->paths[out->n] = "-";
	out->metrics = out->sinks[out->n++] = s;
	return 0;
}

int outputs_open(struct outputs *out, const struct options *o, const struct timeconv *tc)
{
	struct sink_opts so = {
		.wide = o->wide, .tc = tc, .interval_ms = (o->interval_s ? o->interval_s : 1) * 1000,
		.count = o->count, .state_mask = o->state_mask,
	};
	bool stdout_taken = false;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (connerr_init(&out->ce))
		return -ENOMEM;
	out->state_mask = o->state_mask;
	out->once = o->once;
	if (o->csv_path) {
		err = add(out, &sink_csv_ops, o->csv_path, &so);
		stdout_taken |= !strcmp(o->csv_path, "-");
	}
	if (!err && o->json_path) {
		err = add(out, &sink_json_ops, o->json_path, &so);
		stdout_taken |= !strcmp(o->json_path, "-");
	}
	if (!err && !stdout_taken && !cli_metrics_only(o))
		err = add(out, stdout_sink(o), "-", &so);
	if (!err && (o->metrics || o->metrics_file))
		err = add_metrics(out, o, &so);
	if (err) {
		outputs_close(out);
		return err;
	}
	return 0;
}

static void note(struct outputs *out, int err)
{
	if (err && !out->err)
		out->err = err;
}

void outputs_conn(void *ctx, const struct conn *c)
{
	struct outputs *out = ctx;
	bool in = conn_in_states(c, out->state_mask);

	if (out->once && c->closed)
		return; /* closed while seeding: not open now */
	for (int i = 0; i < out->n; i++)
		if (in || !out->by_state[i])
			note(out, sink_conn(out->sinks[i], c));
}

void outputs_alert(struct outputs *out, const struct cw_alert *a)
{
	for (int i = 0; i < out->n; i++)
		note(out, sink_alert(out->sinks[i], a));
}

void outputs_cw_summary(struct outputs *out, const struct cw_proc *p, size_t n)
{
	for (int i = 0; i < out->n; i++)
		note(out, sink_cw_summary(out->sinks[i], p, n));
}

void outputs_connect_error(void *ctx, const struct conn_error *ce)
{
	struct outputs *out = ctx;

	connerr_add(&out->ce, ce); /* a line it had no memory for is counted (unlisted) */
	for (int i = 0; i < out->n; i++)
		note(out, sink_connect_error(out->sinks[i], ce));
}

void outputs_listeners(struct outputs *out, const struct lsn_snap *snap, uint64_t at_ns)
{
	for (int i = 0; i < out->n; i++)
		note(out, sink_listeners(out->sinks[i], snap, at_ns));
}

void outputs_listen_overflow(struct outputs *out, const struct lsn_burst *b, uint64_t now_ns)
{
	for (int i = 0; i < out->n; i++)
		note(out, sink_listen_overflow(out->sinks[i], b, now_ns));
}

void outputs_transition(void *ctx, const struct transition *t)
{
	struct outputs *out = ctx;

	for (int i = 0; i < out->n; i++)
		note(out, sink_transition(out->sinks[i], t));
}

void outputs_summary(struct outputs *out, const struct summary *s)
{
	for (int i = 0; i < out->n; i++) {
		note(out, sink_connerr_summary(out->sinks[i], &out->ce));
		note(out, sink_summary(out->sinks[i], s));
	}
}

int outputs_tick(struct outputs *out, uint64_t now_ns)
{
	int done = 0;

	for (int i = 0; i < out->n; i++) {
		int rc = sink_tick(out->sinks[i], now_ns);

		if (rc == SINK_DONE)
			done = 1;
		else
			note(out, rc);
	}
	return done;
}

bool outputs_snapping(const struct outputs *out)
{
	for (int i = 0; i < out->n; i++)
		if (out->sinks[i]->snapping)
			return true;
	return false;
}

bool outputs_keep_rows(const struct outputs *out)
{
	for (int i = 0; i < out->n; i++)
		if (out->sinks[i]->ops->keeps_rows)
			return true;
	return false;
}

/* What the other sinks dropped so far, as outputs_account counts it. */
static uint64_t output_lost(const struct outputs *out)
{
	uint64_t n = out->lost;

	for (int i = 0; i < out->n; i++)
		if (out->sinks[i] != out->metrics)
			n += sink_lost(out->sinks[i]);
	return n;
}

bool outputs_want_listeners(const struct outputs *out)
{
	for (int i = 0; i < out->n; i++)
		if (out->sinks[i]->snapping && out->sinks[i]->want_listeners)
			return true;
	return false;
}

void outputs_snap_begin(struct outputs *out, const struct view_stats *st, uint64_t now_ns)
{
	if (out->metrics)
		sink_metrics_lost_output(out->metrics, output_lost(out));
	for (int i = 0; i < out->n; i++)
		sink_snap_begin(out->sinks[i], st, now_ns);
}

void outputs_snap_row(struct outputs *out, struct conn *c)
{
	for (int i = 0; i < out->n; i++)
		sink_snap_row(out->sinks[i], c);
}

bool outputs_snap_step(struct outputs *out, int *done)
{
	bool more = false;

	for (int i = 0; i < out->n; i++) {
		int rc = sink_snap_step(out->sinks[i]);

		if (rc == SINK_MORE)
			more = true;
		else if (rc == SINK_DONE)
			*done = 1;
		else
			note(out, rc);
	}
	return more;
}

/* The old sink's records are all out (or counted lost) before it goes. */
static void retire(struct outputs *out, struct sink *old)
{
	note(out, sink_flush(old));
	out->lost += sink_lost(old);
	note(out, sink_close(old));
}

int outputs_reopen(struct outputs *out)
{
	struct sink *n;
	int failed = 0, rc;

	for (int i = 0; i < out->n; i++) {
		if (!strcmp(out->paths[i], "-"))
			continue;
		rc = sink_reopen(out->sinks[i], out->paths[i], &n);
		if (rc) {
			log_err("cannot reopen %s output '%s': %s; still writing to the file opened before",
				out->sinks[i]->ops->name, out->paths[i],
				sink_refused() ? sink_refused() : strerror(-rc));
			failed++;
			continue;
		}
		if (!n) {
			log_info("%s output '%s' is still the file being written: not reopened",
				 out->sinks[i]->ops->name, out->paths[i]);
			continue;
		}
		retire(out, out->sinks[i]);
		out->sinks[i] = n;
		log_info("reopened %s output '%s'", n->ops->name, out->paths[i]);
	}
	return failed;
}

void outputs_flush(struct outputs *out)
{
	for (int i = 0; i < out->n; i++)
		note(out, sink_flush(out->sinks[i]));
}

void outputs_flush_due(struct outputs *out, uint64_t now_ns, bool idle)
{
	if (!idle && now_ns - out->flushed_ns < OUTPUTS_FLUSH_NS)
		return;
	outputs_flush(out);
	out->flushed_ns = now_ns;
}

void outputs_account(struct outputs *out, struct summary *s)
{
	outputs_flush(out);
	s->not_written = out->lost;
	for (int i = 0; i < out->n; i++)
		s->not_written += sink_lost(out->sinks[i]);
	s->out_err = out->err;
	s->connect_errors = out->ce.total;
}

int outputs_close(struct outputs *out)
{
	/* Flushed first so that what the last writes dropped is counted
	 * before the sinks go. */
	outputs_flush(out);
	for (int i = 0; i < out->n; i++) {
		out->lost += sink_lost(out->sinks[i]);
		note(out, sink_close(out->sinks[i]));
	}
	out->n = 0;
	connerr_fini(&out->ce);
	return out->err;
}
