/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TL_DECODE_H
#define TL_DECODE_H

#include <stddef.h>
#include "record.h"

/* Check one ring-buffer record (a struct tl_event) before anything indexes
 * a table with its fields: exact size, known type, states and kinds in
 * range, a family we know. Decodes it into `out`, the union resolved.
 * Returns 0 or -EINVAL (`out` then undefined). */
int decode_record(const void *data, size_t size, struct tl_rec *out);

#endif /* TL_DECODE_H */
