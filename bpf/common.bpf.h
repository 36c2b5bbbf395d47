/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps, read-only configuration and helpers shared by the per-concern BPF
 * files. The definitions live in maps.bpf.c; every other file sees them as
 * `extern` and `bpftool gen object` links them into one object.
 */
#ifndef TCPLIFE_COMMON_BPF_H
#define TCPLIFE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "tcplife.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

/* The shared tcp_event_sk_skb class: 6.1 traces tcp_retransmit_skb and
 * tcp_send_reset through it; later kernels give each its own record (the
 * ___new flavours in retrans.bpf.c and reset.bpf.c). */
struct trace_event_raw_tcp_event_sk_skb___old {
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

/* The tuple of a tracepoint record that carries both address forms
 * (sock:inet_sock_set_state, tcp:tcp_retransmit_synack; ports in host
 * order). A macro because the two records are different types. Not memcpy:
 * clang turns it into loads through ctx + offset, and the verifier refuses
 * a modified ctx pointer ("dereference of modified ctx ptr"). */
#define TUPLE_FROM_TP(t, ctx)                                                             \
	do {                                                                              \
		(t)->family = (ctx)->family;                                              \
		(t)->sport = (ctx)->sport;                                                \
		(t)->dport = (ctx)->dport;                                                \
		if ((t)->family == AF_INET6) {                                            \
			bpf_probe_read_kernel((t)->saddr, 16, (const void *)(ctx)->saddr_v6); \
			bpf_probe_read_kernel((t)->daddr, 16, (const void *)(ctx)->daddr_v6); \
		} else {                                                                  \
			bpf_probe_read_kernel((t)->saddr, 4, (const void *)(ctx)->saddr);   \
			bpf_probe_read_kernel((t)->daddr, 4, (const void *)(ctx)->daddr);   \
		}                                                                         \
	} while (0)

/* What the tracker keeps per socket, keyed by the socket's address. A hash
 * (not sk_storage) because the tracepoint and kprobe tiers only have the
 * address, and every tier must reach the same entry. */
struct sk_info {
	__u64 birth_ns;   /* 0: the socket was already alive when we attached */
	__u64 entered_ns; /* when `state` was entered; 0 = unknown */
	struct tl_owner owner;
	__u8 state;
	__u8 flags;   /* TL_F_PASSIVE | TL_F_BIRTH_SEEN | TL_F_OWNER_KNOWN | TL_F_RELEASED | TL_F_HOLDERS */
	__u8 verdict; /* enum verdict */
	__u8 emitted; /* enum emitted: a record went out, never hold one back again */
	__s32 fd;     /* the owner's fd; -1 = unknown (see owner.bpf.c) */
	__u64 cgroup; /* the owner's cgroup v2 id */
	__u32 holder_pass; /* last holder scan that named an owner (owner.bpf.c) */
	__s32 closing_fd;  /* with TL_F_RELEASED: the fd the old owner was closing */
};

/* sk_info.emitted. Past EM_NONE a record of this life went out, so the
 * loader has a row for it. A SYN_SENT -> CLOSE with a record is a connect()
 * that failed after its SYN: the row's end reports that failure, and the
 * next connect() on the socket that returns an error (the blocking call
 * itself, or a later call that collects sk_err through sock_error()) is that
 * same failure told again, not a new attempt (owner.bpf.c, tl_connect_exit). */
enum emitted { EM_NONE = 0, EM_SENT = 1, EM_SYN_FAILED = 2, EM_ERR_TOLD = 3 };

/* Filters are decided once the tuple is complete: at CLOSE -> SYN_SENT the
 * local port is still 0 (tcp_v4_connect() sets the state before
 * inet_hash_connect() picks the port), and a child at LISTEN -> SYN_RECV
 * still carries the listener's addresses. Records wait until then. */
enum verdict { V_UNDECIDED = 0, V_TRACE = 1, V_FILTERED = 2 };

/* Set by the loader between open and load. */
extern const volatile __u16 cfg_family;
extern const volatile __u32 cfg_n_lports;
extern const volatile __u32 cfg_n_rports;
extern const volatile __u32 cfg_n_pids;
extern const volatile __u16 cfg_lports[TL_MAX_PORTS];
extern const volatile __u16 cfg_rports[TL_MAX_PORTS];
extern const volatile __u32 cfg_pids[TL_MAX_PIDS];
extern const volatile __u32 cfg_n_comms;
extern const volatile char cfg_comms[TL_MAX_COMMS][TL_COMM_LEN];
extern const volatile __u64 cfg_cgroup;
extern const volatile __u64 cfg_wakeup_bytes;
/* CONFIG_HZ, found by the loader (probe.c), 0 if unknown. Not a __kconfig
 * extern: libbpf then refuses the whole object where no kernel config can
 * be read (no /proc/config.gz, no /boot/config-*: containers, Debian's
 * kernels under qemu), found by the kernel matrix. */
extern const volatile __u32 cfg_hz;

/* Map types are named so that maps.bpf.c defines exactly what the other
 * files declare; the linker checks the two agree. */
struct socks_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072); /* --max-conns */
	__type(key, __u64);
	__type(value, struct sk_info);
};

struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* --ringbuf-mb */
};

struct stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tl_stats);
};

/* Listening sockets by local end (listener.bpf.h), and the key each one was
 * entered under, by its address, so its close finds it whatever its port
 * reads by then. */
struct listeners_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tl_listen_key);
	__type(value, struct tl_listen_val);
};

struct listener_keys_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tl_listen_key);
};

extern struct socks_map socks SEC(".maps");
extern struct listeners_map listeners SEC(".maps");
extern struct listener_keys_map listener_keys SEC(".maps");
extern struct events_map events SEC(".maps");
extern struct stats_map stats SEC(".maps");

static __always_inline void stat_inc(int which)
{
	__u32 zero = 0;
	struct tl_stats *s = bpf_map_lookup_elem(&stats, &zero);

	/* Atomic although the slot is this CPU's: a rescue run of the state
	 * program (state.bpf.c) can interrupt one on the same CPU. */
	if (s && which >= 0 && which < TL_STAT_MAX)
		__sync_fetch_and_add(&s->v[which], 1);
}

static __always_inline bool in_ports(const volatile __u16 *ports, __u32 n, __u16 port)
{
	for (__u32 i = 0; i < TL_MAX_PORTS; i++) {
		if (i >= n)
			break;
		if (ports[i] == port)
			return true;
	}
	return false;
}

static __always_inline bool pid_matches(__u32 pid)
{
	if (!cfg_n_pids)
		return true;
	for (__u32 i = 0; i < TL_MAX_PIDS; i++) {
		if (i >= cfg_n_pids)
			break;
		if (cfg_pids[i] == pid)
			return true;
	}
	return false;
}

static __always_inline bool comm_matches(const char *comm)
{
	if (!cfg_n_comms)
		return true;
	for (__u32 i = 0; i < TL_MAX_COMMS; i++) {
		bool eq = true;

		if (i >= cfg_n_comms)
			break;
		for (int k = 0; k < TL_COMM_LEN; k++) {
			if (cfg_comms[i][k] != comm[k]) {
				eq = false;
				break;
			}
			if (!comm[k])
				break;
		}
		if (eq)
			return true;
	}
	return false;
}

/* -p, -c and --cgroup: all on the recorded owner, never the current task. */
static __always_inline bool owner_matches(const struct sk_info *si)
{
	return pid_matches(si->owner.pid) && comm_matches(si->owner.comm) &&
	       (!cfg_cgroup || si->cgroup == cfg_cgroup);
}

/* Decide the tuple filters once both ports are known. */
static __always_inline void decide(struct sk_info *si, const struct tl_tuple *t)
{
	if (si->verdict != V_UNDECIDED)
		return;
	if (cfg_family && t->family != cfg_family) {
		si->verdict = V_FILTERED;
		return;
	}
	if ((cfg_n_lports && !t->sport) || (cfg_n_rports && !t->dport))
		return; /* not yet: see enum verdict */
	if ((cfg_n_lports && !in_ports(cfg_lports, cfg_n_lports, t->sport)) ||
	    (cfg_n_rports && !in_ports(cfg_rports, cfg_n_rports, t->dport))) {
		si->verdict = V_FILTERED;
		return;
	}
	if ((si->flags & TL_F_OWNER_KNOWN) && !owner_matches(si)) {
		si->verdict = V_FILTERED;
		return;
	}
	si->verdict = V_TRACE;
}

/* Record the current task as owner. Only call from hooks that run in the
 * owner's process context (connect, close/shutdown, accept): in softirq the
 * current task is whoever the packet interrupted, often the peer (bpf/README.md,
 * Kernel facts). */
static __always_inline void set_owner(struct sk_info *si, __s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();

	si->owner.pid = id >> 32;
	si->owner.tid = (__u32)id;
	bpf_get_current_comm(si->owner.comm, sizeof(si->owner.comm));
	si->cgroup = bpf_get_current_cgroup_id(); /* 4.18+ */
	si->fd = fd;
	si->flags |= TL_F_OWNER_KNOWN;
	si->flags &= ~(TL_F_RELEASED | TL_F_HOLDERS);
}

static __always_inline struct tl_event *rec_reserve(void)
{
	struct tl_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		stat_inc(TL_STAT_RB_FULL);
	return e;
}

/* Wake the loader only when a batch has built up; it also polls on a short
 * timeout, so a quiet host still sees its records promptly. One wake-up per
 * record costs more than the record itself at high connection rates: each is
 * an irq_work self-IPI (measured on 6.18 under churn: the APIC write was 12%
 * of tl_state_btf's time when every record past the mark forced a wake-up
 * while the loader was behind). So wake only when this record carried the
 * backlog across a multiple of cfg_wakeup_bytes: a woken loader drains the
 * whole ring, and a crossing missed by racing CPUs costs one poll timeout. */
#define TL_REC_SPACE (sizeof(struct tl_event) + 8 /* BPF_RINGBUF_HDR_SZ */)

static __always_inline void rec_submit(struct tl_event *e)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bool crossed = avail >= TL_REC_SPACE &&
		       avail / cfg_wakeup_bytes != (avail - TL_REC_SPACE) / cfg_wakeup_bytes;

	bpf_ringbuf_submit(e, crossed ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Fill the fields every record about a tracked socket carries. */
static __always_inline void rec_fill(struct tl_event *e, __u8 type, __u64 skaddr,
				     const struct sk_info *si, __u64 now)
{
	e->type = type;
	e->flags = si->flags;
	e->oldstate = si->state;
	e->newstate = si->state;
	e->kind = 0;
	e->sk_err = 0;
	e->ts_ns = now;
	e->skaddr = skaddr;
	e->birth_ns = si->birth_ns;
	e->entered_ns = si->entered_ns;
	e->req_retrans = 0;
	e->segs = 0;
	e->netns = 0;
	e->own.cgroup = si->cgroup;
	e->own.fd = si->fd;
	e->own.req_rto_ms = 0;
	e->owner = si->owner;
}

/* sock_common's head, where every field of a tuple lies on the kernels we
 * know (6.1 .. 6.18: the IPv4 addresses and ports in the first 16 bytes,
 * the family, the IPv6 addresses to byte 88). A probe read costs about the
 * same for 4 bytes as for 88 (~25 ns, perf, 6.18: the helper call and its
 * fault handling, not the copy), so one read of the head replaces five
 * (IPv4) or seven (IPv6). Offsets are CO-RE relocated; a kernel that puts a
 * field past the head takes the field-by-field reads below instead. */
#define TL_SKC_HEAD 96
#define SKC_OFF(f) bpf_core_field_offset(struct sock_common, f)
#define SKC_END(f) (SKC_OFF(f) + bpf_core_field_size(struct sock_common, f))
#define SKC_AT(head, type, f) (*(const type *)((head) + SKC_OFF(f)))

static __always_inline bool tuple_from_head(const struct sock_common *c, struct tl_tuple *t)
{
	__u8 head[TL_SKC_HEAD];

	if (SKC_END(skc_daddr) > TL_SKC_HEAD || SKC_END(skc_rcv_saddr) > TL_SKC_HEAD ||
	    SKC_END(skc_dport) > TL_SKC_HEAD || SKC_END(skc_num) > TL_SKC_HEAD ||
	    SKC_END(skc_family) > TL_SKC_HEAD || SKC_END(skc_v6_daddr) > TL_SKC_HEAD ||
	    SKC_END(skc_v6_rcv_saddr) > TL_SKC_HEAD)
		return false;
	if (bpf_probe_read_kernel(head, sizeof(head), c))
		return true; /* what the reads field by field would give: zeros */
	t->family = SKC_AT(head, __u16, skc_family);
	t->sport = SKC_AT(head, __u16, skc_num);
	t->dport = bpf_ntohs(SKC_AT(head, __u16, skc_dport));
	if (t->family == AF_INET6) {
		__builtin_memcpy(t->saddr, head + SKC_OFF(skc_v6_rcv_saddr), 16);
		__builtin_memcpy(t->daddr, head + SKC_OFF(skc_v6_daddr), 16);
	} else {
		*(__u32 *)t->saddr = SKC_AT(head, __u32, skc_rcv_saddr);
		*(__u32 *)t->daddr = SKC_AT(head, __u32, skc_daddr);
	}
	return true;
}

/* Tuple from the sock_common at the head of a full, request or timewait
 * sock. Used where the hook hands us a socket rather than a tracepoint
 * record that already holds the addresses. */
static __always_inline void tuple_from_common(const struct sock_common *c, struct tl_tuple *t)
{
	if (tuple_from_head(c, t))
		return;
	t->family = BPF_CORE_READ(c, skc_family);
	t->sport = BPF_CORE_READ(c, skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(c, skc_dport));
	if (t->family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, c, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, c, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, c, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, c, skc_daddr);
	}
}

/* The socket's network namespace (inode number, as /proc/PID/ns/net). */
static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Full sockets: the local port from inet_sport, as the tracepoint does.
 * skc_num is zeroed by inet_put_port() when tcp_set_state(CLOSE) unhashes
 * the socket, which (6.x) happens before the state-change tracepoint. */
static __always_inline void tuple_from_sk(const struct sock *sk, struct tl_tuple *t)
{
	__u16 sport;

	tuple_from_common(&sk->__sk_common, t);
	sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	if (sport)
		t->sport = sport;
}

static __always_inline bool tuple_complete(const struct tl_tuple *t)
{
	return t->sport && t->dport;
}

/* A record about tracked socket sk, filled from its entry and its own
 * tuple: NULL when the ring buffer is full (rec_reserve counts it). */
/* `now` may be taken before si changed: the loader orders owner changes by
 * it (src/conntab_rec.c, set_owner), not by arrival. */
static __always_inline struct tl_event *rec_of_sk_at(const struct sock *sk, struct sk_info *si,
						     __u8 type, __u64 now)
{
	struct tl_event *e = rec_reserve();

	if (!e)
		return NULL;
	rec_fill(e, type, (__u64)sk, si, now);
	/* The socket's first record names its namespace, whatever its type:
	 * a client's owner record (connect(), process context) comes before
	 * its SYN_SENT, and the loader keeps the first record's (dropped_by
	 * looks for the client's listener in it). */
	if (si->emitted == EM_NONE) {
		e->netns = sk_netns(sk);
		si->emitted = EM_SENT;
	}
	tuple_from_sk(sk, &e->tuple);
	return e;
}

static __always_inline struct tl_event *rec_of_sk(const struct sock *sk, struct sk_info *si,
						  __u8 type)
{
	return rec_of_sk_at(sk, si, type, bpf_ktime_get_ns());
}

/* Emit a non-state record (retransmit, reset, FIN, owner) for a tracked
 * socket; the tuple is read from the socket itself. */
static __always_inline void emit_sk_record(const struct sock *sk, __u8 type, __u8 kind, __u16 segs)
{
	__u64 key = (__u64)sk;
	struct sk_info *si = bpf_map_lookup_elem(&socks, &key);
	struct tl_event *e;

	if (!si)
		return;
	if (si->verdict == V_UNDECIDED) {
		struct tl_tuple t = {};

		tuple_from_sk(sk, &t);
		decide(si, &t);
	}
	if (si->verdict != V_TRACE)
		return;
	e = rec_of_sk(sk, si, type);
	if (!e)
		return;
	e->kind = kind;
	e->segs = segs;
	rec_submit(e);
}

/* A record about a sock that is not in `socks`: a request (its child does
 * not exist yet), a timewait sock, a listener's SYN-ACK. Only the tuple
 * filters apply: no owner is ever known for these. */
static __always_inline void emit_untracked(__u8 type, __u8 kind, __u8 state, __u8 flags,
					   __u64 addr, __u32 netns, const struct tl_tuple *t)
{
	struct sk_info probe = { .verdict = V_UNDECIDED };
	struct tl_event *e;

	decide(&probe, t);
	if (probe.verdict != V_TRACE)
		return;
	e = rec_reserve();
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->kind = kind;
	e->flags = flags;
	e->oldstate = state;
	e->newstate = state;
	e->ts_ns = bpf_ktime_get_ns();
	e->skaddr = addr;
	e->netns = netns;
	e->tuple = *t;
	rec_submit(e);
}

/* A record about a timewait or request sock: its tuple and namespace read
 * from the sock_common at its head. */
static __always_inline void emit_minisock(const struct sock_common *c, __u64 addr, __u8 type,
					  __u8 kind, __u8 sub, __u8 flags)
{
	struct tl_tuple t = {};

	tuple_from_common(c, &t);
	emit_untracked(type, kind, sub, flags, addr, BPF_CORE_READ(c, skc_net.net, ns.inum), &t);
}

#endif /* TCPLIFE_COMMON_BPF_H */
