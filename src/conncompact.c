// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The compact record (conncompact.h). Layout of the byte string, in order:
 *
 *   bits     varint  B_* bits: the booleans, the tuple's form, the path's,
 *                    and which optional fields follow. The bits an idle
 *                    connection has (ESTABLISHED, owner known, IPv4) are the
 *                    14 lowest: two bytes, where two varints took five.
 *   extra    8 bytes raw, if present: the rare parts' pointer (early: a free
 *                    reads no further)
 *   start_ns varint  zigzag delta from the interns' base (the first record's
 *                    start): 5 bytes for the first ~17 s, 6 for ~36 min, not 7
 *   the other present fields, in B_* order (times: zigzag deltas from start_ns)
 *   tuple    12 (IPv4), 36 (IPv6) or 40 (raw) bytes
 *   visited  varint  a bit per state whose state_ns is not 0, then each of
 *                    those durations, as a varint, in state order
 *
 * What usually repeats is a bit, not a field: birth == start; the state is
 * the path's last; path_len is the path's length; the role is ROLE_ACTIVE
 * (none) or ROLE_PASSIVE (a bit); the state was entered at start plus the
 * time in each state so far; the owner was learnt then (an accepted
 * connection's listener). At 100 000 idle loopback connections that took
 * the connecting ends' forms from 59-62 bytes to 41-44 (a 48-byte block,
 * not 64) and the accepted ends' from 56 to 37-39 (40, not 56): ~16 bytes
 * a connection (issue 18).
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
 * often share. A record holds its id (3 bytes), not a pointer. */
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
	uint32_t id;
};

#define OWNER_ID_MAX ((1u << 24) - 1) /* conn_compact.owner's bits */

struct conn_interns {
	struct hmap owners;            /* owner_key -> conn_owner_rec */
	struct conn_owner_rec **by_id; /* id -> record (NULL: free); id 0: no owner */
	uint32_t n_ids;                /* ids handed out so far, 0 included */
	uint32_t cap_ids;
	uint32_t *free_ids;            /* ids given back, for reuse */
	uint32_t n_free;
	bool has_base;
	uint64_t base;                 /* start_ns of the first record: the others' as deltas */
	struct slab slab;              /* the records themselves, up to SLAB_MAX bytes (slab.h) */
};

/* The bits, the commonest lowest (a varint's first byte holds 7): an
 * idle connection's end uses 11 (the connecting end) or 12 (the accepted
 * end) of the 14 lowest, two bytes. */
#define B_OWNER_KNOWN (1ull << 0)
#define B_START_EXACT (1ull << 1)
#define B_TUPLE_V4 (1ull << 2)      /* 12 bytes; neither this nor B_TUPLE_V6: raw 40 */
#define B_PATH_NIBBLES (1ull << 3)  /* every path byte < 16: two per byte */
#define B_OWNER_TS (1ull << 4)
#define B_FD (1ull << 5)            /* absent: -1 */
/* state_entered_ns is start_ns plus the time in every state so far (it is
 * when a measured life was last settled): no field. */
#define B_ENTERED_IS_SUM (1ull << 6)
#define B_PATH (1ull << 7)
#define B_ROLE_PASSIVE (1ull << 8)  /* ROLE_ACTIVE: no bit; any other: B_ROLE */
#define B_OWNER_LISTENER (1ull << 9)
#define B_BIRTH_IS_START (1ull << 10) /* birth_ns == start_ns, not 0: no field */
#define B_STATE_IS_LAST (1ull << 11)  /* state is the path's last byte: no field */
#define B_PATH_LEN_IS_N (1ull << 12)  /* path_len is the path's length: no byte */
/* owner_ts == state_entered_ns, not 0 (an accepted connection's owner is
 * its listener's, set as it became ESTABLISHED): no field. */
#define B_OWNER_TS_IS_ENTERED (1ull << 13)
#define B_ENTERED (1ull << 14)
#define B_BIRTH (1ull << 15)
#define B_STATE (1ull << 16)
#define B_ROLE (1ull << 17)
#define B_OWNER_RELEASED (1ull << 18)
#define B_PREEXISTING (1ull << 19)
#define B_PATH_TRUNC (1ull << 20)
#define B_BYTES_KNOWN (1ull << 21)
#define B_CLOSED (1ull << 22)
#define B_INFERRED (1ull << 23)
#define B_TUPLE_V6 (1ull << 24)     /* 36 bytes */
#define B_CW_ALERTS (1ull << 25)
#define B_CW_NEXT (1ull << 26)
#define B_END (1ull << 27)
#define B_UNMEASURED (1ull << 28)
#define B_EXTRA (1ull << 29)
#define B_BYTES_ACKED (1ull << 30)
#define B_BYTES_RECV (1ull << 31)
#define B_CAUSE (1ull << 32)
#define B_COUNTER0 (1ull << 33)     /* 7 counters: syn_retrans .. rst_recv */

#define N_COUNTERS 7
#define VARINT32 5
#define VARINT64 10
/* The longest form: every field present and at its widest. */
#define CC_MAX_LEN                                                                   \
	(VARINT64 /* bits */ + sizeof(void *) /* extra */ + 2 * VARINT64 /* start, birth */ + \
	 5 * VARINT64 /* owner_ts, cw_next, end, entered, bytes_acked */ + VARINT64 /* bytes_received */ + \
	 VARINT32 * 5 /* fd, cw_alerts, role, unmeasured, cause */ + 1 /* state */ +      \
	 2 + CONN_PATH_MAX + N_COUNTERS * VARINT32 + sizeof(struct tl_tuple) + VARINT32 +   \
	 TL_NSTATES * VARINT64)
_Static_assert(CC_MAX_LEN < UINT16_MAX, "the compact form's length is a uint16_t");
_Static_assert(offsetof(struct conn_compact, b) == 14, "the header: address, owner id and flags, length");
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
	in->n_ids = 1; /* 0: no owner */
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
	free(in->by_id);
	free(in->free_ids);
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

/* A free id for o, recorded in by_id; 0 if none (all 2^24 - 1 in use, or
 * no memory). */
static uint32_t id_take(struct conn_interns *in, struct conn_owner_rec *o)
{
	uint32_t id;

	if (in->n_free) {
		id = in->free_ids[--in->n_free];
	} else {
		if (in->n_ids > OWNER_ID_MAX)
			return 0;
		if (in->n_ids >= in->cap_ids) {
			uint32_t cap = in->cap_ids ? in->cap_ids * 2 : 64;
			struct conn_owner_rec **n = realloc(in->by_id, cap * sizeof(*n));
			uint32_t *f = realloc(in->free_ids, cap * sizeof(*f));

			if (n)
				in->by_id = n;
			if (f)
				in->free_ids = f;
			if (!n || !f)
				return 0;
			in->cap_ids = cap;
		}
		id = in->n_ids++;
	}
	in->by_id[id] = o;
	return id;
}

/* The id of the interned owner of c, referenced once more; 0 for the
 * all-zero owner, or on failure with *err set (-ENOMEM). */
static uint32_t owner_get(struct conn_interns *in, const struct conn *c, int *err)
{
	struct owner_key k;
	struct conn_owner_rec *o;

	owner_key_of(c, &k);
	if (owner_key_zero(&k))
		return 0;
	o = hmap_get(&in->owners, &k);
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o || !(o->id = id_take(in, o)) || hmap_put(&in->owners, &k, o)) {
			if (o && o->id) {
				in->by_id[o->id] = NULL;
				in->free_ids[in->n_free++] = o->id;
			}
			free(o);
			*err = -ENOMEM;
			return 0;
		}
		o->k = k;
	}
	o->refs++;
	return o->id;
}

static void owner_put(struct conn_interns *in, uint32_t id)
{
	struct conn_owner_rec *o = id ? in->by_id[id] : NULL;

	if (o && --o->refs == 0) {
		hmap_del(&in->owners, &o->k);
		in->by_id[id] = NULL;
		in->free_ids[in->n_free++] = id; /* free_ids has room for every id */
		free(o);
	}
}

static uint64_t flags_of(const struct conn *c)
{
	return (c->owner_known ? B_OWNER_KNOWN : 0) | (c->owner_released ? B_OWNER_RELEASED : 0) |
	       (c->owner_listener ? B_OWNER_LISTENER : 0) | (c->preexisting ? B_PREEXISTING : 0) |
	       (c->start_exact ? B_START_EXACT : 0) |
	       (c->path_truncated ? B_PATH_TRUNC : 0) | (c->bytes_known ? B_BYTES_KNOWN : 0) |
	       (c->closed ? B_CLOSED : 0) | (c->inferred ? B_INFERRED : 0);
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
static uint64_t tuple_form(const struct tl_tuple *t)
{
	static const uint8_t zero[12];

	if (t->_pad)
		return 0;
	if (t->family == TL_AF_INET && !memcmp(t->saddr + 4, zero, 12) && !memcmp(t->daddr + 4, zero, 12))
		return B_TUPLE_V4;
	if (t->family == TL_AF_INET6)
		return B_TUPLE_V6;
	return 0;
}

/* start_ns plus every state's time: what state_entered_ns is when the
 * connection's life was measured from its start (wrapping, as decoded). */
static uint64_t settled_at(const struct conn *c)
{
	uint64_t t = c->start_ns;

	for (int s = 0; s < TL_NSTATES; s++)
		t += c->state_ns[s];
	return t;
}

/* Which fields follow, and the repeats said by a bit instead. */
static uint64_t present_of(const struct conn *c, size_t pathn, const uint32_t ctr[])
{
	uint64_t p = (c->fd != -1 ? B_FD : 0) |
		     (c->cw_alerts ? B_CW_ALERTS : 0) | (c->cw_next_ns ? B_CW_NEXT : 0) |
		     (c->end_ns ? B_END : 0) |
		     (c->unmeasured ? B_UNMEASURED : 0) | (c->x ? B_EXTRA : 0) |
		     (c->bytes_acked ? B_BYTES_ACKED : 0) | (c->bytes_received ? B_BYTES_RECV : 0) |
		     (c->cause ? B_CAUSE : 0) | (pathn || c->path_len ? B_PATH : 0);

	if (c->birth_ns && c->birth_ns == c->start_ns)
		p |= B_BIRTH_IS_START;
	else if (c->birth_ns)
		p |= B_BIRTH;
	if (c->state_entered_ns && c->state_entered_ns == settled_at(c))
		p |= B_ENTERED_IS_SUM;
	else if (c->state_entered_ns)
		p |= B_ENTERED;
	if (c->owner_ts && c->owner_ts == c->state_entered_ns)
		p |= B_OWNER_TS_IS_ENTERED;
	else if (c->owner_ts)
		p |= B_OWNER_TS;
	/* pathn counts to the last non-zero byte: a state there is not 0. */
	if (pathn && c->state == c->path[pathn - 1])
		p |= B_STATE_IS_LAST;
	else if (c->state)
		p |= B_STATE;
	if ((p & B_PATH) && c->path_len == pathn)
		p |= B_PATH_LEN_IS_N;
	if (c->role == ROLE_PASSIVE)
		p |= B_ROLE_PASSIVE;
	else if (c->role != ROLE_ACTIVE)
		p |= B_ROLE;
	for (int i = 0; i < N_COUNTERS; i++)
		if (ctr[i])
			p |= B_COUNTER0 << i;
	return p;
}

static void put_path(struct wbuf *w, const struct conn *c, size_t pathn, uint64_t bits)
{
	if (!(bits & B_PATH_LEN_IS_N))
		w->b[w->n++] = c->path_len;
	w->b[w->n++] = (uint8_t)pathn;
	if (!(bits & B_PATH_NIBBLES)) {
		put_raw(w, c->path, pathn);
		return;
	}
	for (size_t i = 0; i < pathn; i += 2)
		w->b[w->n++] = (uint8_t)(c->path[i] | (i + 1 < pathn ? c->path[i + 1] << 4 : 0));
}

static void put_tuple(struct wbuf *w, const struct tl_tuple *t, uint64_t bits)
{
	size_t alen = (bits & B_TUPLE_V4) ? 4 : 16;

	if (!(bits & (B_TUPLE_V4 | B_TUPLE_V6))) {
		put_raw(w, t, sizeof(*t));
		return;
	}
	put_raw(w, t->saddr, alen);
	put_raw(w, t->daddr, alen);
	put_raw(w, &t->sport, sizeof(t->sport));
	put_raw(w, &t->dport, sizeof(t->dport));
}

static void encode(struct wbuf *w, const struct conn *c, uint64_t base0)
{
	uint32_t ctr[N_COUNTERS], visited = 0;
	uint64_t bits = flags_of(c) | tuple_form(&c->tuple);
	size_t pathn = path_bytes(c);
	uint64_t base = c->start_ns;

	counters_of(c, ctr);
	bits |= B_PATH_NIBBLES;
	for (size_t i = 0; i < pathn; i++)
		if (c->path[i] >= 16)
			bits &= ~B_PATH_NIBBLES;
	bits |= present_of(c, pathn, ctr);
	w->n = 0;
	put_var(w, bits);
	if (bits & B_EXTRA) /* early: conn_compact_free() reads no further */
		put_raw(w, &c->x, sizeof(c->x));
	put_delta(w, base, base0);
	if (bits & B_BIRTH)
		put_delta(w, c->birth_ns, base);
	if (bits & B_OWNER_TS)
		put_delta(w, c->owner_ts, base);
	if (bits & B_FD)
		put_var(w, (uint32_t)c->fd);
	if (bits & B_CW_ALERTS)
		put_var(w, c->cw_alerts);
	if (bits & B_CW_NEXT)
		put_delta(w, c->cw_next_ns, base);
	if (bits & B_ROLE)
		put_var(w, (uint32_t)c->role);
	if (bits & B_END)
		put_delta(w, c->end_ns, base);
	if (bits & B_ENTERED)
		put_delta(w, c->state_entered_ns, base);
	if (bits & B_UNMEASURED)
		put_var(w, c->unmeasured);
	if (bits & B_BYTES_ACKED)
		put_var(w, c->bytes_acked);
	if (bits & B_BYTES_RECV)
		put_var(w, c->bytes_received);
	if (bits & B_CAUSE)
		put_var(w, (uint32_t)c->cause);
	if (bits & B_STATE)
		w->b[w->n++] = c->state;
	if (bits & B_PATH)
		put_path(w, c, pathn, bits);
	for (int i = 0; i < N_COUNTERS; i++)
		if (ctr[i])
			put_var(w, ctr[i]);
	put_tuple(w, &c->tuple, bits);
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
	uint32_t owner;
	size_t sz;
	int err = 0;

	if (!in->has_base) {
		in->base = c->start_ns;
		in->has_base = true;
	}
	encode(&w, c, in->base);
	owner = owner_get(in, c, &err);
	if (err) {
		errno = -err;
		return NULL;
	}
	sz = offsetof(struct conn_compact, b) + w.n;
	cc = sz <= SLAB_MAX ? slab_alloc(&in->slab, sz) : malloc(sz);
	if (!cc) {
		owner_put(in, owner);
		errno = ENOMEM;
		return NULL;
	}
	cc->skaddr = c->skaddr;
	cc->owner = owner & OWNER_ID_MAX;
	cc->user = 0;
	cc->len = (uint16_t)w.n;
	memcpy(cc->b, w.b, w.n);
	return cc;
}

/* The path and path_len into c, the bytes past the path zeroed; returns
 * how many path bytes were stored (path_bytes() of the encoded conn: the
 * last of them not 0). */
static size_t get_path(struct rbuf *r, struct conn *c, uint64_t bits)
{
	size_t pathn;

	if (!(bits & B_PATH_LEN_IS_N))
		c->path_len = r->b[r->i++];
	pathn = r->b[r->i++];
	if (bits & B_PATH_LEN_IS_N)
		c->path_len = (uint8_t)pathn;
	memset(c->path + pathn, 0, CONN_PATH_MAX - pathn);
	if (!(bits & B_PATH_NIBBLES)) {
		get_raw(r, c->path, pathn);
		return pathn;
	}
	for (size_t i = 0; i < pathn; i += 2) {
		uint8_t x = r->b[r->i++];

		c->path[i] = x & 0xf;
		if (i + 1 < pathn)
			c->path[i + 1] = x >> 4;
	}
	return pathn;
}

static void get_tuple(struct rbuf *r, struct tl_tuple *t, uint64_t bits)
{
	size_t alen = (bits & B_TUPLE_V4) ? 4 : 16;

	if (!(bits & (B_TUPLE_V4 | B_TUPLE_V6))) {
		get_raw(r, t, sizeof(*t));
		return;
	}
	memset(t, 0, sizeof(*t));
	get_raw(r, t->saddr, alen);
	get_raw(r, t->daddr, alen);
	get_raw(r, &t->sport, sizeof(t->sport));
	get_raw(r, &t->dport, sizeof(t->dport));
	t->family = (bits & B_TUPLE_V4) ? TL_AF_INET : TL_AF_INET6;
}

/* The fields of the byte string into c; the owner's and start_ns's base
 * only with `in`. Every field of c is written, a field absent from the
 * form as 0 (-1 for fd), rather than c zeroed first: a live-view refresh
 * decodes each idle connection into the same scratch, and clearing its
 * 352 bytes was 30 % of the decoding at 1 000 000 (perf). The unit tests
 * decode into bytes of 0xa5 and compare the whole struct. */
static void decode(const struct conn_interns *in, const struct conn_compact *cc, struct conn *c)
{
	struct rbuf r = { .b = cc->b };
	uint32_t visited, ctr[N_COUNTERS] = { 0 };
	uint64_t bits, base, settled;
	size_t pathn;

	bits = get_var(&r);
	c->skaddr = cc->skaddr;
	c->x = NULL;
	if (bits & B_EXTRA)
		get_raw(&r, &c->x, sizeof(c->x));
	base = c->start_ns = get_delta(&r, in ? in->base : 0);
	if (in && cc->owner) {
		const struct conn_owner_rec *o = in->by_id[cc->owner];

		c->owner.pid = o->k.pid;
		c->owner.tid = o->k.tid;
		memcpy(c->owner.comm, o->k.comm, TL_COMM_LEN);
		c->cgroup = o->k.cgroup;
		c->netns = o->k.netns;
	} else {
		memset(&c->owner, 0, sizeof(c->owner));
		c->cgroup = 0;
		c->netns = 0;
	}
	c->owner_known = bits & B_OWNER_KNOWN;
	c->owner_released = bits & B_OWNER_RELEASED;
	c->owner_listener = bits & B_OWNER_LISTENER;
	c->preexisting = bits & B_PREEXISTING;
	c->start_exact = bits & B_START_EXACT;
	c->path_truncated = bits & B_PATH_TRUNC;
	c->bytes_known = bits & B_BYTES_KNOWN;
	c->closed = bits & B_CLOSED;
	c->inferred = bits & B_INFERRED;
	c->pad_ = 0;
	c->birth_ns = (bits & B_BIRTH_IS_START) ? base : 0;
	if (bits & B_BIRTH)
		c->birth_ns = get_delta(&r, base);
	c->owner_ts = (bits & B_OWNER_TS) ? get_delta(&r, base) : 0;
	c->fd = (bits & B_FD) ? (int32_t)(uint32_t)get_var(&r) : -1;
	c->cw_alerts = (bits & B_CW_ALERTS) ? (uint32_t)get_var(&r) : 0;
	c->cw_next_ns = (bits & B_CW_NEXT) ? get_delta(&r, base) : 0;
	if (bits & B_ROLE)
		c->role = (enum conn_role)get_var(&r);
	else
		c->role = (bits & B_ROLE_PASSIVE) ? ROLE_PASSIVE : ROLE_ACTIVE;
	c->end_ns = (bits & B_END) ? get_delta(&r, base) : 0;
	c->state_entered_ns = (bits & B_ENTERED) ? get_delta(&r, base) : 0;
	c->unmeasured = (bits & B_UNMEASURED) ? (uint32_t)get_var(&r) : 0;
	c->bytes_acked = (bits & B_BYTES_ACKED) ? get_var(&r) : 0;
	c->bytes_received = (bits & B_BYTES_RECV) ? get_var(&r) : 0;
	c->cause = (bits & B_CAUSE) ? (enum close_cause)get_var(&r) : (enum close_cause)0;
	c->state = (bits & B_STATE) ? r.b[r.i++] : 0;
	/* B_STATE_IS_LAST comes only with a path whose last byte is the state. */
	if (bits & B_PATH) {
		pathn = get_path(&r, c, bits);
	} else {
		pathn = 0;
		c->path_len = 0;
		memset(c->path, 0, CONN_PATH_MAX);
	}
	if ((bits & B_STATE_IS_LAST) && pathn)
		c->state = c->path[pathn - 1];
	for (int i = 0; i < N_COUNTERS; i++)
		if (bits & (B_COUNTER0 << i))
			ctr[i] = (uint32_t)get_var(&r);
	counters_set(c, ctr);
	get_tuple(&r, &c->tuple, bits);
	visited = (uint32_t)get_var(&r);
	settled = c->start_ns; /* settled_at(), summed as the durations are read */
	for (int s = 0; s < TL_NSTATES; s++) {
		c->state_ns[s] = (visited & (1u << s)) ? get_var(&r) : 0;
		settled += c->state_ns[s];
	}
	/* Said by a bit: from the durations, then from it. */
	if (bits & B_ENTERED_IS_SUM)
		c->state_entered_ns = settled;
	if (bits & B_OWNER_TS_IS_ENTERED)
		c->owner_ts = c->state_entered_ns;
}

void conn_expand(const struct conn_interns *in, const struct conn_compact *cc, struct conn *c)
{
	decode(in, cc, c);
}

void conn_compact_tuple(const struct conn_compact *cc, struct tl_tuple *t)
{
	struct conn c;

	decode(NULL, cc, &c);
	*t = c.tuple;
}

void conn_compact_free(struct conn_interns *in, struct conn_compact *cc, bool keep_extra)
{
	struct rbuf r;
	struct conn c = { .x = NULL };

	if (!cc)
		return;
	r.b = cc->b;
	r.i = 0;
	if (!keep_extra && (get_var(&r) & B_EXTRA)) {
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
