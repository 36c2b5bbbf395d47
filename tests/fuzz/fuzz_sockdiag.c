// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the input is one recv() buffer of a sock_diag dump.
 * libmnl splits it into messages and checks their headers exactly as
 * sockdiag_dump() has it do (mnl_cb_run), and every data message goes to
 * sockdiag_parse_msg(), the parser the dump uses. Sequence and port id 0
 * accept every message, so the fuzzer needs not guess them.
 *
 * Inputs with a message length of 2 GiB or more are skipped. libmnl 1.0.4's
 * mnl_nlmsg_ok() compares nlmsg_len with the bytes left as an int, so such
 * a length passes and mnl_nlmsg_next() then jumps out of the buffer (fixed
 * upstream after 1.0.4, Debian 12 ships 1.0.4). A libmnl flaw, not ours,
 * and out of reach: the kernel sends no such message, and only
 * CAP_NET_ADMIN may send to the socket (an unprivileged sendto() to its
 * port id gets EPERM).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include "sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sockdiag_sock s;
	unsigned int *n = arg;

	if (sockdiag_parse_msg(nlh, &s))
		return MNL_CB_ERROR; /* what sockdiag_dump() does with it */
	/* What was parsed is what the message said. */
	if (s.tuple.family != m->idiag_family || s.state != m->idiag_state ||
	    s.inode != m->idiag_inode)
		abort();
	if (m->idiag_family == 2 && (memcmp(s.tuple.saddr, m->id.idiag_src, 4) ||
				     s.tuple.saddr[4] || s.tuple.daddr[15]))
		abort();
	(*n)++;
	return MNL_CB_OK;
}

/* False when libmnl's walk over the buffer would meet a length >= 2 GiB. */
static bool lengths_below_2g(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (size - off >= sizeof(struct nlmsghdr)) {
		uint32_t len;

		memcpy(&len, data + off, sizeof(len));
		if (len > INT_MAX)
			return false;
		if (len < sizeof(struct nlmsghdr) || len > size - off)
			break; /* where libmnl stops too */
		off += NLMSG_ALIGN(len);
		if (off > size)
			break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int n = 0;

	if (!lengths_below_2g(data, size))
		return 0;
	/* libFuzzer's copy of the input comes from malloc: aligned as the
	 * netlink buffer sockdiag_dump() receives into. */
	mnl_cb_run(data, size, 0, 0, on_msg, &n);
	return 0;
}
