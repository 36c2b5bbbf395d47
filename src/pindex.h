/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An index of values that carry their own key: an open-addressing table of
 * value pointers, each with a 32-bit tag of its key's hash beside it (two
 * arrays: the tags, and the addresses packed in 48 bits: 10 bytes a slot),
 * the key read from the value at a fixed offset.
 *
 * Why not hmap: hmap copies each key into a node of its own, one malloc per
 * entry (by_sk's 8-byte key: a 48-byte chunk; by_tuple's 40-byte key: 80),
 * plus a bucket pointer. The connection table indexes every open socket
 * twice, so at a million sockets that was ~140 MB of the loader's memory
 * for two indexes; here each costs one 10-byte slot at a load between 1/2
 * and 3/4 (1 614 250 slots, 15.4 MiB, for a million values; 18.5 MiB when
 * the tags and the 8-byte pointers were two arrays, 12 bytes a slot).
 *
 * A slot keeps 48 bits of the value's address: every address Linux gives
 * user space unasked on x86-64 and arm64 is below 2^47 (5-level paging's
 * and 52-bit VA's higher ones only come to an mmap that asks with a hint
 * above; malloc and slab.c give none). pindex_put and pindex_replace check
 * it (pindex_fits) and refuse a value that does not fit: never truncated.
 *
 * The key must not change while the value is indexed (delete, change,
 * insert again). A value may come in a second form (PINDEX_ALT): the
 * connection table keeps idle connections compact, in the same slots.
 * The stored tag is compared first, so a probe reads only
 * values whose tag matches. Deletion leaves a tombstone: deleting any value
 * while iterating is allowed; inserting while iterating is not (a rehash
 * moves everything).
 */
#ifndef TL_PINDEX_H
#define TL_PINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value whose address has this bit set is in its alternate form: its key
 * is read through alt_key (given the address without the bit), or, with
 * none, at key_off as any value's. Malloc'ed blocks leave the bit free. */
#define PINDEX_ALT ((uintptr_t)2)
#define PINDEX_KEY_MAX 64 /* the largest key an alt_key builds */
/* The bits of a value's address a slot keeps. */
#define PINDEX_VALUE_BITS 48

/* Whether value can be indexed: its address fits PINDEX_VALUE_BITS bits
 * (PINDEX_ALT included). */
static inline bool pindex_fits(const void *value)
{
	return !((uint64_t)(uintptr_t)value >> PINDEX_VALUE_BITS);
}

/* A value's address in 48 bits, packed in 6 bytes (pindex.c). */
struct pindex_val;

struct pindex {
	struct pindex_val *vals; /* cap slots' values (valid where the tag says so) */
	uint32_t *tags; /* 0 empty, 1 deleted, else the low 31 bits of the value's key hash | 1 << 31 */
	size_t cap;   /* slots, or 0 before the first insert */
	size_t count; /* values */
	size_t used;  /* values + tombstones */
	size_t key_off, key_size;
	/* The key of an alternate-form value, built in buf (key_size bytes). */
	const void *(*alt_key)(const void *v, void *buf);
};

/* Values hold their key of key_size bytes at key_off. */
void pindex_init(struct pindex *ix, size_t key_off, size_t key_size);
void pindex_fini(struct pindex *ix);
void *pindex_get(const struct pindex *ix, const void *key);
/* Index value under its own key, replacing what was there. 0, -ENOMEM, or
 * -EOVERFLOW if its address does not fit a slot (!pindex_fits(value): its
 * key is not read); nothing changed on an error. */
int pindex_put(struct pindex *ix, void *value);
/* Remove what is under key; returns it, or NULL. */
void *pindex_del(struct pindex *ix, const void *key);
/* Put value where old is, if old is what its own key indexes now (their
 * keys must be equal); true if it was. False, nothing changed, also if
 * !pindex_fits(value). No rehash: allowed while iterating. */
bool pindex_replace(struct pindex *ix, const void *old, void *value);
/* Remove value if it is what its own key indexes now (a newer value under
 * the same key stays); true if it was. One probe for get, compare, delete. */
bool pindex_remove(struct pindex *ix, const void *value);
/* Iterate: for (size_t i = 0; (v = pindex_next(ix, &i));) ... */
void *pindex_next(const struct pindex *ix, size_t *pos);

#endif /* TL_PINDEX_H */
