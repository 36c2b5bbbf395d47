// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli_parse / parse_u32: strict numbers, repeatable filters, usage errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli.h"

static char errbuf[4096];

static int parse(struct options *o, const char *line)
{
	static char copy[512]; /* options keep pointers into argv */
	char *argv[32], *tok, *save = NULL;
	int argc = 0, rc;
	FILE *out = fopen("/dev/null", "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");

	snprintf(copy, sizeof(copy), "tcplife-states %s", line);
	for (tok = strtok_r(copy, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	memset(errbuf, 0, sizeof(errbuf));
	rc = cli_parse(argc, argv, o, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

static void test_parse_u32_strict(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(parse_u32("8080", 1, 65535, &v), 0);
	assert_int_equal(v, 8080);
	assert_int_equal(parse_u32("65535", 1, 65535, &v), 0);
	assert_int_equal(parse_u32("65536", 1, 65535, &v), -ERANGE);
	assert_int_equal(parse_u32("0", 1, 65535, &v), -ERANGE);
	assert_int_equal(parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("99999999999999999999", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
}

static void test_filters_repeat(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "-4 -L 80 -L 443 --rport 5432 -p 1 --pid 42"), CLI_RUN);
	assert_int_equal(o.family, 2);
	assert_int_equal(o.n_lports, 2);
	assert_int_equal(o.lports[1], 443);
	assert_int_equal(o.n_rports, 1);
	assert_int_equal(o.rports[0], 5432);
	assert_int_equal(o.n_pids, 2);
	assert_int_equal(o.pids[1], 42);
	assert_int_equal(o.max_conns, DEFAULT_MAX_CONNS);
	assert_int_equal(parse(&o, "-L 1 -L 2 -L 3 -L 4 -L 5 -L 6 -L 7 -L 8"), CLI_RUN);
	assert_int_equal(parse(&o, "-L 1 -L 2 -L 3 -L 4 -L 5 -L 6 -L 7 -L 8 -L 9"), -EINVAL);
}

static void test_outputs_and_control(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "--csv out.csv --json out.json -s -w -d 5 --max-conns 1048576 --ringbuf-mb 16"), CLI_RUN);
	assert_string_equal(o.csv_path, "out.csv");
	assert_string_equal(o.json_path, "out.json");
	assert_true(o.stream && o.wide);
	assert_int_equal(o.duration_s, 5);
	assert_int_equal(o.max_conns, 1048576);
	assert_int_equal(o.ringbuf_mb, 16);
	assert_int_equal(o.compact_after_s, DEFAULT_COMPACT_AFTER_S);
	assert_int_equal(parse(&o, "--compact-after 0"), CLI_RUN);
	assert_int_equal(o.compact_after_s, 0);
	assert_int_equal(parse(&o, "--compact-after 86400"), CLI_RUN);
	assert_int_equal(o.compact_after_s, 86400);
	assert_int_equal(parse(&o, "--compact-after 86401"), -EINVAL);
	assert_int_equal(parse(&o, "--compact-after -1"), -EINVAL);
	assert_int_equal(parse(&o, "--help"), CLI_DONE);
	assert_int_equal(parse(&o, "-V"), CLI_DONE);
	/* The live view's and --batch's options; -b may write beside a file. */
	assert_int_equal(parse(&o, "-b -i 2 -n 3 --csv out.csv"), CLI_RUN);
	assert_true(o.batch);
	assert_int_equal(o.interval_s, 2);
	assert_int_equal(o.count, 3);
	assert_int_equal(parse(&o, "-l -w --csv f.csv"), CLI_RUN);
	assert_true(o.lines && o.wide);
	assert_int_equal(parse(&o, "--interval 5 --count 1"), CLI_RUN);
	assert_false(o.batch);
	assert_int_equal(o.interval_s, 5);
	assert_int_equal(o.count, 1);
}

static void test_tier(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "-L 80"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_AUTO);
	assert_int_equal(parse(&o, "--tier auto"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_AUTO);
	assert_int_equal(parse(&o, "--tier fentry"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_FENTRY);
	assert_int_equal(parse(&o, "--tier kprobe --list-probes"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_KPROBE);
	assert_true(o.list_probes);
	assert_int_equal(parse(&o, "--tier=tracepoint"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_TRACEPOINT);
	/* The last one counts, as for every other single-valued option. */
	assert_int_equal(parse(&o, "--tier fentry --tier kprobe"), CLI_RUN);
	assert_int_equal(o.tier, FORCE_KPROBE);
	assert_int_equal(parse(&o, "--tier tp_btf"), -EINVAL);
	assert_non_null(strstr(errbuf, "invalid --tier 'tp_btf' (auto, fentry, kprobe or tracepoint)"));
	/* --no-syscall-hooks: off unless given, with --tier and --list-probes too. */
	assert_false(o.no_syscall_hooks);
	assert_int_equal(parse(&o, "--no-syscall-hooks --tier tracepoint --list-probes"), CLI_RUN);
	assert_true(o.no_syscall_hooks);
	assert_int_equal(o.tier, FORCE_TRACEPOINT);
	assert_int_equal(parse(&o, "--no-syscall-hooks=1"), -EINVAL);
}

/* Each usage error: -EINVAL and exactly one line on stderr. */
static void test_usage_errors(void **state)
{
	static const char *const bad[] = {
		"-L 0", "-L 65536", "-L http", "-D -5", "-p 0", "-p abc", "-d 0", "-d 1.5",
		"--ringbuf-mb 3", "--max-conns 10", "--bogus", "-L", "extra", "-4 -6",
		"--csv - --json -", "--csv", "--stream --csv -", "-s --json -",
		"-c 0123456789abcdef", "-c a -c b -c c -c d -c e", "--state listening",
		"--state", "--close-wait 0", "--close-wait x", "--cgroup /proc",
		"--cgroup /nonexistent", "--once -s", "--once -d 5",
		"--tier", "--tier Fentry", "--tier fentry,kprobe", "--tier inferred",
		"-i 0", "-i 1.5", "-i 3601", "-n 0", "-n -1", "-b -s", "-b --once", "-b --csv -",
		"-b --json -", "-n 2 --csv f.csv", "-i 2 -s", "-n 1 --once", "-l -s", "-l -b",
		"-l --once", "-l --csv -", "-l -n 2", "--limits", "--limits --json -",
		"--once --limits --csv x.csv", "--once --listeners --limits", "--once --listeners --csv x.csv",
		"--once --listeners -i 2", "-i 2 -s --listeners --once",
	};
	struct options o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *nl;

		assert_int_equal(parse(&o, bad[i]), -EINVAL);
		nl = strchr(errbuf, '\n');
		assert_non_null(nl);
		assert_string_equal(nl + 1, ""); /* one line */
		assert_memory_equal(errbuf, "tcplife-states: ", 16);
	}
}

/* The error names the option getopt stopped at, also inside a cluster. */
static void test_usage_error_names_option(void **state)
{
	static const char *const cases[][2] = {
		{ "-xv", "unknown option '-x'" },
		{ "-v -x", "unknown option '-x'" },
		{ "--bogus", "unknown option '--bogus'" },
		{ "-vL", "option '-L' needs an argument" },
		{ "--csv", "option '--csv' needs an argument" },
	};
	struct options o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&o, cases[i][0]), -EINVAL);
		assert_non_null(strstr(errbuf, cases[i][1]));
	}
}

/* Issue 5's options: owner filters, states, --once, --close-wait. */
static void test_owner_options(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "-c nginx --comm java --state close-wait --state ESTABLISHED "
				   "--once --close-wait 30"), CLI_RUN);
	assert_int_equal(o.n_comms, 2);
	assert_string_equal(o.comms[1], "java");
	assert_int_equal(o.state_mask, (1u << TL_CLOSE_WAIT) | (1u << TL_ESTABLISHED));
	assert_true(o.once);
	assert_int_equal(o.close_wait_s, 30);
	assert_false(o.limits);
	assert_int_equal(parse(&o, "--once --limits --json -"), CLI_RUN);
	assert_true(o.limits && o.once);
	assert_int_equal(parse(&o, "--once --listeners --json -"), CLI_RUN);
	assert_true(o.listeners && o.once && !o.limits);
	assert_int_equal(parse(&o, "--listeners --csv x.csv"), CLI_RUN); /* a run with the hints */
	assert_true(o.listeners && !o.once);
	/* -i is the listings' period in a run, whatever the other outputs. */
	assert_int_equal(parse(&o, "--listeners --json x.json -i 3"), CLI_RUN);
	assert_true(o.listeners && o.interval_s == 3);
	assert_int_equal(parse(&o, "--listeners -s -i 2"), CLI_RUN);
	/* The cgroup v2 root, where there is one, is a valid --cgroup. */
	if (parse(&o, "--cgroup /sys/fs/cgroup") == CLI_RUN || parse(&o, "--cgroup /sys/fs/cgroup/unified") == CLI_RUN)
		assert_true(o.cgroup_id != 0);
}

static void test_metrics_listen(void **state)
{
	static const char *const bad[] = {
		"99999", "0", ":", "", "1.2.3:80", "::1:80", "[::1]", "[::1]80", "localhost:80",
		"[1.2.3.4]:80", "127.0.0.1:", "127.0.0.1:http", " 80",
	};
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "--metrics 9465"), CLI_RUN);
	assert_true(o.metrics);
	assert_string_equal(o.metrics_at, "127.0.0.1:9465");
	assert_int_equal(parse(&o, "--metrics :9465"), CLI_RUN);
	assert_string_equal(o.metrics_at, "127.0.0.1:9465");
	assert_int_equal(parse(&o, "--metrics 0.0.0.0:80"), CLI_RUN);
	assert_string_equal(o.metrics_at, "0.0.0.0:80");
	assert_int_equal(parse(&o, "--metrics [::1]:9465"), CLI_RUN);
	assert_string_equal(o.metrics_at, "[::1]:9465");
	assert_int_equal(o.metrics_sa.ss_family, AF_INET6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "--metrics=%s", bad[i]);
		assert_int_equal(parse(&o, line), -EINVAL);
		assert_non_null(strstr(errbuf, "invalid --metrics"));
	}
}

static void test_metrics_rules(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "--metrics-file /x.prom -i 5"), CLI_RUN);
	assert_true(cli_metrics_only(&o));
	assert_int_equal(o.max_ports, 64);
	assert_int_equal(parse(&o, "--metrics 9465 --csv /x.csv -i 2"), CLI_RUN);
	assert_false(cli_metrics_only(&o));
	assert_int_equal(parse(&o, "--metrics 9465 --live"), CLI_RUN);
	assert_false(cli_metrics_only(&o));
	assert_int_equal(parse(&o, "--metrics 9465 --once"), -EINVAL);
	assert_int_equal(parse(&o, "--metrics 9465 -n 3"), -EINVAL);
	assert_int_equal(parse(&o, "--live --batch"), -EINVAL);
	assert_int_equal(parse(&o, "--max-ports 1024"), CLI_RUN);
	assert_int_equal(o.max_ports, 1024);
	assert_int_equal(parse(&o, "--max-ports 1025"), -EINVAL);
	assert_int_equal(parse(&o, "--max-ports 0"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u32_strict),
		cmocka_unit_test(test_filters_repeat),
		cmocka_unit_test(test_outputs_and_control),
		cmocka_unit_test(test_tier),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_usage_error_names_option),
		cmocka_unit_test(test_owner_options),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_metrics_rules),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
