// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conntab.h"
#include "hmap.h"

#define AF_INET_ 2
#define AF_INET6_ 10
#define BIT(s) (1u << (s))
#define MS 1000000ULL
#define SEC 1000000000ULL
/* TCP_TIMEWAIT_LEN: a timewait sock's TIME_WAIT timer, fixed at 60 s in
 * every kernel (the FIN_WAIT2 substate uses tcp_fin_timeout instead). */
#define TW_LEN_NS (60 * SEC)
/* TCP_TIMEOUT_INIT and TCP_RTO_MAX: a request's timer fires 1 s after the
 * SYN, then doubles; each firing resends the SYN-ACK or drops the request. */
#define REQ_RTO_INIT_NS SEC
#define REQ_RTO_MAX_NS (120 * SEC)

/* A tuple normalised for matching: an IPv4-mapped IPv6 address is IPv4. */
struct tkey {
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport, rport;
	uint16_t family, _pad;
};

struct entry {
	struct conn c;
	struct entry *prev, *next; /* linger list, oldest first */
	uint64_t linger_until;     /* 0: not lingering */
	bool sent_fin;             /* this side's FIN was seen leaving */
	bool indexed;              /* present in by_tuple */
	/* Handed to a timewait sock (in the `tw` index until it is gone). */
	bool tw;
	bool tw_listed;            /* sock_diag has listed the timewait sock */
	uint8_t tw_from;           /* the full socket's last state */
	uint8_t tw_sub;            /* inferred substate at the hand-over */
	uint64_t tw_since;         /* the hand-over (the CLOSE record) */
	uint64_t tw_peer_fin;      /* a traced peer's FIN left before the first listing */
	uint64_t tw_gen;           /* the last listing that held it */
	uint64_t tw_seen_ns;       /* when that listing began */
	uint64_t tw_due_ns;        /* when its timer is due (listing + idiag_expires) */
	bool seeded;               /* a SEED record was applied (counted once) */
	struct tkey key;
};

/* SYN-ACK retransmits of a request, kept by tuple until its child appears. */
struct pending_synack {
	struct tl_tuple tuple;
	uint32_t netns;
	uint32_t count;
	uint64_t first_ns, last_ns;
	uint64_t gen;              /* the last listing that held the request */
	uint64_t begin_ns, end_ns; /* hooked (TL_REC_REQ): hashed, unhashed; 0 = not seen */
};

/* A timewait sock the hooks saw begin before its connection's CLOSE record
 * (tcp_time_wait() makes it, then closes the full socket). */
struct tw_note {
	uint64_t ts;
	uint32_t netns;
	uint8_t sub;
};

struct conntab {
	struct conntab_cfg cfg;
	struct hmap by_sk;     /* skaddr -> entry */
	struct hmap by_tuple;  /* tkey -> entry, live connections */
	struct hmap tw;        /* tkey -> entry handed to a timewait sock */
	struct hmap synacks;   /* tkey -> pending_synack */
	struct hmap tw_notes;  /* tkey -> tw_note, hooked tiers only */
	struct entry *lhead, *ltail;
	uint64_t closed, open, synack_orphans, unattributed, tw_unconfirmed, seeded;
	/* The listing in progress (conntab_watch_begin .. _done). */
	uint32_t w_netns;
	uint64_t w_start, w_gen;
};

static bool is_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, sizeof(pfx));
}

static void make_key(const struct tl_tuple *tu, bool swap, struct tkey *k)
{
	const uint8_t *l = swap ? tu->daddr : tu->saddr, *r = swap ? tu->saddr : tu->daddr;

	memset(k, 0, sizeof(*k));
	k->lport = swap ? tu->dport : tu->sport;
	k->rport = swap ? tu->sport : tu->dport;
	if (tu->family == AF_INET6_ && !(is_v4mapped(l) && is_v4mapped(r))) {
		k->family = AF_INET6_;
		memcpy(k->laddr, l, 16);
		memcpy(k->raddr, r, 16);
	} else {
		k->family = AF_INET_;
		memcpy(k->laddr, tu->family == AF_INET6_ ? l + 12 : l, 4);
		memcpy(k->raddr, tu->family == AF_INET6_ ? r + 12 : r, 4);
	}
}

struct conntab *conntab_new(const struct conntab_cfg *cfg)
{
	struct conntab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.linger_ns)
		t->cfg.linger_ns = 100 * 1000000ULL;
	if (!t->cfg.watch_slack_ns)
		t->cfg.watch_slack_ns = 500 * MS;
	if (hmap_init(&t->by_sk, sizeof(uint64_t)) || hmap_init(&t->by_tuple, sizeof(struct tkey)) ||
	    hmap_init(&t->tw, sizeof(struct tkey)) || hmap_init(&t->synacks, sizeof(struct tkey)) ||
	    hmap_init(&t->tw_notes, sizeof(struct tkey))) {
		conntab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static void free_all_values(struct hmap *m)
{
	size_t b;

	for (struct hmap_node *n = hmap_first(m, &b); n; n = hmap_next(m, n, &b))
		free(n->value);
}

void conntab_free(struct conntab *t)
{
	if (!t)
		return;
	if (t->by_sk.buckets)
		free_all_values(&t->by_sk);
	/* Timewait entries, and lingering ones after them, left by_sk when
	 * their socket went. */
	for (struct entry *en = t->lhead, *next; en; en = next) {
		next = en->next;
		if (hmap_get(&t->by_sk, &en->c.skaddr) != en)
			free(en);
	}
	if (t->tw.buckets)
		free_all_values(&t->tw);
	if (t->synacks.buckets)
		free_all_values(&t->synacks);
	if (t->tw_notes.buckets)
		free_all_values(&t->tw_notes);
	hmap_fini(&t->by_sk);
	hmap_fini(&t->by_tuple);
	hmap_fini(&t->tw);
	hmap_fini(&t->synacks);
	hmap_fini(&t->tw_notes);
	free(t);
}

size_t conntab_count(const struct conntab *t)
{
	return t->by_sk.count + t->tw.count;
}

void conntab_summary(const struct conntab *t, struct summary *s)
{
	s->conns_closed = t->closed;
	s->conns_open = t->open;
	s->synack_orphans = t->synack_orphans;
	s->unattributed = t->unattributed;
	s->tw_unconfirmed = t->tw_unconfirmed;
	s->seeded = t->seeded;
}

static bool filtering(const struct conntab *t)
{
	return t->cfg.n_pids || t->cfg.n_comms || t->cfg.cgroup;
}

/* -p, -c and --cgroup, on the recorded owner (known or not: callers ask). */
static bool owner_wanted(const struct conntab *t, const struct conn *c)
{
	bool pid_ok = !t->cfg.n_pids, comm_ok = !t->cfg.n_comms;

	for (uint32_t i = 0; i < t->cfg.n_pids; i++)
		pid_ok |= t->cfg.pids[i] == c->owner.pid;
	for (uint32_t i = 0; i < t->cfg.n_comms; i++)
		comm_ok |= !strncmp(t->cfg.comms[i], c->owner.comm, TL_COMM_LEN);
	return pid_ok && comm_ok && (!t->cfg.cgroup || t->cfg.cgroup == c->cgroup);
}

/* A socket being torn down can report port 0 (unhashed); keep what we had. */
static void update_tuple(struct conn *c, const struct tl_tuple *tu)
{
	if (tu->sport && tu->dport)
		c->tuple = *tu;
}

static void path_add(struct conn *c, uint8_t state)
{
	if (c->path_len && c->path[c->path_len - 1] == state)
		return;
	if (c->path_len >= CONN_PATH_MAX) {
		c->path_truncated = true;
		return;
	}
	c->path[c->path_len++] = state;
}

/* Account the time since the current state was entered, up to `ts`. */
static void settle(struct conn *c, uint64_t ts)
{
	if (c->state < TL_NSTATES && ts > c->state_entered_ns)
		c->state_ns[c->state] += ts - c->state_entered_ns;
	c->state_entered_ns = ts;
}

static void enter(struct conn *c, uint8_t state, uint64_t ts)
{
	settle(c, ts);
	c->state = state;
	path_add(c, state);
	if (!c->start_exact)
		c->unmeasured &= ~BIT(state); /* seen mid-life: this one we measure */
}

static void notify(struct conntab *t, enum transition_kind kind, uint8_t detail, uint64_t ts,
		   const struct conn *c, uint8_t old, uint8_t new, uint64_t old_ns, bool old_known)
{
	struct transition tr = {
		.kind = kind, .detail = detail, .ts_ns = ts, .c = c,
		.oldstate = old, .newstate = new, .old_ns = old_ns, .old_known = old_known,
	};

	/* Under -p nothing is shown before the owner is known to match. */
	if (filtering(t) && (!c->owner_known || !owner_wanted(t, c)))
		return;
	if (t->cfg.transition)
		t->cfg.transition(t->cfg.ctx, &tr);
}

/* Take the entry out of every index and list; the caller frees it. */
static void unlink_entry(struct conntab *t, struct entry *en)
{
	if (hmap_get(&t->by_sk, &en->c.skaddr) == en)
		hmap_del(&t->by_sk, &en->c.skaddr);
	if (en->indexed && hmap_get(&t->by_tuple, &en->key) == en)
		hmap_del(&t->by_tuple, &en->key);
	if (en->tw && hmap_get(&t->tw, &en->key) == en)
		hmap_del(&t->tw, &en->key);
	if (en->linger_until) {
		if (en->prev)
			en->prev->next = en->next;
		else
			t->lhead = en->next;
		if (en->next)
			en->next->prev = en->prev;
		else
			t->ltail = en->prev;
	}
}

/* Write the connection (if the owner filter lets it) and free it. */
static void finish(struct conntab *t, struct entry *en)
{
	struct conn *c = &en->c;

	unlink_entry(t, en);
	if (filtering(t) && !c->owner_known) {
		t->unattributed++; /* -p given, owner never seen: cannot attribute */
	} else if (!filtering(t) || owner_wanted(t, c)) {
		if (c->closed)
			t->closed++;
		else
			t->open++;
		t->cfg.emit(t->cfg.ctx, c);
	}
	free(en);
}

static void drop(struct conntab *t, struct entry *en)
{
	unlink_entry(t, en);
	free(en);
}

/* Closed: keep it briefly for records that trail the CLOSE. */
static void start_linger(struct conntab *t, struct entry *en, uint64_t ts)
{
	if (en->tw && hmap_get(&t->tw, &en->key) == en)
		hmap_del(&t->tw, &en->key);
	en->tw = false;
	if (en->indexed && hmap_get(&t->by_tuple, &en->key) == en)
		hmap_del(&t->by_tuple, &en->key);
	en->indexed = false;
	en->linger_until = ts + t->cfg.linger_ns;
	if (!en->linger_until)
		en->linger_until = 1;
	en->prev = t->ltail;
	en->next = NULL;
	if (t->ltail)
		t->ltail->next = en;
	else
		t->lhead = en;
	t->ltail = en;
}

static void end_conn(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t ts)
{
	en->c.cause = cause;
	en->c.closed = true;
	en->c.end_ns = ts;
	start_linger(t, en, ts);
}

/* The timewait sock is gone at `end`: the connection's record is complete. */
static void tw_end(struct conntab *t, struct entry *en, enum close_cause cause, uint64_t end)
{
	struct conn *c = &en->c;

	uint8_t from = c->state;
	uint64_t spent;

	if (end < c->state_entered_ns)
		end = c->state_entered_ns;
	spent = end - c->state_entered_ns;
	enter(c, TL_CLOSE, end);
	notify(t, TR_INFERRED, 0, end, c, from, TL_CLOSE, spent, true);
	end_conn(t, en, cause, end);
}

/* The state the hand-over led to, once it is certain (a listing, or no
 * listing possible): a TIME_WAIT hand-over shows as its own step. */
static void tw_confirm(struct conntab *t, struct entry *en)
{
	struct conn *c = &en->c;

	en->tw_listed = true;
	if (en->tw_sub == TL_TIME_WAIT) {
		enter(c, TL_TIME_WAIT, en->tw_since);
		notify(t, TR_INFERRED, 0, en->tw_since, c, en->tw_from, TL_TIME_WAIT,
		       c->state_ns[en->tw_from], true);
	}
	if (en->tw_peer_fin && c->state == TL_FIN_WAIT2) {
		enter(c, TL_TIME_WAIT, en->tw_peer_fin);
		notify(t, TR_INFERRED, 0, en->tw_peer_fin, c, TL_FIN_WAIT2, TL_TIME_WAIT,
		       c->state_ns[TL_FIN_WAIT2], true);
	}
}

/* No listing can tell what the timewait sock did (its namespace is gone or
 * not reachable): write what the hand-over itself told, durations after it
 * unmeasured, as before timewait tracking. */
static void tw_give_up(struct conntab *t, struct entry *en, uint64_t now)
{
	struct conn *c = &en->c;

	if (!en->tw_listed)
		tw_confirm(t, en);
	c->unmeasured |= BIT(c->state);
	t->tw_unconfirmed++;
	end_conn(t, en, CAUSE_FIN, now > c->state_entered_ns ? c->state_entered_ns : now);
}

/* The connection passed to a timewait sock at `ts` (tcp_time_wait()); it
 * is complete only when that sock is gone, which a listing will show. */
static void tw_begin(struct conntab *t, struct entry *en, uint8_t from, uint8_t sub, uint64_t ts)
{
	struct entry *old = hmap_get(&t->tw, &en->key);

	if (old) /* the same 4-tuple in another namespace: settle the older one */
		tw_give_up(t, old, ts);
	if (hmap_get(&t->by_sk, &en->c.skaddr) == en)
		hmap_del(&t->by_sk, &en->c.skaddr); /* the socket itself is gone */
	if (en->indexed && hmap_get(&t->by_tuple, &en->key) == en)
		hmap_del(&t->by_tuple, &en->key);
	en->indexed = false;
	en->tw_from = from;
	en->tw_sub = sub;
	en->tw_since = ts;
	if (t->cfg.tw_hooked) {
		/* The hooks saw the sock begin, just before this CLOSE, or
		 * tcp_time_wait() made none (tcp_max_tw_buckets): exact. */
		struct tw_note *note = hmap_del(&t->tw_notes, &en->key);

		if (!note) {
			en->tw_listed = true;
			tw_end(t, en, CAUSE_TW_OVERFLOW, ts);
			return;
		}
		en->tw_sub = note->sub;
		free(note);
		if (hmap_put(&t->tw, &en->key, en)) {
			tw_give_up(t, en, ts);
			return;
		}
		en->tw = true;
		tw_confirm(t, en);
		return;
	}
	/* No namespace, nothing to list in: settle on the hand-over alone. */
	if (!en->c.netns || hmap_put(&t->tw, &en->key, en)) {
		en->tw = false;
		tw_give_up(t, en, ts);
		return;
	}
	en->tw = true;
	en->c.inferred = true; /* what follows comes from listings */
}

/* fentry/kprobe tiers: a timewait sock began, changed substate or ended. */
static void apply_tw(struct conntab *t, const struct tl_event *e)
{
	struct tkey k;
	struct entry *w;

	make_key(&e->tuple, false, &k);
	if (e->kind == TL_TW_BEGIN) {
		struct tw_note *n = hmap_get(&t->tw_notes, &k);

		if (!n) {
			n = calloc(1, sizeof(*n));
			if (!n || hmap_put(&t->tw_notes, &k, n)) {
				free(n);
				return; /* its CLOSE will read as an overflow */
			}
		}
		n->ts = e->ts_ns;
		n->netns = e->netns;
		n->sub = e->newstate;
		return;
	}
	w = hmap_get(&t->tw, &k);
	if (!w || (e->netns && w->c.netns && e->netns != w->c.netns))
		return;
	if (e->kind == TL_TW_RESCHED) {
		/* The peer's FIN came: tcp_timewait_state_process() rearms the
		 * timer for TIME_WAIT. (A rearm in TIME_WAIT restarts it.) */
		if (w->c.state == TL_FIN_WAIT2 && e->newstate == TL_TIME_WAIT) {
			enter(&w->c, TL_TIME_WAIT, e->ts_ns);
			notify(t, TR_STATE, 0, e->ts_ns, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT,
			       w->c.state_ns[TL_FIN_WAIT2], true);
		}
		return;
	}
	if (e->flags & TL_F_EXPIRED)
		tw_end(t, w, w->c.state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN, e->ts_ns);
	else
		tw_end(t, w, CAUSE_TW_KILLED, e->ts_ns);
}

/* fentry/kprobe tiers: a request was hashed (its SYN came) or unhashed. */
static void apply_req(struct conntab *t, const struct tl_event *e)
{
	struct tkey k;
	struct pending_synack *p;

	make_key(&e->tuple, false, &k);
	p = hmap_get(&t->synacks, &k);
	if (e->kind == TL_REQ_END) {
		if (p) /* written after the linger, unless its child shows up */
			p->end_ns = e->ts_ns;
		return; /* else its child took it over already */
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&t->synacks, &k, p)) {
			free(p);
			return;
		}
		p->tuple = e->tuple;
	}
	p->netns = e->netns;
	p->begin_ns = e->ts_ns;
}

/* A new life of a 4-tuple whose timewait sock we follow: the kernel reused
 * it (tcp_tw_reuse on connect(), or a new SYN accepted in TIME_WAIT). */
static void tw_reused(struct conntab *t, const struct tkey *k, uint32_t netns, uint64_t ts)
{
	struct entry *w = hmap_get(&t->tw, k);

	if (!w || (netns && w->c.netns && netns != w->c.netns))
		return;
	if (!w->tw_listed)
		tw_confirm(t, w);
	tw_end(t, w, CAUSE_TW_REUSE, ts);
}

/* The request's SYN arrived (the child joining its SYN-ACK retransmits).
 * Since 6.7 the child inherits the time since the first SYN-ACK in
 * total_rto_time (ms, the kernel's own clock); before, the request timer's
 * fixed schedule places the SYN one TCP_TIMEOUT_INIT before the first
 * retransmit, to within the timer wheel's slack. */
static uint64_t request_start(const struct tl_event *e, const struct pending_synack *p, bool *inferred)
{
	/* total_rto_time is taken when the child is created: at its birth. */
	uint64_t child = e->birth_ns ? e->birth_ns : e->ts_ns;

	*inferred = false;
	if (p && p->begin_ns)
		return p->begin_ns; /* hooked: the request was hashed as its SYN came */
	if (e->type == TL_REC_STATE && e->oldstate == TL_SYN_RECV && e->newstate == TL_ESTABLISHED &&
	    e->own.req_rto_ms != TL_REQ_RTO_UNKNOWN && e->own.req_rto_ms && e->own.req_rto_ms * MS < child)
		return child - e->own.req_rto_ms * MS;
	if (p && p->first_ns > REQ_RTO_INIT_NS) {
		*inferred = true;
		return p->first_ns - REQ_RTO_INIT_NS;
	}
	return 0;
}

/* Move a passive connection's start back to its SYN: the SYN_RECV phase is
 * the request's, not the child's few microseconds. */
static void set_request_start(struct conn *c, uint64_t syn, bool inferred)
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

/* A passive child: its request's SYN-ACK retransmits and SYN_RECV phase. */
static void join_request(struct conntab *t, struct entry *en, const struct tl_event *e)
{
	struct pending_synack *p = hmap_del(&t->synacks, &en->key);
	bool inferred;
	uint64_t syn;

	if (p)
		en->c.synack_retrans += p->count;
	syn = request_start(e, p, &inferred);
	if (syn < en->c.start_ns)
		set_request_start(&en->c, syn, inferred);
	free(p);
}

static struct entry *create(struct conntab *t, const struct tl_event *e)
{
	struct entry *en = calloc(1, sizeof(*en));
	struct conn *c;
	bool born = e->flags & TL_F_BIRTH_SEEN;
	bool passive = e->flags & TL_F_PASSIVE;
	uint8_t s = e->oldstate;

	if (!en)
		return NULL;
	c = &en->c;
	c->skaddr = e->skaddr;
	c->birth_ns = e->birth_ns;
	c->tuple = e->tuple;
	c->role = passive ? ROLE_PASSIVE : born ? ROLE_ACTIVE : ROLE_UNKNOWN;
	c->start_exact = born && e->birth_ns;
	c->preexisting = !born;
	c->fd = -1;
	c->cause = CAUSE_OPEN;
	if (e->type == TL_REC_STATE && (s == TL_CLOSE || s == TL_LISTEN)) {
		/* The birth transition itself. */
		c->start_ns = e->ts_ns;
		c->state = e->newstate;
		c->state_entered_ns = e->ts_ns;
		path_add(c, e->newstate);
	} else if (c->start_exact) {
		/* The birth record was held back (tuple incomplete at birth: the
		 * local port of a connect(), the addresses of a fresh child). The
		 * first state is certain; its duration is when only one step
		 * separates it from the state this record reports. */
		uint8_t first = passive ? TL_SYN_RECV : TL_SYN_SENT;
		uint64_t entered = e->entered_ns ? e->entered_ns : e->ts_ns;

		c->start_ns = e->birth_ns;
		c->state = first;
		c->state_entered_ns = e->birth_ns;
		path_add(c, first);
		if (s != first) {
			if (s == TL_ESTABLISHED && entered >= e->birth_ns)
				settle(c, entered);
			else
				c->unmeasured |= BIT(first) | BIT(s);
			c->state = s;
			c->state_entered_ns = entered;
			path_add(c, s);
		}
	} else {
		/* Seen mid-life: the tool started after it was born. What came
		 * before is unknown; the first state counts from first sight. */
		c->start_ns = e->entered_ns ? e->entered_ns : e->ts_ns;
		c->unmeasured = e->entered_ns ? ~BIT(s) : ~0u;
		c->state = s;
		c->state_entered_ns = c->start_ns;
		path_add(c, s);
	}
	if (hmap_put(&t->by_sk, &c->skaddr, en)) {
		free(en);
		return NULL;
	}
	c->netns = e->netns;
	make_key(&c->tuple, false, &en->key);
	if (born && (s == TL_CLOSE || s == TL_LISTEN || c->start_exact))
		tw_reused(t, &en->key, e->netns, c->start_ns);
	if (!hmap_put(&t->by_tuple, &en->key, en))
		en->indexed = true;
	if (passive)
		join_request(t, en, e);
	return en;
}

/* A socket seeded from sock_diag, keyed by its cookie, gets the kernel
 * address its first BPF record brings; a seed record for a socket already
 * known by address joins that entry. Matched by tuple. */
static struct entry *adopt_synthetic(struct conntab *t, const struct tl_event *e)
{
	struct tkey k;
	struct entry *en;

	make_key(&e->tuple, false, &k);
	en = hmap_get(&t->by_tuple, &k);
	if (!en || en->c.closed)
		return NULL;
	if (CONN_SYNTHETIC_SK(e->skaddr))
		return en; /* a seed record for a socket already seen live */
	if (!CONN_SYNTHETIC_SK(en->c.skaddr))
		return NULL;
	hmap_del(&t->by_sk, &en->c.skaddr);
	en->c.skaddr = e->skaddr;
	en->c.birth_ns = e->birth_ns;
	if (hmap_put(&t->by_sk, &en->c.skaddr, en)) {
		drop(t, en);
		return NULL;
	}
	return en;
}

/* The record's socket: the live entry for skaddr, or a new one. A record
 * with another birth time means the address was reused: the old life ended
 * without its end being seen (or is lingering) and is written now. */
static struct entry *lookup(struct conntab *t, const struct tl_event *e)
{
	struct entry *en = hmap_get(&t->by_sk, &e->skaddr);
	bool birth_rec = e->type == TL_REC_STATE && (e->oldstate == TL_CLOSE || e->oldstate == TL_LISTEN);

	if (!en && !birth_rec) {
		en = adopt_synthetic(t, e);
		if (en)
			return en;
	}
	if (en && (en->c.birth_ns != e->birth_ns || birth_rec)) {
		if (e->birth_ns && en->c.birth_ns > e->birth_ns)
			return NULL; /* a trailing record of an older life */
		if (!en->c.closed) {
			en->c.cause = CAUSE_LOST;
			en->c.closed = true;
			en->c.end_ns = e->ts_ns;
		}
		finish(t, en);
		en = NULL;
	}
	return en ? en : create(t, e);
}

/* Every record carries the owner the kernel side holds at that moment, so
 * the latest one wins: a hand-over at close() or a holder scan changes it. */
static void set_owner(struct entry *en, const struct tl_event *e)
{
	struct conn *c = &en->c;

	if (!(e->flags & TL_F_OWNER_KNOWN))
		return;
	if (!c->owner_known || c->owner.pid != e->owner.pid)
		c->n_others = 0, c->others_truncated = false;
	c->owner = e->owner;
	c->owner_known = true;
	c->owner_released = e->flags & TL_F_RELEASED;
	/* A STATE record to CLOSE carries byte counts in place of fd/cgroup. */
	if (e->type != TL_REC_STATE || e->newstate != TL_CLOSE) {
		c->fd = e->own.fd;
		c->cgroup = e->own.cgroup;
	}
}

static void add_holder(struct conn *c, const struct tl_event *e)
{
	struct holder *h;

	for (unsigned int i = 0; i < c->n_others; i++)
		if (c->others[i].pid == e->owner.pid && c->others[i].fd == e->own.fd)
			return; /* the same one again (an iterator's retried record) */
	if (c->n_others >= CONN_MAX_OTHERS) {
		c->others_truncated = true;
		return;
	}
	h = &c->others[c->n_others++];
	h->pid = e->owner.pid;
	h->fd = e->own.fd;
	memcpy(h->comm, e->owner.comm, TL_COMM_LEN);
}

/* The FINs that leave in the owner's close()/shutdown(): tcp_close_state()
 * sets these states and tcp_send_fin() follows. */
static bool sends_fin(uint8_t old, uint8_t new)
{
	return (new == TL_FIN_WAIT1 && (old == TL_ESTABLISHED || old == TL_SYN_RECV)) ||
	       (new == TL_LAST_ACK && old == TL_CLOSE_WAIT);
}

/* The connection in a FIN_WAIT2 timewait sock whose peer is `peer`, if the
 * peer is local and traced. */
static struct entry *tw_partner(struct conntab *t, const struct entry *peer)
{
	struct tkey k;
	struct entry *w;

	make_key(&peer->c.tuple, true, &k);
	w = hmap_get(&t->tw, &k);
	return w && w->c.state == TL_FIN_WAIT2 ? w : NULL;
}

/* A FIN_WAIT2 timewait sock's local peer sent its FIN: the sock moves to
 * TIME_WAIT when it arrives (same host: microseconds later). This time is
 * exact; a listing would only bound it. */
static void peer_fin(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_partner(t, peer);

	if (!w)
		return;
	if (!w->tw_listed) {
		w->tw_peer_fin = ts; /* applied when the hand-over is confirmed */
		return;
	}
	enter(&w->c, TL_TIME_WAIT, ts);
	notify(t, TR_INFERRED, 0, ts, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT, w->c.state_ns[TL_FIN_WAIT2], true);
}

/* The local peer of a FIN_WAIT2 timewait sock reset the connection: an RST
 * kills the sock (tcp_timewait_state_process()). */
static void peer_gone(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = tw_partner(t, peer);

	if (!w || !peer->c.rst_sent)
		return;
	if (!w->tw_listed)
		tw_confirm(t, w);
	w->c.rst_recv++;
	tw_end(t, w, CAUSE_RST_RECV, ts);
}

/* The stream sees the CLOSE only when it is one: a hand-over shows as the
 * inferred step into TIME_WAIT instead. */
static void on_close(struct conntab *t, struct entry *en, const struct tl_event *e,
		     uint64_t old_ns, bool old_known)
{
	struct conn *c = &en->c;
	uint8_t old = e->oldstate;
	int err = e->sk_err;
	uint64_t ts = e->ts_ns;
	enum close_cause cause;

	c->bytes_acked = e->bytes_acked;
	c->bytes_received = e->bytes_received;
	c->bytes_known = true;
	settle(c, ts);

	if (err == ECONNREFUSED || (old == TL_SYN_SENT && (c->rst_recv || err == ECONNRESET)))
		cause = CAUSE_REFUSED;
	else if (c->rst_recv || err == ECONNRESET || err == EPIPE)
		cause = CAUSE_RST_RECV;
	else if (err == ETIMEDOUT)
		cause = old == TL_SYN_SENT ? CAUSE_SYN_TIMEOUT : CAUSE_TIMEOUT;
	else if (c->rst_sent)
		cause = CAUSE_RST_SENT;
	else if (old == TL_CLOSING || old == TL_FIN_WAIT2) {
		/* tcp_time_wait(): a timewait sock takes over, in TIME_WAIT if the
		 * peer's FIN is in (SOCK_DONE, or CLOSING), else in FIN_WAIT2 until
		 * it comes. The sock may also never exist (tcp_max_tw_buckets):
		 * the listings tell. */
		if (e->netns)
			c->netns = e->netns;
		tw_begin(t, en,  old,
			 old == TL_CLOSING || (e->flags & TL_F_PEER_FIN) ? TL_TIME_WAIT : TL_FIN_WAIT2, ts);
		return;
	} else if (old == TL_LAST_ACK) {
		cause = CAUSE_FIN;
	} else {
		cause = CAUSE_ABORT;
	}
	enter(c, TL_CLOSE, ts);
	notify(t, TR_STATE, 0, ts, c, old, TL_CLOSE, old_ns, old_known);
	peer_gone(t, en, ts);
	end_conn(t, en, cause, ts);
}

static void apply_state(struct conntab *t, struct entry *en, const struct tl_event *e)
{
	struct conn *c = &en->c;
	uint8_t old = e->oldstate, new = e->newstate;
	uint64_t ts = e->ts_ns, old_ns = 0;
	bool old_known = false, fin = sends_fin(old, new);

	if (e->oldstate == TL_CLOSE || e->oldstate == TL_LISTEN) {
		notify(t, TR_STATE, 0, ts, c, old, new, 0, false); /* just born */
		return;
	}
	if (c->state != old) {
		/* A record was lost in between: close out what we had. */
		settle(c, e->entered_ns && e->entered_ns < ts ? e->entered_ns : ts);
		c->state = old;
		path_add(c, old);
		if (e->entered_ns)
			c->state_entered_ns = e->entered_ns;
	}
	if (e->entered_ns && ts >= e->entered_ns) {
		old_ns = ts - e->entered_ns;
		old_known = true;
	}
	update_tuple(c, &e->tuple);
	if (old == TL_SYN_RECV && new == TL_ESTABLISHED && c->role == ROLE_PASSIVE) {
		/* What the child inherited from its request is the kernel's own
		 * count and, on 6.7+, its own clock: it overrides our inference. */
		bool inferred;
		uint64_t syn = request_start(e, NULL, &inferred);

		if (syn && syn < e->ts_ns)
			set_request_start(c, syn, inferred);
		if (e->req_retrans > c->synack_retrans)
			c->synack_retrans = e->req_retrans;
	}
	if (fin) {
		en->sent_fin = true;
		if (t->cfg.fin_inferred)
			c->fin_sent++;
	}
	if (new == TL_CLOSE) {
		on_close(t, en, e, old_ns, old_known);
		return;
	}
	enter(c, new, ts);
	notify(t, TR_STATE, 0, ts, c, old, new, old_ns, old_known);
	if (fin)
		peer_fin(t, en, ts);
}

static void apply_synack(struct conntab *t, const struct tl_event *e)
{
	struct tkey k;
	struct pending_synack *p;
	struct conn tmp = { .tuple = e->tuple, .state = TL_SYN_RECV, .role = ROLE_PASSIVE };

	make_key(&e->tuple, false, &k);
	p = hmap_get(&t->synacks, &k);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&t->synacks, &k, p)) {
			free(p);
			t->synack_orphans++;
			return;
		}
		p->first_ns = e->ts_ns;
		p->tuple = e->tuple;
		p->netns = e->netns;
	}
	p->last_ns = e->ts_ns;
	p->count++;
	tmp.synack_retrans = p->count;
	notify(t, TR_SYNACK, 0, e->ts_ns, &tmp, TL_SYN_RECV, TL_SYN_RECV, 0, false);
}

void conntab_apply(struct conntab *t, const struct tl_event *e)
{
	struct entry *en;

	if (e->type == TL_REC_SYNACK) {
		apply_synack(t, e);
		return;
	}
	if (e->type == TL_REC_TW) {
		apply_tw(t, e);
		return;
	}
	if (e->type == TL_REC_REQ) {
		apply_req(t, e);
		return;
	}
	en = lookup(t, e);
	if (!en)
		return;
	if ((e->type == TL_REC_OWNER || e->type == TL_REC_HOLDER) && (e->flags & TL_F_FILTERED)) {
		/* The owner is known now and is not one of -p. */
		drop(t, en);
		return;
	}
	if (e->type == TL_REC_HOLDER && e->kind == TL_HOLDER_OTHER) {
		add_holder(&en->c, e);
		return;
	}
	if (e->type == TL_REC_HOLDER)
		en->c.n_others = 0, en->c.others_truncated = false; /* a new scan */
	set_owner(en, e);
	if (en->c.owner_known && filtering(t) && !owner_wanted(t, &en->c)) {
		drop(t, en);
		return;
	}
	switch (e->type) {
	case TL_REC_STATE:
		apply_state(t, en, e);
		break;
	case TL_REC_RETRANS:
		if (e->kind == TL_RT_SYN)
			en->c.syn_retrans++;
		else if (e->kind == TL_RT_FIN)
			en->c.fin_retrans++;
		else
			en->c.data_retrans++;
		notify(t, TR_RETRANS, e->kind, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_RESET:
		if (e->kind == TL_RST_SENT) {
			en->c.rst_sent++;
			/* tcp_disconnect()/tcp_close() set CLOSE, then send the RST. */
			if (en->c.closed && en->c.cause == CAUSE_ABORT)
				en->c.cause = CAUSE_RST_SENT;
		} else {
			en->c.rst_recv++;
		}
		notify(t, TR_RESET, e->kind, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_FIN:
		if (!t->cfg.fin_inferred)
			en->c.fin_sent++;
		notify(t, TR_FIN, 0, e->ts_ns, &en->c, e->oldstate, e->oldstate, 0, false);
		break;
	case TL_REC_OWNER:
	case TL_REC_HOLDER:
		update_tuple(&en->c, &e->tuple);
		break;
	case TL_REC_SEED:
		en->c.preexisting = true;
		if (!en->seeded)
			t->seeded++;
		en->seeded = true;
		break;
	default:
		break;
	}
}

/* When a request's timer is next due after its last SYN-ACK retransmit. */
static uint64_t request_due(const struct pending_synack *p)
{
	uint64_t rto = p->count < 8 ? REQ_RTO_INIT_NS << p->count : REQ_RTO_MAX_NS;

	return p->last_ns + (rto < REQ_RTO_MAX_NS ? rto : REQ_RTO_MAX_NS);
}

/* A request that never completed: its own record, passive, ended in
 * SYN_RECV. Its start and end come from the request timer's schedule. */
static void half_open(struct conntab *t, struct pending_synack *p)
{
	struct entry *en = calloc(1, sizeof(*en));
	struct conn *c;
	/* Hooked: hashed and unhashed, exact. Else the timer's schedule. */
	uint64_t due = p->end_ns ? p->end_ns : request_due(p);

	if (!en) {
		t->synack_orphans += p->count;
		return;
	}
	c = &en->c;
	c->tuple = p->tuple;
	c->netns = p->netns;
	c->role = ROLE_PASSIVE;
	if (p->begin_ns)
		c->start_ns = p->begin_ns;
	else
		c->start_ns = p->first_ns > REQ_RTO_INIT_NS ? p->first_ns - REQ_RTO_INIT_NS : p->first_ns;
	c->start_exact = true;
	c->state = TL_SYN_RECV;
	c->state_entered_ns = c->start_ns;
	path_add(c, TL_SYN_RECV);
	c->synack_retrans = p->count;
	c->inferred = !p->end_ns;
	settle(c, due);
	c->cause = CAUSE_SYNACK_TIMEOUT;
	c->closed = true;
	c->end_ns = due;
	finish(t, en); /* never in an index: finish() only writes and frees it */
}

/* Requests whose timer has run out without a new SYN-ACK: gone, unless a
 * listing of their namespace still holds them. A namespace never listed
 * (0: unknown) is decided on the schedule alone. */
static void expire_requests(struct conntab *t, uint64_t now_ns, bool listed_only, uint32_t netns)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->synacks, n, next, b) {
		struct pending_synack *p = n->value;

		if (p->begin_ns) {
			/* Hooked: ended when unhashed, unless its child came. */
			if (listed_only || !p->end_ns || p->end_ns + t->cfg.linger_ns > now_ns)
				continue;
		} else if (listed_only ? p->netns != netns || p->gen == t->w_gen || request_due(p) > t->w_start
				       : p->netns || request_due(p) + t->cfg.watch_slack_ns > now_ns) {
			continue;
		}
		hmap_del(&t->synacks, n->key);
		half_open(t, p);
		free(p);
	}
}

void conntab_tick(struct conntab *t, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	while (t->lhead && t->lhead->linger_until <= now_ns)
		finish(t, t->lhead);
	expire_requests(t, now_ns, false, 0);
	/* A timewait sock whose connection's CLOSE never came (a record
	 * lost, or a connection we did not follow): forget it. */
	hmap_for_each_safe(&t->tw_notes, n, next, b) {
		if (((struct tw_note *)n->value)->ts + SEC < now_ns)
			free(hmap_del(&t->tw_notes, n->key));
	}
}

size_t conntab_watch_netns(const struct conntab *t, uint32_t *ns, size_t max)
{
	size_t n = 0, b;
	struct hmap_node *h;

	/* With the hooks, timewait socks and hashed requests need no listing. */
	for (int m = t->cfg.tw_hooked; m < 2; m++) {
		const struct hmap *map = m ? &t->synacks : &t->tw;

		for (h = hmap_first(map, &b); h; h = hmap_next(map, h, &b)) {
			uint32_t id = m ? ((struct pending_synack *)h->value)->netns
					: ((struct entry *)h->value)->c.netns;
			size_t i;

			if (m && ((struct pending_synack *)h->value)->begin_ns)
				continue;

			for (i = 0; i < n && ns[i] != id; i++)
				;
			if (i == n && n < max && id)
				ns[n++] = id;
		}
	}
	return n;
}

void conntab_watch_begin(struct conntab *t, uint32_t netns, uint64_t start_ns)
{
	t->w_netns = netns;
	t->w_start = start_ns;
	t->w_gen++;
}

void conntab_watch_sock(struct conntab *t, const struct tl_tuple *tu, uint8_t state,
			bool timewait, uint32_t expires_ms)
{
	struct tkey k;
	struct entry *w;
	struct pending_synack *p;
	uint64_t due = t->w_start + expires_ms * MS;

	make_key(tu, false, &k);
	if (state == TL_SYN_RECV) {
		p = hmap_get(&t->synacks, &k);
		if (p && p->netns == t->w_netns)
			p->gen = t->w_gen;
		return;
	}
	w = timewait ? hmap_get(&t->tw, &k) : NULL;
	if (!w || w->c.netns != t->w_netns || w->tw_since > t->w_start)
		return;
	if (!w->tw_listed)
		tw_confirm(t, w);
	if (w->c.state == TL_FIN_WAIT2 && state == TL_TIME_WAIT) {
		/* The peer's FIN came since: TIME_WAIT's timer started then. */
		uint64_t at = due > TW_LEN_NS ? due - TW_LEN_NS : 0;

		if (at < w->c.state_entered_ns)
			at = w->c.state_entered_ns;
		if (at > t->w_start)
			at = t->w_start;
		enter(&w->c, TL_TIME_WAIT, at);
		notify(t, TR_INFERRED, 0, at, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT,
		       w->c.state_ns[TL_FIN_WAIT2], true);
	}
	w->tw_gen = t->w_gen;
	w->tw_seen_ns = t->w_start;
	w->tw_due_ns = due;
}

void conntab_watch_done(struct conntab *t, uint64_t tw_overflows)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;
		uint64_t from, end;

		if (t->cfg.tw_hooked || w->c.netns != t->w_netns || w->tw_gen == t->w_gen ||
		    w->tw_since > t->w_start)
			continue;
		if (!w->tw_listed) {
			/* Never listed: tcp_time_wait() found no room for a timewait
			 * sock and closed at once, if the namespace's own counter
			 * says so; else it went before the first listing. */
			if (tw_overflows) {
				tw_overflows--;
				w->tw_listed = true; /* nothing to confirm: no TIME_WAIT */
				w->c.inferred = false;
				tw_end(t, w, CAUSE_TW_OVERFLOW, w->tw_since);
			} else {
				tw_confirm(t, w);
				tw_end(t, w, CAUSE_TW_KILLED, (w->tw_since + t->w_start) / 2);
			}
			continue;
		}
		/* Gone between the last listing and this one: if its timer was
		 * due, it expired (the timer wheel fires up to 1/8 late); if not,
		 * something killed it early. The midpoint halves the error. */
		from = w->tw_due_ns > w->tw_seen_ns ? w->tw_due_ns : w->tw_seen_ns;
		if (w->tw_due_ns <= t->w_start) {
			end = from < t->w_start ? (from + t->w_start) / 2 : t->w_start;
			tw_end(t, w, w->c.state == TL_FIN_WAIT2 ? CAUSE_FIN_WAIT2_TIMEOUT : CAUSE_FIN, end);
		} else {
			tw_end(t, w, CAUSE_TW_KILLED, (w->tw_seen_ns + t->w_start) / 2);
		}
	}
	expire_requests(t, t->w_start, true, t->w_netns);
}

void conntab_watch_unreachable(struct conntab *t, uint32_t netns, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	hmap_for_each_safe(&t->tw, n, next, b) {
		struct entry *w = n->value;

		if (w->c.netns == netns)
			tw_give_up(t, w, now_ns);
	}
	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		if (((struct pending_synack *)n->value)->netns == netns)
			((struct pending_synack *)n->value)->netns = 0; /* schedule alone */
}

void conntab_flush(struct conntab *t, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n;

	while (t->lhead)
		finish(t, t->lhead);
	/* Still in a timewait sock: written open, the time so far measured. */
	while ((n = hmap_first(&t->tw, &b))) {
		struct entry *en = n->value;

		if (!en->tw_listed)
			tw_confirm(t, en);
		unlink_entry(t, en);
		en->tw = false;
		settle(&en->c, now_ns);
		en->c.end_ns = now_ns;
		en->c.cause = CAUSE_OPEN;
		en->c.closed = false;
		finish(t, en);
	}
	while ((n = hmap_first(&t->by_sk, &b))) {
		struct entry *en = n->value;

		settle(&en->c, now_ns);
		en->c.end_ns = now_ns;
		en->c.cause = CAUSE_OPEN;
		en->c.closed = false;
		finish(t, en);
	}
	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		t->synack_orphans += ((struct pending_synack *)n->value)->count;
}

void conntab_foreach_open(struct conntab *t, void (*fn)(void *ctx, struct conn *c), void *ctx)
{
	size_t b;

	for (struct hmap_node *n = hmap_first(&t->by_sk, &b); n; n = hmap_next(&t->by_sk, n, &b)) {
		struct entry *en = n->value;

		if (en->c.closed) /* handed to a timewait sock: not in by_sk */
			continue;
		if (filtering(t) && (!en->c.owner_known || !owner_wanted(t, &en->c)))
			continue;
		fn(ctx, &en->c);
	}
}

bool conntab_cw_due(struct conn *c, uint64_t now_ns, uint64_t threshold_ns)
{
	const uint64_t cap = 3600 * 1000000000ULL;
	uint64_t gap;

	if (c->closed || c->state != TL_CLOSE_WAIT || now_ns < c->state_entered_ns)
		return false;
	if (c->cw_alerts == 0 ? now_ns - c->state_entered_ns < threshold_ns : now_ns < c->cw_next_ns)
		return false;
	gap = threshold_ns;
	for (uint32_t i = 0; i < c->cw_alerts && gap < cap; i++)
		gap *= 2;
	c->cw_alerts++;
	c->cw_next_ns = now_ns + (gap * 2 < cap ? gap * 2 : cap);
	return true;
}
