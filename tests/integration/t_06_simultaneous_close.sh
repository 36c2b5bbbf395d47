#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Simultaneous close: with all traffic of the connection dropped at INPUT,
# both sides shutdown(SHUT_WR) at the same go; once the rule has dropped
# both FINs it goes, and the retransmitted FINs cross, each reaching a side still in FIN_WAIT1: at least one side (in
# practice both) passes through CLOSING. Each side's FIN was dropped once,
# so each retransmitted it: the FIN retransmits must add up to the
# namespace's TcpRetransSegs - TCPRetransFail delta.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced --stream
# Both shut down at the go, once the rule below is in place.
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --send 0 --shutdown-wr-at 0 --go-file "$TL_GO"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 0 --shutdown-wr-at 0 --go-file "$TL_GO"
tl_pair_connected
r0=$(tl_retrans_sent "$NS")
tl_nstat_all "$NS" "$TL_WORK/nstat.before"
tl_nft_drop "$NS" H tcp dport "{ $SP, $CP }"
tl_go
tl_wait_line "$TL_WORK/cli.out" 'ev=shutdown_wr' 10 || tl_die "client did not shut down"
tl_wait_line "$TL_WORK/srv.out" 'ev=shutdown_wr' 10 || tl_die "server did not shut down"
tl_wait_for 30 "the rule dropped both FINs" tl_nft_count_ge "$NS" "$H" 2
dropped=$(tl_nft_packets "$NS" "$H")
tl_nft_undrop "$NS" "$H"
tl_pair_exit 20 20
r1=$(tl_retrans_sent "$NS")
tl_nstat_moved "$NS" "$TL_WORK/nstat.before"
tl_settle_stop
echo "the tracer's transitions and retransmits (--stream):"
cat "$TL_WORK/tr.stdout"

delta=$((r1 - r0))
echo "packets dropped: $dropped; TcpRetransSegs - TCPRetransFail delta: $delta"
tl_pair_show
assert_ge "$dropped" 2 "setup: the nft rule dropped both FINs"

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_match "$(c path)|$(s path)" 'CLOSING' "a path goes through CLOSING (client|server)"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>FIN_WAIT1>' "client path"
assert_match "$(s path)" '^SYN_RECV>ESTABLISHED>FIN_WAIT1>' "server path"
# Both sides pass through CLOSING into TIME_WAIT.
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
tl_assert_time_wait_open "$CSV" server "$NS" "$SP" "$CP"
assert_eq "$(c fin_sent)" 1 "client fin_sent"
assert_eq "$(s fin_sent)" 1 "server fin_sent"
assert_ge "$(c fin_retrans)" 1 "client fin_retrans"
assert_ge "$(s fin_retrans)" 1 "server fin_retrans"
assert_eq_or_missed "$(($(c fin_retrans) + $(s fin_retrans)))" "$delta" tr "client + server fin_retrans == TcpRetransSegs - TCPRetransFail delta" retrans
assert_eq "$(c pid)" "${TL_PID[cli]}" "client pid"
assert_eq "$(s pid)" "${TL_PID[srv]}" "server pid"

tl_finish
