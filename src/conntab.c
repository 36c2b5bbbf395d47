// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conntab.h"
#include "hmap.h"

#define AF_INET_ 2
#define AF_INET6_ 10
#define BIT(s) (1u << (s))

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
	bool waiting;              /* parked in FIN_WAIT2 after a hand-over */
	bool indexed;              /* present in by_tuple */
	struct tkey key;
};

struct pending_synack {
	uint32_t count;
	uint64_t first_ns;
};

struct conntab {
	struct conntab_cfg cfg;
	struct hmap by_sk;     /* skaddr -> entry */
	struct hmap by_tuple;  /* tkey -> entry, live connections */
	struct hmap waiting;   /* tkey -> entry parked in FIN_WAIT2 */
	struct hmap synacks;   /* tkey -> pending_synack */
	struct entry *lhead, *ltail;
	uint64_t closed, open, synack_orphans, unattributed;
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
	if (!t->cfg.synack_expire_ns)
		t->cfg.synack_expire_ns = 130 * 1000000000ULL;
	if (hmap_init(&t->by_sk, sizeof(uint64_t)) || hmap_init(&t->by_tuple, sizeof(struct tkey)) ||
	    hmap_init(&t->waiting, sizeof(struct tkey)) || hmap_init(&t->synacks, sizeof(struct tkey))) {
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
	if (t->synacks.buckets)
		free_all_values(&t->synacks);
	hmap_fini(&t->by_sk);
	hmap_fini(&t->by_tuple);
	hmap_fini(&t->waiting);
	hmap_fini(&t->synacks);
	free(t);
}

size_t conntab_count(const struct conntab *t)
{
	return t->by_sk.count;
}

void conntab_summary(const struct conntab *t, struct summary *s)
{
	s->conns_closed = t->closed;
	s->conns_open = t->open;
	s->synack_orphans = t->synack_orphans;
	s->unattributed = t->unattributed;
}

static bool pid_wanted(const struct conntab *t, uint32_t pid)
{
	if (!t->cfg.n_pids)
		return true;
	for (uint32_t i = 0; i < t->cfg.n_pids; i++)
		if (t->cfg.pids[i] == pid)
			return true;
	return false;
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
	if (t->cfg.n_pids && (!c->owner_known || !pid_wanted(t, c->owner.pid)))
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
	if (en->waiting && hmap_get(&t->waiting, &en->key) == en)
		hmap_del(&t->waiting, &en->key);
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
	if (t->cfg.n_pids && !c->owner_known) {
		t->unattributed++; /* -p given, owner never seen: cannot attribute */
	} else if (pid_wanted(t, c->owner.pid)) {
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
	if (en->waiting && hmap_get(&t->waiting, &en->key) == en)
		hmap_del(&t->waiting, &en->key);
	en->waiting = false;
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
	make_key(&c->tuple, false, &en->key);
	if (!hmap_put(&t->by_tuple, &en->key, en))
		en->indexed = true;
	if (passive) {
		struct pending_synack *p = hmap_del(&t->synacks, &en->key);

		if (p) {
			c->synack_retrans += p->count;
			free(p);
		}
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

static void set_owner(struct entry *en, const struct tl_event *e, bool authoritative)
{
	if (!(e->flags & TL_F_OWNER_KNOWN) || (en->c.owner_known && !authoritative))
		return;
	en->c.owner = e->owner;
	en->c.owner_known = true;
}

/* The FINs that leave in the owner's close()/shutdown(): tcp_close_state()
 * sets these states and tcp_send_fin() follows. */
static bool sends_fin(uint8_t old, uint8_t new)
{
	return (new == TL_FIN_WAIT1 && (old == TL_ESTABLISHED || old == TL_SYN_RECV)) ||
	       (new == TL_LAST_ACK && old == TL_CLOSE_WAIT);
}

/* The connection parked in FIN_WAIT2 whose peer is `peer`, if any. */
static struct entry *parked_partner(struct conntab *t, const struct entry *peer)
{
	struct tkey k;

	make_key(&peer->c.tuple, true, &k);
	return hmap_get(&t->waiting, &k);
}

/* A parked FIN_WAIT2 connection's peer sent its FIN: the timewait sock moves
 * to TIME_WAIT when it arrives (same host: microseconds later). */
static void peer_fin(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = parked_partner(t, peer);

	if (!w)
		return;
	enter(&w->c, TL_TIME_WAIT, ts);
	w->c.unmeasured |= BIT(TL_TIME_WAIT);
	notify(t, TR_INFERRED, 0, ts, &w->c, TL_FIN_WAIT2, TL_TIME_WAIT, w->c.state_ns[TL_FIN_WAIT2], true);
	end_conn(t, w, CAUSE_FIN, ts);
}

/* The peer of a parked connection ended without a FIN. */
static void peer_gone(struct conntab *t, struct entry *peer, uint64_t ts)
{
	struct entry *w = parked_partner(t, peer);

	if (!w)
		return;
	settle(&w->c, ts);
	if (peer->c.rst_sent) {
		/* An RST kills a timewait sock in FIN_WAIT2 (tcp_timewait_state_process). */
		w->c.rst_recv++;
		end_conn(t, w, CAUSE_RST_RECV, ts);
	} else {
		w->c.unmeasured |= BIT(TL_FIN_WAIT2);
		end_conn(t, w, CAUSE_FIN, ts);
	}
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
	else if (old == TL_CLOSING || (old == TL_FIN_WAIT2 && (e->flags & TL_F_PEER_FIN))) {
		/* Hand-over to a timewait sock in TIME_WAIT (tcp_time_wait()). */
		enter(c, TL_TIME_WAIT, ts);
		c->unmeasured |= BIT(TL_TIME_WAIT);
		notify(t, TR_INFERRED, 0, ts, c, old, TL_TIME_WAIT, old_ns, old_known);
		end_conn(t, en, CAUSE_FIN, ts);
		return;
	} else if (old == TL_FIN_WAIT2) {
		/* Orphaned FIN_WAIT2 handed to a timewait sock: still waiting for
		 * the peer's FIN. Watch for it if the peer is ours to see. */
		struct tkey mk;
		struct entry *peer;

		make_key(&c->tuple, true, &mk);
		peer = hmap_get(&t->by_tuple, &mk);
		if (peer && !peer->c.closed && !peer->sent_fin && peer != en &&
		    !hmap_put(&t->waiting, &en->key, en)) {
			en->waiting = true;
			return;
		}
		c->unmeasured |= BIT(TL_FIN_WAIT2);
		end_conn(t, en, CAUSE_FIN, ts);
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
	}
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
	en = lookup(t, e);
	if (!en)
		return;
	if (e->type == TL_REC_OWNER && (e->flags & TL_F_FILTERED)) {
		/* The owner is known now and is not one of -p. */
		drop(t, en);
		return;
	}
	set_owner(en, e, e->type == TL_REC_OWNER);
	if (en->c.owner_known && !pid_wanted(t, en->c.owner.pid)) {
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
		update_tuple(&en->c, &e->tuple);
		break;
	default:
		break;
	}
}

void conntab_tick(struct conntab *t, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	while (t->lhead && t->lhead->linger_until <= now_ns)
		finish(t, t->lhead);
	for (n = hmap_first(&t->synacks, &b); n; n = next) {
		struct pending_synack *p = n->value;
		size_t nb = b;

		next = hmap_next(&t->synacks, n, &nb);
		if (now_ns > p->first_ns + t->cfg.synack_expire_ns) {
			t->synack_orphans += p->count;
			free(hmap_del(&t->synacks, n->key));
		}
		b = nb;
	}
}

void conntab_flush(struct conntab *t, uint64_t now_ns)
{
	size_t b;
	struct hmap_node *n, *next;

	while (t->lhead)
		finish(t, t->lhead);
	/* One pass, the next node fetched before finish() frees this one:
	 * restarting from hmap_first() each time rescanned the empty leading
	 * buckets, quadratic (a million open connections: hours at exit). */
	for (n = hmap_first(&t->by_sk, &b); n; n = next) {
		struct entry *en = n->value;

		next = hmap_next(&t->by_sk, n, &b);
		settle(&en->c, now_ns);
		en->c.end_ns = now_ns;
		en->c.cause = CAUSE_OPEN;
		en->c.closed = false;
		finish(t, en);
	}
	for (n = hmap_first(&t->synacks, &b); n; n = hmap_next(&t->synacks, n, &b))
		t->synack_orphans += ((struct pending_synack *)n->value)->count;
}
