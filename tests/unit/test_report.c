// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* report_csv.c, report_json.c, report_row.c and report_stats.c: the CSV
 * splitter, headers by name, malformed lines, and the counts, percentiles,
 * groups and top processes against values computed by hand. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "report_csv.h"
#include "report_json.h"
#include "report_stats.h"

#define MS 1000000ULL

/* Feed lines to a fresh CSV reader; returns the first error's status. */
static int feed_csv(struct rep_stats *s, const char *const *lines, char *err, size_t errsz)
{
	struct csv_in c;

	csv_in_init(&c);
	for (size_t i = 0; lines[i]; i++) {
		char buf[1024];
		int rc;

		snprintf(buf, sizeof(buf), "%s", lines[i]);
		rc = csv_line(&c, buf, s, err, errsz);
		if (rc)
			return rc;
	}
	return 0;
}

/* The result of computing over lines, a CSV that must read. */
static struct rep_stats *csv_result(const char *const *lines, enum rep_by by,
				    struct rep_result *res)
{
	struct rep_stats *s = rep_new();
	char err[256] = "";

	if (feed_csv(s, lines, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(rep_compute(s, by, -1, 20, res), 0);
	return s;
}

static void test_split(void **state)
{
	char line[128], *f[8];
	unsigned int n;

	(void)state;
	snprintf(line, sizeof(line), "a,,\"b,c\",\"say \"\"hi\"\"\",\"\",");
	assert_null(csv_split(line, f, 8, &n));
	assert_int_equal(n, 6);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "");
	assert_string_equal(f[2], "b,c");
	assert_string_equal(f[3], "say \"hi\"");
	assert_string_equal(f[4], "");
	assert_string_equal(f[5], "");

	snprintf(line, sizeof(line), "plain");
	assert_null(csv_split(line, f, 8, &n));
	assert_int_equal(n, 1);

	snprintf(line, sizeof(line), "a,\"open");
	assert_string_equal(csv_split(line, f, 8, &n), "a quoted field is not closed");
	snprintf(line, sizeof(line), "\"x\"y,b");
	assert_string_equal(csv_split(line, f, 8, &n), "text after a closing quote");
	snprintf(line, sizeof(line), "x\"y");
	assert_string_equal(csv_split(line, f, 8, &n), "a quote inside an unquoted field");
	snprintf(line, sizeof(line), "1,2,3");
	assert_string_equal(csv_split(line, f, 2, &n), "too many fields");
}

/* Reordered columns, ones this version does not know at the end and in
 * between, a quoted comm with the formula prefix and an escaped byte. */
static void test_header_by_name(void **state)
{
	static const char *const lines[] = {
		"close_wait_ms,mystery,close_cause,comm,pid,role,lport,rport,rst_sent,data_retrans,extra,more",
		"500.250,x,fin,\"'=calc\",7,passive,8080,5555,1,2,,",
		"1.000,\"a,b\",rst_sent,a\\x1bb,8,active,5555,8080,0,0,z,\"q\"\"\"",
		NULL,
	};
	struct rep_result res;
	struct rep_stats *s = csv_result(lines, REP_BY_COMM, &res);

	(void)state;
	assert_true(res.rows == 2);
	assert_int_equal(res.n_groups, 2);
	/* Ties by key: "=calc" sorts before "a\x1bb". */
	assert_string_equal(res.groups[0].key, "=calc");
	assert_string_equal(res.groups[1].key, "a\x1b" "b");
	assert_int_equal(res.groups[0].n_st, 1);
	assert_true(res.groups[0].st[0].max_ns == 500250000ULL);
	assert_int_equal(res.n_top[REP_TOP_RETRANS], 1);
	assert_true(res.top[REP_TOP_RETRANS][0].value == 2);
	assert_true(res.top[REP_TOP_RETRANS][0].pid == 7);
	assert_true(res.top[REP_TOP_RESETS][0].value == 1);
	rep_result_free(&res);
	rep_free(s);
}

static void add_row(struct rep_stats *s, const char *cause, uint64_t cw_ns, uint32_t pid,
		    const char *comm, uint8_t role, uint16_t lport, uint16_t rport)
{
	struct rep_row r;

	rep_row_init(&r);
	snprintf(r.cause, sizeof(r.cause), "%s", cause);
	r.open = !strcmp(cause, "open");
	r.ns[TL_CLOSE_WAIT] = cw_ns;
	r.measured = 1u << TL_CLOSE_WAIT;
	r.ns[TL_ESTABLISHED] = 5 * MS;
	r.measured |= 1u << TL_ESTABLISHED;
	r.owner_known = true;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	r.role = role;
	r.lport = lport;
	r.rport = rport;
	assert_int_equal(rep_add(s, &r), 0);
}

/* Ten CLOSE_WAITs of 100..1000 ms: nearest rank p50 is the 5th (500),
 * p90 the 9th (900), p99 the 10th (ceil(9.9)); the open row counts in
 * the top processes only. */
static void test_percentiles_counts(void **state)
{
	struct rep_stats *s = rep_new();
	struct rep_result res;

	(void)state;
	for (int i = 10; i >= 1; i--)
		add_row(s, i <= 7 ? "fin" : "rst_recv", (uint64_t)i * 100 * MS, 10, "srv",
			ROLE_PASSIVE, 80, 1000);
	add_row(s, "open", 5000 * MS, 11, "leak", ROLE_PASSIVE, 80, 1001);
	rep_skip(s);
	assert_int_equal(rep_compute(s, REP_BY_NONE, TL_CLOSE_WAIT, 20, &res), 0);
	assert_true(res.rows == 11 && res.open == 1 && res.skipped == 1);
	assert_int_equal(res.n_groups, 1);
	assert_int_equal(res.groups[0].rows, 10);
	assert_int_equal(res.groups[0].n_st, 1); /* --state: ESTABLISHED left out */
	assert_int_equal(res.groups[0].st[0].state, TL_CLOSE_WAIT);
	assert_int_equal(res.groups[0].st[0].count, 10);
	assert_true(res.groups[0].st[0].p50_ns == 500 * MS);
	assert_true(res.groups[0].st[0].p90_ns == 900 * MS);
	assert_true(res.groups[0].st[0].p99_ns == 1000 * MS);
	assert_true(res.groups[0].st[0].max_ns == 1000 * MS);
	/* (65536, 131072] us: 100 ms; (131072, 262144]: 200; (262144, 524288]:
	 * 300..500; (524288, 1048576]: 600..1000. */
	assert_true(res.groups[0].st[0].h.b[17] == 1);
	assert_true(res.groups[0].st[0].h.b[18] == 1);
	assert_true(res.groups[0].st[0].h.b[19] == 3);
	assert_true(res.groups[0].st[0].h.b[20] == 5);
	assert_int_equal(res.n_causes, 2);
	assert_string_equal(res.causes[0].name, "fin");
	assert_true(res.causes[0].count == 7);
	assert_string_equal(res.causes[1].name, "rst_recv");
	assert_true(res.causes[1].count == 3);
	assert_int_equal(res.n_top[REP_TOP_CLOSE_WAIT], 2);
	assert_string_equal(res.top[REP_TOP_CLOSE_WAIT][0].comm, "srv");
	assert_true(res.top[REP_TOP_CLOSE_WAIT][0].value == 5500 * MS);
	assert_string_equal(res.top[REP_TOP_CLOSE_WAIT][1].comm, "leak");
	assert_int_equal(res.n_top[REP_TOP_RETRANS], 0); /* zeros are left out */
	rep_result_free(&res);
	rep_free(s);
}

/* Ports: the local one for passive rows, the remote one for active rows;
 * most rows first, ties by key, past the cap one "other". */
static void test_groups_cap(void **state)
{
	struct rep_stats *s = rep_new();
	struct rep_result res;

	(void)state;
	add_row(s, "fin", MS, 1, "a", ROLE_PASSIVE, 443, 40000);
	add_row(s, "fin", MS, 1, "a", ROLE_ACTIVE, 40001, 443);
	add_row(s, "fin", MS, 1, "a", ROLE_PASSIVE, 80, 40002);
	add_row(s, "fin", MS, 1, "a", ROLE_PASSIVE, 80, 40003);
	add_row(s, "fin", MS, 1, "a", ROLE_ACTIVE, 40004, 80);
	add_row(s, "fin", MS, 1, "a", ROLE_ACTIVE, 40005, 25);
	add_row(s, "fin", 2 * MS, 1, "a", ROLE_PASSIVE, 22, 40006);
	assert_int_equal(rep_compute(s, REP_BY_PORT, -1, 2, &res), 0);
	assert_int_equal(res.n_groups, 3);
	assert_string_equal(res.groups[0].key, "80");
	assert_int_equal(res.groups[0].rows, 3);
	assert_string_equal(res.groups[1].key, "443");
	assert_int_equal(res.groups[1].rows, 2);
	assert_true(res.groups[2].other);
	assert_string_equal(res.groups[2].key, "other");
	assert_int_equal(res.groups[2].rows, 2);
	assert_true(res.groups[2].st[1].state == TL_CLOSE_WAIT);
	assert_true(res.groups[2].st[1].max_ns == 2 * MS);
	rep_result_free(&res);
	assert_int_equal(rep_compute(s, REP_BY_PORT, -1, 4, &res), 0);
	assert_int_equal(res.n_groups, 4);
	assert_string_equal(res.groups[2].key, "22"); /* 1 row each: by key */
	assert_string_equal(res.groups[3].key, "25");
	assert_false(res.groups[3].other);
	rep_result_free(&res);
	rep_free(s);
}

/* The tool writes 0.000 for the states a connection never entered: only
 * the path's states count, or, past a truncated path, times above 0. */
static void test_path_states(void **state)
{
	static const char *const lines[] = {
		"close_cause,syn_sent_ms,established_ms,fin_wait1_ms,close_wait_ms,time_wait_ms,path",
		"fin,0.000,0.000,0.000,1.500,0.000,ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE",
		"fin,0.000,2.000,0.000,0.000,3.000,SYN_SENT>ESTABLISHED>...",
		NULL,
	};
	struct rep_result res;
	struct rep_stats *s = csv_result(lines, REP_BY_NONE, &res);

	(void)state;
	assert_int_equal(res.groups[0].n_st, 4);
	assert_int_equal(res.groups[0].st[0].state, TL_SYN_SENT);
	assert_int_equal(res.groups[0].st[0].count, 1);
	assert_int_equal(res.groups[0].st[1].state, TL_ESTABLISHED);
	assert_int_equal(res.groups[0].st[1].count, 2); /* a 0.000 in the path counts */
	assert_true(res.groups[0].st[1].p50_ns == 0);
	assert_int_equal(res.groups[0].st[2].state, TL_CLOSE_WAIT);
	assert_int_equal(res.groups[0].st[2].count, 1);
	assert_int_equal(res.groups[0].st[3].state, TL_TIME_WAIT); /* past the "..." */
	assert_int_equal(res.groups[0].st[3].count, 1);
	rep_result_free(&res);
	rep_free(s);
}

static void expect_csv_error(const char *const *lines, const char *want)
{
	struct rep_stats *s = rep_new();
	char err[256] = "";

	assert_int_equal(feed_csv(s, lines, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	rep_free(s);
}

static void test_malformed_csv(void **state)
{
	static const char *const fields[] = { "close_cause,close_wait_ms", "fin,1.0,extra", NULL };
	static const char *const ms[] = { "close_cause,close_wait_ms", "fin,1.0", "fin,12ms", NULL };
	static const char *const cause[] = { "pid,comm", "1,x", NULL };
	static const char *const twice[] = { "close_cause,pid,pid", NULL };
	static const char *const port[] = { "close_cause,lport", "fin,65536", NULL };
	static const char *const role[] = { "close_cause,role", "fin,sideways", NULL };
	static const char *const path[] = { "close_cause,path", "fin,ESTABLISHED>LOST", NULL };
	static const char *const hostile[] = { "close_cause", "\x1b]0;x", NULL };

	(void)state;
	expect_csv_error(fields, "3 fields, the header has 2");
	expect_csv_error(ms, "invalid close_wait_ms '12ms'");
	expect_csv_error(cause, "no close_cause column");
	expect_csv_error(twice, "pid appears twice");
	expect_csv_error(port, "invalid lport");
	expect_csv_error(role, "invalid role");
	expect_csv_error(path, "invalid path");
	expect_csv_error(hostile, "invalid close_cause '\\x1b]0;x'"); /* shown escaped */
}

static void test_json_lines(void **state)
{
	struct rep_stats *s = rep_new();
	struct rep_result res;
	char err[256] = "";

	(void)state;
	assert_int_equal(json_line("{\"event\":\"conn\",\"pid\":3,\"comm\":\"x\",\"close_cause\":"
				   "\"fin\",\"close_wait_ms\":501.234,\"syn_sent_ms\":null,"
				   "\"new_field\":[1],\"other_holders\":[]}", s, err, sizeof(err)), 0);
	assert_int_equal(json_line("{\"event\":\"summary\",\"records\":3}", s, err, sizeof(err)), 0);
	assert_int_equal(json_line("{\"event\":\"close_wait\",\"pid\":3}", s, err, sizeof(err)), 0);
	assert_int_equal(json_line("{\"event\":\"conn\",\"close_cause\":\"fin\"", s, err,
				   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(json_line("{\"event\":\"conn\",\"pid\":1}", s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "without close_cause"));
	assert_int_equal(json_line("{\"event\":\"conn\",\"close_cause\":\"fin\",\"close_wait_ms\":"
				   "\"soon\"}", s, err, sizeof(err)), -EINVAL);
	assert_int_equal(json_line("[1,2]", s, err, sizeof(err)), -EINVAL);
	assert_int_equal(rep_compute(s, REP_BY_NONE, -1, 20, &res), 0);
	assert_true(res.rows == 1 && res.skipped == 2);
	assert_true(res.groups[0].st[0].state == TL_CLOSE_WAIT);
	assert_true(res.groups[0].st[0].p50_ns == 501234 * 1000ULL);
	rep_result_free(&res);
	rep_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_header_by_name),
		cmocka_unit_test(test_percentiles_counts),
		cmocka_unit_test(test_groups_cap),
		cmocka_unit_test(test_path_states),
		cmocka_unit_test(test_malformed_csv),
		cmocka_unit_test(test_json_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
