// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "tkey.h"

static bool is_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, sizeof(pfx));
}

void tkey_make(const struct tl_tuple *tu, bool swap, struct tkey *k)
{
	const uint8_t *l = swap ? tu->daddr : tu->saddr, *r = swap ? tu->saddr : tu->daddr;

	memset(k, 0, sizeof(*k));
	k->lport = swap ? tu->dport : tu->sport;
	k->rport = swap ? tu->sport : tu->dport;
	if (tu->family == TL_AF_INET6 && !(is_v4mapped(l) && is_v4mapped(r))) {
		k->family = TL_AF_INET6;
		memcpy(k->laddr, l, 16);
		memcpy(k->raddr, r, 16);
	} else {
		k->family = TL_AF_INET;
		memcpy(k->laddr, tu->family == TL_AF_INET6 ? l + 12 : l, 4);
		memcpy(k->raddr, tu->family == TL_AF_INET6 ? r + 12 : r, 4);
	}
}
