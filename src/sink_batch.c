// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --batch (and the default when stdout is not a terminal): the live view's
 * table as plain-text snapshots every -i SECS, like `top -b`, for pipes and
 * scripts. Each snapshot is the header lines, every open connection that
 * passes the filters in sort order (longest in its state first), then the
 * connections that closed since the previous snapshot, oldest first, and a
 * blank line. Closed connections beyond what the ring keeps between two
 * snapshots are counted, never dropped silently.
 *
 * With a million open connections a snapshot takes seconds, during which
 * the ring buffer must still be read. So a snapshot is taken in steps of
 * VIEW_STEP_ROWS rows sorted or printed (sink_ops.snap_step), main's loop
 * reading the ring buffer in between into a backlog applied after it
 * (ingest.c), and one that took more than a tenth of -i puts the next one
 * off (view_next_ns), saying so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include "sink.h"
#include "timefmt.h"
#include "view.h"

/* Closed connections kept between two snapshots; past this many the
 * snapshot says how many it could not show. */
#define BATCH_CLOSED_MAX 8192
#define LINE_MAX_LEN 512

/* Where a snapshot is (batch_snap_step). */
enum batch_phase { BATCH_SELECT = 0, BATCH_SORT, BATCH_ROWS };

struct batch {
	struct view v;
	uint64_t next_ns;
	uint32_t done;
	uint64_t printed_seq; /* view.closed_seq at the last snapshot */
	/* The snapshot being taken. */
	struct view_stats st;
	uint64_t now_ns;
	enum batch_phase phase;
	size_t printed;       /* rows printed so far */
};

static int batch_begin(struct sink *s)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	if (view_init(&b->v, s->o.state_mask, BATCH_CLOSED_MAX)) {
		free(b);
		return -ENOMEM;
	}
	b->v.wide = s->o.wide;
	s->priv = b;
	return 0;
}

static int batch_conn(struct sink *s, const struct conn *c)
{
	view_closed(&((struct batch *)s->priv)->v, c);
	return 0;
}

static void put_header(struct sink *s, const struct view *v, const struct view_stats *st)
{
	char line[LINE_MAX_LEN];

	view_hdr_top(v, st, line, sizeof(line));
	fprintf(s->f, "%s\nhooks: %s\n", line, st->tiers ? st->tiers : "?");
	view_hdr_drops(st, line, sizeof(line));
	fprintf(s->f, "%s\n", line);
	view_hdr_states(v, line, sizeof(line));
	fprintf(s->f, "%s\n", line);
	view_hdr_totals(v, st, line, sizeof(line));
	fprintf(s->f, "%s\n", line);
	view_hdr_mode(v, line, sizeof(line));
	fprintf(s->f, "%s\n\n", line);
}

static void put_closed(struct sink *s, struct batch *b)
{
	uint64_t fresh = b->v.closed_seq - b->printed_seq;
	size_t kept = fresh < b->v.closed_n ? (size_t)fresh : b->v.closed_n;
	struct view_closed_row cr;
	char line[LINE_MAX_LEN];
	bool head = false;

	b->printed_seq = b->v.closed_seq;
	if (fresh > kept)
		fprintf(s->f, "# %" PRIu64 " connections closed since the last snapshot are not "
			"shown (more than %d); --csv FILE records every one\n", fresh - kept,
			BATCH_CLOSED_MAX);
	for (size_t age = kept; age-- > 0;) {
		const struct conn *c = view_closed_at(&b->v, age);

		if (!c || !view_wants(&b->v, c))
			continue;
		if (!head) {
			view_line_closed_head(&b->v, line, sizeof(line));
			fprintf(s->f, "closed since the last snapshot:\n%s\n", line);
			head = true;
		}
		view_fmt_closed(&b->v, c, &cr);
		view_line_closed(&b->v, &cr, line, sizeof(line));
		fprintf(s->f, "%s\n", line);
	}
}

static int batch_tick(struct sink *s, uint64_t now_ns)
{
	struct batch *b = s->priv;

	return now_ns < b->next_ns ? 0 : SINK_SNAP;
}

static void batch_snap_begin(struct sink *s, const struct view_stats *st, uint64_t now_ns)
{
	struct batch *b = s->priv;

	b->st = *st;
	b->now_ns = now_ns;
	b->phase = BATCH_SELECT;
	b->printed = 0;
	view_begin(&b->v, now_ns);
}

static void batch_snap_row(struct sink *s, struct conn *c)
{
	view_add(&((struct batch *)s->priv)->v, c);
}

/* The header, once the rows are in order: the header says how long
 * gathering and sorting them took. */
static int batch_sort(struct sink *s, struct batch *b)
{
	char line[LINE_MAX_LEN];

	if (view_sort_step(&b->v))
		return SINK_MORE;
	b->v.refresh_ns = mono_now_ns() - b->now_ns;
	put_header(s, &b->v, &b->st);
	view_line_head(&b->v, line, sizeof(line));
	fprintf(s->f, "%s\n", line);
	b->phase = BATCH_ROWS;
	return SINK_MORE;
}

static void put_rows(struct sink *s, struct batch *b)
{
	size_t end = b->printed + VIEW_STEP_ROWS < b->v.n_rows ? b->printed + VIEW_STEP_ROWS
							       : b->v.n_rows;
	struct view_row r;
	char line[LINE_MAX_LEN];

	for (; b->printed < end; b->printed++) {
		view_fmt_row(&b->v, b->v.rows[b->printed], &r);
		view_line_row(&b->v, &r, line, sizeof(line));
		fprintf(s->f, "%s\n", line);
	}
}

/* The closed connections, and whether the next snapshot is put off. */
static int batch_finish(struct sink *s, struct batch *b)
{
	uint64_t now_ns = b->now_ns, cost;
	bool stretched;

	put_closed(s, b);
	cost = mono_now_ns() - now_ns;
	b->next_ns = view_next_ns(now_ns, cost, (uint64_t)s->o.interval_ms * 1000000, &stretched);
	if (stretched)
		fprintf(s->f, "# this snapshot took %" PRIu64 ".%03" PRIu64 " s: the next one comes "
			"%" PRIu64 ".%03" PRIu64 " s after it, not -i %u s, so that events are read in between\n",
			cost / 1000000000, cost / 1000000 % 1000,
			(b->next_ns - now_ns) / 1000000000, (b->next_ns - now_ns) / 1000000 % 1000,
			s->o.interval_ms / 1000);
	fputc('\n', s->f);
	/* A script reading the pipe wants each snapshot whole, when taken. */
	fflush(s->f);
	if (ferror(s->f))
		return -EIO;
	return s->o.count && ++b->done >= s->o.count ? SINK_DONE : 0;
}

/* One step: select, then a run sorted or merged, then VIEW_STEP_ROWS
 * rows printed at a time, then the closed ones. */
static int batch_snap_step(struct sink *s)
{
	struct batch *b = s->priv;
	int rc;

	switch (b->phase) {
	case BATCH_SELECT:
		rc = view_select(&b->v, SIZE_MAX, &b->st);
		if (rc)
			return rc;
		b->phase = BATCH_SORT;
		return SINK_MORE;
	case BATCH_SORT:
		return batch_sort(s, b);
	case BATCH_ROWS:
		put_rows(s, b);
		if (b->printed < b->v.n_rows)
			return ferror(s->f) ? -EIO : SINK_MORE;
		b->phase = BATCH_SELECT;
		return batch_finish(s, b);
	}
	return -EINVAL;
}

static int batch_end(struct sink *s)
{
	struct batch *b = s->priv;

	if (b) {
		view_fini(&b->v);
		free(b);
		s->priv = NULL;
	}
	return 0;
}

const struct sink_ops sink_batch_ops = {
	.name = "batch",
	.begin = batch_begin,
	.conn = batch_conn,
	.summary = sink_text_summary,
	.alert = sink_text_alert,
	.cw_summary = sink_text_cw_summary,
	.tick = batch_tick,
	.snap_begin = batch_snap_begin,
	.snap_row = batch_snap_row,
	.keeps_rows = true,
	.snap_step = batch_snap_step,
	.end = batch_end,
};
