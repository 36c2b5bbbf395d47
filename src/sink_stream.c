// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One line per transition as it happens:
 *   TIME PID COMM LOCAL REMOTE OLD_MS EVENT
 * OLD_MS is the time spent in the state just left ("-" if its entry was not
 * seen), blank for events that are not state changes. EVENT is free text
 * and last, so the fixed columns stay aligned whatever it says.
 */
#include <errno.h>
#include <string.h>
#include "connerr.h"
#include "fmtnum.h"
#include "sink.h"
#include "states.h"

#define TIME_W 15 /* "HH:MM:SS.uuuuuu" */
#define OLD_W 10

static int stream_begin(struct sink *s)
{
	size_t comm_w = s->o.wide ? WCOMM_W : COMM_W;
	size_t addr_w = s->o.wide ? WADDR_W : ADDR_W;

	fprintf(s->f, "%-*s %-*s %-*s %-*s %-*s %*s %s\n", TIME_W, "TIME", PID_W, "PID",
		(int)comm_w, "COMM", (int)addr_w, "LOCAL", (int)addr_w, "REMOTE",
		OLD_W, "OLD_MS", "EVENT");
	return ferror(s->f) ? -EIO : 0;
}

static const char *retrans_what(unsigned int detail)
{
	switch (detail) {
	case TL_RT_SYN: return "SYN";
	case TL_RT_FIN: return "FIN";
	case TL_RT_DATA: return "data";
	default: return "?";
	}
}

/* "-> NEW" names and the event's text: after the fixed columns. */
static void event_text(struct linebuf *l, const struct transition *t)
{
	switch (t->kind) {
	case TR_STATE:
	case TR_INFERRED:
		lb_str(l, state_name(t->oldstate));
		lb_str(l, " -> ");
		lb_str(l, state_name(t->newstate));
		if (t->kind == TR_INFERRED)
			lb_str(l, " (inferred)");
		break;
	case TR_RETRANS:
		lb_str(l, "retransmit ");
		lb_str(l, retrans_what(t->detail));
		lb_str(l, " in ");
		lb_str(l, state_name(t->oldstate));
		break;
	case TR_SYNACK:
		lb_str(l, "retransmit SYN-ACK");
		break;
	case TR_RESET:
		lb_str(l, t->detail == TL_RST_SENT ? "RST sent" :
			  t->detail == TL_RST_RECV ? "RST received" : "RST ?");
		break;
	case TR_FIN:
		lb_str(l, "FIN sent");
		break;
	default:
		lb_str(l, "unknown event ");
		lb_u64(l, t->kind);
		break;
	}
}

/* One line per record the loader keeps up with: built without printf
 * (fmtnum.h says why). */
static int stream_transition(struct sink *s, const struct transition *t)
{
	static const struct conn none = { .tuple = { .family = 0 } };
	const struct conn *c = t->c ? t->c : &none;
	size_t comm_w = s->o.wide ? WCOMM_W : COMM_W;
	size_t addr_w = s->o.wide ? WADDR_W : ADDR_W;
	struct ident_cols id;
	struct linebuf l;
	char tm[32], old[16] = "";

	fmt_clock(sink_tc(s), t->ts_ns, tm, sizeof(tm));
	ident_fmt(c, PID_W, comm_w, addr_w, &id);
	if (t->kind == TR_STATE || t->kind == TR_INFERRED) {
		if (t->old_known)
			fmt_ms_fit(t->old_ns, OLD_W, old, sizeof(old));
		else
			fmt_str(old, sizeof(old), "-");
	}
	lb_init(&l, s->f);
	lb_left(&l, tm, TIME_W);
	lb_char(&l, ' ');
	ident_put(&l, &id, comm_w, addr_w);
	lb_right(&l, old, OLD_W);
	lb_char(&l, ' ');
	event_text(&l, t);
	lb_char(&l, '\n');
	return lb_flush(&l);
}

/* A failed connect() as it comes: the caller and the destination it
 * asked for (the local end is none: no port was taken, or the row's). */
static int stream_connect_error(struct sink *s, const struct conn_error *ce)
{
	size_t comm_w = s->o.wide ? WCOMM_W : COMM_W;
	size_t addr_w = s->o.wide ? WADDR_W : ADDR_W;
	struct conn c = { .tuple = ce->tuple, .owner = ce->owner, .owner_known = ce->owner_known };
	struct ident_cols id;
	char tm[32], name[16];

	c.tuple.sport = 0;
	memset(c.tuple.saddr, 0, sizeof(c.tuple.saddr));
	fmt_clock(sink_tc(s), ce->ts_ns, tm, sizeof(tm));
	ident_fmt(&c, PID_W, comm_w, addr_w, &id);
	fprintf(s->f, "%-*s %-*s %-*s %-*s %-*s %*s connect() failed: %s\n", TIME_W, tm, PID_W,
		id.pid, (int)comm_w, id.comm, (int)addr_w, "-", (int)addr_w, id.remote, OLD_W, "",
		connerr_name(ce->err, name, sizeof(name)));
	return ferror(s->f) ? -EIO : 0;
}

/* Connections were already shown transition by transition. */
static int stream_conn(struct sink *s, const struct conn *c)
{
	(void)s;
	(void)c;
	return 0;
}

const struct sink_ops sink_stream_ops = {
	.name = "stream",
	.begin = stream_begin,
	.conn = stream_conn,
	.transition = stream_transition,
	.summary = sink_text_summary,
	.alert = sink_text_alert,
	.cw_summary = sink_text_cw_summary,
	.connect_error = stream_connect_error,
	.connerr_summary = sink_text_connerr_summary,
};
