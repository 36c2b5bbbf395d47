// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A connection's rare parts, out of line (conn_extra.h). */
#include <stdlib.h>
#include "conn_extra.h"

struct conn_extra *conn_extra(struct conn *c)
{
	if (!c->x)
		c->x = calloc(1, sizeof(*c->x));
	return c->x;
}

void conn_extra_free(struct conn *c)
{
	free(c->x);
	c->x = NULL;
}

int conn_copy(struct conn *dst, const struct conn *src)
{
	*dst = *src;
	if (!src->x)
		return 0;
	dst->x = malloc(sizeof(*dst->x));
	if (!dst->x)
		return -1;
	*dst->x = *src->x;
	return 0;
}
