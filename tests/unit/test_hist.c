// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hist.c: bucket edges, sums, merging, drawing, nearest-rank percentiles,
 * against values computed by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist.h"

static void test_bucket_edges(void **state)
{
	(void)state;
	/* bucket k: 2^(k-1) us < d <= 2^k us; the edge itself is inside. */
	assert_int_equal(hist_bucket(0), 0);
	assert_int_equal(hist_bucket(1000), 0);       /* 1 us */
	assert_int_equal(hist_bucket(1001), 1);       /* just over 1 us */
	assert_int_equal(hist_bucket(2000), 1);       /* 2 us */
	assert_int_equal(hist_bucket(2001), 2);
	assert_int_equal(hist_bucket(4000), 2);
	assert_int_equal(hist_bucket(500000000), 19); /* 500 ms: (262144, 524288] us */
	assert_int_equal(hist_bucket(524288000), 19);
	assert_int_equal(hist_bucket(524288001), 20);
	assert_int_equal(hist_bucket((1ULL << 36) * 1000), 36);
	assert_int_equal(hist_bucket((1ULL << 36) * 1000 + 1), HIST_INF);
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_INF);
	assert_true(hist_upper_ns(0) == 1000);
	assert_true(hist_upper_ns(19) == 524288000ULL);
	assert_true(hist_upper_ns(HIST_INF) == UINT64_MAX);
	for (unsigned int k = 0; k < HIST_FINITE; k++) {
		assert_int_equal(hist_bucket(hist_upper_ns(k)), k);
		assert_int_equal(hist_bucket(hist_upper_ns(k) + 1), k + 1);
	}
}

static void test_add_merge(void **state)
{
	struct hist a = {}, b = {};

	(void)state;
	hist_add(&a, 1500);     /* bucket 1 */
	hist_add(&a, 3000000);  /* 3 ms: (2048, 4096] us, bucket 12 */
	hist_add(&b, 1800);
	hist_add(&b, UINT64_MAX - 10);
	hist_merge(&a, &b);
	assert_true(a.count == 4);
	assert_true(a.b[1] == 2);
	assert_true(a.b[12] == 1);
	assert_true(a.b[HIST_INF] == 1);
	assert_true(a.sum_ns == UINT64_MAX); /* saturated, not wrapped */
	assert_true(a.max_ns == UINT64_MAX - 10);
}

static void test_draw(void **state)
{
	struct hist h = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char line[HIST_LINE_LEN];
	unsigned int lo, hi;
	uint64_t top;

	(void)state;
	assert_int_equal(hist_draw(f, &h, 10), 0); /* empty: nothing */
	assert_false(hist_span(&h, &lo, &hi, &top));
	for (int i = 0; i < 4; i++)
		hist_add(&h, 500000000); /* bucket 19 */
	hist_add(&h, 100000000);         /* 100 ms: bucket 17; bucket 18 empty */
	assert_int_equal(hist_draw(f, &h, 8), 3);
	fclose(f);
	assert_true(hist_span(&h, &lo, &hi, &top));
	assert_int_equal(lo, 17);
	assert_int_equal(hi, 19);
	assert_true(top == 4);
	hist_line(&h, 17, top, 8, line, sizeof(line));
	assert_string_equal(line, "     (65.5ms, 131.1ms] : 1          |**      |");
	assert_string_equal(buf,
		"     (65.5ms, 131.1ms] : 1          |**      |\n"
		"    (131.1ms, 262.1ms] : 0          |        |\n"
		"    (262.1ms, 524.3ms] : 4          |********|\n");
	free(buf);
}

static void test_percentiles(void **state)
{
	const uint64_t v[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };

	(void)state;
	assert_true(pctl_nearest_rank(v, 10, 50) == 50);
	assert_true(pctl_nearest_rank(v, 10, 90) == 90);
	assert_true(pctl_nearest_rank(v, 10, 99) == 100);
	assert_true(pctl_nearest_rank(v, 10, 100) == 100);
	assert_true(pctl_nearest_rank(v, 10, 1) == 10);
	assert_true(pctl_nearest_rank(v, 10, 55) == 60);
	assert_true(pctl_nearest_rank(v, 1, 50) == 10);
	assert_true(pctl_nearest_rank(v, 0, 50) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_add_merge),
		cmocka_unit_test(test_draw),
		cmocka_unit_test(test_percentiles),
	};

	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
