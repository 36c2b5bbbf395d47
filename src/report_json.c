// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "report_json.h"

/* A value as the CSV cell for it reads: numbers in the tool's own form
 * (durations with 3 decimals, as fmt_ms writes them), so both inputs give
 * the same rows. NULL for null; "" (an error later) for arrays and
 * objects where a field is expected. */
static const char *value_text(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.3f", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_null(v))
		return NULL;
	else
		snprintf(buf, n, "(%s)", json_is_array(v) ? "array" : "object");
	return buf;
}

static int conn_record(json_t *o, struct rep_stats *s, char *err, size_t errsz)
{
	struct rep_row r;
	const char *key;
	json_t *v;
	bool cause = false;

	rep_row_init(&r);
	json_object_foreach(o, key, v) {
		char buf[64];
		int f = rep_field(key);

		if (f < 0)
			continue;
		cause |= rep_field_required(f);
		if (rep_row_set(&r, f, value_text(v, buf, sizeof(buf)), err, errsz))
			return -EINVAL;
	}
	if (!cause) {
		snprintf(err, errsz, "a connection record without close_cause");
		return -EINVAL;
	}
	rep_row_finish(&r);
	return rep_add(s, &r);
}

int json_line(const char *line, struct rep_stats *s, char *err, size_t errsz)
{
	json_error_t je;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
	json_t *ev;
	int rc;

	if (!o) {
		snprintf(err, errsz, "not JSON: %s (column %d)", je.text, je.column);
		return -EINVAL;
	}
	ev = json_object_get(o, "event");
	if (!json_is_object(o) || (ev && !json_is_string(ev))) {
		snprintf(err, errsz, "not a tcplife-states record (an object with an \"event\")");
		rc = -EINVAL;
	} else if (ev && strcmp(json_string_value(ev), "conn")) {
		rep_skip(s);
		rc = 0;
	} else {
		rc = conn_record(o, s, err, errsz);
	}
	json_decref(o);
	return rc;
}
