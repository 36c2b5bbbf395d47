// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One RFC 4180 row per connection. Only comm is free text; every other cell
 * is generated here from numbers and fixed names, so needs no quoting. */
#include <errno.h>
#include "columns.h"
#include "sanitize.h"

static int csv_begin(struct sink *s)
{
	for (unsigned int i = 0; i < conn_columns(); i++)
		fprintf(s->f, "%s%s", i ? "," : "", conn_column_name(i));
	putc('\n', s->f);
	return ferror(s->f) ? -EIO : 0;
}

/* The stream's lock is taken once per row, not per character. */
static int csv_conn(struct sink *s, const struct conn *c)
{
	struct cell cell;

	flockfile(s->f);
	for (unsigned int i = 0; i < conn_columns(); i++) {
		if (i)
			putc_unlocked(',', s->f);
		conn_cell(sink_tc(s), c, i, &cell);
		if (cell.kind == CELL_TEXT)
			csv_write_cell(s->f, cell.v);
		else if (cell.kind != CELL_NONE)
			fputs_unlocked(cell.v, s->f);
	}
	putc_unlocked('\n', s->f);
	funlockfile(s->f);
	return ferror(s->f) ? -EIO : 0;
}

const struct sink_ops sink_csv_ops = {
	.name = "csv",
	.begin = csv_begin,
	.conn = csv_conn,
};
