/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A ring-buffer record as user space uses it: a struct tl_event
 * (bpf/tcplife.h) that decode_record() checked, with the ABI's union
 * resolved into named fields, so no reader has to know which record types
 * carry which half. Every other field keeps its tl_event name and meaning.
 */
#ifndef TL_RECORD_H
#define TL_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "tcplife.h"

struct tl_rec {
	uint8_t type;        /* enum tl_rec_type */
	uint8_t flags;       /* TL_F_* */
	uint8_t oldstate;
	uint8_t newstate;
	uint8_t kind;
	uint8_t req_retrans;
	uint16_t segs;
	int32_t sk_err;
	uint32_t netns;
	uint64_t ts_ns;
	uint64_t skaddr;
	uint64_t birth_ns;
	uint64_t entered_ns;
	/* The union's byte half: a STATE record to CLOSE and a DESTROY carry
	 * it; 0 on every other record. */
	uint64_t bytes_acked;
	uint64_t bytes_received;
	/* The union's owner half: every other record carries it. Where the
	 * bytes came instead: cgroup 0, fd -1, req_rto_ms TL_REQ_RTO_UNKNOWN
	 * (each field's "unknown"). */
	uint64_t cgroup;     /* owner's cgroup v2 id; 0 = unknown */
	int32_t fd;          /* owner's fd for the socket; -1 = unknown */
	uint32_t req_rto_ms; /* STATE SYN_RECV -> ESTABLISHED: the request's
			      * total_rto_time; TL_REQ_RTO_UNKNOWN before 6.7 */
	struct tl_tuple tuple;
	struct tl_owner owner;
};

/* Does a record of this type and new state carry the byte counts (else
 * the owner's cgroup, fd and req_rto_ms)? */
static inline bool tl_rec_has_bytes(uint8_t type, uint8_t newstate)
{
	return (type == TL_REC_STATE && newstate == TL_CLOSE) || type == TL_REC_DESTROY;
}

#endif /* TL_RECORD_H */
