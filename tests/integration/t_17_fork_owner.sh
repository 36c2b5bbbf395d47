#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 5. A forking server: the parent accepts, a child per
# connection holds the fd, the parent closes its copy. The owner must be the
# child that holds it (as ss -tanpe says), with the child's fd: live (the
# close() hand-over and a holder scan) and with --once (seeded).
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports SP
J=$TL_WORK/live.json
tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 2 --fork
PARENT=${TL_PID[srv]}
tl_tracer_start tr -L "$SP" --close-wait 1 --json "$J"
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" -n 2 --send 8 --close
tl_wait_count "$TL_WORK/srv.out" '^eof ' 2 10 || tl_check_fail "the children did not read 2 EOFs"
tl_wait_count "$J" '"event":"close_wait"' 2 30 || tl_check_fail "two alerts"
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'
tl_tracer_stop tr
sed 's/^/    /' "$J"
ONCE=$TL_WORK/once.json
timeout 300 "$TL_BIN" --once -L "$SP" --json - >"$ONCE" 2>"$TL_WORK/once.err"
assert_eq "$?" "$(tl_status_for "$TL_WORK/once.err")" "--once exit status"
sed 's/^/    /' "$TL_WORK/once.err" "$ONCE"

assert_eq "$(tl_json "$J" "#" event='"conn"' lport="$SP")" 2 "live: server connections"
assert_eq "$(tl_json "$J" "#" event='"conn"' pid="$PARENT")" 0 "live: rows owned by the parent, which closed its fds"
while read -r _ _ pidkv fdkv _ rportkv _; do
	child=${pidkv#pid=} fd=${fdkv#fd=} rport=${rportkv#rport=}
	echo "--- child $child holds fd $fd (peer port $rport)"
	assert_eq "$(tl_ss "$NS" "$SP" "$rport" pid)" "$child" "ss: the child holds it"
	for f in "$J" "$ONCE"; do
		w=live
		[[ $f == "$ONCE" ]] && w=once
		assert_eq "$(tl_json "$f" pid event='"conn"' rport="$rport")" "$child" "$w: owner"
		assert_eq "$(tl_json "$f" fd event='"conn"' rport="$rport")" "$fd" "$w: fd"
		assert_eq "$(tl_json "$f" end_state event='"conn"' rport="$rport")" CLOSE_WAIT "$w: state"
	done
	assert_eq "$(tl_json "$J" pid event='"close_wait"' rport="$rport" | head -1)" "$child" "alert: owner"
	assert_eq "$(tl_json "$J" fd event='"close_wait"' rport="$rport" | head -1)" "$fd" "alert: fd"
done < <(grep '^conn ' "$TL_WORK/srv.out")

tl_finish
