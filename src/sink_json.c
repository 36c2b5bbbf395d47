// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON Lines: one object per line. A connection's keys are the CSV's
 * columns in their order (columns.c), null where the CSV cell is empty, so
 * the two outputs can be checked against each other field by field. */
#include <errno.h>
#include <inttypes.h>
#include "columns.h"
#include "conn_extra.h"
#include "connerr.h"
#include "listenstat.h"
#include "lsnburst.h"
#include "summary.h"
#include "sanitize.h"
#include "sink.h"

/* "tid", "fd" and "cgroup" of the owner, null where not known. */
static void json_owner_ids(FILE *f, const struct conn *c)
{
	if (c->owner_known)
		fprintf(f, ",\"tid\":%" PRIu32, c->owner.tid);
	else
		fputs(",\"tid\":null", f);
	if (c->owner_known && c->fd >= 0)
		fprintf(f, ",\"fd\":%" PRId32, c->fd);
	else
		fputs(",\"fd\":null", f);
	if (c->owner_known && c->cgroup)
		fprintf(f, ",\"cgroup\":%" PRIu64, c->cgroup);
	else
		fputs(",\"cgroup\":null", f);
}

/* Under the stream's lock (json_conn). */
static void json_cell(FILE *f, const struct cell *cell)
{
	switch (cell->kind) {
	case CELL_NONE:
		fputs_unlocked("null", f);
		break;
	case CELL_BARE:
		fputs_unlocked(cell->v, f);
		break;
	case CELL_NAME:
		putc_unlocked('"', f);
		fputs_unlocked(cell->v, f);
		putc_unlocked('"', f);
		break;
	case CELL_TEXT:
		json_write_string(f, cell->v);
		break;
	}
}

/* The owner's other holders: [{"pid":..,"fd":..,"comm":..}, ...]. */
static void json_others(FILE *f, const struct conn *c)
{
	fputs(",\"other_holders\":[", f);
	for (unsigned int i = 0; i < conn_n_others(c); i++) {
		const struct holder *h = &c->x->others[i];
		char hc[SINK_COMM_LEN];

		sanitize_text(h->comm, TL_COMM_LEN, hc, sizeof(hc));
		fprintf(f, "%s{\"pid\":%" PRIu32 ",\"fd\":%" PRId32 ",\"comm\":", i ? "," : "",
			h->pid, h->fd);
		json_write_string(f, hc);
		putc('}', f);
	}
	putc(']', f);
}

static int json_conn(struct sink *s, const struct conn *c)
{
	struct cell cell;
	FILE *f = s->f;

	/* One object per connection: the lock taken once, no printf for the
	 * cells (fmtnum.h says why). */
	flockfile(f);
	fputs_unlocked("{\"event\":\"conn\"", f);
	for (unsigned int i = 0; i < conn_columns(); i++) {
		conn_cell(sink_tc(s), c, i, &cell);
		fputs_unlocked(",\"", f);
		fputs_unlocked(conn_column_name(i), f);
		fputs_unlocked("\":", f);
		json_cell(f, &cell);
	}
	json_others(f, c);
	fputs_unlocked("}\n", f);
	funlockfile(f);
	return ferror(f) ? -EIO : 0;
}

static int json_alert(struct sink *s, const struct cw_alert *a)
{
	const struct conn *c = a->c;
	char laddr[SINK_ADDR_LEN], raddr[SINK_ADDR_LEN], comm[SINK_COMM_LEN], ms[32];
	FILE *f = s->f;

	fputs("{\"event\":\"close_wait\"", f);
	if (c->owner_known) {
		fprintf(f, ",\"pid\":%" PRIu32, c->owner.pid);
		json_owner_ids(f, c);
		comm_fmt(c, comm, sizeof(comm));
		fputs(",\"comm\":", f);
		json_write_string(f, comm);
	} else {
		fputs(",\"pid\":null,\"tid\":null,\"fd\":null,\"cgroup\":null,\"comm\":null", f);
	}
	addr_fmt(&c->tuple, true, laddr, sizeof(laddr));
	addr_fmt(&c->tuple, false, raddr, sizeof(raddr));
	fmt_ms(a->close_wait_ns, ms, sizeof(ms));
	fprintf(f, ",\"laddr\":\"%s\",\"lport\":%u,\"raddr\":\"%s\",\"rport\":%u,"
		"\"close_wait_ms\":%s,\"unread_bytes\":", laddr, (unsigned int)c->tuple.sport,
		raddr, (unsigned int)c->tuple.dport, ms);
	if (a->unread_bytes >= 0)
		fprintf(f, "%" PRId64, a->unread_bytes);
	else
		fputs("null", f);
	fprintf(f, ",\"seen_from\":\"%s\",\"alert\":%" PRIu32 "}\n", seen_from_name(c),
		c->cw_alerts);
	return ferror(f) ? -EIO : 0;
}

static int json_cw_summary(struct sink *s, const struct cw_proc *p, size_t n)
{
	char comm[SINK_COMM_LEN], ms[32];

	for (size_t i = 0; i < n; i++) {
		sanitize_text(p[i].comm, TL_COMM_LEN, comm, sizeof(comm));
		fmt_ms(p[i].oldest_ns, ms, sizeof(ms));
		fprintf(s->f, "{\"event\":\"close_wait_summary\",\"pid\":%" PRIu32 ",\"comm\":",
			p[i].pid);
		json_write_string(s->f, comm);
		fprintf(s->f, ",\"sockets\":%" PRIu32 ",\"oldest_ms\":%s,\"unread_bytes\":%" PRIu64
			",\"unread_unknown\":%" PRIu32 "}\n", p[i].sockets, ms, p[i].unread_bytes,
			p[i].unread_unknown);
	}
	return ferror(s->f) ? -EIO : 0;
}

/* A failed connect(): when, who, the destination it asked for, the errno's
 * name and the namespace (null where not known). */
static int json_connect_error(struct sink *s, const struct conn_error *ce)
{
	char tm[40], raddr[SINK_ADDR_LEN], comm[SINK_COMM_LEN], name[16];
	FILE *f = s->f;

	fmt_iso8601(sink_tc(s), ce->ts_ns, tm, sizeof(tm));
	fprintf(f, "{\"event\":\"connect_error\",\"time\":\"%s\"", tm);
	if (ce->owner_known) {
		sanitize_text(ce->owner.comm, TL_COMM_LEN, comm, sizeof(comm));
		fprintf(f, ",\"pid\":%" PRIu32 ",\"comm\":", ce->owner.pid);
		json_write_string(f, comm);
	} else {
		fputs(",\"pid\":null,\"comm\":null", f);
	}
	addr_fmt(&ce->tuple, false, raddr, sizeof(raddr));
	fprintf(f, ",\"family\":\"%s\",\"raddr\":\"%s\",\"rport\":%u,\"error\":\"%s\",\"netns\":",
		family_name(ce->tuple.family), raddr, (unsigned int)ce->tuple.dport,
		connerr_name(ce->err, name, sizeof(name)));
	if (ce->netns)
		fprintf(f, "%" PRIu32 "}\n", ce->netns);
	else
		fputs("null}\n", f);
	return ferror(f) ? -EIO : 0;
}

static int json_summary(struct sink *s, const struct summary *sum)
{
	char ms[32];

	fmt_ms(sum->elapsed_ns, ms, sizeof(ms));
	fprintf(s->f, "{\"event\":\"summary\",\"records\":%" PRIu64
		",\"bad_records\":%" PRIu64 ",\"rb_drops\":%" PRIu64
		",\"map_full\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"missed\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"unseen\":%" PRIu64 ",\"healed\":%" PRIu64
		",\"conns_closed\":%" PRIu64 ",\"conns_open\":%" PRIu64
		",\"synack_orphans\":%" PRIu64 ",\"unattributed\":%" PRIu64
		",\"tw_unconfirmed\":%" PRIu64 ",\"connect_errors\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"not_written\":%" PRIu64 ",\"elapsed_ms\":%s%s%s}\n",
		sum->records, sum->bad_records, sum->rb_drops, sum->map_full,
		sum->stale, sum->missed, sum->gaps, sum->unseen, sum->healed, sum->conns_closed, sum->conns_open,
		sum->synack_orphans, sum->unattributed, sum->tw_unconfirmed, sum->connect_errors,
		summary_lost(sum), sum->not_written, ms,
		sum->owners_lost ? ",\"owners_unavailable\":true" : "",
		sum->connect_untraced ? ",\"connect_untraced\":true" : "");
	return ferror(s->f) ? -EIO : 0;
}

/* One {"event":"listener"} per listener of the listing, with its time. */
static int json_listeners(struct sink *s, const struct lsn_snap *snap, uint64_t at_ns)
{
	char t[32];
	int err = 0;

	fmt_iso8601(sink_tc(s), at_ns, t, sizeof(t));
	for (size_t i = 0; i < snap->n && !err; i++)
		err = lsn_print_json(s->f, &snap->v[i], t);
	return err;
}

static int json_listen_overflow(struct sink *s, const struct lsn_burst *b, uint64_t now_ns)
{
	const char *limit = lsn_limit_name(b->limit);
	char t[32], t0[32], t1[32];
	FILE *f = s->f;

	fmt_iso8601(sink_tc(s), now_ns, t, sizeof(t));
	fmt_iso8601(sink_tc(s), b->start_ns, t0, sizeof(t0));
	fmt_iso8601(sink_tc(s), b->last_ns, t1, sizeof(t1));
	fprintf(f, "{\"event\":\"listen_overflow\",\"time\":\"%s\"", t);
	lsn_json_ident(f, &b->l);
	fprintf(f, ",\"drops_in_burst\":%" PRIu64 ",\"backlog\":%u", b->drops, b->l.backlog);
	if (b->somaxconn == LSN_UNKNOWN)
		fputs(",\"somaxconn\":null", f);
	else
		fprintf(f, ",\"somaxconn\":%" PRId64, b->somaxconn);
	if (limit)
		fprintf(f, ",\"limit\":\"%s\"", limit);
	else
		fputs(",\"limit\":null", f);
	fprintf(f, ",\"start_time\":\"%s\",\"end_time\":\"%s\",\"ended\":\"%s\"}\n", t0, t1,
		lsn_burst_end_name(b->how));
	return ferror(f) ? -EIO : 0;
}

const struct sink_ops sink_json_ops = {
	.name = "json",
	.conn = json_conn,
	.summary = json_summary,
	.alert = json_alert,
	.cw_summary = json_cw_summary,
	.connect_error = json_connect_error,
	.listeners = json_listeners,
	.listen_overflow = json_listen_overflow,
};
