// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "listeners.h"

int listeners_init(struct listeners *ls)
{
	memset(ls, 0, sizeof(*ls));
	return hmap_init(&ls->by_key, sizeof(struct tl_listen_key));
}

void listeners_free(struct listeners *ls)
{
	struct hmap_node *n;
	size_t b;

	for (n = hmap_first(&ls->by_key, &b); n; n = hmap_next(&ls->by_key, n, &b))
		free(n->value);
	hmap_fini(&ls->by_key);
	free(ls->keys);
	free(ls->inodes);
}

static void key_of(struct tl_listen_key *k, uint32_t netns, const struct tl_tuple *t)
{
	memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->family = t->family;
	k->port = t->sport;
	memcpy(k->addr, t->saddr, sizeof(k->addr));
}

struct add_ctx {
	struct listeners *ls;
	uint32_t netns;
	int err;
};

static int on_listener(const struct sockdiag_sock *s, void *arg)
{
	struct add_ctx *a = arg;
	struct listeners *ls = a->ls;

	if (ls->n_listed == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 64;
		struct tl_listen_key *k = realloc(ls->keys, cap * sizeof(*k));
		uint64_t *ino;

		if (k)
			ls->keys = k;
		ino = k ? realloc(ls->inodes, cap * sizeof(*ino)) : NULL;
		if (!ino) {
			a->err = -ENOMEM;
			return 1;
		}
		ls->inodes = ino;
		ls->cap = cap;
	}
	key_of(&ls->keys[ls->n_listed], a->netns, &s->tuple);
	ls->inodes[ls->n_listed++] = s->inode;
	return 0;
}

int listeners_list_ns(struct listeners *ls, struct sockdiag *sd, uint32_t netns)
{
	struct add_ctx a = { .ls = ls, .netns = netns };
	int n = 0, r;

	for (int fam = 0; fam < 2; fam++) {
		r = sockdiag_dump(sd, fam ? AF_INET6 : AF_INET, 1u << TL_LISTEN, on_listener, &a);
		if (r < 0)
			return r;
		if (a.err)
			return a.err;
		n += r;
	}
	return n;
}

/* The first holder in pid order, as the seed's holder scan names owners. */
int listeners_own(struct listeners *ls, const struct procfd *pf)
{
	for (size_t i = 0; i < ls->n_listed; i++) {
		const struct holders *h = procfd_holders(pf, ls->inodes[i]);
		struct listener *l;

		if (!h)
			continue; /* no process holds it (gone, its fd passed on, or the kernel's) */
		/* SO_REUSEPORT: several listeners share the key; the first stays. */
		if (hmap_get(&ls->by_key, &ls->keys[i]))
			continue;
		l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->key = ls->keys[i];
		if (hmap_put(&ls->by_key, &l->key, l)) {
			free(l);
			return -ENOMEM;
		}
		l->val.owner.pid = l->val.owner.tid = h->v[0].pid;
		procfd_comm(h->v[0].pid, l->val.owner.comm);
		l->val.cgroup = procfd_cgroup(pf, h->v[0].pid);
		l->fd = h->v[0].fd;
		ls->owned++;
	}
	return 0;
}

const struct listener *listeners_find(const struct listeners *ls, uint32_t netns,
				      const struct tl_tuple *t)
{
	struct tl_listen_key k;
	const struct listener *l;

	key_of(&k, netns, t);
	l = hmap_get(&ls->by_key, &k);
	if (l)
		return l;
	memset(k.addr, 0, sizeof(k.addr));
	return hmap_get(&ls->by_key, &k);
}
