#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# FIN retransmits: once the connection is up, the client's INPUT drops
# everything to the client port (server -> client) for 1.5 s after the
# client closed, so the client's FIN is never ACKed and is retransmitted
# (tail loss probe, then RTO). The server holds CLOSE_WAIT for 3 s, so the
# client's FIN is the only segment retransmitted: fin_retrans must equal
# the retransmits that left (delta of TcpRetransSegs - TCPRetransFail), and
# FIN_WAIT1 must last at least the time the rule stayed after the close.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
CSV=$TL_WORK/trace.csv

tl_tracer_start tr -L "$SP" -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --hold-close-wait 3000
# The close must come after the rule below is in place (TL_SLACK_MS: TCG).
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 0 --close-at $((1000 + TL_SLACK_MS))
tl_wait_line "$TL_WORK/cli.out" '^conn ' 10 "${TL_PID[cli]}" || tl_die "client did not connect"
r0=$(tl_retrans_sent "$NS")
p0=$(tl_nstat "$NS" TcpExtTCPLossProbes)
tl_nft_drop "$NS" H tcp dport "$CP"
grep -q '^close ' "$TL_WORK/cli.out" && tl_die "setup: client closed before the rule was in place"
tl_wait_line "$TL_WORK/cli.out" '^close ' 10 || tl_die "client did not close"
sleep 1.5
dropped=$(tl_nft_packets "$NS" "$H")
tl_nft_undrop "$NS" "$H"
tl_expect_exit cli 10
tl_expect_exit srv 20
r1=$(tl_retrans_sent "$NS")
p1=$(tl_nstat "$NS" TcpExtTCPLossProbes)
sleep 1
tl_tracer_stop tr

delta=$((r1 - r0))
echo "packets dropped: $dropped; TcpRetransSegs - TCPRetransFail delta: $delta (of which TcpExtTCPLossProbes: $((p1 - p0)))"
tl_csv_show "$CSV" lport~"^($SP|$CP)\$"
assert_gt "$dropped" 0 "setup: the nft rule dropped the server's ACKs"
assert_gt "$delta" 0 "setup: the kernel retransmitted the FIN"

c() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c role)" active "client role"
assert_gt "$(c fin_retrans)" 0 "client fin_retrans"
assert_eq_or_missed "$(c fin_retrans)" "$delta" "$(tl_tracer_missed tr)" "client fin_retrans == TcpRetransSegs - TCPRetransFail delta (tail loss probes included)"
assert_eq "$(c fin_sent)" 1 "client fin_sent"
assert_eq "$(c data_retrans)" 0 "client data_retrans"
assert_eq "$(c syn_retrans)" 0 "client syn_retrans"
assert_ge "$(c fin_wait1_ms)" 200 "client fin_wait1_ms >= the minimum RTO"
assert_ge "$(c fin_wait1_ms)" 1400 "client fin_wait1_ms (the FIN cannot be ACKed while the rule stays, 1.5 s)"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT' "client path"
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
s() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP"; }
assert_eq "$(s fin_retrans)" 0 "server fin_retrans"
assert_eq "$(s data_retrans)" 0 "server data_retrans"

tl_finish
