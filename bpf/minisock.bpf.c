// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socks inet_sock_set_state never shows: timewait socks (TIME_WAIT and
 * an orphaned FIN_WAIT2 after tcp_time_wait()) and request socks (a
 * passive handshake's SYN_RECV phase). fentry where the kernel allows it,
 * else kprobe; without either the loader follows them with sock_diag
 * listings instead (src/sockwatch.c). The functions, checked in the BTF of
 * Debian's 6.1 and 6.12 and in 6.18's kallsyms, are real functions there:
 *
 *   __inet_twsk_schedule(tw, timeo, rearm)   arms the timer: rearm false
 *       when tcp_time_wait() creates the sock, true when the peer's FIN
 *       moves it FIN_WAIT2 -> TIME_WAIT (tcp_timewait_state_process()).
 *       tcp_time_wait() itself cannot tell us whether a sock was made:
 *       with tcp_max_tw_buckets full it closes without one.
 *   inet_twsk_kill(tw)                       static, but not inlined: the
 *       one place a hashed timewait sock ends, from its timer
 *       (tw_timer_handler) or early (inet_twsk_deschedule_put(): reuse,
 *       an RST, the namespace going away).
 *   inet_csk_reqsk_queue_hash_add(sk, req, timeout)  the request is hashed
 *       while the SYN is processed: its SYN_RECV phase starts.
 *   inet_csk_reqsk_queue_drop(sk, req)       the request is unhashed: by
 *       its timer giving up, or because its child was made (the loader
 *       tells the two apart by the child). Its calls from its own file
 *       (reqsk_timer_handler) can be inlined: on Debian's 6.1 a timed-out
 *       request shows no end here, and the loader falls back to the
 *       request timer's schedule and the listings for it.
 */
#include "common.bpf.h"

static __always_inline void tw_schedule(const struct inet_timewait_sock *tw, bool rearm)
{
	__u8 sub = BPF_CORE_READ(tw, tw_substate);

	emit_minisock(&tw->__tw_common, (__u64)tw, TL_REC_TW, rearm ? TL_TW_RESCHED : TL_TW_BEGIN,
			sub, 0);
}

/* The namespace's reference count: ns_common.count until 6.17, __ns_ref
 * since 6.18 (the namespace reference rework). */
struct ns_common___old {
	refcount_t count;
} __attribute__((preserve_access_index));

/* The namespace is being torn down: inet_twsk_purge() kills the timewait
 * socks of a namespace with no reference left, the kernel's own test
 * (refcount_read(&net->ns.count) on 6.1, check_net() since). */
static __always_inline bool net_dying(const struct net *net)
{
	int refs;

	if (bpf_core_field_exists(struct ns_common___old, count))
		refs = BPF_CORE_READ((const struct ns_common___old *)&net->ns, count.refs.counter);
	else
		refs = BPF_CORE_READ(net, ns.__ns_ref.refs.counter);
	return refs == 0;
}

/* Expired: the timer's time had come (tw_timer_handler); else its
 * namespace went (GONE), or something descheduled it first. */
static __always_inline void tw_kill(const struct inet_timewait_sock *tw)
{
	__u64 expires = BPF_CORE_READ(tw, tw_timer.expires);
	__u8 sub = BPF_CORE_READ(tw, tw_substate);
	bool expired = bpf_jiffies64() >= expires;
	__u8 kind = !expired && net_dying(BPF_CORE_READ(tw, __tw_common.skc_net.net)) ? TL_TW_GONE
										     : TL_TW_END;

	emit_minisock(&tw->__tw_common, (__u64)tw, TL_REC_TW, kind, sub, expired ? TL_F_EXPIRED : 0);
}

static __always_inline void req_event(const struct request_sock *req, __u8 kind)
{
	emit_minisock(&req->__req_common, (__u64)req, TL_REC_REQ, kind, TL_SYN_RECV, 0);
}

SEC("fentry/__inet_twsk_schedule")
int BPF_PROG(tl_tw_sched_fentry, struct inet_timewait_sock *tw, int timeo, bool rearm)
{
	tw_schedule(tw, rearm);
	return 0;
}

SEC("kprobe/__inet_twsk_schedule")
int BPF_KPROBE(tl_tw_sched_kprobe, struct inet_timewait_sock *tw, int timeo, bool rearm)
{
	tw_schedule(tw, rearm);
	return 0;
}

SEC("fentry/inet_twsk_kill")
int BPF_PROG(tl_tw_kill_fentry, struct inet_timewait_sock *tw)
{
	tw_kill(tw);
	return 0;
}

SEC("kprobe/inet_twsk_kill")
int BPF_KPROBE(tl_tw_kill_kprobe, struct inet_timewait_sock *tw)
{
	tw_kill(tw);
	return 0;
}

SEC("fentry/inet_csk_reqsk_queue_hash_add")
int BPF_PROG(tl_req_add_fentry, struct sock *sk, struct request_sock *req)
{
	req_event(req, TL_REQ_BEGIN);
	return 0;
}

SEC("kprobe/inet_csk_reqsk_queue_hash_add")
int BPF_KPROBE(tl_req_add_kprobe, struct sock *sk, struct request_sock *req)
{
	req_event(req, TL_REQ_BEGIN);
	return 0;
}

SEC("fentry/inet_csk_reqsk_queue_drop")
int BPF_PROG(tl_req_drop_fentry, struct sock *sk, struct request_sock *req)
{
	req_event(req, TL_REQ_END);
	return 0;
}

SEC("kprobe/inet_csk_reqsk_queue_drop")
int BPF_KPROBE(tl_req_drop_kprobe, struct sock *sk, struct request_sock *req)
{
	req_event(req, TL_REQ_END);
	return 0;
}
