// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "cli.h"
#include "filter.h"

void filter_init(struct filter *f, const struct options *o)
{
	memset(f, 0, sizeof(*f));
	f->family = o->family;
	f->n_lports = o->n_lports;
	f->n_rports = o->n_rports;
	f->n_pids = o->n_pids;
	f->n_comms = o->n_comms;
	memcpy(f->lports, o->lports, sizeof(f->lports));
	memcpy(f->rports, o->rports, sizeof(f->rports));
	memcpy(f->pids, o->pids, sizeof(f->pids));
	memcpy(f->comms, o->comms, sizeof(f->comms));
	f->cgroup = o->cgroup_id;
}

static bool port_in(const uint16_t *ports, uint32_t n, uint16_t p)
{
	for (uint32_t i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

bool filter_tuple_wanted(const struct filter *f, const struct tl_tuple *t)
{
	return !f ||
	       ((!f->family || f->family == t->family) &&
		(!f->n_lports || port_in(f->lports, f->n_lports, t->sport)) &&
		(!f->n_rports || port_in(f->rports, f->n_rports, t->dport)));
}

bool filter_by_owner(const struct filter *f)
{
	return f && (f->n_pids || f->n_comms || f->cgroup);
}

bool filter_owner_wanted(const struct filter *f, const struct tl_owner *owner, uint64_t cgroup)
{
	bool pid_ok, comm_ok;

	if (!f)
		return true;
	pid_ok = !f->n_pids;
	comm_ok = !f->n_comms;
	for (uint32_t i = 0; i < f->n_pids; i++)
		pid_ok |= f->pids[i] == owner->pid;
	/* The kernel's comm need not end in a NUL: compare TL_COMM_LEN at most,
	 * as comm_matches() in bpf/common.bpf.h does. */
	for (uint32_t i = 0; i < f->n_comms; i++)
		comm_ok |= !strncmp(f->comms[i], owner->comm, TL_COMM_LEN);
	return pid_ok && comm_ok && (!f->cgroup || f->cgroup == cgroup);
}

bool filter_owner_shown(const struct filter *f, bool known, const struct tl_owner *owner,
			uint64_t cgroup)
{
	return !filter_by_owner(f) || (known && filter_owner_wanted(f, owner, cgroup));
}
