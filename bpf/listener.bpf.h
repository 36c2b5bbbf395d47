/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Listening sockets and their owners, so that a child nobody accepted yet
 * (still in the accept queue, or never accepted at all) can be shown with
 * the owner of the socket it queues on. A child has no pointer back to its
 * listener; what it has is the listener's local end: sk_clone_lock() copies
 * the listener, and inet_csk_clone_lock() fires LISTEN -> SYN_RECV before it
 * writes the child's own addresses and ports (6.1 .. 6.18). So the child's
 * tuple at birth is the listener's key.
 *
 * The owner is entered at CLOSE -> LISTEN, which inet_csk_listen_start()
 * makes inside listen(), in the owner's process context; and by the loader
 * for listeners older than the tool (sock_diag and /proc, src/listeners.c).
 * A child carries it without TL_F_OWNER_KNOWN, so accept() (or a holder
 * scan) still names the real owner over it.
 */
#ifndef TCPLIFE_LISTENER_BPF_H
#define TCPLIFE_LISTENER_BPF_H

#include "common.bpf.h"

static __always_inline void listen_key(struct tl_listen_key *k, __u32 netns,
				       const struct tl_tuple *t, __u16 port)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->family = t->family;
	k->port = port;
	__builtin_memcpy(k->addr, t->saddr, sizeof(k->addr));
}

/* CLOSE -> LISTEN, in listen(). The port: inet_csk_listen_start() sets the
 * state before get_port() copies inet_num into inet_sport, so the classic
 * tracepoint reports sport 0; inet_num (skc_num) holds the port bind() gave.
 * (A listen() without bind() gets its port after this: not entered.) An
 * entry another live listener holds stays (SO_REUSEPORT, or a listen()
 * about to fail with EADDRINUSE); the loader's (skaddr 0) gives way. */
static __always_inline void listener_up(const struct sock *sk, const struct tl_tuple *t)
{
	__u16 port = t->sport ? t->sport : BPF_CORE_READ(sk, __sk_common.skc_num);
	struct tl_listen_val v = {}, *cur;
	struct tl_listen_key k;
	__u64 skaddr = (__u64)sk;
	__u64 id;

	if (!port)
		return;
	listen_key(&k, sk_netns(sk), t, port);
	cur = bpf_map_lookup_elem(&listeners, &k);
	if (cur && cur->skaddr && cur->skaddr != skaddr)
		return;
	id = bpf_get_current_pid_tgid();
	v.owner.pid = id >> 32;
	v.owner.tid = (__u32)id;
	bpf_get_current_comm(v.owner.comm, sizeof(v.owner.comm));
	v.cgroup = bpf_get_current_cgroup_id();
	v.skaddr = skaddr;
	if (bpf_map_update_elem(&listeners, &k, &v, BPF_ANY) ||
	    bpf_map_update_elem(&listener_keys, &skaddr, &k, BPF_ANY)) {
		bpf_map_delete_elem(&listeners, &k);
		stat_inc(TL_STAT_MAP_FULL); /* its children go without an owner */
	}
}

/* LISTEN -> CLOSE: by the key it was entered under; a listener the loader
 * entered (older than the tool) by its local end, which inet_sport still
 * holds (inet_put_port() clears only inet_num). */
static __always_inline void listener_down(const struct sock *sk, const struct tl_tuple *t)
{
	__u64 skaddr = (__u64)sk;
	struct tl_listen_key *kp = bpf_map_lookup_elem(&listener_keys, &skaddr);
	struct tl_listen_val *cur;
	struct tl_listen_key k;

	if (kp) {
		k = *kp;
		bpf_map_delete_elem(&listener_keys, &skaddr);
	} else {
		listen_key(&k, sk_netns(sk), t, t->sport);
	}
	cur = bpf_map_lookup_elem(&listeners, &k);
	if (cur && (cur->skaddr == skaddr || !cur->skaddr))
		bpf_map_delete_elem(&listeners, &k);
}

/* The listener a passive socket queues on: its exact local end, then the
 * wildcard address of its family (a child seeded mid-life has its own
 * address by then). */
static __always_inline struct tl_listen_val *listener_find(__u32 netns, const struct tl_tuple *t)
{
	struct tl_listen_val *v;
	struct tl_listen_key k;

	listen_key(&k, netns, t, t->sport);
	v = bpf_map_lookup_elem(&listeners, &k);
	if (v)
		return v;
	__builtin_memset(k.addr, 0, sizeof(k.addr));
	return bpf_map_lookup_elem(&listeners, &k);
}

/* Give a child the listener's owner, but not TL_F_OWNER_KNOWN: the owner
 * hooks then still replace it, and the in-kernel -p/-c/--cgroup filters do
 * not drop a child before its real owner is known. */
static __always_inline void listener_owner_to(struct sk_info *si, __u32 netns,
					      const struct tl_tuple *t)
{
	struct tl_listen_val *v = listener_find(netns, t);

	if (!v || (si->flags & TL_F_OWNER_KNOWN))
		return;
	si->owner = v->owner;
	si->cgroup = v->cgroup;
	/* A local end a listener holds is an accepted side's: a client cannot
	 * bind it (EADDRINUSE). Says it of a child seeded mid-life too. */
	si->flags |= TL_F_PASSIVE;
}

/* TL_K_* bits for a STATE or SEED record of this socket. */
static __always_inline __u8 owner_kind(const struct sk_info *si)
{
	return si->owner.pid && !(si->flags & TL_F_OWNER_KNOWN) ? TL_K_LISTENER_OWNER : 0;
}

#endif /* TCPLIFE_LISTENER_BPF_H */
