#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# SYN retransmits: the server's INPUT drops SYNs to its port until it has
# dropped three (the first and two retransmits); the client's blocking
# connect() succeeds on a retransmitted SYN once the rule is gone. The client row's syn_retrans must equal the namespace's
# TcpExtTCPSynRetrans delta (nothing else retransmits a SYN or SYN-ACK here).
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_nft_drop "$NS" H tcp dport "$SP" 'tcp flags & (syn | ack) == syn'
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP"
tl_wait_for 30 "the rule dropped 3 SYNs" tl_nft_count_ge "$NS" "$H" 3
dropped=$(tl_nft_packets "$NS" "$H")
t_undrop=$(tl_now)
tl_nft_undrop "$NS" "$H"
tl_pair_exit 30 10
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_settle_stop

delta=$((s1 - s0))
echo "SYNs dropped: $dropped; TcpExtTCPSynRetrans delta: $delta"
tl_pair_show
assert_gt "$dropped" 0 "setup: the nft rule dropped SYNs"
assert_gt "$delta" 0 "setup: the kernel retransmitted the SYN"

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c role)" active "client role"
assert_eq "$(c pid)" "${TL_PID[cli]}" "client pid"
assert_eq "$(c syn_retrans)" "$delta" "client syn_retrans == TcpExtTCPSynRetrans delta"
assert_gt "$(c syn_retrans)" 0 "client syn_retrans"
# SYN_SENT spans three dropped SYNs: two retransmit timeouts of at least
# 1 s each (TCP_TIMEOUT_INIT; a timer never fires early, but its expiry is
# counted in jiffies: 10 ms covers two jiffies at HZ >= 250). It lies inside
# the client's connect() call, which the client timed itself.
connect_ms=$(tl_ms "$(tl_kv "$TL_WORK/cli.out" connecting t)" "$(tl_kv "$TL_WORK/cli.out" conn t)")
echo "client's connect() took $connect_ms ms; the rule went $(tl_ms "$(tl_kv "$TL_WORK/cli.out" connecting t)" "$t_undrop") ms after it began"
assert_between "$(c syn_sent_ms)" 1990 "$connect_ms" "client syn_sent_ms (3 SYNs dropped; inside the connect() call)"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>' "client path"
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_eq "$(s synack_retrans)" 0 "server synack_retrans"
assert_eq "$(s syn_retrans)" 0 "server syn_retrans"

tl_finish
