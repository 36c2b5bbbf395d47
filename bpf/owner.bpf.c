// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who owns a connection: pid, tid, comm, cgroup v2 id and fd, recorded only
 * in the owner's process context (bpf/README.md, Kernel facts: the softirq
 * that completes a handshake runs in whatever task the packet interrupted,
 * on loopback often the peer).
 *
 *  - accept: fexit (5.5+) or kretprobe on inet_csk_accept() where the kernel
 *    allows it, which also sees accepts that make no accept syscall
 *    (io_uring, in-kernel users); only its return value is read, because its
 *    arguments changed in 6.10 (flags/err/kern became struct
 *    proto_accept_arg *). The fd does not exist yet there (do_accept()
 *    installs it afterwards), so the sys_exit_accept4/accept tracepoints
 *    always run too: they read the new fd's socket from the task's fd table
 *    with CO-RE (bpf/README.md, Kernel facts: it returns the right sk) and
 *    emit the OWNER record with the fd. On tracepoint-only kernels they are
 *    the owner hook.
 *  - connect: the state hook names the owner at CLOSE -> SYN_SENT (process
 *    context); sys_enter_connect keeps the fd per thread and
 *    sys_exit_connect, when the tuple is complete, emits the OWNER record.
 *  - close: a close() that leaves other holders (fork, dup, SCM_RIGHTS)
 *    marks the owner released; a close() that drops the last reference names
 *    the closing process (its FIN_WAIT1/LAST_ACK record carries it).
 *  - where the syscalls are hooked: the syscalls tracepoints above are the
 *    last tier. A program on any of them makes every system call of every
 *    task on the host take the traced path (TIF_SYSCALL_TRACEPOINT), so the
 *    fentry and kprobe tiers hook the arch's syscall functions instead
 *    (__x64_sys_accept4 ...; 4.17+ syscall wrappers): only accept(),
 *    connect() and close() pay. Same programs' bodies, same records.
 *  - pre-existing sockets: iter/tcp (5.9+) enters them in `socks` and
 *    iter/task_file (5.8+) names their holders, and those of released
 *    sockets; both write records to the iterator's seq_file.
 */
#include "common.bpf.h"
#include "listener.bpf.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EEXIST 17
#define SOCK_STREAM 1
/* connect()'s returns that are no failure of the attempt: still going
 * (EINPROGRESS, EALREADY, a signal: EINTR and the ERESTART* codes the
 * syscall exit sees before the signal code rewrites them), or connected. */
#define EINTR 4
#define EISCONN 106
#define EALREADY 114
#define EINPROGRESS 115
#define ERESTARTSYS 512
#define ERESTART_RESTARTBLOCK 516
#define MAX_ERRNO 4095

struct trace_event_raw_sys_exit___tl {
	long int ret;
} __attribute__((preserve_access_index));

struct trace_event_raw_sys_enter___tl {
	long int id;
	unsigned long args[6];
} __attribute__((preserve_access_index));

/* struct file's reference count: f_count (atomic_long_t, the count) until
 * 6.12, f_ref (file_ref_t, the count minus one) since 6.13. */
struct file___old {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* sys_enter_connect -> sys_exit_connect, per thread: the fd, and where the
 * caller's sockaddr is (read only when the call failed: tcp_v4_connect()
 * zeroes inet_dport on its failure path, and a route or BPF refusal comes
 * before it sets the destination at all). LRU: a thread that dies inside
 * connect() leaves nothing behind for long. */
struct connect_call {
	__u64 uaddr;
	__s32 fd;
	__u32 addrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct connect_call);
} connect_fd SEC(".maps");

/* Set by the loader before each holder scan; a socket's first holder in a
 * scan becomes its owner, the others are reported beside it. */
__u32 holder_pass = 0;

/* Set by the loader for --once: iter/tcp reports request socks too. */
__u32 seed_requests = 0;

static __always_inline const struct sock *sock_of_file(const struct file *f)
{
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* The caller's file for fd. Every owner hook runs this, close()'s for every
 * close() on the host: with the typed current task (5.11+) the walk to the
 * fd array is four plain loads, where probe reads cost ~25 ns each (perf,
 * 6.18: a third of tl_close_enter's time). The slot itself is read with a
 * probe read: the verifier allows no variable offset into a typed pointer. */
static __always_inline const struct file *file_of_fd(long fd)
{
	struct fdtable *fdt;
	struct file **fds;
	struct file *f = NULL;
	unsigned int max_fds;

	if (fd < 0)
		return NULL;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct task_struct *task = bpf_get_current_task_btf();

		fdt = task->files->fdt;
		if (!fdt)
			return NULL;
		max_fds = fdt->max_fds;
		fds = fdt->fd;
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		fdt = BPF_CORE_READ(task, files, fdt);
		if (!fdt)
			return NULL;
		max_fds = BPF_CORE_READ(fdt, max_fds);
		fds = BPF_CORE_READ(fdt, fd);
	}
	if ((unsigned long)fd >= max_fds ||
	    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

static __always_inline long file_refs(const struct file *f)
{
	if (bpf_core_field_exists(struct file___old, f_count))
		return BPF_CORE_READ((const struct file___old *)f, f_count.counter);
	return BPF_CORE_READ(f, f_ref.refcnt.counter) + 1;
}

/* An OWNER record from process context once the tuple is complete. Under
 * -p/-c/--cgroup a socket already reported while its owner was unknown gets
 * TL_F_FILTERED, so the loader forgets it. `now` is taken before the caller
 * changed si: a holder scan on another CPU that sees the change stamps its
 * record later, and the loader keeps the newest owner by timestamp, so this
 * record, read from the ring buffer after the scan, never undoes it. */
static __always_inline void emit_owner(const struct sock *sk, struct sk_info *si, __u8 extra,
				       __u64 now)
{
	struct tl_event *e;
	bool was_traced = si->verdict == V_TRACE;

	if (!was_traced) {
		struct tl_tuple t = {};

		tuple_from_sk(sk, &t);
		decide(si, &t);
		if (si->verdict != V_TRACE)
			return;
	}
	e = rec_of_sk_at(sk, si, TL_REC_OWNER, now);
	if (!e)
		return;
	e->flags |= extra;
	if (was_traced && !owner_matches(si)) {
		e->flags |= TL_F_FILTERED;
		si->verdict = V_FILTERED;
	}
	rec_submit(e);
}

static __always_inline int on_accept(long fd)
{
	const struct sock *sk = sock_of_file(file_of_fd(fd));
	__u64 key = (__u64)sk;
	struct sk_info *si;
	__u64 now;

	if (!sk)
		return 0;
	/* Not in `socks`: not TCP (accept on a UNIX socket), or never seen. */
	si = bpf_map_lookup_elem(&socks, &key);
	if (!si || si->verdict == V_FILTERED)
		return 0;
	now = bpf_ktime_get_ns(); /* before si changes */
	set_owner(si, (__s32)fd);
	emit_owner(sk, si, 0, now);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tl_accept4_exit(struct trace_event_raw_sys_exit___tl *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tl_accept_exit(struct trace_event_raw_sys_exit___tl *ctx)
{
	return on_accept(ctx->ret);
}

/* The same at the syscall functions' return (fentry and kprobe tiers): the
 * fd is installed by then, as at the tracepoint. */
SEC("fexit/" TL_SYSCALL_FN("accept4"))
int BPF_PROG(tl_sys_accept4_fexit, const struct pt_regs *regs, long ret)
{
	return on_accept(ret);
}

SEC("fexit/" TL_SYSCALL_FN("accept"))
int BPF_PROG(tl_sys_accept_fexit, const struct pt_regs *regs, long ret)
{
	return on_accept(ret);
}

SEC("kretsyscall/accept4")
int BPF_KRETPROBE(tl_sys_accept4_kret, long ret)
{
	return on_accept(ret);
}

SEC("kretsyscall/accept")
int BPF_KRETPROBE(tl_sys_accept_kret, long ret)
{
	return on_accept(ret);
}

/* The accepting task, whatever the path into inet_csk_accept(). The fd is
 * filled in by the syscall exit above when there is one. */
static __always_inline int on_csk_accept(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sk_info *si;

	if (!sk)
		return 0;
	si = bpf_map_lookup_elem(&socks, &key);
	if (si && si->verdict != V_FILTERED)
		set_owner(si, -1);
	return 0;
}

SEC("fexit/inet_csk_accept")
int BPF_PROG(tl_accept_fexit)
{
	__u64 ret = 0;

	/* bpf_get_func_ret (5.17+): the return value whatever the arguments. */
	bpf_get_func_ret(ctx, &ret);
	return on_csk_accept((const struct sock *)ret);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(tl_accept_kretprobe, const struct sock *ret)
{
	return on_csk_accept(ret);
}

static __always_inline int connect_begin(__s32 fd, __u64 uaddr, __u32 addrlen)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_call cc = { .uaddr = uaddr, .fd = fd, .addrlen = addrlen };

	bpf_map_update_elem(&connect_fd, &tid, &cc, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int tl_connect_enter(struct trace_event_raw_sys_enter___tl *ctx)
{
	/* Plain loads from the record (probe reads were a fifth of a
	 * non-socket close()'s time), each argument read once: see tl_state_tp. */
	__s32 fd = (__s32)ctx->args[0];
	__u64 uaddr = ctx->args[1];
	__u32 addrlen = (__u32)ctx->args[2];

	return connect_begin(fd, uaddr, addrlen);
}

/* kprobe tier: entry and return are two programs, joined per thread as at
 * the tracepoints. (fexit has both in one: tl_sys_connect_fexit.) */
SEC("ksyscall/connect")
int BPF_KSYSCALL(tl_sys_connect_kprobe, int fd, const void *uaddr, int addrlen)
{
	return connect_begin(fd, (__u64)uaddr, (__u32)addrlen);
}

static __always_inline bool connect_failed(long ret)
{
	long err = -ret;

	return ret < 0 && err <= MAX_ERRNO && err != EINPROGRESS && err != EALREADY &&
	       err != EISCONN && err != EINTR && !(err >= ERESTARTSYS && err <= ERESTART_RESTARTBLOCK);
}

/* A TCP socket of ours (not UNIX, UDP or MPTCP). sk_type and sk_protocol
 * were bitfields before 5.6: read as such, which also works on the plain
 * fields since. */
static __always_inline bool tcp_inet(const struct sock *sk)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (fam == AF_INET || fam == AF_INET6) &&
	       BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type) == SOCK_STREAM &&
	       BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP;
}

/* The remote end the caller asked for, from its sockaddr (sockaddr_in, or
 * sockaddr_in6 of at least SIN6_LEN_RFC2133 = 24 bytes, as the kernel
 * requires). False when it is of another family than the socket's. */
static __always_inline bool remote_from_user(const struct connect_call *cc, struct tl_tuple *t)
{
	struct {
		__u16 family;
		__u16 port;
		__u8 a4[4]; /* sin_addr, or sin6_flowinfo */
		__u8 a6[16];
	} sa = {};

	if (cc->addrlen < 16 || bpf_probe_read_user(&sa, 16, (const void *)cc->uaddr))
		return false;
	if (sa.family != t->family)
		return false;
	if (sa.family == AF_INET6) {
		if (cc->addrlen < 24 || bpf_probe_read_user(&sa, 24, (const void *)cc->uaddr))
			return false;
		__builtin_memcpy(t->daddr, sa.a6, 16);
	} else {
		__builtin_memset(t->daddr, 0, 16);
		__builtin_memcpy(t->daddr, sa.a4, 4);
	}
	t->dport = bpf_ntohs(sa.port);
	return true;
}

/*
 * connect() failed with `err`. One connect_error per failed attempt, from
 * one of two places, never both:
 *  - The attempt sent its SYN (it has a local port, so its STATE records
 *    went out and the loader has a row): the failure comes later, in
 *    softirq (a reset: ECONNREFUSED; the SYN retries run out: ETIMEDOUT or
 *    the ICMP error kept in sk_err_soft; an ICMP unreachable), and sk_err
 *    is set before tcp_done() moves the socket to CLOSE. The CLOSE record
 *    carries sk_err, and the loader reports the failure from the row's end
 *    (src/conntab_rec.c), for blocking and non-blocking connects alike:
 *    state.bpf.c marks that life EM_SYN_FAILED. The connect() that then
 *    returns the error (the blocking call itself, or a later call on a
 *    non-blocking socket, which collects sk_err through sock_error() or
 *    says ECONNABORTED) tells the same failure again: skipped here, once
 *    (EM_ERR_TOLD), so a retry on the same socket after it counts anew.
 *  - Nothing of this attempt went out (EM_NONE): it failed inside the
 *    call, before a connection existed. tcp_v4_connect()/tcp_v6_connect()
 *    set SYN_SENT before inet_hash_connect() picks the port and CLOSE again
 *    when that fails (EADDRNOTAVAIL), with the tuple never complete, so
 *    state.bpf.c held those records back; a route lookup (ENETUNREACH), a
 *    cgroup BPF program or a bad address fail before any state change.
 *    This record is the only trace; the socket is no connection and gets
 *    no row (no OWNER record either, see tl_connect_exit).
 * The filters are those of a row (decide()): -L needs the local port,
 * which such an attempt has only when it was bound.
 */
static __always_inline void on_connect_error(const struct sock *sk, struct sk_info *si,
					     const struct connect_call *cc, long err)
{
	struct sk_info probe = { .verdict = V_UNDECIDED };
	struct tl_tuple t = {};
	struct tl_event *e;

	if (!tcp_inet(sk) || BPF_CORE_READ(sk, __sk_common.skc_state) != TL_CLOSE)
		return;
	if (si && si->emitted == EM_SYN_FAILED) {
		si->emitted = EM_ERR_TOLD;
		return;
	}
	/* The state program saw SYN_SENT and not the CLOSE the socket is in
	 * now: that was skipped (a softirq nested in another BPF program on a
	 * classic tracepoint, t_42), so the SYN went out and a connection
	 * existed. Its records were held back (no local port at SYN_SENT):
	 * send the row's first now; the CONNERR below ends it (the loader
	 * heals a row open in SYN_SENT with this error). */
	if (si && si->emitted == EM_NONE && si->state == TL_SYN_SENT && si->verdict == V_TRACE &&
	    si->owner.tid == (__u32)bpf_get_current_pid_tgid()) {
		si->fd = cc->fd;
		emit_owner(sk, si, 0, bpf_ktime_get_ns());
	}
	tuple_from_sk(sk, &t);
	if (!remote_from_user(cc, &t))
		return;
	set_owner(&probe, cc->fd); /* process context: the caller */
	decide(&probe, &t);
	if (probe.verdict != V_TRACE)
		return;
	e = rec_reserve();
	if (!e)
		return;
	rec_fill(e, TL_REC_CONNERR, (__u64)sk, &probe, bpf_ktime_get_ns());
	e->birth_ns = si ? si->birth_ns : 0; /* which life's row, if it has one */
	e->flags = TL_F_OWNER_KNOWN;
	e->oldstate = e->newstate = TL_CLOSE;
	e->sk_err = (__s32)err;
	e->netns = sk_netns(sk);
	e->tuple = t;
	rec_submit(e);
}

/* connect() returned `ret` for the call `cc` made. EINPROGRESS
 * (non-blocking) too: by then tcp_v4_connect() has set SYN_SENT and picked
 * the local port, so the tuple is complete. */
static __always_inline int connect_done(const struct connect_call *cc, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const struct sock *sk;
	struct sk_info *si;
	__u64 key, now;

	sk = sock_of_file(file_of_fd(cc->fd));
	key = (__u64)sk;
	si = sk ? bpf_map_lookup_elem(&socks, &key) : NULL;
	if (sk && connect_failed(ret)) {
		on_connect_error(sk, si, cc, -ret);
		return 0;
	}
	/* Only the socket this thread just connected (blocking connects are
	 * ESTABLISHED by now), once; never one that is no connection (a
	 * SYN_SENT that went back to CLOSE before any record went out). */
	if (!si || si->verdict == V_FILTERED || si->owner.tid != tid || si->fd >= 0 ||
	    (si->state == TL_CLOSE && si->emitted == EM_NONE))
		return 0;
	now = bpf_ktime_get_ns(); /* before si changes */
	si->fd = cc->fd;
	emit_owner(sk, si, 0, now);
	return 0;
}

/* The entry's connect_call, taken out of the per-thread map. */
static __always_inline int connect_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_call *ccp = bpf_map_lookup_elem(&connect_fd, &tid), cc;

	if (!ccp)
		return 0;
	cc = *ccp;
	bpf_map_delete_elem(&connect_fd, &tid);
	return connect_done(&cc, ret);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tl_connect_exit(struct trace_event_raw_sys_exit___tl *ctx)
{
	return connect_end(ctx->ret);
}

SEC("kretsyscall/connect")
int BPF_KRETPROBE(tl_sys_connect_kret, long ret)
{
	return connect_end(ret);
}

/* The tracepoint tier without the entry program (5.15+, bpf_task_pt_regs):
 * at sys_exit_connect the caller's arguments are still in the user
 * registers saved at the syscall's entry, which connect() does not change
 * (the fexit tier below reads the same registers). No sys_enter_connect run
 * and no per-thread map: 0.5-0.8 us less BPF time per connect on 6.18
 * (bench/README.md). The typed registers are read by plain loads. */
SEC("tracepoint/syscalls/sys_exit_connect")
int tl_connect_exit_regs(struct trace_event_raw_sys_exit___tl *ctx)
{
	const struct pt_regs *regs =
		(const struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long ret = ctx->ret;
	struct connect_call cc = {
		.fd = (__s32)PT_REGS_PARM1_SYSCALL(regs),
		.uaddr = (__u64)PT_REGS_PARM2_SYSCALL(regs),
		.addrlen = (__u32)PT_REGS_PARM3_SYSCALL(regs),
	};

	return connect_done(&cc, ret);
}

/* fexit sees the arguments beside the return value: no map. The pt_regs
 * are the caller's user registers (the syscall wrapper's argument). */
SEC("fexit/" TL_SYSCALL_FN("connect"))
int BPF_PROG(tl_sys_connect_fexit, const struct pt_regs *regs, long ret)
{
	struct connect_call cc = {
		.fd = (__s32)PT_REGS_PARM1_CORE_SYSCALL(regs),
		.uaddr = (__u64)PT_REGS_PARM2_CORE_SYSCALL(regs),
		.addrlen = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs),
	};

	return connect_done(&cc, ret);
}

/* close(fd), before the fd leaves the table. */
static __always_inline int close_begin(__s32 fd)
{
	const struct file *f = file_of_fd(fd);
	const struct sock *sk = sock_of_file(f);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sk_info *si;
	__u64 key = (__u64)sk;

	if (!sk)
		return 0;
	si = bpf_map_lookup_elem(&socks, &key);
	if (!si)
		return 0;
	if (file_refs(f) > 1) {
		/* Someone else keeps the socket open (a forked child, a dup, a
		 * descriptor passed over a UNIX socket): the owner lets go and
		 * the next holder scan names who holds it now. Threads blocked
		 * on the fd also hold a reference; they finish with it soon. */
		if ((si->flags & TL_F_OWNER_KNOWN) && si->owner.pid == tgid &&
		    !(si->flags & TL_F_RELEASED)) {
			__u64 now = bpf_ktime_get_ns(); /* before si changes */

			si->flags |= TL_F_RELEASED | TL_F_HOLDERS;
			si->closing_fd = fd;
			si->fd = -1;
			if (si->verdict == V_FILTERED)
				si->verdict = V_UNDECIDED; /* the next owner may match */
			else if (si->verdict == V_TRACE)
				emit_owner(sk, si, 0, now);
		}
		return 0;
	}
	/* The last reference: this close() ends the socket's life in user
	 * space, and its FIN_WAIT1/LAST_ACK record carries the closer. */
	if (!(si->flags & TL_F_OWNER_KNOWN) || si->owner.pid != tgid || (si->flags & TL_F_RELEASED))
		set_owner(si, fd);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int tl_close_enter(struct trace_event_raw_sys_enter___tl *ctx)
{
	return close_begin((__s32)ctx->args[0]);
}

SEC("fentry/" TL_SYSCALL_FN("close"))
int BPF_PROG(tl_sys_close_fentry, const struct pt_regs *regs)
{
	return close_begin((__s32)PT_REGS_PARM1_CORE_SYSCALL(regs));
}

SEC("ksyscall/close")
int BPF_KSYSCALL(tl_sys_close_kprobe, int fd)
{
	return close_begin(fd);
}

/* tcp_sock.rcv_tstamp: jiffies of the last ACK-bearing segment received. A
 * FIN carries an ACK, so a CLOSE_WAIT socket entered its state no later than
 * that: now - rcv_tstamp is a lower bound of its time in CLOSE_WAIT. */

static __always_inline __u64 close_wait_since(const struct tcp_sock *tp, __u64 now)
{
	__u32 age_j = (__u32)bpf_jiffies64() - BPF_CORE_READ(tp, rcv_tstamp);
	__u64 age;

	if (!cfg_hz)
		return 0; /* the loader could not tell HZ: unknown */
	age = (__u64)age_j * (1000000000ULL / cfg_hz);
	return age < now ? now - age : 0;
}

/* A request sock (half-open: the SYN came, the handshake did not finish;
 * `ss` state SYN-RECV) for --once, with its listener's owner: the walk over
 * every socket that iter/tcp makes anyway shows it, where a sock_diag dump
 * of them walked every socket again (0.6 s at 1 000 000). Not entered in
 * `socks`: it is not a full socket (live, conntab_minisock.c follows
 * requests from their own records). */
static __always_inline void seed_request(const struct sock_common *skc, struct seq_file *seq)
{
	struct sk_info fresh = { .state = TL_SYN_RECV, .fd = -1, .flags = TL_F_PASSIVE };
	struct tl_event e = {};
	__u32 netns = sk_netns((const struct sock *)skc);

	tuple_from_common(skc, &e.tuple);
	listener_owner_to(&fresh, netns, &e.tuple);
	decide(&fresh, &e.tuple);
	if (fresh.verdict == V_FILTERED)
		return;
	rec_fill(&e, TL_REC_SEED, (__u64)skc, &fresh, bpf_ktime_get_ns());
	e.kind = owner_kind(&fresh);
	e.netns = netns;
	bpf_seq_write(seq, &e, sizeof(e));
}

SEC("iter/tcp")
int tl_seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	struct tcp_sock *tp;
	struct sk_info *si, fresh = {};
	struct tl_event e = {};
	__u64 key, now;
	__u8 state;
	long err;

	if (!skc)
		return 0;
	state = BPF_CORE_READ(skc, skc_state);
	if (state == TL_NEW_SYN_RECV) {
		if (seed_requests)
			seed_request(skc, seq);
		return 0;
	}
	/* Listeners are not connections; timewait socks are not full sockets
	 * (the timewait records follow them). */
	if (state == TL_LISTEN || state == TL_TIME_WAIT || state == TL_CLOSE || state >= TL_NSTATES)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	key = (__u64)tp;
	now = bpf_ktime_get_ns();
	/* Read once: each read is a helper call (6 of them). */
	tuple_from_sk((const struct sock *)tp, &e.tuple);
	si = bpf_map_lookup_elem(&socks, &key);
	if (si) {
		/* Seen live since we attached: born under our eyes, or already
		 * filtered out (-L/-D/-4/-6/-p...). */
		if ((si->flags & TL_F_BIRTH_SEEN) || si->verdict == V_FILTERED)
			return 0;
		if (si->verdict == V_UNDECIDED) {
			fresh = *si;
			decide(&fresh, &e.tuple);
			if (fresh.verdict == V_FILTERED)
				return 0;
		}
		if (!(si->flags & TL_F_OWNER_KNOWN))
			si->flags |= TL_F_HOLDERS;
	} else {
		fresh.state = state;
		fresh.fd = -1;
		fresh.flags = TL_F_HOLDERS;
		if (state == TL_CLOSE_WAIT)
			fresh.entered_ns = close_wait_since(tp, now);
		/* Until the holder scan names an fd's owner: a child still in
		 * its listener's accept queue has none (the loader entered the
		 * listeners before this walk; see src/listeners.c). Orphans
		 * (FIN_WAIT1 and after: closed by their owner) are nobody's. */
		if (state == TL_ESTABLISHED || state == TL_SYN_RECV || state == TL_CLOSE_WAIT)
			listener_owner_to(&fresh, sk_netns((const struct sock *)tp), &e.tuple);
		decide(&fresh, &e.tuple);
		if (fresh.verdict == V_FILTERED)
			return 0;
		fresh.verdict = V_UNDECIDED; /* the owner is not known yet */
		err = bpf_map_update_elem(&socks, &key, &fresh, BPF_NOEXIST);
		if (err) {
			/* -EEXIST: a live record got there first and carries it. */
			if (err != -EEXIST)
				stat_inc(TL_STAT_MAP_FULL);
			return 0;
		}
		si = &fresh;
	}
	rec_fill(&e, TL_REC_SEED, key, si, now);
	e.kind = owner_kind(si);
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}

SEC("iter/task_file")
int tl_holders(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	const struct sock *sk;
	struct sk_info *si;
	struct tl_event e = {};
	bool first, again, drop = false;
	__u32 tgid;
	__u64 key;

	if (!task || !file)
		return 0;
	sk = sock_of_file(file);
	if (!sk)
		return 0;
	key = (__u64)sk;
	si = bpf_map_lookup_elem(&socks, &key);
	if (!si)
		return 0;
	/* A record that overflows the seq_file buffer is shown again in the
	 * next read(): the owner seen twice is still the owner. */
	tgid = BPF_CORE_READ(task, tgid);
	/* The close hook runs before close() takes the fd out of the table:
	 * a scan that comes in between still finds the releasing owner's fd
	 * (a forking server's parent, seen under TCG) and would name it
	 * again, for good. That fd is on its way out whatever close()
	 * returns; a dup of it under another number still counts. */
	if ((si->flags & TL_F_RELEASED) && si->owner.pid == tgid && si->closing_fd == (__s32)ctx->fd)
		return 0;
	first = si->holder_pass != holder_pass;
	again = !first && si->owner.pid == tgid && si->fd == (__s32)ctx->fd;
	if (first && !(si->flags & TL_F_HOLDERS))
		return 0;
	if (first) {
		si->owner.pid = BPF_CORE_READ(task, tgid);
		si->owner.tid = BPF_CORE_READ(task, pid);
		BPF_CORE_READ_STR_INTO(&si->owner.comm, task, comm);
		si->cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
		si->fd = (__s32)ctx->fd;
		si->flags |= TL_F_OWNER_KNOWN;
		si->flags &= ~(TL_F_RELEASED | TL_F_HOLDERS);
		si->holder_pass = holder_pass;
		if (si->verdict == V_UNDECIDED) {
			tuple_from_sk(sk, &e.tuple);
			decide(si, &e.tuple);
		} else if (si->verdict == V_TRACE && !owner_matches(si)) {
			/* Reported before under the old owner: forget it. */
			si->verdict = V_FILTERED;
			drop = true;
		}
	}
	if (si->verdict != V_TRACE && !drop)
		return 0;
	rec_fill(&e, TL_REC_HOLDER, key, si, bpf_ktime_get_ns());
	if (drop)
		e.flags |= TL_F_FILTERED;
	tuple_from_sk(sk, &e.tuple);
	e.kind = first || again ? TL_HOLDER_OWNER : TL_HOLDER_OTHER;
	if (!first && !again) {
		e.owner.pid = BPF_CORE_READ(task, tgid);
		e.owner.tid = BPF_CORE_READ(task, pid);
		BPF_CORE_READ_STR_INTO(&e.owner.comm, task, comm);
		e.own.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
		e.own.fd = (__s32)ctx->fd;
	}
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}

/* The holders of the listening sockets, for the listeners older than the
 * tool (src/seed.c): one walk over every task's files in the kernel, where
 * reading /proc/PID/fd/N of every process (a listener no process holds, the
 * kernel's or one in a pid namespace out of sight, leaves none out) took
 * 1.0 s of both CPUs at 1 000 000 sockets. Tasks that share their files
 * are shown once (the thread group's leader), in pid order, each one's
 * files in fd order: the order /proc gives. */
SEC("iter/task_file")
int tl_lsn_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tl_lsn_holder h;
	const struct sock *sk;
	__u16 family;

	if (!task || !file)
		return 0;
	sk = sock_of_file(file);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != TL_LISTEN)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0; /* a unix socket listens in the same state */
	h.ino = BPF_CORE_READ(file, f_inode, i_ino);
	h.pid = BPF_CORE_READ(task, tgid);
	h.fd = (__s32)ctx->fd;
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}
