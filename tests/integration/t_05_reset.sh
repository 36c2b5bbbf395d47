#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Abortive close (SO_LINGER {1,0}): first the client resets, then, on a
# second connection, the server. The side that closes sends the RST
# (rst_sent, close_cause rst_sent), the other receives it (rst_recv,
# close_cause rst_recv); nobody sends a FIN and nobody reaches TIME_WAIT.
# RSTs sent are checked against the namespace's TcpOutRsts.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP1 CP2
CSV=$TL_WORK/trace.csv

tl_tracer_start tr -L "$SP" -L "$CP1" -L "$CP2" --csv "$CSV"

# 1. the client resets, 300 ms after connecting (its 16 bytes were read).
o0=$(tl_nstat "$NS" TcpOutRsts)
tl_peer_server srv1 "$NS" -a 127.0.0.1 -p "$SP" --allow-reset
tl_peer_client cli1 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP1" --close-at 300 --linger0
tl_expect_exit cli1 10
tl_expect_exit srv1 10
o1=$(tl_nstat "$NS" TcpOutRsts)

# 2. the server resets, 300 ms after accepting; the client waits for EOF.
tl_peer_server srv2 "$NS" -a 127.0.0.1 -p "$SP" --close-at 300 --linger0
tl_peer_client cli2 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP2" --wait-eof --allow-reset
tl_expect_exit cli2 10
tl_expect_exit srv2 10
o2=$(tl_nstat "$NS" TcpOutRsts)
tl_settle_stop

echo "TcpOutRsts delta: client reset $((o1 - o0)), server reset $((o2 - o1))"
tl_csv_show "$CSV" lport~"^($SP|$CP1|$CP2)\$"
grep -q 'ev=reset' "$TL_WORK/srv1.out" || tl_check_fail "setup: server 1 did not see ECONNRESET"
grep -q 'ev=reset' "$TL_WORK/cli2.out" || tl_check_fail "setup: client 2 did not see ECONNRESET"

row() { tl_csv_get "$CSV" "$3" lport="$1" rport="$2"; }
check_pair() { # CLOSER_LPORT PEER_LPORT CLOSER_NAME PEER_NAME RSTS
	local a=$1 b=$2 an=$3 bn=$4
	assert_eq "$(tl_csv_count "$CSV" lport="$a" rport="$b")" 1 "$an rows"
	assert_eq "$(tl_csv_count "$CSV" lport="$b" rport="$a")" 1 "$bn rows"
	assert_ge "$(row "$a" "$b" rst_sent)" 1 "$an rst_sent"
	assert_eq "$(row "$a" "$b" rst_sent)" "$5" "$an rst_sent == TcpOutRsts delta"
	assert_eq "$(row "$a" "$b" close_cause)" rst_sent "$an close_cause"
	assert_eq "$(row "$a" "$b" rst_recv)" 0 "$an rst_recv"
	assert_eq "$(row "$a" "$b" fin_sent)" 0 "$an fin_sent (abortive close sends no FIN)"
	assert_not_contains "$(row "$a" "$b" path)" TIME_WAIT "$an path"
	assert_ge "$(row "$b" "$a" rst_recv)" 1 "$bn rst_recv"
	assert_eq "$(row "$b" "$a" close_cause)" rst_recv "$bn close_cause"
	assert_eq "$(row "$b" "$a" rst_sent)" 0 "$bn rst_sent"
	assert_eq "$(row "$b" "$a" fin_sent)" 0 "$bn fin_sent"
	assert_not_contains "$(row "$b" "$a" path)" TIME_WAIT "$bn path"
}
echo "--- 1: client SO_LINGER {1,0}"
check_pair "$CP1" "$SP" "client 1" "server 1" $((o1 - o0))
assert_eq "$(row "$CP1" "$SP" pid)" "${TL_PID[cli1]}" "client 1 pid"
assert_eq "$(row "$SP" "$CP1" pid)" "${TL_PID[srv1]}" "server 1 pid"
echo "--- 2: server SO_LINGER {1,0}"
check_pair "$SP" "$CP2" "server 2" "client 2" $((o2 - o1))
assert_eq "$(row "$SP" "$CP2" pid)" "${TL_PID[srv2]}" "server 2 pid"
assert_eq "$(row "$CP2" "$SP" pid)" "${TL_PID[cli2]}" "client 2 pid"

tl_finish
