// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One RFC 4180 row per connection. Only comm is free text; every other cell
 * is generated here from numbers and fixed names, so needs no quoting. */
#include <errno.h>
#include <inttypes.h>
#include "sanitize.h"
#include "sink.h"
#include "states.h"

static int csv_begin(struct sink *s)
{
	fputs("start_time,end_time,pid,comm,family,laddr,lport,raddr,rport,role,"
	      "end_state,close_cause", s->f);
	for (unsigned int i = 0; i < n_state_columns; i++)
		fprintf(s->f, ",%s", state_columns[i].name);
	fputs(",syn_retrans,synack_retrans,fin_sent,fin_retrans,data_retrans,"
	      "rst_sent,rst_recv,bytes_acked,bytes_received,path,closed,timing,"
	      "tid,fd,cgroup,seen_from,owner_from\n", s->f);
	return ferror(s->f) ? -EIO : 0;
}

static int csv_conn(struct sink *s, const struct conn *c)
{
	char t[32], laddr[SINK_ADDR_LEN], raddr[SINK_ADDR_LEN];
	char comm[SINK_COMM_LEN], path[SINK_PATH_LEN], ms[32];
	FILE *f = s->f;

	fmt_iso8601(sink_tc(s), c->start_ns, t, sizeof(t));
	fprintf(f, "%s,", t);
	if (c->closed) {
		fmt_iso8601(sink_tc(s), c->end_ns, t, sizeof(t));
		fputs(t, f);
	}
	putc(',', f);
	if (c->owner_known) {
		fprintf(f, "%" PRIu32 ",", c->owner.pid);
		comm_fmt(c, comm, sizeof(comm));
		csv_write_cell(f, comm);
	} else {
		putc(',', f);
	}
	addr_fmt(&c->tuple, true, laddr, sizeof(laddr));
	addr_fmt(&c->tuple, false, raddr, sizeof(raddr));
	fprintf(f, ",%s,%s,%u,%s,%u,%s,%s,%s", family_name(c->tuple.family),
		laddr, (unsigned int)c->tuple.sport, raddr, (unsigned int)c->tuple.dport,
		role_name(c->role), state_name(c->state), cause_name(c->cause));
	for (unsigned int i = 0; i < n_state_columns; i++) {
		unsigned int st = state_columns[i].state;

		putc(',', f);
		if (conn_measured(c, st)) {
			fmt_ms(c->state_ns[st], ms, sizeof(ms));
			fputs(ms, f);
		}
	}
	fprintf(f, ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32
		",%" PRIu32 ",%" PRIu32 ",",
		c->syn_retrans, c->synack_retrans, c->fin_sent, c->fin_retrans,
		c->data_retrans, c->rst_sent, c->rst_recv);
	if (c->bytes_known)
		fprintf(f, "%" PRIu64 ",%" PRIu64, c->bytes_acked, c->bytes_received);
	else
		putc(',', f);
	path_fmt(c, path, sizeof(path));
	fprintf(f, ",%s,%s,%s,", path, c->closed ? "true" : "false", timing_name(c));
	if (c->owner_known)
		fprintf(f, "%" PRIu32, c->owner.tid);
	putc(',', f);
	if (c->owner_known && c->fd >= 0)
		fprintf(f, "%" PRId32, c->fd);
	putc(',', f);
	if (c->owner_known && c->cgroup)
		fprintf(f, "%" PRIu64, c->cgroup);
	fprintf(f, ",%s,%s\n", seen_from_name(c), owner_from_name(c) ? owner_from_name(c) : "");
	return ferror(f) ? -EIO : 0;
}

const struct sink_ops sink_csv_ops = {
	.name = "csv",
	.begin = csv_begin,
	.conn = csv_conn,
};
