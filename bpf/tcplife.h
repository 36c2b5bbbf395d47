/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI shared by the BPF programs and the loader. Only fixed-width types,
 * explicit padding, and sizes pinned by _Static_assert: a record written by
 * the kernel side is read byte for byte by user space.
 */
#ifndef TCPLIFE_H
#define TCPLIFE_H

/* BPF objects get these types from vmlinux.h; user space from the uapi. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TL_COMM_LEN 16
#define TL_MAX_PORTS 8 /* -L / -D filters, each */
#define TL_MAX_PIDS 8  /* -p filters */
#define TL_MAX_COMMS 4 /* -c filters */

/* The arch's syscall functions (syscall wrappers, 4.17+), which the fentry
 * and kprobe tiers of the accept/connect/close hooks attach to: a program on
 * a syscalls tracepoint would tax every system call on the host. Named here
 * because the BPF sections and the loader's hook table must agree. */
#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
#define TL_SYSCALL_FN(name) "__x64_sys_" name
#elif defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define TL_SYSCALL_FN(name) "__arm64_sys_" name
#else
/* Not known here: a name no kernel has, so those tiers are refused ("not
 * in the kernel's BTF") and the hooks take their syscalls tracepoints. */
#define TL_SYSCALL_FN(name) "tl_unknown_arch_sys_" name
#endif

/* Kernel TCP state numbers (include/net/tcp_states.h). Stable since 2.6;
 * BOUND_INACTIVE appeared in 6.9. Anything >= TL_NSTATES is out of range
 * and must be rejected by the decoder before it indexes a table. */
enum tl_tcp_state {
	TL_ESTABLISHED = 1,
	TL_SYN_SENT = 2,
	TL_SYN_RECV = 3,
	TL_FIN_WAIT1 = 4,
	TL_FIN_WAIT2 = 5,
	TL_TIME_WAIT = 6,
	TL_CLOSE = 7,
	TL_CLOSE_WAIT = 8,
	TL_LAST_ACK = 9,
	TL_LISTEN = 10,
	TL_CLOSING = 11,
	TL_NEW_SYN_RECV = 12,
	TL_BOUND_INACTIVE = 13,
	TL_NSTATES = 14,
};

/* Transitions only the owner's close()/shutdown() makes: tcp_close_state()
 * sets these states and tcp_send_fin() follows, in the caller's context.
 * The BPF side learns the owner there; the loader infers the FIN from them
 * on tiers without a tcp_send_fin() hook. */
static inline __attribute__((always_inline)) int tl_sends_fin(int old, int new)
{
	return (new == TL_FIN_WAIT1 && (old == TL_ESTABLISHED || old == TL_SYN_RECV)) ||
	       (new == TL_LAST_ACK && old == TL_CLOSE_WAIT);
}

/* tl_tuple.family: AF_INET and AF_INET6, the same on every architecture. */
#define TL_AF_INET 2
#define TL_AF_INET6 10

/* req_rto_ms when the kernel has no tcp_sock.total_rto_time (before 6.7). */
#define TL_REQ_RTO_UNKNOWN 0xffffffffu

/* Record types carried by the one ring buffer (tagged union: type first). */
enum tl_rec_type {
	TL_REC_STATE = 1,   /* full-socket state change */
	TL_REC_RETRANS = 2, /* tcp_retransmit_skb: kind says SYN / FIN / data */
	TL_REC_RESET = 3,   /* RST sent or received: kind says which */
	TL_REC_SYNACK = 4,  /* SYN-ACK retransmitted; keyed by tuple, the sk is the listener */
	TL_REC_FIN = 5,     /* tcp_send_fin() entered (fentry/kprobe tiers only) */
	TL_REC_OWNER = 6,   /* owner learnt in process context (accept, connect) */
	TL_REC_TW = 7,      /* a timewait sock: kind says begun / rescheduled / ended */
	TL_REC_REQ = 8,     /* a request sock: kind says hashed (SYN in) / unhashed */
	TL_REC_DESTROY = 9, /* tcp_destroy_sock of a socket whose CLOSE record never went
			     * out: oldstate = the last state tracked, newstate = sk_state;
			     * carries sk_err, TL_F_PEER_FIN and the bytes as a CLOSE does */
	TL_REC_SEED = 12,   /* a socket that existed before the tool started */
	TL_REC_HOLDER = 13, /* a process holding a socket fd (kind: enum tl_holder_kind) */
	TL_REC_CONNERR = 14, /* connect() on a TCP socket failed before a connection existed
			      * (no record of this life went out): sk_err = the errno it
			      * returned, the tuple's remote end from the caller's sockaddr,
			      * owner/cgroup/fd the caller, old/newstate CLOSE, netns set */
	TL_REC_MAX = 15,
};

/* TL_REC_TW kinds (fentry/kprobe tiers: __inet_twsk_schedule, inet_twsk_kill).
 * newstate is the substate, FIN_WAIT2 or TIME_WAIT. GONE: ended early by
 * its namespace's teardown (inet_twsk_purge(): the namespace has no
 * reference left), an END of its own kind as the flags byte is full. */
enum tl_tw_kind { TL_TW_BEGIN = 0, TL_TW_RESCHED = 1, TL_TW_END = 2, TL_TW_GONE = 3 };
/* TL_REC_REQ kinds (inet_csk_reqsk_queue_hash_add, inet_csk_reqsk_queue_drop). */
enum tl_req_kind { TL_REQ_BEGIN = 0, TL_REQ_END = 1 };

enum tl_retrans_kind { TL_RT_SYN = 0, TL_RT_FIN = 1, TL_RT_DATA = 2 };
/* TW_SENT: sent by a timewait sock (TIME_WAIT, or an orphaned FIN_WAIT2: the
 * substate is in oldstate), which the kernel then deschedules; the record
 * names it by tuple and netns. (A reset a timewait sock receives has no
 * tracepoint: tcp_receive_reset fires for full sockets only.) */
enum tl_reset_dir { TL_RST_SENT = 0, TL_RST_RECV = 1, TL_RST_TW_SENT = 2 };
/* HOLDER: the process now named owner, or one more process holding the fd. */
enum tl_holder_kind { TL_HOLDER_OWNER = 0, TL_HOLDER_OTHER = 1 };

/*
 * Filters: kernel and user space.
 *
 * In the kernel (const volatile rodata cfg_*, set by the loader between
 * open and load; decide() and owner_matches() in common.bpf.h), so that
 * other traffic costs only the check:
 *  - -4/-6/-L/-D on the tuple, decided once per socket; the ports only
 *    when the tuple is complete (connect() picks the local port after
 *    CLOSE -> SYN_SENT; a child at LISTEN -> SYN_RECV still carries its
 *    listener's addresses): until then the socket's records are held
 *    back, after it none is skipped. Socks without an entry (requests, timewait socks, a
 *    listener's SYN-ACKs) get these filters only: they have no owner.
 *  - -p/-c/--cgroup on the recorded owner (never the current task), but
 *    only once that owner is known (TL_F_OWNER_KNOWN: learnt in process
 *    context at connect, accept, close/shutdown, or by a holder scan).
 *    A socket whose owner is not known yet is traced: a passive one's
 *    owner is learnt only at accept(), after its first records went out.
 *
 * The "forget this socket" record: when the owner of a socket already
 * traced becomes known and does not match, the kernel side marks it
 * filtered (final: nothing more is sent for it) and sends one last
 * record with TL_F_FILTERED -- an OWNER (accept/connect, or the state
 * change that ran in the owner's context) or a HOLDER (the iter/task_file
 * scan). It carries the tuple and the owner that did not match; the
 * loader drops the connection without writing or counting it.
 *
 * In user space (src/filter.c), where the kernel cannot decide:
 *  - The owner filters again on each row of the connection table
 *    (conntab.c): a row whose owner is known and does not match goes (the
 *    sock_diag seed's HOLDER records are made in user space and met no
 *    BPF filter). A child nobody accepted yet carries its listener's
 *    owner (TL_K_LISTENER_OWNER, without TL_F_OWNER_KNOWN) and is kept
 *    whatever that owner is: a matching worker may still accept it from
 *    a shared listener (pre-forked servers). At the row's end it is
 *    written only if its owner, learnt or the listener's, matches; one
 *    whose owner was never learnt is counted unattributed, not written.
 *    The --stream transitions and the live view show a row only once its
 *    owner is known to match.
 *  - -4/-6/-L/-D on the sockets the sock_diag seed lists (seed.c, kernels
 *    without BPF iterators): no BPF program sees them. The iterator seed
 *    runs decide() in the kernel.
 * --state is no filter of records: it selects the rows the outputs show.
 */

/* tl_event.flags */
#define TL_F_PASSIVE 0x01     /* born LISTEN -> SYN_RECV (accepted side) */
#define TL_F_BIRTH_SEEN 0x02  /* the tracker saw the socket being born */
#define TL_F_OWNER_KNOWN 0x04 /* owner was recorded in process context */
#define TL_F_PEER_FIN 0x08    /* CLOSE: SOCK_DONE set, the peer's FIN had arrived */
#define TL_F_FILTERED 0x10    /* owner now known and does not match -p: forget it (above) */
#define TL_F_RELEASED 0x20    /* the owner closed its fd while others still hold one */
#define TL_F_HOLDERS 0x40     /* kernel side: the next holder scan names the owner */
#define TL_F_EXPIRED 0x80     /* TW_END: the sock's timer had run out (else killed early) */

/* tl_event.kind of STATE and SEED records (the flags byte is full). */
#define TL_K_LISTENER_OWNER 0x01 /* owner is the listening socket's: the child was
				  * never accepted (no TL_F_OWNER_KNOWN) */
#define TL_K_UNHASHED 0x02       /* CLOSE from SYN_RECV of a child never put in the
				  * established hash: no connection (state.bpf.c) */

/* Drop and loss counters, one slot each, kept per CPU in the `stats` map. */
enum tl_stat {
	TL_STAT_RB_FULL = 0,     /* bpf_ringbuf_reserve failed: record lost */
	TL_STAT_MAP_FULL = 1,    /* per-socket map insert failed: socket untracked */
	TL_STAT_STALE = 2,       /* a tracked socket was reborn without a CLOSE seen */
	TL_STAT_GAPS = 3,        /* a traced socket's state change ran no program of ours */
	TL_STAT_RESCUED = 4,     /* state changes the kernel skipped for tl_state_btf (nested
				  * on its CPU) that tl_state_btf_rescue ran (state.bpf.c) */
	TL_STAT_MAX = 5,
};

struct tl_stats {
	__u64 v[TL_STAT_MAX];
};

struct tl_tuple {
	__u8 saddr[16]; /* local address; IPv4 uses the first 4 bytes */
	__u8 daddr[16]; /* remote address */
	__u16 sport;    /* local port, host order */
	__u16 dport;    /* remote port, host order */
	__u16 family;   /* TL_AF_INET or TL_AF_INET6 */
	__u16 _pad;
};

struct tl_owner {
	__u32 pid; /* thread-group id; 0 when not known yet */
	__u32 tid;
	char comm[TL_COMM_LEN]; /* raw from the kernel: not NUL-safe, not sanitized */
};

struct tl_event {
	__u8 type;     /* enum tl_rec_type */
	__u8 flags;    /* TL_F_* */
	__u8 oldstate; /* STATE: state left. RETRANS/RESET/FIN: state at the time */
	__u8 newstate; /* STATE: state entered */
	__u8 kind;     /* RETRANS: enum tl_retrans_kind; RESET: enum tl_reset_dir;
			* STATE, SEED: TL_K_* bits */
	__u8 req_retrans; /* STATE SYN_RECV -> ESTABLISHED: tcp_sock.total_retrans, the
			   * request's SYN-ACK retransmits (255 = 255 or more) */
	__u16 segs;    /* RETRANS: segments the retransmitted skb carried, tcp_skb_pcount()
			* (a GSO/TSO skb carries many; TcpRetransSegs adds this); 0 = 1 */
	__s32 sk_err;  /* STATE to CLOSE: sk->sk_err (ETIMEDOUT, ECONNRESET, ...) */
	__u32 netns;   /* STATE (first of a life, and CLOSE), SYNACK, TW, REQ: network
			* namespace inode */
	__u64 ts_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 skaddr;  /* kernel address of the socket (listener for SYNACK) */
	__u64 birth_ns;   /* identity with skaddr; 0 = birth not seen */
	__u64 entered_ns; /* STATE: when oldstate was entered; 0 = unknown */
	/* A STATE record to CLOSE (and a DESTROY) carries the byte counters; every other
	 * record the owner's cgroup v2 id and fd, which keeps the record at
	 * 128 bytes (a CLOSE has no use for an fd: the socket is going). */
	union {
		struct {
			__u64 bytes_acked;    /* tcp_sock.bytes_acked */
			__u64 bytes_received; /* tcp_sock.bytes_received */
		};
		struct {
			__u64 cgroup; /* owner's cgroup v2 id (kernfs id = inode); 0 = unknown */
			__s32 fd;     /* owner's fd for the socket; -1 = unknown */
			/* STATE SYN_RECV -> ESTABLISHED: what the child inherited from
			 * its request sock (tcp_create_openreq_child): total_rto_time
			 * (6.7+), first SYN-ACK to the child's creation when SYN-ACKs
			 * timed out; TL_REQ_RTO_UNKNOWN on older kernels. */
			__u32 req_rto_ms;
		} own;
	};
	struct tl_tuple tuple;
	struct tl_owner owner;
};

/* The `listeners` map: a listening socket's local end, per namespace, and
 * its owner. Filled by the kernel side at listen() (process context) and by
 * the loader for listeners older than the tool; read at a child's birth. */
struct tl_listen_key {
	__u32 netns;  /* network namespace inode */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 port;   /* local port, host order */
	__u8 addr[16]; /* local address (IPv4: first 4 bytes); all zero = wildcard */
};

struct tl_listen_val {
	struct tl_owner owner;
	__u64 cgroup; /* owner's cgroup v2 id; 0 = unknown */
	__u64 skaddr; /* the listener; 0 = entered by the loader (address unknown) */
};

/* What iter/task_file tl_lsn_holders writes (owner.bpf.c): a process
 * holding a listening TCP socket, in the order /proc would name them (pid,
 * then fd). The loader keys it by inode, as sock_diag lists listeners. */
struct tl_lsn_holder {
	__u64 ino; /* the socket's inode: sock_diag's, and /proc/PID/fd's socket:[INODE] */
	__u32 pid; /* the holder's thread-group id */
	__s32 fd;
};

_Static_assert(sizeof(struct tl_lsn_holder) == 16, "tl_lsn_holder ABI");
_Static_assert(sizeof(struct tl_listen_key) == 24, "tl_listen_key ABI");
_Static_assert(sizeof(struct tl_listen_val) == 40, "tl_listen_val ABI");
_Static_assert(sizeof(struct tl_tuple) == 40, "tl_tuple ABI");
_Static_assert(sizeof(struct tl_owner) == 24, "tl_owner ABI");
_Static_assert(sizeof(struct tl_event) == 128, "tl_event ABI");
_Static_assert(sizeof(struct tl_stats) == 8 * TL_STAT_MAX, "tl_stats ABI");

#endif /* TCPLIFE_H */
