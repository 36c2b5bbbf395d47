/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A compact, lossless form of `struct conn` for the connections the table
 * holds open and idle (issue 18: a million open connections in 100 MiB). A
 * `struct conn` is 352 bytes, most of them zero or repeated for a
 * connection that sits in ESTABLISHED: 14 per-state durations of which two
 * or three are set, 24 path bytes, the owner's comm copied into every
 * connection of a process.
 *
 * The compact form is a byte string, and every field in it is exact:
 *  - an IPv4 tuple in 12 bytes (addresses, ports); IPv6 in 36; anything
 *    else (a family the decoder would reject, stray bytes) as the raw 40;
 *  - the owner (pid, tid, comm, cgroup) and the network namespace
 *    interned: one refcounted copy per distinct pair, shared by its
 *    connections, named by a 3-byte id (at most 2^24 - 1 at once: past
 *    that conn_compact() fails and the connection stays whole);
 *  - one varint of bits for the booleans and which fields follow, the
 *    commonest first; what usually repeats (birth == start, the state is
 *    the path's last, entered when the time in each state says) a bit, not
 *    a field;
 *  - times as signed deltas from start_ns, in LEB128 varints: a delta of a
 *    few seconds takes 5 bytes, not 8; start_ns itself from the first
 *    record's;
 *  - counters, fd, netns, cause as varints present only when not zero (or
 *    -1, for the fd): narrowed to the bytes their value needs, so a counter
 *    is never saturated nor wrapped;
 *  - durations only for the states whose time is not zero, behind a bitmap;
 *  - the path as 4-bit states while every state fits; the pointer to the
 *    rare parts (conn_extra.h) only when there are some: the compact form
 *    then owns them.
 *
 * conn_expand(conn_compact(c)) == c, byte for byte, for any `struct conn`,
 * including path bytes past path_len.
 */
#ifndef TL_CONNCOMPACT_H
#define TL_CONNCOMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"

/* The owners of the compact records, interned, and the memory the records
 * take (slab.h). One per table; freed after its records. */
struct conn_interns;

struct conn_compact {
	/* First, where a struct conn has it: an index keyed by the socket
	 * reads either at the same offset (conntab's by_sk). */
	uint64_t skaddr;
	uint32_t owner : 24; /* the interned owner's id; 0: pid, tid, comm, cgroup, netns all 0 */
	uint32_t user : 8;   /* the holder's own bits (conntab: the entry's flags) */
	uint16_t len;        /* bytes used in b */
	uint8_t b[];         /* from byte 14: a header of 14 bytes, not 19 (issue 18) */
};

struct conn_interns *conn_interns_new(void);
/* Every compact record made with it must be freed first. Accepts NULL. */
void conn_interns_free(struct conn_interns *in);
/* Distinct owners held. */
size_t conn_interns_count(const struct conn_interns *in);

/* c in compact form, `user` 0; c's rare parts (c->x) now belong to it: the
 * caller forgets c. NULL with errno ENOMEM on failure, and c still owns
 * them. */
struct conn_compact *conn_compact(struct conn_interns *in, const struct conn *c);
/* The full record back: every field of the conn it was made from (in: the
 * interns it was made with). With conn_compact_free() after, c owns the
 * rare parts; a copy to read only (cc kept) must not free them. */
void conn_expand(const struct conn_interns *in, const struct conn_compact *cc, struct conn *c);
/* Its tuple alone (an index's key: no interns at hand). */
void conn_compact_tuple(const struct conn_compact *cc, struct tl_tuple *t);
/* Its owner's reference dropped, then freed. Frees the rare parts too
 * unless `keep_extra` (they went to the conn it was expanded into).
 * Accepts NULL. */
void conn_compact_free(struct conn_interns *in, struct conn_compact *cc, bool keep_extra);
/* Bytes it takes on the heap, its header included (not malloc's own). */
size_t conn_compact_bytes(const struct conn_compact *cc);

#endif /* TL_CONNCOMPACT_H */
