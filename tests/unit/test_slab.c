// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slab: blocks that do not overlap, keep what is written to them, and are
 * reused once freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "slab.h"

#define N 200000

static void test_blocks(void **state)
{
	static struct { uint8_t *p; size_t size; } b[N];
	struct slab s = { 0 };
	unsigned int seed = 7;

	(void)state;
	assert_null(slab_alloc(&s, 0));
	assert_null(slab_alloc(&s, SLAB_MAX + 1));
	for (size_t i = 0; i < N; i++) {
		b[i].size = 1 + (size_t)rand_r(&seed) % SLAB_MAX;
		b[i].p = slab_alloc(&s, b[i].size);
		assert_non_null(b[i].p);
		assert_int_equal((uintptr_t)b[i].p % 8, 0);
		memset(b[i].p, (int)(i & 0xff), b[i].size);
	}
	assert_int_equal(s.in_use, N);
	/* Each still holds its own pattern: none overlaps another. */
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < b[i].size; j++)
			assert_int_equal(b[i].p[j], i & 0xff);
	/* Half freed, allocated again: the freed blocks come back, nothing
	 * new is mapped. */
	size_t mapped = slab_mapped(&s);

	for (size_t i = 0; i < N; i += 2)
		slab_free(&s, b[i].p, b[i].size);
	assert_int_equal(s.in_use, N / 2);
	for (size_t i = 0; i < N; i += 2) {
		b[i].p = slab_alloc(&s, b[i].size);
		assert_non_null(b[i].p);
		memset(b[i].p, (int)(i & 0xff), b[i].size);
	}
	assert_int_equal(slab_mapped(&s), mapped);
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < b[i].size; j++)
			assert_int_equal(b[i].p[j], i & 0xff);
	slab_fini(&s);
	assert_int_equal(slab_mapped(&s), 0);
	slab_fini(&s); /* twice: nothing left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
