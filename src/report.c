// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "report.h"
#include "report_csv.h"
#include "report_json.h"
#include "report_out.h"
#include "sanitize.h"
#include "states.h"

/* --by: the groups shown; the rest are summed up as "other". */
#define REPORT_MAX_GROUPS 20
/* No line the tool writes comes near this; a longer one is not its. */
#define REPORT_LINE_MAX (1 << 20)

struct report_opts {
	enum rep_by by;
	int state; /* -1: all */
	bool json;
};

static void report_usage(FILE *f)
{
	fputs("Usage: tcplife-states report [OPTIONS] FILE...\n"
	      "Summarize connection records that tcplife-states wrote with --csv or --json\n"
	      "(the format is told from each file's first line; '-' reads stdin): per state,\n"
	      "how many connections left it, p50/p90/p99/max of the time spent there and a\n"
	      "log2 histogram; close causes; the processes with most CLOSE_WAIT time,\n"
	      "retransmits and resets.\n"
	      "\n"
	      "  --by KEY      the per-state tables per port (the listener's local port for\n"
	      "                passive connections, the remote port for active ones), comm or\n"
	      "                raddr; the 20 groups with most connections, then the rest\n"
	      "  --state STATE only that state's table and histogram (e.g. close-wait)\n"
	      "  --json        the same as one JSON document\n"
	      "  -h, --help    show this help and exit\n"
	      "\n"
	      "Exit status: 0, 1 when a file cannot be read or a line is malformed (named as\n"
	      "FILE:LINE), 2 on a usage error. See tcplife-states(8), REPORT.\n", f);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tcplife-states report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tcplife-states report -h)\n", stderr);
	return 2;
}

static int parse_by(const char *v, enum rep_by *by)
{
	static const char *const names[] = { "port", "comm", "raddr" };

	for (int i = 0; i < 3; i++) {
		if (!strcmp(v, names[i])) {
			*by = (enum rep_by)(REP_BY_PORT + i);
			return 0;
		}
	}
	return -EINVAL;
}

/* Returns 0 with the files from argv[optind], -1 when done (help), or
 * the exit status of a usage error. */
static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char shown[4 * 32 + 1];
	int c;

	o->by = REP_BY_NONE;
	o->state = -1;
	o->json = false;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_by(optarg, &o->by))
				return usage_error("invalid --by '%.32s' (port, comm or raddr)", optarg);
			break;
		case 's':
			o->state = state_parse(optarg);
			if (o->state < 0)
				return usage_error("invalid --state '%.32s' (e.g. established, close-wait)", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			report_usage(stdout);
			return -1;
		case ':':
			sanitize_text(argv[optind - 1], 32, shown, sizeof(shown));
			return usage_error("option '%s' needs an argument", shown);
		default:
			sanitize_text(argv[optind - 1], 32, shown, sizeof(shown));
			return usage_error("unknown option '%s'", shown);
		}
	}
	if (optind == argc)
		return usage_error("%s", "no FILE given ('-' reads stdin)");
	return 0;
}

enum format { FMT_UNKNOWN, FMT_CSV, FMT_JSON };

/* One line of len bytes, its line end included; an empty one is skipped. */
static int read_line(enum format *fmt, struct csv_in *csv, char *line, size_t len,
		     struct rep_stats *s, char *err, size_t errsz)
{
	size_t n = strlen(line);

	if (len > REPORT_LINE_MAX || n != len) {
		snprintf(err, errsz, "%s", n != len ? "a NUL byte in the line" :
			 "a line longer than 1 MiB");
		return -EINVAL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!n)
		return 0;
	if (*fmt == FMT_UNKNOWN)
		*fmt = line[0] == '{' ? FMT_JSON : FMT_CSV;
	return *fmt == FMT_JSON ? json_line(line, s, err, errsz) : csv_line(csv, line, s, err, errsz);
}

/* Reads one file into s. Returns 0, or 1 with one line said. */
static int read_file(const char *name, struct rep_stats *s)
{
	bool std = !strcmp(name, "-");
	FILE *f = std ? stdin : fopen(name, "r");
	enum format fmt = FMT_UNKNOWN;
	struct csv_in csv;
	char *line = NULL, err[256], shown[4 * 256], msg[4 * 256];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	sanitize_text(name, 256, shown, sizeof(shown));
	if (!f) {
		log_err("cannot open %s: %s", shown, strerror(errno));
		return 1;
	}
	csv_in_init(&csv);
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		int e;

		lineno++;
		e = read_line(&fmt, &csv, line, (size_t)len, s, err, sizeof(err));
		if (e == -ENOMEM)
			log_err("out of memory reading %s", shown);
		else if (e) {
			sanitize_text(err, sizeof(err), msg, sizeof(msg));
			log_err("%s:%zu: %s", shown, lineno, msg);
		}
		rc = e ? 1 : 0;
	}
	if (!rc && ferror(f)) {
		log_err("reading %s failed: %s", shown, strerror(errno));
		rc = 1;
	}
	free(line);
	if (!std)
		fclose(f);
	return rc;
}

int report_main(int argc, char **argv)
{
	struct report_opts o;
	struct rep_stats *s;
	struct rep_result res;
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	s = rep_new();
	if (!s) {
		log_err("out of memory");
		return 1;
	}
	for (int i = optind; i < argc && !rc; i++)
		rc = read_file(argv[i], s);
	if (!rc && rep_compute(s, o.by, o.state, REPORT_MAX_GROUPS, &res)) {
		log_err("out of memory");
		rc = 1;
	}
	if (!rc) {
		struct rep_out out = { .files = (const char *const *)&argv[optind],
				       .n_files = (size_t)(argc - optind), .by = o.by };

		if ((o.json ? rep_print_json(stdout, &out, &res) : rep_print_text(stdout, &out, &res)) ||
		    fflush(stdout)) {
			log_err("writing the report failed: %s", strerror(errno));
			rc = 1;
		}
		rep_result_free(&res);
	}
	rep_free(s);
	return rc;
}
