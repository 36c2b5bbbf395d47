// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.h"

static const char *const tracefs_roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static int tried;

	if (!tried) {
		tried = 1;
		btf = btf__load_vmlinux_btf();
		if (!btf)
			btf = NULL;
	}
	return btf;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_and_attach_tracing(int btf_id, enum bpf_attach_type type, const char *what,
				   char *why, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type, .attach_btf_id = btf_id);
	int fd, lfd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &opts);
	if (fd < 0) {
		err = -errno;
		snprintf(why, n, "%s: program load refused: %s", what, strerror(-err));
		return err;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	err = lfd < 0 ? -errno : 0;
	if (lfd >= 0)
		close(lfd);
	close(fd);
	if (err)
		snprintf(why, n, "%s: attach refused: %s", what, strerror(-err));
	return err;
}

int probe_fentry(const char *func, int fexit, char *why, size_t n)
{
	struct btf *btf = vmlinux_btf();
	int id;

	if (!btf) {
		snprintf(why, n, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(errno));
		return -ENOENT;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, n, "%s is not in the kernel's BTF (inlined or absent)", func);
		return -ENOENT;
	}
	return load_and_attach_tracing(id, fexit ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY,
				       fexit ? "fexit" : "fentry", why, n);
}

int probe_tp_btf(const char *tp, char *why, size_t n)
{
	struct btf *btf = vmlinux_btf();
	char name[128];
	int id;

	if (!btf) {
		snprintf(why, n, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(errno));
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0) {
		snprintf(why, n, "tracepoint %s has no BTF type (kernel older than 5.5?)", tp);
		return -ENOENT;
	}
	return load_and_attach_tracing(id, BPF_TRACE_RAW_TP, "tp_btf", why, n);
}

int probe_kprobe(const char *func, char *why, size_t n)
{
	struct perf_event_attr attr = {};
	char buf[32] = "";
	FILE *f;
	int fd, err;

	f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	if (!f) {
		snprintf(why, n, "no kprobe PMU: kernel built without CONFIG_KPROBES");
		return -EOPNOTSUPP;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	attr.size = sizeof(attr);
	attr.type = (unsigned int)strtoul(buf, NULL, 10);
	attr.config1 = (__u64)(unsigned long)func; /* kprobe_func */
	attr.config2 = 0;                           /* probe_offset */
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, n, "kprobe on %s refused: %s%s", func, strerror(-err),
			 err == -ENOENT || err == -EINVAL ? " (inlined, notrace or absent?)" : "");
		return err;
	}
	close(fd);
	return 0;
}

int probe_tracepoint(const char *cat, const char *name, char *why, size_t n)
{
	char path[256];

	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs_roots[i], cat, name);
		if (!access(path, R_OK))
			return 0;
	}
	snprintf(why, n, "tracepoint %s:%s not found in tracefs", cat, name);
	return -ENOENT;
}

int ensure_tracefs(void)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/events", tracefs_roots[i]);
		if (!stat(p, &st))
			return 0;
	}
	if (mount("tracefs", tracefs_roots[0], "tracefs", 0, NULL))
		return -errno;
	return 0;
}
