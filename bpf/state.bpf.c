// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Full-socket state changes: sock:inet_sock_set_state, as tp_btf (typed
 * struct sock *, 5.5+) or as a classic tracepoint (4.16+), chosen by the
 * loader. Both feed on_state(), so the tiers cannot drift apart.
 */
#include "common.bpf.h"

/* The classic record; the ___tl flavour lets CO-RE match it by name
 * (trace_event_raw_inet_sock_set_state, stable since 4.16) and relocate
 * every field, so no kernel's layout is baked in. */
struct trace_event_raw_inet_sock_set_state___tl {
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_event_sk___tl {
	const void *skaddr;
} __attribute__((preserve_access_index));

/* What is read only once, when the socket reaches CLOSE. */
static __always_inline void close_info(const struct sock *sk, struct tl_event *e)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	unsigned long sk_flags = BPF_CORE_READ(sk, __sk_common.skc_flags); /* sk_flags is a macro */

	e->sk_err = BPF_CORE_READ(sk, sk_err);
	/* tcp_fin() sets SOCK_DONE when the peer's FIN arrives; at a CLOSE from
	 * FIN_WAIT2 it tells a TIME_WAIT hand-over from an orphaned FIN_WAIT2
	 * one (tcp_close() sets sk_shutdown = SHUTDOWN_MASK, so that can't). */
	if (sk_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE)))
		e->flags |= TL_F_PEER_FIN;
	e->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	e->bytes_received = BPF_CORE_READ(tp, bytes_received);
}

/* The child's SYN_RECV lasts microseconds; the handshake's real SYN_RECV
 * phase belonged to the request sock, which the tracepoint never shows.
 * tcp_create_openreq_child() copies the request's retransmit count into
 * total_retrans and, since 6.7, the time from its first SYN-ACK into
 * total_rto_time (only when a SYN-ACK timed out; 0 otherwise). */
static __always_inline void synrecv_info(const struct sock *sk, struct tl_event *e)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	__u32 retrans = BPF_CORE_READ(tp, total_retrans);

	e->req_retrans = retrans < 255 ? retrans : 255;
	if (bpf_core_field_exists(tp->total_rto_time))
		e->own.req_rto_ms = BPF_CORE_READ(tp, total_rto_time);
	else
		e->own.req_rto_ms = TL_REQ_RTO_UNKNOWN;
}

/* Transitions that only a system call makes: tcp_close()/tcp_shutdown()
 * set FIN_WAIT1 or LAST_ACK and then send the FIN, in the caller's context. */
static __always_inline bool in_owner_context(int old, int new)
{
	return (new == TL_FIN_WAIT1 && (old == TL_ESTABLISHED || old == TL_SYN_RECV)) ||
	       (new == TL_LAST_ACK && old == TL_CLOSE_WAIT);
}

static __always_inline int on_state(const struct sock *sk, int old, int new, const struct tl_tuple *t)
{
	__u64 key = (__u64)sk, now;
	struct sk_info *si;
	struct tl_event *e;
	bool born, was_traced;

	/* A listener's own life is not a connection; its children are. */
	if (new == TL_LISTEN || (old == TL_LISTEN && new == TL_CLOSE))
		return 0;

	now = bpf_ktime_get_ns();
	born = (old == TL_CLOSE && new == TL_SYN_SENT) || (old == TL_LISTEN && new == TL_SYN_RECV);
	si = bpf_map_lookup_elem(&socks, &key);
	if (born || !si) {
		struct sk_info fresh = {};

		/* A tracked socket reborn without its end seen: tcp_destroy_sock
		 * was missed. The loader ends the old life by (skaddr, birth). */
		if (si && born && si->state != TL_CLOSE)
			stat_inc(TL_STAT_STALE);
		fresh.state = old;
		fresh.fd = -1;
		if (born) {
			fresh.birth_ns = now;
			fresh.entered_ns = now;
			fresh.flags = TL_F_BIRTH_SEEN;
			if (old == TL_LISTEN)
				fresh.flags |= TL_F_PASSIVE;
			else
				set_owner(&fresh, -1); /* connect(): process context */
		}
		if (bpf_map_update_elem(&socks, &key, &fresh, BPF_ANY)) {
			stat_inc(TL_STAT_MAP_FULL);
			return 0;
		}
		si = bpf_map_lookup_elem(&socks, &key);
		if (!si)
			return 0;
	}

	was_traced = si->verdict == V_TRACE;
	if (!(si->flags & TL_F_OWNER_KNOWN) && in_owner_context(old, new))
		set_owner(si, -1);
	decide(si, t);

	/* Hold records back only until the first complete tuple: after that a
	 * record (a CLOSE above all) is never skipped, whatever the ports say. */
	if (si->verdict == V_TRACE && (si->emitted || tuple_complete(t))) {
		e = rec_reserve();
		if (e) {
			rec_fill(e, TL_REC_STATE, key, si, now);
			e->oldstate = old;
			e->newstate = new;
			e->tuple = *t;
			/* The namespace lets the loader find the timewait sock
			 * (sock_diag is per namespace) and match a 4-tuple's reuse. */
			if (new == TL_CLOSE || !si->emitted)
				e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
			if (new == TL_CLOSE)
				close_info(sk, e);
			else if (old == TL_SYN_RECV && new == TL_ESTABLISHED)
				synrecv_info(sk, e);
			si->emitted = 1;
			rec_submit(e);
		}
	} else if (was_traced && (si->flags & TL_F_OWNER_KNOWN) && !owner_matches(si)) {
		/* Records went out while the owner was unknown; the owner is now
		 * known and is not one of -p: tell the loader to forget it. */
		si->verdict = V_FILTERED;
		e = rec_reserve();
		if (e) {
			rec_fill(e, TL_REC_OWNER, key, si, now);
			e->flags |= TL_F_FILTERED;
			e->tuple = *t;
			rec_submit(e);
		}
	}

	si->state = new;
	si->entered_ns = now;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tl_tuple t = {};

	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	tuple_from_sk(sk, &t);
	return on_state(sk, oldstate, newstate, &t);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state___tl *ctx)
{
	struct tl_tuple t = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	t.family = ctx->family;
	t.sport = ctx->sport; /* the tracepoint stores ports in host order */
	t.dport = ctx->dport;
	/* Not memcpy: clang turns it into loads through ctx + offset, and the
	 * verifier refuses a modified ctx pointer ("dereference of modified ctx
	 * ptr"; found by --tier tracepoint, which auto never chose here). */
	if (t.family == AF_INET6) {
		bpf_probe_read_kernel(t.saddr, 16, (const void *)ctx->saddr_v6);
		bpf_probe_read_kernel(t.daddr, 16, (const void *)ctx->daddr_v6);
	} else {
		bpf_probe_read_kernel(t.saddr, 4, (const void *)ctx->saddr);
		bpf_probe_read_kernel(t.daddr, 4, (const void *)ctx->daddr);
	}
	return on_state((const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, &t);
}

/* The entry outlives CLOSE so that an RST sent just after it (tcp_disconnect()
 * sets CLOSE, then sends the reset) still finds the connection; it goes when
 * the kernel destroys the socket. */
SEC("tracepoint/tcp/tcp_destroy_sock")
int tl_destroy(struct trace_event_raw_tcp_event_sk___tl *ctx)
{
	__u64 key = (__u64)ctx->skaddr;

	bpf_map_delete_elem(&socks, &key);
	return 0;
}
