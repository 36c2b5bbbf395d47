// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: `report`'s readers and everything after them on
 * arbitrary files. The first input byte picks the --by grouping and the
 * --state; the rest is the file, read line by line as report.c does (the
 * first non-empty line tells CSV from JSON). Every line's outcome must be
 * a row, a skip or a one-line error; the computed report must be drawn,
 * as text and JSON, without a sanitizer report, and its counts must add
 * up: groups and causes over the rows that ended.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report_csv.h"
#include "report_json.h"
#include "report_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_lines(char *buf, struct rep_stats *s)
{
	struct csv_in csv;
	int fmt = 0; /* 0 unknown, 1 CSV, 2 JSON */
	char err[256];

	csv_in_init(&csv);
	for (char *line = buf, *next; line; line = next) {
		int rc;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		if (!fmt)
			fmt = line[0] == '{' ? 2 : 1;
		err[0] = '\0';
		rc = fmt == 2 ? json_line(line, s, err, sizeof(err)) : csv_line(&csv, line, s, err, sizeof(err));
		if (rc == -EINVAL && (!err[0] || strchr(err, '\n')))
			abort(); /* an error says what, on one line */
		if (rc)
			return;
	}
}

static void check(const struct rep_result *res, size_t max_groups)
{
	uint64_t ended = res->rows - res->open, causes = 0, rows = 0;

	for (size_t i = 0; i < res->n_causes; i++)
		causes += res->causes[i].count;
	for (size_t i = 0; i < res->n_groups; i++)
		rows += res->groups[i].rows;
	if (causes != ended || rows != ended || res->n_groups > max_groups + 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "fuzz" };
	struct rep_out o = { .files = files, .n_files = 1 };
	struct rep_stats *s;
	struct rep_result res;
	char *buf;
	FILE *null;

	if (!size)
		return 0;
	o.by = (enum rep_by)(data[0] % 4);
	buf = malloc(size);
	s = rep_new();
	null = fopen("/dev/null", "w");
	if (!buf || !s || !null)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	read_lines(buf, s);
	if (rep_compute(s, o.by, data[0] & 0x80 ? TL_CLOSE_WAIT : -1, 3, &res))
		abort();
	check(&res, 3);
	rep_print_text(null, &o, &res);
	rep_print_json(null, &o, &res);
	rep_result_free(&res);
	rep_free(s);
	fclose(null);
	free(buf);
	return 0;
}
