#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The real TIME_WAIT: the client closes first, the server closes after it,
# and the tool runs for 65 s. The client's row must be complete: its
# timewait sock gone, time_wait_ms 60 000 +- 2 000 (the inferred tier:
# one-second listings, and the kernel's timer wheel fires a 60 s timer up
# to 1/8 late), path ending TIME_WAIT>CLOSE, cause fin. `ss` gives the
# timer the kernel set, and the moment the sock is gone.
source "$(dirname "$0")/../lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
CSV=$TL_WORK/trace.csv

tl_tracer_start tr -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_expect_exit cli 10
tl_expect_exit srv 10
t0=$(awk '{ print $1 }' /proc/uptime)
first=$(tl_tw_listed "$NS" "$CP" "$SP")
gone=""
for ((i = 0; i < 700; i++)); do
	if [[ -z $(tl_tw_listed "$NS" "$CP" "$SP") ]]; then
		gone=$(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime)
		break
	fi
	sleep 0.1
done
sleep 2 # the next listing, and the linger
tl_tracer_stop tr

echo "ss right after the close: '$first'; gone after ${gone:-never} s"
tl_csv_show "$CSV" lport="$CP"
assert_match "$first" '^TIME-WAIT timer:\(timewait,(59|60)' "setup: ss lists TIME_WAIT with a 60 s timer"
assert_between "$gone" 59 63 "setup: ss no longer lists it after ~60 s"

c() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c closed)" true "client closed (the timewait sock is gone)"
assert_eq "$(c end_state)" CLOSE "client end_state"
assert_eq "$(c close_cause)" fin "client close_cause"
assert_match "$(c path)" 'FIN_WAIT2>TIME_WAIT>CLOSE$' "client path"
assert_between "$(c time_wait_ms)" 58000 62000 "client time_wait_ms (60 000 +- 2 000, inferred tier)"
assert_eq "$(c timing)" inferred "client timing"
gone_ms=$(awk -v g="$gone" 'BEGIN { print g * 1000 }')
assert_between "$(c time_wait_ms)" "$((gone_ms - 1500))" "$((gone_ms + 1500))" "client time_wait_ms agrees with when ss stopped listing it"

tl_finish
