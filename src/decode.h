/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TL_DECODE_H
#define TL_DECODE_H

#include <stddef.h>
#include "tcplife.h"

/* Check one ring-buffer record before anything indexes a table with its
 * fields: exact size, known type, states and kinds in range, a family we
 * know. Copies it to `out`. Returns 0 or -EINVAL. */
int decode_record(const void *data, size_t size, struct tl_event *out);

#endif /* TL_DECODE_H */
