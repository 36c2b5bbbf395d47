// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcplimits.c, tcplimits_fmt.c, procnet.c: the give-up schedule (the cap,
 * the linear phase), the port range, ports per destination, the parsers of
 * sysctl, sockstat and netstat text, and the hints, against values worked
 * out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "hmap.h"
#include "procnet.h"
#include "tcplimits.h"
#include "tcplimits_fmt.h"

static void test_give_up(void **state)
{
	(void)state;
	/* tcp_syn_retries N, no linear phase: timers 1, 2, 4 ... s, the last
	 * one armed after the N-th retransmit: 2^(N+1) - 1 s. */
	assert_int_equal(limits_give_up_ms(0, 0, LIM_RTO_MAX_MS), 1000);
	assert_int_equal(limits_give_up_ms(2, 0, LIM_RTO_MAX_MS), 7000);    /* 1+2+4 */
	assert_int_equal(limits_give_up_ms(3, 0, LIM_RTO_MAX_MS), 15000);   /* 1+2+4+8 */
	assert_int_equal(limits_give_up_ms(5, 0, LIM_RTO_MAX_MS), 63000);   /* synack default */
	assert_int_equal(limits_give_up_ms(6, 0, LIM_RTO_MAX_MS), 127000);  /* 1+...+64 */
	/* The cap: the 8th timer would be 128 s, TCP_RTO_MAX makes it 120. */
	assert_int_equal(limits_give_up_ms(7, 0, LIM_RTO_MAX_MS), 247000);  /* 127+120 */
	assert_int_equal(limits_give_up_ms(8, 0, LIM_RTO_MAX_MS), 367000);  /* 247+120 */
	/* A lower tcp_rto_max_ms: 1, 2, 4, 5, 5, 5. */
	assert_int_equal(limits_give_up_ms(5, 0, 5000), 22000);
	/* Below the initial RTO, every timer is the cap. */
	assert_int_equal(limits_give_up_ms(1, 0, 500), 1000);
	/* tcp_syn_linear_timeouts 4 (6.5+ default): timers expire at 1, 2, 3,
	 * 4, 5, 7, 11, 19, 35, 67, 131 s (ip-sysctl.rst's 1, 1, 1, 1, 1, 2,
	 * 4 ...). The give-up is the first expiry at or past the doubling
	 * schedule's time for the retries (7 s for 2), or after retries + 4
	 * retransmits, whichever comes first. */
	assert_int_equal(limits_give_up_ms(2, 4, LIM_RTO_MAX_MS), 7000);    /* 5 retransmits */
	assert_int_equal(limits_give_up_ms(1, 4, LIM_RTO_MAX_MS), 3000);    /* 2 retransmits */
	assert_int_equal(limits_give_up_ms(3, 4, LIM_RTO_MAX_MS), 19000);   /* >= 15 s */
	assert_int_equal(limits_give_up_ms(6, 4, LIM_RTO_MAX_MS), 131000);  /* >= 127 s */
	/* retransmits_timed_out() needs one retransmit made: 2 s, not 1. */
	assert_int_equal(limits_give_up_ms(0, 4, LIM_RTO_MAX_MS), 2000);
	/* The largest values (u8 sysctls) neither overflow nor loop long:
	 * 256 timers of 1 s, then 2 ... 64 (382 s), then 120 s each until
	 * past the doubling schedule's 127 + 249 * 120 = 30007 s. */
	assert_int_equal(limits_give_up_ms(255, 255, LIM_RTO_MAX_MS), 30022000);
	assert_int_equal(limits_give_up_ms(255, 0, LIM_RTO_MAX_MS), 30007000);
}

static void test_give_up_from_sysctls(void **state)
{
	struct limits_ns l;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (int k = 0; k < LIM_N_SYSCTLS; k++)
		l.v[k] = LIM_ABSENT;
	assert_true(limits_syn_give_up_ms(&l) == LIM_ABSENT);
	assert_true(limits_synack_give_up_ms(&l) == LIM_ABSENT);
	l.v[LIM_SYN_RETRIES] = 2; /* before 6.5: no tcp_syn_linear_timeouts */
	l.v[LIM_SYNACK_RETRIES] = 3;
	assert_int_equal(limits_syn_give_up_ms(&l), 7000);
	assert_int_equal(limits_synack_give_up_ms(&l), 15000);
	l.v[LIM_SYN_LINEAR_TIMEOUTS] = 4; /* SYN_SENT only */
	l.v[LIM_SYN_RETRIES] = 3;
	assert_int_equal(limits_syn_give_up_ms(&l), 19000);
	assert_int_equal(limits_synack_give_up_ms(&l), 15000);
	l.v[LIM_SYN_LINEAR_TIMEOUTS] = 0;
	l.v[LIM_SYN_RETRIES] = 2;
	l.v[LIM_RTO_MAX_MS_SYSCTL] = 3000; /* 1, 2, 3 */
	assert_int_equal(limits_syn_give_up_ms(&l), 6000);
}

static void test_range(void **state)
{
	int64_t lo, hi;

	(void)state;
	assert_int_equal(limits_range_ports(40000, 40009), 10);
	assert_int_equal(limits_range_ports(32768, 60999), 28232);
	assert_int_equal(limits_range_ports(1024, 1024), 1);
	assert_int_equal(limits_range_ports(5000, 4000), 0);
	assert_int_equal(limits_parse_range("32768\t60999\n", &lo, &hi), 0);
	assert_true(lo == 32768 && hi == 60999);
	assert_int_equal(limits_parse_range("1024 65535", &lo, &hi), 0);
	assert_true(lo == 1024 && hi == 65535);
	assert_int_equal(limits_parse_range("32768\n", &lo, &hi), -EINVAL);
	assert_int_equal(limits_parse_range("a\tb\n", &lo, &hi), -EINVAL);
	assert_int_equal(limits_parse_range("-1\t5\n", &lo, &hi), -EINVAL);
	assert_int_equal(limits_parse_range("1\t5x\n", &lo, &hi), -EINVAL);
	assert_int_equal(limits_parse_int("6\n", &lo), 0);
	assert_true(lo == 6);
	assert_int_equal(limits_parse_int("", &lo), -EINVAL);
	assert_int_equal(limits_parse_int("6 7\n", &lo), -EINVAL);
	assert_int_equal(limits_pct(8, 10), 80);
	assert_int_equal(limits_pct(79, 100), 79);
	assert_int_equal(limits_pct(5, 0), 0);
}

static const char sockstat[] = "sockets: used 231\n"
			       "TCP: inuse 30 orphan 4 tw 2 alloc 36 mem 2\n"
			       "UDP: inuse 3 mem 0\n";

/* Trimmed from 6.18; MPTcpExt's names must not be taken for TcpExt's. */
static const char netstat[] = "TcpExt: SyncookiesSent TCPAbortOnMemory TCPTimeWaitOverflow\n"
			      "TcpExt: 0 3 17\n"
			      "IpExt: InNoRoutes InTruncatedPkts\n"
			      "IpExt: 0 0\n"
			      "MPTcpExt: MPCapableSYNRX TCPAbortOnMemory\n"
			      "MPTcpExt: 9 9\n";

static void test_procnet(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(procnet_sockstat_tcp(sockstat, "orphan", &v), 0);
	assert_true(v == 4);
	assert_int_equal(procnet_sockstat_tcp(sockstat, "tw", &v), 0);
	assert_true(v == 2);
	assert_int_equal(procnet_sockstat_tcp(sockstat, "mem", &v), 0); /* the last pair */
	assert_true(v == 2);
	assert_int_equal(procnet_sockstat_tcp(sockstat, "nosuch", &v), -ENOENT);
	assert_int_equal(procnet_sockstat_tcp("UDP: inuse 3\n", "tw", &v), -ENOENT);
	assert_int_equal(procnet_sockstat_tcp("TCP: inuse 1 tw x\n", "tw", &v), -EINVAL);
	assert_int_equal(procnet_netstat(netstat, "TcpExt", "TCPAbortOnMemory", &v), 0);
	assert_true(v == 3);
	assert_int_equal(procnet_netstat(netstat, "TcpExt", "TCPTimeWaitOverflow", &v), 0);
	assert_true(v == 17);
	assert_int_equal(procnet_netstat(netstat, "MPTcpExt", "MPCapableSYNRX", &v), 0);
	assert_true(v == 9);
	assert_int_equal(procnet_netstat(netstat, "TcpExt", "MPCapableSYNRX", &v), -ENOENT);
	assert_int_equal(procnet_netstat("TcpExt: A B\n", "TcpExt", "A", &v), -ENOENT); /* no values */
	assert_int_equal(procnet_netstat("TcpExt: A B\nTcpExt: 1\n", "TcpExt", "B", &v), -ENOENT);
	assert_int_equal(procnet_netstat("", "TcpExt", "A", &v), -ENOENT);
}

static void ns_init(struct limits_ns *l, int64_t lo, int64_t hi)
{
	memset(l, 0, sizeof(*l));
	for (int k = 0; k < LIM_N_SYSCTLS; k++)
		l->v[k] = LIM_ABSENT;
	l->port_lo = lo;
	l->port_hi = hi;
	l->orphans = l->orphans_killed = l->tw = l->tw_overflow = 0;
	l->ports_read = true;
}

static struct tl_tuple tuple(uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport)
{
	struct tl_tuple t = { .sport = sport, .dport = dport, .family = TL_AF_INET };

	t.saddr[0] = 10, t.saddr[3] = src;
	t.daddr[0] = 10, t.daddr[3] = dst;
	return t;
}

/* Ten sockets in a 10-port range to one destination, two to another port
 * of it, one from another source, one outside the range. */
static void fill(struct limits_ns *l)
{
	struct hmap m;
	struct tl_tuple t;

	assert_int_equal(hmap_init(&m, sizeof(struct lim_dest)), 0);
	for (uint16_t p = 40000; p <= 40009; p++) {
		t = tuple(1, p, 2, 80);
		assert_int_equal(limits_count_sock(l, &m, &t), 0);
	}
	for (uint16_t p = 40000; p < 40002; p++) {
		t = tuple(1, p, 2, 443);
		assert_int_equal(limits_count_sock(l, &m, &t), 0);
	}
	t = tuple(3, 40005, 2, 80);
	assert_int_equal(limits_count_sock(l, &m, &t), 0);
	t = tuple(1, 8080, 2, 80); /* a listener's accepted socket, say */
	assert_int_equal(limits_count_sock(l, &m, &t), 0);
	limits_take_busiest(l, &m);
	hmap_fini(&m);
}

static void test_ports_and_hints(void **state)
{
	struct limits_ns l;
	char buf[1024];

	(void)state;
	ns_init(&l, 40000, 40009);
	fill(&l);
	assert_int_equal(l.n_busiest, 3);
	assert_int_equal(l.busiest[0].ports, 10);
	assert_int_equal(l.busiest[0].dport, 80);
	assert_int_equal(l.busiest[0].saddr[3], 1);
	assert_int_equal(l.busiest[1].ports, 2);
	assert_int_equal(l.busiest[1].dport, 443);
	assert_int_equal(l.busiest[2].ports, 1);
	/* 10 of 10: one hint naming the three remedies; 2 of 10 none. */
	assert_int_equal(limits_hints(&l, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "10.0.0.1 -> 10.0.0.2:80 (10 of 10 in use)"));
	assert_non_null(strstr(buf, "tcp_tw_reuse"));
	assert_non_null(strstr(buf, "more destination addresses"));
	assert_non_null(strstr(buf, "ip_local_port_range"));
	/* 8 of 10 is 80 %: still a hint; 7 of 10 not. */
	l.busiest[0].ports = 8;
	assert_int_equal(limits_hints(&l, buf, sizeof(buf)), 1);
	l.busiest[0].ports = 7;
	assert_int_equal(limits_hints(&l, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* No hint without a measurement behind it. */
	l.orphans_killed = 3;
	l.tw_overflow = LIM_ABSENT;
	assert_int_equal(limits_hints(&l, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "tcp_max_orphans"));
	l.tw_overflow = 17;
	assert_int_equal(limits_hints(&l, buf, sizeof(buf)), 2);
	assert_non_null(strstr(buf, "tcp_max_tw_buckets"));
	/* A buffer too small keeps whole lines only. */
	assert_int_equal(limits_hints(&l, buf, 40), 0);
	assert_string_equal(buf, "");
}

static void test_keep_busiest(void **state)
{
	struct limits_ns l;
	struct lim_dest d = { .family = TL_AF_INET };
	const uint32_t counts[] = { 3, 9, 1, 7, 7, 12, 2 };

	(void)state;
	ns_init(&l, 1, 2);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		d.ports = counts[i];
		d.dport = (uint16_t)i;
		limits_keep_busiest(&l, &d);
	}
	assert_int_equal(l.n_busiest, 3);
	assert_int_equal(l.busiest[0].ports, 12);
	assert_int_equal(l.busiest[1].ports, 9);
	assert_int_equal(l.busiest[2].ports, 7);
	assert_int_equal(l.busiest[2].dport, 3); /* the first of two 7s stays */
}

static char *print(int (*fn)(FILE *, const struct limits_ns *), const struct limits_ns *l)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	assert_int_equal(fn(f, l), 0);
	fclose(f);
	return out;
}

static void expect_all(const char *got, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strstr(got, want[i]))
			fail_msg("missing \"%s\" in:\n%s", want[i], got);
	}
}

static void test_format(void **state)
{
	static const char *const text[] = {
		"network namespace 4026532000 (the tool's own)\n",
		"a SYN_SENT gives up after 7 s",
		"a half-open request is dropped after 15 s",
		"an orphaned FIN_WAIT2 lives 7 s",
		"4 of tcp_max_orphans 4096 (0 %), system-wide",
		"10 ports per destination",
		"10.0.0.1 -> 10.0.0.2:80: in use 10 of 10 (100 %)\n",
		"\n  hint: ports near exhaustion",
		"tcp_rto_max_ms n/a",
	};
	static const char *const json[] = {
		"{\"event\":\"limits\",\"netns\":4026532000,\"tcp_syn_retries\":2,",
		"\"tcp_synack_retries\":3,",
		"\"tcp_fin_timeout\":7,",
		"\"tcp_max_orphans\":4096,",
		"\"tcp_rto_max_ms\":null,",
		"\"ip_local_port_range\":[40000,40009],",
		"\"syn_give_up_s\":7,\"synack_give_up_s\":15,\"orphan_fin_wait2_s\":7,",
		"\"ports_per_destination\":10,\"orphans\":4,",
		"\"ports_max_in_use\":10,\"ports_busiest\":[{\"saddr\":\"10.0.0.1\","
		"\"daddr\":\"10.0.0.2\",\"dport\":80,\"in_use\":10},",
		"\"hints\":[\"ports near exhaustion",
		"\"]}\n",
	};
	struct limits_ns l;
	char *t, *j;

	(void)state;
	ns_init(&l, 40000, 40009);
	l.netns = 4026532000;
	l.first = true;
	l.v[LIM_SYN_RETRIES] = 2;
	l.v[LIM_SYNACK_RETRIES] = 3;
	l.v[LIM_FIN_TIMEOUT] = 7;
	l.v[LIM_MAX_ORPHANS] = 4096;
	l.orphans = 4;
	fill(&l);
	t = print(limits_print_text, &l);
	expect_all(t, text, sizeof(text) / sizeof(text[0]));
	j = print(limits_print_json, &l);
	expect_all(j, json, sizeof(json) / sizeof(json[0]));
	free(t);
	free(j);
	/* Another namespace: the global values are the first one's. */
	l.first = false;
	j = print(limits_print_json, &l);
	assert_null(strstr(j, "tcp_max_orphans"));
	assert_null(strstr(j, "\"orphans\":"));
	free(j);
	t = print(limits_print_text, &l);
	assert_non_null(strstr(t, "system-wide, see the first namespace"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_give_up),
		cmocka_unit_test(test_give_up_from_sysctls),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_procnet),
		cmocka_unit_test(test_ports_and_hints),
		cmocka_unit_test(test_keep_busiest),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
