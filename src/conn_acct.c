// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "conn_acct.h"

void conn_path_add(struct conn *c, uint8_t state)
{
	if (c->path_len && c->path[c->path_len - 1] == state)
		return;
	if (c->path_len >= CONN_PATH_MAX) {
		c->path_truncated = true;
		return;
	}
	c->path[c->path_len++] = state;
}

uint64_t conn_in_state_ns(const struct conn *c, uint64_t now_ns)
{
	uint64_t settled = c->state < TL_NSTATES ? c->state_ns[c->state] : 0;

	return settled + (now_ns > c->state_entered_ns ? now_ns - c->state_entered_ns : 0);
}

void conn_settle(struct conn *c, uint64_t ts)
{
	if (c->state < TL_NSTATES && ts > c->state_entered_ns)
		c->state_ns[c->state] += ts - c->state_entered_ns;
	c->state_entered_ns = ts;
}

void conn_enter(struct conn *c, uint8_t state, uint64_t ts)
{
	conn_settle(c, ts);
	c->state = state;
	conn_path_add(c, state);
	if (!c->start_exact)
		c->unmeasured &= ~TL_BIT(state); /* seen mid-life: this one we measure */
}

bool conn_in_states(const struct conn *c, uint32_t mask)
{
	if (!mask)
		return true;
	if (!c->closed)
		return c->state < 32 && (mask & (1u << c->state));
	for (unsigned int i = 0; i < c->path_len && i < CONN_PATH_MAX; i++)
		if (c->path[i] < 32 && (mask & (1u << c->path[i])))
			return true;
	return false;
}

bool conn_measured(const struct conn *c, unsigned int state)
{
	return state >= 32 || !(c->unmeasured & (1u << state));
}

size_t conn_path_states(const struct conn *c, uint8_t out[TL_NSTATES])
{
	size_t len = c->path_len < CONN_PATH_MAX ? c->path_len : CONN_PATH_MAX, n = 0;
	uint32_t done = 0;

	_Static_assert(TL_NSTATES <= 32, "done holds a bit per state");
	/* cppcheck 2.10 takes len for 0 here (a false positive, as in sink.c). */
	/* cppcheck-suppress knownConditionTrueFalse */
	for (size_t i = 0; i < len; i++) {
		unsigned int s = c->path[i];

		if (s < TL_ESTABLISHED || s >= TL_NSTATES || s == TL_CLOSE || s == TL_LISTEN ||
		    (done & TL_BIT(s)))
			continue;
		done |= TL_BIT(s);
		out[n++] = (uint8_t)s;
	}
	return n;
}
