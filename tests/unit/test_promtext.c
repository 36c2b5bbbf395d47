// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* promtext.c: the exposition of a fixed input, byte for byte, in both
 * formats; label values from hostile process names; the "other" port;
 * content negotiation. promtool and a Prometheus server accept this text
 * (see the issue 17 report); here it is pinned so it cannot drift. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "conn_acct.h"
#include "lsnagg.h"
#include "promtext.h"

static void set_path(struct conn *c, const uint8_t *p, size_t n)
{
	memcpy(c->path, p, n);
	c->path_len = (uint8_t)n;
}

/* Two passive connections to port 8080 that left ESTABLISHED after 1 us
 * (the first bucket's edge, inside it) and 1.5 s; one active connection
 * open in CLOSE_WAIT for 2.5 s owned by nginx, with 3 data retransmits and
 * a reset sent; 2 SYN-ACK orphans; 7 records not written. Listeners (one
 * port label): two listings of 8080 on IPv4 (2 waiting, backlog 1, 5 then
 * 9 drops) and IPv6 (backlog 128, a request), and 9090 ("other") with 3
 * drops in the first only: gone, its 3 stay counted, no gauges. */
static void listing(struct agg *a, int64_t drops_v4, bool with_9090)
{
	struct lsnagg *la = agg_listeners(a);
	struct lsn l = { .netns = 7, .inode = 1, .t.sport = 8080, .accept_queue = 2, .backlog = 1 };

	lsnagg_begin(la);
	l.drops = drops_v4;
	lsnagg_row(la, &l);
	l = (struct lsn){ .netns = 7, .inode = 2, .t.sport = 8080, .backlog = 128, .syn_queue = 1 };
	lsnagg_row(la, &l);
	if (with_9090) {
		l = (struct lsn){ .netns = 7, .inode = 3, .t.sport = 9090, .backlog = 4, .drops = 3 };
		lsnagg_row(la, &l);
	}
	lsnagg_end(la);
}

static struct agg *fixture(void)
{
	static const uint8_t p[] = { TL_SYN_RECV, TL_ESTABLISHED, TL_FIN_WAIT1, TL_CLOSE };
	struct agg *a = agg_new(1);
	struct conn c = { .role = ROLE_PASSIVE, .closed = true, .cause = CAUSE_FIN };
	struct conn o = { .role = ROLE_ACTIVE, .state = TL_CLOSE_WAIT, .owner_known = true,
			  .state_entered_ns = 500000000, .data_retrans = 3, .rst_sent = 1 };

	assert_non_null(a);
	set_path(&c, p, sizeof(p));
	c.unmeasured = TL_BIT(TL_SYN_RECV) | TL_BIT(TL_FIN_WAIT1);
	c.tuple.sport = 8080;
	c.state_ns[TL_ESTABLISHED] = 1000;
	agg_closed(a, &c);
	c.skaddr = 1;
	c.state_ns[TL_ESTABLISHED] = 1500000000;
	c.cause = CAUSE_RST_RECV;
	agg_closed(a, &c);
	memcpy(o.owner.comm, "nginx", 5);
	agg_open_begin(a);
	agg_open_row(a, &o, 3000000000ULL);
	agg_open_end(a);
	agg_set_synack_orphans(a, 2);
	agg_set_lost(a, AGG_LOST_OUTPUT, 7);
	agg_connect_error(a, ECONNREFUSED);
	for (int i = 0; i < 3; i++)
		agg_connect_error(a, EADDRNOTAVAIL);
	agg_connect_error(a, 0);                 /* no errno: not counted */
	agg_connect_error(a, AGG_ERRNO_MAX + 1); /* out of range: not counted */
	assert_int_equal(agg_listen_enable(a), 0);
	listing(a, 5, true);
	listing(a, 9, false);
	return a;
}

/* By errno, in increasing order: EADDRNOTAVAIL (99) before ECONNREFUSED (111). */
#define CONNERR_SAMPLES \
	"tcplife_connect_errors_total{error=\"EADDRNOTAVAIL\"} 3\n" \
	"tcplife_connect_errors_total{error=\"ECONNREFUSED\"} 1\n"

#define DUR_SAMPLES \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000001\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000002\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000004\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000008\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000016\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000032\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000064\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000128\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000256\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.000512\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.001024\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.002048\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.004096\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.008192\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.016384\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.032768\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.065536\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.131072\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.262144\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"0.524288\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"1.048576\"} 1\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"2.097152\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"4.194304\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"8.388608\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"16.777216\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"33.554432\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"67.108864\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"134.217728\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"268.435456\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"536.870912\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"1073.741824\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"2147.483648\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"4294.967296\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"8589.934592\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"17179.869184\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"34359.738368\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"68719.476736\"} 2\n" \
	"tcplife_state_duration_seconds_bucket{state=\"established\",role=\"passive\",port=\"8080\",le=\"+Inf\"} 2\n" \
	"tcplife_state_duration_seconds_sum{state=\"established\",role=\"passive\",port=\"8080\"} 1.500001\n" \
	"tcplife_state_duration_seconds_count{state=\"established\",role=\"passive\",port=\"8080\"} 2\n"
#define CLOSED_SAMPLES \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"fin\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"rst_sent\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"rst_recv\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"refused\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"syn_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"abort\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"lost\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"fin_wait2_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"tw_reuse\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"tw_overflow\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"tw_killed\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"synack_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"active\",close_cause=\"netns_gone\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"fin\"} 1\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"rst_sent\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"rst_recv\"} 1\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"refused\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"syn_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"abort\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"lost\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"fin_wait2_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"tw_reuse\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"tw_overflow\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"tw_killed\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"synack_timeout\"} 0\n" \
	"tcplife_connections_closed_total{role=\"passive\",close_cause=\"netns_gone\"} 0\n"
#define OPEN_FAMILY \
	"# HELP tcplife_open_connections Connections open at the last walk of the table, by state.\n" \
	"# TYPE tcplife_open_connections gauge\n" \
	"tcplife_open_connections{state=\"established\"} 0\n" \
	"tcplife_open_connections{state=\"syn_sent\"} 0\n" \
	"tcplife_open_connections{state=\"syn_recv\"} 0\n" \
	"tcplife_open_connections{state=\"fin_wait1\"} 0\n" \
	"tcplife_open_connections{state=\"fin_wait2\"} 0\n" \
	"tcplife_open_connections{state=\"time_wait\"} 0\n" \
	"tcplife_open_connections{state=\"close_wait\"} 1\n" \
	"tcplife_open_connections{state=\"last_ack\"} 0\n" \
	"tcplife_open_connections{state=\"closing\"} 0\n"
#define RTX_SAMPLES \
	"tcplife_retransmits_total{kind=\"syn\"} 0\n" \
	"tcplife_retransmits_total{kind=\"synack\"} 2\n" \
	"tcplife_retransmits_total{kind=\"fin\"} 0\n" \
	"tcplife_retransmits_total{kind=\"data\"} 3\n"
#define RST_SAMPLES \
	"tcplife_resets_total{direction=\"sent\"} 1\n" \
	"tcplife_resets_total{direction=\"received\"} 0\n"
#define CW_SOCKETS_FAMILY \
	"# HELP tcplife_close_wait_sockets Sockets in CLOSE_WAIT at the last walk, by owning process name.\n" \
	"# TYPE tcplife_close_wait_sockets gauge\n" \
	"tcplife_close_wait_sockets{comm=\"nginx\"} 1\n"
#define CW_OLDEST_SAMPLES \
	"tcplife_close_wait_oldest_seconds{comm=\"nginx\"} 2.5\n"
#define LISTEN_GAUGES \
	"# HELP tcplife_listen_accept_queue Connections waiting for accept() at the last listing, by listening port.\n" \
	"# TYPE tcplife_listen_accept_queue gauge\n" \
	"tcplife_listen_accept_queue{port=\"8080\"} 2\n" \
	"# HELP tcplife_listen_backlog Accept queue limits, min(listen() backlog, somaxconn), at the last listing, by listening port.\n" \
	"# TYPE tcplife_listen_backlog gauge\n" \
	"tcplife_listen_backlog{port=\"8080\"} 129\n" \
	"# HELP tcplife_listen_syn_queue Request sockets (half-open handshakes) at the last listing, by listening port.\n" \
	"# TYPE tcplife_listen_syn_queue gauge\n" \
	"tcplife_listen_syn_queue{port=\"8080\"} 1\n"
#define LISTEN_DROPS \
	"tcplife_listen_drops_total{port=\"8080\"} 9\n" \
	"tcplife_listen_drops_total{port=\"other\"} 3\n"
#define LOST_SAMPLES \
	"tcplife_records_lost_total{reason=\"ringbuf_full\"} 0\n" \
	"tcplife_records_lost_total{reason=\"map_full\"} 0\n" \
	"tcplife_records_lost_total{reason=\"bad_record\"} 0\n" \
	"tcplife_records_lost_total{reason=\"stale\"} 0\n" \
	"tcplife_records_lost_total{reason=\"missed_run\"} 0\n" \
	"tcplife_records_lost_total{reason=\"gap\"} 0\n" \
	"tcplife_records_lost_total{reason=\"output\"} 7\n"

#define DUR_HEAD \
	"# HELP tcplife_state_duration_seconds Time connections spent in each state they left, by role and service port.\n" \
	"# TYPE tcplife_state_duration_seconds histogram\n"
#define CW_OLDEST_HEAD \
	"# HELP tcplife_close_wait_oldest_seconds Age of the oldest CLOSE_WAIT socket at the last walk, by owning process name.\n" \
	"# TYPE tcplife_close_wait_oldest_seconds gauge\n"

static const char text_expected[] =
	DUR_HEAD
	DUR_SAMPLES
	"# HELP tcplife_connections_closed_total Connections that ended, by role and close cause.\n"
	"# TYPE tcplife_connections_closed_total counter\n"
	CLOSED_SAMPLES
	OPEN_FAMILY
	"# HELP tcplife_retransmits_total Retransmitted segments by kind: SYN, SYN-ACK, FIN, data.\n"
	"# TYPE tcplife_retransmits_total counter\n"
	RTX_SAMPLES
	"# HELP tcplife_resets_total Resets sent and received.\n"
	"# TYPE tcplife_resets_total counter\n"
	RST_SAMPLES
	CW_SOCKETS_FAMILY
	CW_OLDEST_HEAD
	CW_OLDEST_SAMPLES
	"# HELP tcplife_connect_errors_total connect() calls that failed, once per attempt, by errno.\n"
	"# TYPE tcplife_connect_errors_total counter\n"
	CONNERR_SAMPLES
	LISTEN_GAUGES
	"# HELP tcplife_listen_drops_total Handshakes the listeners dropped (their sk_drops), by listening port.\n"
	"# TYPE tcplife_listen_drops_total counter\n"
	LISTEN_DROPS
	"# HELP tcplife_records_lost_total Records the tracer could not use or write, by reason.\n"
	"# TYPE tcplife_records_lost_total counter\n"
	LOST_SAMPLES;

/* OpenMetrics: counter families named without _total, UNIT for seconds,
 * # EOF; the samples are the same. */
static const char om_expected[] =
	DUR_HEAD
	"# UNIT tcplife_state_duration_seconds seconds\n"
	DUR_SAMPLES
	"# HELP tcplife_connections_closed Connections that ended, by role and close cause.\n"
	"# TYPE tcplife_connections_closed counter\n"
	CLOSED_SAMPLES
	OPEN_FAMILY
	"# HELP tcplife_retransmits Retransmitted segments by kind: SYN, SYN-ACK, FIN, data.\n"
	"# TYPE tcplife_retransmits counter\n"
	RTX_SAMPLES
	"# HELP tcplife_resets Resets sent and received.\n"
	"# TYPE tcplife_resets counter\n"
	RST_SAMPLES
	CW_SOCKETS_FAMILY
	CW_OLDEST_HEAD
	"# UNIT tcplife_close_wait_oldest_seconds seconds\n"
	CW_OLDEST_SAMPLES
	"# HELP tcplife_connect_errors connect() calls that failed, once per attempt, by errno.\n"
	"# TYPE tcplife_connect_errors counter\n"
	CONNERR_SAMPLES
	LISTEN_GAUGES
	"# HELP tcplife_listen_drops Handshakes the listeners dropped (their sk_drops), by listening port.\n"
	"# TYPE tcplife_listen_drops counter\n"
	LISTEN_DROPS
	"# HELP tcplife_records_lost Records the tracer could not use or write, by reason.\n"
	"# TYPE tcplife_records_lost counter\n"
	LOST_SAMPLES
	"# EOF\n";

/* The text exposition of `a` (caller frees), checked to be one string. */
static char *render(const struct agg *a)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(promtext_render(a, PROM_TEXT, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, strlen(buf));
	return buf;
}

static void test_fixed_text(void **state)
{
	struct agg *a = fixture();
	char *buf = render(a);

	(void)state;
	assert_string_equal(buf, text_expected);
	free(buf);
	agg_free(a);
}

static void test_fixed_openmetrics(void **state)
{
	struct agg *a = fixture();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(promtext_write(f, a, PROM_OPENMETRICS), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, om_expected);
	free(buf);
	agg_free(a);
}

/* A process may name itself anything: control bytes, quotes, backslashes,
 * bytes that are not UTF-8. The label value is sanitized text (\xHH),
 * then escaped for the exposition: still one line, valid UTF-8. */
static void test_hostile_comm(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, TL_CLOSE_WAIT };
	struct agg *a = agg_new(4);
	struct conn o = { .role = ROLE_PASSIVE, .state = TL_CLOSE_WAIT, .owner_known = true };
	char *buf;

	(void)state;
	set_path(&o, p, sizeof(p));
	memcpy(o.owner.comm, "a\"b\\c\nd\x1b]0;\xff\xfe}zz", TL_COMM_LEN); /* 16: no NUL */
	agg_open_begin(a);
	agg_open_row(a, &o, 1500000000ULL);
	agg_open_end(a);
	buf = render(a);
	assert_non_null(strstr(buf, "\ntcplife_close_wait_sockets{comm=\"a\\\"b\\\\x5cc\\\\x0ad\\\\x1b]0;"
				    "\\\\xff\\\\xfe}zz\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcplife_close_wait_oldest_seconds{comm=\"a\\\"b\\\\x5cc"
				    "\\\\x0ad\\\\x1b]0;\\\\xff\\\\xfe}zz\"} 1.5\n"));
	for (const char *b = buf; *b; b++)
		assert_true(*b == '\n' || (*b >= 0x20 && *b < 0x7f));
	free(buf);
	agg_free(a);
}

/* Past max_ports, and for connections whose side is unknown: "other". */
static void test_other_port(void **state)
{
	static const uint8_t p[] = { TL_ESTABLISHED, TL_CLOSE };
	struct agg *a = agg_new(1);
	struct conn c = { .role = ROLE_ACTIVE, .closed = true, .cause = CAUSE_FIN };
	char *buf;

	(void)state;
	set_path(&c, p, sizeof(p));
	c.tuple.dport = 443;
	agg_closed(a, &c);
	c.tuple.dport = 22;
	agg_closed(a, &c);
	c.role = ROLE_UNKNOWN;
	agg_closed(a, &c);
	buf = render(a);
	assert_non_null(strstr(buf, "\ntcplife_state_duration_seconds_count{state=\"established\","
				    "role=\"active\",port=\"443\"} 1\n"
				    "tcplife_state_duration_seconds_bucket{state=\"established\","
				    "role=\"active\",port=\"other\",le=\"0.000001\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcplife_state_duration_seconds_count{state=\"established\","
				    "role=\"unknown\",port=\"other\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcplife_connections_closed_total{role=\"unknown\","
				    "close_cause=\"fin\"} 1\n"));
	assert_null(strstr(buf, "tcplife_listen")); /* no --listeners: no listener family */
	free(buf);
	agg_free(a);
}

static void test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(prom_negotiate(NULL), PROM_TEXT);
	assert_int_equal(prom_negotiate(""), PROM_TEXT);
	assert_int_equal(prom_negotiate("*/*"), PROM_TEXT);
	assert_int_equal(prom_negotiate("text/plain;version=0.0.4"), PROM_TEXT);
	/* Prometheus 2.42's header, as it sent it to a test server here. */
	assert_int_equal(prom_negotiate("application/openmetrics-text;version=1.0.0,"
					"application/openmetrics-text;version=0.0.1;q=0.75,"
					"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
			 PROM_OPENMETRICS);
	assert_int_equal(prom_negotiate("text/plain;q=0.5, Application/OpenMetrics-Text ; q=0.9"),
			 PROM_OPENMETRICS);
	/* Named but refused, or only a longer type that starts the same. */
	assert_int_equal(prom_negotiate("application/openmetrics-text;q=0, text/plain"), PROM_TEXT);
	assert_int_equal(prom_negotiate("application/openmetrics-text; q=0.000"), PROM_TEXT);
	assert_int_equal(prom_negotiate("application/openmetrics-textx"), PROM_TEXT);
	assert_string_equal(prom_content_type(PROM_TEXT), "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(prom_content_type(PROM_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_text),
		cmocka_unit_test(test_fixed_openmetrics),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_other_port),
		cmocka_unit_test(test_negotiate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
