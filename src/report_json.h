/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `report`'s JSON Lines input: the tool's --json files (sink_json.c), one
 * object per line, parsed by jansson. No I/O. */
#ifndef TL_REPORT_JSON_H
#define TL_REPORT_JSON_H

#include <stddef.h>
#include "report_stats.h"

/* One line: a connection record is added; an object whose "event" is
 * another (a summary, an alert) is counted as skipped. Returns 0; -EINVAL
 * with what was wrong in err; or -ENOMEM. */
int json_line(const char *line, struct rep_stats *s, char *err, size_t errsz);

#endif /* TL_REPORT_JSON_H */
