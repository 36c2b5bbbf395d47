/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A BPF ring buffer map's records, read with its data pages mapped once.
 *
 * Why not libbpf's ring_buffer: it maps the data pages twice in a row, so
 * that a record that wraps past the end reads as one piece. Each mapping
 * counts in the process's RSS, and every page is mapped at mmap() time
 * (the kernel inserts them all): the default 8 MiB ring showed as 16 MiB
 * of the loader's RSS, a sixth of the 100 MiB issue 18 allows at 1 000 000
 * connections, for memory that exists once. Here the few records that
 * wrap are copied out whole into a buffer first.
 *
 * The protocol is the kernel's (kernel/bpf/ringbuf.c, uapi linux/bpf.h):
 * a consumer page we write, a producer page and the data pages it writes;
 * each record an 8-byte header (its length, with BPF_RINGBUF_BUSY_BIT while
 * the producer still fills it and BPF_RINGBUF_DISCARD_BIT if dropped),
 * then the record, padded to 8 bytes.
 */
#ifndef TL_RINGREAD_H
#define TL_RINGREAD_H

#include <stddef.h>
#include <stdint.h>

/* A record: < 0 stops the reading (returned), as libbpf's callbacks. */
typedef int (*ringread_fn)(void *ctx, void *data, size_t size);

/* The ring as laid out in memory: reading it needs nothing else (the unit
 * test lays one out in plain memory). */
struct ring_view {
	unsigned long *consumer_pos;       /* ours to advance */
	const unsigned long *producer_pos; /* the kernel's */
	const uint8_t *data;               /* size bytes */
	size_t size;                       /* a power of two */
	uint8_t *bounce;                   /* a wrapping record copied whole */
	size_t bounce_cap;
};

/* Every committed record, in order, to fn; returns how many were given
 * (discarded ones not counted), or fn's value < 0 (the consumer position
 * past that record), or -ENOMEM if a wrapping record found no buffer (the
 * position left before it). */
int ring_view_consume(struct ring_view *v, ringread_fn fn, void *ctx);

struct ringread;

/* A reader of ring buffer map map_fd; NULL with errno set. */
struct ringread *ringread_new(int map_fd, ringread_fn fn, void *ctx);
/* Unmapped and freed; accepts NULL. */
void ringread_free(struct ringread *rr);
/* Waits up to timeout_ms for the kernel's wake-up, then reads what is
 * there, woken or not: records given, or -errno (-EINTR: a signal came). */
int ringread_poll(struct ringread *rr, int timeout_ms);
/* Reads what is there now, without waiting. */
int ringread_consume(struct ringread *rr);

#endif /* TL_RINGREAD_H */
