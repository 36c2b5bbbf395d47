// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "conn_acct.h"
#include "outputs.h"
#include "summary.h"
#include "sink.h"
#include "states.h"
#include "view.h"

/* 2026-11-21T11:32:05Z, reached at 1 s of monotonic time. */
#define EPOCH_S 1795260725LL
#define T0 1000000000ULL
static const struct timeconv tc = { .mono_to_real_ns = (EPOCH_S - 1) * 1000000000LL };

/* Output captured in memory; exact strings are compared. */
struct cap {
	char *buf;
	size_t len;
	FILE *f;
	struct sink *s;
};

static void cap_open(struct cap *c, const struct sink_ops *ops, bool wide)
{
	const struct sink_opts o = { .wide = wide, .tc = &tc };

	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->s = sink_open_file(ops, c->f, &o);
	assert_non_null(c->s);
}

/* Closes the sink and returns what it wrote (caller frees). */
static char *cap_close(struct cap *c)
{
	assert_int_equal(sink_close(c->s), 0);
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

static void set_addr(struct tl_tuple *t, int family, const char *l, unsigned int lport,
		     const char *r, unsigned int rport)
{
	t->family = (__u16)family;
	assert_int_equal(inet_pton(family, l, t->saddr), 1);
	assert_int_equal(inet_pton(family, r, t->daddr), 1);
	t->sport = (__u16)lport;
	t->dport = (__u16)rport;
}

static struct conn_extra closed_v4_x;

/* An active IPv4 connection that closed normally through TIME_WAIT, whose
 * TIME_WAIT time was not measured (handed to a timewait socket). */
static void conn_closed_v4(struct conn *c)
{
	static const uint8_t path[] = { TL_SYN_SENT, TL_ESTABLISHED, TL_FIN_WAIT1,
					TL_FIN_WAIT2, TL_TIME_WAIT };

	memset(c, 0, sizeof(*c));
	set_addr(&c->tuple, AF_INET, "10.0.0.1", 45678, "93.184.216.34", 443);
	c->owner.pid = 1234;
	memcpy(c->owner.comm, "curl", 5);
	c->owner_known = true;
	c->role = ROLE_ACTIVE;
	c->start_ns = T0;
	c->start_exact = true;
	c->end_ns = T0 + 1500123456ULL;
	c->state = TL_CLOSE;
	c->state_ns[TL_SYN_SENT] = 22222222;
	c->state_ns[TL_ESTABLISHED] = 1000000000;
	c->state_ns[TL_FIN_WAIT1] = 1500000;
	c->state_ns[TL_FIN_WAIT2] = 2000000;
	c->unmeasured = 1u << TL_TIME_WAIT;
	memcpy(c->path, path, sizeof(path));
	c->path_len = sizeof(path);
	c->syn_retrans = 1;
	/* Its SYN was dropped by the full queue of nginx's listener. The
	 * extra part is this file's (one closed_v4 at a time), not malloc'ed. */
	memset(&closed_v4_x, 0, sizeof(closed_v4_x));
	c->x = &closed_v4_x;
	c->x->dropped_by.set = true;
	c->x->dropped_by.family = AF_INET;
	c->x->dropped_by.port = 443;
	memcpy(c->x->dropped_by.addr, c->tuple.daddr, 4);
	c->x->dropped_by.pid = 4321;
	memcpy(c->x->dropped_by.comm, "nginx", 6);
	c->fin_sent = 1;
	c->data_retrans = 2;
	c->bytes_acked = 100;
	c->bytes_received = 5000;
	c->bytes_known = true;
	c->cause = CAUSE_FIN;
	c->closed = true;
	c->owner.tid = 1235;
	c->fd = 5;
	c->cgroup = 4242;
	c->x->others[0].pid = 99;
	c->x->others[0].fd = 3;
	memcpy(c->x->others[0].comm, "worker", 7);
	c->x->n_others = 1;
}

/* A passive IPv6 connection still open at exit, owner never learnt. */
static void conn_open_v6(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	set_addr(&c->tuple, AF_INET6, "2001:db8::1", 80, "2001:db8::abcd:2", 51000);
	c->role = ROLE_PASSIVE;
	c->start_ns = T0;
	c->end_ns = T0 + 2250500000ULL;
	c->state = TL_ESTABLISHED;
	c->state_ns[TL_SYN_RECV] = 500000;
	c->state_ns[TL_ESTABLISHED] = 2250000000ULL;
	c->path[0] = TL_SYN_RECV;
	c->path[1] = TL_ESTABLISHED;
	c->path_len = 2;
	c->cause = CAUSE_OPEN;
	c->fd = -1;
	c->preexisting = true;
}

#define CSV_HEADER                                                                             \
	"start_time,end_time,pid,comm,family,laddr,lport,raddr,rport,role,end_state,"          \
	"close_cause,syn_sent_ms,syn_recv_ms,established_ms,fin_wait1_ms,fin_wait2_ms,"        \
	"close_wait_ms,last_ack_ms,closing_ms,time_wait_ms,syn_retrans,synack_retrans,"        \
	"fin_sent,fin_retrans,data_retrans,rst_sent,rst_recv,bytes_acked,bytes_received,path," \
	"closed,timing,tid,fd,cgroup,seen_from,owner_from,dropped_by\n"

#define CSV_CLOSED_V4                                                                   \
	"2026-11-21T11:32:05.000000Z,2026-11-21T11:32:06.500123Z,1234,curl,ipv4,10.0.0.1," \
	"45678,93.184.216.34,443,active,CLOSE,fin,22.222,0.000,1000.000,1.500,2.000,0.000," \
	"0.000,0.000,,1,0,1,0,2,0,0,100,5000,"                                            \
	"SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT,true,exact,1235,5,4242,birth,socket," \
	"nginx/4321@93.184.216.34:443\n"

#define CSV_OPEN_V6                                                                     \
	"2026-11-21T11:32:05.000000Z,,,,ipv6,2001:db8::1,80,2001:db8::abcd:2,51000,passive," \
	"ESTABLISHED,open,0.000,0.500,2250.000,0.000,0.000,0.000,0.000,0.000,0.000,"          \
	"0,0,0,0,0,0,0,,,SYN_RECV>ESTABLISHED,false,exact,,,,preexisting,,\n"

static void test_csv_rows(void **state)
{
	struct conn a, b;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	cap_open(&c, &sink_csv_ops, false);
	assert_int_equal(sink_conn(c.s, &a), 0);
	assert_int_equal(sink_conn(c.s, &b), 0);
	out = cap_close(&c);
	assert_string_equal(out, CSV_HEADER CSV_CLOSED_V4 CSV_OPEN_V6);
	free(out);
}

static void test_csv_hostile_comm(void **state)
{
	struct conn a;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	memcpy(a.owner.comm, "=cmd|' /C \"x\",\x1b", 16);
	memcpy(a.x->dropped_by.comm, a.owner.comm, 16); /* the listener's too */
	a.path[1] = 99;
	a.path_truncated = true;
	cap_open(&c, &sink_csv_ops, false);
	assert_int_equal(sink_conn(c.s, &a), 0);
	out = cap_close(&c);
	assert_string_equal(out, CSV_HEADER
			    "2026-11-21T11:32:05.000000Z,2026-11-21T11:32:06.500123Z,1234,"
			    "\"'=cmd|' /C \"\"x\"\",\\x1b\",ipv4,10.0.0.1,"
			    "45678,93.184.216.34,443,active,CLOSE,fin,22.222,0.000,1000.000,1.500,"
			    "2.000,0.000,0.000,0.000,,1,0,1,0,2,0,0,100,5000,"
			    "SYN_SENT>UNKNOWN>FIN_WAIT1>FIN_WAIT2>TIME_WAIT>...,true,exact,1235,5,4242,birth,socket,"
			    "\"'=cmd|' /C \"\"x\"\",\\x1b/4321@93.184.216.34:443\"\n");
	free(out);
}

static void test_csv_no_summary_no_transitions(void **state)
{
	const struct summary sum = { .records = 1 };
	const struct transition t = { .kind = TR_FIN };
	struct cap c;
	char *out;

	(void)state;
	cap_open(&c, &sink_csv_ops, false);
	assert_int_equal(sink_summary(c.s, &sum), 0);
	assert_int_equal(sink_transition(c.s, &t), 0);
	out = cap_close(&c);
	assert_string_equal(out, CSV_HEADER);
	free(out);
}

static void test_json_lines(void **state)
{
	const struct summary sum = { .records = 1234, .bad_records = 1, .rb_drops = 2,
				     .map_full = 3, .stale = 4, .missed = 9, .healed = 10, .conns_closed = 5,
				     .conns_open = 6, .synack_orphans = 7, .unattributed = 8,
				     .elapsed_ns = 5000123456ULL };
	struct conn a, b;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	memcpy(b.owner.comm, "a\"b\\c\x1b", 7); /* not known: must not appear */
	cap_open(&c, &sink_json_ops, false);
	assert_int_equal(sink_conn(c.s, &a), 0);
	assert_int_equal(sink_conn(c.s, &b), 0);
	b.owner_known = true;
	b.owner.pid = 7;
	assert_int_equal(sink_conn(c.s, &b), 0);
	assert_int_equal(sink_summary(c.s, &sum), 0);
	out = cap_close(&c);
	assert_string_equal(out,
		"{\"event\":\"conn\",\"start_time\":\"2026-11-21T11:32:05.000000Z\","
		"\"end_time\":\"2026-11-21T11:32:06.500123Z\",\"pid\":1234,\"comm\":\"curl\","
		"\"family\":\"ipv4\",\"laddr\":\"10.0.0.1\",\"lport\":45678,"
		"\"raddr\":\"93.184.216.34\",\"rport\":443,\"role\":\"active\","
		"\"end_state\":\"CLOSE\",\"close_cause\":\"fin\",\"syn_sent_ms\":22.222,"
		"\"syn_recv_ms\":0.000,\"established_ms\":1000.000,\"fin_wait1_ms\":1.500,"
		"\"fin_wait2_ms\":2.000,\"close_wait_ms\":0.000,\"last_ack_ms\":0.000,"
		"\"closing_ms\":0.000,\"time_wait_ms\":null,\"syn_retrans\":1,"
		"\"synack_retrans\":0,\"fin_sent\":1,\"fin_retrans\":0,\"data_retrans\":2,"
		"\"rst_sent\":0,\"rst_recv\":0,\"bytes_acked\":100,\"bytes_received\":5000,"
		"\"path\":\"SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT\",\"closed\":true,\"timing\":\"exact\","
		"\"tid\":1235,\"fd\":5,\"cgroup\":4242,\"seen_from\":\"birth\",\"owner_from\":\"socket\","
		"\"dropped_by\":\"nginx/4321@93.184.216.34:443\","
		"\"other_holders\":[{\"pid\":99,\"fd\":3,\"comm\":\"worker\"}]}\n"
		"{\"event\":\"conn\",\"start_time\":\"2026-11-21T11:32:05.000000Z\","
		"\"end_time\":null,\"pid\":null,\"comm\":null,"
		"\"family\":\"ipv6\",\"laddr\":\"2001:db8::1\",\"lport\":80,"
		"\"raddr\":\"2001:db8::abcd:2\",\"rport\":51000,\"role\":\"passive\","
		"\"end_state\":\"ESTABLISHED\",\"close_cause\":\"open\",\"syn_sent_ms\":0.000,"
		"\"syn_recv_ms\":0.500,\"established_ms\":2250.000,\"fin_wait1_ms\":0.000,"
		"\"fin_wait2_ms\":0.000,\"close_wait_ms\":0.000,\"last_ack_ms\":0.000,"
		"\"closing_ms\":0.000,\"time_wait_ms\":0.000,\"syn_retrans\":0,"
		"\"synack_retrans\":0,\"fin_sent\":0,\"fin_retrans\":0,\"data_retrans\":0,"
		"\"rst_sent\":0,\"rst_recv\":0,\"bytes_acked\":null,\"bytes_received\":null,"
		"\"path\":\"SYN_RECV>ESTABLISHED\",\"closed\":false,\"timing\":\"exact\",\"tid\":null,\"fd\":null,"
		"\"cgroup\":null,\"seen_from\":\"preexisting\",\"owner_from\":null,\"dropped_by\":null,\"other_holders\":[]}\n"
		"{\"event\":\"conn\",\"start_time\":\"2026-11-21T11:32:05.000000Z\","
		"\"end_time\":null,\"pid\":7,\"comm\":\"a\\\"b\\\\x5cc\\\\x1b\","
		"\"family\":\"ipv6\",\"laddr\":\"2001:db8::1\",\"lport\":80,"
		"\"raddr\":\"2001:db8::abcd:2\",\"rport\":51000,\"role\":\"passive\","
		"\"end_state\":\"ESTABLISHED\",\"close_cause\":\"open\",\"syn_sent_ms\":0.000,"
		"\"syn_recv_ms\":0.500,\"established_ms\":2250.000,\"fin_wait1_ms\":0.000,"
		"\"fin_wait2_ms\":0.000,\"close_wait_ms\":0.000,\"last_ack_ms\":0.000,"
		"\"closing_ms\":0.000,\"time_wait_ms\":0.000,\"syn_retrans\":0,"
		"\"synack_retrans\":0,\"fin_sent\":0,\"fin_retrans\":0,\"data_retrans\":0,"
		"\"rst_sent\":0,\"rst_recv\":0,\"bytes_acked\":null,\"bytes_received\":null,"
		"\"path\":\"SYN_RECV>ESTABLISHED\",\"closed\":false,\"timing\":\"exact\",\"tid\":0,\"fd\":null,"
		"\"cgroup\":null,\"seen_from\":\"preexisting\",\"owner_from\":\"socket\",\"dropped_by\":null,\"other_holders\":[]}\n"
		"{\"event\":\"summary\",\"records\":1234,\"bad_records\":1,\"rb_drops\":2,"
		"\"map_full\":3,\"stale\":4,\"missed\":9,\"gaps\":0,\"unseen\":0,\"healed\":10,\"conns_closed\":5,\"conns_open\":6,"
		"\"synack_orphans\":7,\"unattributed\":8,\"tw_unconfirmed\":0,\"connect_errors\":0,\"lost\":19,\"not_written\":0,\"elapsed_ms\":5000.123}\n");
	free(out);
}

#define TEXT_HEADER                                                                         \
	"PID     COMM         LOCAL                 REMOTE                R END         HS_MS " \
	"ES_MS CL_MS RTX\n"

static void test_text_lines(void **state)
{
	struct conn a, b;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	cap_open(&c, &sink_text_ops, false);
	assert_int_equal(sink_conn(c.s, &a), 0);
	assert_int_equal(sink_conn(c.s, &b), 0);
	b.unmeasured = 1u << TL_SYN_RECV;
	assert_int_equal(sink_conn(c.s, &b), 0);
	out = cap_close(&c);
	assert_string_equal(out, TEXT_HEADER
		"1234    curl         10.0.0.1:45678        93.184.216.34:443     A fin         22.22  1000 3.500   3\n"
		"-       -            [2001:db8::1]:80      [2001:db8..d:2]:51000 P ESTABLISHED 0.500  2250 0.000   0\n"
		"-       -            [2001:db8::1]:80      [2001:db8..d:2]:51000 P ESTABLISHED     -  2250 0.000   0\n");
	free(out);
}

static void test_text_wide(void **state)
{
	struct conn a, b;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	cap_open(&c, &sink_text_ops, true);
	assert_int_equal(sink_conn(c.s, &a), 0);
	assert_int_equal(sink_conn(c.s, &b), 0);
	out = cap_close(&c);
	assert_string_equal(out,
		"PID     COMM             LOCAL                                           REMOTE                                          R STATE        CAUSE          SYN_SENT    SYN_RECV ESTABLISHED   FIN_WAIT1   FIN_WAIT2  CLOSE_WAIT    LAST_ACK     CLOSING   TIME_WAIT   RTX\n"
		"1234    curl             10.0.0.1:45678                                  93.184.216.34:443                               A CLOSE        fin              22.222       0.000    1000.000       1.500       2.000       0.000       0.000       0.000           -     3\n"
		"-       -                [2001:db8::1]:80                                [2001:db8::abcd:2]:51000                        P ESTABLISHED  open              0.000       0.500    2250.000       0.000       0.000       0.000       0.000       0.000       0.000     0\n");
	free(out);
}

/* Every line of `out` is at most `max` characters. */
static void assert_widths(const char *out, size_t max, size_t nlines)
{
	size_t n = 0;

	for (const char *p = out; *p; n++) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		assert_in_range((size_t)(nl - p), 1, max);
		p = nl + 1;
	}
	assert_int_equal(n, nlines);
}

static void test_text_worst_case_width(void **state)
{
	struct conn a;
	struct cap c;
	char *out;

	(void)state;
	memset(&a, 0, sizeof(a));
	set_addr(&a.tuple, AF_INET, "255.255.255.255", 65535, "255.255.255.255", 65535);
	a.owner_known = true;
	a.owner.pid = 4294967295u;
	memset(a.owner.comm, 0x1b, sizeof(a.owner.comm)); /* 64 bytes once escaped */
	a.role = ROLE_UNKNOWN;
	a.state = TL_BOUND_INACTIVE;
	a.cause = CAUSE_SYN_TIMEOUT;
	a.closed = true;
	for (unsigned int i = 0; i < TL_NSTATES; i++)
		a.state_ns[i] = UINT64_MAX / 2;
	a.syn_retrans = a.synack_retrans = a.fin_retrans = a.data_retrans = UINT32_MAX;
	cap_open(&c, &sink_text_ops, false);
	assert_int_equal(sink_conn(c.s, &a), 0);
	a.closed = false;
	assert_int_equal(sink_conn(c.s, &a), 0);
	/* An IPv6 address in the narrow layout is cut, never overflowing. */
	set_addr(&a.tuple, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		 "1:2:3:4:5:6:7:8", 1);
	assert_int_equal(sink_conn(c.s, &a), 0);
	out = cap_close(&c);
	assert_widths(out, 100, 4);
	assert_non_null(strstr(out, "\n429496~ \\x1b\\x1b\\x1~ 255.255.255.255:65535 "
				    "255.255.255.255:65535 ? syn_timeout ##### ##### ##### 9G+\n"));
	assert_non_null(strstr(out, " [ffff:fff..fff]:65535 [1:2:3:4:5:6:7:8]:1   ? "));
	assert_non_null(strstr(out, " ? BOUND_INAC~ "));
	free(out);
}

static void test_stream_lines(void **state)
{
	struct conn a, b;
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	{
		const struct transition tr[] = {
			{ .kind = TR_STATE, .ts_ns = T0, .c = &a, .oldstate = TL_CLOSE,
			  .newstate = TL_SYN_SENT },
			{ .kind = TR_RETRANS, .detail = TL_RT_SYN, .ts_ns = T0 + 1000000, .c = &a,
			  .oldstate = TL_SYN_SENT },
			{ .kind = TR_STATE, .ts_ns = T0 + 22222222, .c = &a, .oldstate = TL_SYN_SENT,
			  .newstate = TL_ESTABLISHED, .old_ns = 22222222, .old_known = true },
			{ .kind = TR_RETRANS, .detail = TL_RT_DATA, .ts_ns = T0 + 500000000, .c = &a,
			  .oldstate = TL_ESTABLISHED },
			{ .kind = TR_FIN, .ts_ns = T0 + 1022222222, .c = &a, .oldstate = TL_ESTABLISHED },
			{ .kind = TR_RETRANS, .detail = TL_RT_FIN, .ts_ns = T0 + 1022222222, .c = &a,
			  .oldstate = TL_FIN_WAIT1 },
			{ .kind = TR_INFERRED, .ts_ns = T0 + 1500123456, .c = &a,
			  .oldstate = TL_FIN_WAIT2, .newstate = TL_TIME_WAIT, .old_ns = 2000000,
			  .old_known = true },
			{ .kind = TR_RESET, .detail = TL_RST_RECV, .ts_ns = T0 + 1500123456, .c = &b },
			{ .kind = TR_RESET, .detail = TL_RST_SENT, .ts_ns = T0 + 1500123456, .c = &b },
			{ .kind = TR_SYNACK, .ts_ns = T0 + 1500123456, .c = &b },
		};
		const struct summary sum = { .records = 1234, .conns_closed = 9, .conns_open = 3,
					     .synack_orphans = 1, .elapsed_ns = 5000123456ULL };

		cap_open(&c, &sink_stream_ops, false);
		for (size_t i = 0; i < sizeof(tr) / sizeof(tr[0]); i++)
			assert_int_equal(sink_transition(c.s, &tr[i]), 0);
		assert_int_equal(sink_conn(c.s, &a), 0);
		assert_int_equal(sink_summary(c.s, &sum), 0);
		out = cap_close(&c);
	}
	assert_string_equal(out,
		"TIME            PID     COMM         LOCAL                 REMOTE                    OLD_MS EVENT\n"
		"11:32:05.000000 1234    curl         10.0.0.1:45678        93.184.216.34:443              - CLOSE -> SYN_SENT\n"
		"11:32:05.001000 1234    curl         10.0.0.1:45678        93.184.216.34:443                retransmit SYN in SYN_SENT\n"
		"11:32:05.022222 1234    curl         10.0.0.1:45678        93.184.216.34:443         22.222 SYN_SENT -> ESTABLISHED\n"
		"11:32:05.500000 1234    curl         10.0.0.1:45678        93.184.216.34:443                retransmit data in ESTABLISHED\n"
		"11:32:06.022222 1234    curl         10.0.0.1:45678        93.184.216.34:443                FIN sent\n"
		"11:32:06.022222 1234    curl         10.0.0.1:45678        93.184.216.34:443                retransmit FIN in FIN_WAIT1\n"
		"11:32:06.500123 1234    curl         10.0.0.1:45678        93.184.216.34:443          2.000 FIN_WAIT2 -> TIME_WAIT (inferred)\n"
		"11:32:06.500123 -       -            [2001:db8::1]:80      [2001:db8..d:2]:51000            RST received\n"
		"11:32:06.500123 -       -            [2001:db8::1]:80      [2001:db8..d:2]:51000            RST sent\n"
		"11:32:06.500123 -       -            [2001:db8::1]:80      [2001:db8..d:2]:51000            retransmit SYN-ACK\n"
		"# 12 connections (3 still open), 1234 records in 5.000 s; unmatched SYN-ACK retransmits 1\n"
		"# no data lost (ringbuf drops 0, map full 0, stale sockets 0, bad records 0, missed events 0)\n");
	free(out);
}

/* The text sink's summary of `sum`, after its header, is `want`. */
static void text_summary_is(const struct summary *sum, const char *want)
{
	struct cap c;
	char *out;

	cap_open(&c, &sink_text_ops, false);
	assert_int_equal(sink_summary(c.s, sum), 0);
	out = cap_close(&c);
	assert_string_equal(out, want);
	free(out);
}

static void test_text_summary_loss(void **state)
{
	const struct summary sum = { .records = 10, .map_full = 3, .missed = 1, .conns_closed = 1,
				     .unattributed = 2, .elapsed_ns = 999999999 };

	(void)state;
	text_summary_is(&sum, TEXT_HEADER
		"# 1 connection (0 still open), 10 records in 0.999 s; unmatched SYN-ACK retransmits 0; "
		"2 not shown (owner never learnt under -p)\n"
		"# WARNING: data lost (ringbuf drops 0, map full 3, stale sockets 0, bad records 0, "
		"missed events 1): "
		"some connections are missing or incomplete\n");
}

/* Does the stderr summary line of sum contain want? */
static bool line_has(const struct summary *sum, const char *want)
{
	char line[768];

	summary_line(sum, line, sizeof(line));
	return strstr(line, want) != NULL;
}

/* An output that failed, or timewait socks not confirmed: never "no data
 * lost", and the stderr line does not say "written" for what was not. */
static void test_summary_output_error(void **state)
{
	const struct summary sum = { .records = 10, .conns_closed = 3, .tw_unconfirmed = 1,
				     .not_written = 2, .out_err = -ENOSPC, .elapsed_ns = 1000000 };
	const struct summary clean = { .records = 10, .conns_closed = 3 };

	(void)state;
	text_summary_is(&sum, TEXT_HEADER
		"# 3 connections (0 still open), 10 records in 0.001 s; unmatched SYN-ACK retransmits 0\n"
		"# WARNING: data lost (ringbuf drops 0, map full 0, stale sockets 0, bad records 0, "
		"missed events 0, unconfirmed timewait sockets 1, records not written 2: "
		"No space left on device): some connections are missing or incomplete\n");
	assert_true(line_has(&sum, "3 connections recorded (0 still open) but 2 records NOT written (No space left on device)"));
	assert_false(line_has(&sum, "connections written"));
	assert_true(line_has(&clean, "3 connections written (0 still open)"));
	assert_string_equal(output_error_text(-ETIMEDOUT), "the reader stopped reading");
	assert_string_equal(output_error_text(-EPIPE), "Broken pipe");
	assert_string_equal(output_error_text(0), "output error");
}

/* No owner hook (an unreadable tracefs): every summary says the owners of
 * accepted connections are unavailable, and only then; it is not a loss. */
static void test_summary_owners_lost(void **state)
{
	const struct summary sum = { .records = 4, .conns_closed = 2, .owners_lost = true };
	const struct summary clean = { .records = 4, .conns_closed = 2 };
	struct cap c;
	char *out;

	(void)state;
	text_summary_is(&sum, TEXT_HEADER
		"# 2 connections (0 still open), 4 records in 0.000 s; unmatched SYN-ACK retransmits 0\n"
		"# no data lost (ringbuf drops 0, map full 0, stale sockets 0, bad records 0, "
		"missed events 0)\n"
		"# owners of accepted connections unavailable: no owner hook (see the warning at the start)\n");
	assert_true(line_has(&sum, "; owners of accepted connections: unavailable (no owner hook)"));
	assert_false(line_has(&clean, "owners"));
	cap_open(&c, &sink_json_ops, false);
	assert_int_equal(sink_summary(c.s, &sum), 0);
	assert_int_equal(sink_summary(c.s, &clean), 0);
	out = cap_close(&c);
	assert_non_null(strstr(out, "\"elapsed_ms\":0.000,\"owners_unavailable\":true}\n{"));
	assert_null(strstr(strchr(out, '\n') + 1, "owners"));
	free(out);
	assert_int_equal(run_status(&sum, false), TL_EXIT_OK);
}

/* No connect hook (--no-syscall-hooks without fentry or kprobe): the count
 * of connect() failures holds only those after a SYN; the stderr line says
 * the others were not traced and the JSON summary has connect_untraced,
 * only then. */
static void test_summary_connect_untraced(void **state)
{
	const struct summary sum = { .records = 4, .conns_closed = 2, .owners_lost = true,
				     .connect_untraced = true, .connect_errors = 1 };
	const struct summary clean = { .records = 4, .conns_closed = 2, .connect_errors = 3 };
	struct cap c;
	char *out;

	(void)state;
	assert_true(line_has(&sum, "; connect() failures: 1 (those inside the call not traced); owners of"));
	assert_true(line_has(&clean, "; connect() failures: 3"));
	assert_false(line_has(&clean, "not traced"));
	cap_open(&c, &sink_json_ops, false);
	assert_int_equal(sink_summary(c.s, &sum), 0);
	assert_int_equal(sink_summary(c.s, &clean), 0);
	out = cap_close(&c);
	assert_non_null(strstr(out, "\"connect_errors\":1,"));
	assert_non_null(strstr(out, "\"owners_unavailable\":true,\"connect_untraced\":true}\n{"));
	assert_null(strstr(strchr(out, '\n') + 1, "untraced"));
	free(out);
	assert_int_equal(run_status(&sum, false), TL_EXIT_OK);
}

static size_t file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	assert_non_null(f);
	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* SIGUSR1's reopen: the row written before goes to the renamed file, the
 * one after to a new file with its own header; the same file is kept;
 * a symlink planted under the name is refused and the old sink is left
 * as it was. */
static void test_sink_reopen(void **state)
{
	const struct sink_opts o = { .tc = &tc };
	char dir[64] = "/tmp/tl-reopen-XXXXXX", path[96], moved[112], moved2[112];
	struct sink *s, *n;
	struct conn c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	snprintf(moved, sizeof(moved), "%s/t.csv.1", dir);
	snprintf(moved2, sizeof(moved2), "%s/t.csv.2", dir);
	conn_closed_v4(&c);
	s = sink_open(&sink_csv_ops, path, &o);
	assert_non_null(s);
	assert_int_equal(sink_conn(s, &c), 0);
	assert_int_equal(sink_reopen(s, path, &n), 0);
	assert_null(n); /* nothing was rotated */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(sink_reopen(s, path, &n), 0);
	assert_non_null(n);
	assert_int_equal(sink_close(s), 0);
	assert_int_equal(sink_conn(n, &c), 0);
	assert_int_equal(sink_conn(n, &c), 0);
	assert_int_equal(sink_flush(n), 0);
	assert_int_equal(file_lines(moved), 2);
	assert_int_equal(file_lines(path), 3);
	assert_int_equal(rename(path, moved2), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(sink_reopen(n, path, &s), -ELOOP);
	assert_null(s);
	assert_non_null(sink_refused());
	assert_int_equal(sink_conn(n, &c), 0); /* the old file takes it */
	assert_int_equal(sink_close(n), 0);
	assert_int_equal(file_lines(moved2), 4);
	unlink(path);
	unlink(moved);
	unlink(moved2);
	rmdir(dir);
}

static const char *fit(uint64_t ns, size_t w)
{
	static char buf[32];

	assert_int_equal(fmt_ms_fit(ns, w, buf, sizeof(buf)), 0);
	assert_in_range(strlen(buf), 1, w);
	return buf;
}

static const char *cnt(uint64_t v, size_t w)
{
	static char buf[32];

	count_fit(v, w, buf, sizeof(buf));
	assert_in_range(strlen(buf), 1, w);
	return buf;
}

static void test_fit_helpers(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(fit(0, 5), "0.000");
	assert_string_equal(fit(123456, 5), "0.123");
	assert_string_equal(fit(12345678, 5), "12.34");
	assert_string_equal(fit(123456789, 5), "123.4");
	assert_string_equal(fit(1234567891, 5), "1234");
	assert_string_equal(fit(99999999999ULL, 5), "99999");
	assert_string_equal(fit(100000000000ULL, 5), "100s");
	assert_string_equal(fit(10000000000000ULL, 5), "166m");
	assert_string_equal(fit(1000000000000000ULL, 5), "277h");
	assert_string_equal(fit(100000000000000000ULL, 5), "1157d");
	assert_string_equal(fit(UINT64_MAX, 5), "#####");
	assert_string_equal(fit(1234567891, 11), "1234.567");
	assert_string_equal(fit(1234567891, 4), "1234");
	assert_string_equal(cnt(999, 3), "999");
	assert_string_equal(cnt(1000, 3), "1k+");
	assert_string_equal(cnt(9999, 3), "9k+");
	assert_string_equal(cnt(50000, 3), "9k+");
	assert_string_equal(cnt(5000000, 3), "5M+");
	assert_string_equal(cnt(123456, 5), "123k+");
	assert_string_equal(cnt(0, 3), "0");
	assert_string_equal(cnt(17179869180ULL, 3), "9G+");
	assert_string_equal(cnt(17179869180ULL, 4), "17G+");
	assert_string_equal(cnt(1500000, 6), "1500k+");
	fit_end("abcdef", 4, out);
	assert_string_equal(out, "abc~");
	fit_end("abcd", 4, out);
	assert_string_equal(out, "abcd");
	fit_middle("[2001:db8::abcd:2]:51000", 21, out);
	assert_string_equal(out, "[2001:db8..d:2]:51000");
	fit_middle("255.255.255.255:65535", 21, out);
	assert_string_equal(out, "255.255.255.255:65535");
}

static void test_endpoint_path(void **state)
{
	struct conn a;
	char buf[SINK_PATH_LEN];

	(void)state;
	conn_closed_v4(&a);
	assert_int_equal(endpoint_fmt(&a.tuple, true, buf, SINK_ENDPOINT_LEN), 0);
	assert_string_equal(buf, "10.0.0.1:45678");
	assert_int_equal(endpoint_fmt(&a.tuple, false, buf, SINK_ENDPOINT_LEN), 0);
	assert_string_equal(buf, "93.184.216.34:443");
	set_addr(&a.tuple, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		 "::ffff:255.255.255.255", 1);
	assert_int_equal(endpoint_fmt(&a.tuple, true, buf, SINK_ENDPOINT_LEN), 0);
	assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	assert_int_equal(strlen(buf), 47);
	assert_int_equal(endpoint_fmt(&a.tuple, false, buf, SINK_ENDPOINT_LEN), 0);
	assert_string_equal(buf, "[::ffff:255.255.255.255]:1");
	a.tuple.family = 0;
	assert_int_equal(addr_fmt(&a.tuple, true, buf, SINK_ADDR_LEN), -EAFNOSUPPORT);
	assert_string_equal(buf, "?");
	assert_string_equal(family_name(0), "unknown");

	/* The longest path: every slot the longest name, and truncated. */
	memset(a.path, TL_BOUND_INACTIVE, sizeof(a.path));
	a.path_len = 255;
	a.path_truncated = true;
	assert_int_equal(path_fmt(&a, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), CONN_PATH_MAX * 15 - 1 + 4);
	assert_string_equal(buf + strlen(buf) - 19, ">BOUND_INACTIVE>...");
	a.path_len = 0;
	assert_int_equal(path_fmt(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "...");
	a.path_truncated = false;
	assert_int_equal(path_fmt(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_dev_full(void **state)
{
	const struct sink_opts o = { .tc = &tc };
	const struct sink_ops *ops[] = { &sink_csv_ops, &sink_json_ops, &sink_text_ops,
					 &sink_stream_ops };
	struct conn a;
	struct sink *s;

	(void)state;
	conn_closed_v4(&a);
	/* Buffered: the header fits, the error shows at close. */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		s = sink_open(ops[i], "/dev/full", &o);
		assert_non_null(s);
		assert_true(s->own_file);
		assert_int_equal(sink_conn(s, &a), 0);
		assert_int_equal(sink_close(s), -ENOSPC);
	}

	/* Enough rows to overflow the buffer: the error is seen mid-stream,
	 * and sticks. */
	s = sink_open(&sink_csv_ops, "/dev/full", &o);
	assert_non_null(s);
	for (int i = 0; i < 10000 && sink_conn(s, &a) == 0; i++)
		;
	assert_int_equal(s->err, -ENOSPC);
	assert_int_equal(sink_conn(s, &a), -ENOSPC);
	assert_int_equal(sink_summary(s, &(struct summary){ 0 }), 0); /* no CSV summary */
	assert_int_equal(sink_close(s), -ENOSPC);
}

static void test_open_errors(void **state)
{
	const struct sink_opts o = { .tc = &tc };
	FILE *f;

	(void)state;
	errno = 0;
	assert_null(sink_open(&sink_csv_ops, "/nonexistent-dir/x.csv", &o));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(sink_open(&sink_csv_ops, NULL, &o));
	assert_int_equal(errno, EINVAL);

	/* Unbuffered, so the header write itself fails and open reports it. */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	errno = 0;
	assert_null(sink_open_file(&sink_csv_ops, f, &o));
	assert_int_equal(errno, ENOSPC);
	fclose(f);

	assert_int_equal(sink_close(NULL), 0);
}

static void test_open_file_and_stdout(void **state)
{
	const struct sink_opts o = { .tc = &tc };
	char path[] = "/tmp/test_sinks.XXXXXX";
	char buf[4096];
	struct conn a;
	struct sink *s;
	size_t n;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	conn_closed_v4(&a);
	s = sink_open(&sink_csv_ops, path, &o);
	assert_non_null(s);
	assert_int_equal(sink_conn(s, &a), 0);
	assert_int_equal(sink_close(s), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_string_equal(buf, CSV_HEADER CSV_CLOSED_V4);

	/* "-" is stdout, not owned: closing the sink leaves it open. Not a
	 * terminal (as here, under make): a buffered stream over fd 1 of its
	 * own (outfd.h), flushed by the main loop. */
	s = sink_open(&sink_json_ops, "-", &o);
	assert_non_null(s);
	if (isatty(STDOUT_FILENO)) {
		assert_ptr_equal(s->f, stdout);
		assert_false(s->own_file);
	} else {
		assert_ptr_not_equal(s->f, stdout);
		assert_non_null(s->ofd);
	}
	assert_int_equal(sink_close(s), 0);
	assert_int_not_equal(fcntl(STDOUT_FILENO, F_GETFD), -1);
	assert_int_equal(fflush(stdout), 0);
}

/* --close-wait alerts and the per-process summary, JSON and text. */
static void test_close_wait_alert_and_summary(void **state)
{
	struct conn a;
	struct cw_alert al = { .c = &a, .close_wait_ns = 1250000000ULL, .unread_bytes = 101 };
	struct cw_proc p[2] = {
		{ .pid = 1234, .comm = "curl", .sockets = 3, .oldest_ns = 5000000000ULL, .unread_bytes = 101 },
		{ .pid = 99, .comm = "=x", .sockets = 1, .oldest_ns = 1000000ULL, .unread_unknown = 1 },
	};
	struct cap c;
	char *out;

	(void)state;
	conn_closed_v4(&a);
	a.closed = false;
	a.state = TL_CLOSE_WAIT;
	a.cw_alerts = 1;
	cap_open(&c, &sink_json_ops, false);
	assert_int_equal(sink_alert(c.s, &al), 0);
	al.unread_bytes = -1;
	a.owner_known = false;
	a.preexisting = true;
	assert_int_equal(sink_alert(c.s, &al), 0);
	assert_int_equal(sink_cw_summary(c.s, p, 2), 0);
	out = cap_close(&c);
	assert_string_equal(out,
		"{\"event\":\"close_wait\",\"pid\":1234,\"tid\":1235,\"fd\":5,\"cgroup\":4242,"
		"\"comm\":\"curl\",\"laddr\":\"10.0.0.1\",\"lport\":45678,\"raddr\":\"93.184.216.34\","
		"\"rport\":443,\"close_wait_ms\":1250.000,\"unread_bytes\":101,\"seen_from\":\"birth\","
		"\"alert\":1}\n"
		"{\"event\":\"close_wait\",\"pid\":null,\"tid\":null,\"fd\":null,\"cgroup\":null,"
		"\"comm\":null,\"laddr\":\"10.0.0.1\",\"lport\":45678,\"raddr\":\"93.184.216.34\","
		"\"rport\":443,\"close_wait_ms\":1250.000,\"unread_bytes\":null,"
		"\"seen_from\":\"preexisting\",\"alert\":1}\n"
		"{\"event\":\"close_wait_summary\",\"pid\":1234,\"comm\":\"curl\",\"sockets\":3,"
		"\"oldest_ms\":5000.000,\"unread_bytes\":101,\"unread_unknown\":0}\n"
		"{\"event\":\"close_wait_summary\",\"pid\":99,\"comm\":\"=x\",\"sockets\":1,"
		"\"oldest_ms\":1.000,\"unread_bytes\":0,\"unread_unknown\":1}\n");
	free(out);

	a.owner_known = true;
	al.unread_bytes = 0;
	cap_open(&c, &sink_text_ops, false);
	assert_int_equal(sink_alert(c.s, &al), 0);
	assert_int_equal(sink_cw_summary(c.s, p, 1), 0);
	out = cap_close(&c);
	assert_string_equal(out, TEXT_HEADER
		"# CLOSE_WAIT >= 1250.000 ms: pid 1234 tid 1235 comm curl fd 5 10.0.0.1:45678 <- "
		"93.184.216.34:443; unread 0 bytes: it read the EOF and did not close\n"
		"# CLOSE_WAIT by process:\n"
		"#       PID COMM             SOCKETS      OLDEST_MS UNREAD_BYTES\n"
		"#      1234 curl                   3       5000.000          101\n");
	free(out);
}

/* --state: an open connection by its state, a closed one by its path. */
static void test_state_filter(void **state)
{
	struct conn a, b;

	(void)state;
	conn_closed_v4(&a);
	conn_open_v6(&b);
	assert_true(conn_in_states(&a, 0));
	assert_true(conn_in_states(&a, 1u << TL_FIN_WAIT2));
	assert_false(conn_in_states(&a, 1u << TL_CLOSE_WAIT));
	assert_true(conn_in_states(&b, 1u << TL_ESTABLISHED));
	assert_false(conn_in_states(&b, 1u << TL_SYN_RECV)); /* on its path, but not now */
	assert_int_equal(state_parse("close-wait"), TL_CLOSE_WAIT);
	assert_int_equal(state_parse("CLOSE_WAIT"), TL_CLOSE_WAIT);
	assert_int_equal(state_parse("Established"), TL_ESTABLISHED);
	assert_int_equal(state_parse("close wait"), -EINVAL);
	assert_int_equal(state_parse("close-wait-and-then-some-more"), -EINVAL);
}

/* --batch, driven as main's loop drives it: the tick only asks for a
 * snapshot, the rows are handed over, and each step does a bounded part of
 * the work, so the loop reads the ring buffer in between; the sink never
 * reads the table or the ring buffer itself (sink_ops has no way to). */
static void test_batch_snapshot_in_steps(void **state)
{
	enum { N = 2 * VIEW_STEP_ROWS + 5 };
	const struct sink_opts o = { .tc = &tc, .interval_ms = 3600000 }; /* never stretched */
	const struct view_stats st = { .records = 7, .start_ns = T0, .tiers = "state: tracepoint" };
	struct conn *c = calloc(N, sizeof(*c));
	uint64_t now = mono_now_ns();
	size_t printed = 0, steps = 0, grew = 0, lines = 0;
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sink *s;
	int rc;

	(void)state;
	assert_non_null(c);
	assert_non_null(f);
	s = sink_open_file(&sink_batch_ops, f, &o);
	assert_non_null(s);
	assert_int_equal(sink_tick(s, now), 0);
	assert_true(s->snapping);
	sink_snap_begin(s, &st, now); /* the snapshot's cost is measured from here */
	for (int i = 0; i < N; i++) {
		conn_open_v6(&c[i]);
		c[i].skaddr = 0x1000 + (uint64_t)i;
		c[i].state_entered_ns = T0 + (uint64_t)i * 1000;
		sink_snap_row(s, &c[i]);
	}
	while ((rc = sink_snap_step(s)) == SINK_MORE) {
		fflush(f);
		grew += len > printed;
		printed = len;
		steps++;
	}
	assert_int_equal(rc, 0);
	assert_false(s->snapping);
	/* Select, the sort's 3 runs and 2 passes of N rows merged, then the
	 * header and the rows printed a part at a time, not all at once. */
	assert_true(steps >= 1 + 3 + 2 * (N / VIEW_STEP_ROWS) + 2);
	assert_true(grew >= 3);
	/* Not due again before -i. */
	assert_int_equal(sink_tick(s, now + 1), 0);
	assert_false(s->snapping);
	assert_int_equal(sink_close(s), 0);
	assert_int_equal(fclose(f), 0);
	/* Header (6 lines and a blank), column head, the rows oldest in
	 * state first, a blank line. */
	for (p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 6 + 1 + 1 + N + 1);
	assert_non_null(strstr(buf, "hooks: state: tracepoint\n"));
	assert_non_null(strstr(buf, "\n\nPID "));
	free(buf);
	free(c);
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* A metrics sink writing DIR/m.prom in a new temporary DIR. */
static struct sink *metrics_file_sink(char *dir, char *path, size_t n, struct options *opt,
				      const struct sink_opts *o)
{
	struct sink *s;

	assert_non_null(mkdtemp(dir));
	snprintf(path, n, "%s/m.prom", dir);
	opt->metrics_file = path;
	s = sink_metrics_open(o);
	assert_non_null(s);
	return s;
}

/* The metrics sink with --metrics-file: a file of zeros at once, the
 * records and a walk at each interval, the other outputs' losses, and at
 * exit the open rows and the summary's totals. */
static void test_metrics_file(void **state)
{
	char dir[] = "/tmp/tl-metrics-XXXXXX", path[64];
	struct options opt = { .max_ports = 64 };
	const struct sink_opts o = { .tc = &tc, .interval_ms = 1000, .opts = &opt };
	struct view_stats st = { .rb_drops = 2 };
	struct summary sum = { .rb_drops = 3, .not_written = 7 };
	struct conn closed, open;
	uint64_t now = mono_now_ns();
	struct sink *s;

	(void)state;
	s = metrics_file_sink(dir, path, sizeof(path), &opt, &o);
	assert_non_null(strstr(slurp(path), "tcplife_connections_closed_total{role=\"active\",close_cause=\"fin\"} 0\n"));
	conn_closed_v4(&closed);
	conn_open_v6(&open);
	open.skaddr = 0x1000;
	assert_int_equal(sink_conn(s, &closed), 0);
	assert_int_equal(sink_tick(s, now), 0);
	assert_true(s->snapping);
	sink_snap_begin(s, &st, now);
	sink_snap_row(s, &open);
	assert_int_equal(sink_snap_step(s), 0);
	assert_non_null(strstr(slurp(path), "tcplife_connections_closed_total{role=\"active\",close_cause=\"fin\"} 1\n"));
	assert_non_null(strstr(slurp(path), "tcplife_open_connections{state=\"established\"} 1\n"));
	assert_non_null(strstr(slurp(path), "tcplife_records_lost_total{reason=\"ringbuf_full\"} 2\n"));
	/* Not due again before -i; then with what the other outputs lost. */
	assert_int_equal(sink_tick(s, now + 1), 0);
	assert_false(s->snapping);
	sink_metrics_lost_output(s, 5);
	assert_int_equal(sink_tick(s, now + 1000000000ULL), 0);
	assert_true(s->snapping);
	sink_snap_begin(s, &st, now + 1000000000ULL);
	assert_int_equal(sink_snap_step(s), 0);
	assert_non_null(strstr(slurp(path), "tcplife_records_lost_total{reason=\"output\"} 5\n"));
	assert_non_null(strstr(slurp(path), "tcplife_open_connections{state=\"established\"} 0\n"));
	/* The exit: the open rows as records, then the summary's totals. */
	assert_int_equal(sink_conn(s, &open), 0);
	assert_int_equal(sink_summary(s, &sum), 0);
	assert_non_null(strstr(slurp(path), "tcplife_open_connections{state=\"established\"} 1\n"));
	assert_non_null(strstr(slurp(path), "tcplife_records_lost_total{reason=\"ringbuf_full\"} 3\n"));
	assert_non_null(strstr(slurp(path), "tcplife_records_lost_total{reason=\"output\"} 7\n"));
	assert_int_equal(sink_close(s), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left */
}

/* The exit's file cannot be written: an output error, not a silent stale
 * file (a write that failed mid-run is retried at the next interval). */
static void test_metrics_file_final_error(void **state)
{
	char dir[] = "/tmp/tl-metrics-XXXXXX", path[64];
	struct options opt = { .max_ports = 64 };
	const struct sink_opts o = { .tc = &tc, .interval_ms = 1000, .opts = &opt };
	struct summary sum = {};
	struct sink *s;

	(void)state;
	s = metrics_file_sink(dir, path, sizeof(path), &opt, &o);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(sink_summary(s, &sum), -ENOENT);
	assert_int_equal(sink_close(s), -ENOENT);
}

/* The metrics alone take no stdout sink (a daemon); with -b they do. */
static void test_metrics_only_no_stdout(void **state)
{
	char dir[] = "/tmp/tl-metrics-XXXXXX", path[64];
	struct options opt = { .max_ports = 64 };
	struct outputs out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	opt.metrics_file = path;
	assert_int_equal(outputs_open(&out, &opt, &tc), 0);
	assert_int_equal(out.n, 1);
	assert_ptr_equal(out.sinks[0], out.metrics);
	assert_int_equal(outputs_close(&out), 0);
	opt.batch = true;
	assert_int_equal(outputs_open(&out, &opt, &tc), 0);
	assert_int_equal(out.n, 2);
	assert_ptr_equal(out.sinks[0]->ops, &sink_batch_ops);
	assert_int_equal(outputs_close(&out), 0);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	/* A directory that cannot take the file: refused at the start. */
	opt.metrics_file = "/nonexistent-dir/m.prom";
	assert_int_equal(outputs_open(&out, &opt, &tc), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_rows),
		cmocka_unit_test(test_csv_hostile_comm),
		cmocka_unit_test(test_csv_no_summary_no_transitions),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_text_wide),
		cmocka_unit_test(test_text_worst_case_width),
		cmocka_unit_test(test_stream_lines),
		cmocka_unit_test(test_text_summary_loss),
		cmocka_unit_test(test_fit_helpers),
		cmocka_unit_test(test_endpoint_path),
		cmocka_unit_test(test_summary_output_error),
		cmocka_unit_test(test_summary_owners_lost),
		cmocka_unit_test(test_summary_connect_untraced),
		cmocka_unit_test(test_sink_reopen),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_file_and_stdout),
		cmocka_unit_test(test_close_wait_alert_and_summary),
		cmocka_unit_test(test_state_filter),
		cmocka_unit_test(test_batch_snapshot_in_steps),
		cmocka_unit_test(test_metrics_file),
		cmocka_unit_test(test_metrics_file_final_error),
		cmocka_unit_test(test_metrics_only_no_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
