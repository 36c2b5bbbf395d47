#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Client closes first: the client (active) goes SYN_SENT > ESTABLISHED >
# FIN_WAIT1 > FIN_WAIT2 > TIME_WAIT, the server (passive) ESTABLISHED >
# CLOSE_WAIT > LAST_ACK > CLOSE. Each row must carry its own process: on
# loopback the softirq that moves the server socket runs in the client's
# context (and the other way round), so a tool that takes "current" there
# swaps the owners.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
r0=$(tl_nstat "$NS" TcpRetransSegs)
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_pair_exit 10 10
r1=$(tl_nstat "$NS" TcpRetransSegs)
tl_settle_stop

SPID=${TL_PID[srv]}
CPID=${TL_PID[cli]}
assert_ne "$SPID" "$CPID" "server and client are different processes"
echo "client pid $CPID port $CP, server pid $SPID port $SP; TcpRetransSegs delta $((r1 - r0))"
echo "rows on the test's ports:"
tl_pair_show

assert_eq "$(tl_csv_count "$CSV" lport~"^($SP|$CP)\$")" 2 "rows on the test's ports: the client's and the server's (no listener row)"

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c role)" active "client role"
assert_eq "$(c family)" ipv4 "client family"
assert_eq "$(c laddr)" 127.0.0.1 "client laddr"
assert_eq "$(c raddr)" 127.0.0.1 "client raddr"
assert_eq "$(c pid)" "$CPID" "client pid (the client process, not the server)"
assert_eq "$(c comm)" tlpeer "client comm"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT' "client path"
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
assert_eq "$(c fin_sent)" 1 "client fin_sent"
assert_eq "$(c rst_sent)" 0 "client rst_sent"
assert_eq "$(c rst_recv)" 0 "client rst_recv"
assert_eq "$(c syn_retrans)" 0 "client syn_retrans"
assert_eq "$(c fin_retrans)" 0 "client fin_retrans"
assert_eq "$(c data_retrans)" 0 "client data_retrans"
# tcp_sock.bytes_acked counts sequence space: SYN + 16 data + FIN.
assert_between "$(c bytes_acked)" 16 18 "client bytes_acked (16 data bytes, +SYN/FIN sequence space)"

assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_eq "$(s role)" passive "server role"
assert_eq "$(s family)" ipv4 "server family"
assert_eq "$(s pid)" "$SPID" "server pid (the server process, not the client)"
assert_eq "$(s comm)" tlpeer "server comm"
assert_match "$(s path)" 'ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE$' "server path"
assert_eq "$(s close_cause)" fin "server close_cause"
assert_eq "$(s fin_sent)" 1 "server fin_sent"
assert_eq "$(s closed)" true "server closed"
assert_eq "$(s rst_sent)" 0 "server rst_sent"
assert_eq "$(s rst_recv)" 0 "server rst_recv"
assert_eq "$(s synack_retrans)" 0 "server synack_retrans"
assert_eq "$(s fin_retrans)" 0 "server fin_retrans"
assert_eq "$(s data_retrans)" 0 "server data_retrans"
# tcp_sock.bytes_received: 16 data bytes + the FIN.
assert_between "$(s bytes_received)" 16 17 "server bytes_received (16 data bytes, +FIN)"
assert_eq "$((r1 - r0))" 0 "no retransmits in the namespace (TcpRetransSegs delta)"

tl_finish
