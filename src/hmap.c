// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"

#define HMAP_MIN_BUCKETS 64

/* FNV-1a, then a 64-bit finalizer: socket addresses share their low bits
 * (slab alignment), so the raw bytes alone would crowd a few buckets. */
uint64_t hmap_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

int hmap_init(struct hmap *m, size_t key_size)
{
	m->buckets = calloc(HMAP_MIN_BUCKETS, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->n_buckets = HMAP_MIN_BUCKETS;
	m->count = 0;
	m->key_size = key_size;
	return 0;
}

void hmap_fini(struct hmap *m)
{
	if (!m || !m->buckets)
		return;
	for (size_t b = 0; b < m->n_buckets; b++) {
		struct hmap_node *n = m->buckets[b];

		while (n) {
			struct hmap_node *next = n->next;

			free(n);
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->count = 0;
}

void hmap_fini_values(struct hmap *m)
{
	size_t b;

	if (!m || !m->buckets)
		return;
	for (struct hmap_node *n = hmap_first(m, &b); n; n = hmap_next(m, n, &b))
		free(n->value);
	hmap_fini(m);
}

static struct hmap_node **find(const struct hmap *m, const void *key, uint64_t h)
{
	struct hmap_node **pp = &m->buckets[h & (m->n_buckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && !memcmp((*pp)->key, key, m->key_size))
			return pp;
	return pp;
}

void *hmap_get(const struct hmap *m, const void *key)
{
	struct hmap_node **pp = find(m, key, hmap_hash(key, m->key_size));

	return *pp ? (*pp)->value : NULL;
}

static void grow(struct hmap *m)
{
	size_t nb = m->n_buckets * 2;
	struct hmap_node **nbk = calloc(nb, sizeof(*nbk));

	if (!nbk)
		return; /* keep working with longer chains */
	for (size_t b = 0; b < m->n_buckets; b++) {
		struct hmap_node *n = m->buckets[b];

		while (n) {
			struct hmap_node *next = n->next;
			size_t i = n->hash & (nb - 1);

			n->next = nbk[i];
			nbk[i] = n;
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = nbk;
	m->n_buckets = nb;
}

/* A new node at *pp, the empty end of key's chain that find() returned. */
static int insert_at(struct hmap *m, struct hmap_node **pp, uint64_t h, const void *key,
		     void *value)
{
	struct hmap_node *n = malloc(sizeof(*n) + m->key_size);

	if (!n)
		return -ENOMEM;
	n->next = NULL;
	n->hash = h;
	n->value = value;
	memcpy(n->key, key, m->key_size);
	*pp = n;
	if (++m->count > m->n_buckets)
		grow(m);
	return 0;
}

int hmap_put(struct hmap *m, const void *key, void *value)
{
	uint64_t h = hmap_hash(key, m->key_size);
	struct hmap_node **pp = find(m, key, h);

	if (*pp) {
		(*pp)->value = value;
		return 0;
	}
	return insert_at(m, pp, h, key, value);
}

/* One hash and one walk of the chain, found or not: it sits on the
 * per-SYN-ACK and per-timewait paths. */
void *hmap_get_or_new(struct hmap *m, const void *key, size_t size, bool *made)
{
	uint64_t h = hmap_hash(key, m->key_size);
	struct hmap_node **pp = find(m, key, h);
	void *v;

	if (made)
		*made = !*pp;
	if (*pp)
		return (*pp)->value;
	v = calloc(1, size);
	if (!v || insert_at(m, pp, h, key, v)) {
		free(v);
		return NULL;
	}
	return v;
}

void *hmap_del(struct hmap *m, const void *key)
{
	struct hmap_node **pp = find(m, key, hmap_hash(key, m->key_size)), *n = *pp;
	void *v;

	if (!n)
		return NULL;
	*pp = n->next;
	v = n->value;
	free(n);
	m->count--;
	return v;
}

struct hmap_node *hmap_first(const struct hmap *m, size_t *bucket)
{
	for (*bucket = 0; *bucket < m->n_buckets; (*bucket)++)
		if (m->buckets[*bucket])
			return m->buckets[*bucket];
	return NULL;
}

struct hmap_node *hmap_next(const struct hmap *m, const struct hmap_node *n, size_t *bucket)
{
	if (n->next)
		return n->next;
	for ((*bucket)++; *bucket < m->n_buckets; (*bucket)++)
		if (m->buckets[*bucket])
			return m->buckets[*bucket];
	return NULL;
}
