#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# t_01 over IPv6 (::1), traced with -6. The same exchange also runs over
# IPv4 on the same ports, which -6 must leave out.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced -6
r0=$(tl_nstat "$NS" TcpRetransSegs)
tl_peer_server srv "$NS" -a ::1 -p "$SP"
tl_peer_client cli "$NS" -a ::1 -p "$SP" --bind-port "$CP" --send 16
tl_pair_exit 10 10
tl_peer_server srv4 "$NS" -a 127.0.0.1 -p "$SP"
tl_peer_client cli4 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_expect_exit cli4 10
tl_expect_exit srv4 10
r1=$(tl_nstat "$NS" TcpRetransSegs)
tl_settle_stop

SPID=${TL_PID[srv]}
CPID=${TL_PID[cli]}
tl_pair_show
assert_eq "$(tl_csv_count "$CSV" lport~"^($SP|$CP)\$")" 2 "rows on the test's ports: the IPv6 client and server only"
assert_eq "$(tl_csv_count "$CSV" family=ipv4)" 0 "no IPv4 rows under -6"

c() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP" family=ipv6; }
s() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP" family=ipv6; }

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP" family=ipv6)" 1 "client rows"
assert_eq "$(c role)" active "client role"
assert_eq "$(c laddr)" ::1 "client laddr"
assert_eq "$(c raddr)" ::1 "client raddr"
assert_eq "$(c pid)" "$CPID" "client pid"
assert_eq "$(c comm)" tlpeer "client comm"
assert_match "$(c path)" '^SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>TIME_WAIT' "client path"
tl_assert_time_wait_open "$CSV" client "$NS" "$CP" "$SP"
assert_eq "$(c fin_sent)" 1 "client fin_sent"
assert_eq "$(c rst_sent)" 0 "client rst_sent"
assert_eq "$(c fin_retrans)" 0 "client fin_retrans"
assert_between "$(c bytes_acked)" 16 18 "client bytes_acked (16 data bytes, +SYN/FIN sequence space)"

assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP" family=ipv6)" 1 "server rows"
assert_eq "$(s role)" passive "server role"
assert_eq "$(s laddr)" ::1 "server laddr"
assert_eq "$(s raddr)" ::1 "server raddr"
assert_eq "$(s pid)" "$SPID" "server pid"
assert_eq "$(s comm)" tlpeer "server comm"
assert_match "$(s path)" 'ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE$' "server path"
assert_eq "$(s close_cause)" fin "server close_cause"
assert_eq "$(s fin_sent)" 1 "server fin_sent"
assert_eq "$(s closed)" true "server closed"
assert_between "$(s bytes_received)" 16 17 "server bytes_received (16 data bytes, +FIN)"
assert_eq "$((r1 - r0))" 0 "no retransmits in the namespace (TcpRetransSegs delta)"

tl_finish
