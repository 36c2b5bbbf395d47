// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor - load a bench object (floor.bpf.o: empty programs on the tracer's
 * hooks; minwork.bpf.o: the least a record per state change needs), attach
 * every program, print "ready", stay attached until SIGINT/SIGTERM. An
 * object's ring buffer is drained meanwhile, as a loader would: a full one
 * would turn its programs' reserves into cheap failures.
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

static int on_record(void *ctx, void *data, size_t size)
{
	(void)data;
	*(unsigned long long *)ctx += size;
	return 0;
}

/* The object's ring buffer, or NULL if it has none. */
static struct ring_buffer *ring_of(struct bpf_object *obj, unsigned long long *bytes)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			return ring_buffer__new(bpf_map__fd(m), on_record, bytes, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_link *links[16];
	struct bpf_program *p;
	struct bpf_object *obj;
	struct ring_buffer *rb = NULL;
	unsigned long long bytes = 0;
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
	rb = ring_of(obj, &bytes);
	printf("ready programs=%d\n", n);
	fflush(stdout);
	while (!stop) {
		int err = rb ? ring_buffer__poll(rb, 100) : pause();

		if (rb && err < 0 && err != -EINTR)
			break;
	}
	if (rb)
		printf("drained bytes=%llu\n", bytes);
	rc = 0;
cleanup:
	while (n > 0)
		bpf_link__destroy(links[--n]);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return rc;
}
