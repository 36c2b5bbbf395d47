// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pindex.c: values found by the key they carry, through replacement,
 * deletion (tombstones), their reuse, growth and iteration; 200 000 random
 * operations checked against hmap as the model; the 48 bits of address a
 * slot keeps: every one of them back, a value past them refused. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hmap.h"
#include "pindex.h"

struct val {
	uint64_t other;
	uint32_t key[3]; /* at an offset, as a connection's 4-tuple is */
	uint32_t n;
};

static struct val *val_new(uint32_t k, uint32_t n)
{
	struct val *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	v->key[0] = k * 2654435761u;
	v->key[1] = k;
	v->key[2] = ~k;
	v->n = n;
	return v;
}

static void ix_init(struct pindex *ix)
{
	pindex_init(ix, offsetof(struct val, key), sizeof(((struct val *)0)->key));
}

/* Put, get, replace under the same key, delete; a miss in an empty index. */
static void test_basics(void **state)
{
	struct pindex ix;
	struct val *a = val_new(1, 10), *a2 = val_new(1, 11), *b = val_new(2, 20);

	(void)state;
	ix_init(&ix);
	assert_null(pindex_get(&ix, a->key));
	assert_null(pindex_del(&ix, a->key));
	assert_int_equal(pindex_put(&ix, a), 0);
	assert_int_equal(pindex_put(&ix, b), 0);
	assert_ptr_equal(pindex_get(&ix, a->key), a);
	assert_ptr_equal(pindex_get(&ix, b->key), b);
	/* The same key in another value replaces it. */
	assert_int_equal(pindex_put(&ix, a2), 0);
	assert_ptr_equal(pindex_get(&ix, a->key), a2);
	assert_int_equal(ix.count, 2);
	/* Removing the replaced value leaves the one now under its key. */
	assert_false(pindex_remove(&ix, a));
	assert_ptr_equal(pindex_get(&ix, a->key), a2);
	assert_int_equal(ix.count, 2);
	assert_true(pindex_remove(&ix, b));
	assert_false(pindex_remove(&ix, b));
	assert_null(pindex_get(&ix, b->key));
	assert_int_equal(pindex_put(&ix, b), 0);
	assert_ptr_equal(pindex_del(&ix, a->key), a2);
	assert_null(pindex_get(&ix, a->key));
	assert_ptr_equal(pindex_get(&ix, b->key), b);
	assert_int_equal(ix.count, 1);
	pindex_fini(&ix);
	free(a);
	free(a2);
	free(b);
}

/* Every value deleted while iterating, each seen exactly once. */
static void test_iterate_and_delete(void **state)
{
	enum { N = 5000 };
	struct pindex ix;
	static bool seen[N];
	struct val *v;
	size_t pos = 0, n = 0;

	(void)state;
	ix_init(&ix);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(pindex_put(&ix, val_new(i, i)), 0);
	assert_int_equal(ix.count, N);
	while ((v = pindex_next(&ix, &pos))) {
		assert_false(seen[v->n]);
		seen[v->n] = true;
		assert_ptr_equal(pindex_del(&ix, v->key), v);
		free(v);
		n++;
	}
	assert_int_equal(n, N);
	assert_int_equal(ix.count, 0);
	pos = 0;
	assert_null(pindex_next(&ix, &pos));
	pindex_fini(&ix);
}

/* Tombstones do not pile up: a table that keeps a constant number of
 * values while many come and go stays the same size. */
static void test_tombstones_swept(void **state)
{
	struct pindex ix;
	struct val *live[16] = { 0 };
	size_t cap;

	(void)state;
	ix_init(&ix);
	for (uint32_t i = 0; i < 16; i++) {
		live[i] = val_new(i, i);
		assert_int_equal(pindex_put(&ix, live[i]), 0);
	}
	cap = ix.cap;
	for (uint32_t i = 16; i < 100000; i++) {
		struct val *old = live[i % 16];

		assert_ptr_equal(pindex_del(&ix, old->key), old);
		free(old);
		live[i % 16] = val_new(i, i);
		assert_int_equal(pindex_put(&ix, live[i % 16]), 0);
	}
	assert_int_equal(ix.cap, cap);
	assert_int_equal(ix.count, 16);
	for (uint32_t i = 0; i < 16; i++) {
		assert_ptr_equal(pindex_get(&ix, live[i]->key), live[i]);
		free(live[i]);
	}
	pindex_fini(&ix);
}

/* Growing by half: past the first growths the values fill between half
 * and three quarters of the slots, whatever their number (a table that
 * doubled sat at 3/8 just after), and every one is found. */
static void test_load_kept(void **state)
{
	enum { N = 300000 };
	static struct val *v[N];
	struct pindex ix;

	(void)state;
	ix_init(&ix);
	for (uint32_t i = 0; i < N; i++) {
		v[i] = val_new(i, i);
		assert_int_equal(pindex_put(&ix, v[i]), 0);
		assert_true(4 * ix.count <= 3 * ix.cap);
		if (ix.count >= 64)
			assert_true(2 * (ix.count + 1) >= ix.cap);
	}
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(pindex_get(&ix, v[i]->key), v[i]);
	pindex_fini(&ix);
	for (uint32_t i = 0; i < N; i++)
		free(v[i]);
}

/* Random puts, replacements and deletes on 3000 keys: after each, the
 * index agrees with hmap holding the same values, and at the end iteration
 * yields exactly the model's values. */
static void test_against_hmap(void **state)
{
	enum { KEYS = 3000, OPS = 200000 };
	struct pindex ix;
	struct hmap model;
	struct val *v, *w;
	size_t pos = 0, n = 0;
	uint64_t rng = 88172645463325252ULL;

	(void)state;
	ix_init(&ix);
	assert_int_equal(hmap_init(&model, sizeof(v->key)), 0);
	for (uint32_t op = 0; op < OPS; op++) {
		uint32_t k;
		struct val probe;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		k = (uint32_t)(rng % KEYS);
		memset(&probe, 0, sizeof(probe));
		probe.key[0] = k * 2654435761u;
		probe.key[1] = k;
		probe.key[2] = ~k;
		if ((rng >> 32) % 3) {
			v = val_new(k, op);
			assert_int_equal(pindex_put(&ix, v), 0);
			w = hmap_get(&model, v->key);
			assert_int_equal(hmap_put(&model, v->key, v), 0);
			free(w);
		} else {
			w = hmap_del(&model, probe.key);
			assert_ptr_equal(pindex_del(&ix, probe.key), w);
			free(w);
		}
		assert_ptr_equal(pindex_get(&ix, probe.key), hmap_get(&model, probe.key));
		assert_int_equal(ix.count, model.count);
	}
	while ((v = pindex_next(&ix, &pos))) {
		assert_ptr_equal(hmap_get(&model, v->key), v);
		n++;
	}
	assert_int_equal(n, model.count);
	pindex_fini(&ix);
	hmap_fini_values(&model);
}

/* An alternate form's key made from its address alone (the address without
 * PINDEX_ALT, its low 8 bits dropped), so that values with any address can
 * be indexed without one being read: those at and near 2^48 included. */
static unsigned addr_key_calls;

static const void *addr_key(const void *v, void *buf)
{
	uint64_t a = (uintptr_t)v >> 8;

	addr_key_calls++;
	uint32_t k[3] = { (uint32_t)a, (uint32_t)(a >> 32), 0xa17u };

	memcpy(buf, k, sizeof(k));
	return buf;
}

static void *fake(uint64_t addr)
{
	return (void *)(uintptr_t)(addr | PINDEX_ALT);
}

static void fake_key(uint64_t addr, uint32_t k[3])
{
	addr_key((const void *)(uintptr_t)addr, k);
}

/* A value whose address does not fit 48 bits is refused before its key is
 * read (nothing is there: reading at key_off would fault; an alt_key is
 * not called), and nothing changes: the count, the
 * slots, what the other values' keys find, iteration. Replacing a value by
 * one is refused too. */
static void test_wide_refused(void **state)
{
	struct pindex ix;
	struct val *a = val_new(1, 10);
	void *wide = (void *)(uintptr_t)((uint64_t)1 << 48 | 8);
	size_t cap, pos = 0;

	(void)state;
	if (sizeof(uintptr_t) < 8)
		skip();
	ix_init(&ix);
	assert_false(pindex_fits(wide));
	assert_true(pindex_fits(fake(((uint64_t)1 << 48) - 8)));
	/* Empty: no slot array is made for it. */
	assert_int_equal(pindex_put(&ix, wide), -EOVERFLOW);
	assert_int_equal(pindex_put(&ix, (void *)((uintptr_t)wide | PINDEX_ALT)), -EOVERFLOW);
	assert_null(ix.vals);
	assert_int_equal(ix.cap, 0);
	assert_int_equal(ix.count, 0);
	assert_int_equal(pindex_put(&ix, a), 0);
	cap = ix.cap;
	assert_int_equal(pindex_put(&ix, wide), -EOVERFLOW);
	assert_int_equal(pindex_put(&ix, (void *)(uintptr_t)UINT64_MAX), -EOVERFLOW);
	assert_int_equal(ix.count, 1);
	assert_int_equal(ix.used, 1);
	assert_int_equal(ix.cap, cap);
	assert_false(pindex_replace(&ix, a, wide));
	assert_ptr_equal(pindex_get(&ix, a->key), a);
	assert_ptr_equal(pindex_next(&ix, &pos), a);
	assert_null(pindex_next(&ix, &pos));
	/* Through alt_key as well: refused before it is asked. */
	ix.alt_key = addr_key;
	addr_key_calls = 0;
	assert_int_equal(pindex_put(&ix, (void *)((uintptr_t)wide | PINDEX_ALT)), -EOVERFLOW);
	assert_int_equal(addr_key_calls, 0);
	assert_int_equal(ix.count, 1);
	pos = 0;
	assert_ptr_equal(pindex_next(&ix, &pos), a);
	assert_null(pindex_next(&ix, &pos));
	pindex_fini(&ix);
	free(a);
}

/* Every bit of a 48-bit address comes back, PINDEX_ALT among them: values
 * at the top of the 48 bits (bit 47 set, which user space on 4-level paging
 * never has), at 2^47 - 8 (its top), around the 32-bit boundary of the
 * slot's two halves and at a heap block's, through put, get, next, replace
 * under the same key, remove, and a growth's rehash. Fake addresses, never
 * read: their alternate form's key is made from the address. */
static void test_address_bits_kept(void **state)
{
	static const uint64_t addrs[] = {
		0xffffffffff08ull, 0x800000000008ull, 0x7ffffffffff8ull, 0x7fff00000008ull,
		0x0000ffffff08ull, 0x000100000008ull, 0x0000000000f8ull, 0x555555559ab8ull,
		0xaaaaaaaaaa08ull, 0x123456789a08ull,
	};
	enum { N = sizeof(addrs) / sizeof(addrs[0]), FILL = 1000 };
	static struct val *real[FILL];
	struct pindex ix;
	uint32_t k[3];
	bool seen[N] = { false };
	void *v;
	size_t pos = 0, n = 0;

	(void)state;
	if (sizeof(uintptr_t) < 8)
		skip();
	ix_init(&ix);
	ix.alt_key = addr_key;
	for (size_t i = 0; i < N; i++)
		assert_int_equal(pindex_put(&ix, fake(addrs[i])), 0);
	/* Real values besides, in their usual form, until the table grew
	 * several times (the fakes moved by rehash, from their tags). */
	for (uint32_t i = 0; i < FILL; i++) {
		real[i] = val_new(i, i);
		assert_int_equal(pindex_put(&ix, real[i]), 0);
	}
	assert_true(ix.cap > 64);
	for (size_t i = 0; i < N; i++) {
		fake_key(addrs[i], k);
		assert_ptr_equal(pindex_get(&ix, k), fake(addrs[i]));
	}
	while ((v = pindex_next(&ix, &pos))) {
		uintptr_t u = (uintptr_t)v;

		n++;
		if (!(u & PINDEX_ALT))
			continue;
		for (size_t i = 0; i < N; i++)
			if (v == fake(addrs[i])) {
				assert_false(seen[i]);
				seen[i] = true;
			}
	}
	assert_int_equal(n, N + FILL);
	for (size_t i = 0; i < N; i++)
		assert_true(seen[i]);
	/* Replaced by a neighbour (the same key: the same 256 bytes), then by
	 * a real value's alternate form, then removed. */
	for (size_t i = 0; i < N; i++) {
		fake_key(addrs[i], k);
		assert_true(pindex_replace(&ix, fake(addrs[i]), fake(addrs[i] - 8)));
		assert_ptr_equal(pindex_get(&ix, k), fake(addrs[i] - 8));
		assert_false(pindex_remove(&ix, fake(addrs[i])));
		assert_true(pindex_remove(&ix, fake(addrs[i] - 8)));
		assert_null(pindex_get(&ix, k));
	}
	assert_int_equal(ix.count, FILL);
	/* A real value in its alternate form: found by its address's key,
	 * the bit kept, and back to its usual form under its own key. */
	fake_key((uintptr_t)real[0], k);
	assert_true(pindex_remove(&ix, real[0]));
	assert_int_equal(pindex_put(&ix, (void *)((uintptr_t)real[0] | PINDEX_ALT)), 0);
	assert_ptr_equal(pindex_get(&ix, k), (void *)((uintptr_t)real[0] | PINDEX_ALT));
	assert_ptr_equal(pindex_del(&ix, k), (void *)((uintptr_t)real[0] | PINDEX_ALT));
	assert_int_equal(pindex_put(&ix, real[0]), 0);
	for (uint32_t i = 0; i < FILL; i++) {
		assert_ptr_equal(pindex_get(&ix, real[i]->key), real[i]);
		free(real[i]);
	}
	pindex_fini(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_iterate_and_delete),
		cmocka_unit_test(test_tombstones_swept),
		cmocka_unit_test(test_load_kept),
		cmocka_unit_test(test_against_hmap),
		cmocka_unit_test(test_wide_refused),
		cmocka_unit_test(test_address_bits_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
