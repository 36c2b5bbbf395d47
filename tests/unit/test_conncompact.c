// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The compact record: expand(compact(c)) == c on every field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "conn_acct.h"
#include "conn_extra.h"
#include "conncompact.h"

/* Field by field, so a failure names the field; then byte for byte (both
 * sides start zeroed, so padding matches too). */
static void assert_conn_same(const struct conn *a, const struct conn *b)
{
	assert_int_equal(a->skaddr, b->skaddr);
	assert_int_equal(a->birth_ns, b->birth_ns);
	assert_memory_equal(&a->tuple, &b->tuple, sizeof(a->tuple));
	assert_int_equal(a->owner.pid, b->owner.pid);
	assert_int_equal(a->owner.tid, b->owner.tid);
	assert_memory_equal(a->owner.comm, b->owner.comm, TL_COMM_LEN);
	assert_int_equal(a->owner_known, b->owner_known);
	assert_int_equal(a->owner_released, b->owner_released);
	assert_int_equal(a->owner_listener, b->owner_listener);
	assert_int_equal(a->owner_ts, b->owner_ts);
	assert_int_equal(a->fd, b->fd);
	assert_int_equal(a->cgroup, b->cgroup);
	assert_int_equal(a->preexisting, b->preexisting);
	assert_ptr_equal(a->x, b->x);
	assert_int_equal(a->cw_alerts, b->cw_alerts);
	assert_int_equal(a->cw_next_ns, b->cw_next_ns);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->start_ns, b->start_ns);
	assert_int_equal(a->start_exact, b->start_exact);
	assert_int_equal(a->end_ns, b->end_ns);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->state_entered_ns, b->state_entered_ns);
	for (int s = 0; s < TL_NSTATES; s++)
		assert_int_equal(a->state_ns[s], b->state_ns[s]);
	assert_int_equal(a->unmeasured, b->unmeasured);
	assert_memory_equal(a->path, b->path, CONN_PATH_MAX);
	assert_int_equal(a->path_len, b->path_len);
	assert_int_equal(a->path_truncated, b->path_truncated);
	assert_int_equal(a->syn_retrans, b->syn_retrans);
	assert_int_equal(a->synack_retrans, b->synack_retrans);
	assert_int_equal(a->fin_sent, b->fin_sent);
	assert_int_equal(a->fin_retrans, b->fin_retrans);
	assert_int_equal(a->data_retrans, b->data_retrans);
	assert_int_equal(a->rst_sent, b->rst_sent);
	assert_int_equal(a->rst_recv, b->rst_recv);
	assert_int_equal(a->bytes_acked, b->bytes_acked);
	assert_int_equal(a->bytes_received, b->bytes_received);
	assert_int_equal(a->bytes_known, b->bytes_known);
	assert_int_equal(a->cause, b->cause);
	assert_int_equal(a->closed, b->closed);
	assert_int_equal(a->inferred, b->inferred);
	assert_int_equal(a->netns, b->netns);
	assert_memory_equal(a, b, sizeof(*a));
}

/* Compact, expand, compare; returns the compact form's size. */
static size_t round_trip(struct conn_interns *in, const struct conn *c)
{
	struct conn_compact *cc = conn_compact(in, c);
	struct conn out;
	size_t n;

	assert_non_null(cc);
	memset(&out, 0xa5, sizeof(out));
	conn_expand(in, cc, &out);
	assert_conn_same(c, &out);
	n = conn_compact_bytes(cc);
	conn_compact_free(in, cc, true); /* c keeps its rare parts */
	return n;
}

/* An ESTABLISHED IPv4 connection as conntab builds one: connect(), the
 * handshake, an owner. */
static void make_v4(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->skaddr = 0xffff888104a3c000ULL;
	c->birth_ns = 5000000000ULL;
	c->start_ns = 5000000000ULL;
	c->start_exact = true;
	c->tuple.family = TL_AF_INET;
	memcpy(c->tuple.saddr, (uint8_t[]){ 127, 0, 0, 1 }, 4);
	memcpy(c->tuple.daddr, (uint8_t[]){ 10, 1, 2, 3 }, 4);
	c->tuple.sport = 40312;
	c->tuple.dport = 443;
	c->owner.pid = 4242;
	c->owner.tid = 4243;
	memcpy(c->owner.comm, "curl", 5);
	c->owner_known = true;
	c->owner_ts = 5000100000ULL;
	c->fd = 5;
	c->cgroup = 0x1234;
	c->role = ROLE_ACTIVE;
	c->netns = 4026531840u;
	c->state = TL_CLOSE;
	c->state_entered_ns = c->start_ns;
	c->path_len = 0;
	conn_enter(c, TL_SYN_SENT, 5000000000ULL);
	conn_enter(c, TL_ESTABLISHED, 5000210000ULL);
}

static void test_ipv4_established(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;
	size_t n;

	(void)state;
	make_v4(&c);
	n = round_trip(in, &c);
	/* The point of it: far below the 352 bytes of a struct conn. */
	assert_true(n <= 48); /* a 48-byte slab block */
	assert_int_equal(conn_interns_count(in), 0); /* freed with its last record */
	conn_interns_free(in);
}

/* The two ends of an idle loopback connection as a million-socket host
 * has them, half an hour after the first record (the start's base), with
 * a five-digit fd: the connecting end in a 48-byte block, the accepted one
 * in 40 (issue 18: they took 64 and 56). */
static void test_idle_ends_in_48(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn first, c;
	struct conn_compact *base;

	(void)state;
	make_v4(&first);
	base = conn_compact(in, &first); /* the interns' base: its start */
	assert_non_null(base);
	make_v4(&c);
	c.start_ns = c.birth_ns = first.start_ns + 1800 * 1000000000ULL;
	c.owner_ts = c.start_ns + 12345;
	c.fd = 54321;
	c.path_len = 0;
	memset(c.path, 0, sizeof(c.path));
	memset(c.state_ns, 0, sizeof(c.state_ns));
	c.state = TL_CLOSE; /* as make_v4(): nothing before the SYN */
	c.state_entered_ns = c.start_ns;
	conn_enter(&c, TL_SYN_SENT, c.start_ns);
	conn_enter(&c, TL_ESTABLISHED, c.start_ns + 9876);
	assert_true(round_trip(in, &c) <= 48);
	/* The accepted end: the listener's owner, no fd of its own. */
	c.role = ROLE_PASSIVE;
	c.owner_listener = true;
	c.fd = -1;
	c.path_len = 0;
	memset(c.path, 0, sizeof(c.path));
	memset(c.state_ns, 0, sizeof(c.state_ns));
	c.state = TL_CLOSE;
	c.state_entered_ns = c.start_ns;
	conn_enter(&c, TL_SYN_RECV, c.start_ns);
	conn_enter(&c, TL_ESTABLISHED, c.start_ns + 4096);
	c.owner_ts = c.state_entered_ns; /* the listener's owner, set as it became ESTABLISHED */
	assert_true(round_trip(in, &c) <= 40);
	conn_compact_free(in, base, true);
	conn_interns_free(in);
}

/* Owners come and go: their ids are reused, and each record still reads
 * its own owner back. */
static void test_owner_ids_reused(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn_compact *cc[600];
	struct conn c, out;

	(void)state;
	make_v4(&c);
	for (int i = 0; i < 600; i++) {
		c.owner.pid = (uint32_t)(1000 + i);
		cc[i] = conn_compact(in, &c);
		assert_non_null(cc[i]);
	}
	assert_int_equal(conn_interns_count(in), 600);
	for (int i = 0; i < 600; i += 2)
		conn_compact_free(in, cc[i], true);
	assert_int_equal(conn_interns_count(in), 300);
	for (int i = 0; i < 600; i += 2) {
		c.owner.pid = (uint32_t)(5000 + i);
		cc[i] = conn_compact(in, &c);
		assert_non_null(cc[i]);
		assert_true(cc[i]->owner < 601); /* an id given back, not a new one */
	}
	for (int i = 0; i < 600; i++) {
		conn_expand(in, cc[i], &out);
		assert_int_equal(out.owner.pid, (uint32_t)(i % 2 ? 1000 + i : 5000 + i));
		conn_compact_free(in, cc[i], true);
	}
	assert_int_equal(conn_interns_count(in), 0);
	conn_interns_free(in);
}

static void test_ipv6(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;

	(void)state;
	make_v4(&c);
	c.tuple.family = TL_AF_INET6;
	for (int i = 0; i < 16; i++) {
		c.tuple.saddr[i] = (uint8_t)(0x20 + i);
		c.tuple.daddr[i] = (uint8_t)(0xf0 - i);
	}
	round_trip(in, &c);
	/* An IPv4-mapped IPv6 address stays IPv6 as given. */
	memset(c.tuple.saddr, 0, 16);
	c.tuple.saddr[10] = c.tuple.saddr[11] = 0xff;
	c.tuple.saddr[12] = 127;
	c.tuple.saddr[15] = 1;
	round_trip(in, &c);
	conn_interns_free(in);
}

/* Tuples the 12- and 36-byte forms cannot hold stay raw, exact. */
static void test_tuple_raw(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;

	(void)state;
	make_v4(&c);
	c.tuple.saddr[9] = 1; /* IPv4 with a stray byte */
	round_trip(in, &c);
	make_v4(&c);
	c.tuple._pad = 7;
	round_trip(in, &c);
	make_v4(&c);
	c.tuple.family = 0; /* a sock_diag row not filled yet */
	round_trip(in, &c);
	conn_interns_free(in);
}

/* The rare parts go with the compact form and come back with it; freed
 * with it unless the expanded conn took them. */
static void test_extra(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn_compact *cc;
	struct conn_extra *x;
	struct conn c, out;

	(void)state;
	make_v4(&c);
	x = conn_extra(&c);
	assert_non_null(x);
	x->n_others = 2;
	x->others[1].pid = 77;
	memset(x->others[1].comm, 'z', TL_COMM_LEN);
	x->dropped_by.set = true;
	c.owner_released = true;
	round_trip(in, &c);
	cc = conn_compact(in, &c);
	assert_non_null(cc);
	conn_expand(in, cc, &out);
	assert_ptr_equal(out.x, x);
	assert_int_equal(conn_n_others(&out), 2);
	assert_int_equal(out.x->others[1].pid, 77);
	conn_compact_free(in, cc, false); /* frees x: ASan/valgrind would see a leak otherwise */
	conn_interns_free(in);
}

/* The path full and truncated; a path revisiting states; bytes past path_len. */
static void test_path(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;
	uint64_t ts = 6000000000ULL;

	(void)state;
	make_v4(&c);
	for (int i = 0; i < 40; i++) {
		conn_enter(&c, i % 2 ? TL_FIN_WAIT1 : TL_ESTABLISHED, ts);
		ts += 1000 + (uint64_t)i;
	}
	assert_true(c.path_truncated);
	assert_int_equal(c.path_len, CONN_PATH_MAX);
	round_trip(in, &c);
	c.path_len = 3; /* bytes kept past the length */
	round_trip(in, &c);
	c.path[5] = 200; /* not a state: no longer fits 4 bits */
	round_trip(in, &c);
	make_v4(&c);
	c.path_len = 0;
	memset(c.path, 0, sizeof(c.path));
	round_trip(in, &c);
	c.path_len = 255; /* out of range, kept as is */
	round_trip(in, &c);
	conn_interns_free(in);
}

/* Every counter and time at its maximum, fd at its extremes. */
static void test_maxima(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;

	(void)state;
	make_v4(&c);
	c.syn_retrans = c.synack_retrans = c.fin_sent = c.fin_retrans = UINT32_MAX;
	c.data_retrans = c.rst_sent = c.rst_recv = UINT32_MAX;
	c.cw_alerts = UINT32_MAX;
	c.bytes_acked = c.bytes_received = UINT64_MAX;
	c.bytes_known = true;
	c.skaddr = UINT64_MAX;
	c.start_ns = 1;
	c.birth_ns = UINT64_MAX; /* deltas wrap, exactly */
	c.owner_ts = UINT64_MAX - 1;
	c.end_ns = UINT64_MAX;
	c.cw_next_ns = UINT64_MAX;
	c.state_entered_ns = 2;
	for (int s = 0; s < TL_NSTATES; s++)
		c.state_ns[s] = UINT64_MAX - (uint64_t)s;
	c.unmeasured = UINT32_MAX;
	c.fd = INT32_MIN;
	c.netns = UINT32_MAX;
	c.owner.pid = c.owner.tid = UINT32_MAX;
	c.cgroup = UINT64_MAX;
	c.state = 255;
	round_trip(in, &c);
	c.fd = INT32_MAX;
	c.start_ns = UINT64_MAX;
	c.birth_ns = 0;
	c.end_ns = 1;
	round_trip(in, &c);
	conn_interns_free(in);
}

/* Unmeasured bits (states entered before the tool saw them), a
 * preexisting connection, every close cause and role, open and closed. */
static void test_causes_and_bits(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;

	(void)state;
	for (int cause = CAUSE_OPEN; cause < CAUSE_MAX; cause++) {
		make_v4(&c);
		c.cause = (enum close_cause)cause;
		c.closed = cause != CAUSE_OPEN;
		c.end_ns = c.closed ? 9000000000ULL + (uint64_t)cause : 0;
		c.role = (enum conn_role)(cause % 3);
		c.inferred = cause & 1;
		c.start_exact = !(cause & 2);
		c.preexisting = cause & 4;
		c.owner_listener = cause & 8;
		c.unmeasured = TL_BIT(TL_ESTABLISHED) | (cause & 1 ? TL_BIT(TL_CLOSE_WAIT) : 0);
		conn_enter(&c, TL_CLOSE, c.end_ns ? c.end_ns : 9000000000ULL);
		round_trip(in, &c);
	}
	conn_interns_free(in);
}

/* Zeroes and the unknowns: no owner, fd -1, nothing measured. */
static void test_empty(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	round_trip(in, &c);
	c.fd = -1;
	round_trip(in, &c);
	c.owner.comm[15] = 'x'; /* an owner with only a comm is still interned */
	round_trip(in, &c);
	conn_interns_free(in);
}

/* Random values in every field, many times: nothing but the values. */
static void test_random(void **state)
{
	struct conn_interns *in = conn_interns_new();
	unsigned int seed = 18;

	(void)state;
	for (int n = 0; n < 20000; n++) {
		struct conn c;
		uint8_t *p;

#define R64() (((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^ (uint64_t)rand_r(&seed))
#define RSMALL(x) (rand_r(&seed) % 3 ? 0 : (x)) /* mostly zero, as in life */
		memset(&c, 0, sizeof(c));
		c.skaddr = R64();
		c.birth_ns = RSMALL(R64());
		p = (uint8_t *)&c.tuple;
		for (size_t i = 0; i < sizeof(c.tuple); i++)
			p[i] = (uint8_t)RSMALL(rand_r(&seed));
		c.tuple.family = (uint16_t)(rand_r(&seed) % 4 ? (rand_r(&seed) % 2 ? TL_AF_INET : TL_AF_INET6) : rand_r(&seed));
		c.owner.pid = (uint32_t)RSMALL(R64());
		c.owner.tid = (uint32_t)RSMALL(R64());
		for (int i = 0; i < TL_COMM_LEN; i++)
			c.owner.comm[i] = (char)RSMALL(rand_r(&seed));
		c.owner_known = rand_r(&seed) & 1;
		c.owner_released = rand_r(&seed) & 1;
		c.owner_listener = rand_r(&seed) & 1;
		c.owner_ts = RSMALL(R64());
		c.fd = (int32_t)R64();
		c.cgroup = RSMALL(R64());
		c.preexisting = rand_r(&seed) & 1;
		c.x = (struct conn_extra *)(uintptr_t)RSMALL(R64()); /* never followed: kept */
		c.cw_alerts = (uint32_t)RSMALL(R64());
		c.cw_next_ns = RSMALL(R64());
		c.role = (enum conn_role)(rand_r(&seed) % 4); /* 3: no such role, still kept */
		c.start_ns = R64();
		c.start_exact = rand_r(&seed) & 1;
		c.end_ns = RSMALL(R64());
		c.state = (uint8_t)rand_r(&seed);
		c.state_entered_ns = RSMALL(R64());
		for (int s = 0; s < TL_NSTATES; s++)
			c.state_ns[s] = RSMALL(R64() >> (rand_r(&seed) % 64));
		c.unmeasured = (uint32_t)RSMALL(R64());
		for (int i = 0; i < CONN_PATH_MAX; i++)
			c.path[i] = (uint8_t)RSMALL(rand_r(&seed) % (n % 2 ? 14 : 256));
		c.path_len = (uint8_t)(rand_r(&seed) % (CONN_PATH_MAX + 2));
		c.path_truncated = rand_r(&seed) & 1;
		c.syn_retrans = (uint32_t)RSMALL(R64());
		c.synack_retrans = (uint32_t)RSMALL(R64());
		c.fin_sent = (uint32_t)RSMALL(R64());
		c.fin_retrans = (uint32_t)RSMALL(R64());
		c.data_retrans = (uint32_t)RSMALL(R64());
		c.rst_sent = (uint32_t)RSMALL(R64());
		c.rst_recv = (uint32_t)RSMALL(R64());
		c.bytes_acked = RSMALL(R64());
		c.bytes_received = RSMALL(R64());
		c.bytes_known = rand_r(&seed) & 1;
		c.cause = (enum close_cause)(rand_r(&seed) % CAUSE_MAX);
		c.closed = rand_r(&seed) & 1;
		c.inferred = rand_r(&seed) & 1;
		c.netns = (uint32_t)RSMALL(R64());
#undef R64
#undef RSMALL
		round_trip(in, &c);
	}
	assert_int_equal(conn_interns_count(in), 0);
	conn_interns_free(in);
}

/* One owner shared by the connections of a process, released with the
 * last of them. */
static void test_interning(void **state)
{
	struct conn_interns *in = conn_interns_new();
	struct conn_compact *cc[3], *u;
	struct conn c, out;

	(void)state;
	make_v4(&c);
	for (int i = 0; i < 3; i++) {
		c.tuple.sport = (uint16_t)(50000 + i);
		cc[i] = conn_compact(in, &c);
		assert_non_null(cc[i]);
	}
	assert_int_equal(conn_interns_count(in), 1);
	assert_int_equal(cc[0]->owner, cc[2]->owner);
	c.owner.pid = 4244; /* another process */
	u = conn_compact(in, &c);
	assert_non_null(u);
	conn_expand(in, u, &out);
	assert_conn_same(&c, &out);
	assert_int_equal(conn_interns_count(in), 2);
	conn_compact_free(in, cc[0], false);
	conn_compact_free(in, cc[1], false);
	assert_int_equal(conn_interns_count(in), 2);
	conn_compact_free(in, cc[2], false);
	assert_int_equal(conn_interns_count(in), 1);
	conn_compact_free(in, u, false);
	assert_int_equal(conn_interns_count(in), 0);
	conn_compact_free(in, NULL, false);
	conn_interns_free(in);
	conn_interns_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_established),
		cmocka_unit_test(test_idle_ends_in_48),
		cmocka_unit_test(test_owner_ids_reused),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tuple_raw),
		cmocka_unit_test(test_extra),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_maxima),
		cmocka_unit_test(test_causes_and_bits),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_interning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
