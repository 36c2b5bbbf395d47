/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fixed-size records read from a BPF iterator's fd (or any fd), handed to a
 * callback in order. The reads go on in a thread of their own while this
 * thread takes the records: a read of iter/tcp is the kernel walking the
 * sockets and running our program on each, and with the two in turn a
 * --once at 1 000 000 sockets spent ~3.5 s in the iterators, about a third
 * of it in the callback (the loader's table) with the kernel waiting.
 */
#ifndef TL_ITERREAD_H
#define TL_ITERREAD_H

#include <stddef.h>

/* Every whole record of rec_size bytes read from fd until its end, each
 * given to fn(ctx, rec, rec_size) in the order read; a partial record at
 * the end is dropped. fn's return value is not looked at. Returns the
 * records given, or -errno of a failed read (after those read before it).
 * Without a thread to spare (pthread_create failing), reads and records
 * alternate in this one. fd stays open. */
int iter_read_records(int fd, size_t rec_size, int (*fn)(void *ctx, void *rec, size_t size),
		      void *ctx);

#endif /* TL_ITERREAD_H */
