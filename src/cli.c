// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "agg.h"
#include "cli.h"
#include "states.h"

#define CGROUP2_MAGIC 0x63677270 /* CGROUP2_SUPER_MAGIC */

enum {
	OPT_CSV = 0x100,
	OPT_JSON,
	OPT_LIST_PROBES,
	OPT_MAX_CONNS,
	OPT_RINGBUF_MB,
	OPT_CGROUP,
	OPT_STATE,
	OPT_ONCE,
	OPT_CLOSE_WAIT,
	OPT_TIER,
	OPT_LIMITS,
	OPT_METRICS,
	OPT_METRICS_FILE,
	OPT_MAX_PORTS,
	OPT_LIVE,
	OPT_LISTENERS,
	OPT_COMPACT_AFTER,
	OPT_NO_SYSCALL_HOOKS,
};

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "lport", required_argument, NULL, 'L' },
	{ "rport", required_argument, NULL, 'D' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "limits", no_argument, NULL, OPT_LIMITS },
	{ "listeners", no_argument, NULL, OPT_LISTENERS },
	{ "close-wait", required_argument, NULL, OPT_CLOSE_WAIT },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "stream", no_argument, NULL, 's' },
	{ "batch", no_argument, NULL, 'b' },
	{ "lines", no_argument, NULL, 'l' },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	{ "wide", no_argument, NULL, 'w' },
	{ "duration", required_argument, NULL, 'd' },
	{ "list-probes", no_argument, NULL, OPT_LIST_PROBES },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF_MB },
	{ "compact-after", required_argument, NULL, OPT_COMPACT_AFTER },
	{ "tier", required_argument, NULL, OPT_TIER },
	{ "no-syscall-hooks", no_argument, NULL, OPT_NO_SYSCALL_HOOKS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("Usage: tcplife-states [OPTIONS]\n"
	      "Trace TCP connections: the time each spent in every state, its SYN, SYN-ACK,\n"
	      "FIN and data retransmits, its resets, how it ended and which process owned it.\n"
	      "\n"
	      "Filters (applied in the kernel):\n"
	      "  -4, --ipv4              IPv4 connections only\n"
	      "  -6, --ipv6              IPv6 connections only\n"
	      "  -L, --lport PORT        local port PORT (repeatable, up to 8)\n"
	      "  -D, --rport PORT        remote port PORT (repeatable, up to 8)\n"
	      "  -p, --pid PID           connections owned by process PID (repeatable, up to 8)\n"
	      "  -c, --comm NAME         connections owned by processes named NAME (repeatable,\n"
	      "                          up to 4)\n"
	      "      --cgroup PATH       connections owned by processes in the cgroup v2\n"
	      "                          directory PATH\n"
	      "\n"
	      "Output (default: a live, top-like view of the open connections on a terminal,\n"
	      "--batch snapshots when stdout is not one; with --csv FILE or --json FILE, one\n"
	      "line per connection when it ends on stdout):\n"
	      "      --live              the live view (the default on a terminal)\n"
	      "  -b, --batch             plain-text snapshots of the live view's table, like top -b\n"
	      "  -i, --interval SECS     live view, --batch, metrics and --listeners period\n"
	      "                          (default 1)\n"
	      "  -n, --count N           exit after N refreshes of the live view / --batch\n"
	      "  -l, --lines             one line per connection when it ends, on stdout\n"
	      "  -s, --stream            one line per state change, retransmit and reset instead\n"
	      "  -w, --wide              wide columns (IPv6 addresses, every state)\n"
	      "      --csv FILE          write connection records as CSV ('-' = stdout)\n"
	      "      --json FILE         write connection records as JSON lines ('-' = stdout)\n"
	      "                          (SIGUSR1 reopens both files, for log rotation)\n"
	      "      --once              print the connections open now (with their owners) and exit\n"
	      "      --limits            with --once: the kernel's limits per network namespace\n"
	      "                          instead (sysctls, what they imply, where each stands)\n"
	      "      --listeners         with --once: every listening socket instead (owner,\n"
	      "                          queues, drops, overflows, syncookies); in a run: list\n"
	      "                          them every -i SECS (--json: listener objects, metrics),\n"
	      "                          warn of bursts of drops (--json: listen_overflow) and\n"
	      "                          hint at the end for each listener that overflowed\n"
	      "      --state STATE       show connections in STATE (e.g. close-wait; repeatable);\n"
	      "                          closed ones that went through it (text, --once)\n"
	      "      --close-wait SECS   alert on connections in CLOSE_WAIT longer than SECS\n"
	      "\n"
	      "Metrics (Prometheus; with no other output option, nothing goes to stdout):\n"
	      "      --metrics [ADDR:]PORT\n"
	      "                          serve GET /metrics over HTTP (ADDR numeric, IPv6 in\n"
	      "                          brackets; default 127.0.0.1)\n"
	      "      --metrics-file PATH replace PATH atomically with the metrics every -i SECS\n"
	      "                          (node_exporter's textfile collector)\n"
	      "      --max-ports N       distinct port labels of the histograms, the rest\n"
	      "                          \"other\" (1 to 1024, default 64)\n"
	      "\n"
	      "Control:\n"
	      "  -d, --duration SECS     stop after SECS seconds (default: until Ctrl-C)\n"
	      "      --list-probes       show the hook tier each kernel hook gets, and why, then exit\n"
	      "      --max-conns N       sockets tracked at once in the kernel (default 131072)\n"
	      "      --ringbuf-mb N      ring buffer size in MiB, a power of two (default 8)\n"
	      "      --compact-after SECS\n"
	      "                          keep an open connection compact in memory once\n"
	      "                          nothing happened to it for SECS (0 to 86400, default 5;\n"
	      "                          not with --batch)\n"
	      "      --tier TIER         auto (default), fentry, kprobe or tracepoint: use that\n"
	      "                          hook tier wherever a hook has it, or fail\n"
	      "      --no-syscall-hooks  attach nothing to a syscalls tracepoint: no cost for\n"
	      "                          the host's other system calls, but where the owner\n"
	      "                          hooks have no other tier (no fentry or kprobe) no fds,\n"
	      "                          accepted connections keep their listener's owner\n"
	      "                          until one closes them, no connect() failures inside\n"
	      "                          the call (EADDRNOTAVAIL, no route)\n"
	      "  -v, --verbose           debug and libbpf messages on stderr\n"
	      "  -h, --help              show this help and exit\n"
	      "  -V, --version           show the version and exit\n"
	      "\n"
	      "Exit status: 0 when every record was accounted for, 1 on a runtime error (an\n"
	      "output that could not be written included), 2 on a usage error, 3 when the run\n"
	      "finished but records were lost (ring buffer drops, map full, stale or bad\n"
	      "records, missed program runs, state changes not seen (gaps), ends not seen,\n"
	      "unconfirmed timewait sockets: see the summary; rows healed at the socket's end\n"
	      "are not lost).\n"
	      "See tcplife-states(8) for the CSV and JSON schemas.\n"
	      "tcplife-states report FILE... summarizes such files (tcplife-states report -h).\n",
	      f);
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts leading space and a sign; we do not. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > UINT32_MAX)
		return -ERANGE;
	if (errno || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int parse_tier(const char *s, enum tier_force *out)
{
	static const char *const names[] = {
		[FORCE_AUTO] = "auto", [FORCE_FENTRY] = "fentry",
		[FORCE_KPROBE] = "kprobe", [FORCE_TRACEPOINT] = "tracepoint",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum tier_force)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The address part of [ADDR:]PORT into sa; port set by the caller. */
static int parse_host(const char *h, size_t hl, bool v6, struct sockaddr_storage *sa, socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (hl >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, h, hl);
	buf[hl] = '\0';
	if (v6) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	s4->sin_family = AF_INET;
	*len = sizeof(*s4);
	/* A port alone (or ":PORT"): loopback, never every interface by default. */
	if (!hl)
		return inet_pton(AF_INET, "127.0.0.1", &s4->sin_addr) == 1 ? 0 : -EINVAL;
	return inet_pton(AF_INET, buf, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *at, size_t n)
{
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	const char *h = s;
	size_t hl = colon ? (size_t)(colon - s) : 0;
	char addr[INET6_ADDRSTRLEN];
	bool v6 = *s == '[';
	uint32_t p;

	if (v6) {
		/* "[ADDR]:PORT": the bracket closes just before the last colon. */
		if (!colon || colon == s || colon[-1] != ']')
			return -EINVAL;
		h = s + 1;
		hl -= 2;
	} else if (colon && memchr(s, ':', hl)) {
		return -EINVAL; /* an IPv6 address without brackets */
	}
	if (parse_u32(port, 1, 65535, &p) || parse_host(h, hl, v6, sa, len))
		return -EINVAL;
	if (v6) {
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)p);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
		snprintf(at, n, "[%s]:%u", addr, p);
	} else {
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)p);
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
		snprintf(at, n, "%s:%u", addr, p);
	}
	return 0;
}

bool cli_metrics_only(const struct options *o)
{
	return (o->metrics || o->metrics_file) && !o->lines && !o->stream && !o->batch &&
	       !o->csv_path && !o->json_path && !o->live && !o->once;
}

/* The option getopt stopped at. Inside a cluster ("-xv") optind still
 * points at the cluster, so argv[optind - 1] is the argument before it:
 * a short option is named by optopt. */
static const char *opt_name(char **argv, char *buf, size_t n)
{
	const char *a = argv[optind - 1];

	if (optopt > 0 && optopt < 128 && isprint(optopt) && strncmp(a, "--", 2)) {
		snprintf(buf, n, "-%c", optopt);
		return buf;
	}
	return a;
}

/* Variadic with a format attribute so that -Wformat=2 checks each message
 * against its arguments. */
__attribute__((format(printf, 2, 3)))
static int usage_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("tcplife-states: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", err);
	return -EINVAL;
}

/* The cgroup v2 id that bpf_get_current_cgroup_id() returns is the kernfs
 * node id, which is the directory's inode number. */
static int parse_cgroup(const char *path, uint64_t *id, FILE *err)
{
	struct statfs sf;
	struct stat st;

	if (statfs(path, &sf) || stat(path, &st))
		return usage_error(err, "cannot use --cgroup '%s': no such directory", path);
	if ((unsigned long)sf.f_type != CGROUP2_MAGIC || !S_ISDIR(st.st_mode))
		return usage_error(err, "--cgroup '%s' is not a cgroup v2 directory", path);
	*id = st.st_ino;
	return 0;
}

/* side: "local" or "remote", for the message. */
static int add_port(uint16_t *ports, uint32_t *n, const char *arg, const char *side, FILE *err)
{
	uint32_t v;

	if (parse_u32(arg, 1, 65535, &v))
		return usage_error(err, "invalid %s port '%s' (1-65535)", side, arg);
	if (*n >= TL_MAX_PORTS)
		return usage_error(err, "too many port filters at '%s' (at most 8 of each)", arg);
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

/* --csv - or --json -: a file sink has stdout, no other output may. */
static bool file_to_stdout(const struct options *o)
{
	return (o->csv_path && !strcmp(o->csv_path, "-")) ||
	       (o->json_path && !strcmp(o->json_path, "-"));
}

int cli_parse(int argc, char **argv, struct options *o, FILE *out, FILE *err)
{
	uint32_t v;
	char name[4];
	int c;

	memset(o, 0, sizeof(*o));
	o->max_conns = DEFAULT_MAX_CONNS;
	o->ringbuf_mb = DEFAULT_RINGBUF_MB;
	o->compact_after_s = DEFAULT_COMPACT_AFTER_S;
	o->max_ports = AGG_MAX_PORTS_DEFAULT;
	optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster of an earlier call (the unit tests parse many command lines) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":46L:D:p:c:sbli:n:wd:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case '4':
		case '6':
			if (o->family)
				return usage_error(err, "%s", "-4 and -6 exclude each other");
			o->family = c == '4' ? 2 : 10;
			break;
		case 'L':
			if (add_port(o->lports, &o->n_lports, optarg, "local", err))
				return -EINVAL;
			break;
		case 'D':
			if (add_port(o->rports, &o->n_rports, optarg, "remote", err))
				return -EINVAL;
			break;
		case 'p':
			if (parse_u32(optarg, 1, INT_MAX, &v))
				return usage_error(err, "invalid pid '%s'", optarg);
			if (o->n_pids >= TL_MAX_PIDS)
				return usage_error(err, "too many pids at '%s' (at most 8)", optarg);
			o->pids[o->n_pids++] = v;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= TL_COMM_LEN)
				return usage_error(err, "invalid process name '%s' (1 to 15 characters)", optarg);
			if (o->n_comms >= TL_MAX_COMMS)
				return usage_error(err, "too many process names at '%s' (at most 4)", optarg);
			strncpy(o->comms[o->n_comms++], optarg, TL_COMM_LEN);
			break;
		case OPT_CGROUP:
			if (parse_cgroup(optarg, &o->cgroup_id, err))
				return -EINVAL;
			o->cgroup_path = optarg;
			break;
		case OPT_STATE: {
			int st = state_parse(optarg);

			if (st < 0)
				return usage_error(err, "invalid state '%s' (e.g. established, close-wait)", optarg);
			o->state_mask |= 1u << st;
			break;
		}
		case OPT_ONCE:
			o->once = true;
			break;
		case OPT_LIMITS:
			o->limits = true;
			break;
		case OPT_LISTENERS:
			o->listeners = true;
			break;
		case OPT_CLOSE_WAIT:
			if (parse_u32(optarg, 1, 31 * 24 * 3600, &v))
				return usage_error(err, "invalid --close-wait '%s' (1 to 2678400 seconds)", optarg);
			o->close_wait_s = v;
			break;
		case OPT_CSV:
		case OPT_JSON:
			if (!*optarg)
				return usage_error(err, "%s", "empty output file name");
			if (c == OPT_CSV)
				o->csv_path = optarg;
			else
				o->json_path = optarg;
			break;
		case OPT_METRICS:
			if (parse_listen(optarg, &o->metrics_sa, &o->metrics_salen, o->metrics_at,
					 sizeof(o->metrics_at)))
				return usage_error(err, "invalid --metrics '%s' ([ADDR:]PORT: a numeric IPv4 address or an IPv6 one in brackets, port 1-65535)", optarg);
			o->metrics = true;
			break;
		case OPT_METRICS_FILE:
			if (!*optarg)
				return usage_error(err, "%s", "empty --metrics-file name");
			o->metrics_file = optarg;
			break;
		case OPT_MAX_PORTS:
			if (parse_u32(optarg, 1, AGG_MAX_PORTS_LIMIT, &v))
				return usage_error(err, "invalid --max-ports '%s' (1 to %d)", optarg, AGG_MAX_PORTS_LIMIT);
			o->max_ports = v;
			break;
		case OPT_LIVE:
			o->live = true;
			break;
		case 's':
			o->stream = true;
			break;
		case 'b':
			o->batch = true;
			break;
		case 'l':
			o->lines = true;
			break;
		case 'i':
			if (parse_u32(optarg, 1, 3600, &v))
				return usage_error(err, "invalid --interval '%s' (1 to 3600 seconds)", optarg);
			o->interval_s = v;
			break;
		case 'n':
			if (parse_u32(optarg, 1, UINT32_MAX, &v))
				return usage_error(err, "invalid --count '%s' (1 or more)", optarg);
			o->count = v;
			break;
		case 'w':
			o->wide = true;
			break;
		case 'd':
			if (parse_u32(optarg, 1, 31 * 24 * 3600, &v))
				return usage_error(err, "invalid duration '%s' (1 to 2678400 seconds)", optarg);
			o->duration_s = v;
			break;
		case OPT_LIST_PROBES:
			o->list_probes = true;
			break;
		case OPT_MAX_CONNS:
			if (parse_u32(optarg, 1024, 16 * 1024 * 1024, &v))
				return usage_error(err, "invalid --max-conns '%s' (1024 to 16777216)", optarg);
			o->max_conns = v;
			break;
		case OPT_RINGBUF_MB:
			if (parse_u32(optarg, 1, 1024, &v) || (v & (v - 1)))
				return usage_error(err, "invalid --ringbuf-mb '%s' (a power of two, 1 to 1024)", optarg);
			o->ringbuf_mb = v;
			break;
		case OPT_COMPACT_AFTER:
			if (parse_u32(optarg, 0, 86400, &v))
				return usage_error(err, "invalid --compact-after '%s' (0 to 86400 seconds)", optarg);
			o->compact_after_s = v;
			break;
		case OPT_TIER:
			if (parse_tier(optarg, &o->tier))
				return usage_error(err, "invalid --tier '%s' (auto, fentry, kprobe or tracepoint)", optarg);
			break;
		case OPT_NO_SYSCALL_HOOKS:
			o->no_syscall_hooks = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			cli_usage(out);
			return CLI_DONE;
		case 'V':
			fprintf(out, "tcplife-states %s\n", TL_VERSION);
			return CLI_DONE;
		case ':':
			return usage_error(err, "option '%s' needs an argument", opt_name(argv, name, sizeof(name)));
		default:
			return usage_error(err, "unknown option '%s'", opt_name(argv, name, sizeof(name)));
		}
	}
	if (optind < argc)
		return usage_error(err, "unexpected argument '%s'", argv[optind]);
	if (o->csv_path && o->json_path && !strcmp(o->csv_path, "-") && !strcmp(o->json_path, "-"))
		return usage_error(err, "%s", "--csv - and --json - cannot both write to stdout");
	if (o->stream && file_to_stdout(o))
		return usage_error(err, "%s", "--stream writes to stdout: it cannot be combined with --csv - or --json -");
	if (o->lines && (o->stream || o->once || o->batch || file_to_stdout(o)))
		return usage_error(err, "%s", "--lines writes to stdout: it takes neither --stream, --once, --batch, --csv - nor --json -");
	if (o->batch && (o->stream || o->once || file_to_stdout(o)))
		return usage_error(err, "%s", "--batch writes to stdout: it takes neither --stream, --once, --csv - nor --json -");
	if (o->live && (o->stream || o->once || o->lines || o->batch || file_to_stdout(o)))
		return usage_error(err, "%s", "--live takes the terminal: it takes neither --stream, --once, --lines, --batch, --csv - nor --json -");
	if (o->once && (o->metrics || o->metrics_file))
		return usage_error(err, "%s", "--once prints what is open now: it takes neither --metrics nor --metrics-file");
	if (o->interval_s && !o->batch && !o->live && !o->metrics && !o->metrics_file &&
	    !(o->listeners && !o->once) && (o->stream || o->once || o->lines || o->csv_path || o->json_path))
		return usage_error(err, "%s", "-i applies to the live view, --batch, the metrics and --listeners in a run only");
	if (o->count && !o->batch && !o->live &&
	    (o->stream || o->once || o->lines || o->csv_path || o->json_path || cli_metrics_only(o)))
		return usage_error(err, "%s", "-n applies to the live view and --batch only");
	if (o->once && (o->stream || o->duration_s))
		return usage_error(err, "%s", "--once prints what is open now: it takes neither --stream nor --duration");
	if (o->limits && !o->once)
		return usage_error(err, "%s", "--limits needs --once (the limits are read once, then printed)");
	if (o->limits && o->csv_path)
		return usage_error(err, "%s", "--limits prints text or --json: it takes no --csv");
	if (o->listeners && o->once && (o->limits || o->csv_path))
		return usage_error(err, "%s", "--once --listeners prints text or --json: it takes neither --limits nor --csv");
	return CLI_RUN;
}
