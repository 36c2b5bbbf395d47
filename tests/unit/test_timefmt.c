// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "timefmt.h"

/* 2026-11-21T11:32:05Z, reached at 1 s of monotonic time. */
#define EPOCH_S 1795260725LL
static const struct timeconv tc = { .mono_to_real_ns = (EPOCH_S - 1) * 1000000000LL };

static const char *ms(uint64_t ns)
{
	static char buf[32];

	assert_int_equal(fmt_ms(ns, buf, sizeof(buf)), 0);
	return buf;
}

static void test_fmt_ms(void **state)
{
	(void)state;
	assert_string_equal(ms(0), "0.000");
	assert_string_equal(ms(999), "0.000");
	assert_string_equal(ms(999999), "0.999");
	assert_string_equal(ms(1000000), "1.000");
	assert_string_equal(ms(1234567891), "1234.567");
	assert_string_equal(ms(UINT64_MAX), "18446744073709.551");
}

static void test_fmt_ms_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(fmt_ms(1000000, buf, 5), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_ms(1000000, buf, 6), 0);
	assert_string_equal(buf, "1.000");
}

static void test_iso8601(void **state)
{
	char buf[28];

	(void)state;
	assert_int_equal(fmt_iso8601(&tc, 1000000000ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-21T11:32:05.000000Z");
	assert_int_equal(fmt_iso8601(&tc, 1000000000ULL + 3600 * 1000000000ULL + 123456789, buf,
				     sizeof(buf)),
			 0);
	assert_string_equal(buf, "2026-11-21T12:32:05.123456Z");
	assert_int_equal(fmt_iso8601(&tc, 0, buf, 27), -ENOSPC);
}

static void test_iso8601_epoch(void **state)
{
	const struct timeconv back = { .mono_to_real_ns = -1000 };
	const struct timeconv zero = { 0 };
	char buf[32];

	(void)state;
	assert_int_equal(fmt_iso8601(&zero, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	/* Floor, not truncation toward zero, before the epoch. */
	assert_int_equal(fmt_iso8601(&back, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
}

static void test_clock(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(fmt_clock(&tc, 1000000000ULL + 999999999, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "11:32:05.999999");
	assert_int_equal(fmt_clock(&tc, 0, buf, 15), -ENOSPC);
}

static void test_timeconv_init(void **state)
{
	struct timeconv now;
	struct timespec ts;
	int64_t real, est;

	(void)state;
	timeconv_init(&now);
	clock_gettime(CLOCK_REALTIME, &ts);
	real = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	est = (int64_t)mono_now_ns() + now.mono_to_real_ns;
	assert_true(est - real < 50000000LL && real - est < 50000000LL);
	assert_true(mono_now_ns() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_ms),
		cmocka_unit_test(test_fmt_ms_small_buffer),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_iso8601_epoch),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_timeconv_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
