#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Half-open: net.ipv4.tcp_synack_retries=1 and the client's pure ACKs to the
# server port dropped for good. The request retransmits its SYN-ACK once
# (1 s) and is dropped when its timer fires again (3 s after the SYN); no
# child socket is ever made, so no tracepoint fires for it. The tool must
# write it as its own record: passive, ended in SYN_RECV, synack_timeout,
# syn_recv_ms ~ 3000, synack_retrans == the TcpExtTCPSynRetrans delta.
# The run lists the listeners (--listeners -i 1): the listener's object
# counts the request's SYN-ACK retransmit (synack_retrans = the same delta:
# tcp_rtx_synack() counts TcpExtTCPSynRetrans where the tracepoint fires,
# and the client, answered at once, retransmits no SYN) and its timeout
# (half_open_timeouts = the synack_timeout rows: the kernel has no counter
# of request timeouts).
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_setup
tl_sysctl "$NS" net.ipv4.tcp_synack_retries=1

RJ=$TL_WORK/run.json
tl_tracer_start tr -L "$SP" --csv "$CSV" --json "$RJ" --listeners -i 1
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 0
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_nft_drop "$NS" H tcp dport "$SP" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
# The client's connect() completes at once (its side saw the SYN-ACK); it
# sends nothing and closes at the go, once the server has forgotten it (its
# FIN would pass the rule and complete the handshake).
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 0 --allow-reset --go-file "$TL_GO"
tl_wait_line "$TL_WORK/cli.out" '^conn ' 10 "${TL_PID[cli]}" || tl_die "client did not connect"
tl_wait_for 30 "the listener retransmitted the SYN-ACK" tl_nstat_ge "$NS" TcpExtTCPSynRetrans $((s0 + 1))
req_listed() { [[ -n $(ip netns exec "$NS" ss -tanH state syn-recv "( sport = :$SP )") ]]; }
tl_wait_for 60 "the request dropped (ss lists no SYN-RECV)" eval '! req_listed'
t_gone=$(tl_now)
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_go
tl_expect_exit cli 15
lsn() { # KEY: the newest listener object's KEY for the server's port
	tl_json "$RJ" "$1" event='"listener"' lport="$SP" | tail -n 1
}
tl_wait_for 30 "a listing that counts the half-open request" eval '[[ $(lsn half_open_timeouts) == 1 ]]'
tl_settle_stop
t_stop=$(tl_now)

delta=$((s1 - s0))
echo "TcpExtTCPSynRetrans delta $delta"
tl_csv_show "$CSV" lport="$SP"
assert_eq "$delta" 1 "setup: one SYN-ACK retransmit (tcp_synack_retries=1)"

r() { tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP"; }
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "one record for the request"
assert_eq "$(r role)" passive "role"
assert_eq "$(r end_state)" SYN_RECV "end_state"
assert_eq "$(r close_cause)" synack_timeout "close_cause"
assert_eq "$(r closed)" true "closed"
assert_eq "$(r path)" SYN_RECV "path"
# Exact unless the kernel skipped the SYN-ACK hook and the tracer owns up
# to it: a kprobe hit while another kprobe's handler runs is skipped
# (linkmiss.h, t_51), likely the cause of a 0 seen once in the kernel
# matrix (6.12 kprobe tier, TCG: the request timer's softirq during one of
# our syscall kprobes; that log did not keep the tracer's missed).
assert_eq_or_missed "$(r synack_retrans)" "$delta" tr "synack_retrans == TcpExtTCPSynRetrans delta" synack
tl_json "$RJ" - event='"listener"' lport="$SP" | tail -n 1
assert_eq_or_missed "$(lsn synack_retrans)" "$delta" tr "the listener's synack_retrans == TcpExtTCPSynRetrans delta" synack
assert_eq "$(lsn half_open_timeouts)" "$(tl_csv_count "$CSV" lport="$SP" close_cause=synack_timeout)" \
	"the listener's half_open_timeouts == its synack_timeout rows"
assert_eq "$(lsn pid)" "${TL_PID[srv]}" "the listener's owner: the server"
# The request's timer: SYN-ACK retransmit at 1 s, drop when it is next due,
# 3 s after the SYN, never earlier (10 ms: jiffy rounding at HZ >= 250);
# inferred, the tool places the drop on that schedule too. From above: the
# SYN came after the client began to connect, the drop before ss (or, for a
# drop the listings place, the stopped tracer) no longer saw the request.
t_conn=$(tl_kv "$TL_WORK/cli.out" connecting t)
hi=$(tl_ms "$t_conn" "$t_gone")
[[ $(r timing) == inferred ]] && hi=$(tl_ms "$t_conn" "$t_stop")
assert_between "$(r syn_recv_ms)" 2990 "$hi" "syn_recv_ms (SYN to the request's drop, 3 s by the kernel's timer)"
if [[ $(tl_timing_for tr reqsk) == inferred ]]; then
	assert_eq "$(r timing)" inferred "timing (the request timer's schedule and the listings)"
else
	# Hooked: exact when the kernel reports the drop; a timer drop that
	# inet_csk_reqsk_queue_drop() does not see (inlined, 6.1) is inferred.
	assert_match "$(r timing)" '^(exact|inferred)$' "timing (hooked tier)"
fi

tl_finish
