// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compact record (conncompact.h). Layout of the byte string, in order:
 *
 *   flags    varint  CF_* bits: the booleans, the tuple's form, the path's
 *   present  varint  CP_* bits: which optional fields follow
 *   extra    8 bytes raw, if present: the rare parts' pointer (early: a free
 *                    reads no further)
 *   start_ns varint
 *   the other present fields, in CP_* order (times: zigzag deltas from start_ns)
 *   tuple    12 (IPv4), 36 (IPv6) or 40 (raw) bytes
 *   visited  varint  a bit per state whose state_ns is not 0, then each of
 *                    those durations, as a varint, in state order
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "conn_extra.h"
#include "conncompact.h"
#include "hmap.h"
#include "slab.h"

/* The fields shared by the connections of one process (thread): its
 * owner, and the network namespace, which all of a process's sockets most
 * often share (5 bytes less a record, a slab size smaller). */
struct owner_key {
	uint32_t pid, tid;
	char comm[TL_COMM_LEN];
	uint64_t cgroup;
	uint32_t netns;
	uint32_t _pad; /* zeroed: the key is compared whole */
};

struct conn_owner_rec {
	struct owner_key k;
	uint32_t refs;
};

struct conn_interns {
	struct hmap owners; /* owner_key -> conn_owner_rec */
	struct slab slab;   /* the records themselves, up to SLAB_MAX bytes (slab.h) */
};

enum {
	CF_OWNER_KNOWN = 1u << 0,
	CF_OWNER_RELEASED = 1u << 1,
	CF_OWNER_LISTENER = 1u << 2,
	CF_PREEXISTING = 1u << 3,
	CF_START_EXACT = 1u << 5,
	CF_PATH_TRUNC = 1u << 6,
	CF_BYTES_KNOWN = 1u << 7,
	CF_CLOSED = 1u << 8,
	CF_INFERRED = 1u << 9,
	CF_TUPLE_V4 = 1u << 10,  /* 12 bytes; neither bit: raw 40 */
	CF_TUPLE_V6 = 1u << 11,  /* 36 bytes */
	CF_PATH_NIBBLES = 1u << 12, /* every path byte < 16: two per byte */
};

enum {
	CP_BIRTH = 1u << 0,
	CP_OWNER_TS = 1u << 1,
	CP_FD = 1u << 2,        /* absent: -1 */
	CP_CW_ALERTS = 1u << 3,
	CP_CW_NEXT = 1u << 4,
	CP_ROLE = 1u << 5,
	CP_END = 1u << 6,
	CP_ENTERED = 1u << 7,
	CP_UNMEASURED = 1u << 8,
	CP_EXTRA = 1u << 9,
	CP_BYTES_ACKED = 1u << 10,
	CP_BYTES_RECV = 1u << 11,
	CP_CAUSE = 1u << 13,
	CP_STATE = 1u << 14,
	CP_PATH = 1u << 15,
	CP_COUNTER0 = 1u << 16, /* 7 counters: syn_retrans .. rst_recv */
};

#define N_COUNTERS 7
#define VARINT32 5
#define VARINT64 10
/* The longest form: every field present and at its widest. */
#define CC_MAX_LEN                                                                   \
	(2 * VARINT32 + VARINT64 + 5 * VARINT64 /* birth, owner_ts, cw_next, end,  \
	 entered */ + VARINT32 * 4 /* fd, cw_alerts, role, unmeasured */ +               \
	 2 * VARINT64 /* bytes */ + VARINT32 /* cause */ + 1 /* state */ +                \
	 2 + CONN_PATH_MAX + sizeof(void *) /* extra */ +                                 \
	 N_COUNTERS * VARINT32 + sizeof(struct tl_tuple) + VARINT32 + TL_NSTATES * VARINT64)
_Static_assert(CC_MAX_LEN < UINT16_MAX, "the compact form's length is a uint16_t");
/* A field added to struct conn must be encoded here too, or it is lost when
 * the table stores the connection (tests/unit/test_conncompact.c lists every
 * field): this trips on most additions. */
_Static_assert(sizeof(struct conn) == 352, "struct conn changed: encode the new field in conncompact.c");

struct wbuf {
	uint8_t b[CC_MAX_LEN];
	size_t n;
};

static void put_var(struct wbuf *w, uint64_t v)
{
	while (v >= 0x80) {
		w->b[w->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	w->b[w->n++] = (uint8_t)v;
}

/* Wrapping difference, zigzagged: exact for any two uint64_t. */
static void put_delta(struct wbuf *w, uint64_t v, uint64_t base)
{
	uint64_t d = v - base;

	put_var(w, (d << 1) ^ (0 - (d >> 63)));
}

static void put_raw(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

struct rbuf {
	const uint8_t *b;
	size_t i;
};

static uint64_t get_var(struct rbuf *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t x;

	do {
		x = r->b[r->i++];
		if (shift < 64)
			v |= (uint64_t)(x & 0x7f) << shift;
		shift += 7;
	} while (x & 0x80);
	return v;
}

static uint64_t get_delta(struct rbuf *r, uint64_t base)
{
	uint64_t z = get_var(r);

	return base + ((z >> 1) ^ (0 - (z & 1)));
}

static void get_raw(struct rbuf *r, void *p, size_t n)
{
	memcpy(p, r->b + r->i, n);
	r->i += n;
}

struct conn_interns *conn_interns_new(void)
{
	struct conn_interns *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	if (hmap_init(&in->owners, sizeof(struct owner_key))) {
		free(in);
		errno = ENOMEM;
		return NULL;
	}
	return in;
}

void conn_interns_free(struct conn_interns *in)
{
	size_t b;

	if (!in)
		return;
	if (in->owners.buckets)
		for (struct hmap_node *n = hmap_first(&in->owners, &b); n; n = hmap_next(&in->owners, n, &b))
			free(n->value);
	hmap_fini(&in->owners);
	slab_fini(&in->slab);
	free(in);
}

size_t conn_interns_count(const struct conn_interns *in)
{
	return in->owners.count;
}

static void owner_key_of(const struct conn *c, struct owner_key *k)
{
	memset(k, 0, sizeof(*k));
	k->pid = c->owner.pid;
	k->tid = c->owner.tid;
	memcpy(k->comm, c->owner.comm, TL_COMM_LEN);
	k->cgroup = c->cgroup;
	k->netns = c->netns;
}

static bool owner_key_zero(const struct owner_key *k)
{
	static const struct owner_key zero;

	return !memcmp(k, &zero, sizeof(zero));
}

/* A reference to the interned owner of c; NULL with *err set on ENOMEM, or
 * NULL for the all-zero owner (err untouched). */
static struct conn_owner_rec *owner_get(struct conn_interns *in, const struct conn *c, int *err)
{
	struct owner_key k;
	struct conn_owner_rec *o;

	owner_key_of(c, &k);
	if (owner_key_zero(&k))
		return NULL;
	o = hmap_get(&in->owners, &k);
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o || hmap_put(&in->owners, &k, o)) {
			free(o);
			*err = -ENOMEM;
			return NULL;
		}
		o->k = k;
	}
	o->refs++;
	return o;
}

static void owner_put(struct conn_interns *in, const struct conn_owner_rec *co)
{
	struct conn_owner_rec *o = (struct conn_owner_rec *)co;

	if (o && --o->refs == 0) {
		hmap_del(&in->owners, &o->k);
		free(o);
	}
}

static uint32_t flags_of(const struct conn *c)
{
	return (c->owner_known ? CF_OWNER_KNOWN : 0) | (c->owner_released ? CF_OWNER_RELEASED : 0) |
	       (c->owner_listener ? CF_OWNER_LISTENER : 0) | (c->preexisting ? CF_PREEXISTING : 0) |
	       (c->start_exact ? CF_START_EXACT : 0) |
	       (c->path_truncated ? CF_PATH_TRUNC : 0) | (c->bytes_known ? CF_BYTES_KNOWN : 0) |
	       (c->closed ? CF_CLOSED : 0) | (c->inferred ? CF_INFERRED : 0);
}

static void counters_of(const struct conn *c, uint32_t v[N_COUNTERS])
{
	v[0] = c->syn_retrans;
	v[1] = c->synack_retrans;
	v[2] = c->fin_sent;
	v[3] = c->fin_retrans;
	v[4] = c->data_retrans;
	v[5] = c->rst_sent;
	v[6] = c->rst_recv;
}

static void counters_set(struct conn *c, const uint32_t v[N_COUNTERS])
{
	c->syn_retrans = v[0];
	c->synack_retrans = v[1];
	c->fin_sent = v[2];
	c->fin_retrans = v[3];
	c->data_retrans = v[4];
	c->rst_sent = v[5];
	c->rst_recv = v[6];
}

static size_t path_bytes(const struct conn *c)
{
	size_t n = CONN_PATH_MAX;

	while (n && !c->path[n - 1])
		n--;
	return n;
}

/* The tuple's form: an IPv4 one whose unused address bytes and padding are
 * zero fits 12 bytes; IPv6 with zero padding 36; anything else stays raw. */
static uint32_t tuple_form(const struct tl_tuple *t)
{
	static const uint8_t zero[12];

	if (t->_pad)
		return 0;
	if (t->family == TL_AF_INET && !memcmp(t->saddr + 4, zero, 12) && !memcmp(t->daddr + 4, zero, 12))
		return CF_TUPLE_V4;
	if (t->family == TL_AF_INET6)
		return CF_TUPLE_V6;
	return 0;
}

static uint32_t present_of(const struct conn *c, size_t pathn, const uint32_t ctr[])
{
	uint32_t p = (c->birth_ns ? CP_BIRTH : 0) | (c->owner_ts ? CP_OWNER_TS : 0) |
		     (c->fd != -1 ? CP_FD : 0) | (c->cw_alerts ? CP_CW_ALERTS : 0) |
		     (c->cw_next_ns ? CP_CW_NEXT : 0) | (c->role ? CP_ROLE : 0) | (c->end_ns ? CP_END : 0) |
		     (c->state_entered_ns ? CP_ENTERED : 0) | (c->unmeasured ? CP_UNMEASURED : 0) |
		     (c->x ? CP_EXTRA : 0) | (c->bytes_acked ? CP_BYTES_ACKED : 0) |
		     (c->bytes_received ? CP_BYTES_RECV : 0) |
		     (c->cause ? CP_CAUSE : 0) | (c->state ? CP_STATE : 0) |
		     (pathn || c->path_len ? CP_PATH : 0);

	for (int i = 0; i < N_COUNTERS; i++)
		if (ctr[i])
			p |= CP_COUNTER0 << i;
	return p;
}

static void put_path(struct wbuf *w, const struct conn *c, size_t pathn, uint32_t flags)
{
	w->b[w->n++] = c->path_len;
	w->b[w->n++] = (uint8_t)pathn;
	if (!(flags & CF_PATH_NIBBLES)) {
		put_raw(w, c->path, pathn);
		return;
	}
	for (size_t i = 0; i < pathn; i += 2)
		w->b[w->n++] = (uint8_t)(c->path[i] | (i + 1 < pathn ? c->path[i + 1] << 4 : 0));
}

static void put_tuple(struct wbuf *w, const struct tl_tuple *t, uint32_t flags)
{
	size_t alen = flags & CF_TUPLE_V4 ? 4 : 16;

	if (!(flags & (CF_TUPLE_V4 | CF_TUPLE_V6))) {
		put_raw(w, t, sizeof(*t));
		return;
	}
	put_raw(w, t->saddr, alen);
	put_raw(w, t->daddr, alen);
	put_raw(w, &t->sport, sizeof(t->sport));
	put_raw(w, &t->dport, sizeof(t->dport));
}

static void encode(struct wbuf *w, const struct conn *c)
{
	uint32_t ctr[N_COUNTERS], flags = flags_of(c) | tuple_form(&c->tuple), present, visited = 0;
	size_t pathn = path_bytes(c);
	uint64_t base = c->start_ns;

	counters_of(c, ctr);
	flags |= CF_PATH_NIBBLES;
	for (size_t i = 0; i < pathn; i++)
		if (c->path[i] >= 16)
			flags &= ~CF_PATH_NIBBLES;
	present = present_of(c, pathn, ctr);
	w->n = 0;
	put_var(w, flags);
	put_var(w, present);
	if (present & CP_EXTRA) /* early: conn_compact_free() reads no further */
		put_raw(w, &c->x, sizeof(c->x));
	put_var(w, base);
	if (present & CP_BIRTH)
		put_delta(w, c->birth_ns, base);
	if (present & CP_OWNER_TS)
		put_delta(w, c->owner_ts, base);
	if (present & CP_FD)
		put_delta(w, (uint64_t)(int64_t)c->fd, 0);
	if (present & CP_CW_ALERTS)
		put_var(w, c->cw_alerts);
	if (present & CP_CW_NEXT)
		put_delta(w, c->cw_next_ns, base);
	if (present & CP_ROLE)
		put_var(w, (uint32_t)c->role);
	if (present & CP_END)
		put_delta(w, c->end_ns, base);
	if (present & CP_ENTERED)
		put_delta(w, c->state_entered_ns, base);
	if (present & CP_UNMEASURED)
		put_var(w, c->unmeasured);
	if (present & CP_BYTES_ACKED)
		put_var(w, c->bytes_acked);
	if (present & CP_BYTES_RECV)
		put_var(w, c->bytes_received);
	if (present & CP_CAUSE)
		put_var(w, (uint32_t)c->cause);
	if (present & CP_STATE)
		w->b[w->n++] = c->state;
	if (present & CP_PATH)
		put_path(w, c, pathn, flags);
	for (int i = 0; i < N_COUNTERS; i++)
		if (ctr[i])
			put_var(w, ctr[i]);
	put_tuple(w, &c->tuple, flags);
	for (int s = 0; s < TL_NSTATES; s++)
		if (c->state_ns[s])
			visited |= 1u << s;
	put_var(w, visited);
	for (int s = 0; s < TL_NSTATES; s++)
		if (c->state_ns[s])
			put_var(w, c->state_ns[s]);
}

struct conn_compact *conn_compact(struct conn_interns *in, const struct conn *c)
{
	struct wbuf w;
	struct conn_compact *cc;
	struct conn_owner_rec *o;
	size_t sz;
	int err = 0;

	encode(&w, c);
	o = owner_get(in, c, &err);
	if (err) {
		errno = -err;
		return NULL;
	}
	sz = offsetof(struct conn_compact, b) + w.n;
	cc = sz <= SLAB_MAX ? slab_alloc(&in->slab, sz) : malloc(sz);
	if (!cc) {
		owner_put(in, o);
		errno = ENOMEM;
		return NULL;
	}
	cc->skaddr = c->skaddr;
	cc->owner = o;
	cc->len = (uint16_t)w.n;
	cc->user = 0;
	memcpy(cc->b, w.b, w.n);
	return cc;
}

static void get_path(struct rbuf *r, struct conn *c, uint32_t flags)
{
	size_t pathn;

	c->path_len = r->b[r->i++];
	pathn = r->b[r->i++];
	if (!(flags & CF_PATH_NIBBLES)) {
		get_raw(r, c->path, pathn);
		return;
	}
	for (size_t i = 0; i < pathn; i += 2) {
		uint8_t x = r->b[r->i++];

		c->path[i] = x & 0xf;
		if (i + 1 < pathn)
			c->path[i + 1] = x >> 4;
	}
}

static void get_tuple(struct rbuf *r, struct tl_tuple *t, uint32_t flags)
{
	size_t alen = flags & CF_TUPLE_V4 ? 4 : 16;

	if (!(flags & (CF_TUPLE_V4 | CF_TUPLE_V6))) {
		get_raw(r, t, sizeof(*t));
		return;
	}
	get_raw(r, t->saddr, alen);
	get_raw(r, t->daddr, alen);
	get_raw(r, &t->sport, sizeof(t->sport));
	get_raw(r, &t->dport, sizeof(t->dport));
	t->family = flags & CF_TUPLE_V4 ? TL_AF_INET : TL_AF_INET6;
}

void conn_expand(const struct conn_compact *cc, struct conn *c)
{
	struct rbuf r = { .b = cc->b };
	uint32_t flags, present, visited, ctr[N_COUNTERS] = { 0 };
	uint64_t base;

	memset(c, 0, sizeof(*c));
	flags = (uint32_t)get_var(&r);
	present = (uint32_t)get_var(&r);
	c->skaddr = cc->skaddr;
	if (present & CP_EXTRA)
		get_raw(&r, &c->x, sizeof(c->x));
	base = c->start_ns = get_var(&r);
	if (cc->owner) {
		c->owner.pid = cc->owner->k.pid;
		c->owner.tid = cc->owner->k.tid;
		memcpy(c->owner.comm, cc->owner->k.comm, TL_COMM_LEN);
		c->cgroup = cc->owner->k.cgroup;
		c->netns = cc->owner->k.netns;
	}
	c->owner_known = flags & CF_OWNER_KNOWN;
	c->owner_released = flags & CF_OWNER_RELEASED;
	c->owner_listener = flags & CF_OWNER_LISTENER;
	c->preexisting = flags & CF_PREEXISTING;
	c->start_exact = flags & CF_START_EXACT;
	c->path_truncated = flags & CF_PATH_TRUNC;
	c->bytes_known = flags & CF_BYTES_KNOWN;
	c->closed = flags & CF_CLOSED;
	c->inferred = flags & CF_INFERRED;
	if (present & CP_BIRTH)
		c->birth_ns = get_delta(&r, base);
	if (present & CP_OWNER_TS)
		c->owner_ts = get_delta(&r, base);
	c->fd = present & CP_FD ? (int32_t)get_delta(&r, 0) : -1;
	if (present & CP_CW_ALERTS)
		c->cw_alerts = (uint32_t)get_var(&r);
	if (present & CP_CW_NEXT)
		c->cw_next_ns = get_delta(&r, base);
	if (present & CP_ROLE)
		c->role = (enum conn_role)get_var(&r);
	if (present & CP_END)
		c->end_ns = get_delta(&r, base);
	if (present & CP_ENTERED)
		c->state_entered_ns = get_delta(&r, base);
	if (present & CP_UNMEASURED)
		c->unmeasured = (uint32_t)get_var(&r);
	if (present & CP_BYTES_ACKED)
		c->bytes_acked = get_var(&r);
	if (present & CP_BYTES_RECV)
		c->bytes_received = get_var(&r);
	if (present & CP_CAUSE)
		c->cause = (enum close_cause)get_var(&r);
	if (present & CP_STATE)
		c->state = r.b[r.i++];
	if (present & CP_PATH)
		get_path(&r, c, flags);
	for (int i = 0; i < N_COUNTERS; i++)
		if (present & (CP_COUNTER0 << i))
			ctr[i] = (uint32_t)get_var(&r);
	counters_set(c, ctr);
	get_tuple(&r, &c->tuple, flags);
	visited = (uint32_t)get_var(&r);
	for (int s = 0; s < TL_NSTATES; s++)
		if (visited & (1u << s))
			c->state_ns[s] = get_var(&r);
}

void conn_compact_free(struct conn_interns *in, struct conn_compact *cc, bool keep_extra)
{
	struct rbuf r;
	struct conn c = { .x = NULL };

	if (!cc)
		return;
	r.b = cc->b;
	r.i = 0;
	get_var(&r); /* flags */
	if (!keep_extra && (get_var(&r) & CP_EXTRA)) {
		get_raw(&r, &c.x, sizeof(c.x));
		conn_extra_free(&c);
	}
	owner_put(in, cc->owner);
	if (conn_compact_bytes(cc) <= SLAB_MAX)
		slab_free(&in->slab, cc, conn_compact_bytes(cc));
	else
		free(cc);
}

size_t conn_compact_bytes(const struct conn_compact *cc)
{
	return offsetof(struct conn_compact, b) + cc->len;
}
