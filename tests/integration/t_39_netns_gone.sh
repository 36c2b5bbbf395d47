#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A namespace deleted while a connection of it is in its timewait sock: the
# tracer must not keep the namespace alive, and the connection ends with it,
# close cause netns_gone, long before TIME_WAIT's 60 s timer.
#
# Before, the tracepoint tier held a NETLINK_SOCK_DIAG socket and the
# namespace's /proc/net/netstat open to list its timewait socks; both hold a
# reference on the namespace, so after `ip netns del` it lived on, and the
# timewait sock with it, until its timer ran out (60-80 s). Now the tracer
# sees that nothing but itself names the namespace, lets go, and the kernel
# purges the timewait socks as it tears the namespace down (inet_twsk_purge).
# On the fentry/kprobe tiers the tracer holds nothing there for timewait
# socks, and the purge's inet_twsk_kill() says netns_gone itself (exact).
#
# Ground truth: `ss` lists the client's TIME-WAIT sock before the deletion;
# the tracer's own fds (/proc/PID/fd against the namespace's
# /proc/net/netlink) show what it holds there; the end is bracketed by the
# deletion and the moment the row appeared, and is before the kernel's 60 s
# TIME_WAIT timer (TCP_TIMEWAIT_LEN) could have ended it.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
TR=${TL_TRACER[tr]}
TIER=$(tl_tracer_tier tr timewait)
tl_loopback_conn "$NS" "$SP" "$CP"
tl_settle "$NS"
tcall=$(tl_kv "$TL_WORK/cli.out" close tcall)
tl_wait_for 10 "ss lists the client's timewait sock" \
	eval '[[ $(tl_tw_listed "$NS" "$CP" "$SP") == TIME-WAIT* ]]'
t_listed=$(tl_now)
echo "timewait tier: $TIER; ss: $(tl_tw_listed "$NS" "$CP" "$SP")"

netstat_fds() { # the tracer's open /proc/.../net/netstat files
	tl_fd_links "$TR" | grep -c '/net/netstat$'
}

if [[ $TIER == inferred ]]; then
	# The listings' handles: the tracer's sock_diag socket made in NS.
	tl_wait_for 10 "the tracer lists the namespace (its sock_diag socket there)" \
		eval '[[ -n $(tl_diag_socks "$NS" "$TR") ]]'
	mapfile -t SOCKS < <(tl_diag_socks "$NS" "$TR")
	echo "tracer's sock_diag sockets in $NS: ${SOCKS[*]}; netstat files open: $(netstat_fds)"
	assert_ge "$(netstat_fds)" 1 "the tracer reads the namespace's TCPTimeWaitOverflow (its netstat open)"
else
	assert_eq "$(tl_diag_socks "$NS" "$TR" | wc -l)" 0 "hooked: the tracer holds no socket in the namespace"
fi

t_del=$(tl_now)
tl_netns_del "$NS"

if [[ $TIER == inferred ]]; then
	# The condition the issue asks for: nothing of the tracer's pins the
	# deleted namespace any more. The deadline only detects a failure.
	tl_wait_for 10 "the tracer let go of the deleted namespace's sock_diag socket" \
		eval '! tl_holds_any "$TR" "${SOCKS[@]}"'
	t_free=$(tl_now)
	tl_check_ok "the tracer let go of its sock_diag socket in the deleted namespace"
	assert_eq "$(netstat_fds)" 0 "and of the namespace's netstat"
	echo "MEASURED: the tracer let go of the deleted namespace $(tl_ms "$t_del" "$t_free") ms after ip netns del (design target 5000 ms; one listing interval, ~1 s)"
fi

row=",127\\.0\\.0\\.1,$CP,127\\.0\\.0\\.1,$SP,active,CLOSE,"
if ! tl_wait_line "$CSV" "$row" 20 "$TR"; then
	tl_check_fail "the client's row did not end while the tracer ran (its namespace is gone)"
fi
t_row=$(tl_now)
tl_tracer_stop tr
echo "rows on the test's ports:"
tl_pair_show

assert_eq "$(c close_cause)" netns_gone "client close_cause: its timewait sock went with the namespace"
assert_eq "$(c closed)" true "client closed"
assert_eq "$(c end_state)" CLOSE "client end_state"
assert_match "$(c path)" 'FIN_WAIT2>TIME_WAIT>CLOSE$' "client path"
assert_eq "$(c timing)" "$(tl_timing_for tr timewait)" "client timing (exact when hooked, else inferred)"
tw=$(c time_wait_ms)
# From below: TIME_WAIT began before ss listed it and ended no earlier than
# the deletion. From above: it began after the client's close() call and
# ended before its row was seen; and before the kernel's own 60 s timer.
assert_ge "$tw" "$(tl_ms "$t_listed" "$t_del")" "client time_wait_ms >= ss listing -> ip netns del"
assert_le "$tw" "$(tl_ms "$tcall" "$t_row")" "client time_wait_ms <= close() -> row seen"
assert_lt "$tw" 60000 "client time_wait_ms < TCP_TIMEWAIT_LEN (60 s): ended by the namespace, not its timer"
echo "MEASURED: TIME_WAIT $tw ms; ip netns del came $(tl_ms "$t_listed" "$t_del") ms after ss listed it"

assert_eq "$(tl_csv_get "$CSV" close_cause lport="$SP" rport="$CP")" fin "server close_cause (LAST_ACK > CLOSE, before the deletion)"
assert_match "$(grep -m1 'timewait socks not listable' "$TL_WORK/tr.stderr")" 'timewait socks not listable: 0;' \
	"no timewait sock left unconfirmed (tw_unconfirmed 0)"

tl_finish
