// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"
#include "pindex.h"

#define PINDEX_MIN 64
/* A value's address in 48 bits (pindex_fits), high 16 and low 32: packed,
 * 6 bytes, not 8. Its members are read as what they are (unaligned loads,
 * plain ones on x86-64 and arm64); no member's address is taken. */
struct __attribute__((packed)) pindex_val {
	uint16_t hi;
	uint32_t lo;
};
_Static_assert(sizeof(struct pindex_val) == 6, "a value's address is 6 bytes");

/* A slot's tag says what it holds, so a probe reads the tags alone until
 * one matches (a value's, its top bit set), and stops at an empty slot
 * (0): one array touched per probe, not two (a million-socket --once:
 * pindex lookups 7.7 % of the run, mostly those misses; one array of
 * packed 10-byte slots, tag and address together, made a miss 17 % slower
 * in a microbenchmark: it reads 2.5 times the bytes). A tombstone's tag
 * is TAG_TOMB. Homes come from the tag's 31 low bits: at most 2^31 slots. */
#define TAG_USED 0x80000000u
#define TAG_TOMB 1u
#define PINDEX_MAX_CAP ((size_t)1 << 31)

static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)h | TAG_USED;
}

static void *val_get(const struct pindex *ix, size_t i)
{
	const struct pindex_val *v = &ix->vals[i];

	return (void *)(uintptr_t)((uint64_t)v->hi << 32 | v->lo);
}

/* value fits (pindex_fits: checked before). */
static void val_set(struct pindex *ix, size_t i, const void *value)
{
	uint64_t u = (uintptr_t)value;

	ix->vals[i].hi = (uint16_t)(u >> 32);
	ix->vals[i].lo = (uint32_t)u;
}

/* A value's first slot, from its tag, for any number of slots (scaled, not
 * masked: the table grows by half, not by doubling). */
static size_t home(uint32_t tag, size_t cap)
{
	return (size_t)(((uint64_t)(tag & ~TAG_USED) * cap) >> 31);
}

static size_t next_slot(size_t i, size_t cap)
{
	return ++i == cap ? 0 : i;
}

void pindex_init(struct pindex *ix, size_t key_off, size_t key_size)
{
	memset(ix, 0, sizeof(*ix));
	ix->key_off = key_off;
	ix->key_size = key_size;
}

void pindex_fini(struct pindex *ix)
{
	free(ix->vals);
	free(ix->tags);
	ix->vals = NULL;
	ix->tags = NULL;
	ix->cap = ix->count = ix->used = 0;
}

static const void *key_of(const struct pindex *ix, const void *value, void *buf)
{
	uintptr_t u = (uintptr_t)value;

	if (u & PINDEX_ALT) {
		value = (const void *)(u & ~PINDEX_ALT);
		if (ix->alt_key)
			return ix->alt_key(value, buf);
	}
	return (const unsigned char *)value + ix->key_off;
}

/* The slot holding key, or -1. */
static ptrdiff_t lookup(const struct pindex *ix, const void *key, uint64_t h)
{
	uint32_t tag = tag_of(h);
	unsigned char buf[PINDEX_KEY_MAX];

	if (!ix->cap)
		return -1;
	for (size_t i = home(tag, ix->cap);; i = next_slot(i, ix->cap)) {
		uint32_t t = ix->tags[i];

		if (!t)
			return -1;
		if (t == tag && !memcmp(key_of(ix, val_get(ix, i), buf), key, ix->key_size))
			return (ptrdiff_t)i;
	}
}

/* Every value into fresh arrays of cap slots (no tombstones). A slot's
 * home comes from its tag (the tag is the hash's low 32 bits), so a
 * rehash reads no value: re-hashing each key through its entry made the
 * doubling at 786 432 values stall the loader half a second (microbench:
 * 540-580 ms, hmap's 65-115 ms), long enough for the ring buffer to fill.
 * calloc: a large array is fresh zero pages, resident only once touched. */
static int rehash(struct pindex *ix, size_t cap)
{
	struct pindex_val *nv = calloc(cap, sizeof(*nv));
	uint32_t *nt = calloc(cap, sizeof(*nt));

	if (!nv || !nt) {
		free(nv);
		free(nt);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ix->cap; i++) {
		size_t j;

		if (!(ix->tags[i] & TAG_USED))
			continue;
		for (j = home(ix->tags[i], cap); nt[j]; j = next_slot(j, cap))
			;
		nv[j] = ix->vals[i];
		nt[j] = ix->tags[i];
	}
	free(ix->vals);
	free(ix->tags);
	ix->vals = nv;
	ix->tags = nt;
	ix->cap = cap;
	ix->used = ix->count;
	return 0;
}

void *pindex_get(const struct pindex *ix, const void *key)
{
	ptrdiff_t i = lookup(ix, key, hmap_hash(key, ix->key_size));

	return i < 0 ? NULL : val_get(ix, (size_t)i);
}

int pindex_put(struct pindex *ix, void *value)
{
	unsigned char buf[PINDEX_KEY_MAX];
	const void *key;
	uint64_t h;
	ptrdiff_t at, tomb = -1;
	size_t i;

	/* Before its key is read: such an address may point nowhere. */
	if (!pindex_fits(value))
		return -EOVERFLOW;
	key = key_of(ix, value, buf);
	h = hmap_hash(key, ix->key_size);
	at = lookup(ix, key, h);
	if (at >= 0) {
		val_set(ix, (size_t)at, value);
		return 0;
	}
	/* At most 3/4 of the slots in use, tombstones included. Past that,
	 * sweep the tombstones out, growing by half until the values fill at
	 * most 5/8: the load then runs from 1/2 (just grown) to 3/4. Doubling
	 * ran it from 3/8: at 1 000 000 values 2^21 slots, 20 MiB an index,
	 * where 1 614 250 slots (15.4 MiB) do. */
	if (4 * (ix->used + 1) > 3 * ix->cap) {
		size_t cap = ix->cap ? ix->cap : PINDEX_MIN;

		while (8 * (ix->count + 1) > 5 * cap)
			cap += cap / 2;
		if (cap > PINDEX_MAX_CAP)
			return -ENOMEM; /* homes come from the tags' 31 low bits */
		if (rehash(ix, cap))
			return -ENOMEM;
	}
	for (i = home(tag_of(h), ix->cap); ix->tags[i]; i = next_slot(i, ix->cap))
		if (ix->tags[i] == TAG_TOMB && tomb < 0)
			tomb = (ptrdiff_t)i;
	if (tomb >= 0)
		i = (size_t)tomb;
	else
		ix->used++;
	val_set(ix, i, value);
	ix->tags[i] = tag_of(h);
	ix->count++;
	return 0;
}

static void *take(struct pindex *ix, ptrdiff_t i)
{
	void *v = val_get(ix, (size_t)i);

	ix->tags[i] = TAG_TOMB; /* the tag alone says what a slot holds */
	ix->count--;
	return v;
}

void *pindex_del(struct pindex *ix, const void *key)
{
	ptrdiff_t i = lookup(ix, key, hmap_hash(key, ix->key_size));

	return i < 0 ? NULL : take(ix, i);
}

/* The slot holding value itself, or -1. */
static ptrdiff_t slot_of(const struct pindex *ix, const void *value)
{
	unsigned char buf[PINDEX_KEY_MAX];
	const void *key = key_of(ix, value, buf);
	ptrdiff_t i = lookup(ix, key, hmap_hash(key, ix->key_size));

	return i < 0 || val_get(ix, (size_t)i) != value ? -1 : i;
}

bool pindex_remove(struct pindex *ix, const void *value)
{
	ptrdiff_t i = slot_of(ix, value);

	if (i < 0)
		return false;
	take(ix, i);
	return true;
}

bool pindex_replace(struct pindex *ix, const void *old, void *value)
{
	ptrdiff_t i;

	if (!pindex_fits(value))
		return false;
	i = slot_of(ix, old);
	if (i < 0)
		return false;
	val_set(ix, (size_t)i, value);
	return true;
}

void *pindex_next(const struct pindex *ix, size_t *pos)
{
	while (*pos < ix->cap) {
		size_t i = (*pos)++;

		if (ix->tags[i] & TAG_USED)
			return val_get(ix, i);
	}
	return NULL;
}
