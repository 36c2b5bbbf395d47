#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 1. A server that reads to EOF and never closes (tlleak)
# gets three connections; another process (tlpeer) has three of its own at
# the same time. --pid SERVER must list exactly the server's three, with
# its pid and tid, and the fd numbers /proc/PID/fd and `ss -tanpe` show.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports SP NP
CSV=$TL_WORK/trace.csv

tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 3
tl_peer_server noise "$NS" -a 127.0.0.1 -p "$NP" -n 3
SRV=${TL_PID[srv]}
tl_tracer_start tr --pid "$SRV" --csv "$CSV"
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" -n 3 --send 64 --close
tl_peer_client ncli "$NS" -a 127.0.0.1 -p "$NP" -n 3
tl_expect_exit ncli 20
tl_expect_exit noise 20
tl_wait_count "$TL_WORK/srv.out" '^eof ' 3 10 || tl_check_fail "the server did not read 3 EOFs"
tl_settle "$NS"
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'
tl_tracer_stop tr
tl_csv_show "$CSV"

assert_eq "$(tl_csv_count "$CSV")" 3 "rows under --pid (the server's three connections)"
assert_eq "$(tl_csv_count "$CSV" pid!="$SRV")" 0 "rows of another process"
assert_eq "$(tl_csv_count "$CSV" lport!="$SP")" 0 "rows on another port"
while read -r _ _ _ fdkv _ rportkv _; do
	fd=${fdkv#fd=} rport=${rportkv#rport=}
	r() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$rport"; }
	echo "--- server connection fd $fd, remote port $rport"
	assert_eq "$(r pid)" "$SRV" "pid"
	assert_eq "$(r tid)" "$SRV" "tid (single-threaded server)"
	assert_eq "$(r fd)" "$fd" "fd, as the server says"
	assert_eq "$(r fd)" "$(tl_ss "$NS" "$SP" "$rport" fd)" "fd, as ss -tanpe says"
	assert_eq "$(tl_proc_fd_ino "$SRV" "$(r fd)")" "$(tl_ss "$NS" "$SP" "$rport" ino)" \
		"/proc/$SRV/fd/FD is the socket ss names"
	assert_eq "$(r end_state)" CLOSE_WAIT "state at exit"
	assert_eq "$(r closed)" false "still open at exit"
	assert_eq "$(r seen_from)" birth "seen_from"
	assert_eq "$(r role)" passive "role"
done < <(grep '^conn ' "$TL_WORK/srv.out")

tl_finish
