#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Half-open: net.ipv4.tcp_synack_retries=1 and the client's pure ACKs to the
# server port dropped for good. The request retransmits its SYN-ACK once
# (1 s) and is dropped when its timer fires again (3 s after the SYN); no
# child socket is ever made, so no tracepoint fires for it. The tool must
# write it as its own record: passive, ended in SYN_RECV, synack_timeout,
# syn_recv_ms ~ 3000, synack_retrans == the TcpExtTCPSynRetrans delta.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
CSV=$TL_WORK/trace.csv
tl_sysctl "$NS" net.ipv4.tcp_synack_retries=1

tl_tracer_start tr -L "$SP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 0
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_nft_drop "$NS" H tcp dport "$SP" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
# The client's connect() completes at once (its side saw the SYN-ACK); it
# sends nothing and closes at 6 s, when the server has long forgotten it.
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 0 --close-at 6000 --allow-reset
sleep 4.5
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
req=$(ip netns exec "$NS" ss -tanH state syn-recv "( sport = :$SP )" | wc -l)
tl_expect_exit cli 15
sleep 0.5
tl_tracer_stop tr

delta=$((s1 - s0))
echo "TcpExtTCPSynRetrans delta $delta; requests listed at 4.5 s: $req"
tl_csv_show "$CSV" lport="$SP"
assert_eq "$delta" 1 "setup: one SYN-ACK retransmit (tcp_synack_retries=1)"
assert_eq "$req" 0 "setup: the request is gone at 4.5 s"

r() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "one record for the request"
assert_eq "$(r role)" passive "role"
assert_eq "$(r end_state)" SYN_RECV "end_state"
assert_eq "$(r close_cause)" synack_timeout "close_cause"
assert_eq "$(r closed)" true "closed"
assert_eq "$(r path)" SYN_RECV "path"
assert_eq "$(r synack_retrans)" "$delta" "synack_retrans == TcpExtTCPSynRetrans delta"
assert_between "$(r syn_recv_ms)" 2800 3600 "syn_recv_ms (SYN to the request's drop, ~3 s)"
assert_eq "$(r timing)" inferred "timing"

tl_finish
