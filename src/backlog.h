/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ring-buffer records held back while a snapshot (--batch, the live view)
 * is taken.
 *
 * A snapshot points into the connection table, so no record may be applied
 * while it is taken; but with a million open connections that takes
 * seconds, and the kernel's ring buffer (8 MiB) overflowed meanwhile. So
 * main's loop reads the ring buffer between the snapshot's steps and the
 * records are copied here, in order, and applied once it is done
 * (ingest.h).
 */
#ifndef TL_BACKLOG_H
#define TL_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

struct backlog {
	unsigned char *buf;
	size_t len;        /* bytes in use */
	size_t cap;        /* bytes allocated */
};

/* Copy one record in (after those held). 0, or -ENOMEM (nothing held). */
int backlog_push(struct backlog *b, const void *data, size_t size);
/* Hand every held record to fn in the order they came, then empty the
 * backlog (keeping its memory); returns the number of records. fn's return
 * value is ignored (libbpf's ring buffer would stop on it). Every `every`
 * records pump(ctx) is called, and may push more (the ring buffer read
 * while a large backlog is applied): those are handed over too. pump may
 * be NULL. */
uint64_t backlog_replay(struct backlog *b, int (*fn)(void *ctx, void *data, size_t size),
			void (*pump)(void *ctx), uint64_t every, void *ctx);
void backlog_free(struct backlog *b);

#endif
