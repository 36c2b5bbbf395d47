/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "tcplife.h"

#define TL_VERSION "0.1.0"
#define DEFAULT_MAX_CONNS 131072
#define DEFAULT_RINGBUF_MB 8
#define DEFAULT_COMPACT_AFTER_S 5 /* conntab_cold.c: idle this long, most likely idle for long */

/* --tier: which hook tier to force (tracer.c maps it onto its tiers). */
enum tier_force { FORCE_AUTO = 0, FORCE_FENTRY, FORCE_KPROBE, FORCE_TRACEPOINT };

struct options {
	uint16_t family; /* 0 = both, 2 = -4, 10 = -6 */
	uint16_t lports[TL_MAX_PORTS];
	uint32_t n_lports;
	uint16_t rports[TL_MAX_PORTS];
	uint32_t n_rports;
	uint32_t pids[TL_MAX_PIDS];
	uint32_t n_pids;
	char comms[TL_MAX_COMMS][TL_COMM_LEN]; /* -c: exact process names */
	uint32_t n_comms;
	const char *cgroup_path; /* --cgroup */
	uint64_t cgroup_id;      /* its cgroup v2 id (the directory's inode) */
	uint32_t state_mask;     /* --state: bit (1u << state); 0 = every state */
	bool once;               /* --once: open connections, then exit */
	bool limits;             /* --limits (with --once): the kernel's limits per namespace */
	bool listeners;          /* --listeners: every LISTEN socket (--once), overflow hints (a run) */
	uint32_t close_wait_s;   /* --close-wait SECS; 0 = no alerts */
	const char *csv_path;  /* NULL, a path, or "-" */
	const char *json_path;
	bool stream;
	bool batch;            /* -b: text snapshots of the live view */
	bool lines;            /* -l: one line per connection as it ends */
	bool live;             /* --live: the live view, asked for explicitly */
	const char *metrics_file;  /* --metrics-file: NULL or a path */
	bool metrics;              /* --metrics given: serve on metrics_sa */
	struct sockaddr_storage metrics_sa;
	socklen_t metrics_salen;
	char metrics_at[64];       /* "127.0.0.1:9465", "[::1]:9465": for messages */
	uint32_t max_ports;        /* --max-ports: port labels of the metrics */
	uint32_t interval_s;   /* -i: live view / batch refresh; 0 = not given (1 s) */
	uint32_t count;        /* -n: snapshots before exiting; 0 = until stopped */
	bool wide;
	bool list_probes;
	bool verbose;
	uint32_t duration_s;   /* 0 = until SIGINT/SIGTERM */
	uint32_t max_conns;
	uint32_t ringbuf_mb;
	uint32_t compact_after_s; /* --compact-after SECS (default 5) */
	enum tier_force tier;  /* FORCE_AUTO unless --tier */
	bool no_syscall_hooks; /* --no-syscall-hooks: no program on a syscalls tracepoint */
};

enum { CLI_RUN = 0, CLI_DONE = 1 };

/* Parse argv into `o`. Returns CLI_RUN, CLI_DONE (help or version printed
 * to `out`), or -EINVAL after printing one error line and a hint to `err`. */
int cli_parse(int argc, char **argv, struct options *o, FILE *out, FILE *err);
void cli_usage(FILE *f);
/* Strict decimal parse: the whole string, no sign, min..max. 0 or -EINVAL/-ERANGE. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* --metrics [ADDR:]PORT: a numeric IPv4 address, an IPv6 one in brackets,
 * or a port alone (127.0.0.1). 0 or -EINVAL. */
int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *at, size_t n);
/* --metrics or --metrics-file with no other output: nothing on stdout. */
bool cli_metrics_only(const struct options *o);
/* "auto", "fentry", "kprobe" or "tracepoint" (exactly). 0 or -EINVAL. */
int parse_tier(const char *s, enum tier_force *out);

#endif /* TL_CLI_H */
