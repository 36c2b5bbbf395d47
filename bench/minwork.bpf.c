// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The least a tracer that sends a record per state change does: at each
 * TCP state change, find the socket's entry in a hash (insert it at a
 * birth), read the clock, and put a 128-byte record with the IPv4 tuple in
 * a ring buffer; delete the entry when the socket is destroyed. No owner,
 * no filter, no IPv6, no rescue of skipped runs. Its cost per run
 * (kernel.bpf_stats_enabled) beside tl_state_btf's says how much of that is
 * the design (a record per transition, an entry per socket) and how much is
 * ours; bench/floor loads it and drains the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* include/net/tcp_states.h, as in bpf/tcplife.h */
#define MW_SYN_SENT 2
#define MW_SYN_RECV 3
#define MW_CLOSE 7
#define MW_LISTEN 10

struct mw_entry { /* the tracer's sk_info is 80 bytes */
	__u64 birth_ns;
	__u64 entered_ns;
	__u8 state;
	__u8 pad[63];
};

struct mw_record { /* 128 bytes, as struct tl_event */
	__u64 ts_ns, skaddr, birth_ns, entered_ns;
	__u8 oldstate, newstate;
	__u16 family, sport, dport;
	__u32 saddr, daddr;
	__u8 rest[80];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072); /* the tracer's default --max-conns */
	__type(key, __u64);
	__type(value, struct mw_entry);
} mw_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* the tracer's default */
} mw_events SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(minwork_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk, now;
	struct mw_entry fresh = {}, *en;
	struct mw_record *e;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/* A listener's own life is no connection (the tracer skips it too);
	 * a child begins as a copy of its listener, LISTEN -> SYN_RECV. */
	if (newstate == MW_LISTEN || (oldstate == MW_LISTEN && newstate != MW_SYN_RECV))
		return 0;
	now = bpf_ktime_get_ns();
	if ((oldstate == MW_CLOSE && newstate == MW_SYN_SENT) ||
	    (oldstate == MW_LISTEN && newstate == MW_SYN_RECV)) {
		fresh.birth_ns = now;
		fresh.entered_ns = now;
		if (bpf_map_update_elem(&mw_socks, &key, &fresh, BPF_ANY))
			return 0;
		en = &fresh;
	} else {
		en = bpf_map_lookup_elem(&mw_socks, &key);
		if (!en)
			return 0;
	}
	e = bpf_ringbuf_reserve(&mw_events, sizeof(*e), 0);
	if (e) {
		e->ts_ns = now;
		e->skaddr = key;
		e->birth_ns = en->birth_ns;
		e->entered_ns = en->entered_ns;
		e->oldstate = oldstate;
		e->newstate = newstate;
		e->family = sk->__sk_common.skc_family;
		e->sport = sk->__sk_common.skc_num;
		e->dport = sk->__sk_common.skc_dport;
		e->saddr = sk->__sk_common.skc_rcv_saddr;
		e->daddr = sk->__sk_common.skc_daddr;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP); /* the loader polls */
	}
	en->entered_ns = now;
	en->state = newstate;
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(minwork_destroy, const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&mw_socks, &key);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
