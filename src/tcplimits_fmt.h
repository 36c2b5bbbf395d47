/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --once --limits: one namespace's limits as a readable block, or as one
 * JSON line {"event":"limits",...} (the man page's LIMITS section). */
#ifndef TL_TCPLIMITS_FMT_H
#define TL_TCPLIMITS_FMT_H

#include <stdio.h>
#include "tcplimits.h"

/* Both return 0 or -EIO when the stream has an error. */
int limits_print_text(FILE *f, const struct limits_ns *l);
int limits_print_json(FILE *f, const struct limits_ns *l);

#endif /* TL_TCPLIMITS_FMT_H */
