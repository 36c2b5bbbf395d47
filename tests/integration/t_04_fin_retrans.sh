#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# FIN retransmits: once the connection is up, the client's INPUT drops
# everything to the client port (server -> client); then the client closes,
# and its FIN is not ACKed and is retransmitted (tail loss probe, then RTO)
# until the kernel has sent two retransmits, when the rule goes. The server
# closes only after that, at its own go, so the client's FIN is the only
# segment retransmitted: fin_retrans must equal the retransmits that left
# (delta of TcpRetransSegs - TCPRetransFail), and FIN_WAIT1 must last from
# the close until after the rule went.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
# Each side's script waits for its go: the client closes once the rule is
# in place, the server (reading to EOF meanwhile) once the rule is gone.
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --go-file "$TL_WORK/go.srv"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 0 --go-file "$TL_WORK/go.cli"
tl_pair_connected
r0=$(tl_retrans_sent "$NS")
p0=$(tl_nstat "$NS" TcpExtTCPLossProbes)
tl_nft_drop "$NS" H tcp dport "$CP"
TL_GO=$TL_WORK/go.cli tl_go
tl_wait_line "$TL_WORK/cli.out" '^close ' 10 || tl_die "client did not close"
tl_wait_for 30 "two retransmits of the client's FIN (TcpRetransSegs)" \
	eval '(($(tl_retrans_sent "$NS") >= r0 + 2))'
dropped=$(tl_nft_packets "$NS" "$H")
t_undrop=$(tl_now)
tl_nft_undrop "$NS" "$H"
# The FIN is ACKed at its next retransmit: the client's orphan moves to
# FIN_WAIT2 (a timewait sock).
tl_wait_for 30 "the client's FIN ACKed (ss: FIN-WAIT-2)" \
	eval '[[ -n $(tl_ns "$NS" ss -tanH state fin-wait-2 "( sport = :$CP )") ]]'
t_fw2=$(tl_now)
r1=$(tl_retrans_sent "$NS")
p1=$(tl_nstat "$NS" TcpExtTCPLossProbes)
TL_GO=$TL_WORK/go.srv tl_go
tl_pair_exit 10 20
tl_settle_stop

delta=$((r1 - r0))
echo "packets dropped: $dropped; TcpRetransSegs - TCPRetransFail delta: $delta (of which TcpExtTCPLossProbes: $((p1 - p0)))"
tl_pair_show
assert_gt "$dropped" 0 "setup: the nft rule dropped the server's ACKs"
assert_gt "$delta" 0 "setup: the kernel retransmitted the FIN"

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c role)" active "client role"
assert_gt "$(c fin_retrans)" 0 "client fin_retrans"
assert_eq_or_missed "$(c fin_retrans)" "$delta" tr "client fin_retrans == TcpRetransSegs - TCPRetransFail delta (tail loss probes included)" retrans
assert_eq "$(c fin_sent)" 1 "client fin_sent"
assert_eq "$(c data_retrans)" 0 "client data_retrans"
assert_eq "$(c syn_retrans)" 0 "client syn_retrans"
# FIN_WAIT1 began in the client's close() call and ended when the FIN's ACK
# got through: after the rule went, before ss listed FIN-WAIT-2. Two
# retransmits, one at least an RTO (TCP_RTO_MIN 200 ms, jiffy-rounded: 10 ms
# covers it at HZ >= 250), happened inside it.
close_t=$(tl_kv "$TL_WORK/cli.out" close t)
close_tcall=$(tl_kv "$TL_WORK/cli.out" close tcall)
lo=$(awk -v a="$(tl_ms "$close_t" "$t_undrop")" 'BEGIN { print (a > 190 ? a : 190) }')
assert_between "$(c fin_wait1_ms)" "$lo" "$(tl_ms "$close_tcall" "$t_fw2")" "client fin_wait1_ms (from the close to the rule's end, at least an RTO)"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT' "client path"
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
assert_eq "$(s fin_retrans)" 0 "server fin_retrans"
assert_eq "$(s data_retrans)" 0 "server data_retrans"

tl_finish
