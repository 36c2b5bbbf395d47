// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "summary.h"

uint64_t summary_lost(const struct summary *s)
{
	return s->rb_drops + s->map_full + s->stale + s->bad_records + s->missed + s->gaps +
	       s->unseen + s->tw_unconfirmed;
}

int run_status(const struct summary *s, bool error)
{
	if (error)
		return TL_EXIT_ERROR;
	return summary_lost(s) ? TL_EXIT_LOST : TL_EXIT_OK;
}

const char *output_error_text(int err)
{
	if (!err)
		return "output error";
	if (err == -ETIMEDOUT)
		return "the reader stopped reading";
	return strerror(-err);
}

/* "N connections written", unless an output failed: then what was made
 * and what did not reach the output, and why. */
static int written_fmt(const struct summary *s, char *buf, size_t n)
{
	uint64_t conns = s->conns_closed + s->conns_open;
	const char *pl = conns == 1 ? "" : "s";

	if (!s->out_err && !s->not_written)
		return snprintf(buf, n, "%" PRIu64 " connection%s written (%" PRIu64 " still open)",
				conns, pl, s->conns_open);
	return snprintf(buf, n, "%" PRIu64 " connection%s recorded (%" PRIu64 " still open) but %"
			PRIu64 " record%s NOT written (%s)", conns, pl, s->conns_open, s->not_written,
			s->not_written == 1 ? "" : "s", output_error_text(s->out_err));
}

void summary_line(const struct summary *s, char *buf, size_t n)
{
	char written[160], twins[96] = "", cerr[64];

	written_fmt(s, written, sizeof(written));
	/* Without the connect hook a failure after the SYN still ends a row
	 * and counts; one inside the call (EADDRNOTAVAIL, no route) is not seen. */
	snprintf(cerr, sizeof(cerr), "%" PRIu64 "%s", s->connect_errors,
		 s->connect_untraced ? " (those inside the call not traced)" : "");
	if (s->lost_twins)
		snprintf(twins, sizeof(twins), "; children closed at birth, never hashed (no row): %" PRIu64,
			 s->lost_twins);
	snprintf(buf, n,
		 "%s, %" PRIu64 " records; "
		 "drops: ringbuf %" PRIu64 ", map full %" PRIu64 ", bad records %" PRIu64
		 ", stale %" PRIu64 ", missed %" PRIu64 ", gaps %" PRIu64 ", ends not seen %" PRIu64 "; healed %" PRIu64 "; SYN-ACK retransmits not joined to a connection: %" PRIu64
		 "; without a known owner under -p: %" PRIu64
		 "; timewait socks not listable: %" PRIu64
		 "; open before the start: %" PRIu64 " (read in %" PRIu64 " ms); connect() failures: %s%s%s",
		 written, s->records, s->rb_drops, s->map_full,
		 s->bad_records, s->stale, s->missed, s->gaps, s->unseen, s->healed, s->synack_orphans, s->unattributed,
		 s->tw_unconfirmed, s->seeded, s->seed_ms, cerr,
		 twins, s->owners_lost ? "; owners of accepted connections: unavailable (no owner hook)" : "");
}
