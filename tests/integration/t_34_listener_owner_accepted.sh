#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 13 item 4, the other half: a child that waited in the accept queue
# with its listener's owner gets the accepting process as its owner once
# accept() returns it (owner_from=socket, the fd ss names), live and with
# --once; before the accept, --once shows the listener's (owner_from=listener).
# The server listens on the wildcard address (a seeded child has its own
# local address by then: found by the wildcard lookup) with backlog 1 and
# accepts only at the go; the clients and the server then hold their
# connections open.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP1 CP2
CSV=$TL_WORK/live.csv
tl_tracer_start tr -L "$SP" --csv "$CSV"
tl_peer_server srv "$NS" -a 0.0.0.0 -p "$SP" --backlog 1 --no-accept --go-file "$TL_GO" -n 2 --never-close --timeout 0
SRV=${TL_PID[srv]}
queued() { [[ $(ip netns exec "$NS" ss -tanH state established "( sport = :$SP )" | wc -l) -ge 2 ]]; }
tl_peer_client c1 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP1" --send 0 --never-close --timeout 0
tl_peer_client c2 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP2" --send 0 --never-close --timeout 0
tl_wait_for 10 "both children queued" queued
for method in iter sock_diag; do
	TCPLIFE_SEED=$method timeout 300 "$TL_BIN" --once -L "$SP" --csv - \
		>"$TL_WORK/once-before-$method.csv" 2>"$TL_WORK/once-before-$method.err"
	assert_eq "$?" "$(tl_status_for "$TL_WORK/once-before-$method.err")" \
		"$method: --once (before the accept) exit status"
done
tl_go
tl_wait_count "$TL_WORK/srv.out" '^conn ' 2 10 || tl_die "the server did not accept both"
accepted() { [[ -n $(tl_ss "$NS" "$SP" "$CP1" fd) && -n $(tl_ss "$NS" "$SP" "$CP2" fd) ]]; }
tl_wait_for 10 "ss names the server's fds" accepted
tl_settle "$NS" "$CP1" "$CP2"
AFTER=$TL_WORK/once-after.csv
timeout 300 "$TL_BIN" --once -L "$SP" --csv - >"$AFTER" 2>"$TL_WORK/once-after.err"
assert_eq "$?" "$(tl_status_for "$TL_WORK/once-after.err")" "--once (after the accept) exit status"
tl_tracer_stop tr
for f in "$TL_WORK"/once-before-*.csv "$CSV" "$AFTER"; do
	echo "--- $f"
	tl_csv_show "$f"
done

for cp in "$CP1" "$CP2"; do
	for method in iter sock_diag; do
		assert_eq "$(tl_csv_count "$TL_WORK/once-before-$method.csv" lport="$SP" rport="$cp" \
			pid="$SRV" owner_from=listener fd= role=passive)" 1 \
			"$method: before the accept: the child of $cp has the listener's owner, no fd"
	done
	fd=$(tl_ss "$NS" "$SP" "$cp" fd)
	assert_eq "$(tl_ss "$NS" "$SP" "$cp" pid)" "$SRV" "ss: the server holds the child of $cp"
	for f in "$CSV" "$AFTER"; do
		w=live
		[[ $f == "$AFTER" ]] && w=once
		assert_eq "$(tl_csv_count "$f" lport="$SP" rport="$cp")" 1 "$w: one row for the child of $cp"
		assert_eq "$(tl_csv_get "$f" pid lport="$SP" rport="$cp")" "$SRV" "$w: child of $cp: pid"
		assert_eq "$(tl_csv_get "$f" owner_from lport="$SP" rport="$cp")" socket "$w: child of $cp: owner_from"
		assert_eq "$(tl_csv_get "$f" fd lport="$SP" rport="$cp")" "$fd" "$w: child of $cp: fd (ss: $fd)"
	done
done

tl_finish
