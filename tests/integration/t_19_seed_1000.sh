#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 7. 1 000 connections open before the tool starts (both ends
# held: 2 000 sockets) are all seeded, with their owners and fds: with the
# BPF iterators and with the sock_diag + /proc fallback. The seeding time
# (the tool's own "... in N ms") is logged, not asserted: speed is measured
# by make bench, not by a functional test.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

N=1000
tl_netns_new NS
tl_ports SP
tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N"
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" --send 1
assert_eq "$(ip netns exec "$NS" ss -tanH state established "sport = :$SP" | wc -l)" "$N" "ss: server ends"

for method in iter sock_diag; do
	CSV=$TL_WORK/once-$method.csv
	TCPLIFE_SEED=$method timeout 300 "$TL_BIN" --once --csv - >"$CSV" 2>"$TL_WORK/once-$method.err"
	assert_eq "$?" "$(tl_status_for "$TL_WORK/once-$method.err")" "$method: --once exit status"
	cat "$TL_WORK/once-$method.err"
	ms=$(sed -n "s/.*before the start in \([0-9]*\) ms ($method,.*/\1/p" "$TL_WORK/once-$method.err")
	echo "MEASURED: $method seeded the sockets open before the start in $ms ms"
	assert_match "$ms" '^[0-9]+$' "$method: the tool says how long seeding took"
	assert_eq "$(tl_csv_count "$CSV" lport="$SP" pid="${TL_PID[srv]}" seen_from=preexisting end_state=ESTABLISHED)" \
		"$N" "$method: server ends, owned by the server"
	assert_eq "$(tl_csv_count "$CSV" rport="$SP" pid="${TL_PID[cli]}" seen_from=preexisting end_state=ESTABLISHED)" \
		"$N" "$method: client ends, owned by the client"
	assert_eq "$(tl_csv_count "$CSV" lport="$SP" fd='')" 0 "$method: server ends without an fd"
	# Spot-check fds against ss: the first, a middle and the last connection.
	for cport in $(grep '^conn ' "$TL_WORK/cli.out" | sed -n '1p;500p;$p' | sed 's/.*lport=\([0-9]*\).*/\1/'); do
		assert_eq "$(tl_csv_get "$CSV" fd lport="$cport" rport="$SP")" "$(tl_ss "$NS" "$cport" "$SP" fd)" \
			"$method: client fd of port $cport (ss)"
		assert_eq "$(tl_csv_get "$CSV" fd lport="$SP" rport="$cport")" "$(tl_ss "$NS" "$SP" "$cport" fd)" \
			"$method: server fd for peer $cport (ss)"
	done
done

tl_finish
