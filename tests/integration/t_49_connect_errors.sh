#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# connect_error: one per connect() that failed, against what the clients
# and the kernel say:
#  - NP: ip_local_port_range of 10 ports and 20 clients to one listener,
#    the connected ones held open: as many connect_error EADDRNOTAVAIL,
#    with the client's pid, as tlpeer's own failed connects (10); the
#    summaries count them and the hint says 10 of the 10 ports were in use;
#    no row for the failed sockets (they once gave a row 0.0.0.0:0 that
#    never ended, counted "ends not seen").
#  - NR: a blocking connect to a port with no listener: one ECONNREFUSED =
#    the namespace's TcpAttemptFails delta, and its `refused` row.
#  - NB: non-blocking connects (tlpeer --nonblock), their failure arriving
#    after the call: refused, read by SO_ERROR and by connect() again (which
#    returns it a second time: still one); timed out (tcp_syn_retries=1, the
#    SYNs dropped by nft): ETIMEDOUT. One each = TcpAttemptFails delta.
#  - --metrics-file: tcplife_connect_errors_total{error} = the JSON counts.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NP
tl_netns_new NR
tl_netns_new NB
tl_ports SP RP BP1 BP2 TP
tl_sysctl "$NP" net.ipv4.ip_local_port_range="40000 40009"
tl_sysctl "$NB" net.ipv4.tcp_syn_retries=1
CSV=$TL_WORK/trace.csv
J=$TL_WORK/trace.json
M=$TL_WORK/metrics.prom
r0=$(tl_nstat "$NR" TcpAttemptFails)
b0=$(tl_nstat "$NB" TcpAttemptFails)
tl_tracer_start tr -D "$SP" -D "$RP" -D "$BP1" -D "$BP2" -D "$TP" --csv "$CSV" --json "$J" \
	--metrics-file "$M" -i 1

# Ports run out: 10 connect, the 10 others fail inside connect().
tl_peer_server srv "$NP" -a 127.0.0.1 -p "$SP" -n 0 --timeout 0
tl_peer_client cli "$NP" -a 127.0.0.1 -p "$SP" -n 20 -c 20 --send 0 --never-close --timeout 0
settled() { # NAME N: N clients of NAME connected or failed
	(($(grep -c '^conn ' "$TL_WORK/$1.out") + $(grep -c ' connect ' "$TL_WORK/$1.err") == $2))
}
tl_wait_for 30 "20 clients connected or failed" settled cli 20
nfail=$(grep -c 'connect .*Cannot assign requested address' "$TL_WORK/cli.err")
assert_eq "$nfail" 10 "tlpeer: 10 connects failed EADDRNOTAVAIL (10 ports, 10 held)"

# Refused, blocking.
tl_peer_client ref "$NR" -a 127.0.0.1 -p "$RP" --send 0
tl_expect_exit ref 30 1
assert_contains "$(cat "$TL_WORK/ref.err")" "Connection refused" "the blocking connect was refused"
# Refused, non-blocking: the error read by SO_ERROR, and by connect() again.
tl_peer_client nb1 "$NB" -a 127.0.0.1 -p "$BP1" --send 0 --nonblock so_error
tl_peer_client nb2 "$NB" -a 127.0.0.1 -p "$BP2" --send 0 --nonblock connect
tl_expect_exit nb1 30 1
tl_expect_exit nb2 30 1
assert_contains "$(cat "$TL_WORK/nb1.err")" "Connection refused" "non-blocking, SO_ERROR: refused"
assert_contains "$(cat "$TL_WORK/nb2.err")" "Connection refused" "non-blocking, connect() again: refused"
# Timed out, non-blocking: every SYN dropped, tcp_syn_retries=1.
tl_nft_drop "$NB" H tcp dport "$TP"
tl_peer_client nbt "$NB" -a 127.0.0.1 -p "$TP" --send 0 --nonblock connect
tl_expect_exit nbt 60 1
assert_contains "$(cat "$TL_WORK/nbt.err")" "Connection timed out" "non-blocking, SYNs dropped: timed out"
tl_nft_undrop "$NB" "$H"
rfails=$(($(tl_nstat "$NR" TcpAttemptFails) - r0))
bfails=$(($(tl_nstat "$NB" TcpAttemptFails) - b0))
tl_settle "$NP"
tl_tracer_stop tr
kill -TERM "${TL_PID[cli]}"
tl_wait_exit cli 30

grep '"connect_error"' "$J"
ce() { # K=V...: connect_error objects matching
	tl_json "$J" '#' event='"connect_error"' "$@"
}
assert_eq "$(ce rport="$SP" error='"EADDRNOTAVAIL"')" "$nfail" "connect_error EADDRNOTAVAIL = tlpeer's failed connects"
assert_eq "$(ce rport="$SP" error='"EADDRNOTAVAIL"' pid="${TL_PID[cli]}" comm='"tlpeer"' family='"ipv4"' raddr='"127.0.0.1"')" \
	"$nfail" "each with the client's pid, comm and destination"
assert_eq "$(ce rport="$SP")" "$nfail" "nothing else for port $SP"
assert_eq "$(tl_json "$J" netns event='"connect_error"' rport="$SP" | sort -u)" \
	"$(stat -Lc %i "/run/netns/$NP")" "netns: the client's namespace"
assert_match "$(tl_json "$J" time event='"connect_error"' rport="$SP" | head -1)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' "time: as start_time"
# The failed sockets are no connections: the 10 held ones have rows, no more.
tl_csv_show "$CSV" rport="$SP"
assert_eq "$(tl_csv_count "$CSV" rport="$SP")" 10 "rows to port $SP: the 10 connections"
assert_eq "$(tl_csv_count "$CSV" rport=0)" 0 "no row without a remote port"
assert_eq "$(tl_tracer_count tr 'ends not seen')" 0 "no row left open whose socket went"

assert_eq "$(ce rport="$RP" error='"ECONNREFUSED"' pid="${TL_PID[ref]}")" 1 "blocking refused: one ECONNREFUSED"
assert_eq "$(ce rport="$RP")" "$rfails" "= $NR's TcpAttemptFails delta"
assert_eq "$(tl_csv_get "$CSV" close_cause rport="$RP")" refused "the refused row is still there"
assert_eq "$(ce rport="$BP1" error='"ECONNREFUSED"' pid="${TL_PID[nb1]}")" 1 "non-blocking refused (SO_ERROR): one"
assert_eq "$(ce rport="$BP2" error='"ECONNREFUSED"' pid="${TL_PID[nb2]}")" 1 \
	"non-blocking refused (connect() again returned it too): one"
assert_eq "$(ce rport="$TP" error='"ETIMEDOUT"' pid="${TL_PID[nbt]}")" 1 "non-blocking timed out: one ETIMEDOUT"
assert_eq "$(($(ce rport="$BP1") + $(ce rport="$BP2") + $(ce rport="$TP")))" "$bfails" "= $NB's TcpAttemptFails delta"
assert_eq "$(tl_csv_get "$CSV" close_cause rport="$TP")" syn_timeout "the timed-out row: syn_timeout"

total=$(ce)
assert_eq "$(tl_json "$J" connect_errors event='"summary"')" "$total" "summary: connect_errors"
err=$(cat "$TL_WORK/tr.stderr")
assert_contains "$err" "connect() failed $nfail times: pid ${TL_PID[cli]} (tlpeer) to 127.0.0.1:$SP: EADDRNOTAVAIL" \
	"stderr: the count per process and destination"
assert_contains "$err" "hint: connect() to 127.0.0.1:$SP failed EADDRNOTAVAIL $nfail times: 10 of the 10 ports of net.ipv4.ip_local_port_range (40000-40009)" \
	"stderr: the hint, with the ports measured"
assert_contains "$err" "connect() failures: $total" "stderr: the summary line's total"
out=$(cat "$TL_WORK/tr.stdout")
assert_match "$out" "# +${TL_PID[cli]} tlpeer +127\.0\.0\.1:$SP +EADDRNOTAVAIL +$nfail" "text summary: the line"
assert_contains "$out" "# hint: connect() to 127.0.0.1:$SP failed EADDRNOTAVAIL" "text summary: the hint"

metric() { # ERROR: the file's tcplife_connect_errors_total for it
	sed -n "s/^tcplife_connect_errors_total{error=\"$1\"} //p" "$M"
}
cat "$M" | grep connect_errors
for e in EADDRNOTAVAIL ECONNREFUSED ETIMEDOUT; do
	assert_eq "$(metric "$e")" "$(ce error="\"$e\"")" "metric $e = the JSON objects"
done
tl_finish
