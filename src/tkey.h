/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A connection's 4-tuple as the connection table matches it. */
#ifndef TL_TKEY_H
#define TL_TKEY_H

#include <stdbool.h>
#include <stdint.h>
#include "tcplife.h"

/* A tuple normalised for matching: an IPv4-mapped IPv6 address is IPv4
 * (a dual-stack socket reports its IPv4 peer that way, sock_diag and the
 * hooks do not always agree on which form). */
struct tkey {
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport, rport;
	uint16_t family, _pad;
};

/* The key of `tu` as this side sees it, or (swap) as its peer does. */
void tkey_make(const struct tl_tuple *tu, bool swap, struct tkey *k);

#endif /* TL_TKEY_H */
