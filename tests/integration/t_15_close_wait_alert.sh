#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 3. --close-wait 1: an alert once each leak is 1 s old, with
# unread_bytes = 0 for a server that read to EOF, and > 0 (exactly ss's
# Recv-Q: the 100 bytes sent plus the FIN) for one that never reads. Alerts
# repeat only after a growing interval (1 s, then 2 s, then 4 s later): at
# ages of at least 1, 3, 7 s, and never more of them than the leak's age
# at the stop allows. When the tracer checks is its own business (a loaded
# machine checks late): the test waits for two alerts each, and bounds
# every alert's age by the leak's true age at the stop.
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
EPEER=$(tl_kv "$TL_WORK/ce.out" conn lport)
NPEER=$(tl_kv "$TL_WORK/cn.out" conn lport)
two_each() {
	(($(tl_json "$J" "#" event='"close_wait"' lport="$EP") >= 2 &&
		$(tl_json "$J" "#" event='"close_wait"' lport="$NP") >= 2))
}
tl_wait_for 60 "two alerts for each leak" two_each
tl_log "second alerts seen"
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'
RQ_E=$(tl_ss "$NS" "$EP" "$EPEER" recvq)
RQ_N=$(tl_ss "$NS" "$NP" "$NPEER" recvq)
tl_tracer_stop tr
t_stop=$(tl_now)
grep '"close_wait"' "$J" | sed 's/^/    /'

for s in eof noread; do
	port=$EP peer=$EPEER rq=$RQ_E
	[[ $s == noread ]] && port=$NP peer=$NPEER rq=$RQ_N
	mapfile -t ms < <(tl_json "$J" close_wait_ms event='"close_wait"' lport="$port" rport="$peer")
	# The leak's CLOSE_WAIT began after the client called close().
	cli=ce
	[[ $s == noread ]] && cli=cn
	age=$(tl_ms "$(tl_kv "$TL_WORK/$cli.out" close t)" "$t_stop")
	echo "--- $s server: alerts at ${ms[*]} ms of CLOSE_WAIT; the leak was at most $age ms old at the stop"
	assert_ge "${#ms[@]}" 2 "$s: alerts"
	# Alert k (from 0) is due at an age of 2^(k+1) - 1 s: never before, and
	# no alert after the leak's age at the stop.
	for k in "${!ms[@]}"; do
		assert_between "${ms[$k]}" $(((2 ** (k + 1) - 1) * 1000)) "$age" "$s: alert $((k + 1)) at or after its due age, within the leak's age"
	done
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
