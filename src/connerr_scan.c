// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "connerr_scan.h"
#include "log.h"
#include "netns.h"
#include "sanitize.h"
#include "tcplimits_scan.h"

/* The line's destination among the namespace's busiest: the most ports
 * any one source address holds to it. */
static void take(struct connerr_line *l, const struct limits_ns *ns)
{
	size_t alen = l->tuple.family == TL_AF_INET ? 4 : 16;

	if (!ns->ports_read || ns->port_lo == LIM_ABSENT)
		return;
	l->ports.known = true;
	l->ports.lo = ns->port_lo;
	l->ports.hi = ns->port_hi;
	for (size_t i = 0; i < ns->n_busiest; i++) {
		const struct lim_dest *d = &ns->busiest[i];

		if (d->family == l->tuple.family && d->dport == l->tuple.dport &&
		    !memcmp(d->daddr, l->tuple.daddr, alen) && d->ports > l->ports.in_use)
			l->ports.in_use = d->ports;
	}
}

static void measure(struct connerr_line *l)
{
	struct limits_ns ns = { .netns = l->netns };
	int fd, home, err;

	fd = l->netns ? netns_open_id(l->netns) : -ENOENT;
	if (fd == -ENOENT)
		return; /* gone already: no measurement, no hint */
	home = netns_open(0);
	err = fd < 0 ? fd : home < 0 ? home : netns_run(fd, home, limits_read_here, &ns);
	if (fd >= 0)
		close(fd);
	if (home >= 0)
		close(home);
	if (err)
		log_debug("cannot measure the ports in use in network namespace %u: %s", l->netns,
			strerror(-err));
	else
		take(l, &ns);
}

void connerr_scan_due(struct connerr_tab *t)
{
	struct connerr_line *l;

	while ((l = connerr_take_unmeasured(t))) {
		if (t->scans >= CONNERR_MAX_SCANS)
			continue;
		t->scans++;
		measure(l);
	}
}

void connerr_log(struct connerr_tab *t)
{
	const struct connerr_line *top[CONNERR_TOP];
	char dest[64], name[16], hint[512], comm[TL_COMM_LEN * 4 + 1];
	size_t n;

	connerr_scan_due(t);
	n = connerr_top(t, top, CONNERR_TOP);
	for (size_t i = 0; i < n; i++) {
		const struct connerr_line *l = top[i];

		connerr_dest(l, dest, sizeof(dest));
		/* The task's own text: sanitized, as every name that is printed. */
		sanitize_text(l->owner.comm, TL_COMM_LEN, comm, sizeof(comm));
		log_info("connect() failed %" PRIu64 " time%s: pid %" PRIu32 " (%s) to %s: %s", l->count,
			 l->count == 1 ? "" : "s", l->owner.pid, l->owner_known ? comm : "?", dest,
			 connerr_name(l->err, name, sizeof(name)));
		if (connerr_hint(l, hint, sizeof(hint)))
			log_info("%s", hint);
	}
}
