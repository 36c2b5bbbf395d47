// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON Lines: one object per line, keys in the CSV column order, null where
 * the CSV cell is empty, so the two outputs can be checked against each
 * other field by field. */
#include <errno.h>
#include <inttypes.h>
#include "summary.h"
#include "sanitize.h"
#include "sink.h"
#include "states.h"

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

static int json_conn(struct sink *s, const struct conn *c)
{
	char t[32], laddr[SINK_ADDR_LEN], raddr[SINK_ADDR_LEN];
	char comm[SINK_COMM_LEN], path[SINK_PATH_LEN], ms[32];
	FILE *f = s->f;

	fmt_iso8601(sink_tc(s), c->start_ns, t, sizeof(t));
	fprintf(f, "{\"event\":\"conn\",\"start_time\":\"%s\",\"end_time\":", t);
	if (c->closed) {
		fmt_iso8601(sink_tc(s), c->end_ns, t, sizeof(t));
		fprintf(f, "\"%s\"", t);
	} else {
		fputs("null", f);
	}
	if (c->owner_known) {
		fprintf(f, ",\"pid\":%" PRIu32 ",\"comm\":", c->owner.pid);
		comm_fmt(c, comm, sizeof(comm));
		json_write_string(f, comm);
	} else {
		fputs(",\"pid\":null,\"comm\":null", f);
	}
	addr_fmt(&c->tuple, true, laddr, sizeof(laddr));
	addr_fmt(&c->tuple, false, raddr, sizeof(raddr));
	fprintf(f, ",\"family\":\"%s\",\"laddr\":\"%s\",\"lport\":%u,"
		"\"raddr\":\"%s\",\"rport\":%u,\"role\":\"%s\",\"end_state\":\"%s\","
		"\"close_cause\":\"%s\"",
		family_name(c->tuple.family), laddr, (unsigned int)c->tuple.sport,
		raddr, (unsigned int)c->tuple.dport, role_name(c->role),
		state_name(c->state), cause_name(c->cause));
	for (unsigned int i = 0; i < n_state_columns; i++) {
		unsigned int st = state_columns[i].state;

		if (conn_measured(c, st))
			fmt_ms(c->state_ns[st], ms, sizeof(ms));
		else
			snprintf(ms, sizeof(ms), "null");
		fprintf(f, ",\"%s\":%s", state_columns[i].name, ms);
	}
	fprintf(f, ",\"syn_retrans\":%" PRIu32 ",\"synack_retrans\":%" PRIu32
		",\"fin_sent\":%" PRIu32 ",\"fin_retrans\":%" PRIu32
		",\"data_retrans\":%" PRIu32 ",\"rst_sent\":%" PRIu32
		",\"rst_recv\":%" PRIu32,
		c->syn_retrans, c->synack_retrans, c->fin_sent, c->fin_retrans,
		c->data_retrans, c->rst_sent, c->rst_recv);
	if (c->bytes_known)
		fprintf(f, ",\"bytes_acked\":%" PRIu64 ",\"bytes_received\":%" PRIu64,
			c->bytes_acked, c->bytes_received);
	else
		fputs(",\"bytes_acked\":null,\"bytes_received\":null", f);
	path_fmt(c, path, sizeof(path));
	fprintf(f, ",\"path\":\"%s\",\"closed\":%s,\"timing\":\"%s\"", path,
		c->closed ? "true" : "false", timing_name(c));
	json_owner_ids(f, c);
	fprintf(f, ",\"seen_from\":\"%s\"", seen_from_name(c));
	if (owner_from_name(c))
		fprintf(f, ",\"owner_from\":\"%s\"", owner_from_name(c));
	else
		fputs(",\"owner_from\":null", f);
	fputs(",\"other_holders\":[", f);
	for (unsigned int i = 0; i < c->n_others; i++) {
		char hc[SINK_COMM_LEN];

		sanitize_text(c->others[i].comm, TL_COMM_LEN, hc, sizeof(hc));
		fprintf(f, "%s{\"pid\":%" PRIu32 ",\"fd\":%" PRId32 ",\"comm\":", i ? "," : "",
			c->others[i].pid, c->others[i].fd);
		json_write_string(f, hc);
		putc('}', f);
	}
	fputs("]}\n", f);
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

static int json_summary(struct sink *s, const struct summary *sum)
{
	char ms[32];

	fmt_ms(sum->elapsed_ns, ms, sizeof(ms));
	fprintf(s->f, "{\"event\":\"summary\",\"records\":%" PRIu64
		",\"bad_records\":%" PRIu64 ",\"rb_drops\":%" PRIu64
		",\"map_full\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"missed\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"unseen\":%" PRIu64 ",\"healed\":%" PRIu64
		",\"conns_closed\":%" PRIu64 ",\"conns_open\":%" PRIu64
		",\"synack_orphans\":%" PRIu64 ",\"unattributed\":%" PRIu64
		",\"tw_unconfirmed\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"not_written\":%" PRIu64 ",\"elapsed_ms\":%s%s}\n",
		sum->records, sum->bad_records, sum->rb_drops, sum->map_full,
		sum->stale, sum->missed, sum->gaps, sum->unseen, sum->healed, sum->conns_closed, sum->conns_open,
		sum->synack_orphans, sum->unattributed, sum->tw_unconfirmed,
		summary_lost(sum), sum->not_written, ms,
		sum->owners_lost ? ",\"owners_unavailable\":true" : "");
	return ferror(s->f) ? -EIO : 0;
}

const struct sink_ops sink_json_ops = {
	.name = "json",
	.conn = json_conn,
	.summary = json_summary,
	.alert = json_alert,
	.cw_summary = json_cw_summary,
};
