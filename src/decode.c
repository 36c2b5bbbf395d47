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
	default:
		return -EINVAL;
	}
}

int decode_record(const void *data, size_t size, struct tl_event *out)
{
	if (!data || size != sizeof(*out))
		return -EINVAL;
	memcpy(out, data, sizeof(*out));
	if (out->type == 0 || out->type >= TL_REC_MAX)
		return -EINVAL;
	if (out->oldstate >= TL_NSTATES || out->newstate >= TL_NSTATES)
		return -EINVAL;
	if (out->tuple.family != TL_AF_INET && out->tuple.family != TL_AF_INET6)
		return -EINVAL;
	/* Non-SYNACK records name a tracked socket by address. */
	if (out->type != TL_REC_SYNACK && !out->skaddr)
		return -EINVAL;
	return check_kind(out);
}
