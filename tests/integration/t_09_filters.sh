#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Filters. Two servers, on ports A and B, each get two connections from a
# client of their own. Each run starts fresh peers and one tracer:
#   -p SERVER_A_PID  only server A's two connections (no client rows, no B)
#   -L A             only rows with lport == A (server A's)
#   -D A             only rows with rport == A (client A's)
#   -L A -L B        the servers' four rows (the filters repeat)
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports PA PB

run_case() { # TAG TRACER_ARGS... (the word PIDA is replaced by server A's pid)
	local tag=$1 a args=()
	shift
	tl_peer_server "srvA_$tag" "$NS" -a 127.0.0.1 -p "$PA" -n 2
	tl_peer_server "srvB_$tag" "$NS" -a 127.0.0.1 -p "$PB" -n 2
	for a in "$@"; do
		[[ $a == PIDA ]] && a=${TL_PID[srvA_$tag]}
		args+=("$a")
	done
	tl_tracer_start "tr_$tag" "${args[@]}" --csv "$TL_WORK/$tag.csv"
	tl_peer_client "cliA_$tag" "$NS" -a 127.0.0.1 -p "$PA" -n 2
	tl_peer_client "cliB_$tag" "$NS" -a 127.0.0.1 -p "$PB" -n 2
	tl_expect_exit "cliA_$tag" 10
	tl_expect_exit "cliB_$tag" 10
	tl_expect_exit "srvA_$tag" 10
	tl_expect_exit "srvB_$tag" 10
	tl_settle "$NS"
	tl_tracer_stop "tr_$tag"
	echo "rows of $tag.csv:"
	tl_csv_show "$TL_WORK/$tag.csv"
}

echo "=== -p server A"
run_case pid -p PIDA
CSV=$TL_WORK/pid.csv
SA=${TL_PID[srvA_pid]}
assert_eq "$(tl_csv_count "$CSV")" 2 "-p: rows (server A's two connections)"
assert_eq "$(tl_csv_count "$CSV" pid="$SA" lport="$PA" role=passive)" 2 "-p: server A's rows"
assert_eq "$(tl_csv_count "$CSV" pid!="$SA")" 0 "-p: rows of another process"
assert_eq "$(tl_csv_count "$CSV" role=active)" 0 "-p: client rows"
assert_eq "$(tl_csv_count "$CSV" lport="$PB")" 0 "-p: server B rows"

echo "=== -L A"
run_case lport -L "$PA"
CSV=$TL_WORK/lport.csv
assert_eq "$(tl_csv_count "$CSV" lport="$PA")" 2 "-L: rows with lport A"
assert_eq "$(tl_csv_count "$CSV" lport!="$PA")" 0 "-L: rows with another lport"
assert_eq "$(tl_csv_count "$CSV" lport="$PA" pid="${TL_PID[srvA_lport]}" role=passive)" 2 "-L: they are server A's"

echo "=== -D A"
run_case rport -D "$PA"
CSV=$TL_WORK/rport.csv
assert_eq "$(tl_csv_count "$CSV" rport="$PA")" 2 "-D: rows with rport A"
assert_eq "$(tl_csv_count "$CSV" rport!="$PA")" 0 "-D: rows with another rport"
assert_eq "$(tl_csv_count "$CSV" rport="$PA" pid="${TL_PID[cliA_rport]}" role=active)" 2 "-D: they are client A's"

echo "=== -L A -L B"
run_case lports -L "$PA" -L "$PB"
CSV=$TL_WORK/lports.csv
assert_eq "$(tl_csv_count "$CSV" lport="$PA" pid="${TL_PID[srvA_lports]}" role=passive)" 2 "-L -L: server A's rows"
assert_eq "$(tl_csv_count "$CSV" lport="$PB" pid="${TL_PID[srvB_lports]}" role=passive)" 2 "-L -L: server B's rows"
assert_eq "$(tl_csv_count "$CSV" lport!~"^($PA|$PB)\$")" 0 "-L -L: rows with another lport"

tl_finish
