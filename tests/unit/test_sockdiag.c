// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockdiag_parse_msg: one SOCK_DIAG_BY_FAMILY reply into a sockdiag_sock,
 * no socket needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "sockdiag.h"

/* Aligned like the recv() buffer sockdiag_dump() parses. */
static union {
	struct nlmsghdr nlh;
	char buf[256];
} u;

static struct inet_diag_msg *reply(int family)
{
	struct inet_diag_msg *m = NLMSG_DATA(&u.nlh);

	memset(&u, 0xee, sizeof(u)); /* bytes the parser must not copy */
	memset(m, 0, sizeof(*m));
	u.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	u.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->idiag_family = family;
	m->idiag_state = TL_TIME_WAIT;
	m->idiag_timer = SD_TIMER_TIMEWAIT;
	m->idiag_expires = 59000;
	m->idiag_rqueue = 1;
	m->idiag_wqueue = 2;
	m->idiag_uid = 1000;
	m->idiag_inode = 424242;
	m->id.idiag_sport = htons(8080);
	m->id.idiag_dport = htons(51234);
	m->id.idiag_src[0] = htonl(0x7f000001);
	m->id.idiag_dst[0] = htonl(0x0a000002);
	m->id.idiag_src[3] = htonl(1);
	m->id.idiag_dst[3] = htonl(2);
	m->id.idiag_cookie[0] = 0x11223344;
	m->id.idiag_cookie[1] = 0x55667788;
	return m;
}

static void test_ipv4(void **state)
{
	static const uint8_t src[16] = { 127, 0, 0, 1 }, dst[16] = { 10, 0, 0, 2 };
	struct sockdiag_sock s;

	(void)state;
	reply(AF_INET);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.tuple.family, AF_INET);
	assert_int_equal(s.tuple.sport, 8080);
	assert_int_equal(s.tuple.dport, 51234);
	/* Only the first 4 bytes of an IPv4 address; the rest zero. */
	assert_memory_equal(s.tuple.saddr, src, 16);
	assert_memory_equal(s.tuple.daddr, dst, 16);
	assert_int_equal(s.state, TL_TIME_WAIT);
	assert_int_equal(s.timer, SD_TIMER_TIMEWAIT);
	assert_int_equal(s.expires_ms, 59000);
	assert_int_equal(s.rqueue, 1);
	assert_int_equal(s.wqueue, 2);
	assert_int_equal(s.uid, 1000);
	assert_int_equal(s.inode, 424242);
	assert_int_equal(s.cookie, 0x5566778811223344ULL);
	assert_int_equal(s._pad, 0);
}

static void test_ipv6(void **state)
{
	struct inet_diag_msg *m = reply(AF_INET6);
	struct sockdiag_sock s;

	(void)state;
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.tuple.family, AF_INET6);
	assert_memory_equal(s.tuple.saddr, m->id.idiag_src, 16);
	assert_memory_equal(s.tuple.daddr, m->id.idiag_dst, 16);
}

/* An attribute longer than the message (here 0xeeee bytes) is not read. */
static void test_attributes_ignored(void **state)
{
	struct sockdiag_sock s, with;

	(void)state;
	reply(AF_INET);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	u.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg)) + NLA_HDRLEN + 4;
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &with), 0);
	assert_memory_equal(&s, &with, sizeof(s));
}

/* Puts an INET_DIAG_SKMEMINFO of n u32s after the inet_diag_msg, each
 * SK_MEMINFO_DROPS 7 and the others 0; nlmsg_len ends with its payload. */
static void put_meminfo(unsigned int n)
{
	struct nlattr *a = (struct nlattr *)((char *)&u.nlh + NLMSG_LENGTH(sizeof(struct inet_diag_msg)));
	uint32_t *v = (uint32_t *)((char *)a + NLA_HDRLEN);

	a->nla_type = INET_DIAG_SKMEMINFO;
	a->nla_len = NLA_HDRLEN + n * sizeof(uint32_t);
	for (unsigned int i = 0; i < n; i++)
		v[i] = i == SK_MEMINFO_DROPS ? 7 : 0;
	u.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg)) + a->nla_len;
}

static void test_meminfo_drops(void **state)
{
	struct sockdiag_sock s;

	(void)state;
	reply(AF_INET);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.drops, -1); /* not asked for: unknown */
	put_meminfo(SK_MEMINFO_VARS);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.drops, 7);
	/* A kernel before 3.15 sends no SK_MEMINFO_DROPS. */
	put_meminfo(SK_MEMINFO_DROPS);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.drops, -1);
}

/* A message whose length is not a multiple of 4 ends its attributes there:
 * one running into the 1-3 bytes of alignment after it is not read (the
 * bytes past nlmsg_len may lie past the end of the recv() buffer; make
 * fuzz found libmnl's mnl_attr_parse() reading them). */
static void test_attribute_past_message(void **state)
{
	struct sockdiag_sock s;

	(void)state;
	reply(AF_INET);
	put_meminfo(SK_MEMINFO_VARS);
	u.nlh.nlmsg_len -= 3;
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), 0);
	assert_int_equal(s.drops, -1);
}

static void test_short_payload(void **state)
{
	struct sockdiag_sock s;

	(void)state;
	reply(AF_INET);
	u.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg) - 1);
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), -EPROTO);
	u.nlh.nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(sockdiag_parse_msg(&u.nlh, &s), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_attributes_ignored),
		cmocka_unit_test(test_meminfo_drops),
		cmocka_unit_test(test_attribute_past_message),
		cmocka_unit_test(test_short_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
