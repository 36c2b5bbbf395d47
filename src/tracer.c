// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "iterread.h"
#include "linkmiss.h"
#include "log.h"
#include "probe.h"
#include "ringread.h"
#include "tracer.h"
#include "tcplife.skel.h"
#include "threads.h"

#define MAX_CANDS 4
/* The programs a hook's candidate attaches, at most (struct cand). */
#define CAND_PROGS 3
#define MAX_LINKS (CAND_PROGS * HOOK_MAX)
/* The seed hook's programs are the iterators, in their enum's order. */
_Static_assert(ITER_MAX <= CAND_PROGS, "an iterator per program of the seed hook");
#define WHY_LEN 160

/* One way a hook can be had. `tp` names one or two tracepoints ("cat/name"),
 * `func` a kernel function, `btf_tp` a tp_btf tracepoint, `prog` the BPF
 * programs (in bpf/) that are loaded and attached for it, if any. The
 * kernel version in each comment is when the hook became available
 * upstream. */
struct cand {
	enum tier tier;
	const char *func, *func2; /* fentry/kprobe: one or two kernel functions */
	const char *btf_tp;
	const char *tp[2];
	bool fexit;
	/* A helper the programs call that came after the tier (0: none). */
	enum bpf_func_id helper;
	const char *helper_name;
	const char *prog[CAND_PROGS];
};

struct hook_def {
	const char *name;
	const char *what;
	bool required;
	int n;
	struct cand c[MAX_CANDS];
};

static const struct hook_def hooks[HOOK_MAX] = {
	[HOOK_STATE] = { "state", "full-socket state changes", true, 2, {
		/* The rescue after the first: it runs the changes the kernel
		 * skipped the first for (state.bpf.c). */
		{ .tier = TIER_TP_BTF, .btf_tp = "inet_sock_set_state",
		  .prog = { "tl_state_btf", "tl_state_btf_rescue" } }, /* 5.5 */
		{ .tier = TIER_TRACEPOINT, .tp = { "sock/inet_sock_set_state" },
		  .prog = { "tl_state_tp" } }, /* 4.16 */
	} },
	[HOOK_SYNACK] = { "synack", "SYN-ACK retransmits", false, 3, {
		/* tcp_rtx_synack() is the function behind the tracepoint; the
		 * kprobe tier is a kprobe + kretprobe pair (retrans.bpf.c): the
		 * kretprobe reports what the kprobe saw, if the SYN-ACK left. */
		{ .tier = TIER_FENTRY, .func = "tcp_rtx_synack", .fexit = true,
		  .prog = { "tl_synack_fexit" } }, /* 5.5 */
		{ .tier = TIER_KPROBE, .func = "tcp_rtx_synack",
		  .prog = { "tl_synack_kprobe", "tl_synack_kretprobe" } },
		{ .tier = TIER_TRACEPOINT, .tp = { "tcp/tcp_retransmit_synack" },
		  .prog = { "tl_synack_tp" } }, /* 4.15 */
	} },
	[HOOK_FIN] = { "fin", "FINs sent", false, 3, {
		{ .tier = TIER_FENTRY, .func = "tcp_send_fin", .prog = { "tl_fin_fentry" } },
		{ .tier = TIER_KPROBE, .func = "tcp_send_fin", .prog = { "tl_fin_kprobe" } },
		/* tcp_close()/tcp_shutdown() set FIN_WAIT1/LAST_ACK, then send it. */
		{ .tier = TIER_INFERRED },
	} },
	[HOOK_RETRANS] = { "retrans", "SYN/FIN/data retransmits", true, 2, {
		{ .tier = TIER_TP_BTF, .btf_tp = "tcp_retransmit_skb",
		  .prog = { "tl_retransmit_btf" } }, /* 5.5 */
		{ .tier = TIER_TRACEPOINT, .tp = { "tcp/tcp_retransmit_skb" },
		  .prog = { "tl_retransmit_skb" } }, /* 4.15 */
	} },
	[HOOK_RESET] = { "reset", "resets sent and received", true, 2, {
		/* tcp_receive_reset's tp_btf came with tcp_send_reset's. */
		{ .tier = TIER_TP_BTF, .btf_tp = "tcp_send_reset",
		  .prog = { "tl_send_reset_btf", "tl_receive_reset_btf" } }, /* 5.5 */
		{ .tier = TIER_TRACEPOINT, .tp = { "tcp/tcp_send_reset", "tcp/tcp_receive_reset" },
		  .prog = { "tl_send_reset", "tl_receive_reset" } }, /* 4.15 */
	} },
	/* inet_csk_accept() also sees accepts without an accept syscall
	 * (io_uring, in-kernel users); its arguments changed in 6.10, so only
	 * the return value is read. The tracepoint tier has no program of its
	 * own: the accept-fd hook's programs record the owner with the fd. */
	[HOOK_OWNER] = { "owner", "owner of accepted connections", false, 3, {
		{ .tier = TIER_FENTRY, .func = "inet_csk_accept", .fexit = true,
		  .prog = { "tl_accept_fexit" } }, /* 5.5; get_func_ret 5.17 */
		{ .tier = TIER_KPROBE, .func = "inet_csk_accept", .prog = { "tl_accept_kretprobe" } },
		{ .tier = TIER_TRACEPOINT, .tp = { "syscalls/sys_exit_accept4", "syscalls/sys_exit_accept" } },
	} },
	/* The syscalls themselves. A program on any syscalls tracepoint makes
	 * every system call of every task take the traced path (see
	 * syscall_tax_line()), so those are the last tier; fentry and kprobe
	 * attach to the arch's syscall functions (4.17+ wrappers), which
	 * only the calls hooked pay for. */
	[HOOK_ACCEPT_FD] = { "acceptfd", "fd of accepted connections", false, 3, {
		{ .tier = TIER_FENTRY, .func = TL_SYSCALL_FN("accept4"), .func2 = TL_SYSCALL_FN("accept"),
		  .fexit = true, .prog = { "tl_sys_accept4_fexit", "tl_sys_accept_fexit" } },
		{ .tier = TIER_KPROBE, .func = TL_SYSCALL_FN("accept4"), .func2 = TL_SYSCALL_FN("accept"),
		  .prog = { "tl_sys_accept4_kret", "tl_sys_accept_kret" } },
		{ .tier = TIER_TRACEPOINT, .tp = { "syscalls/sys_exit_accept4", "syscalls/sys_exit_accept" },
		  .prog = { "tl_accept4_exit", "tl_accept_exit" } },
	} },
	[HOOK_CONNECT] = { "connect", "fd of connected connections", false, 4, {
		{ .tier = TIER_FENTRY, .func = TL_SYSCALL_FN("connect"), .fexit = true,
		  .prog = { "tl_sys_connect_fexit" } },
		{ .tier = TIER_KPROBE, .func = TL_SYSCALL_FN("connect"),
		  .prog = { "tl_sys_connect_kprobe", "tl_sys_connect_kret" } },
		/* One program at the exit, reading the arguments from the
		 * saved user registers; before 5.15 an entry program too. */
		{ .tier = TIER_TRACEPOINT, .tp = { "syscalls/sys_exit_connect" },
		  .helper = BPF_FUNC_task_pt_regs, .helper_name = "bpf_task_pt_regs (5.15)",
		  .prog = { "tl_connect_exit_regs" } },
		{ .tier = TIER_TRACEPOINT, .tp = { "syscalls/sys_enter_connect", "syscalls/sys_exit_connect" },
		  .prog = { "tl_connect_enter", "tl_connect_exit" } },
	} },
	[HOOK_CLOSE] = { "close", "owner hand-over at close()", false, 3, {
		{ .tier = TIER_FENTRY, .func = TL_SYSCALL_FN("close"), .prog = { "tl_sys_close_fentry" } },
		{ .tier = TIER_KPROBE, .func = TL_SYSCALL_FN("close"), .prog = { "tl_sys_close_kprobe" } },
		{ .tier = TIER_TRACEPOINT, .tp = { "syscalls/sys_enter_close" },
		  .prog = { "tl_close_enter" } },
	} },
	[HOOK_CLEANUP] = { "cleanup", "socket destroyed", true, 2, {
		{ .tier = TIER_TP_BTF, .btf_tp = "tcp_destroy_sock", .prog = { "tl_destroy_btf" } }, /* 5.5 */
		{ .tier = TIER_TRACEPOINT, .tp = { "tcp/tcp_destroy_sock" },
		  .prog = { "tl_destroy" } }, /* 4.16 */
	} },
	/* Real functions on 6.1, 6.12 and 6.18 (bpf/minisock.bpf.c says why
	 * these). Without them: sock_diag listings (src/sockwatch.c). */
	[HOOK_TIMEWAIT] = { "timewait", "timewait socks (TIME_WAIT)", false, 3, {
		{ .tier = TIER_FENTRY, .func = "__inet_twsk_schedule", .func2 = "inet_twsk_kill",
		  .prog = { "tl_tw_sched_fentry", "tl_tw_kill_fentry" } },
		{ .tier = TIER_KPROBE, .func = "__inet_twsk_schedule", .func2 = "inet_twsk_kill",
		  .prog = { "tl_tw_sched_kprobe", "tl_tw_kill_kprobe" } },
		{ .tier = TIER_INFERRED },
	} },
	[HOOK_REQSK] = { "reqsk", "request socks (SYN_RECV)", false, 3, {
		{ .tier = TIER_FENTRY, .func = "inet_csk_reqsk_queue_hash_add",
		  .func2 = "inet_csk_reqsk_queue_drop", .prog = { "tl_req_add_fentry", "tl_req_drop_fentry" } },
		{ .tier = TIER_KPROBE, .func = "inet_csk_reqsk_queue_hash_add",
		  .func2 = "inet_csk_reqsk_queue_drop", .prog = { "tl_req_add_kprobe", "tl_req_drop_kprobe" } },
		{ .tier = TIER_INFERRED },
	} },
	/* A trial load decides the iterator tier: no cheaper probe says
	 * whether iter/tcp (5.9) and iter/task_file (5.8) will verify. Its
	 * programs are in enum tracer_iter's order. */
	[HOOK_SEED] = { "seed", "sockets open before the start", false, 2, {
		{ .tier = TIER_ITER, .prog = { "tl_seed_tcp", "tl_holders", "tl_lsn_holders" } },
		{ .tier = TIER_NETLINK },
	} },
};

struct tracer {
	struct tcplife *skel;
	struct ringread *rb;
	struct bpf_link *links[MAX_LINKS];
	const struct bpf_program *link_prog[MAX_LINKS]; /* links[i]'s program */
	bool detaching;    /* tracer_detach_begin(): detacher is at it */
	pthread_t detacher;
	struct bpf_link *iters[ITER_MAX]; /* enum tracer_iter; also in links[] */
	int n_links;
	enum tier force;                    /* --tier; TIER_NONE = auto */
	bool no_syscall;                    /* --no-syscall-hooks */
	char force_err[2 * WHY_LEN];        /* first hook the forced tier failed, or "" */
	int chosen[HOOK_MAX];               /* index into hooks[h].c, -1 = none */
	bool refused[HOOK_MAX][MAX_CANDS];
	char why[HOOK_MAX][MAX_CANDS][WHY_LEN];
	int err[HOOK_MAX][MAX_CANDS];       /* the probe's -errno behind why */
};

const char *tier_name(enum tier t)
{
	switch (t) {
	case TIER_FENTRY: return "fentry";
	case TIER_KPROBE: return "kprobe";
	case TIER_TP_BTF: return "tp_btf";
	case TIER_TRACEPOINT: return "tracepoint";
	case TIER_INFERRED: return "inferred";
	case TIER_ITER: return "iter";
	case TIER_NETLINK: return "sock_diag";
	default: return "none";
	}
}

static int probe_cand(const struct cand *c, char *why, size_t n)
{
	int err = 0;

	switch (c->tier) {
	case TIER_FENTRY:
		err = probe_fentry(c->func, c->fexit, why, n);
		return err || !c->func2 ? err : probe_fentry(c->func2, c->fexit, why, n);
	case TIER_KPROBE:
		err = probe_kprobe(c->func, why, n);
		return err || !c->func2 ? err : probe_kprobe(c->func2, why, n);
	case TIER_TP_BTF:
		return probe_tp_btf(c->btf_tp, why, n);
	case TIER_TRACEPOINT:
		for (int i = 0; i < 2 && c->tp[i] && !err; i++) {
			char cat[64];
			const char *slash = strchr(c->tp[i], '/');

			snprintf(cat, sizeof(cat), "%.*s", (int)(slash - c->tp[i]), c->tp[i]);
			err = probe_tracepoint(cat, slash + 1, why, n);
		}
		return err || !c->helper ? err : probe_helper(c->helper, c->helper_name, why, n);
	case TIER_INFERRED:
	case TIER_ITER:
	case TIER_NETLINK:
		return 0;
	default:
		return -EINVAL;
	}
}

/* A candidate on a syscalls tracepoint: what --no-syscall-hooks refuses,
 * as its cost falls on every system call of the host (syscall_tax_line()). */
static bool on_syscalls_tp(const struct cand *c)
{
	return c->tier == TIER_TRACEPOINT && c->tp[0] && !strncmp(c->tp[0], "syscalls/", 9);
}

/* Refused by --no-syscall-hooks: the probe's "error" behind why. */
#define ERR_NO_SYSCALL (-ECANCELED)

static bool excluded(const struct tracer *tr, const struct cand *c)
{
	return tr && tr->no_syscall && on_syscalls_tp(c);
}

/* Does hook h have tier t, among the candidates tr does not exclude (all,
 * with tr NULL)? */
static bool has_tier(const struct tracer *tr, int h, enum tier t)
{
	for (int i = 0; i < hooks[h].n; i++)
		if (hooks[h].c[i].tier == t && !excluded(tr, &hooks[h].c[i]))
			return true;
	return false;
}

/* May --tier use candidate i? A hook that has the forced tier gets exactly
 * that one. A hook without it does what it would on a kernel that lacks the
 * forced tier: the best of its lower tiers (enum order is best first), so
 * --tier tracepoint also infers FINs as a tracepoint-only kernel does; a
 * hook with a single tier keeps it. */
static bool allowed(const struct tracer *tr, int h, int i)
{
	enum tier t = hooks[h].c[i].tier;

	if (tr->force == TIER_NONE)
		return true;
	if (has_tier(tr, h, tr->force))
		return t == tr->force;
	return t > tr->force || hooks[h].n == 1;
}

/* Pick, for one hook, the best candidate not yet refused. */
static int choose_hook(struct tracer *tr, int h)
{
	tr->chosen[h] = -1;
	for (int i = 0; i < hooks[h].n; i++) {
		if (tr->refused[h][i])
			continue;
		if (excluded(tr, &hooks[h].c[i])) {
			tr->refused[h][i] = true;
			tr->err[h][i] = ERR_NO_SYSCALL;
			snprintf(tr->why[h][i], WHY_LEN, "not tried (--no-syscall-hooks)");
			continue;
		}
		if (!allowed(tr, h, i)) {
			tr->refused[h][i] = true;
			snprintf(tr->why[h][i], WHY_LEN, "not tried (--tier %s)", tier_name(tr->force));
			continue;
		}
		tr->err[h][i] = probe_cand(&hooks[h].c[i], tr->why[h][i], WHY_LEN);
		if (tr->err[h][i]) {
			tr->refused[h][i] = true;
			continue;
		}
		tr->chosen[h] = i;
		return 0;
	}
	if (tr->force != TIER_NONE && has_tier(tr, h, tr->force)) {
		/* A forced tier is never silently replaced by another. */
		for (int i = 0; i < hooks[h].n; i++) {
			if (hooks[h].c[i].tier != tr->force || tr->force_err[0] ||
			    excluded(tr, &hooks[h].c[i]))
				continue;
			snprintf(tr->force_err, sizeof(tr->force_err), "--tier %s: hook %s (%s) cannot use %s: %s",
				 tier_name(tr->force), hooks[h].name, hooks[h].what, tier_name(tr->force),
				 tr->why[h][i]);
		}
		return -EOPNOTSUPP;
	}
	if (!hooks[h].required)
		return 0;
	log_err("no way to hook %s on this kernel: %s", hooks[h].what, tr->why[h][hooks[h].n - 1]);
	return -EOPNOTSUPP;
}

/* Every hook gets a choice, so --list-probes is whole even when one fails. */
static int choose(struct tracer *tr)
{
	int err = 0;

	for (int h = 0; h < HOOK_MAX; h++)
		if (choose_hook(tr, h))
			err = -EOPNOTSUPP;
	return err;
}

enum tier tracer_tier(const struct tracer *tr, enum hook h)
{
	return tr->chosen[h] < 0 ? TIER_NONE : hooks[h].c[tr->chosen[h]].tier;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return log_libbpf((int)level, fmt, ap);
}

static enum tier tier_of(enum tier_force f)
{
	switch (f) {
	case FORCE_FENTRY: return TIER_FENTRY;
	case FORCE_KPROBE: return TIER_KPROBE;
	case FORCE_TRACEPOINT: return TIER_TRACEPOINT;
	default: return TIER_NONE;
	}
}

struct tracer *tracer_probe(enum tier_force force, bool no_syscall_hooks)
{
	struct tracer *tr = calloc(1, sizeof(*tr));

	if (!tr)
		return NULL;
	tr->force = tier_of(force);
	tr->no_syscall = no_syscall_hooks;
	if (ensure_tracefs())
		log_debug("tracefs is not mounted and could not be mounted: classic tracepoints unavailable");
	libbpf_set_print(libbpf_print);
	choose(tr);
	return tr;
}

/* Hooks left with no tier at all. Those lost to a tracefs this process may
 * not read are named in one line with that one cause: each on its own
 * said "not found in tracefs ... no hook on this kernel", which sent users
 * looking for a kernel option when tracefs was mode 0700 and the process
 * had CAP_BPF and CAP_PERFMON but no CAP_DAC_READ_SEARCH. */
static void warn_lost(const struct tracer *tr)
{
	char names[512] = "", opted[256] = "";
	const char *why = NULL;
	size_t off = 0, oo = 0;

	for (int h = 0; h < HOOK_MAX; h++) {
		int last = hooks[h].n - 1;

		if (tr->chosen[h] >= 0)
			continue;
		if (tr->err[h][last] == ERR_NO_SYSCALL) {
			if (oo < sizeof(opted))
				oo += snprintf(opted + oo, sizeof(opted) - oo, "%s%s", oo ? ", " : "",
					       hooks[h].what);
			continue;
		}
		if (tr->err[h][last] != -EACCES) {
			log_warn("%s: no hook on this kernel (%s)", hooks[h].what, tr->why[h][last]);
			continue;
		}
		why = tr->why[h][last];
		if (off < sizeof(names))
			off += snprintf(names + off, sizeof(names) - off, "%s%s", off ? ", " : "",
					hooks[h].what);
	}
	/* One line for what the user chose to do without. */
	if (oo)
		log_warn("--no-syscall-hooks: no fentry or kprobe tier for %s: no fds, accepted "
			 "connections keep their listener's owner until one closes them, connect() "
			 "failures inside the call are not counted", opted);
	if (why)
		log_warn("%s: its tracepoints cannot be used; hooks lost: %s%s (run as root, or add "
			 "CAP_DAC_READ_SEARCH)", why, names,
			 tracer_tier(tr, HOOK_OWNER) == TIER_NONE ?
			 "; accepted connections will have no owner" : "");
}

/* Before 6.7 (bpf: Count missed stats in trace_call_bpf) the kernel counts
 * no run it skips of a kprobe or classic tracepoint program, which it skips
 * for every tool while any such program runs on the CPU (bpf_prog_active;
 * issue 13, case 3; t_42). State changes are still found (gaps, healed, ends
 * not seen); what the other hooks miss there is not: say which they are.
 * The syscall hooks only name owners, which a holder scan also does. */
static bool names_owners(int h)
{
	return h == HOOK_ACCEPT_FD || h == HOOK_CONNECT || h == HOOK_CLOSE;
}

static void warn_uncounted(const struct tracer *tr)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;
	char names[512] = "";
	size_t off = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major > 6 || (major == 6 && minor >= 7))
		return;
	for (int h = 0; h < HOOK_MAX; h++) {
		enum tier t = tracer_tier(tr, h);

		if ((t != TIER_KPROBE && t != TIER_TRACEPOINT) || names_owners(h) ||
		    (h == HOOK_OWNER && t == TIER_TRACEPOINT))
			continue;
		if (off < sizeof(names))
			off += snprintf(names + off, sizeof(names) - off, "%s%s", off ? ", " : "",
					hooks[h].what);
	}
	if (off)
		log_warn("kernel %s counts no skipped run of a kprobe or classic tracepoint program "
			 "(6.7+ does): while another BPF program runs on a CPU these hooks can miss "
			 "events with nothing counted: %s (state changes are still found: gaps, "
			 "healed, ends not seen)", u.release, names);
}

bool tracer_owners_lost(const struct tracer *tr)
{
	return tracer_tier(tr, HOOK_OWNER) == TIER_NONE;
}

void tracer_tiers_line(const struct tracer *tr, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int h = 0; h < HOOK_MAX && off < n; h++) {
		if (h == HOOK_CLEANUP)
			continue;
		off += snprintf(buf + off, n - off, "%s%s: %s", off ? ", " : "", hooks[h].name,
				tier_name(tracer_tier(tr, h)));
	}
	if (off < n && tracer_owners_lost(tr))
		snprintf(buf + off, n - off, "; no owners for accepted connections");
}

/* "tp_btf (tl_state_btf), tracepoint (tl_state_tp)": hook h's tiers, best
 * first, with the programs each loads. */
static void tiers_of(int h, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < hooks[h].n && off < n; i++) {
		const struct cand *c = &hooks[h].c[i];

		off += snprintf(buf + off, n - off, "%s%s", i ? ", " : "", tier_name(c->tier));
		for (int k = 0; k < CAND_PROGS && c->prog[k] && off < n; k++)
			off += snprintf(buf + off, n - off, "%s%s%s", k ? ", " : " (", c->prog[k],
					k + 1 == CAND_PROGS || !c->prog[k + 1] ? ")" : "");
	}
}

/* A program on any syscalls:sys_* tracepoint sets TIF_SYSCALL_TRACEPOINT
 * on every task of the host (syscall_regfunc()), so every system call of
 * every process takes the slow, traced entry and exit, not only the calls
 * the hook wants: a cost for the whole host, which `make bench`'s syscall
 * phase measures. Say whether the chosen tiers pay it, and for which hooks. */
static void syscall_tax_line(const struct tracer *tr, FILE *f)
{
	char names[128] = "";
	size_t len = 0;

	for (int h = 0; h < HOOK_MAX; h++) {
		int chosen = tr->chosen[h];

		/* Only tracepoints a program is attached to: the owner hook's
		 * tracepoint tier names the accept-fd hook's. */
		if (chosen < 0 || !hooks[h].c[chosen].tp[0] || !hooks[h].c[chosen].prog[0] ||
		    strncmp(hooks[h].c[chosen].tp[0], "syscalls/", 9))
			continue;
		len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0,
					"%s%s", len ? ", " : "", hooks[h].name);
	}
	if (len)
		fprintf(f, "syscall tax: yes (%s on syscalls tracepoints: every system call of "
			   "every task on the host takes the traced path)\n", names);
	else
		fprintf(f, "syscall tax: none (no syscalls tracepoint attached)\n");
}

void tracer_print_probes(const struct tracer *tr, FILE *f)
{
	char tiers[256];

	fprintf(f, "%-8s %-30s %-11s %s\n", "HOOK", "WHAT", "TIER", "BETTER TIERS REFUSED");
	for (int h = 0; h < HOOK_MAX; h++) {
		int chosen = tr->chosen[h];
		bool any = false;

		fprintf(f, "%-8s %-30s %-11s ", hooks[h].name, hooks[h].what,
			tier_name(tracer_tier(tr, h)));
		if (tr->force != TIER_NONE && !has_tier(NULL, h, tr->force)) {
			fprintf(f, "(has no %s tier)", tier_name(tr->force));
			any = true;
		}
		for (int i = 0, last = -1; i < hooks[h].n && (chosen < 0 || i < chosen); i++) {
			if (!tr->refused[h][i])
				continue;
			/* Two candidates of a tier refused alike: said once. */
			if (last >= 0 && hooks[h].c[last].tier == hooks[h].c[i].tier &&
			    !strcmp(tr->why[h][last], tr->why[h][i]))
				continue;
			fprintf(f, "%s%s: %s", any ? "; " : "", tier_name(hooks[h].c[i].tier), tr->why[h][i]);
			any = true;
			last = i;
		}
		fprintf(f, "%s\n", any ? "" : "-");
	}
	syscall_tax_line(tr, f);
	/* With -v: every tier each hook has, which the docs check holds the
	 * docs' tier tables to (tests/docs/check-options.sh). */
	for (int h = 0; h < HOOK_MAX; h++) {
		tiers_of(h, tiers, sizeof(tiers));
		log_debug("hook %s: tiers, best first: %s", hooks[h].name, tiers);
	}
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Every link destroyed, each in a thread of its own, all waited for.
 * Destroying the link of a classic tracepoint (a perf event: the syscall
 * owner hooks on this tier) waits for the kernel's tracepoint grace
 * periods (perf_trace_event_unreg), 60-100 ms each on a 6.18 host: one
 * after the other, the six such links made every exit ~430 ms longer.
 * Together they wait for the same grace periods. */
static void destroy_links(struct bpf_link **links, int n)
{
	pthread_t th[MAX_LINKS];
	bool started[MAX_LINKS] = { false };

	for (int i = 0; i < n; i++)
		started[i] = !thread_start(&th[i], destroy_link, links[i]);
	for (int i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(links[i]);
	}
}

static void detach_all(struct tracer *tr)
{
	destroy_links(tr->links, tr->n_links);
	tr->n_links = 0;
	memset(tr->iters, 0, sizeof(tr->iters));
	ringread_free(tr->rb);
	tr->rb = NULL;
	tcplife__destroy(tr->skel);
	tr->skel = NULL;
}

static void configure(struct tcplife *s, const struct options *o)
{
	size_t rb_bytes = (size_t)o->ringbuf_mb << 20;

	s->rodata->cfg_family = o->family;
	s->rodata->cfg_n_lports = o->n_lports;
	s->rodata->cfg_n_rports = o->n_rports;
	s->rodata->cfg_n_pids = o->n_pids;
	for (uint32_t i = 0; i < o->n_lports; i++)
		s->rodata->cfg_lports[i] = o->lports[i];
	for (uint32_t i = 0; i < o->n_rports; i++)
		s->rodata->cfg_rports[i] = o->rports[i];
	for (uint32_t i = 0; i < o->n_pids; i++)
		s->rodata->cfg_pids[i] = o->pids[i];
	s->rodata->cfg_n_comms = o->n_comms;
	for (uint32_t i = 0; i < o->n_comms; i++)
		memcpy((char *)s->rodata->cfg_comms[i], o->comms[i], TL_COMM_LEN);
	s->rodata->cfg_cgroup = o->cgroup_id;
	/* Wake the loader when an eighth of the buffer is waiting. */
	s->rodata->cfg_wakeup_bytes = rb_bytes / 8;
	s->rodata->cfg_hz = kernel_hz();
	bpf_map__set_max_entries(s->maps.events, rb_bytes);
	bpf_map__set_max_entries(s->maps.socks, o->max_conns);
}

/* A chosen candidate failed for real: refuse it and choose again for that
 * hook only; the others' probes stand. */
static int fall_back(struct tracer *tr, int h, const char *stage, int err)
{
	int i = tr->chosen[h];

	tr->refused[h][i] = true;
	snprintf(tr->why[h][i], WHY_LEN, "%s failed: %s", stage, strerror(-err));
	log_warn("%s for %s failed (%s); trying the next tier", stage, hooks[h].what, strerror(-err));
	return choose_hook(tr, h);
}

/* The program of hook h's candidate i named prog[k], or NULL: none named,
 * or (logged) a name the BPF object lacks. */
static struct bpf_program *prog_of(struct tcplife *s, int h, int i, int k)
{
	const char *name = hooks[h].c[i].prog[k];
	struct bpf_program *p;

	if (!name)
		return NULL;
	p = bpf_object__find_program_by_name(s->obj, name);
	if (!p)
		log_err("hook %s: the BPF object has no program %s", hooks[h].name, name);
	return p;
}

/* Load the chosen candidates' programs of hook `only` (-1: of every hook;
 * HOOK_MAX: of none, the maps alone); the others are not loaded. */
static struct tcplife *open_for(const struct tracer *tr, const struct options *o, int only)
{
	struct tcplife *s = tcplife__open();

	if (!s)
		return NULL;
	configure(s, o);
	for (int h = 0; h < HOOK_MAX; h++) {
		for (int i = 0; i < hooks[h].n; i++) {
			bool on = i == tr->chosen[h] && (only < 0 || only == h);

			for (int k = 0; k < CAND_PROGS; k++) {
				struct bpf_program *p = prog_of(s, h, i, k);

				if (p)
					bpf_program__set_autoload(p, on);
				else if (hooks[h].c[i].prog[k])
					goto fail;
			}
		}
	}
	return s;
fail:
	tcplife__destroy(s);
	errno = ENOENT;
	return NULL;
}

static bool loads(const struct tracer *tr, const struct options *o, int only)
{
	struct tcplife *s = open_for(tr, o, only);
	bool ok = s && !tcplife__load(s);

	tcplife__destroy(s);
	return ok;
}

/* Which hook's programs made the whole load fail, or -1 if no one hook's
 * did. libbpf 1.1 unloads every program when bpf_object__load() fails, so
 * no fd or error is left on the one that failed, and its messages are for
 * people, not for parsing: load each hook's chosen programs alone, after
 * the maps alone. Only a failed load pays for this. */
static int failed_hook(const struct tracer *tr, const struct options *o)
{
	if (!loads(tr, o, HOOK_MAX))
		return -1;
	for (int h = 0; h < HOOK_MAX; h++)
		if (tr->chosen[h] >= 0 && hooks[h].c[tr->chosen[h]].prog[0] && !loads(tr, o, h))
			return h;
	return -1;
}

static int attach_hook(struct tracer *tr, int h)
{
	for (int k = 0; k < CAND_PROGS; k++) {
		struct bpf_program *p = prog_of(tr->skel, h, tr->chosen[h], k);
		struct bpf_link *l;

		if (!p)
			continue;
		l = bpf_program__attach(p);
		if (!l)
			return -errno;
		tr->link_prog[tr->n_links] = p;
		tr->links[tr->n_links++] = l;
		if (h == HOOK_SEED && k < ITER_MAX)
			tr->iters[k] = l;
	}
	return 0;
}

static int load_and_attach(struct tracer *tr, const struct options *o)
{
	int err, h;

	tr->skel = open_for(tr, o, -1);
	if (!tr->skel)
		return -errno;
	err = tcplife__load(tr->skel);
	if (err) {
		h = failed_hook(tr, o);
		if (h < 0)
			return err;
		err = fall_back(tr, h, "load", err);
		return err ? err : -EAGAIN;
	}
	for (h = 0; h < HOOK_MAX; h++) {
		if (tr->chosen[h] < 0)
			continue;
		err = attach_hook(tr, h);
		if (err) {
			err = fall_back(tr, h, "attach", err);
			return err ? err : -EAGAIN;
		}
	}
	return 0;
}

const char *tracer_force_error(const struct tracer *tr)
{
	return tr->force_err[0] ? tr->force_err : NULL;
}

struct tracer *tracer_start(const struct options *o, record_fn fn, void *ctx)
{
	struct tracer *tr = tracer_probe(o->tier, o->no_syscall_hooks);
	int err = -ENOMEM;

	if (!tr)
		goto fail;
	if (tracer_force_error(tr)) {
		log_err("%s", tr->force_err);
		err = -EOPNOTSUPP;
		goto fail;
	}
	for (int h = 0; h < HOOK_MAX; h++) {
		if (tr->chosen[h] < 0 && hooks[h].required) {
			err = -EOPNOTSUPP;
			goto fail;
		}
	}
	/* Each hook can fall back at most a couple of times. */
	for (int attempt = 0; attempt < 2 * HOOK_MAX; attempt++) {
		err = load_and_attach(tr, o);
		if (err != -EAGAIN)
			break;
		detach_all(tr);
	}
	probe_release(); /* the tiers are chosen */
	if (err && tracer_force_error(tr)) {
		log_err("%s", tr->force_err);
		goto fail;
	}
	if (err) {
		log_err("loading the BPF programs failed: %s%s", strerror(-err),
			err == -EPERM ? " (run as root, or with CAP_BPF and CAP_PERFMON)" : "");
		goto fail;
	}
	warn_lost(tr);
	warn_uncounted(tr);
	tr->rb = ringread_new(bpf_map__fd(tr->skel->maps.events), fn, ctx);
	if (!tr->rb) {
		err = -errno;
		log_err("cannot set up the ring buffer: %s", strerror(-err));
		goto fail;
	}
	return tr;
fail:
	tracer_free(tr);
	errno = -err;
	return NULL;
}

/* The BPF side submits most records with BPF_RB_NO_WAKEUP and wakes us only
 * once a batch has built up; a quiet host never reaches it. So a poll that
 * times out also consumes whatever is waiting: records arrive within one
 * timeout, and a busy host still pays one wake-up per batch. */
int tracer_poll(struct tracer *tr, int timeout_ms)
{
	return ringread_poll(tr->rb, timeout_ms); /* it reads after a timeout too */
}

int tracer_drain(struct tracer *tr)
{
	return ringread_consume(tr->rb);
}

int tracer_iter(struct tracer *tr, enum tracer_iter which, record_fn fn, void *ctx)
{
	int fd, n;

	if (!tr->iters[which])
		return -ENOTSUP;
	if (which == ITER_HOLDERS)
		tr->skel->bss->holder_pass++;
	fd = bpf_iter_create(bpf_link__fd(tr->iters[which]));
	if (fd < 0)
		return -errno;
	n = iter_read_records(fd, which == ITER_LISTENERS ? sizeof(struct tl_lsn_holder) : sizeof(struct tl_event),
			      fn, ctx);
	close(fd);
	return n;
}

void tracer_seed_requests(struct tracer *tr)
{
	tr->skel->bss->seed_requests = 1;
}

int tracer_find_listener(struct tracer *tr, const struct tl_listen_key *k, struct tl_listen_val *v)
{
	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.listeners), k, v))
		return -errno;
	return 0;
}

int tracer_add_listener(struct tracer *tr, const struct tl_listen_key *k,
			const struct tl_listen_val *v)
{
	/* BPF_NOEXIST: a listen() seen live since attach knows its socket. */
	if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.listeners), k, v, BPF_NOEXIST) &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

int tracer_stats(struct tracer *tr, struct tl_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tl_stats *per;
	__u32 zero = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.stats), &zero, per)) {
		err = -errno;
	} else {
		for (int c = 0; c < ncpu; c++)
			for (int i = 0; i < TL_STAT_MAX; i++)
				out->v[i] += per[c].v[i];
	}
	free(per);
	return err;
}

/* Each link's kprobe skips (linkmiss.h), read once for every program. */
static void link_skips(const struct tracer *tr, uint64_t *out)
{
	struct kprobe_link kl[MAX_LINKS];
	bool is_kp[MAX_LINKS];

	for (int i = 0; i < tr->n_links; i++)
		is_kp[i] = !link_kprobe_info(bpf_link__fd(tr->links[i]), &kl[i]);
	for (int i = 0; i < tr->n_links; i++)
		out[i] = link_kprobe_missed(kl, is_kp, tr->n_links, i);
}

/* p's runs the kernel skipped: those it counts on the program (a run
 * refused for recursion), and for a kprobe those its kprobe never began
 * (`skips`, link_skips(): another kprobe's handler running on the CPU;
 * 6.7+). */
static uint64_t prog_missed(const struct tracer *tr, const uint64_t *skips, const struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);
	uint64_t n = fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.recursion_misses : 0;

	for (int i = 0; i < tr->n_links; i++)
		if (tr->link_prog[i] == p)
			n += skips[i];
	return n;
}

bool tracer_sk_tracked(void *ctx, uint64_t skaddr)
{
	struct tracer *tr = ctx;
	struct sk_info_shadow {
		__u8 b[256];
	} v; /* struct sk_info is BPF-side; the map's value size bounds it */
	__u64 key = skaddr;

	if (bpf_map__value_size(tr->skel->maps.socks) > sizeof(v))
		return true;
	return !bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.socks), &key, &v) || errno != ENOENT;
}

/* The state changes tl_state_btf_rescue ran for a skipped tl_state_btf. */
static uint64_t rescued(struct tracer *tr)
{
	struct tl_stats st;

	return tracer_stats(tr, &st) ? 0 : st.v[TL_STAT_RESCUED];
}

/* p's runs the kernel skipped that were lost: tl_state_btf's less the ones
 * its rescue ran, none of the rescue's (each was a change tl_state_btf
 * ran: state.bpf.c). The skips are read first: a rescue between the two
 * reads can only lower the figure; a skip whose rescue has not begun yet
 * (the next program of the same tracepoint call) shows until the next read. */
static uint64_t prog_lost(struct tracer *tr, const uint64_t *skips, const struct bpf_program *p)
{
	uint64_t m = prog_missed(tr, skips, p), res;

	if (p == tr->skel->progs.tl_state_btf_rescue)
		return 0;
	if (p != tr->skel->progs.tl_state_btf)
		return m;
	res = rescued(tr);
	return m > res ? m - res : 0;
}

uint64_t tracer_missed(struct tracer *tr)
{
	struct bpf_program *p;
	uint64_t n = 0, skips[MAX_LINKS] = { 0 };

	link_skips(tr, skips);
	bpf_object__for_each_program(p, tr->skel->obj)
		n += prog_lost(tr, skips, p);
	return n;
}

void tracer_log_missed(struct tracer *tr)
{
	struct bpf_program *p;
	char buf[512];
	uint64_t res, skips[MAX_LINKS] = { 0 };
	size_t o = 0;

	buf[0] = 0;
	link_skips(tr, skips);
	bpf_object__for_each_program(p, tr->skel->obj) {
		uint64_t m = prog_lost(tr, skips, p);
		int w;

		if (!m || o >= sizeof(buf))
			continue;
		w = snprintf(buf + o, sizeof(buf) - o, "%s%s %" PRIu64, o ? ", " : "",
			     bpf_program__name(p), m);
		o += w > 0 ? (size_t)w : 0;
	}
	if (o)
		log_warn("runs the kernel skipped, by program: %s", buf);
	res = rescued(tr);
	if (res)
		log_debug("state changes the kernel skipped tl_state_btf for, run by its rescue: %" PRIu64,
			  res);
}

static void *detach_thread(void *arg)
{
	detach_all(arg);
	return NULL;
}

void tracer_detach_begin(struct tracer *tr)
{
	if (!tr || tr->detaching)
		return;
	tr->detaching = !thread_start(&tr->detacher, detach_thread, tr);
	if (!tr->detaching)
		detach_all(tr);
}

void tracer_free(struct tracer *tr)
{
	if (!tr)
		return;
	if (tr->detaching)
		pthread_join(tr->detacher, NULL);
	else
		detach_all(tr);
	free(tr);
}
