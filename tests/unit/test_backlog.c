// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "backlog.h"

struct seen {
	uint64_t n;
	uint64_t sum;   /* of the records' first word, in order */
	size_t bytes;
	int bad;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	uint64_t v;

	/* Records are read in place: each must be 8-byte aligned. */
	if ((uintptr_t)data % 8)
		s->bad++;
	memcpy(&v, data, sizeof(v));
	if (v != s->n) /* record i carries i: the order is kept */
		s->bad++;
	for (size_t i = sizeof(v); i < size; i++)
		if (((unsigned char *)data)[i] != (unsigned char)(v + i))
			s->bad++;
	s->n++;
	s->sum += v;
	s->bytes += size;
	return -1; /* ignored: every record is handed over */
}

static void push_n(struct backlog *b, uint64_t from, uint64_t n)
{
	unsigned char rec[200];

	for (uint64_t v = from; v < from + n; v++) {
		size_t size = 8 + v % 150; /* odd sizes too: padding */

		memcpy(rec, &v, sizeof(v));
		for (size_t i = sizeof(v); i < size; i++)
			rec[i] = (unsigned char)(v + i);
		assert_int_equal(backlog_push(b, rec, size), 0);
	}
}

/* 100 000 records of mixed sizes (past several reallocations) come back
 * whole, aligned and in order; the backlog is empty after a replay and
 * can be used again. */
static void test_order_and_reuse(void **state)
{
	struct backlog b = { 0 };
	struct seen s = { 0 };

	(void)state;
	push_n(&b, 0, 100000);
	assert_true(b.len >= 100000 * 16); /* every record held, 8-byte header each */
	assert_int_equal(backlog_replay(&b, on_rec, NULL, 0, &s), 100000);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.n, 100000);
	assert_int_equal(b.len, 0);

	push_n(&b, 100000, 10);
	assert_int_equal(backlog_replay(&b, on_rec, NULL, 0, &s), 10);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.n, 100010);
	assert_int_equal(b.len, 0);
	backlog_free(&b);
	assert_null(b.buf);
}

/* A pump during the replay pushes more (the ring buffer read while a big
 * backlog is applied): those records are handed over too, in order, even
 * when the push moves the buffer. */
struct pumping {
	struct seen s;
	struct backlog *b;
	uint64_t next;
	int pumps;
};

static int on_rec_p(void *ctx, void *data, size_t size)
{
	return on_rec(&((struct pumping *)ctx)->s, data, size);
}

static void pump_more(void *ctx)
{
	struct pumping *p = ctx;

	if (p->pumps++ < 5) {
		push_n(p->b, p->next, 3000);
		p->next += 3000;
	}
}

static void test_pump_during_replay(void **state)
{
	struct backlog b = { 0 };
	struct pumping p = { .b = &b, .next = 1000 };

	(void)state;
	push_n(&b, 0, 1000);
	assert_int_equal(backlog_replay(&b, on_rec_p, pump_more, 100, &p), 16000);
	assert_int_equal(p.s.bad, 0);
	assert_int_equal(p.s.n, 16000);
	assert_true(p.pumps >= 5);
	assert_int_equal(b.len, 0);
	backlog_free(&b);
}

static void test_empty(void **state)
{
	struct backlog b = { 0 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(backlog_replay(&b, on_rec, NULL, 0, &s), 0);
	assert_int_equal(s.n, 0);
	backlog_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_reuse),
		cmocka_unit_test(test_pump_during_replay),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
