/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Can this kernel give us a hook of a given tier? Each probe loads (and
 * where it matters attaches) a two-instruction program, so the answer is
 * the kernel's own, and the reason for a "no" is a sentence a user can act
 * on. Used before the real load to pick a tier per hook.
 */
#ifndef TL_PROBE_H
#define TL_PROBE_H

#include <stddef.h>

/* 0 if available; else -errno with a reason written to `why`. */
int probe_fentry(const char *func, int fexit, char *why, size_t n);  /* 5.5+, BPF trampoline */
int probe_kprobe(const char *func, char *why, size_t n);             /* perf kprobe PMU, 4.17+ */
int probe_tp_btf(const char *tp, char *why, size_t n);               /* 5.5+ */
/* -EACCES when tracefs is there but this process may not read it (the
 * sentence names its mode and owner), -ENOENT when it is not mounted or
 * the kernel has no such tracepoint. */
int probe_tracepoint(const char *cat, const char *name, char *why, size_t n);
/* Can a classic tracepoint program call `helper` here (libbpf's probe: a
 * trial load)? `name` is for the reason, e.g. "bpf_task_pt_regs (5.15)". */
int probe_helper(int helper, const char *name, char *why, size_t n);
/* The kernel's BTF the probes read, freed (~10 MiB of a 6.18 kernel's,
 * kept for the whole run before). A probe after it loads it again. */
void probe_release(void);
/* The kernel's CONFIG_HZ (jiffies per second), or 0 if it cannot be told. */
unsigned int kernel_hz(void);
/* Classic tracepoints need tracefs; mount it if nothing has. 0 or -errno. */
int ensure_tracefs(void);

#endif /* TL_PROBE_H */
