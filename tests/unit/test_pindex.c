// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pindex.c: values found by the key they carry, through replacement,
 * deletion (tombstones), their reuse, growth and iteration; 200 000 random
 * operations checked against hmap as the model. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_iterate_and_delete),
		cmocka_unit_test(test_tombstones_swept),
		cmocka_unit_test(test_load_kept),
		cmocka_unit_test(test_against_hmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
