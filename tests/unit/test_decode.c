// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* decode_record: nothing from the ring buffer indexes a table unchecked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"

static struct tl_event good(void)
{
	struct tl_event e = { .type = TL_REC_STATE, .oldstate = TL_ESTABLISHED,
			      .newstate = TL_FIN_WAIT1, .skaddr = 0xffff888812345678ULL };

	e.tuple.family = 2;
	return e;
}

static void test_accepts_valid(void **state)
{
	struct tl_event e = good(), out;

	(void)state;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_memory_equal(&e, &out, sizeof(e));
	e.type = TL_REC_RETRANS;
	e.kind = TL_RT_DATA;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e.type = TL_REC_SYNACK;
	e.skaddr = 0; /* listener address is informational only */
	e.tuple.family = 10;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e = good();
	e.type = TL_REC_TW;
	e.kind = TL_TW_END;
	e.newstate = TL_TIME_WAIT;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e.kind = TL_TW_GONE;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e.type = TL_REC_REQ;
	e.kind = TL_REQ_BEGIN;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e = good();
	e.type = TL_REC_RESET;
	e.kind = TL_RST_TW_SENT;
	e.oldstate = e.newstate = TL_FIN_WAIT2;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
}

static void test_rejects_bad_size(void **state)
{
	struct tl_event e = good(), out;
	unsigned char big[sizeof(e) + 8] = { 0 };

	(void)state;
	memcpy(big, &e, sizeof(e));
	assert_int_equal(decode_record(&e, sizeof(e) - 1, &out), -EINVAL);
	assert_int_equal(decode_record(big, sizeof(big), &out), -EINVAL);
	assert_int_equal(decode_record(NULL, sizeof(e), &out), -EINVAL);
}

static void test_rejects_out_of_range(void **state)
{
	struct tl_event e, out;

	(void)state;
	e = good();
	e.type = 0;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e.type = TL_REC_MAX;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.newstate = TL_NSTATES;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.oldstate = 255;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.type = TL_REC_RETRANS;
	e.kind = TL_RT_DATA + 1;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.type = TL_REC_RESET;
	e.kind = 7;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e.kind = TL_RST_TW_SENT; /* a timewait sock is FIN_WAIT2 or TIME_WAIT */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.type = TL_REC_TW;
	e.kind = TL_TW_GONE + 1;
	e.newstate = TL_TIME_WAIT;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e.kind = TL_TW_BEGIN;
	e.newstate = TL_ESTABLISHED; /* a timewait sock is FIN_WAIT2 or TIME_WAIT */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.type = TL_REC_REQ;
	e.kind = TL_REQ_END + 1;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.tuple.family = 1; /* AF_UNIX */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.skaddr = 0;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_valid),
		cmocka_unit_test(test_rejects_bad_size),
		cmocka_unit_test(test_rejects_out_of_range),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
