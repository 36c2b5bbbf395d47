#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 3. --close-wait 1: an alert 1 to 2 s into each leak, with
# unread_bytes = 0 for a server that read to EOF, and > 0 (exactly ss's
# Recv-Q: the 100 bytes sent plus the FIN) for one that never reads. Alerts
# repeat only after a growing interval (1 s, then 2 s, then 4 s later).
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports EP NP
J=$TL_WORK/alerts.json

tl_leak_server eof "$NS" -a 127.0.0.1 -p "$EP" --mode eof
tl_leak_server noread "$NS" -a 127.0.0.1 -p "$NP" --mode noread
tl_tracer_start tr --close-wait 1 -L "$EP" -L "$NP" --json "$J"
tl_leak_client ce "$NS" -a 127.0.0.1 -p "$EP" --send 100 --close
tl_leak_client cn "$NS" -a 127.0.0.1 -p "$NP" --send 100 --close
# The first alerts are due 1 s in; the machine may be slow: wait up to 5 s.
tl_wait_count "$J" '"event":"close_wait"' 2 5 || tl_check_fail "two alerts within 5 s of the leaks"
tl_log "first alerts seen"
# Stay until the leaks are 7.5 s old: alerts at about 1, 3 and 7 s.
sleep 6.3
EPEER=$(tl_kv "$TL_WORK/ce.out" conn lport)
NPEER=$(tl_kv "$TL_WORK/cn.out" conn lport)
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'
RQ_E=$(tl_ss "$NS" "$EP" "$EPEER" recvq)
RQ_N=$(tl_ss "$NS" "$NP" "$NPEER" recvq)
tl_tracer_stop tr
grep '"close_wait"' "$J" | sed 's/^/    /'

for s in eof noread; do
	port=$EP peer=$EPEER rq=$RQ_E
	[[ $s == noread ]] && port=$NP peer=$NPEER rq=$RQ_N
	mapfile -t ms < <(tl_json "$J" close_wait_ms event='"close_wait"' lport="$port" rport="$peer")
	echo "--- $s server: alerts at ${ms[*]} ms of CLOSE_WAIT"
	assert_between "${ms[0]:-}" 1000 2000 "$s: first alert 1-2 s into the leak"
	assert_between "${#ms[@]}" 2 3 "$s: alerts in 7.5 s (growing interval: ~1, ~3, ~7 s)"
	assert_between "${ms[1]:-}" 3000 4000 "$s: second alert 2 s after the first"
	assert_eq "$(tl_json "$J" pid event='"close_wait"' lport="$port" | head -1)" "${TL_PID[$s]}" "$s: pid"
	assert_eq "$(tl_json "$J" fd event='"close_wait"' lport="$port" | head -1)" \
		"$(tl_ss "$NS" "$port" "$peer" fd)" "$s: fd (ss)"
	assert_eq "$(tl_json "$J" unread_bytes event='"close_wait"' lport="$port" | head -1)" "$rq" \
		"$s: unread_bytes is ss's Recv-Q"
done
assert_eq "$RQ_E" 0 "eof server: Recv-Q (it read the EOF)"
assert_eq "$RQ_N" 101 "noread server: Recv-Q (100 bytes and the FIN)"
assert_eq "$(tl_json "$J" unread_bytes event='"close_wait_summary"' pid="${TL_PID[noread]}")" 101 \
	"summary: unread bytes of the server that stopped reading"

tl_finish
