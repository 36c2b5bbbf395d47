/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runs of a kprobe the kernel skipped before any BPF program could
 * run. A kprobe hit while another kprobe's handler runs on the same CPU
 * (kprobe_running(): a softirq on the way out of an interrupt that came
 * during one of our syscall kprobes, which run with interrupts on) is
 * only counted in the kprobe's own nmissed, as is a kretprobe that found
 * no free instance: trace_call_bpf() is never reached, so the program's
 * recursion_misses does not hold them. From 6.7 the kernel reports that
 * count in the perf link's info (kprobe.missed); earlier kernels do not.
 */
#ifndef TL_LINKMISS_H
#define TL_LINKMISS_H

#include <stdint.h>

/* The skipped runs of the kprobe or kretprobe behind BPF link `fd`; 0 for
 * any other link, an fd that is no link (libbpf's ioctl fallback hands
 * out the perf event's), or a kernel before 6.7. */
uint64_t link_kprobe_missed(int fd);

#endif /* TL_LINKMISS_H */
