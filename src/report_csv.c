// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "report_csv.h"

/* A quoted field starting at *p (on the opening quote): unquoted in place
 * into *dst; *p left after the closing quote. */
static const char *unquote(char **p, char **dst)
{
	char *r = *p + 1, *w = *dst = *p;

	for (;;) {
		if (!*r)
			return "a quoted field is not closed";
		if (*r == '"' && r[1] != '"')
			break;
		if (*r == '"')
			r++;
		*w++ = *r++;
	}
	*w = '\0';
	*p = r + 1;
	if (**p && **p != ',')
		return "text after a closing quote";
	return NULL;
}

const char *csv_split(char *line, char **fields, unsigned int max, unsigned int *n)
{
	char *p = line;

	*n = 0;
	for (;;) {
		char *next;
		const char *err = NULL;

		if (*n == max)
			return "too many fields";
		if (*p == '"') {
			err = unquote(&p, &fields[*n]);
			if (err)
				return err;
			next = p;
		} else {
			fields[*n] = p;
			next = p + strcspn(p, ",\"");
			if (*next == '"')
				return "a quote inside an unquoted field";
		}
		(*n)++;
		if (!*next)
			return NULL;
		*next = '\0';
		p = next + 1;
	}
}

void csv_in_init(struct csv_in *c)
{
	memset(c, 0, sizeof(*c));
}

static int header(struct csv_in *c, char **f, unsigned int n, char *err, size_t errsz)
{
	bool seen[CSV_MAX_FIELDS] = {};

	for (unsigned int i = 0; i < n; i++) {
		int fi = rep_field(f[i]);

		if (fi >= 0 && seen[fi]) {
			snprintf(err, errsz, "column %s appears twice in the header", rep_field_name(fi));
			return -EINVAL;
		}
		if (fi >= 0)
			seen[fi] = true;
		c->field[i] = fi;
	}
	for (int fi = 0; fi < rep_field_count(); fi++) {
		if (rep_field_required(fi) && !seen[fi]) {
			snprintf(err, errsz, "the header has no %s column: not a tcplife-states CSV",
				 rep_field_name(fi));
			return -EINVAL;
		}
	}
	c->n_cols = n;
	c->have_header = true;
	return 0;
}

/* sink_csv.c quotes a comm starting with = + - or @ and puts a ' before
 * it, for spreadsheets; the report wants the name. */
static const char *comm_unprefixed(const char *v)
{
	return v[0] == '\'' && v[1] && strchr("=+-@", v[1]) ? v + 1 : v;
}

int csv_line(struct csv_in *c, char *line, struct rep_stats *s, char *err, size_t errsz)
{
	char *f[CSV_MAX_FIELDS];
	unsigned int n;
	const char *what = csv_split(line, f, CSV_MAX_FIELDS, &n);
	struct rep_row r;

	if (what) {
		snprintf(err, errsz, "%s", what);
		return -EINVAL;
	}
	if (!c->have_header)
		return header(c, f, n, err, errsz);
	if (n != c->n_cols) {
		snprintf(err, errsz, "%u fields, the header has %u", n, c->n_cols);
		return -EINVAL;
	}
	rep_row_init(&r);
	for (unsigned int i = 0; i < n; i++) {
		const char *v = rep_field_is_comm(c->field[i]) ? comm_unprefixed(f[i]) : f[i];

		if (rep_row_set(&r, c->field[i], v, err, errsz))
			return -EINVAL;
	}
	rep_row_finish(&r);
	return rep_add(s, &r);
}
