// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "decode.h"

static int check_kind(const struct tl_event *e)
{
	switch (e->type) {
	case TL_REC_RETRANS:
		return e->kind <= TL_RT_DATA ? 0 : -EINVAL;
	case TL_REC_RESET:
		return e->kind <= TL_RST_RECV ||
		       (e->kind == TL_RST_TW_SENT &&
			(e->oldstate == TL_FIN_WAIT2 || e->oldstate == TL_TIME_WAIT)) ? 0 : -EINVAL;
	case TL_REC_TW:
		return e->kind <= TL_TW_GONE &&
		       (e->newstate == TL_FIN_WAIT2 || e->newstate == TL_TIME_WAIT) ? 0 : -EINVAL;
	case TL_REC_REQ:
		return e->kind <= TL_REQ_END ? 0 : -EINVAL;
	case TL_REC_STATE:
	case TL_REC_SYNACK:
	case TL_REC_FIN:
	case TL_REC_OWNER:
	case TL_REC_SEED:
	case TL_REC_DESTROY:
		return 0;
	case TL_REC_HOLDER:
		return e->kind <= TL_HOLDER_OTHER ? 0 : -EINVAL;
	case TL_REC_CONNERR:
		/* connect()'s errno (1..MAX_ERRNO), on a socket that is no
		 * connection (CLOSE), made by its owner (process context). */
		return e->kind == 0 && e->sk_err > 0 && e->sk_err <= 4095 &&
		       e->oldstate == TL_CLOSE && e->newstate == TL_CLOSE &&
		       (e->flags & TL_F_OWNER_KNOWN) ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static int check(const struct tl_event *e)
{
	if (e->type == 0 || e->type >= TL_REC_MAX)
		return -EINVAL;
	if (e->oldstate >= TL_NSTATES || e->newstate >= TL_NSTATES)
		return -EINVAL;
	if (e->tuple.family != TL_AF_INET && e->tuple.family != TL_AF_INET6)
		return -EINVAL;
	/* Non-SYNACK records name a tracked socket by address. */
	if (e->type != TL_REC_SYNACK && !e->skaddr)
		return -EINVAL;
	return check_kind(e);
}

/* The union's half this record type carries, into its named fields. */
static void resolve_union(const struct tl_event *e, struct tl_rec *r)
{
	if (tl_rec_has_bytes(e->type, e->newstate)) {
		r->bytes_acked = e->bytes_acked;
		r->bytes_received = e->bytes_received;
		r->cgroup = 0;
		r->fd = -1;
		r->req_rto_ms = TL_REQ_RTO_UNKNOWN;
	} else {
		r->bytes_acked = r->bytes_received = 0;
		r->cgroup = e->own.cgroup;
		r->fd = e->own.fd;
		r->req_rto_ms = e->own.req_rto_ms;
	}
}

/* An IPv4 tuple's address bytes past the first 4, and the padding, as
 * zeros. The kernel side writes 4 bytes of each IPv4 address into a ring
 * buffer slot it does not clear, so the rest is whatever an older record
 * left there: never read as an address, but it made the table keep such a
 * tuple whole in the compact form (40 bytes, not 12: a passive connection's
 * form 86-93 bytes instead of 56-62 at 1 000 000 sockets). */
static void clean_tuple(struct tl_tuple *t)
{
	if (t->family == TL_AF_INET) {
		memset(t->saddr + 4, 0, sizeof(t->saddr) - 4);
		memset(t->daddr + 4, 0, sizeof(t->daddr) - 4);
	}
	t->_pad = 0;
}

int decode_record(const void *data, size_t size, struct tl_rec *out)
{
	struct tl_event e;
	int err;

	if (!data || size != sizeof(e))
		return -EINVAL;
	memcpy(&e, data, sizeof(e)); /* the ring buffer gives no alignment promise */
	err = check(&e);
	if (err)
		return err;
	*out = (struct tl_rec){
		.type = e.type, .flags = e.flags, .oldstate = e.oldstate, .newstate = e.newstate,
		.kind = e.kind, .req_retrans = e.req_retrans, .segs = e.segs, .sk_err = e.sk_err,
		.netns = e.netns, .ts_ns = e.ts_ns, .skaddr = e.skaddr, .birth_ns = e.birth_ns,
		.entered_ns = e.entered_ns, .tuple = e.tuple, .owner = e.owner,
	};
	resolve_union(&e, out);
	clean_tuple(&out->tuple);
	return 0;
}
