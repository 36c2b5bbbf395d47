#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# SYN-ACK retransmits: the server's INPUT drops the client's pure ACKs (the
# handshake's last ACK and its duplicates) until the listener has
# retransmitted the SYN-ACK; then the rule goes and the client sends its
# data, whose ACK completes the handshake (if no SYN-ACK retransmit's ACK
# did first). The server row's synack_retrans must equal the
# TcpExtTCPSynRetrans delta (the only SYN-class retransmits in this
# namespace are SYN-ACKs), and its syn_recv_ms must be the request's
# SYN_RECV phase, from the SYN to the first ACK that got through, not the
# child's few microseconds.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
# Pure ACKs: ACK alone among syn/ack/fin/rst/psh. (The client's data goes
# out with PSH, and only at the go, after the rule is gone.)
tl_nft_drop "$NS" H tcp dport "$SP" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16 --go-file "$TL_GO"
tl_wait_for 30 "the listener retransmitted the SYN-ACK (TcpExtTCPSynRetrans)" tl_nstat_ge "$NS" TcpExtTCPSynRetrans $((s0 + 1))
dropped=$(tl_nft_packets "$NS" "$H")
t_undrop=$(tl_now)
tl_nft_undrop "$NS" "$H"
tl_go
tl_pair_exit 30 10
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_settle_stop

delta=$((s1 - s0))
echo "ACKs dropped: $dropped; TcpExtTCPSynRetrans delta: $delta"
tl_pair_show
assert_gt "$dropped" 0 "setup: the nft rule dropped the handshake ACK"
assert_gt "$delta" 0 "setup: the kernel retransmitted the SYN-ACK"

assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_eq "$(s role)" passive "server role"
assert_eq "$(s pid)" "${TL_PID[srv]}" "server pid"
# A skipped SYN-ACK hook the tracer owns up to is the one allowance (t_21).
assert_eq_or_missed "$(s synack_retrans)" "$delta" tr "server synack_retrans == TcpExtTCPSynRetrans delta" synack
# The request's phase: it began at the SYN, before the client's connect()
# returned (the SYN-ACK came back), and ended when an ACK got through: after
# the rule went, before the server's accept() returned, and no earlier than
# the last SYN-ACK retransmit, which the request's timer sends 1 s, 3 s,
# 7 s ... after the SYN (initial RTO 1 s, doubling; a timer never fires
# early: 10 ms covers its expiry's jiffy rounding at HZ >= 250).
# Hooked, the request's birth is its own; on the reqsk hook's inferred tier
# the SYN's time is estimated (tcplife-states(8), TIMEWAIT AND REQUEST
# SOCKETS: from the child's inherited
# total_rto_time, in whole ms, on 6.7+: 1 ms more above; before 6.7 the
# first SYN-ACK retransmit minus 1 s, whose 1 s timer the wheel fires up to
# 32 ms late at HZ=250 and a loaded machine later still: 250 ms less below).
kv() { tl_kv "$TL_WORK/$1.out" "$2" t; }
lo=$(awk -v a="$(tl_ms "$(kv cli conn)" "$t_undrop")" -v d="$delta" 'BEGIN { k = (2 ^ d - 1) * 1000 - 10; print (a > k ? a : k) }')
hi=$(tl_ms "$(kv cli connecting)" "$(kv srv conn)")
if [[ $(tl_timing_for tr reqsk) == inferred ]]; then
	lo=$(awk -v a="$lo" 'BEGIN { print a - 250 }')
	hi=$(awk -v a="$hi" 'BEGIN { print a + 1 }')
fi
assert_between "$(s syn_recv_ms)" "$lo" "$hi" "server syn_recv_ms (the request's phase: $delta SYN-ACK retransmits, the rule, the server's accept)"
assert_match "$(s path)" '^SYN_RECV>ESTABLISHED>' "server path"
assert_eq "$(s syn_retrans)" 0 "server syn_retrans"
assert_eq "$(s close_cause)" fin "server close_cause"
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c syn_retrans)" 0 "client syn_retrans"
assert_eq "$(c synack_retrans)" 0 "client synack_retrans"

tl_finish
