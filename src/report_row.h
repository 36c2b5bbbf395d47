/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One connection record as `report` reads it back from a CSV row or a
 * JSON line: only the fields the report uses, found by column name (the
 * names of columns.c), so a file whose columns are reordered, or that has
 * columns this version does not know, still reads.
 */
#ifndef TL_REPORT_ROW_H
#define TL_REPORT_ROW_H

#include <stdbool.h>
#include <stdint.h>
#include "conn.h"

#define REP_COMM_LEN 64  /* decoded comm: TL_COMM_LEN raw bytes, room for longer ones */
#define REP_ADDR_LEN 64
#define REP_CAUSE_LEN 32

struct rep_row {
	uint64_t ns[TL_NSTATES]; /* time per state, where `measured` has its bit */
	uint32_t measured;       /* bit (1u << state): its *_ms cell had a value */
	uint32_t entered;        /* bit (1u << state): in the path */
	bool have_path;
	uint64_t retrans;        /* syn + synack + fin + data retransmits */
	uint64_t resets;         /* sent + received */
	bool owner_known;        /* a pid was given */
	uint32_t pid;
	char comm[REP_COMM_LEN]; /* raw bytes, \xNN undone: sanitize before printing */
	uint8_t role;            /* enum conn_role */
	uint16_t lport, rport;
	char raddr[REP_ADDR_LEN];
	char cause[REP_CAUSE_LEN];
	bool open;               /* close_cause "open": still open when written */
};

/* The field a column name stands for, or -1 for a column the report does
 * not use (skipped, not an error). */
int rep_field(const char *name);
/* Is field f one without which a file is not the tool's (close_cause)? */
bool rep_field_required(int f);
const char *rep_field_name(int f);
int rep_field_count(void);
/* Set field f of r from its text; NULL or "" is "not known". Returns NULL,
 * or what was wrong ("invalid close_wait_ms 'x'") in err. */
const char *rep_row_set(struct rep_row *r, int f, const char *v, char *err, size_t errsz);
/* Before a row's fields are set. */
void rep_row_init(struct rep_row *r);
/* After a row's fields are set: a state counts as measured only if the
 * connection was in it (the tool writes 0.000 for states never entered):
 * in its path, or, when there is no path or it was truncated, with a time
 * above 0. */
void rep_row_finish(struct rep_row *r);
/* Is f the comm field (CSV undoes its formula prefix)? */
bool rep_field_is_comm(int f);

#endif /* TL_REPORT_ROW_H */
