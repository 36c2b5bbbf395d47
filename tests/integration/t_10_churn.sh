#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Churn: 10000 connections (client closes first, 4 client workers) in a
# fresh namespace. Two tracers run at once, `-L PORT` (the server's side)
# and `-D PORT` (the clients' side), because -L and -D together would mean
# both at once. Every connection must give exactly one row:
#   rows(-L) == delta TcpPassiveOpens, rows(-D) == delta TcpActiveOpens,
# and neither tracer may report a drop.
source "$(dirname "$0")/lib.sh"
tl_require

N=${TL_CHURN_CONNS:-10000}
tl_netns_new NS
tl_ports SP

tl_tracer_start trL -L "$SP" --csv "$TL_WORK/passive.csv"
tl_tracer_start trD -D "$SP" --csv "$TL_WORK/active.csv"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c 16 --quiet
a0=$(tl_nstat "$NS" TcpActiveOpens)
p0=$(tl_nstat "$NS" TcpPassiveOpens)
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c 4 --quiet
tl_expect_exit cli 100
tl_expect_exit srv 20
a1=$(tl_nstat "$NS" TcpActiveOpens)
p1=$(tl_nstat "$NS" TcpPassiveOpens)
cat "$TL_WORK/cli.out" "$TL_WORK/srv.out"
sleep 2 # let the tracers drain
tl_tracer_stop trL
tl_tracer_stop trD

da=$((a1 - a0))
dp=$((p1 - p0))
rl=$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP")
rd=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP")
echo "TcpActiveOpens delta $da, TcpPassiveOpens delta $dp; rows: -L $rl, -D $rd"
assert_eq "$da" "$N" "setup: the clients opened $N connections"
assert_eq "$((rl + rd))" "$((da + dp))" "rows == delta(TcpActiveOpens) + delta(TcpPassiveOpens)"
assert_eq "$rl" "$dp" "server-side rows (-L) == delta(TcpPassiveOpens)"
assert_eq "$rd" "$da" "client-side rows (-D) == delta(TcpActiveOpens)"
assert_eq "$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" role=passive)" "$dp" "server-side rows are passive"
assert_eq "$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" role=active)" "$da" "client-side rows are active"
assert_eq "$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" pid="${TL_PID[srv]}")" "$dp" "server-side rows owned by the server"
assert_eq "$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" pid="${TL_PID[cli]}")" "$da" "client-side rows owned by the client"
assert_eq "$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" close_cause!=fin)" 0 "server-side rows not closed by FIN"
# The clients close first: each one is still in its timewait sock when the
# tracer stops (TIME_WAIT lasts 60 s), and the namespace holds as many.
tw=$(ip netns exec "$NS" ss -tanH state time-wait "( dport = :$SP )" | wc -l)
assert_eq "$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=open end_state=TIME_WAIT timing=inferred)" "$da" "client-side rows still in TIME_WAIT"
assert_eq "$tw" "$da" "ss: TIME_WAIT sockets in the namespace == client connections"
echo "server-side close causes / paths:"
tl_csv "$TL_WORK/passive.csv" path lport="$SP" | sort | uniq -c
echo "client-side paths:"
tl_csv "$TL_WORK/active.csv" path rport="$SP" | sort | uniq -c

for tr in trL trD; do
	line=$(grep -m1 'drops:' "$TL_WORK/$tr.stderr")
	if [[ -z $line ]]; then
		tl_check_fail "$tr: no 'drops:' line in the tracer's stderr"
		continue
	fi
	rb=$(sed -n 's/.*ringbuf \([0-9][0-9]*\).*/\1/p' <<<"$line")
	mf=$(sed -n 's/.*map full \([0-9][0-9]*\).*/\1/p' <<<"$line")
	assert_eq "$rb" 0 "$tr: ringbuf drops"
	assert_eq "$mf" 0 "$tr: map full"
done

tl_finish
