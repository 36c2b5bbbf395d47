#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# net.ipv4.tcp_tw_reuse=1: a client closes first (TIME_WAIT), then a new
# client binds the same port and connects to the same server 2 s later.
# The kernel reuses the 4-tuple and drops the timewait sock. The first
# connection's row must end its TIME_WAIT then (~2.5 s, not 60 s) with a
# reuse cause; `ss` must show the timewait sock before and not after.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_setup
tl_sysctl "$NS" net.ipv4.tcp_tw_reuse=1

tl_tracer_start tr -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 2
r0=$(tl_nstat "$NS" TcpExtTWRecycled)
tl_peer_client c1 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_expect_exit c1 10
tl_wait_for 30 "ss lists the first connection's TIME_WAIT" eval '[[ $(tl_tw_listed "$NS" "$CP" "$SP") == TIME-WAIT* ]]'
t_tw=$(tl_now)
before=$(tl_tw_listed "$NS" "$CP" "$SP")
# tcp_twsk_unique() reuses a timewait sock once its last timestamp is
# over a second old (in whole seconds): wait 2 s. (Age, not a race: the
# assertions measure it.)
sleep 2
# The second client holds its connection until the go: its own TIME_WAIT
# on the same 4-tuple must not hide that the first one is gone.
tl_peer_client c2 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16 --go-file "$TL_GO"
tl_wait_line "$TL_WORK/c2.out" '^conn ' 10 "${TL_PID[c2]}" || tl_die "second client did not connect"
after=$(tl_tw_listed "$NS" "$CP" "$SP")
tl_go
tl_expect_exit c2 10
tl_expect_exit srv 10
tl_settle_stop

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
# TIME_WAIT began in the first client's close() at the latest when ss
# listed it, and ended at the reuse, inside the second client's connect().
kv() { tl_kv "$TL_WORK/$1.out" "$2" "$3"; }
assert_between "$(first time_wait_ms)" "$(tl_ms "$t_tw" "$(kv c2 connecting t)")" \
	"$(tl_ms "$(kv c1 close tcall)" "$(kv c2 conn t)")" "first connection: time_wait_ms ends at the reuse"
second_path=$(tl_csv_get "$CSV" path lport="$CP" rport="$SP" pid="${TL_PID[c2]}")
assert_match "$second_path" '^SYN_SENT>ESTABLISHED>' "second connection: its own row"

tl_finish
