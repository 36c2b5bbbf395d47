/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small chained hash map with fixed-size byte keys and pointer values,
 * growing by doubling. Enough for the loader's indexes; no libbpf, no
 * allocation per lookup. */
#ifndef TL_HMAP_H
#define TL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
	void *value;
	unsigned char key[]; /* key_size bytes */
};

struct hmap {
	struct hmap_node **buckets;
	size_t n_buckets; /* power of two */
	size_t count;
	size_t key_size;
};

/* The hash of n key bytes (pindex uses it too). */
uint64_t hmap_hash(const void *key, size_t n);
int hmap_init(struct hmap *m, size_t key_size);
void hmap_fini(struct hmap *m);
/* hmap_fini, after free() of every value (each a malloc'ed block). */
void hmap_fini_values(struct hmap *m);
void *hmap_get(const struct hmap *m, const void *key);
/* Insert or replace. Returns 0 or -ENOMEM. */
int hmap_put(struct hmap *m, const void *key, void *value);
/* The value under key, or a new zeroed block of size bytes put there
 * (*made = true; made may be NULL). NULL, with nothing put, when memory
 * runs out: the caller counts the loss. */
void *hmap_get_or_new(struct hmap *m, const void *key, size_t size, bool *made);
/* Remove; returns the value that was there, or NULL. */
void *hmap_del(struct hmap *m, const void *key);

/* Iterate: for (it = hmap_first(m, &b); it; it = hmap_next(m, it, &b)).
 * Deleting the current node is allowed if the next one is fetched first. */
struct hmap_node *hmap_first(const struct hmap *m, size_t *bucket);
struct hmap_node *hmap_next(const struct hmap *m, const struct hmap_node *n, size_t *bucket);

/* The same, where the body may delete the current node (only that one). */
#define hmap_for_each_safe(m, n, next, b)                                         \
	for ((n) = hmap_first((m), &(b)); (n) && ((next) = hmap_next((m), (n), &(b)), 1); \
	     (n) = (next))

#endif /* TL_HMAP_H */
