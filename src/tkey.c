// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "tkey.h"

#define AF_INET_ 2
#define AF_INET6_ 10

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
	if (tu->family == AF_INET6_ && !(is_v4mapped(l) && is_v4mapped(r))) {
		k->family = AF_INET6_;
		memcpy(k->laddr, l, 16);
		memcpy(k->raddr, r, 16);
	} else {
		k->family = AF_INET_;
		memcpy(k->laddr, tu->family == AF_INET6_ ? l + 12 : l, 4);
		memcpy(k->raddr, tu->family == AF_INET6_ ? r + 12 : r, 4);
	}
}
