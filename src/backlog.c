// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "backlog.h"

/* Each record: its size, then its bytes, padded so the next size is
 * aligned (the records are read in place by decode_record). */
#define BL_HDR 8
#define BL_ALIGN(n) (((n) + 7) & ~(size_t)7)

int backlog_push(struct backlog *b, const void *data, size_t size)
{
	size_t need = BL_HDR + BL_ALIGN(size);

	if (size > UINT32_MAX)
		return -EINVAL;
	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		unsigned char *p;

		while (cap - b->len < need) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	*(uint32_t *)(b->buf + b->len) = (uint32_t)size;
	memcpy(b->buf + b->len + BL_HDR, data, size);
	b->len += need;
	return 0;
}

uint64_t backlog_replay(struct backlog *b, int (*fn)(void *ctx, void *data, size_t size),
			void (*pump)(void *ctx), uint64_t every, void *ctx)
{
	uint64_t n = 0;

	/* Offsets, not pointers: a pump's push may move b->buf. */
	for (size_t off = 0; off < b->len;) {
		uint32_t size = *(uint32_t *)(b->buf + off);

		fn(ctx, b->buf + off + BL_HDR, size);
		off += BL_HDR + BL_ALIGN(size);
		if (++n % (every ? every : 1) == 0 && pump)
			pump(ctx);
	}
	b->len = 0;
	return n;
}

void backlog_free(struct backlog *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
