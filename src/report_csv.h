/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `report`'s CSV input: the tool's --csv files (RFC 4180 as sink_csv.c
 * writes it), the columns found by the header's names. No I/O. */
#ifndef TL_REPORT_CSV_H
#define TL_REPORT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include "report_stats.h"

#define CSV_MAX_FIELDS 256

/* Split one line (no line end) in place into at most `max` fields: a
 * field in double quotes may hold commas, and "" stands for one quote.
 * Returns NULL, or what was wrong (an unclosed quote, text after a
 * closing quote, too many fields). */
const char *csv_split(char *line, char **fields, unsigned int max, unsigned int *n);

struct csv_in {
	bool have_header;
	unsigned int n_cols;
	int field[CSV_MAX_FIELDS]; /* per column: rep_field(), -1 unused */
};

void csv_in_init(struct csv_in *c);
/* One line of the file, the header first. Returns 0; -EINVAL with what
 * was wrong in err; or -ENOMEM. */
int csv_line(struct csv_in *c, char *line, struct rep_stats *s, char *err, size_t errsz);

#endif /* TL_REPORT_CSV_H */
