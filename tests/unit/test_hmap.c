// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hmap.c: get, put, delete and get-or-new on fixed-size byte keys, through
 * the growth that rehashes every node. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hmap.h"

struct key {
	uint32_t a;
	uint16_t b;
	uint16_t pad;
};

struct val {
	uint64_t n;
	char tag[8];
};

static struct key k_of(uint32_t i)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.a = i * 2654435761u;
	k.b = (uint16_t)i;
	return k;
}

/* A new value is zeroed and put under its key; the second call finds it. */
static void test_get_or_new(void **state)
{
	struct hmap m;
	struct key k = k_of(7);
	struct val *v, *w;
	bool made = false;

	(void)state;
	assert_int_equal(hmap_init(&m, sizeof(k)), 0);
	v = hmap_get_or_new(&m, &k, sizeof(*v), &made);
	assert_non_null(v);
	assert_true(made);
	assert_int_equal(v->n, 0);
	assert_int_equal(v->tag[0], 0);
	v->n = 41;
	w = hmap_get_or_new(&m, &k, sizeof(*w), &made);
	assert_ptr_equal(w, v);
	assert_false(made);
	assert_int_equal(w->n, 41);
	assert_ptr_equal(hmap_get(&m, &k), v);
	assert_int_equal(m.count, 1);
	/* made may be NULL, found or new. */
	assert_ptr_equal(hmap_get_or_new(&m, &k, sizeof(*w), NULL), v);
	k = k_of(8);
	w = hmap_get_or_new(&m, &k, sizeof(*w), NULL);
	assert_non_null(w);
	assert_ptr_not_equal(w, v);
	assert_int_equal(w->n, 0);
	assert_int_equal(m.count, 2);
	hmap_fini_values(&m);
}

/* 10 000 keys made through many doublings: each still found with its own
 * value, deletion returns it, and the count follows. */
static void test_growth_and_delete(void **state)
{
	struct hmap m;
	struct val *v;
	bool made;
	uint32_t i;

	(void)state;
	assert_int_equal(hmap_init(&m, sizeof(struct key)), 0);
	for (i = 0; i < 10000; i++) {
		struct key k = k_of(i);

		v = hmap_get_or_new(&m, &k, sizeof(*v), &made);
		assert_non_null(v);
		assert_true(made);
		v->n = i;
	}
	assert_int_equal(m.count, 10000);
	assert_true(m.n_buckets >= 10000 / 2);
	for (i = 0; i < 10000; i++) {
		struct key k = k_of(i);

		v = hmap_get(&m, &k);
		assert_non_null(v);
		assert_int_equal(v->n, i);
	}
	for (i = 0; i < 10000; i += 2) {
		struct key k = k_of(i);

		v = hmap_del(&m, &k);
		assert_non_null(v);
		assert_int_equal(v->n, i);
		free(v);
		assert_null(hmap_get(&m, &k));
	}
	assert_int_equal(m.count, 5000);
	hmap_fini_values(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_or_new),
		cmocka_unit_test(test_growth_and_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
