#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The server holds CLOSE_WAIT for 2000 ms after reading EOF, then closes:
# its row's close_wait_ms must lie between what the peers' own clocks say
# it surely contains (EOF read to close() called: >= 2000 ms) and what
# surely contains it (the client's close() called to the server's close()
# returned).
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --hold-close-wait 2000
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP"
tl_pair_exit 10 10
tl_settle "$NS"
t_settled=$(tl_now)
tl_tracer_stop tr

# What the server saw: EOF (the FIN had arrived) to close().
teof=$(tl_kv "$TL_WORK/srv.out" event t ev=eof)
tclose=$(tl_kv "$TL_WORK/srv.out" close t)
echo "server: EOF read at $teof, closed at $tclose: $(awk -v a="$teof" -v b="$tclose" 'BEGIN { printf "%.3f ms", (b - a) * 1000 }')"
tl_pair_show

assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "server rows"
assert_match "$(s path)" 'ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE$' "server path"
kv() { tl_kv "$TL_WORK/$1.out" "$2" "$3"; }
assert_between "$(s close_wait_ms)" "$(tl_ms "$teof" "$(kv srv close tcall)")" \
	"$(tl_ms "$(kv cli close tcall)" "$tclose")" "server close_wait_ms (EOF to close(), inside the client's close() to the server's)"
assert_ge "$(tl_ms "$teof" "$(kv srv close tcall)")" 2000 "setup: the server held CLOSE_WAIT 2 s after the EOF"
assert_eq "$(s pid)" "${TL_PID[srv]}" "server pid"
assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
# The client waits for the server's FIN (FIN_WAIT1, until its own FIN is
# ACKed, possibly a delayed ACK; then FIN_WAIT2) while the server holds
# CLOSE_WAIT: from its close() until the server's FIN, which came after the
# server called close() and before the server's LAST_ACK ended (settled).
assert_between "$(awk -v a="$(c fin_wait1_ms)" -v b="$(c fin_wait2_ms)" 'BEGIN { print a + b }')" \
	"$(tl_ms "$(kv cli close t)" "$(kv srv close tcall)")" "$(tl_ms "$(kv cli close tcall)" "$t_settled")" \
	"client fin_wait1_ms + fin_wait2_ms (the client's close() to the server's FIN)"

tl_finish
