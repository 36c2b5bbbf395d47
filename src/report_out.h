/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `report`'s output: the summary for a terminal, or the same as one JSON
 * document (the man page, REPORT, has both layouts). */
#ifndef TL_REPORT_OUT_H
#define TL_REPORT_OUT_H

#include <stdio.h>
#include "report_stats.h"

struct rep_out {
	const char *const *files;
	size_t n_files;
	enum rep_by by;
};

/* Return 0 or -EIO / -ENOMEM. */
int rep_print_text(FILE *f, const struct rep_out *o, const struct rep_result *res);
int rep_print_json(FILE *f, const struct rep_out *o, const struct rep_result *res);

#endif /* TL_REPORT_OUT_H */
