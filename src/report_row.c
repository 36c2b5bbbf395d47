// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report_row.h"
#include "sanitize.h"
#include "states.h"

enum {
	F_PID = 0, F_COMM, F_LPORT, F_RADDR, F_RPORT, F_ROLE, F_CAUSE,
	F_SYN_RTX, F_SYNACK_RTX, F_FIN_RTX, F_DATA_RTX, F_RST_SENT, F_RST_RECV, F_PATH,
	F_STATES, /* then one per state_columns[] entry */
};

_Static_assert(TL_NSTATES <= 32, "a row's state masks are 32 bits");

static const char *const names[F_STATES] = {
	"pid", "comm", "lport", "raddr", "rport", "role", "close_cause",
	"syn_retrans", "synack_retrans", "fin_retrans", "data_retrans", "rst_sent", "rst_recv", "path",
};

int rep_field_count(void)
{
	return F_STATES + (int)n_state_columns;
}

const char *rep_field_name(int f)
{
	if (f < 0 || f >= rep_field_count())
		return "?";
	return f < F_STATES ? names[f] : state_columns[f - F_STATES].name;
}

int rep_field(const char *name)
{
	for (int f = 0; f < rep_field_count(); f++)
		if (!strcmp(name, rep_field_name(f)))
			return f;
	return -1;
}

bool rep_field_required(int f)
{
	return f == F_CAUSE;
}

bool rep_field_is_comm(int f)
{
	return f == F_COMM;
}

void rep_row_init(struct rep_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->cause, sizeof(r->cause), "unknown");
}

/* A count: decimal digits only, at most `max`. */
static bool parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return false;
	*out = x;
	return true;
}

/* "501.234" ms (fmt_ms: digits, a point, up to 9 decimals) into ns,
 * exactly: no double in between. */
static bool parse_ms(const char *v, uint64_t *ns)
{
	uint64_t ms = 0, frac = 0, scale = 1000000;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ms > (UINT64_MAX / 1000000 - 9) / 10)
			return false;
		ms = ms * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1)
				return false;
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p)
		return false;
	*ns = ms * 1000000 + frac;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The tool writes comm with its bytes outside printable ASCII, and the
 * backslash, as \xNN (sanitize.c): undo that, so that grouping sees the
 * process's own name and printing sanitizes it exactly once. */
static void comm_decode(const char *v, char *out, size_t n)
{
	size_t o = 0;

	for (const char *p = v; *p && o + 1 < n; p++) {
		int hi, lo;

		if (p[0] == '\\' && p[1] == 'x' && (hi = hexval(p[2])) >= 0 &&
		    (lo = hexval(p[3])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			p += 3;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

static int role_parse(const char *v)
{
	for (int i = ROLE_UNKNOWN; i <= ROLE_PASSIVE; i++)
		if (!strcmp(v, role_name((unsigned int)i)))
			return i;
	return -1;
}

/* A name as the tool writes them: lower case, digits, '_', '.', ':'
 * (addresses), '[' ']'; nothing a terminal would act on. */
static bool plain_name(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (!n || n >= max)
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:[]%-") == n;
}

/* "SYN_RECV>ESTABLISHED>...>CLOSE", "..." last when truncated. */
static const char *set_path(struct rep_row *r, char *v)
{
	char *save = NULL;

	for (char *t = strtok_r(v, ">", &save); t; t = strtok_r(NULL, ">", &save)) {
		int st = state_parse(t);

		if (!strcmp(t, "..."))
			return NULL; /* truncated: have_path stays false */
		if (st < 0)
			return "states joined by >";
		r->entered |= 1u << st;
	}
	r->have_path = true;
	return NULL;
}

void rep_row_finish(struct rep_row *r)
{
	for (unsigned int st = 0; st < TL_NSTATES; st++)
		if (!(r->entered & (1u << st)) && (r->have_path || !r->ns[st]))
			r->measured &= ~(1u << st);
}

static const char *set_count(struct rep_row *r, int f, const char *v)
{
	uint64_t x;

	if (!parse_u64(v, UINT32_MAX, &x))
		return "a count";
	if (f == F_RST_SENT || f == F_RST_RECV)
		r->resets += x;
	else
		r->retrans += x;
	return NULL;
}

static const char *set_text(struct rep_row *r, int f, const char *v)
{
	uint64_t x;
	int role;

	switch (f) {
	case F_PID:
		if (!parse_u64(v, UINT32_MAX, &x))
			return "a pid";
		r->pid = (uint32_t)x;
		r->owner_known = true;
		return NULL;
	case F_COMM:
		comm_decode(v, r->comm, sizeof(r->comm));
		return NULL;
	case F_LPORT:
	case F_RPORT:
		if (!parse_u64(v, 65535, &x))
			return "a port";
		*(f == F_LPORT ? &r->lport : &r->rport) = (uint16_t)x;
		return NULL;
	case F_RADDR:
		if (!plain_name(v, sizeof(r->raddr)))
			return "an address";
		snprintf(r->raddr, sizeof(r->raddr), "%s", v);
		return NULL;
	case F_ROLE:
		role = role_parse(v);
		if (role < 0)
			return "active, passive or unknown";
		r->role = (uint8_t)role;
		return NULL;
	case F_PATH: {
		char buf[512];

		snprintf(buf, sizeof(buf), "%s", v);
		return set_path(r, buf);
	}
	case F_CAUSE:
		if (!plain_name(v, sizeof(r->cause)))
			return "a close cause";
		snprintf(r->cause, sizeof(r->cause), "%s", v);
		r->open = !strcmp(v, cause_name(CAUSE_OPEN));
		return NULL;
	default:
		return set_count(r, f, v);
	}
}

const char *rep_row_set(struct rep_row *r, int f, const char *v, char *err, size_t errsz)
{
	char shown[4 * 40 + 1];
	const char *want;

	if (f < 0 || f >= rep_field_count() || !v || !*v)
		return NULL;
	if (f >= F_STATES) {
		unsigned int st = state_columns[f - F_STATES].state;

		want = parse_ms(v, &r->ns[st]) ? NULL : "milliseconds";
		if (!want)
			r->measured |= 1u << st;
	} else {
		want = set_text(r, f, v);
	}
	if (!want)
		return NULL;
	/* The value may be hostile: it reaches the terminal sanitized. */
	sanitize_text(v, 40, shown, sizeof(shown));
	snprintf(err, errsz, "invalid %s '%s' (want %s)", rep_field_name(f), shown, want);
	return err;
}
