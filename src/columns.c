// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "conn_acct.h"
#include "conn_extra.h"
#include "fmtnum.h"
#include "columns.h"
#include "sanitize.h"
#include "states.h"

/* Cells are written without printf, as every CSV row and JSON object needs
 * them (fmtnum.h says why). */
struct col_in {
	const struct timeconv *tc;
	const struct conn *c;
	size_t arg; /* the column's own: a struct conn offset, or which end */
};

struct column {
	const char *name;
	void (*get)(const struct col_in *in, struct cell *o);
	size_t arg;
};

#define FIELD(in, type) (*(const type *)((const char *)(in)->c + (in)->arg))

static void set(struct cell *o, enum cell_kind kind, const char *v)
{
	o->kind = kind;
	fmt_str(o->v, sizeof(o->v), v);
}

static void get_start(const struct col_in *in, struct cell *o)
{
	o->kind = CELL_NAME;
	fmt_iso8601(in->tc, in->c->start_ns, o->v, sizeof(o->v));
}

static void get_end(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->closed ? CELL_NAME : CELL_NONE;
	fmt_iso8601(in->tc, in->c->end_ns, o->v, sizeof(o->v));
}

/* pid, tid: the owner's, when known. */
static void get_owner_id(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->owner_known ? CELL_BARE : CELL_NONE;
	fmt_u64(o->v, sizeof(o->v), FIELD(in, uint32_t));
}

static void get_comm(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->owner_known ? CELL_TEXT : CELL_NONE;
	comm_fmt(in->c, o->v, sizeof(o->v));
}

static void get_family(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, family_name(in->c->tuple.family));
}

/* arg: 1 for the local address, 0 for the remote one. */
static void get_addr(const struct col_in *in, struct cell *o)
{
	o->kind = CELL_NAME;
	addr_fmt(&in->c->tuple, in->arg, o->v, sizeof(o->v));
}

static void get_port(const struct col_in *in, struct cell *o)
{
	o->kind = CELL_BARE;
	fmt_u64(o->v, sizeof(o->v), FIELD(in, uint16_t));
}

static void get_role(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, role_name(in->c->role));
}

static void get_state(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, state_name(in->c->state));
}

static void get_cause(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, cause_name(in->c->cause));
}

static void get_count(const struct col_in *in, struct cell *o)
{
	o->kind = CELL_BARE;
	fmt_u64(o->v, sizeof(o->v), FIELD(in, uint32_t));
}

static void get_bytes(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->bytes_known ? CELL_BARE : CELL_NONE;
	fmt_u64(o->v, sizeof(o->v), FIELD(in, uint64_t));
}

static void get_path(const struct col_in *in, struct cell *o)
{
	o->kind = CELL_NAME;
	path_fmt(in->c, o->v, sizeof(o->v));
}

static void get_closed(const struct col_in *in, struct cell *o)
{
	set(o, CELL_BARE, in->c->closed ? "true" : "false");
}

static void get_timing(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, timing_name(in->c));
}

static void get_fd(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->owner_known && in->c->fd >= 0 ? CELL_BARE : CELL_NONE;
	fmt_i64(o->v, sizeof(o->v), in->c->fd);
}

static void get_cgroup(const struct col_in *in, struct cell *o)
{
	o->kind = in->c->owner_known && in->c->cgroup ? CELL_BARE : CELL_NONE;
	fmt_u64(o->v, sizeof(o->v), in->c->cgroup);
}

static void get_seen(const struct col_in *in, struct cell *o)
{
	set(o, CELL_NAME, seen_from_name(in->c));
}

static void get_owner_from(const struct col_in *in, struct cell *o)
{
	const char *from = owner_from_name(in->c);

	set(o, from ? CELL_NAME : CELL_NONE, from ? from : "");
}

/* The listener that dropped the handshake: "comm/pid@laddr:lport", or
 * "@laddr:lport" when its owner is not known; none otherwise. */
static void get_dropped_by(const struct col_in *in, struct cell *o)
{
	const struct conn_dropper *d = conn_dropper(in->c);
	struct tl_tuple t = { 0 };
	char comm[4 * TL_COMM_LEN + 1], ep[64];

	o->kind = d ? CELL_TEXT : CELL_NONE;
	o->v[0] = '\0';
	if (!d)
		return;
	t.family = d->family;
	t.sport = d->port;
	memcpy(t.saddr, d->addr, sizeof(t.saddr));
	endpoint_fmt(&t, true, ep, sizeof(ep));
	if (!d->pid) {
		snprintf(o->v, sizeof(o->v), "@%s", ep);
		return;
	}
	sanitize_text(d->comm, strnlen(d->comm, TL_COMM_LEN), comm, sizeof(comm));
	snprintf(o->v, sizeof(o->v), "%s/%" PRIu32 "@%s", comm, d->pid, ep);
}

#define AT(field) offsetof(struct conn, field)

/* The row, the per-state columns standing in for the marker row. */
static const struct column cols[] = {
	{ "start_time", get_start, 0 },
	{ "end_time", get_end, 0 },
	{ "pid", get_owner_id, AT(owner.pid) },
	{ "comm", get_comm, 0 },
	{ "family", get_family, 0 },
	{ "laddr", get_addr, 1 },
	{ "lport", get_port, AT(tuple.sport) },
	{ "raddr", get_addr, 0 },
	{ "rport", get_port, AT(tuple.dport) },
	{ "role", get_role, 0 },
	{ "end_state", get_state, 0 },
	{ "close_cause", get_cause, 0 },
	{ NULL, NULL, 0 }, /* STATES_AT: syn_sent_ms ... (states.c) */
	{ "syn_retrans", get_count, AT(syn_retrans) },
	{ "synack_retrans", get_count, AT(synack_retrans) },
	{ "fin_sent", get_count, AT(fin_sent) },
	{ "fin_retrans", get_count, AT(fin_retrans) },
	{ "data_retrans", get_count, AT(data_retrans) },
	{ "rst_sent", get_count, AT(rst_sent) },
	{ "rst_recv", get_count, AT(rst_recv) },
	{ "bytes_acked", get_bytes, AT(bytes_acked) },
	{ "bytes_received", get_bytes, AT(bytes_received) },
	{ "path", get_path, 0 },
	{ "closed", get_closed, 0 },
	{ "timing", get_timing, 0 },
	{ "tid", get_owner_id, AT(owner.tid) },
	{ "fd", get_fd, 0 },
	{ "cgroup", get_cgroup, 0 },
	{ "seen_from", get_seen, 0 },
	{ "owner_from", get_owner_from, 0 },
	{ "dropped_by", get_dropped_by, 0 },
};

#define N_COLS (sizeof(cols) / sizeof(cols[0]))
#define STATES_AT 12

unsigned int conn_columns(void)
{
	return N_COLS - 1 + n_state_columns;
}

/* Column i, NULL for a per-state one (*state: its index in state_columns). */
static const struct column *column_at(unsigned int i, unsigned int *state)
{
	if (i < STATES_AT)
		return &cols[i];
	if (i < STATES_AT + n_state_columns) {
		*state = i - STATES_AT;
		return NULL;
	}
	return &cols[i - n_state_columns + 1];
}

const char *conn_column_name(unsigned int i)
{
	unsigned int st = 0;
	const struct column *col = column_at(i, &st);

	return col ? col->name : state_columns[st].name;
}

void conn_cell(const struct timeconv *tc, const struct conn *c, unsigned int i, struct cell *out)
{
	unsigned int st = 0;
	const struct column *col = column_at(i, &st);
	struct col_in in = { .tc = tc, .c = c, .arg = col ? col->arg : 0 };

	if (col) {
		col->get(&in, out);
		return;
	}
	/* The time spent in the state, in ms; not known where c->unmeasured says so. */
	st = state_columns[st].state;
	out->kind = conn_measured(c, st) ? CELL_BARE : CELL_NONE;
	fmt_ms(c->state_ns[st], out->v, sizeof(out->v));
}
