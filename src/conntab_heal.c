// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Self-healing: a row whose end the state tracepoint never showed. On a
 * classic tracepoint every attached program is skipped while another
 * kprobe/tracepoint program (of any tracer) holds bpf_prog_active on the
 * CPU, which a softirq interrupting one does; a tp_btf program skips its own
 * recursion. The kernel side then sends, at tcp_destroy_sock, a DESTROY
 * record: the last state it tracked, the socket's final state, whether the
 * peer's FIN had come (SOCK_DONE), sk_err and the byte counts. From these
 * the row is completed as its CLOSE record would have done, with the time
 * in the states between unmeasured (`timing` inferred), and counted healed.
 */
#include "conntab_priv.h"

/* The state the socket left last, as far as its end tells: the CLOSE the
 * tracker missed came from there. FIN_WAIT1 with the peer's FIN in went on
 * through FIN_WAIT2 (or, on a simultaneous close, CLOSING: both end in a
 * TIME_WAIT sock, which is what the row must show); without it, the
 * timewait sock took over in FIN_WAIT2. CLOSE_WAIT ended through LAST_ACK.
 * An error or a reset decides the cause by itself (on_close). */
static uint8_t left_last(uint8_t known, bool peer_fin, int err)
{
	(void)peer_fin;
	if (err)
		return known;
	switch (known) {
	case TL_FIN_WAIT1:
		return TL_FIN_WAIT2;
	case TL_CLOSE_WAIT:
		return TL_LAST_ACK;
	default:
		return known;
	}
}

void ct_apply_destroy(struct conntab *t, const struct tl_event *e)
{
	struct entry *en = hmap_get(&t->by_sk, &e->skaddr);
	struct tl_event close;
	struct conn *c;
	uint8_t via;

	/* No live row for this life: the CLOSE came after all (the kernel
	 * side only sends this when its entry lacks one), or the row went. */
	if (!en || en->c.birth_ns != e->birth_ns || en->c.closed || en->tw)
		return;
	c = &en->c;
	via = left_last(c->state, e->flags & TL_F_PEER_FIN, e->sk_err);
	t->healed++;
	c->inferred = true;
	/* When the known state ended, and how long the one after lasted, no
	 * hook measured. */
	c->unmeasured |= BIT(c->state) | BIT(via);
	close = *e;
	close.type = TL_REC_STATE;
	close.oldstate = via;
	close.newstate = TL_CLOSE;
	close.entered_ns = 0;
	ct_apply_state(t, en, &close);
}
