/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runs of a kprobe the kernel skipped before any BPF program could
 * run. A kprobe hit while another kprobe's handler runs on the same CPU
 * (kprobe_running(): a softirq on the way out of an interrupt that came
 * during a kprobe program, ours or another tool's, which run with
 * interrupts on) is only counted in the kprobe's own nmissed, as is a
 * kretprobe that found no free instance: trace_call_bpf() is never
 * reached, so the program's recursion_misses does not hold them. From 6.7
 * the kernel reports that count in the perf link's info (kprobe.missed);
 * earlier kernels do not.
 */
#ifndef TL_LINKMISS_H
#define TL_LINKMISS_H

#include <stdbool.h>
#include <stdint.h>

struct kprobe_link {
	bool ret;        /* a kretprobe */
	uint64_t addr;   /* the probed function's address */
	uint64_t missed; /* its skipped runs; 0 before 6.7 */
};

/* 0 and `out` filled if BPF link `fd` is a kprobe's or a kretprobe's; else
 * -1 (another link, an fd that is no link as libbpf's ioctl fallback hands
 * out, or a kernel before 6.6, whose perf links tell nothing). */
int link_kprobe_info(int fd, struct kprobe_link *out);

/* The skipped runs to count for links[i] of n. A kprobe and a kretprobe
 * on one function share one probe, and a skip of it counts in both (the
 * kretprobe's also counts the instances it lacked): the kprobe's is not
 * counted again. */
uint64_t link_kprobe_missed(const struct kprobe_link *links, const bool *is_kprobe, int n, int i);

#endif /* TL_LINKMISS_H */
