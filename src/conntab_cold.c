// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Idle connections kept compact (issue 18: a million open connections in
 * 100 MiB). An entry is 488 bytes; a connection that sits in ESTABLISHED
 * needs 37 to 44 of them in compact form (conncompact.h). A sweep each tick
 * takes the open entries nothing happened to for cfg.cold_after_ns (with
 * cfg.cold: --compact-after) and puts
 * their compact form, tagged PINDEX_ALT, in the slots of by_sk and by_tuple
 * that held the entry. Any lookup that finds one makes the entry again
 * (ct_hot), so the layers above see entries only; a walk reads a copy
 * (ct_peek).
 *
 * Only entries with nothing but their connection are compacted: not
 * closed, not lingering, not in a timewait sock, no listing's or rebirth's
 * marks, the key the tuple gives, and not in CLOSE_WAIT (conntab_cw_due()
 * writes to the connections a walk hands out). The table's lowest layer:
 * it calls nothing above it.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "conntab_priv.h"

/* Entries looked at per step of the sweep (ct_cool, each tick): a tick's
 * pause stays in the milliseconds; a million entries take ~3 s. A round
 * begins at most once a second: a table of short connections, none idle
 * long, is not read over and over. */
#define COOL_STEP 32768
#define COOL_ROUND_NS TL_SEC

enum {
	U_INDEXED = 1u << 0,
	U_SEEDED = 1u << 1,
	U_UNSEEN = 1u << 2,
	U_LISTED = 1u << 3, /* the exit's census in progress listed its socket */
};

static struct conn_compact *cold_of(const void *v)
{
	return (struct conn_compact *)((uintptr_t)v & ~PINDEX_ALT);
}

/* by_tuple's key of a compact value: the tuple's, as it was compacted only
 * when its key was that (cool_one). */
static const void *cold_tkey(const void *v, void *buf)
{
	struct tl_tuple tu;

	conn_compact_tuple(v, &tu);
	tkey_make(&tu, false, buf);
	return buf;
}

void ct_cold_init(struct conntab *t)
{
	t->by_tuple.alt_key = cold_tkey;
	_Static_assert(sizeof(struct tkey) <= PINDEX_KEY_MAX, "a tkey fits pindex's key buffer");
	_Static_assert(offsetof(struct conn_compact, skaddr) == offsetof(struct entry, c.skaddr),
		       "by_sk reads a compact form's key where it reads an entry's");
}

_Static_assert(offsetof(struct entry, c) == 0, "the table's fields follow the connection");

static void expand_into(const struct conntab *t, const struct conn_compact *cc, struct entry *en)
{
	/* conn_expand() zeroes the connection itself: the rest only here. */
	memset((char *)en + sizeof(en->c), 0, sizeof(*en) - sizeof(en->c));
	conn_expand(t->interns, cc, &en->c);
	tkey_make(&en->c.tuple, false, &en->key);
	en->indexed = cc->user & U_INDEXED;
	en->seeded = cc->user & U_SEEDED;
	en->unseen = cc->user & U_UNSEEN;
}

const struct entry *ct_peek(const struct conntab *t, const void *v, struct entry *scratch)
{
	if (!ct_is_cold(v))
		return v;
	expand_into(t, cold_of(v), scratch);
	return scratch;
}

const struct conn *ct_peek_conn(const struct conntab *t, const void *v, struct conn *scratch)
{
	if (!ct_is_cold(v))
		return &((const struct entry *)v)->c;
	conn_expand(t->interns, cold_of(v), scratch);
	return scratch;
}

struct entry *ct_hot(struct conntab *t, void *v)
{
	struct conn_compact *cc;
	struct entry *en;

	if (!v || !ct_is_cold(v))
		return v;
	cc = cold_of(v);
	en = malloc(sizeof(*en));
	/* As when create() cannot make one: the record is not applied. An
	 * address a slot cannot hold (pindex_fits; malloc gives none) would
	 * leave pindex_replace() refusing it below, v still indexed. */
	if (!en || !pindex_fits(en)) {
		free(en);
		return NULL;
	}
	expand_into(t, cc, en);
	pindex_replace(&t->by_sk, v, en);
	if (en->indexed)
		pindex_replace(&t->by_tuple, v, en);
	if (cc->user & U_LISTED)
		en->census_gen = t->c_gen;
	conn_compact_free(t->interns, cc, true); /* the entry has its rare parts now */
	t->cold--;
	t->thawed++;
	return en;
}

struct entry *ct_get_sk(struct conntab *t, uint64_t skaddr)
{
	return ct_hot(t, pindex_get(&t->by_sk, &skaddr));
}

struct entry *ct_get_tuple(struct conntab *t, const struct tkey *k)
{
	return ct_hot(t, pindex_get(&t->by_tuple, k));
}

void ct_cold_listed(void *v)
{
	cold_of(v)->user |= U_LISTED;
}

bool ct_cold_take_listed(void *v)
{
	struct conn_compact *cc = cold_of(v);
	bool listed = cc->user & U_LISTED;

	cc->user &= (uint8_t)~U_LISTED;
	return listed;
}

void ct_cold_free(struct conntab *t, void *v)
{
	conn_compact_free(t->interns, cold_of(v), false);
	t->cold--;
}

static bool coolable(const struct entry *en, uint64_t now, uint64_t idle_ns)
{
	const struct conn *c = &en->c;
	uint64_t last = c->state_entered_ns > c->owner_ts ? c->state_entered_ns : c->owner_ts;
	struct tkey k;

	if (c->closed || en->linger_until || en->tw || en->handed || en->unseen ||
	    c->state == TL_CLOSE_WAIT || now < last || now - last < idle_ns)
		return false;
	/* No mark of a rebirth, a listing or the census (not handed: the
	 * union holds them). */
	if (en->reborn_ns || en->heal_gen || en->heal_seen_ns || en->census_gen || en->census_tw_due ||
	    en->census_tw_seen || en->census_tw_sub)
		return false;
	tkey_make(&c->tuple, false, &k);
	return !memcmp(&k, &en->key, sizeof(k));
}

static void cool_one(struct conntab *t, struct entry *en)
{
	struct conn_compact *cc = conn_compact(t->interns, &en->c);
	void *v;

	if (!cc)
		return; /* stays as it is */
	if (!pindex_fits(cc)) { /* the slab maps none such; pindex_replace() would refuse it */
		conn_compact_free(t->interns, cc, true); /* en keeps its rare parts */
		return;
	}
	cc->user = (en->indexed ? U_INDEXED : 0) | (en->seeded ? U_SEEDED : 0) |
		   (en->unseen ? U_UNSEEN : 0);
	v = (void *)((uintptr_t)cc | PINDEX_ALT);
	pindex_replace(&t->by_sk, en, v);
	if (en->indexed)
		pindex_replace(&t->by_tuple, en, v);
	free(en); /* its rare parts went to cc */
	t->cold++;
	t->cooled++;
}

void ct_cool(struct conntab *t, uint64_t now)
{
	void *v;

	if (!t->interns || now < t->cool_next) /* !cfg.cold, or between two rounds */
		return;
	for (size_t n = 0; n < COOL_STEP; n++) {
		v = pindex_next(&t->by_sk, &t->cool_pos);
		if (!v) {
			t->cool_pos = 0;
			t->cool_next = now + COOL_ROUND_NS;
			/* Entries freed in this round: their pages back
			 * (malloc_trim: their holes are in the heap's middle,
			 * where free() leaves them resident), however few.
			 * Rounds begin at most once a second; a trim costs
			 * milliseconds. Waiting for 4096 in a round left the
			 * last few thousand of a million idle connections
			 * resident: 10-12 MiB of RSS in one run of four. */
			if (t->cooled)
				malloc_trim(0);
			t->cooled = 0;
			return;
		}
		if (!ct_is_cold(v) && coolable(v, now, t->cfg.cold_after_ns))
			cool_one(t, v);
	}
}
