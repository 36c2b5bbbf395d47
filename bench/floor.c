// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor - load bench/floor.bpf.o (empty programs on the tracer's hooks),
 * attach every program, print "ready", stay attached until SIGINT/SIGTERM.
 *   floor OBJECT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_link *links[16];
	struct bpf_program *p;
	struct bpf_object *obj;
	int n = 0, rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: floor OBJECT\n");
		return 64;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	bpf_object__for_each_program(p, obj) {
		if (n >= 16)
			break;
		links[n] = bpf_program__attach(p);
		if (!links[n]) {
			fprintf(stderr, "floor: cannot attach %s: %s\n", bpf_program__name(p), strerror(errno));
			goto cleanup;
		}
		n++;
	}
	printf("ready programs=%d\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
cleanup:
	while (n > 0)
		bpf_link__destroy(links[--n]);
	bpf_object__close(obj);
	return rc;
}
