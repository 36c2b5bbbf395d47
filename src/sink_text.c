// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The default human output: one fixed-width line per connection.
 *
 * Narrow (IPv4 worst case exactly 100 columns):
 *   PID COMM LOCAL REMOTE R END HS_MS ES_MS CL_MS RTX
 * END is the close cause (lower case) for a connection that ended, or the
 * state it is still in (upper case) for one still open: the end state of a
 * closed one is nearly always CLOSE and is left to -w, CSV and JSON.
 * HS = SYN_SENT + SYN_RECV, ES = ESTABLISHED, CL = FIN_WAIT1 + FIN_WAIT2 +
 * CLOSE_WAIT + LAST_ACK + CLOSING (TIME_WAIT is a fixed 60 s and shown by
 * -w). Durations shrink their precision to fit five columns; "-" is a time
 * not measured. RTX sums every retransmission.
 *
 * Wide (-w): addresses wide enough for IPv6, end state and cause apart, and
 * every per-state duration of the CSV schema.
 */
#include <errno.h>
#include <inttypes.h>
#include "conn_acct.h"
#include "connerr.h"
#include "fmtnum.h"
#include "conntab.h"
#include "summary.h"
#include "sanitize.h"
#include "sink.h"
#include "states.h"

#define END_W 11  /* "ESTABLISHED", "syn_timeout" */
#define DUR_W 5
#define RTX_W 3
#define WSTATE_W 12
#define WDUR_W 11
#define WRTX_W 5

static const unsigned int hs_states[] = { TL_SYN_SENT, TL_SYN_RECV };
static const unsigned int es_states[] = { TL_ESTABLISHED };
static const unsigned int cl_states[] = { TL_FIN_WAIT1, TL_FIN_WAIT2, TL_CLOSE_WAIT,
					  TL_LAST_ACK, TL_CLOSING };

static void dur_group(const struct conn *c, const unsigned int *st, size_t n, size_t w,
		      char *buf, size_t bufsz)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (!conn_measured(c, st[i])) {
			fmt_str(buf, bufsz, "-");
			return;
		}
		sum += c->state_ns[st[i]];
	}
	fmt_ms_fit(sum, w, buf, bufsz);
}

static char role_char(enum conn_role r)
{
	return (char)(r == ROLE_ACTIVE ? 'A' : r == ROLE_PASSIVE ? 'P' : '?');
}

static int text_begin(struct sink *s)
{
	if (!s->o.wide) {
		fprintf(s->f, "%-*s %-*s %-*s %-*s %c %-*s %*s %*s %*s %*s\n",
			PID_W, "PID", COMM_W, "COMM", ADDR_W, "LOCAL", ADDR_W, "REMOTE",
			'R', END_W, "END", DUR_W, "HS_MS", DUR_W, "ES_MS", DUR_W, "CL_MS",
			RTX_W, "RTX");
		return ferror(s->f) ? -EIO : 0;
	}
	fprintf(s->f, "%-*s %-*s %-*s %-*s %c %-*s %-*s", PID_W, "PID", WCOMM_W, "COMM",
		WADDR_W, "LOCAL", WADDR_W, "REMOTE", 'R', WSTATE_W, "STATE", END_W, "CAUSE");
	for (unsigned int i = 0; i < n_state_columns; i++)
		fprintf(s->f, " %*s", WDUR_W, state_name(state_columns[i].state));
	fprintf(s->f, " %*s\n", WRTX_W, "RTX");
	return ferror(s->f) ? -EIO : 0;
}

/* One line per connection, built without printf (fmtnum.h says why). */
static int text_conn(struct sink *s, const struct conn *c)
{
	bool wide = s->o.wide;
	size_t comm_w = wide ? WCOMM_W : COMM_W, addr_w = wide ? WADDR_W : ADDR_W;
	struct ident_cols id;
	struct linebuf l;
	char d[3][16], rtx[16], st[16], cause[16];

	ident_fmt(c, PID_W, comm_w, addr_w, &id);
	lb_init(&l, s->f);
	ident_put(&l, &id, comm_w, addr_w);
	lb_char(&l, role_char(c->role));
	lb_char(&l, ' ');
	if (!wide) {
		fit_end(c->closed ? cause_name(c->cause) : state_name(c->state), END_W, st);
		dur_group(c, hs_states, 2, DUR_W, d[0], sizeof(d[0]));
		dur_group(c, es_states, 1, DUR_W, d[1], sizeof(d[1]));
		dur_group(c, cl_states, 5, DUR_W, d[2], sizeof(d[2]));
		count_fit(conn_retrans(c), RTX_W, rtx, sizeof(rtx));
		lb_left(&l, st, END_W);
		for (int i = 0; i < 3; i++) {
			lb_char(&l, ' ');
			lb_right(&l, d[i], DUR_W);
		}
		lb_char(&l, ' ');
		lb_right(&l, rtx, RTX_W);
		lb_char(&l, '\n');
		return lb_flush(&l);
	}
	fit_end(state_name(c->state), WSTATE_W, st);
	fit_end(cause_name(c->cause), END_W, cause);
	lb_left(&l, st, WSTATE_W);
	lb_char(&l, ' ');
	lb_left(&l, cause, END_W);
	for (unsigned int i = 0; i < n_state_columns; i++) {
		dur_group(c, &state_columns[i].state, 1, WDUR_W, d[0], sizeof(d[0]));
		lb_char(&l, ' ');
		lb_right(&l, d[0], WDUR_W);
	}
	count_fit(conn_retrans(c), WRTX_W, rtx, sizeof(rtx));
	lb_char(&l, ' ');
	lb_right(&l, rtx, WRTX_W);
	lb_char(&l, '\n');
	return lb_flush(&l);
}

int sink_text_summary(struct sink *s, const struct summary *sum)
{
	uint64_t conns = sum->conns_closed + sum->conns_open;
	bool lost = summary_lost(sum) || sum->not_written || sum->out_err;

	fprintf(s->f, "# %" PRIu64 " connection%s (%" PRIu64 " still open), %" PRIu64
		" records in %" PRIu64 ".%03" PRIu64 " s; unmatched SYN-ACK retransmits %" PRIu64,
		conns, conns == 1 ? "" : "s", sum->conns_open, sum->records,
		sum->elapsed_ns / 1000000000, sum->elapsed_ns / 1000000 % 1000,
		sum->synack_orphans);
	if (sum->unattributed)
		fprintf(s->f, "; %" PRIu64 " not shown (owner never learnt under -p)",
			sum->unattributed);
	putc('\n', s->f);
	/* A clean-looking table over lost records would mislead: any loss
	 * turns the second line into a warning a reader cannot miss. */
	fprintf(s->f, "# %s (ringbuf drops %" PRIu64 ", map full %" PRIu64
		", stale sockets %" PRIu64 ", bad records %" PRIu64 ", missed events %" PRIu64,
		lost ? "WARNING: data lost" : "no data lost",
		sum->rb_drops, sum->map_full, sum->stale, sum->bad_records, sum->missed);
	/* Only when there are some: the line stays as it was for a clean run. */
	if (sum->tw_unconfirmed)
		fprintf(s->f, ", unconfirmed timewait sockets %" PRIu64, sum->tw_unconfirmed);
	if (sum->gaps)
		fprintf(s->f, ", state changes not seen %" PRIu64, sum->gaps);
	if (sum->unseen)
		fprintf(s->f, ", ends not seen %" PRIu64, sum->unseen);
	/* Healed rows are complete (their timing inferred), not lost. */
	if (sum->healed)
		fprintf(s->f, ", healed at the socket's end %" PRIu64, sum->healed);
	if (sum->not_written || sum->out_err)
		fprintf(s->f, ", records not written %" PRIu64 ": %s", sum->not_written,
			output_error_text(sum->out_err));
	fprintf(s->f, ")%s\n", lost ? ": some connections are missing or incomplete" : "");
	if (sum->owners_lost)
		fputs("# owners of accepted connections unavailable: no owner hook (see the warning "
		      "at the start)\n", s->f);
	return ferror(s->f) ? -EIO : 0;
}

/* --once: one line per open connection, what `ss -tanp` would show plus the
 * owner's fd and the time in the current state (">=" when the connection
 * was open before the tool started: a lower bound; "-" when unknown).
 *   PID COMM FD LOCAL REMOTE STATE IN_STATE_MS SEEN OWNER_FROM
 * (OWNER_FROM "listener": nobody accepted it, PID is the listener's owner).
 */
#define INSTATE_W 12

static int once_begin(struct sink *s)
{
	size_t addr_w = s->o.wide ? WADDR_W : ADDR_W;

	fprintf(s->f, "%-*s %-*s %*s %-*s %-*s %-*s %*s %-11s %s\n", PID_W, "PID", COMM_W, "COMM",
		FD_W, "FD", (int)addr_w, "LOCAL", (int)addr_w, "REMOTE", END_W, "STATE", INSTATE_W,
		"IN_STATE_MS", "SEEN", "OWNER_FROM");
	return ferror(s->f) ? -EIO : 0;
}

static int once_conn(struct sink *s, const struct conn *c)
{
	size_t addr_w = s->o.wide ? WADDR_W : ADDR_W;
	char fd[16] = "-", ms[32], in[40] = "-", st[16];
	struct ident_cols id;

	ident_fmt(c, PID_W, COMM_W, addr_w, &id);
	if (c->owner_known && c->fd >= 0)
		snprintf(fd, sizeof(fd), "%d", c->fd);
	if (conn_measured(c, c->state) && c->state < TL_NSTATES) {
		/* end_ns: the time the open connection was written as of. */
		fmt_ms_fit(conn_in_state_ns(c, c->end_ns), INSTATE_W - 3, ms, sizeof(ms));
		snprintf(in, sizeof(in), "%s%s", c->preexisting ? ">=" : "", ms);
	}
	fit_end(state_name(c->state), END_W, st);
	fprintf(s->f, "%-*s %-*s %*s %-*s %-*s %-*s %*s %-11s %s\n", PID_W, id.pid, COMM_W, id.comm,
		FD_W, fd, (int)addr_w, id.local, (int)addr_w, id.remote, END_W, st, INSTATE_W, in,
		seen_from_name(c), owner_from_name(c) ? owner_from_name(c) : "-");
	return ferror(s->f) ? -EIO : 0;
}

/* What the receive queue says about the leak: Recv-Q counts the FIN as one
 * byte until read() has returned 0, so 0 means the EOF was read. */
static const char *unread_meaning(int64_t unread)
{
	return unread < 0 ? "receive queue not readable" :
	       unread == 0 ? "it read the EOF and did not close" : "it stopped reading";
}

int sink_text_alert(struct sink *s, const struct cw_alert *a)
{
	const struct conn *c = a->c;
	struct ident_cols id;
	char ms[32], fd[16] = "?";

	ident_fmt(c, 10, SINK_COMM_LEN - 1, SINK_ENDPOINT_LEN - 1, &id);
	fmt_ms(a->close_wait_ns, ms, sizeof(ms));
	if (c->fd >= 0)
		snprintf(fd, sizeof(fd), "%d", c->fd);
	fprintf(s->f, "# CLOSE_WAIT %s%s ms: pid %s tid %" PRIu32 " comm %s fd %s %s <- %s; "
		"unread %" PRId64 " bytes: %s\n", c->preexisting ? ">= " : "", ms, id.pid,
		c->owner.tid, id.comm, fd, id.local, id.remote, a->unread_bytes,
		unread_meaning(a->unread_bytes));
	return ferror(s->f) ? -EIO : 0;
}

int sink_text_cw_summary(struct sink *s, const struct cw_proc *p, size_t n)
{
	char comm[SINK_COMM_LEN], ms[32];

	if (!n)
		return 0;
	fprintf(s->f, "# CLOSE_WAIT by process:\n#   %7s %-16s %7s %14s %12s\n", "PID", "COMM",
		"SOCKETS", "OLDEST_MS", "UNREAD_BYTES");
	for (size_t i = 0; i < n; i++) {
		sanitize_text(p[i].comm, TL_COMM_LEN, comm, sizeof(comm));
		fmt_ms(p[i].oldest_ns, ms, sizeof(ms));
		fprintf(s->f, "#   %7" PRIu32 " %-16s %7" PRIu32 " %14s %12" PRIu64 "%s\n", p[i].pid,
			comm, p[i].sockets, ms, p[i].unread_bytes,
			p[i].unread_unknown ? " (some queues not readable)" : "");
	}
	return ferror(s->f) ? -EIO : 0;
}

int sink_text_connerr_summary(struct sink *s, const struct connerr_tab *t)
{
	const struct connerr_line *top[CONNERR_TOP];
	char comm[SINK_COMM_LEN], dest[SINK_ENDPOINT_LEN], name[16], pid[12], hint[512];
	size_t n = connerr_top(t, top, CONNERR_TOP);

	if (!t->total)
		return 0;
	fprintf(s->f, "# connect() failures by process and destination: %" PRIu64 " in all", t->total);
	if (t->unlisted)
		fprintf(s->f, " (%" PRIu64 " not in the lines below: out of memory)", t->unlisted);
	fprintf(s->f, "%s\n#   %7s %-16s %-47s %-15s %7s\n", n < t->lines.count ? ", the most:" : ":",
		"PID", "COMM", "DESTINATION", "ERROR", "COUNT");
	for (size_t i = 0; i < n; i++) {
		const struct connerr_line *l = top[i];

		if (l->owner_known) {
			sanitize_text(l->owner.comm, TL_COMM_LEN, comm, sizeof(comm));
			snprintf(pid, sizeof(pid), "%" PRIu32, l->owner.pid);
		} else {
			snprintf(comm, sizeof(comm), "-");
			snprintf(pid, sizeof(pid), "-");
		}
		connerr_dest(l, dest, sizeof(dest));
		fprintf(s->f, "#   %7s %-16s %-47s %-15s %7" PRIu64 "\n", pid, comm, dest,
			connerr_name(l->err, name, sizeof(name)), l->count);
	}
	for (size_t i = 0; i < n; i++)
		if (connerr_hint(top[i], hint, sizeof(hint)))
			fprintf(s->f, "# %s\n", hint);
	return ferror(s->f) ? -EIO : 0;
}

const struct sink_ops sink_once_ops = {
	.name = "once",
	.begin = once_begin,
	.conn = once_conn,
	.summary = sink_text_summary,
	.alert = sink_text_alert,
	.cw_summary = sink_text_cw_summary,
};

const struct sink_ops sink_text_ops = {
	.name = "text",
	.begin = text_begin,
	.conn = text_conn,
	.summary = sink_text_summary,
	.alert = sink_text_alert,
	.cw_summary = sink_text_cw_summary,
	.connerr_summary = sink_text_connerr_summary,
};
