// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlspin's program: another tool's classic tracepoint program that runs
 * long. While it runs, the CPU's bpf_prog_active is held, and
 * trace_call_bpf() skips every kprobe and classic tracepoint program that
 * would run nested on that CPU: a timer or network softirq taken on the
 * way out of an interrupt. Issue 13's case 3.
 * Or the same as a kprobe program (tlspin ... kprobe): while its handler
 * runs, every kprobe hit nested on that CPU is skipped before any program
 * runs, counted only by that kprobe (src/linkmiss.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u32 spin_tgid = 0;    /* set before load: only this process's calls spin */
__u32 spin_loops = 0;

static long step(__u64 i, void *ctx)
{
	return 0;
}

static __always_inline int spin(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) != spin_tgid)
		return 0;
	bpf_loop(spin_loops, step, NULL, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tl_spin(void *ctx)
{
	return spin();
}

SEC("ksyscall/getppid")
int tl_spin_kprobe(void *ctx)
{
	return spin();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
