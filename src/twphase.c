// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The timewait phase machine: see twphase.h for its states and events. */
#include <string.h>
#include "conn_acct.h"
#include "twphase.h"

static void step(struct tw_out *out, uint8_t kind, uint8_t from, uint8_t to, uint64_t at,
		 uint64_t old_ns)
{
	if (out->n_steps < sizeof(out->steps) / sizeof(out->steps[0]))
		out->steps[out->n_steps++] = (struct tw_step){ kind, from, to, at, old_ns };
}

/* Leave FIN_WAIT2 for TIME_WAIT at `at` (the peer's FIN came). */
static void to_time_wait(struct conn *c, struct tw_out *out, uint8_t kind, uint64_t at)
{
	conn_enter(c, TL_TIME_WAIT, at);
	step(out, kind, TL_FIN_WAIT2, TL_TIME_WAIT, at, c->state_ns[TL_FIN_WAIT2]);
}

/* The connection's record is complete: ended at `at`, for `cause`. */
static void ended(struct tw_phase *p, struct tw_out *out, uint8_t cause, uint64_t at)
{
	p->state = TWP_ENDED;
	out->ended = true;
	out->end_at = at;
	out->cause = cause;
}

/* The sock is gone at `at`: the connection closes then. */
static void end(struct tw_phase *p, struct conn *c, struct tw_out *out, uint8_t cause, uint64_t at)
{
	uint8_t from = c->state;
	uint64_t spent;

	if (at < c->state_entered_ns)
		at = c->state_entered_ns;
	spent = at - c->state_entered_ns;
	conn_enter(c, TL_CLOSE, at);
	step(out, TR_INFERRED, from, TL_CLOSE, at, spent);
	ended(p, out, cause, at);
}

/* The state the hand-over led to, once it is certain (a listing, or no
 * listing possible): a TIME_WAIT hand-over shows as its own step. */
static void confirm(struct tw_phase *p, struct conn *c, struct tw_out *out)
{
	if (p->state != TWP_UNCONFIRMED)
		return;
	p->state = TWP_LIVE;
	if (p->sub == TL_TIME_WAIT) {
		conn_enter(c, TL_TIME_WAIT, p->since);
		step(out, TR_INFERRED, p->from, TL_TIME_WAIT, p->since, c->state_ns[p->from]);
	}
	if (p->peer_fin && c->state == TL_FIN_WAIT2)
		to_time_wait(c, out, TR_INFERRED, p->peer_fin);
}

/* No listing can tell what the sock did (its namespace is gone or not
 * reachable): write what the hand-over itself told, durations after it
 * unmeasured. */
static void give_up(struct tw_phase *p, struct conn *c, struct tw_out *out, uint64_t now)
{
	confirm(p, c, out);
	c->unmeasured |= TL_BIT(c->state);
	out->gave_up = true;
	ended(p, out, CAUSE_FIN, now > c->state_entered_ns ? c->state_entered_ns : now);
}

static void kill_pending(struct tw_phase *p, uint64_t ts, uint64_t gone)
{
	if (p->killed_ns)
		return;
	p->killed_ns = ts;
	p->gone_ns = gone;
	p->state = TWP_KILLED;
}

/* Not killed after all, or how it ended is now known. */
static void unkill(struct tw_phase *p)
{
	p->killed_ns = p->gone_ns = 0;
	p->gone_twice = false;
	p->state = TWP_LIVE;
}

static void handover(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	p->from = ev->from;
	p->sub = ev->sub;
	p->since = ev->ts;
	p->state = TWP_UNCONFIRMED;
	switch (ev->mode) {
	case TWM_NO_SOCK:
		end(p, c, out, CAUSE_TW_OVERFLOW, ev->ts);
		break;
	case TWM_UNTRACKABLE:
		give_up(p, c, out, ev->ts);
		break;
	case TWM_HOOKED:
		confirm(p, c, out);
		break;
	default:
		c->inferred = true; /* what follows comes from listings */
		break;
	}
}

/* Hooked: inet_twsk_kill() by its timer, its namespace's teardown, or
 * early (then a reuse may still explain it). */
static void hook_end(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	if (ev->gone)
		end(p, c, out, CAUSE_NETNS_GONE, ev->ts);
	else if (ev->expired)
		end(p, c, out, c->state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN, ev->ts);
	else
		kill_pending(p, ev->ts, 0);
}

/* A listing placed the sock's TIME_WAIT from its timer (to a jiffy or so)
 * before the peer's exact FIN was read: the record, read later, wins. The
 * listing and the record race by up to a second. */
static void refine(struct tw_phase *p, struct conn *c, uint64_t ts)
{
	if (!p->estimated || c->state != TL_TIME_WAIT)
		return;
	p->estimated = false;
	if (ts > c->state_entered_ns)
		c->state_ns[TL_FIN_WAIT2] += ts - c->state_entered_ns;
	else if (c->state_ns[TL_FIN_WAIT2] >= c->state_entered_ns - ts)
		c->state_ns[TL_FIN_WAIT2] -= c->state_entered_ns - ts;
	else
		return;
	c->state_entered_ns = ts;
}

/* A FIN_WAIT2 sock's local peer sent its FIN: the sock moves to TIME_WAIT
 * when it arrives (same host: microseconds later). This time is exact; a
 * listing would only bound it. */
static void peer_fin(struct tw_phase *p, struct conn *c, uint64_t ts, struct tw_out *out)
{
	if (c->state != TL_FIN_WAIT2)
		refine(p, c, ts);
	else if (p->state == TWP_UNCONFIRMED)
		p->peer_fin = ts; /* applied when the hand-over is confirmed */
	else
		to_time_wait(c, out, TR_INFERRED, ts);
}

/* A new life of the 4-tuple: the kernel reused it (tcp_tw_reuse on
 * connect(), or a new SYN accepted in TIME_WAIT). connect() deschedules the
 * sock it reuses from inside the call, after its socket entered SYN_SENT
 * (tcp_v4_connect() and tcp_v6_connect() set the state, then pick the
 * port). A sock the hooks saw go before this connection began was ended by
 * something else, an RST, and the port was simply free again (6.1's
 * TcpExtTWRecycled does not count it). A passive reuse kills the sock
 * before its SYN makes the request, so this holds for connect() only. */
static void reuse(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	uint64_t at = ev->ts;

	confirm(p, c, out);
	if (p->killed_ns) {
		if (!p->gone_ns && ev->active && ev->ts > p->killed_ns) {
			end(p, c, out, CAUSE_TW_KILLED, p->killed_ns);
			return;
		}
		/* Hooked: the reuse descheduled it then, exactly. Listings: the
		 * new connection's start is nearer than their estimate. */
		if (!p->gone_ns)
			at = p->killed_ns;
	}
	end(p, c, out, CAUSE_TW_REUSE, at);
}

/* A listing that began at ev->ts holds the sock. */
static void listed(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	if (p->since > ev->ts)
		return; /* a listing that began before the hand-over */
	/* Listed again after a listing missed it: a dump walks the hash table
	 * in batches while socks come and go, and can skip one. Alive. */
	if (p->gone_ns)
		unkill(p);
	confirm(p, c, out);
	if (c->state == TL_FIN_WAIT2 && ev->sub == TL_TIME_WAIT) {
		/* The peer's FIN came since: TIME_WAIT's timer started then. */
		uint64_t at = ev->due > TW_LEN_NS ? ev->due - TW_LEN_NS : 0;

		if (at < c->state_entered_ns)
			at = c->state_entered_ns;
		if (at > ev->ts)
			at = ev->ts;
		to_time_wait(c, out, TR_INFERRED, at);
		p->estimated = true;
	}
	p->gen = ev->gen;
	p->seen_ns = ev->ts;
	p->due_ns = ev->due;
}

/* A listing of its namespace that began at ev->ts is over. */
static void listing_done(struct tw_phase *p, struct conn *c, const struct tw_ev *ev,
			 struct tw_out *out)
{
	uint64_t start = ev->ts, from;

	if (p->gen == ev->gen || p->since > start)
		return;
	if (p->killed_ns) {
		/* Missed by a second listing too: gone, not skipped. */
		if (p->gone_ns && p->gone_ns < start)
			p->gone_twice = true;
		return;
	}
	if (p->state == TWP_UNCONFIRMED) {
		/* Never listed: tcp_time_wait() found no room for a timewait
		 * sock and closed at once, if the namespace's own counter says
		 * so; else it went before the first listing. */
		if (ev->overflow) {
			out->overflow_used = true;
			c->inferred = false; /* nothing to confirm: no TIME_WAIT */
			end(p, c, out, CAUSE_TW_OVERFLOW, p->since);
		} else {
			confirm(p, c, out);
			kill_pending(p, (p->since + start) / 2, start);
		}
		return;
	}
	/* Gone between the last listing and this one: if its timer was due,
	 * it expired (the timer wheel fires up to 1/8 late); if not, something
	 * killed it early. The midpoint halves the error. */
	from = p->due_ns > p->seen_ns ? p->due_ns : p->seen_ns;
	if (p->due_ns <= start)
		end(p, c, out, c->state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN,
		    from < start ? (from + start) / 2 : start);
	else
		kill_pending(p, (p->seen_ns + start) / 2, start);
}

/* A kill no reuse explained, once the wait for one is over. One listing's
 * absence is not proof (see listed()): it takes a second. */
static void settle(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	uint64_t since = p->gone_ns ? p->gone_ns : p->killed_ns;

	if (!p->killed_ns || (!ev->all && since + TW_REUSE_WAIT_NS > ev->ts))
		return;
	if (!ev->all && p->gone_ns && !p->gone_twice)
		return;
	end(p, c, out, CAUSE_TW_KILLED, p->killed_ns);
}

void tw_step(struct tw_phase *p, struct conn *c, const struct tw_ev *ev, struct tw_out *out)
{
	memset(out, 0, sizeof(*out));
	if (p->state == TWP_ENDED || (p->state == TWP_NONE && ev->kind != TWE_HANDOVER))
		return;
	switch (ev->kind) {
	case TWE_HANDOVER:
		handover(p, c, ev, out);
		break;
	case TWE_CONFIRM:
	case TWE_FLUSH:
		confirm(p, c, out);
		break;
	case TWE_REARM:
		/* The peer's FIN came: tcp_timewait_state_process() rearms the
		 * timer for TIME_WAIT. (A rearm in TIME_WAIT restarts it.) */
		if (c->state == TL_FIN_WAIT2 && ev->sub == TL_TIME_WAIT)
			to_time_wait(c, out, TR_STATE, ev->ts);
		break;
	case TWE_HOOK_END:
		hook_end(p, c, ev, out);
		break;
	case TWE_RST_SENT:
		/* tcp_v4_rcv()/tcp_v6_rcv() deschedule the sock right after
		 * (TCP_TW_RST): it ends here, exactly, whatever a listing
		 * guessed since. */
		confirm(p, c, out);
		if (p->killed_ns)
			unkill(p);
		end(p, c, out, CAUSE_RST_SENT, ev->ts);
		break;
	case TWE_PEER_FIN:
		peer_fin(p, c, ev->ts, out);
		break;
	case TWE_PEER_RST:
		/* An RST kills the sock (tcp_timewait_state_process()). */
		confirm(p, c, out);
		end(p, c, out, CAUSE_RST_RECV, ev->ts);
		break;
	case TWE_REUSE:
		reuse(p, c, ev, out);
		break;
	case TWE_LISTED:
		listed(p, c, ev, out);
		break;
	case TWE_LISTING_DONE:
		listing_done(p, c, ev, out);
		break;
	case TWE_SETTLE:
		settle(p, c, ev, out);
		break;
	case TWE_NETNS_GONE:
		/* One a listing already missed went before the namespace did:
		 * SETTLE decides it. */
		if (!p->killed_ns) {
			confirm(p, c, out);
			end(p, c, out, CAUSE_NETNS_GONE, ev->ts);
		}
		break;
	case TWE_GIVE_UP:
		give_up(p, c, out, ev->ts);
		break;
	case TWE_UNSEEN:
		/* As a full socket whose end was lost (conntab_end_unseen): no
		 * step invented, the time in its last state unknown. */
		if (p->state != TWP_LIVE)
			break;
		c->unmeasured |= TL_BIT(c->state);
		conn_settle(c, ev->ts);
		ended(p, out, CAUSE_LOST, ev->ts);
		break;
	}
}
