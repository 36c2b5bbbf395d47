/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A connection's rare parts (struct conn_extra in conn.h): made when first
 * set, copied with their connection, freed with it.
 */
#ifndef TL_CONN_EXTRA_H
#define TL_CONN_EXTRA_H

#include <stddef.h>
#include "conn.h"

/* c's extra part, made (zeroed) if it has none; NULL if out of memory. */
struct conn_extra *conn_extra(struct conn *c);
/* Free c's extra part; c has none after. */
void conn_extra_free(struct conn *c);
/* *dst = *src with an extra part of its own. 0, or -1 if that could not be
 * made: dst is then without one (no other holders, no dropper). */
int conn_copy(struct conn *dst, const struct conn *src);

static inline unsigned int conn_n_others(const struct conn *c)
{
	return c->x ? c->x->n_others : 0;
}

/* The dropper, or NULL if none was found. */
static inline const struct conn_dropper *conn_dropper(const struct conn *c)
{
	return c->x && c->x->dropped_by.set ? &c->x->dropped_by : NULL;
}

#endif /* TL_CONN_EXTRA_H */
