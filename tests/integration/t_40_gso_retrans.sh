#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Retransmits are counted in segments, over a real device with offloads.
# A bulk transfer between two of the test's namespaces over a veth pair
# (TSO/GSO on, as the kernel sets them), the receiver's nftables dropping
# 1 in 50 data packets: each dropped packet is a GSO skb of many segments,
# and the sender retransmits them in skbs of many segments too. Loopback
# never shows this (issue: data_retrans was 25x low against iperf3).
#   - data_retrans of the sender's row = the socket's own total_retrans,
#     as `ss -ti` shows it (retrans:N/TOTAL), read once all data is acked;
#   - syn + fin + data retransmits = the sender namespace's TcpRetransSegs
#     - TCPRetransFail delta (the only connection there).
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NSC
tl_netns_new NSS
A_C=10.201.7.1
A_S=10.201.7.2
tl_veth "$NSC" "$A_C" "$NSS" "$A_S"
tl_ports SP CP
CSV=$TL_WORK/trace.csv
# 64 MB: enough drops of multi-segment packets on the host (well under a
# second over veth) and under qemu TCG (tens of seconds).
BYTES=${TL_GSO_BYTES:-67108864}

tl_tracer_start tr -L "$SP" -L "$CP" --csv "$CSV"
tl_nft_drop "$NSS" DROP ip saddr "$A_C" tcp dport "$SP" meta length gt 200 numgen random mod 50 eq 0
r0=$(tl_retrans_sent "$NSC")

# The client sends, then stays open (reading to EOF, never closing) until
# the test has read the kernel's own count; the server reads to EOF.
tl_peer_server srv "$NSS" -a "$A_S" -p "$SP"
tl_peer_client cli "$NSC" -a "$A_S" -p "$SP" --bind-port "$CP" --bind-addr "$A_C" --send "$BYTES" --never-close
tl_wait_line "$TL_WORK/cli.out" 'ev=sent' 120 "${TL_PID[cli]}" || tl_die "setup: the client never sent its $BYTES bytes"

sock_info() { tl_ns "$NSC" ss -tinH state established "( sport = :$CP and dport = :$SP )"; }
all_acked() { # nothing in flight: Send-Q 0 and no unacked segment
	local s
	s=$(sock_info)
	[[ -n $s ]] && [[ $(awk 'NR == 1 { print $2 }' <<<"$s") == 0 ]] && [[ $s != *unacked:* ]]
}
tl_wait_for 60 "all $BYTES bytes acked" all_acked
info=$(sock_info)
echo "ss -ti once acked: $(tr -s ' \n\t' ' ' <<<"$info")"
total=$(grep -o 'retrans:[0-9]*/[0-9]*' <<<"$info" | cut -d/ -f2)
dropped=$(tl_nft_packets "$NSS" "$DROP")
tl_nft_undrop "$NSS" "$DROP"
r1=$(tl_retrans_sent "$NSC")

stop_peer() { kill "${TL_PID[$1]}" 2>/dev/null; tl_wait_exit "$1" 30 >/dev/null; }
stop_peer cli # closes: FIN, the server reads EOF and closes
tl_expect_exit srv 30
tl_settle "$NSC"
tl_settle "$NSS"
tl_tracer_stop tr

tl_pair_show
echo "nft dropped $dropped packets; sender's retransmitted segments $((r1 - r0)); ss total_retrans ${total:-none}"
[[ -n $total ]] || tl_check_fail "setup: no retransmit at all (ss shows no retrans:), nothing to count"
assert_gt "$dropped" 0 "setup: packets dropped"
row() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
data=$(row data_retrans)
assert_eq "$data" "$total" "data_retrans == the socket's total_retrans (ss -ti)"
assert_eq $(($(row syn_retrans) + $(row fin_retrans) + data)) $((r1 - r0)) \
	"syn + fin + data retransmits == TcpRetransSegs - TCPRetransFail delta"
# Each drop lost a multi-segment packet: more segments were retransmitted
# than packets dropped, which counting skbs could not show.
echo "segments retransmitted per packet dropped: $((data / dropped))"
assert_eq "$(row pid)" "${TL_PID[cli]}" "client pid"
assert_eq "$(tl_csv_get "$CSV" data_retrans lport="$SP" rport="$CP")" 0 "server data_retrans (it sent no data)"

tl_finish
