// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Resets sent and received: tcp:tcp_send_reset and tcp:tcp_receive_reset
 * (4.15+). Both only matter for sockets we track; a reset sent with no
 * socket (a stray segment) has skaddr NULL. */
#include "common.bpf.h"

/* 6.10+ gives tcp_send_reset its own record (with a reason); 6.1 uses the
 * shared tcp_event_sk_skb class (common.bpf.h). Only skaddr is read. */
struct trace_event_raw_tcp_send_reset___new {
	const void *skaddr;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_event_sk___tl {
	const void *skaddr;
} __attribute__((preserve_access_index));

/* A reset sent by a timewait sock: tcp_v4_rcv()/tcp_v6_rcv() answer a
 * segment the sock must refuse (data reaching an orphaned FIN_WAIT2, the
 * peer writing after our close) with TCP_TW_RST, then deschedule the sock.
 * It is no full socket, so not in `socks`: the loader joins it to its
 * connection by 4-tuple and namespace, as it does the sock's listings. */
static __always_inline void on_send_reset(const struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TL_TIME_WAIT) {
		const struct inet_timewait_sock *tw = (const void *)sk;

		emit_minisock(&tw->__tw_common, (__u64)tw, TL_REC_RESET, TL_RST_TW_SENT,
			      BPF_CORE_READ(tw, tw_substate), 0);
		return;
	}
	emit_sk_record(sk, TL_REC_RESET, TL_RST_SENT, 0);
}

/* tp_btf first, for the reason retrans.bpf.c gives: a classic tracepoint
 * program is skipped while any kprobe or tracepoint program runs on that
 * CPU, a raw tracepoint only while it runs itself. The first argument is
 * the socket on every kernel (6.10+ append a reason). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tl_send_reset_btf, const struct sock *sk)
{
	if (sk)
		on_send_reset(sk);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tl_receive_reset_btf, struct sock *sk)
{
	if (sk)
		emit_sk_record(sk, TL_REC_RESET, TL_RST_RECV, 0);
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int tl_send_reset(void *ctx)
{
	const void *skaddr;

	/* BPF_CORE_READ, not a plain load: clang merges the two branches into
	 * one ctx load at a variable offset, which the verifier refuses. */
	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset___new))
		skaddr = BPF_CORE_READ((struct trace_event_raw_tcp_send_reset___new *)ctx, skaddr);
	else
		skaddr = BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___old *)ctx, skaddr);
	if (skaddr)
		on_send_reset((const struct sock *)skaddr);
	return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tl_receive_reset(struct trace_event_raw_tcp_event_sk___tl *ctx)
{
	const void *skaddr = ctx->skaddr;

	if (skaddr)
		emit_sk_record((const struct sock *)skaddr, TL_REC_RESET, TL_RST_RECV, 0);
	return 0;
}
