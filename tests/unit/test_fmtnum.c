// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The printf-free formatters against printf itself, as the model: every
 * output they replaced must read the same, byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "fmtnum.h"
#include "sink.h"
#include "timefmt.h"

#define ROUNDS 200000

/* Random 64-bit values spread over every magnitude, edges included. */
static uint64_t rnd64(unsigned int i)
{
	static const uint64_t edge[] = { 0, 1, 9, 10, 99, 100, 999999, 1000000, UINT32_MAX,
					 (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1, UINT64_MAX };
	uint64_t v;

	if (i < sizeof(edge) / sizeof(edge[0]))
		return edge[i];
	v = ((uint64_t)(unsigned int)rand() << 33) ^ ((uint64_t)(unsigned int)rand() << 11) ^
	    (uint64_t)(unsigned int)rand();
	return v >> (rand() % 64);
}

static void test_u64_i64(void **state)
{
	char want[32], got[32];

	(void)state;
	srand(1);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t v = rnd64(i);
		int64_t sv = (int64_t)v;

		snprintf(want, sizeof(want), "%" PRIu64, v);
		assert_int_equal(fmt_u64(got, sizeof(got), v), (int)strlen(want));
		assert_string_equal(got, want);
		snprintf(want, sizeof(want), "%" PRId64, sv);
		assert_int_equal(fmt_i64(got, sizeof(got), sv), (int)strlen(want));
		assert_string_equal(got, want);
	}
	snprintf(want, sizeof(want), "%" PRId64, INT64_MIN);
	fmt_i64(got, sizeof(got), INT64_MIN);
	assert_string_equal(got, want);
	/* Too small: empty and -ENOSPC, never a cut number. */
	assert_int_equal(fmt_u64(got, 3, 123), -ENOSPC);
	assert_string_equal(got, "");
	assert_int_equal(fmt_i64(got, 3, -12), -ENOSPC);
	assert_string_equal(got, "");
	assert_int_equal(fmt_u64(got, 4, 123), 3);
	fmt_str(got, 4, "abcdef");
	assert_string_equal(got, "abc");
}

static void test_ipv4_endpoint(void **state)
{
	char want[64], got[64], a[SINK_ADDR_LEN];

	(void)state;
	srand(2);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		struct tl_tuple t = { .family = AF_INET, .sport = (uint16_t)rand(),
				      .dport = (uint16_t)rand() };
		uint32_t r = (uint32_t)rand() ^ ((uint32_t)rand() << 16);

		if (i < 2)
			r = i ? UINT32_MAX : 0;
		memcpy(t.saddr, &r, 4);
		inet_ntop(AF_INET, t.saddr, a, sizeof(a));
		snprintf(want, sizeof(want), "%s:%u", a, t.sport);
		assert_int_equal(endpoint_fmt(&t, true, got, sizeof(got)), 0);
		assert_string_equal(got, want);
		assert_int_equal(addr_fmt(&t, true, got, sizeof(got)), 0);
		assert_string_equal(got, a);
	}
}

static void test_ipv6_endpoint(void **state)
{
	struct tl_tuple t = { .family = AF_INET6, .sport = 443, .dport = 65535 };
	char got[SINK_ENDPOINT_LEN];

	(void)state;
	memset(t.daddr, 0xff, 16);
	inet_pton(AF_INET6, "2001:db8::1", t.saddr);
	assert_int_equal(endpoint_fmt(&t, true, got, sizeof(got)), 0);
	assert_string_equal(got, "[2001:db8::1]:443");
	assert_int_equal(endpoint_fmt(&t, false, got, sizeof(got)), 0);
	assert_string_equal(got, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	/* Cut, as snprintf cut it, and said. */
	assert_int_equal(endpoint_fmt(&t, true, got, 8), -ENOSPC);
	assert_string_equal(got, "[2001:d");
}

/* fmt_ms_fit as it was written with snprintf: the model. */
static void ms_fit_model(uint64_t ns, size_t w, char *buf, size_t n)
{
	static const uint64_t unit_ns[] = { 1000000000ULL, 60000000000ULL, 3600000000000ULL,
					    86400000000000ULL };
	static const char unit[] = "smhd";
	uint64_t ms = ns / 1000000, frac = ns / 1000 % 1000;
	char d[32], fd[4];
	size_t nd;

	snprintf(d, sizeof(d), "%" PRIu64, ms);
	nd = strlen(d);
	for (size_t dec = 3; dec > 0; dec--) {
		if (nd + 1 + dec <= w) {
			snprintf(fd, sizeof(fd), "%03" PRIu64, frac);
			fd[dec] = '\0';
			snprintf(buf, n, "%" PRIu64 ".%s", ms, fd);
			return;
		}
	}
	if (nd <= w) {
		snprintf(buf, n, "%" PRIu64, ms);
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(d, sizeof(d), "%" PRIu64, ns / unit_ns[i]);
		if (strlen(d) + 1 <= w) {
			snprintf(buf, n, "%s%c", d, unit[i]);
			return;
		}
	}
	memset(buf, '#', w);
	buf[w] = '\0';
}

static void test_ms_fit_and_ms(void **state)
{
	char want[64], got[64];

	(void)state;
	srand(3);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t ns = rnd64(i);
		size_t w = 4 + (size_t)(rand() % 20);

		ms_fit_model(ns, w, want, sizeof(want));
		assert_int_equal(fmt_ms_fit(ns, w, got, sizeof(got)), 0);
		assert_string_equal(got, want);
		snprintf(want, sizeof(want), "%" PRIu64 ".%03" PRIu64, ns / 1000000,
			 ns / 1000 % 1000);
		assert_int_equal(fmt_ms(ns, got, sizeof(got)), 0);
		assert_string_equal(got, want);
	}
	assert_int_equal(fmt_ms(1234567, got, 5), -ENOSPC); /* "1.234" needs 6 */
	assert_string_equal(got, "");
	assert_int_equal(fmt_ms(1234567, got, 6), 0);
	assert_string_equal(got, "1.234");
}

static void test_times(void **state)
{
	const struct timeconv tc = { .mono_to_real_ns = 1700000000LL * 1000000000LL };
	char want[64], got[64];

	(void)state;
	srand(4);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		/* From 2023 to 2181, within int64_t ns: the four-digit path. */
		uint64_t mono = rnd64(i) % (5000000000ULL * 1000000000ULL);
		int64_t real = (int64_t)mono + tc.mono_to_real_ns;
		time_t sec = (time_t)(real / 1000000000);
		long usec = (long)(real % 1000000000 / 1000);
		struct tm tm;

		gmtime_r(&sec, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, usec);
		assert_int_equal(fmt_iso8601(&tc, mono, got, sizeof(got)), 0);
		assert_string_equal(got, want);
		want[strlen(want) - 1] = '\0'; /* the clock: no date, no Z */
		assert_int_equal(fmt_clock(&tc, mono, got, sizeof(got)), 0);
		assert_string_equal(got, want + 11);
	}
}

/* A line longer than the buffer spills, nothing is cut; padding as %-*s/%*s. */
static void test_linebuf(void **state)
{
	char *mem = NULL, want[4096], word[64];
	size_t len = 0, o = 0;
	FILE *f = open_memstream(&mem, &len);
	struct linebuf l;

	(void)state;
	assert_non_null(f);
	srand(5);
	lb_init(&l, f);
	for (int i = 0; i < 200; i++) {
		size_t wl = (size_t)(rand() % 20), w = (size_t)(rand() % 40);

		memset(word, 'a' + i % 26, wl);
		word[wl] = '\0';
		if (i % 3 == 0) {
			lb_left(&l, word, w);
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%-*s", (int)w, word);
		} else if (i % 3 == 1) {
			lb_right(&l, word, w);
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%*s", (int)w, word);
		} else {
			lb_u64(&l, (uint64_t)i * 7919);
			lb_char(&l, '|');
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%d|", i * 7919);
		}
	}
	assert_true(o > sizeof(l.b) * 2);
	assert_int_equal(lb_flush(&l), 0);
	fclose(f);
	assert_int_equal(len, o);
	assert_memory_equal(mem, want, o);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_i64),
		cmocka_unit_test(test_ipv4_endpoint),
		cmocka_unit_test(test_ipv6_endpoint),
		cmocka_unit_test(test_ms_fit_and_ms),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_linebuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
