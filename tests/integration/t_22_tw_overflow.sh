#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# net.ipv4.tcp_max_tw_buckets=0 in the namespace: tcp_time_wait() finds no
# room for a timewait sock, counts TCPTimeWaitOverflow and closes at once.
# The tracepoint shows the same FIN_WAIT2 -> CLOSE as a hand-over; the
# tool must see that no timewait sock followed, leave TIME_WAIT out of
# the path, and say the kernel skipped it, once per counted overflow.
source "$(dirname "$0")/lib.sh"
tl_require

N=3
tl_netns_new NS
tl_ports SP
CSV=$TL_WORK/trace.csv
tl_sysctl "$NS" net.ipv4.tcp_max_tw_buckets=0

tl_tracer_start tr -D "$SP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N" --allow-reset
o0=$(tl_nstat "$NS" TcpExtTCPTimeWaitOverflow)
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" --send 16 --allow-reset
tl_pair_exit 10 10
o1=$(tl_nstat "$NS" TcpExtTCPTimeWaitOverflow)
tw=$(ip netns exec "$NS" ss -tanH state time-wait state fin-wait-2 | wc -l)
# No timewait sock followed: the tracer's listing at exit (or any before)
# shows it, and the namespace's TCPTimeWaitOverflow counter says why.
tl_settle_stop

delta=$((o1 - o0))
echo "TcpExtTCPTimeWaitOverflow delta $delta; timewait socks listed by ss: $tw"
tl_csv_show "$CSV" rport="$SP"
assert_eq "$delta" "$N" "setup: every client close overflowed"
assert_eq "$tw" 0 "setup: ss lists no timewait sock"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" role=active)" "$N" "client rows"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" close_cause=tw_overflow)" "$delta" "rows ended by tw_overflow == TCPTimeWaitOverflow delta"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" path~TIME_WAIT)" 0 "no TIME_WAIT in any path"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" path~'FIN_WAIT2>CLOSE$' closed=true end_state=CLOSE)" "$N" "paths end FIN_WAIT2>CLOSE"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" timing=exact)" "$N" "timing exact (every step came from the tracepoint)"

tl_finish
