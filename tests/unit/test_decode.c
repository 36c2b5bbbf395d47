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
	struct tl_event e = good();
	struct tl_rec out;

	(void)state;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.type, e.type);
	assert_int_equal(out.oldstate, e.oldstate);
	assert_int_equal(out.newstate, e.newstate);
	assert_int_equal(out.skaddr, e.skaddr);
	assert_memory_equal(&out.tuple, &e.tuple, sizeof(e.tuple));
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

/* What an IPv4 record's ring buffer slot held past the 4 address bytes the
 * kernel side writes does not reach the table; IPv6 addresses are whole. */
static void test_tuple_cleaned(void **state)
{
	struct tl_event e = good();
	struct tl_rec out;
	uint8_t zero[12] = { 0 };

	(void)state;
	memcpy(e.tuple.saddr, "\x7f\x00\x00\x01\xde\xad\xbe\xef\x01\x02\x03\x04\x05\x06\x07\x08", 16);
	memcpy(e.tuple.daddr, "\x7f\x00\x00\x02\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc", 16);
	e.tuple.sport = 5001;
	e.tuple.dport = 40000;
	e.tuple._pad = 0x5a5a;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_memory_equal(out.tuple.saddr, "\x7f\x00\x00\x01", 4);
	assert_memory_equal(out.tuple.daddr, "\x7f\x00\x00\x02", 4);
	assert_memory_equal(out.tuple.saddr + 4, zero, 12);
	assert_memory_equal(out.tuple.daddr + 4, zero, 12);
	assert_int_equal(out.tuple.sport, 5001);
	assert_int_equal(out.tuple.dport, 40000);
	assert_int_equal(out.tuple._pad, 0);
	e.tuple.family = 10;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_memory_equal(out.tuple.saddr, e.tuple.saddr, 16);
	assert_memory_equal(out.tuple.daddr, e.tuple.daddr, 16);
}

static void test_rejects_bad_size(void **state)
{
	struct tl_event e = good();
	struct tl_rec out;
	unsigned char big[sizeof(e) + 8] = { 0 };

	(void)state;
	memcpy(big, &e, sizeof(e));
	assert_int_equal(decode_record(&e, sizeof(e) - 1, &out), -EINVAL);
	assert_int_equal(decode_record(big, sizeof(big), &out), -EINVAL);
	assert_int_equal(decode_record(NULL, sizeof(e), &out), -EINVAL);
}

static void test_rejects_out_of_range(void **state)
{
	struct tl_event e;
	struct tl_rec out;

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

/* Every field but the union is copied as it came; the union's half the
 * record type carries lands in its named fields, the other half reads as
 * "unknown". */
static void test_union_resolved(void **state)
{
	struct tl_event e = good();
	struct tl_rec out;

	(void)state;
	e.flags = TL_F_OWNER_KNOWN;
	e.kind = 1;
	e.req_retrans = 2;
	e.segs = 3;
	e.sk_err = -4;
	e.netns = 5;
	e.ts_ns = 6;
	e.birth_ns = 7;
	e.entered_ns = 8;
	e.owner.pid = 9;
	memcpy(e.owner.comm, "server", 7);
	e.own.cgroup = 77;
	e.own.fd = 4;
	e.own.req_rto_ms = 3000;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.flags, e.flags);
	assert_int_equal(out.kind, 1);
	assert_int_equal(out.req_retrans, 2);
	assert_int_equal(out.segs, 3);
	assert_int_equal(out.sk_err, -4);
	assert_int_equal(out.netns, 5);
	assert_int_equal(out.ts_ns, 6);
	assert_int_equal(out.birth_ns, 7);
	assert_int_equal(out.entered_ns, 8);
	assert_memory_equal(&out.owner, &e.owner, sizeof(e.owner));
	assert_int_equal(out.cgroup, 77);
	assert_int_equal(out.fd, 4);
	assert_int_equal(out.req_rto_ms, 3000);
	assert_int_equal(out.bytes_acked, 0);
	assert_int_equal(out.bytes_received, 0);

	e.newstate = TL_CLOSE; /* a STATE record to CLOSE: the byte counts */
	e.bytes_acked = 1234;
	e.bytes_received = 99;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.bytes_acked, 1234);
	assert_int_equal(out.bytes_received, 99);
	assert_int_equal(out.cgroup, 0);
	assert_int_equal(out.fd, -1);
	assert_int_equal(out.req_rto_ms, TL_REQ_RTO_UNKNOWN);
	e.type = TL_REC_DESTROY; /* so does a DESTROY, whatever its newstate */
	e.newstate = TL_FIN_WAIT1;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.bytes_acked, 1234);
	assert_int_equal(out.fd, -1);
	e.type = TL_REC_SEED; /* a SEED record never does */
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.bytes_acked, 0);
	assert_int_equal(out.cgroup, 1234);
}

/* A failed connect(): its errno (1..4095), both states CLOSE (no
 * connection exists), its owner known (the caller), the owner's fd and
 * cgroup in the union; anything else is a corrupt record. */
static struct tl_event connerr(void)
{
	struct tl_event e = good();

	e.type = TL_REC_CONNERR;
	e.flags = TL_F_OWNER_KNOWN;
	e.oldstate = e.newstate = TL_CLOSE;
	e.sk_err = EADDRNOTAVAIL;
	e.own.fd = 7;
	e.own.cgroup = 42;
	e.tuple.dport = 8080;
	return e;
}

static void test_connect_error(void **state)
{
	struct tl_event e = connerr();
	struct tl_rec out;

	(void)state;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	assert_int_equal(out.type, TL_REC_CONNERR);
	assert_int_equal(out.sk_err, EADDRNOTAVAIL);
	assert_int_equal(out.fd, 7);
	assert_int_equal(out.cgroup, 42);
	assert_int_equal(out.tuple.dport, 8080);
	e.sk_err = 4095;
	assert_int_equal(decode_record(&e, sizeof(e), &out), 0);
	e.sk_err = 4096;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e.sk_err = 0;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e.sk_err = -EADDRNOTAVAIL; /* the syscall's return, not its errno */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.newstate = TL_SYN_SENT; /* a connection exists: its row tells */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.oldstate = TL_ESTABLISHED;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.flags = 0; /* made in the caller's context: its owner is known */
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.kind = 1;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.tuple.family = 0;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	e.skaddr = 0;
	assert_int_equal(decode_record(&e, sizeof(e), &out), -EINVAL);
	e = connerr();
	assert_int_equal(decode_record(&e, sizeof(e) - 1, &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_valid),
		cmocka_unit_test(test_tuple_cleaned),
		cmocka_unit_test(test_rejects_bad_size),
		cmocka_unit_test(test_rejects_out_of_range),
		cmocka_unit_test(test_union_resolved),
		cmocka_unit_test(test_connect_error),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
