// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-listener SYN-ACK retransmits and half-open timeouts (lsncount.h),
 * keyed as the kernel side keys listeners (struct tl_listen_key). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lsncount.h"

struct lsncount_val {
	uint64_t synack_retrans, half_open;
};

int lsncount_init(struct lsncount *c)
{
	memset(c, 0, sizeof(*c));
	return hmap_init(&c->by_end, sizeof(struct tl_listen_key));
}

void lsncount_fini(struct lsncount *c)
{
	if (c)
		hmap_fini_values(&c->by_end);
}

static struct lsncount_val *slot(struct lsncount *c, uint32_t netns, const struct tl_tuple *req)
{
	struct tl_listen_key k;
	struct lsncount_val *v;

	memset(&k, 0, sizeof(k));
	k.netns = netns;
	k.family = req->family;
	k.port = req->sport;
	memcpy(k.addr, req->saddr, req->family == TL_AF_INET6 ? 16 : 4);
	v = hmap_get_or_new(&c->by_end, &k, sizeof(*v), NULL);
	if (!v)
		c->lost++;
	return v;
}

void lsncount_synack(struct lsncount *c, uint32_t netns, const struct tl_tuple *req)
{
	struct lsncount_val *v = c ? slot(c, netns, req) : NULL;

	if (v)
		v->synack_retrans++;
}

void lsncount_half_open(struct lsncount *c, uint32_t netns, const struct tl_tuple *req)
{
	struct lsncount_val *v = c ? slot(c, netns, req) : NULL;

	if (v)
		v->half_open++;
}

void lsncount_fill(const struct lsncount *c, struct lsn *v, size_t n)
{
	size_t b;

	if (!c || c->lost)
		return;
	for (size_t i = 0; i < n; i++)
		v[i].synack_retrans = v[i].half_open_timeouts = 0;
	for (struct hmap_node *nd = hmap_first(&c->by_end, &b); nd; nd = hmap_next(&c->by_end, nd, &b)) {
		const struct tl_listen_key *k = (const void *)nd->key;
		const struct lsncount_val *val = nd->value;
		struct tl_tuple t;
		struct lsn *l;

		memset(&t, 0, sizeof(t));
		t.family = k->family;
		t.sport = k->port;
		memcpy(t.saddr, k->addr, sizeof(t.saddr));
		l = lsn_find_req(v, n, k->netns, &t);
		if (!l)
			continue; /* its listener is gone, or not listed */
		l->synack_retrans += (int64_t)val->synack_retrans;
		l->half_open_timeouts += (int64_t)val->half_open;
	}
}
