// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"
#include "pindex.h"

#define PINDEX_MIN 64
/* A slot: the tag, then the value's address in 48 bits, high 16 and low
 * 32 (pindex_fits). Packed: 10 bytes, not the 16 an aligned one takes or
 * the 12 of a tag array beside a pointer array. The members are read as
 * what they are (the compiler emits unaligned loads, plain ones on x86-64
 * and arm64); no member's address is taken. */
struct __attribute__((packed)) pindex_slot {
	uint32_t tag;
	uint16_t hi;
	uint32_t lo;
};
_Static_assert(sizeof(struct pindex_slot) == 10, "a slot is 10 bytes");

/* A slot's tag says what it holds, so a probe reads the tags until one
 * matches (a value's, its top bit set), and stops at an empty slot (0).
 * The value is in the same 10 bytes (in the same cache line but for 4
 * slots in 32 that straddle two): a probe that matches reads its value
 * without touching a second array, as the tags beside a pointer array did
 * (a million-socket --once: pindex lookups 7.7 % of the run, mostly
 * misses). A tombstone's tag is TAG_TOMB. Homes come from the tag's 31
 * low bits: at most 2^31 slots. */
#define TAG_USED 0x80000000u
#define TAG_TOMB 1u
#define PINDEX_MAX_CAP ((size_t)1 << 31)

static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)h | TAG_USED;
}

static void *slot_val(const struct pindex_slot *s)
{
	return (void *)(uintptr_t)((uint64_t)s->hi << 32 | s->lo);
}

/* value fits (pindex_fits: checked before). */
static void slot_set(struct pindex_slot *s, uint32_t tag, const void *value)
{
	uint64_t u = (uintptr_t)value;

	s->tag = tag;
	s->hi = (uint16_t)(u >> 32);
	s->lo = (uint32_t)u;
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
	free(ix->slots);
	ix->slots = NULL;
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

/* The slot holding key, or -1. Reads the slot array alone. */
static ptrdiff_t lookup(const struct pindex *ix, const void *key, uint64_t h)
{
	uint32_t tag = tag_of(h);
	unsigned char buf[PINDEX_KEY_MAX];

	if (!ix->cap)
		return -1;
	for (size_t i = home(tag, ix->cap);; i = next_slot(i, ix->cap)) {
		const struct pindex_slot *s = &ix->slots[i];
		uint32_t t = s->tag;

		if (!t)
			return -1;
		if (t == tag && !memcmp(key_of(ix, slot_val(s), buf), key, ix->key_size))
			return (ptrdiff_t)i;
	}
}

/* Every value into a fresh array of cap slots (no tombstones). A slot's
 * home comes from its tag (the tag is the hash's low 32 bits), so a
 * rehash reads no value: re-hashing each key through its entry made the
 * doubling at 786 432 values stall the loader half a second (microbench:
 * 540-580 ms, hmap's 65-115 ms), long enough for the ring buffer to fill.
 * calloc: a large array is fresh zero pages, resident only once touched. */
static int rehash(struct pindex *ix, size_t cap)
{
	struct pindex_slot *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < ix->cap; i++) {
		uint32_t t = ix->slots[i].tag;
		size_t j;

		if (!(t & TAG_USED))
			continue;
		for (j = home(t, cap); ns[j].tag; j = next_slot(j, cap))
			;
		ns[j] = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = ns;
	ix->cap = cap;
	ix->used = ix->count;
	return 0;
}

void *pindex_get(const struct pindex *ix, const void *key)
{
	ptrdiff_t i = lookup(ix, key, hmap_hash(key, ix->key_size));

	return i < 0 ? NULL : slot_val(&ix->slots[i]);
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
		slot_set(&ix->slots[at], tag_of(h), value);
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
	for (i = home(tag_of(h), ix->cap); ix->slots[i].tag; i = next_slot(i, ix->cap))
		if (ix->slots[i].tag == TAG_TOMB && tomb < 0)
			tomb = (ptrdiff_t)i;
	if (tomb >= 0)
		i = (size_t)tomb;
	else
		ix->used++;
	slot_set(&ix->slots[i], tag_of(h), value);
	ix->count++;
	return 0;
}

static void *take(struct pindex *ix, ptrdiff_t i)
{
	void *v = slot_val(&ix->slots[i]);

	slot_set(&ix->slots[i], TAG_TOMB, NULL);
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

	return i < 0 || slot_val(&ix->slots[i]) != value ? -1 : i;
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
	slot_set(&ix->slots[i], ix->slots[i].tag, value);
	return true;
}

void *pindex_next(const struct pindex *ix, size_t *pos)
{
	while (*pos < ix->cap) {
		const struct pindex_slot *s = &ix->slots[(*pos)++];

		if (s->tag & TAG_USED)
			return slot_val(s);
	}
	return NULL;
}
