// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --metrics and --metrics-file: the connection records and a walk of the
 * open connections every -i SECS (and once at the start) folded into the
 * aggregates (agg.h), rendered (promtext.h) and published: handed to the
 * HTTP server's thread and/or written over the file atomically.
 *
 * Both exposition formats are rendered at each publication rather than at
 * each scrape: the aggregates belong to the main loop (agg.h: one thread),
 * and the server's thread reading them while a walk replaces the gauges
 * would need the loop to lock them for the walk. The worst case of the
 * default --max-ports, 297 histogram series (64 ports and "other", both
 * roles, every state), is 1.2 MB of text; both formats took 19 ms here,
 * once per interval, whatever the number of scrapers, and a scrape then
 * only copies a buffer.
 *
 * With --listeners, each listing of the listeners (lsnwatch.h) replaces
 * the listener families (lsnagg.h); the next publication shows it.
 *
 * At exit the connections still open come as records with `closed` false
 * (conntab_flush): they are the last walk, and the summary, with the run's
 * final counters, is the last publication, so a file (or a scrape racing
 * a SIGTERM) shows the run's totals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "cli.h"
#include "log.h"
#include "lsnagg.h"
#include "metrics_http.h"
#include "promtext.h"
#include "safeopen.h"
#include "sink.h"
#include "timefmt.h"
#include "view.h"

struct metrics {
	struct agg *agg;
	struct metrics_http *http; /* NULL without --metrics */
	const char *file;          /* NULL without --metrics-file */
	uint64_t interval_ns, due_ns, now_ns;
	uint64_t lost_output;      /* sink_metrics_lost_output */
	bool exit_walk;            /* the exit's open records are being folded in */
	int file_err;              /* the last write of the file failed: said once */
};

/* The file: a failure is said when it starts and when it ends, and the
 * next interval tries again; the file keeps its last complete version. */
static int write_file(struct metrics *m, const char *buf, size_t len)
{
	const char *why = NULL;
	int rc = safe_replace(m->file, buf, len, &why);

	if (rc && rc != m->file_err)
		log_err("cannot write metrics to '%s': %s", m->file, why ? why : strerror(-rc));
	else if (!rc && m->file_err)
		log_info("metrics written to '%s' again", m->file);
	m->file_err = rc;
	return rc;
}

/* 0, or -errno when the file could not be written (the caller decides
 * whether that ends the run: only at the start). */
static int publish(struct metrics *m)
{
	char *text = NULL, *om = NULL;
	size_t tlen = 0, olen = 0;
	int rc = 0;

	if (promtext_render(m->agg, PROM_TEXT, &text, &tlen)) {
		log_warn("out of memory rendering the metrics: the last ones are still served");
		return 0;
	}
	if (m->file)
		rc = write_file(m, text, tlen);
	if (!m->http) {
		free(text);
		return rc;
	}
	metrics_http_publish(m->http, PROM_TEXT, text, tlen);
	if (promtext_render(m->agg, PROM_OPENMETRICS, &om, &olen))
		log_warn("out of memory rendering the OpenMetrics text: the last one is still served");
	else
		metrics_http_publish(m->http, PROM_OPENMETRICS, om, olen);
	return rc;
}

static void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	metrics_http_stop(m->http);
	agg_free(m->agg);
	free(m);
}

static int start_http(struct metrics *m, const struct options *o)
{
	m->http = metrics_http_start((const struct sockaddr *)&o->metrics_sa, o->metrics_salen);
	if (!m->http) {
		int e = errno;

		log_err("cannot serve metrics on %s: %s", o->metrics_at, strerror(e));
		return -e;
	}
	log_info("serving metrics on http://%s/metrics", o->metrics_at);
	return 0;
}

static int metrics_begin(struct sink *s)
{
	const struct options *o = s->o.opts;
	struct metrics *m = calloc(1, sizeof(*m));
	int rc = -ENOMEM;

	if (!m || !(m->agg = agg_new(o->max_ports)) || (o->listeners && agg_listen_enable(m->agg))) {
		log_err("out of memory");
		goto fail;
	}
	m->file = o->metrics_file;
	m->interval_ns = (uint64_t)s->o.interval_ms * 1000000ULL;
	if (o->metrics && (rc = start_http(m, o)))
		goto fail;
	/* Written now: a directory that cannot take it is an error at the
	 * start, and the collector has a file (of zeros) at once. */
	rc = publish(m);
	if (rc)
		goto fail;
	s->priv = m;
	return 0;
fail:
	metrics_free(m);
	return rc;
}

static int metrics_conn(struct sink *s, const struct conn *c)
{
	struct metrics *m = s->priv;

	if (c->closed) {
		agg_closed(m->agg, c);
		return 0;
	}
	if (!m->exit_walk) {
		m->exit_walk = true;
		m->now_ns = mono_now_ns();
		agg_open_begin(m->agg);
	}
	agg_open_row(m->agg, c, m->now_ns);
	return 0;
}

static int metrics_connect_error(struct sink *s, const struct conn_error *ce)
{
	struct metrics *m = s->priv;

	agg_connect_error(m->agg, ce->err);
	return 0;
}

/* The run's loss counters as they stand (view_stats: the tracer's and the
 * table's; `output`: what other outputs dropped). */
static void take_counters(struct agg *a, const struct view_stats *st, uint64_t output)
{
	const uint64_t lost[AGG_LOST_N] = {
		[AGG_LOST_RINGBUF] = st->rb_drops, [AGG_LOST_MAP_FULL] = st->map_full,
		[AGG_LOST_BAD] = st->bad_records, [AGG_LOST_STALE] = st->stale,
		[AGG_LOST_MISSED] = st->missed, [AGG_LOST_GAPS] = st->gaps,
		[AGG_LOST_OUTPUT] = output,
	};

	for (int r = 0; r < AGG_LOST_N; r++)
		agg_set_lost(a, (enum agg_lost)r, lost[r]);
	agg_set_synack_orphans(a, st->synack_orphans);
}

/* The last publication: the run's final counters and the exit's open rows.
 * A file that cannot take it is an output error (exit status 1): it would
 * keep an older version of the run's totals. */
static int metrics_summary(struct sink *s, const struct summary *sum)
{
	struct metrics *m = s->priv;
	const struct view_stats st = {
		.rb_drops = sum->rb_drops, .map_full = sum->map_full, .bad_records = sum->bad_records,
		.stale = sum->stale, .missed = sum->missed, .gaps = sum->gaps,
		.synack_orphans = sum->synack_orphans,
	};

	take_counters(m->agg, &st, sum->not_written);
	if (!m->exit_walk)
		agg_open_begin(m->agg); /* nothing open at exit */
	agg_open_end(m->agg);
	m->exit_walk = false;
	return publish(m);
}

static int metrics_tick(struct sink *s, uint64_t now_ns)
{
	struct metrics *m = s->priv;

	if (now_ns < m->due_ns)
		return 0;
	m->due_ns = now_ns + m->interval_ns;
	return SINK_SNAP;
}

static void metrics_snap_begin(struct sink *s, const struct view_stats *st, uint64_t now_ns)
{
	struct metrics *m = s->priv;

	take_counters(m->agg, st, m->lost_output);
	m->now_ns = now_ns;
	agg_open_begin(m->agg);
}

static void metrics_snap_row(struct sink *s, struct conn *c)
{
	struct metrics *m = s->priv;

	agg_open_row(m->agg, c, m->now_ns);
}

static int metrics_snap_step(struct sink *s)
{
	struct metrics *m = s->priv;

	agg_open_end(m->agg);
	publish(m); /* a file that failed is said, and retried next time */
	return 0;
}

/* A listing of the listeners (--listeners): published with the next walk. */
static int metrics_listeners(struct sink *s, const struct lsn_snap *snap, uint64_t at_ns)
{
	struct metrics *m = s->priv;
	struct lsnagg *la = agg_listeners(m->agg);

	(void)at_ns;
	if (!la)
		return 0;
	lsnagg_begin(la);
	for (size_t i = 0; i < snap->n; i++)
		lsnagg_row(la, &snap->v[i]);
	lsnagg_end(la);
	return 0;
}

static int metrics_end(struct sink *s)
{
	metrics_free(s->priv);
	s->priv = NULL;
	return 0;
}

const struct sink_ops sink_metrics_ops = {
	.name = "metrics",
	.begin = metrics_begin,
	.conn = metrics_conn,
	.connect_error = metrics_connect_error,
	.summary = metrics_summary,
	.tick = metrics_tick,
	.snap_begin = metrics_snap_begin,
	.snap_row = metrics_snap_row,
	.snap_step = metrics_snap_step,
	.listeners = metrics_listeners,
	.end = metrics_end,
};

struct sink *sink_metrics_open(const struct sink_opts *o)
{
	return sink_open_bare(&sink_metrics_ops, o);
}

void sink_metrics_lost_output(struct sink *s, uint64_t n)
{
	struct metrics *m = s->priv;

	if (m)
		m->lost_output = n;
}
