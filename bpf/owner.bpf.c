// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Owner of passive connections. The softirq that completes a handshake runs
 * in whatever task the packet interrupted (on loopback: the client), so the
 * server is only known when accept() returns. Tier used here: the
 * syscalls:sys_exit_accept4 / sys_exit_accept tracepoints, reading the new
 * fd's socket from the task's fd table (DESIGN 1: measured to return the
 * right sk on 6.18; works on every kernel with syscall tracepoints).
 */
#include "common.bpf.h"

struct trace_event_raw_sys_exit___tl {
	long int ret;
} __attribute__((preserve_access_index));

static __always_inline const struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;

	if (!fdt || fd < 0 || (unsigned long)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	if (!so)
		return NULL;
	return BPF_CORE_READ(so, sk);
}

static __always_inline int on_accept(long fd)
{
	const struct sock *sk = sock_of_fd(fd);
	__u64 key = (__u64)sk;
	struct sk_info *si;
	struct tl_event *e;
	bool was_traced;

	if (!sk)
		return 0;
	/* Not in `socks`: not TCP (accept on a UNIX socket), or never seen. */
	si = bpf_map_lookup_elem(&socks, &key);
	if (!si || si->verdict == V_FILTERED)
		return 0;
	was_traced = si->verdict == V_TRACE;
	set_owner(si);
	if (!was_traced) {
		struct tl_tuple t = {};

		tuple_from_sk(sk, &t);
		decide(si, &t);
		if (si->verdict != V_TRACE)
			return 0;
	}
	e = rec_reserve();
	if (!e)
		return 0;
	si->emitted = 1;
	rec_fill(e, TL_REC_OWNER, key, si, bpf_ktime_get_ns());
	tuple_from_sk(sk, &e->tuple);
	if (was_traced && !pid_matches(si->owner.pid)) {
		e->flags |= TL_F_FILTERED;
		si->verdict = V_FILTERED;
	}
	rec_submit(e);
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
