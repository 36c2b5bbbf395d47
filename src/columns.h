/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The columns of a connection row, in order: the CSV header and cells and
 * the JSON keys and values both come from here, so the two outputs keep
 * the same fields in the same order. The man page's schema lists them.
 */
#ifndef TL_COLUMNS_H
#define TL_COLUMNS_H

#include "conn.h"
#include "sink.h"

enum cell_kind {
	CELL_NONE, /* not known: an empty CSV cell, JSON null */
	CELL_BARE, /* a number, true or false: written as is */
	CELL_NAME, /* a generated name, time or address: as is in CSV, quoted in JSON */
	CELL_TEXT, /* free text (comm): escaped by each sink's own rules */
};

struct cell {
	enum cell_kind kind;
	char v[SINK_PATH_LEN]; /* the longest cell is the path */
};

/* How many columns a row has (the state columns included). */
unsigned int conn_columns(void);
/* The name of column i (i < conn_columns()): CSV header, JSON key. */
const char *conn_column_name(unsigned int i);
/* Column i of connection c; times through tc. */
void conn_cell(const struct timeconv *tc, const struct conn *c, unsigned int i, struct cell *out);

#endif /* TL_COLUMNS_H */
