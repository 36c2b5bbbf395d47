// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <time.h>
#include <sys/utsname.h>
#include <zlib.h>
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

/* Loaded once for all the probes, freed when they are done. */
static struct btf *vmlinux;
static int vmlinux_tried;

static struct btf *vmlinux_btf(void)
{
	if (!vmlinux_tried) {
		vmlinux_tried = 1;
		vmlinux = btf__load_vmlinux_btf(); /* NULL if the kernel has none */
	}
	return vmlinux;
}

void probe_release(void)
{
	btf__free(vmlinux);
	vmlinux = NULL;
	vmlinux_tried = 0;
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

/* TCPLIFE_NO_HELPER=NAME refuses that helper, so that the tests run the
 * tier a kernel without it gets (the man page, ENVIRONMENT). */
static bool helper_refused(const char *name)
{
	const char *no = getenv("TCPLIFE_NO_HELPER");
	size_t len = no ? strlen(no) : 0;

	return len && !strncmp(name, no, len) && (name[len] == ' ' || !name[len]);
}

int probe_helper(int helper, const char *name, char *why, size_t n)
{
	int ok;

	if (helper_refused(name)) {
		snprintf(why, n, "helper %s refused (TCPLIFE_NO_HELPER)", name);
		return -EOPNOTSUPP;
	}
	ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, (enum bpf_func_id)helper, NULL);
	if (ok == 1)
		return 0;
	if (ok == 0)
		snprintf(why, n, "helper %s not in this kernel", name);
	else
		snprintf(why, n, "helper %s: probe failed: %s", name, strerror(-ok));
	return ok == 0 ? -EOPNOTSUPP : ok;
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
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, n, "kprobe on %s refused: %s%s", func, strerror(-err),
			 err == -ENOENT || err == -EINVAL ? " (inlined, notrace or absent?)" : "");
		return err;
	}
	close(fd);
	return 0;
}

/* Why tracefs at `root` cannot be read: its mode and owner, and what this
 * process lacks. Debian mounts it 0700 root: a non-root process with
 * CAP_BPF and CAP_PERFMON loads and attaches programs, yet cannot read a
 * tracepoint's id without CAP_DAC_READ_SEARCH (or DAC_OVERRIDE). */
static bool may_read_search(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[0].effective & ((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
}

static void tracefs_denied(const char *root, char *why, size_t n)
{
	struct stat st;

	if (stat(root, &st)) {
		snprintf(why, n, "tracefs %s is not readable by this process (uid %u): %s", root,
			 (unsigned int)geteuid(), strerror(errno));
		return;
	}
	snprintf(why, n, "tracefs %s is not readable by this process (mode %04o, owner uid %u; "
		 "this process: uid %u %s)", root,
		 (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid, (unsigned int)geteuid(),
		 may_read_search() ? "with CAP_DAC_READ_SEARCH, refused even so: a security module?" :
		 "without CAP_DAC_READ_SEARCH");
}

/* The first tracefs root that is mounted (has events/), or NULL. A root
 * that cannot be searched counts as mounted: the caller says why. */
static const char *tracefs_root(void)
{
	char p[128];
	struct stat st;

	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(p, sizeof(p), "%s/events", tracefs_roots[i]);
		if (!stat(p, &st) || errno == EACCES)
			return tracefs_roots[i];
	}
	return NULL;
}

int probe_tracepoint(const char *cat, const char *name, char *why, size_t n)
{
	const char *root = tracefs_root();
	char path[256];
	int fd;

	if (!root) {
		snprintf(why, n, "tracefs is not mounted (neither %s nor %s) and could not be mounted",
			 tracefs_roots[0], tracefs_roots[1]);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, cat, name);
	/* Opened as libbpf will, not access(): that checks the real uid with
	 * no capabilities, so CAP_DAC_READ_SEARCH would not count. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EACCES || errno == EPERM) {
		tracefs_denied(root, why, n);
		return -EACCES;
	}
	snprintf(why, n, "tracepoint %s:%s not found in tracefs (%s: %s)", cat, name, path,
		 strerror(errno));
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

/* CONFIG_HZ from the kernel's config: /proc/config.gz (IKCONFIG_PROC) or
 * /boot/config-RELEASE; zlib reads either, compressed or not. */
static unsigned int hz_from_config(void)
{
	char path[300], line[256];
	struct utsname u;
	unsigned int hz = 0;
	gzFile f = gzopen("/proc/config.gz", "rb");

	if (!f && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "rb");
	}
	if (!f)
		return 0;
	while (!hz && gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) != 1)
			hz = 0;
	gzclose(f);
	return hz;
}

/* Else measure it: /proc/timer_list shows jiffies; two readings 100 ms
 * apart, rounded to the HZ values Linux offers. */
static int read_jiffies(uint64_t *j)
{
	char line[256];
	FILE *f = fopen("/proc/timer_list", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "jiffies: %" SCNu64, j) == 1;
	fclose(f);
	return found ? 0 : -ENOENT;
}

static unsigned int hz_measured(void)
{
	static const unsigned int choices[] = { 100, 250, 300, 1000 };
	struct timespec a = { 0 }, b = { 0 }, pause = { 0, 100 * 1000 * 1000 };
	uint64_t j0 = 0, j1 = 0;
	double rate, best = 1e9;
	unsigned int hz = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (read_jiffies(&j0))
		return 0;
	nanosleep(&pause, NULL);
	if (read_jiffies(&j1))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &b);
	rate = (double)(j1 - j0) / ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		double d = rate > choices[i] ? rate - choices[i] : choices[i] - rate;

		if (d < best) {
			best = d;
			hz = choices[i];
		}
	}
	return best < hz * 0.2 ? hz : 0;
}

unsigned int kernel_hz(void)
{
	unsigned int hz = hz_from_config();

	return hz ? hz : hz_measured();
}
