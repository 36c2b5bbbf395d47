// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The request phase machine: see reqphase.h. */
#include "conn_acct.h"
#include "reqphase.h"

void req_synack(struct req_phase *p, uint64_t ts, bool first)
{
	if (first)
		p->first_ns = ts;
	p->last_ns = ts;
	p->count++;
}

void req_hashed(struct req_phase *p, uint64_t ts)
{
	if (!p->begin_ns)
		p->begin_ns = ts;
	p->hashed_ns = ts;
	p->end_ns = 0;
}

void req_unhashed(struct req_phase *p, uint64_t ts)
{
	p->end_ns = ts;
}

void req_listed(struct req_phase *p, uint64_t gen, uint64_t start)
{
	p->gen = gen;
	p->listed_ns = start;
}

bool req_wants_listing(const struct req_phase *p)
{
	return !p->end_ns;
}

/* When the request's timer is next due after its last SYN-ACK retransmit.
 * A request made again on the 4-tuple by a retried SYN (6.1 drops one whose
 * SYN-ACK retransmit fails) runs a timer of its own from its SYN: without
 * this, an unhash the loader had not read yet when a listing missed the
 * request (or one the hook did not see) left the handshake due at its first
 * request's time and it was split in two rows (t_24, 6.1 fentry, loaded). */
static uint64_t request_due(const struct req_phase *p)
{
	uint64_t rto = p->count < 8 ? REQ_RTO_INIT_NS << p->count : REQ_RTO_MAX_NS;

	if (p->hashed_ns > p->last_ns && p->hashed_ns > p->begin_ns)
		return p->hashed_ns + REQ_RTO_INIT_NS;

	return (p->last_ns ? p->last_ns : p->begin_ns) + (rto < REQ_RTO_MAX_NS ? rto : REQ_RTO_MAX_NS);
}

/* How long a request that ended waits for the client's next SYN on its
 * 4-tuple. The client's SYN retransmits back off from its first SYN (1, 3,
 * 7, 15 s ...), so the next one comes about as long after a request's early
 * end as the handshake has lasted so far: a fixed REQ_GRACE_NS split one
 * handshake into two rows when the SYN-ACKs stayed blocked to a 4th SYN
 * retransmit (a 7 s gap). */
static uint64_t retry_grace(const struct req_phase *p, uint64_t end)
{
	uint64_t begun = p->begin_ns ? p->begin_ns : p->first_ns;
	uint64_t lasted = begun && end > begun ? end - begun : 0;
	uint64_t g = lasted + lasted / 2 + TL_SEC; /* with room for late timers */

	return g > REQ_GRACE_NS ? g : REQ_GRACE_NS;
}

/* Hooked and unhashed: over a grace after, unless its child came. A
 * listing tells nothing more. */
static bool unhashed_over(const struct req_phase *p, const struct req_when *w)
{
	uint64_t grace = w->kind == REQ_FINAL ? 0 : retry_grace(p, p->end_ns);

	return w->kind != REQ_LISTING && p->end_ns + w->linger_ns + grace <= w->now;
}

/* At exit: a request listed at or after its due time (the exit's own
 * listing included) is alive, its next SYN-ACK only late (timer slack),
 * not timed out -- unless a later listing missed it: dropped since. */
static bool final_over(const struct req_phase *p, uint64_t now)
{
	uint64_t due = request_due(p);

	return due <= now && !(p->listed_ns >= due && p->listed_ns > p->missed_ns);
}

bool req_over(struct req_phase *p, const struct req_when *w, uint64_t *end)
{
	bool over;

	if (w->kind == REQ_LISTING && w->own_netns && p->gen != w->gen)
		p->missed_ns = w->now;
	if (p->end_ns)
		over = unhashed_over(p, w);
	else if (w->kind == REQ_FINAL)
		over = final_over(p, w->now);
	else if (w->kind == REQ_LISTING)
		/* A listing of its namespace no longer holds it, its timer due
		 * (the grace: a retried SYN may make it again). */
		over = w->own_netns && p->gen != w->gen &&
		       request_due(p) + retry_grace(p, request_due(p)) <= w->now;
	else
		/* Unlisted (no namespace known, or gone): on the schedule alone. */
		over = !w->listable && request_due(p) + w->slack_ns + retry_grace(p, request_due(p)) <= w->now;
	if (!over)
		return false;
	/* Hooked: unhashed, exact. Else the timer's schedule, or the last
	 * listing that still held it (its timer ran late). */
	*end = p->end_ns ? p->end_ns : request_due(p);
	if (!p->end_ns && p->listed_ns > *end)
		*end = p->listed_ns;
	return true;
}

void req_fill_row(const struct req_phase *p, struct conn *c, uint64_t end)
{
	c->role = ROLE_PASSIVE;
	if (p->begin_ns)
		c->start_ns = p->begin_ns;
	else
		c->start_ns = p->first_ns > REQ_RTO_INIT_NS ? p->first_ns - REQ_RTO_INIT_NS : p->first_ns;
	c->start_exact = true;
	c->state = TL_SYN_RECV;
	c->state_entered_ns = c->start_ns;
	conn_path_add(c, TL_SYN_RECV);
	c->synack_retrans = p->count;
	c->inferred = !p->end_ns;
	conn_settle(c, end);
	c->cause = CAUSE_SYNACK_TIMEOUT;
	c->closed = true;
	c->end_ns = end;
}

/* Since 6.7 the child inherits the time since the first SYN-ACK in
 * total_rto_time (ms, the kernel's own clock); before, the request timer's
 * fixed schedule places the SYN one TCP_TIMEOUT_INIT before the first
 * retransmit, to within the timer wheel's slack. */
uint64_t req_syn_start(const struct tl_rec *e, const struct req_phase *p, bool *inferred)
{
	/* total_rto_time is taken when the child is created: at its birth. */
	uint64_t child = e->birth_ns ? e->birth_ns : e->ts_ns;

	*inferred = false;
	if (p && p->begin_ns)
		return p->begin_ns; /* hooked: the request was hashed as its SYN came */
	if (e->type == TL_REC_STATE && e->oldstate == TL_SYN_RECV && e->newstate == TL_ESTABLISHED &&
	    e->req_rto_ms != TL_REQ_RTO_UNKNOWN && e->req_rto_ms &&
	    e->req_rto_ms * TL_MS < child)
		return child - e->req_rto_ms * TL_MS;
	if (p && p->first_ns > REQ_RTO_INIT_NS) {
		*inferred = true;
		return p->first_ns - REQ_RTO_INIT_NS;
	}
	return 0;
}

void req_set_start(struct conn *c, uint64_t syn, bool inferred)
{
	if (!syn || !c->start_exact || !c->path_len || c->path[0] != TL_SYN_RECV)
		return;
	if (c->state == TL_SYN_RECV)
		c->state_entered_ns = syn; /* not settled yet */
	else
		c->state_ns[TL_SYN_RECV] += c->start_ns - syn; /* wraps right if syn is later */
	c->start_ns = syn;
	c->inferred = inferred;
}
