// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"
#include "pindex.h"

#define PINDEX_MIN 64
/* A tombstone: never a value's address (malloc'ed blocks are aligned). */
#define PINDEX_TOMB ((void *)1)

void pindex_init(struct pindex *ix, size_t key_off, size_t key_size)
{
	memset(ix, 0, sizeof(*ix));
	ix->key_off = key_off;
	ix->key_size = key_size;
}

void pindex_fini(struct pindex *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->count = ix->used = 0;
}

static const void *key_of(const struct pindex *ix, const void *value)
{
	return (const unsigned char *)value + ix->key_off;
}

/* The slot holding key, or NULL. */
static struct pindex_slot *lookup(const struct pindex *ix, const void *key, uint64_t h)
{
	size_t mask = ix->cap - 1;

	if (!ix->cap)
		return NULL;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct pindex_slot *s = &ix->slots[i];

		if (!s->value)
			return NULL;
		if (s->value != PINDEX_TOMB && s->hash == h &&
		    !memcmp(key_of(ix, s->value), key, ix->key_size))
			return s;
	}
}

/* Every value into a fresh table of cap slots (no tombstones). */
static int rehash(struct pindex *ix, size_t cap)
{
	struct pindex_slot *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < ix->cap; i++) {
		struct pindex_slot *s = &ix->slots[i];
		size_t j;

		if (!s->value || s->value == PINDEX_TOMB)
			continue;
		for (j = s->hash & (cap - 1); ns[j].value; j = (j + 1) & (cap - 1))
			;
		ns[j] = *s;
	}
	free(ix->slots);
	ix->slots = ns;
	ix->cap = cap;
	ix->used = ix->count;
	return 0;
}

void *pindex_get(const struct pindex *ix, const void *key)
{
	struct pindex_slot *s = lookup(ix, key, hmap_hash(key, ix->key_size));

	return s ? s->value : NULL;
}

int pindex_put(struct pindex *ix, void *value)
{
	const void *key = key_of(ix, value);
	uint64_t h = hmap_hash(key, ix->key_size);
	struct pindex_slot *s = lookup(ix, key, h), *tomb = NULL;
	size_t i, mask;

	if (s) {
		s->value = value;
		return 0;
	}
	/* At most 3/4 of the slots in use, tombstones included: double when
	 * the values alone pass 3/8, else only sweep the tombstones out. */
	if (4 * (ix->used + 1) > 3 * ix->cap) {
		size_t cap = ix->cap ? ix->cap : PINDEX_MIN;

		while (8 * (ix->count + 1) > 3 * cap)
			cap *= 2;
		if (rehash(ix, cap))
			return -ENOMEM;
	}
	mask = ix->cap - 1;
	for (i = h & mask; ix->slots[i].value; i = (i + 1) & mask)
		if (ix->slots[i].value == PINDEX_TOMB && !tomb)
			tomb = &ix->slots[i];
	s = tomb ? tomb : &ix->slots[i];
	if (!tomb)
		ix->used++;
	s->value = value;
	s->hash = h;
	ix->count++;
	return 0;
}

void *pindex_del(struct pindex *ix, const void *key)
{
	struct pindex_slot *s = lookup(ix, key, hmap_hash(key, ix->key_size));
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	s->value = PINDEX_TOMB;
	ix->count--;
	return v;
}

void *pindex_next(const struct pindex *ix, size_t *pos)
{
	while (*pos < ix->cap) {
		void *v = ix->slots[(*pos)++].value;

		if (v && v != PINDEX_TOMB)
			return v;
	}
	return NULL;
}
