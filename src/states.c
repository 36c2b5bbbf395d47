// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <strings.h>
#include "states.h"

/* Indexed by enum tl_tcp_state; every caller goes through the bounds check
 * because state bytes come from the kernel (or from a corrupt record). */
static const char *const state_names[TL_NSTATES] = {
	[TL_ESTABLISHED] = "ESTABLISHED",
	[TL_SYN_SENT] = "SYN_SENT",
	[TL_SYN_RECV] = "SYN_RECV",
	[TL_FIN_WAIT1] = "FIN_WAIT1",
	[TL_FIN_WAIT2] = "FIN_WAIT2",
	[TL_TIME_WAIT] = "TIME_WAIT",
	[TL_CLOSE] = "CLOSE",
	[TL_CLOSE_WAIT] = "CLOSE_WAIT",
	[TL_LAST_ACK] = "LAST_ACK",
	[TL_LISTEN] = "LISTEN",
	[TL_CLOSING] = "CLOSING",
	[TL_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[TL_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

static const char *const cause_names[CAUSE_MAX] = {
	[CAUSE_OPEN] = "open",
	[CAUSE_FIN] = "fin",
	[CAUSE_RST_SENT] = "rst_sent",
	[CAUSE_RST_RECV] = "rst_recv",
	[CAUSE_REFUSED] = "refused",
	[CAUSE_TIMEOUT] = "timeout",
	[CAUSE_SYN_TIMEOUT] = "syn_timeout",
	[CAUSE_ABORT] = "abort",
	[CAUSE_LOST] = "lost",
	[CAUSE_FIN_WAIT2_TIMEOUT] = "fin_wait2_timeout",
	[CAUSE_TW_REUSE] = "tw_reuse",
	[CAUSE_TW_OVERFLOW] = "tw_overflow",
	[CAUSE_TW_KILLED] = "tw_killed",
	[CAUSE_SYNACK_TIMEOUT] = "synack_timeout",
	[CAUSE_NETNS_GONE] = "netns_gone",
};

static const char *const role_names[] = {
	[ROLE_UNKNOWN] = "unknown",
	[ROLE_ACTIVE] = "active",
	[ROLE_PASSIVE] = "passive",
};

const char *state_name(unsigned int state)
{
	if (state >= TL_NSTATES || !state_names[state])
		return "UNKNOWN";
	return state_names[state];
}

bool state_valid(unsigned int state)
{
	return state >= TL_ESTABLISHED && state < TL_NSTATES;
}

const char *cause_name(unsigned int cause)
{
	if (cause >= CAUSE_MAX || !cause_names[cause])
		return "unknown";
	return cause_names[cause];
}

/* `timing`: were all of the record's durations taken by hooks (exact), or
 * did some come from sock_diag listings or the request timer (inferred)? */
const char *timing_name(const struct conn *c)
{
	return c->inferred ? "inferred" : "exact";
}

const char *role_name(unsigned int role)
{
	if (role >= sizeof(role_names) / sizeof(role_names[0]))
		return "unknown";
	return role_names[role];
}

/* Handshake first, then the data phase, then the closing states in the order
 * a connection usually meets them; the CSV and JSON schemas depend on it. */
const struct state_column state_columns[] = {
	{ "syn_sent_ms", TL_SYN_SENT },
	{ "syn_recv_ms", TL_SYN_RECV },
	{ "established_ms", TL_ESTABLISHED },
	{ "fin_wait1_ms", TL_FIN_WAIT1 },
	{ "fin_wait2_ms", TL_FIN_WAIT2 },
	{ "close_wait_ms", TL_CLOSE_WAIT },
	{ "last_ack_ms", TL_LAST_ACK },
	{ "closing_ms", TL_CLOSING },
	{ "time_wait_ms", TL_TIME_WAIT },
};
const unsigned int n_state_columns = sizeof(state_columns) / sizeof(state_columns[0]);

int state_parse(const char *name)
{
	char norm[24];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(norm); i++)
		norm[i] = (char)(name[i] == '-' ? '_' : name[i]);
	if (name[i])
		return -EINVAL;
	norm[i] = '\0';
	for (unsigned int s = 0; s < TL_NSTATES; s++)
		if (state_valid(s) && !strcasecmp(norm, state_names[s]))
			return (int)s;
	return -EINVAL;
}
