// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Full-socket state changes: sock:inet_sock_set_state, as tp_btf (typed
 * struct sock *, 5.5+) or as a classic tracepoint (4.16+), chosen by the
 * loader. Both feed on_state(), so the tiers cannot drift apart.
 */
#include "common.bpf.h"
#include "listener.bpf.h"

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

/* What a record reads from the socket beyond the tuple; each tier reads it
 * the way it can (plain loads on a typed socket, probe reads on an address),
 * and only for the transitions that carry it. */
struct sk_vals {
	/* to CLOSE */
	__u64 bytes_acked;
	__u64 bytes_received;
	__s32 sk_err;
	bool peer_fin;
	bool unhashed; /* not in the established hash (see on_state()) */
	/* SYN_RECV -> ESTABLISHED: see synrecv_probed() */
	__u8 req_retrans;
	__u32 req_rto_ms;
	/* 0: not read yet; the classic tier reads it only for the records
	 * that carry it (two probe reads), the typed tier always (two loads) */
	__u32 netns;
};

/* hlist_nulls_unhashed(): a socket in the established hash has pprev set
 * (sk_node and sk_nulls_node share it); tcp_set_state() and
 * inet_sk_set_state() fire the tracepoint before any unhash. */
#define SK_UNHASHED(pprev) (!(pprev))

/* tcp_fin() sets SOCK_DONE when the peer's FIN arrives; at a CLOSE from
 * FIN_WAIT2 it tells a TIME_WAIT hand-over from an orphaned FIN_WAIT2 one
 * (tcp_close() sets sk_shutdown = SHUTDOWN_MASK, so that can't). */
static __always_inline bool sock_done(unsigned long skc_flags)
{
	return skc_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE));
}

/* Classic tracepoint tier: the socket is an untyped address. */
static __always_inline void close_vals_probed(const struct sock *sk, struct sk_vals *cv)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	cv->sk_err = BPF_CORE_READ(sk, sk_err);
	cv->peer_fin = sock_done(BPF_CORE_READ(sk, __sk_common.skc_flags)); /* sk_flags is a macro */
	cv->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	cv->bytes_received = BPF_CORE_READ(tp, bytes_received);
	cv->unhashed = SK_UNHASHED(BPF_CORE_READ(sk, __sk_common.skc_nulls_node.pprev));
}

/* The child's SYN_RECV lasts microseconds; the handshake's real SYN_RECV
 * phase belonged to the request sock, which the tracepoint never shows.
 * tcp_create_openreq_child() copies the request's retransmit count into
 * total_retrans and, since 6.7, the time from its first SYN-ACK into
 * total_rto_time (only when a SYN-ACK timed out; 0 otherwise). */
static __always_inline __u8 req_retrans_of(__u32 total_retrans)
{
	return total_retrans < 255 ? total_retrans : 255;
}

static __always_inline void synrecv_probed(const struct sock *sk, struct sk_vals *v)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	v->req_retrans = req_retrans_of(BPF_CORE_READ(tp, total_retrans));
	if (bpf_core_field_exists(tp->total_rto_time))
		v->req_rto_ms = BPF_CORE_READ(tp, total_rto_time);
	else
		v->req_rto_ms = TL_REQ_RTO_UNKNOWN;
}

/* The namespace, read where a record carries it. */
static __always_inline __u32 vals_netns(const struct sock *sk, const struct sk_vals *v)
{
	return v->netns ? v->netns : sk_netns(sk);
}

/* Insert the entry of a socket seen for the first time (or reborn). */
static __always_inline int insert(__u64 key, const struct sk_info *fresh, bool born)
{
	struct sk_info *prev;

	if (!bpf_map_update_elem(&socks, &key, fresh, BPF_NOEXIST))
		return 0;
	/* A tracked socket reborn without its end seen: tcp_destroy_sock was
	 * missed. The loader ends the old life by (skaddr, birth). */
	prev = born ? bpf_map_lookup_elem(&socks, &key) : NULL;
	if (prev && prev->state != TL_CLOSE)
		stat_inc(TL_STAT_STALE);
	if (bpf_map_update_elem(&socks, &key, fresh, BPF_ANY)) {
		stat_inc(TL_STAT_MAP_FULL);
		return -1;
	}
	return 0;
}

/* The socket is now in `new`. A socket seen for the first time is inserted
 * here, once; false if that failed (the socket is not tracked). */
static __always_inline bool settle_state(__u64 key, struct sk_info *si, struct sk_info *fresh,
					 bool born, int new, __u64 now)
{
	si->state = new;
	si->entered_ns = now;
	return si != fresh || !insert(key, fresh, born);
}

/* A reserved record goes out only if its socket is tracked. Every path that
 * reserves ends here: 6.1's verifier cannot see that a record already
 * checked non-NULL is non-NULL when tested again, and then counts it as
 * never released (found by the kernel matrix). */
static __always_inline void commit(struct tl_event *e, __u64 key, struct sk_info *si,
				   struct sk_info *fresh, bool born, int new, __u64 now)
{
	if (settle_state(key, si, fresh, born, new, now))
		rec_submit(e);
	else
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
}

/* `cv` holds the close values when `new` is TL_CLOSE and the request's
 * when the change is SYN_RECV -> ESTABLISHED. A socket seen for the first
 * time is worked on in a stack copy and inserted once at the end (one hash
 * walk, not an insert and a second lookup); its record is reserved before
 * and discarded if the insert fails, as it was never tracked. */
static __always_inline int on_state(const struct sock *sk, int old, int new, const struct tl_tuple *t,
				    const struct sk_vals *cv)
{
	__u64 key = (__u64)sk, now;
	struct sk_info fresh, *si;
	struct tl_event *e;
	bool born, was_traced;

	/* A listener's own life is not a connection; its children are, and
	 * they get its owner until one of them is accepted. */
	if (new == TL_LISTEN) {
		if (old == TL_CLOSE)
			listener_up(sk, t);
		return 0;
	}
	if (old == TL_LISTEN && new == TL_CLOSE) {
		listener_down(sk, t);
		return 0;
	}

	now = bpf_ktime_get_ns();
	born = (old == TL_CLOSE && new == TL_SYN_SENT) || (old == TL_LISTEN && new == TL_SYN_RECV);
	si = born ? NULL : bpf_map_lookup_elem(&socks, &key);
	if (!si) {
		__builtin_memset(&fresh, 0, sizeof(fresh));
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
		si = &fresh;
	}
	/* A state change the kernel ran none of our programs for shows in the
	 * next one: it starts from a state we never saw it enter. The kernel
	 * counts such skips (recursion_misses) only from 6.7 for a classic
	 * tracepoint (trace_call_bpf() skips every attached program while any
	 * kprobe or tracepoint program holds bpf_prog_active on the CPU) and
	 * from 6.2 for tp_btf; this count holds on every kernel. */
	if (si && si->state != old && si->verdict == V_TRACE)
		stat_inc(TL_STAT_GAPS);
	/* The one extra lookup on the hot path, at a passive birth only. */
	if (born && old == TL_LISTEN)
		listener_owner_to(&fresh, vals_netns(sk, cv), t);
	/* Else clang selects between the map value and &fresh before the
	 * NULL test, and the verifier refuses arithmetic on a maybe-NULL
	 * map value (6.18). */
	barrier_var(si);

	was_traced = si->verdict == V_TRACE;
	if (!(si->flags & TL_F_OWNER_KNOWN) && tl_sends_fin(old, new))
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
			e->kind = owner_kind(si);
			/* The namespace lets the loader find the timewait sock
			 * (sock_diag is per namespace) and match a 4-tuple's reuse. */
			if (new == TL_CLOSE || !si->emitted)
				e->netns = vals_netns(sk, cv);
			if (new == TL_CLOSE) {
				/* A child closed before it was ever hashed: the
				 * twin of a request whose other child won
				 * inet_ehash_insert() (two ACKs of one request on
				 * two CPUs in tcp_check_req(); inet_ehash_nolisten()
				 * closes the loser), or one whose creation failed
				 * before (tcp_v4_syn_recv_sock()'s put_and_exit).
				 * Either way no connection; its twin's first record
				 * can come long after this one (kernel matrix, TCG:
				 * t_02, t_24), so the loader is told here. */
				if (old == TL_SYN_RECV && cv->unhashed)
					e->kind |= TL_K_UNHASHED;
				e->sk_err = cv->sk_err;
				if (cv->peer_fin)
					e->flags |= TL_F_PEER_FIN;
				e->bytes_acked = cv->bytes_acked;
				e->bytes_received = cv->bytes_received;
			} else if (old == TL_SYN_RECV && new == TL_ESTABLISHED) {
				e->req_retrans = cv->req_retrans;
				e->own.req_rto_ms = cv->req_rto_ms;
			}
			/* A SYN_SENT ended by an error (tcp_reset(), tcp_write_err(),
			 * an ICMP error: each sets sk_err before tcp_done()) is a
			 * failed connect() whose row reports it (enum emitted). */
			si->emitted = old == TL_SYN_SENT && new == TL_CLOSE && cv->sk_err > 0 ?
					      EM_SYN_FAILED : EM_SENT;
			commit(e, key, si, &fresh, born, new, now);
			return 0;
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
			commit(e, key, si, &fresh, born, new, now);
			return 0;
		}
	}
	settle_state(key, si, &fresh, born, new, now);
	return 0;
}

/* Typed socket (tp_btf): plain loads, which the JIT turns into guarded
 * moves, instead of a bpf_probe_read_kernel() call per field: those calls
 * were a fifth of tl_state_btf's time under churn (perf, 6.18). */
static __always_inline void tuple_from_tcp_sock(const struct tcp_sock *tp, struct tl_tuple *t)
{
	const struct inet_sock *inet = &tp->inet_conn.icsk_inet;
	const struct sock_common *c = &inet->sk.__sk_common;
	/* inet_sport, not skc_num: see tuple_from_sk(). */
	__u16 sport = bpf_ntohs(inet->inet_sport);

	t->family = c->skc_family;
	t->sport = sport ? sport : c->skc_num;
	t->dport = bpf_ntohs(c->skc_dport);
	if (t->family == AF_INET6) {
		__u32 *s = (__u32 *)t->saddr, *d = (__u32 *)t->daddr;

		for (int i = 0; i < 4; i++) {
			s[i] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			d[i] = c->skc_v6_daddr.in6_u.u6_addr32[i];
		}
	} else {
		*(__u32 *)t->saddr = c->skc_rcv_saddr;
		*(__u32 *)t->daddr = c->skc_daddr;
	}
}

/* bpf_skc_to_tcp_sock() (5.9+; older kernels fall back to the tracepoint
 * tier at load) is NULL for anything but a full TCP socket, and gives the
 * typed tcp_sock the fields are loaded from. */
static __always_inline int state_btf(const struct sock *sk, const int oldstate, const int newstate)
{
	const struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	const struct sock *s;
	struct sk_vals cv = {};
	struct tl_tuple t = {};

	if (!tp)
		return 0;
	s = &tp->inet_conn.icsk_inet.sk;
	tuple_from_tcp_sock(tp, &t);
	cv.netns = s->__sk_common.skc_net.net->ns.inum;
	if (newstate == TL_CLOSE) {
		cv.sk_err = s->sk_err;
		cv.peer_fin = sock_done(s->__sk_common.skc_flags);
		cv.bytes_acked = tp->bytes_acked;
		cv.bytes_received = tp->bytes_received;
		cv.unhashed = SK_UNHASHED(s->__sk_common.skc_nulls_node.pprev);
	} else if (oldstate == TL_SYN_RECV && newstate == TL_ESTABLISHED) {
		cv.req_retrans = req_retrans_of(tp->total_retrans);
		if (bpf_core_field_exists(tp->total_rto_time))
			cv.req_rto_ms = tp->total_rto_time;
		else
			cv.req_rto_ms = TL_REQ_RTO_UNKNOWN;
	}
	return on_state(sk, oldstate, newstate, &t, &cv);
}

/* The kernel runs a tp_btf program at most once at a time per CPU: a state
 * change in a softirq that interrupted tl_state_btf's run for one in
 * process context (connect(), close(), a socket's backlog) skips it, and
 * counts it in recursion_misses (~1 run in 400 under a full-rate loopback
 * churn on 6.18, each a transition lost and healed from the socket's end).
 * A second program on the same tracepoint runs exactly those: it does the
 * work only while tl_state_btf is running on its CPU, which for a program
 * run that is not tl_state_btf's own means nested inside it, skipped. Run
 * after tl_state_btf for the same change, the flag is clear and it
 * returns. It cannot be skipped itself where it is needed: a change that
 * interrupts the rescue (a softirq) would need a third level of nesting.
 * What it cannot see: a change that comes while the kernel is entering or
 * leaving tl_state_btf, outside the flag; those stay skipped, and the
 * loader counts them missed (tl_state_btf's skips less TL_STAT_RESCUED). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} state_running SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, *running = bpf_map_lookup_elem(&state_running, &zero);

	if (running)
		*running = 1;
	state_btf(sk, oldstate, newstate);
	if (running)
		*running = 0;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_state_btf_rescue, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0, *running = bpf_map_lookup_elem(&state_running, &zero);

	if (!running || !*running)
		return 0;
	stat_inc(TL_STAT_RESCUED);
	return state_btf(sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tl_state_tp(struct trace_event_raw_inet_sock_set_state___tl *ctx)
{
	struct sk_vals cv = {};
	struct tl_tuple t = {};
	const struct sock *sk;
	int old, new;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	TUPLE_FROM_TP(&t, ctx);
	/* Each field read once: clang otherwise keeps ctx + offset in a
	 * register for the second read, a modified ctx pointer 6.1 refuses. */
	sk = (const struct sock *)ctx->skaddr;
	old = ctx->oldstate;
	new = ctx->newstate;
	if (new == TL_CLOSE)
		close_vals_probed(sk, &cv);
	else if (old == TL_SYN_RECV && new == TL_ESTABLISHED)
		synrecv_probed(sk, &cv);
	return on_state(sk, old, new, &t, &cv);
}

/* The socket's end. Its entry normally shows CLOSE: that record went out.
 * Anything else means a state change was never traced: a classic
 * tracepoint skips every program attached to it while another kprobe or
 * tracepoint program holds bpf_prog_active on the CPU (a softirq that
 * interrupted one, of any tracer), and a tp_btf program skips its own
 * recursion. One record then carries the final state, the peer's FIN and
 * the byte counts, from which the loader completes the row. Only then:
 * this runs for every socket, and a record per connection is a cost. */
static __always_inline void on_destroy(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sk_info *si = bpf_map_lookup_elem(&socks, &key);
	struct sk_vals cv = {};
	struct tl_event *e;

	if (si && si->state != TL_CLOSE && si->verdict == V_TRACE && si->emitted) {
		e = rec_reserve();
		if (e) {
			rec_fill(e, TL_REC_DESTROY, key, si, bpf_ktime_get_ns());
			close_vals_probed(sk, &cv);
			e->newstate = BPF_CORE_READ(sk, __sk_common.skc_state);
			e->sk_err = cv.sk_err;
			if (cv.peer_fin)
				e->flags |= TL_F_PEER_FIN;
			e->bytes_acked = cv.bytes_acked;
			e->bytes_received = cv.bytes_received;
			e->netns = sk_netns(sk);
			tuple_from_sk(sk, &e->tuple);
			rec_submit(e);
		}
	}
	bpf_map_delete_elem(&socks, &key);
}

/* The entry outlives CLOSE so that an RST sent just after it (tcp_disconnect()
 * sets CLOSE, then sends the reset) still finds the connection; it goes when
 * the kernel destroys the socket. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tl_destroy_btf, struct sock *sk)
{
	on_destroy(sk);
	return 0;
}

/* The classic tracepoint: the fallback tier (skipped while another kprobe
 * or tracepoint program runs on the CPU; see retrans.bpf.c). */
SEC("tracepoint/tcp/tcp_destroy_sock")
int tl_destroy(struct trace_event_raw_tcp_event_sk___tl *ctx)
{
	on_destroy((const struct sock *)ctx->skaddr);
	return 0;
}
