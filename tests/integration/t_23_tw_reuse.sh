#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# net.ipv4.tcp_tw_reuse=1: a client closes first (TIME_WAIT), then a new
# client binds the same port and connects to the same server 2.5 s later.
# The kernel reuses the 4-tuple and drops the timewait sock. The first
# connection's row must end its TIME_WAIT then (~2.5 s, not 60 s) with a
# reuse cause; `ss` must show the timewait sock before and not after.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
CSV=$TL_WORK/trace.csv
tl_sysctl "$NS" net.ipv4.tcp_tw_reuse=1

tl_tracer_start tr -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 2
r0=$(tl_nstat "$NS" TcpExtTWRecycled)
tl_peer_client c1 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_expect_exit c1 10
sleep 0.5
before=$(tl_tw_listed "$NS" "$CP" "$SP")
# tcp_twsk_unique() reuses a timewait sock once its last timestamp is
# over a second old (in whole seconds): wait 2.5 s.
sleep 2
tl_peer_client c2 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16 --close-at $((1000 + 2 * TL_SLACK_MS))
tl_sleep_slack 0.2
after=$(tl_tw_listed "$NS" "$CP" "$SP")
tl_expect_exit c2 10
tl_expect_exit srv 10
sleep 1.5
tl_tracer_stop tr

echo "ss before the reuse: '$before'; just after: '$after'"
tl_csv_show "$CSV" lport="$CP"
assert_match "$before" '^TIME-WAIT ' "setup: ss lists the first connection's TIME_WAIT"
assert_eq "$after" "" "setup: the reuse took the timewait sock away"
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 2 "two rows on the same 4-tuple"

first() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP" pid="${TL_PID[c1]}"; }
assert_eq "$(first close_cause)" tw_reuse "first connection: close_cause"
assert_eq "$(($(tl_nstat "$NS" TcpExtTWRecycled) - r0))" 1 "setup: the kernel counted one reuse (TcpExtTWRecycled)"
assert_eq "$(first closed)" true "first connection: closed"
assert_match "$(first path)" 'FIN_WAIT2>TIME_WAIT>CLOSE$' "first connection: path"
assert_between "$(first time_wait_ms)" 2000 $((3500 + TL_SLACK_MS)) "first connection: time_wait_ms ends at the reuse (~2.5 s)"
second_path=$(tl_csv_get "$CSV" path lport="$CP" rport="$SP" pid="${TL_PID[c2]}")
assert_match "$second_path" '^SYN_SENT>ESTABLISHED>' "second connection: its own row"

tl_finish
