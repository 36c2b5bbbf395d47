// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Retransmits and FINs.
 *  - tcp:tcp_retransmit_skb (4.15+): SYN, FIN or data, by the segment's flags.
 *  - SYN-ACK: fexit/kprobe+kretprobe on tcp_rtx_synack() (the function behind the
 *    tcp:tcp_retransmit_synack tracepoint), else that tracepoint. The sk is
 *    the listener and the child does not exist yet, so records carry the
 *    request's tuple and the loader joins them to the child.
 *  - FIN sent: fentry/kprobe on tcp_send_fin(); without either, the loader
 *    infers FINs from the transitions that precede tcp_send_fin().
 */
#include "common.bpf.h"

#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02

/* 6.1 traces tcp_retransmit_skb through the shared tcp_event_sk_skb class;
 * newer kernels give it its own record. Up to 6.15 it fires only for a
 * retransmit that left (__tcp_retransmit_skb's err == 0); 6.16+ add `err`
 * and fire for failures too. We count what left, on every kernel: the
 * kernel's TcpRetransSegs minus TCPRetransFail. */
struct trace_event_raw_tcp_retransmit_skb___new {
	const void *skbaddr;
	const void *skaddr;
	int err;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_retransmit_synack___tl {
	const void *skaddr;
	const void *req;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

/* tcp_skb_cb.tcp_flags grew from __u8 to __u16 (6.x); FIN and SYN are in
 * the low byte either way, which on little-endian is the first one. */
static __always_inline __u8 skb_tcp_flags(const void *skb)
{
	__u8 flags = 0;
	const void *p = skb + bpf_core_field_offset(struct sk_buff, cb) +
			bpf_core_field_offset(struct tcp_skb_cb, tcp_flags);

	bpf_probe_read_kernel(&flags, sizeof(flags), p);
	return flags;
}

/* tcp_skb_pcount(): the segments this skb goes out as. A retransmitted
 * GSO/TSO skb over a NIC or veth carries many (loopback's rarely more than
 * one), and __tcp_retransmit_skb() adds exactly this to TcpRetransSegs and
 * to the socket's total_retrans. tcp_gso_segs sat in a union with
 * tcp_tw_isn until 6.10; CO-RE finds it either way. */
static __always_inline __u16 skb_tcp_segs(const void *skb)
{
	__u16 segs = 0;
	const void *p = skb + bpf_core_field_offset(struct sk_buff, cb) +
			bpf_core_field_offset(struct tcp_skb_cb, tcp_gso_segs);

	bpf_probe_read_kernel(&segs, sizeof(segs), p);
	return segs ? segs : 1;
}

static __always_inline void on_retransmit(const void *skaddr, const void *skb)
{
	__u8 flags, kind;

	if (!skaddr || !skb)
		return;
	flags = skb_tcp_flags(skb);
	kind = (flags & TCPHDR_SYN) ? TL_RT_SYN : (flags & TCPHDR_FIN) ? TL_RT_FIN : TL_RT_DATA;
	emit_sk_record((const struct sock *)skaddr, TL_REC_RETRANS, kind, skb_tcp_segs(skb));
}

/* tp_btf, the better tier: a raw tracepoint is skipped only while this
 * same program runs on the CPU, where a classic tracepoint program is
 * skipped while any kprobe or tracepoint program runs there
 * (bpf_prog_active). Our syscall tracepoints run in process context on
 * every connect() and close(), and a retransmit timer's softirq can
 * interrupt one of them: the kernel matrix lost FIN retransmits that way
 * on 6.1 (t_06). 6.16+ add the transmit's `err` as a third argument;
 * reading it on an older kernel would be refused, so the CO-RE check keeps
 * that load out of the program there. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tl_retransmit_btf, const struct sock *sk, const struct sk_buff *skb)
{
	if (bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb___new, err) &&
	    (int)ctx[2] != 0)
		return 0; /* not sent: see tl_retransmit_skb */
	on_retransmit(sk, skb);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tl_retransmit_skb(void *ctx)
{
	const void *skaddr, *skb;

	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb___new)) {
		struct trace_event_raw_tcp_retransmit_skb___new *c = ctx;

		/* BPF_CORE_READ: plain loads in both branches get merged into a
		 * variable-offset ctx access that the verifier refuses. */
		skaddr = BPF_CORE_READ(c, skaddr);
		skb = BPF_CORE_READ(c, skbaddr);
		/* Not sent: -EBUSY (still in the host queue) and the early
		 * failures are not in TcpRetransSegs; a failed transmit is,
		 * and in TCPRetransFail too. Older kernels never report them. */
		if (bpf_core_field_exists(c->err) && BPF_CORE_READ(c, err) != 0)
			return 0;
	} else {
		struct trace_event_raw_tcp_event_sk_skb___old *c = ctx;

		skaddr = BPF_CORE_READ(c, skaddr);
		skb = BPF_CORE_READ(c, skbaddr);
	}
	on_retransmit(skaddr, skb);
	return 0;
}

/* The request lives in the listener's namespace: the loader lists it there
 * to tell a half-open request from one still retrying. */
static __always_inline void emit_synack(__u64 listener, const struct tl_tuple *t)
{
	__u32 netns = sk_netns((const struct sock *)listener);

	emit_untracked(TL_REC_SYNACK, 0, TL_SYN_RECV, 0, listener, netns, t);
}

static __always_inline void synack_from_req(const struct sock *sk, const struct request_sock *req)
{
	struct tl_tuple t = {};

	tuple_from_common(&req->__req_common, &t);
	emit_synack((__u64)sk, &t);
}

/* fexit, not fentry: the return value says whether the SYN-ACK left, which
 * is when the kernel counts TCPSynRetrans. */
SEC("fexit/tcp_rtx_synack")
int BPF_PROG(tl_synack_fexit, const struct sock *sk, struct request_sock *req, int ret)
{
	if (ret == 0)
		synack_from_req(sk, req);
	return 0;
}

/* A kprobe cannot see the return value, so the kprobe tier is a kprobe that
 * keeps the arguments and a kretprobe that reports them if the SYN-ACK left
 * (else a failed transmit, e.g. an OUTPUT drop, would count; the kernel's
 * TCPSynRetrans does not: t_24 under --tier kprobe). The slot is per CPU:
 * tcp_rtx_synack() runs with BHs off (request timer, or the receive path
 * of a duplicate SYN), so it neither migrates nor nests on one CPU. */
struct synack_args {
	__u64 sk;
	__u64 req;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synack_args);
} synack_stash SEC(".maps");

SEC("kprobe/tcp_rtx_synack")
int BPF_KPROBE(tl_synack_kprobe, const struct sock *sk, struct request_sock *req)
{
	__u32 zero = 0;
	struct synack_args *a = bpf_map_lookup_elem(&synack_stash, &zero);

	if (a) {
		a->sk = (__u64)sk;
		a->req = (__u64)req;
	}
	return 0;
}

SEC("kretprobe/tcp_rtx_synack")
int BPF_KRETPROBE(tl_synack_kretprobe, int ret)
{
	__u32 zero = 0;
	struct synack_args *a = bpf_map_lookup_elem(&synack_stash, &zero);

	if (!a || !a->req)
		return 0;
	if (ret == 0)
		synack_from_req((const struct sock *)a->sk, (const struct request_sock *)a->req);
	a->sk = a->req = 0;
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int tl_synack_tp(struct trace_event_raw_tcp_retransmit_synack___tl *ctx)
{
	struct tl_tuple t = {};

	TUPLE_FROM_TP(&t, ctx);
	emit_synack((__u64)ctx->skaddr, &t);
	return 0;
}

SEC("fentry/tcp_send_fin")
int BPF_PROG(tl_fin_fentry, struct sock *sk)
{
	emit_sk_record(sk, TL_REC_FIN, 0, 0);
	return 0;
}

SEC("kprobe/tcp_send_fin")
int BPF_KPROBE(tl_fin_kprobe, struct sock *sk)
{
	emit_sk_record(sk, TL_REC_FIN, 0, 0);
	return 0;
}
