/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An index of values that carry their own key: an open-addressing table of
 * value pointers, each with a 32-bit tag of its key's hash beside it (two
 * arrays: 12 bytes a slot), the key read from the value at a fixed offset.
 *
 * Why not hmap: hmap copies each key into a node of its own, one malloc per
 * entry (by_sk's 8-byte key: a 48-byte chunk; by_tuple's 40-byte key: 80),
 * plus a bucket pointer. The connection table indexes every open socket
 * twice, so at a million sockets that was ~140 MB of the loader's memory
 * for two indexes; here each costs one 12-byte slot at a load between 1/2
 * and 3/4 (1 614 250 slots, 18.5 MiB, for a million values).
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

struct pindex {
	void **vals;    /* cap slots: NULL empty, PINDEX_TOMB deleted, else a value */
	uint32_t *tags; /* 0 empty, 1 deleted, else the low 31 bits of the value's key hash | 1 << 31 */
	size_t cap;     /* slots, or 0 before the first insert */
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
/* Index value under its own key, replacing what was there. 0 or -ENOMEM
 * (nothing changed). */
int pindex_put(struct pindex *ix, void *value);
/* Remove what is under key; returns it, or NULL. */
void *pindex_del(struct pindex *ix, const void *key);
/* Put value where old is, if old is what its own key indexes now (their
 * keys must be equal); true if it was. No rehash: allowed while iterating. */
bool pindex_replace(struct pindex *ix, const void *old, void *value);
/* Remove value if it is what its own key indexes now (a newer value under
 * the same key stays); true if it was. One probe for get, compare, delete. */
bool pindex_remove(struct pindex *ix, const void *value);
/* Iterate: for (size_t i = 0; (v = pindex_next(ix, &i));) ... */
void *pindex_next(const struct pindex *ix, size_t *pos);

#endif /* TL_PINDEX_H */
