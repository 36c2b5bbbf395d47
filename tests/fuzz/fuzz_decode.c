// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: decode_record() on arbitrary bytes of arbitrary size,
 * as a corrupt or hostile ring buffer could hand them over. libFuzzer's
 * buffer is exactly `size` bytes, so ASan sees any read past the record.
 * A record it accepts must hold only what its callers may index tables
 * with; anything else is a bug, and abort() makes libFuzzer say so.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tuple as the kernel side sent it, but an IPv4 address's bytes past
 * the first 4 and the padding zeroed (decode.c: stale ring buffer bytes). */
static int tuple_as_sent(const struct tl_tuple *out, const struct tl_tuple *in)
{
	static const uint8_t zero[16];
	size_t alen = in->family == TL_AF_INET ? 4 : 16;

	return !memcmp(out->saddr, in->saddr, alen) && !memcmp(out->daddr, in->daddr, alen) &&
	       !memcmp(out->saddr + alen, zero, 16 - alen) &&
	       !memcmp(out->daddr + alen, zero, 16 - alen) && out->sport == in->sport &&
	       out->dport == in->dport && out->family == in->family && out->_pad == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_event in;
	struct tl_rec out;
	int rc = decode_record(data, size, &out);

	if (rc != 0 && rc != -EINVAL)
		abort();
	if (decode_record(NULL, size, &out) != -EINVAL)
		abort();
	if (rc)
		return 0;
	if (size != sizeof(in))
		abort();
	memcpy(&in, data, sizeof(in));
	if (out.type != in.type || out.flags != in.flags || out.kind != in.kind ||
	    out.skaddr != in.skaddr || out.ts_ns != in.ts_ns ||
	    !tuple_as_sent(&out.tuple, &in.tuple) ||
	    memcmp(&out.owner, &in.owner, sizeof(in.owner)))
		abort();
	/* The union: exactly the half the type carries, the other "unknown". */
	if (tl_rec_has_bytes(in.type, in.newstate) ?
		    out.bytes_acked != in.bytes_acked || out.fd != -1 || out.cgroup :
		    out.bytes_acked || out.fd != in.own.fd || out.cgroup != in.own.cgroup)
		abort();
	if (out.type == 0 || out.type >= TL_REC_MAX || out.oldstate >= TL_NSTATES ||
	    out.newstate >= TL_NSTATES || (out.tuple.family != 2 && out.tuple.family != 10))
		abort();
	if (out.type != TL_REC_SYNACK && !out.skaddr)
		abort();
	return 0;
}
