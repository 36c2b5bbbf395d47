// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sysloop N: N one-byte write(2)s to /dev/null, then "ns_per_call=X".
 *
 * The syscall tax: a program on any syscalls:sys_enter_* / sys_exit_*
 * tracepoint sets the syscall-tracepoint work flag on every task, so every
 * system call of every process (this write too, which no tracer hook cares
 * about) takes the slow entry and exit path. This loop measures what a
 * process that never touches TCP pays while the tracer runs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *end;
	long n = argc == 2 ? strtol(argv[1], &end, 10) : 0;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	double t0;

	if (argc != 2 || *end || n < 1) {
		fprintf(stderr, "usage: sysloop N (N one-byte writes to /dev/null)\n");
		return 2;
	}
	if (fd < 0) {
		perror("sysloop: /dev/null");
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1) {
			perror("sysloop: write");
			return 1;
		}
	printf("ns_per_call=%.1f\n", (now_ns() - t0) / n);
	return 0;
}
