#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The server holds CLOSE_WAIT for 2000 ms after reading EOF, then closes:
# its row's close_wait_ms must be 2000 +- 100.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
CSV=$TL_WORK/trace.csv

tl_tracer_start tr -L "$SP" -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --hold-close-wait 2000
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP"
tl_expect_exit cli 10
tl_expect_exit srv 10
sleep 1
tl_tracer_stop tr

# What the server saw: EOF (the FIN had arrived) to close().
teof=$(tl_kv "$TL_WORK/srv.out" event t ev=eof)
tclose=$(tl_kv "$TL_WORK/srv.out" close t)
echo "server: EOF read at $teof, closed at $tclose: $(awk -v a="$teof" -v b="$tclose" 'BEGIN { printf "%.3f ms", (b - a) * 1000 }')"
tl_csv_show "$CSV" lport~"^($SP|$CP)\$"

s() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_match "$(s path)" 'ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE$' "server path"
assert_between "$(s close_wait_ms)" 1900 $((2100 + TL_SLACK_MS)) "server close_wait_ms"
assert_eq "$(s pid)" "${TL_PID[srv]}" "server pid"
c() { tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
# The client waits for the server's FIN (FIN_WAIT1, until its own FIN is
# ACKed, possibly a delayed ACK; then FIN_WAIT2) while the server holds
# CLOSE_WAIT.
assert_between "$(awk -v a="$(c fin_wait1_ms)" -v b="$(c fin_wait2_ms)" 'BEGIN { print a + b }')" 1900 $((2100 + TL_SLACK_MS)) \
	"client fin_wait1_ms + fin_wait2_ms"

tl_finish
