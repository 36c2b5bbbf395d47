// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlspin OBJ CPU LOOPS [kprobe] - another tool's BPF program that keeps a
 * CPU busy: load OBJ (tlspin.bpf.o), attach its classic tracepoint program
 * on getppid() (or its kprobe program there), print "ready", then call getppid() on CPU without pause until
 * SIGINT/SIGTERM. Each call runs LOOPS empty bpf_loop() steps, so the CPU's
 * bpf_prog_active is held nearly all the time, and the kernel skips every
 * kprobe and classic tracepoint program that would run nested there (issue
 * 13, case 3; tests/integration/t_42); as a kprobe it also makes every
 * kprobe hit nested there be skipped before any program runs (t_51).
 * Prints "calls N" at exit.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p, *q;
	struct bpf_link *link;
	const char *want;
	struct bpf_map *m;
	cpu_set_t set;
	unsigned long calls = 0;
	struct { __u32 tgid, loops; } *cfg; /* tlspin.bpf.c's .bss, in order */
	size_t sz;

	if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "kprobe"))) {
		fprintf(stderr, "usage: tlspin OBJ CPU LOOPS [kprobe]\n");
		return 2;
	}
	want = argc == 5 ? "tl_spin_kprobe" : "tl_spin";
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[2]), &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "tlspin: CPU %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "tlspin: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	m = bpf_object__next_map(obj, NULL); /* .bss: spin_tgid, spin_loops */
	cfg = m ? (void *)bpf_map__initial_value(m, &sz) : NULL;
	if (!cfg || sz < sizeof(*cfg)) {
		fprintf(stderr, "tlspin: no .bss in %s\n", argv[1]);
		return 1;
	}
	cfg->tgid = getpid();
	cfg->loops = strtoul(argv[3], NULL, 0);
	p = bpf_object__find_program_by_name(obj, want);
	if (!p) {
		fprintf(stderr, "tlspin: no program %s in %s\n", want, argv[1]);
		return 1;
	}
	for (q = bpf_object__next_program(obj, NULL); q; q = bpf_object__next_program(obj, q))
		bpf_program__set_autoload(q, q == p);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "tlspin: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	link = bpf_program__attach(p);
	if (!link) {
		fprintf(stderr, "tlspin: cannot attach: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		syscall(SYS_getppid);
		calls++;
	}
	printf("calls %lu\n", calls);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
