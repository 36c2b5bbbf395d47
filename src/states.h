/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TL_STATES_H
#define TL_STATES_H

#include <stdbool.h>
#include "conn.h"

/* "ESTABLISHED", "SYN_SENT", ...; "UNKNOWN" for anything out of range. */
const char *state_name(unsigned int state);
/* True for the states a connection can spend time in (not 0, LISTEN, ...). */
bool state_valid(unsigned int state);
/* A state a connection can be in, by name: "close-wait", "CLOSE_WAIT" and
 * "close_wait" alike. Returns the state, or -EINVAL. */
int state_parse(const char *name);
/* "fin", "rst_sent", ...; "unknown" for anything out of range. */
const char *cause_name(unsigned int cause);
/* "active", "passive", "unknown". */
const char *role_name(unsigned int role);
const char *timing_name(const struct conn *c);

/* The per-state duration columns of CSV/JSON, in schema order. */
struct state_column {
	const char *name; /* "syn_sent_ms" */
	unsigned int state;
};
extern const struct state_column state_columns[];
extern const unsigned int n_state_columns;

#endif /* TL_STATES_H */
