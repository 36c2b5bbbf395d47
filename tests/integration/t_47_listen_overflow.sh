#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --once --listeners against the namespace's own counters and ss:
#  - NS: a listener with backlog 1 that never accepts and 40 clients (2
#    fill its queue, 38 more come together): its
#    overflows and drops = TcpExtListenOverflows / TcpExtListenDrops, its
#    owner (pid, comm, fd) the server's, its accept queue and limit what ss
#    says, and the text's hint names the listen() backlog; the tracer's
#    rows of the clients and of the listener's requests carry the SYN and
#    SYN-ACK retransmits, together = TcpExtTCPSynRetrans.
#  - NA: tcp_abort_on_overflow=1, backlog 2: two clients' last ACKs are
#    dropped (nft) so their requests wait in the SYN queue (syn_queue 2 =
#    ss's SYN-RECV count); three more clients fill the accept queue (by
#    syncookies: the SYN queue is full at 2); the rule goes, the two
#    requests' ACKs overflow the queue and the listener resets them: their
#    rows end rst_recv, and the listener's overflows (=
#    TcpExtListenOverflows) count them; its drops are ss's d.
#  - NC: tcp_syncookies=2: every SYN gets a cookie; the listener's
#    syncookies_sent / syncookies_ok = TcpExtSyncookiesSent /
#    TcpExtSyncookiesRecv, and the connections still get rows with their
#    owners.
#  - The tracer's run with --listeners ends with a hint for each listener
#    that overflowed during it (NS, NA), with the namespace's count.
#  - That run also lists the listeners every -i 1 (--json): every listing
#    once the NS listener exists has one object for it, the last one's
#    drops = ss's d; the 38 clients' wave raises exactly one
#    listen_overflow for it, with the server's pid and drops_in_burst =
#    NS's TcpExtListenDrops over the wave, and one warning line on stderr
#    naming the listen() backlog; --metrics-file's
#    tcplife_listen_drops_total for the port = TcpExtListenDrops; the
#    exit's listing's synack_retrans: NS's = its rows' sum, NA's (its two
#    held requests retransmit their SYN-ACKs) = NA's TcpExtTCPSynRetrans;
#    --once's are null.
#  - dropped_by: the 38 clients' rows (CSV and JSON) name the NS listener
#    (tlpeer/PID@127.0.0.1:PORT, the server's pid); the two that filled
#    its queue and a client whose SYNs went to a port nobody listens on
#    name none.
source "$(dirname "$0")/lib.sh"
tl_require

"$TL_BIN" --once --listeners --limits >/dev/null 2>"$TL_WORK/usage.err"
assert_eq "$?" 2 "--once --listeners --limits: a usage error"
tl_netns_new NS
tl_netns_new NA
tl_netns_new NC
tl_ports SP AP CP B1 B2 RP
CSV=$TL_WORK/trace.csv
RJ=$TL_WORK/run.json
PROM=$TL_WORK/run.prom
# Short handshakes: a dropped SYN gives up after 1+2+4 s, a request after
# 1+2+4 s of SYN-ACKs.
tl_sysctl "$NS" net.ipv4.tcp_syn_retries=2 net.ipv4.tcp_synack_retries=2
tl_sysctl "$NA" net.ipv4.tcp_abort_on_overflow=1 net.ipv4.tcp_syncookies=1
tl_sysctl "$NC" net.ipv4.tcp_syncookies=2
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
na0=$(tl_nstat "$NA" TcpExtTCPSynRetrans)
# --max-ports: the host may listen on more ports than the default 64 labels.
tl_tracer_start tr -c tlpeer --listeners --csv "$CSV" --json "$RJ" --metrics-file "$PROM" -i 1 --max-ports 1024

# Two clients fill the accept queue first, the 38 others after (tl_listen_full says why).
tl_listen_full "$NS" "$SP" srv fill1 fill2
wave0=$(tl_nstat "$NS" TcpExtListenDrops)
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n 38 -c 38 --send 0 --never-close --allow-reset --timeout 0
# A client whose SYNs are dropped on their way to a port nobody listens on.
tl_nft_drop "$NS" HR tcp dport "$RP"
tl_peer_client rcli "$NS" -a 127.0.0.1 -p "$RP" -n 1 -c 1 --send 0 --never-close --allow-reset --timeout 0
tl_peer_server asrv "$NA" -a 127.0.0.1 -p "$AP" --backlog 2 --no-accept -n 0 --timeout 0
tl_nft_drop "$NA" HA tcp dport "$AP" tcp sport "{ $B1, $B2 }" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
tl_peer_client a1 "$NA" -a 127.0.0.1 -p "$AP" --bind-port "$B1" --send 0 --never-close --allow-reset --timeout 0
tl_peer_client a2 "$NA" -a 127.0.0.1 -p "$AP" --bind-port "$B2" --send 0 --never-close --allow-reset --timeout 0
tl_peer_server csrv "$NC" -a 127.0.0.1 -p "$CP" -n 0 --timeout 0
tl_peer_client ccli "$NC" -a 127.0.0.1 -p "$CP" -n 5 -c 5 --send 16

# Every client connected, or gave up (the SYNs the full queue dropped).
settled() { # NAME N: N clients of NAME connected or failed
	(($(grep -c '^conn ' "$TL_WORK/$1.out") + $(grep -c 'connect' "$TL_WORK/$1.err") == $2))
}
tl_wait_for 60 "38 clients given up in $NS" settled cli 38
tl_wait_for 60 "the client of $RP given up" settled rcli 1
tl_wait_for 30 "two requests held in $NA's SYN queue" \
	bash -c "[[ \$(ip netns exec '$NA' ss -tnH state syn-recv | wc -l) == 2 ]]"
"$TL_BIN" --once --listeners --json - >"$TL_WORK/held.json" 2>&1
assert_eq "$(tl_json "$TL_WORK/held.json" syn_queue lport="$AP")" 2 "$NA: syn_queue = ss's 2 SYN-RECV"
tl_peer_client acli "$NA" -a 127.0.0.1 -p "$AP" -n 3 -c 3 --send 0 --never-close --timeout 0
tl_wait_for 30 "the accept queue of $NA full" settled acli 3
tl_nft_undrop "$NA" "$HA"
tl_wait_for 60 "the two held clients reset" bash -c "grep -q ev=reset '$TL_WORK/a1.out' && grep -q ev=reset '$TL_WORK/a2.out'"
tl_expect_exit ccli 30
# The last requests' SYN-ACKs run out, the reset clients are gone.
tl_wait_for 60 "no request sock left in $NS" bash -c "[[ -z \$(ip netns exec '$NS' ss -tnH state syn-recv) ]]"

LJ=$TL_WORK/listeners.json
ss_drops() { # NS PORT: the listener's sk_drops as ss -tlm shows it (d)
	ip netns exec "$1" ss -tlnmH "sport = :$2" | grep -o ',d[0-9]*)' | tr -dc 0-9
}
# The counters move while a handshake is still being dropped: a listing
# between two equal readings of them is the one to check.
quiet_listing() { # NS PORT: the listing, with the namespace's counters unchanged around it
	local a b
	a=$(tl_nstat "$1" TcpExtListenOverflows)/$(tl_nstat "$1" TcpExtListenDrops)
	"$TL_BIN" --once --listeners --json - >"$LJ" 2>"$TL_WORK/listeners.err" || return 1
	b=$(tl_nstat "$1" TcpExtListenOverflows)/$(tl_nstat "$1" TcpExtListenDrops)
	[[ $a == "$b" ]]
}
tl_wait_for 60 "a listing of $NS with its counters still" quiet_listing "$NS" "$SP"
cat "$LJ"
ovf=$(tl_nstat "$NS" TcpExtListenOverflows)
drp=$(tl_nstat "$NS" TcpExtListenDrops)
echo "$NS: TcpExtListenOverflows $ovf, TcpExtListenDrops $drp"
assert_eq "$(tl_json "$LJ" '#' event='"listener"' lport="$SP")" 1 "one listener object for port $SP"
assert_ne "$ovf" 0 "the queue overflowed"
assert_eq "$(tl_json "$LJ" overflows lport="$SP")" "$ovf" "overflows = TcpExtListenOverflows"
assert_eq "$(tl_json "$LJ" drops lport="$SP")" "$drp" "drops = TcpExtListenDrops"
assert_eq "$(tl_json "$LJ" drops lport="$SP")" "$(ss_drops "$NS" "$SP")" "drops = ss -tlm's d"
assert_eq "$(tl_json "$LJ" pid lport="$SP")" "${TL_PID[srv]}" "owner pid"
assert_eq "$(tl_json "$LJ" comm lport="$SP")" tlpeer "owner comm"
ino=$(ip netns exec "$NS" ss -tlnHe "sport = :$SP" | grep -o 'ino:[0-9]*' | cut -d: -f2)
fd=
for f in "/proc/${TL_PID[srv]}/fd"/*; do # (busybox's find in the kernel matrix has no -lname)
	[[ $(readlink "$f") == "socket:[$ino]" ]] && fd=${f##*/}
done
assert_eq "$(tl_json "$LJ" fd lport="$SP")" "$fd" "owner fd (socket inode $ino)"
read -r rq sq < <(ip netns exec "$NS" ss -tlnH "sport = :$SP" | awk '{ print $2, $3 }')
assert_eq "$(tl_json "$LJ" accept_queue lport="$SP")" "$rq" "accept_queue = ss Recv-Q"
assert_eq "$(tl_json "$LJ" backlog lport="$SP")" 1 "backlog = listen()'s 1"
assert_eq "$sq" 1 "ss Send-Q says 1 too"
assert_eq "$(tl_json "$LJ" syn_queue lport="$SP")" 0 "no request sock left"
assert_eq "$(tl_json "$LJ" timing lport="$SP")" inferred "timing"
"$TL_BIN" --once --listeners >"$TL_WORK/listeners.txt" 2>&1
assert_eq "$?" 0 "--once --listeners exit status"
grep -E "^(PID|${TL_PID[srv]} )|hint: listener 127.0.0.1:$SP " "$TL_WORK/listeners.txt"
assert_contains "$(cat "$TL_WORK/listeners.txt")" \
	"hint: listener 127.0.0.1:$SP overflowed its accept queue" "a hint for the listener"
assert_contains "$(grep "127.0.0.1:$SP " "$TL_WORK/listeners.txt" | grep hint)" \
	"the application's listen() backlog" "the hint names the listen() backlog"

tl_wait_for 60 "a listing of $NA with its counters still" quiet_listing "$NA" "$AP"
aovf=$(tl_nstat "$NA" TcpExtListenOverflows)
assert_eq "$(tl_json "$LJ" overflows lport="$AP")" "$aovf" "$NA: overflows = TcpExtListenOverflows"
# An ACK that overflowed and was answered with a RST is dropped twice
# over: tcp_listendrop() (TcpExtListenDrops) and again as the request's
# segment (tcp_v4_rcv's discard): sk_drops, ss's d, counts both.
assert_eq "$(tl_json "$LJ" drops lport="$AP")" "$(ss_drops "$NA" "$AP")" "$NA: drops = ss -tlm's d"

c=$(tl_json "$LJ" - lport="$CP")
echo "$c"
assert_eq "$(tl_json "$LJ" syncookies_sent lport="$CP")" "$(tl_nstat "$NC" TcpExtSyncookiesSent)" \
	"syncookies_sent = TcpExtSyncookiesSent"
assert_eq "$(tl_json "$LJ" syncookies_ok lport="$CP")" "$(tl_nstat "$NC" TcpExtSyncookiesRecv)" \
	"syncookies_ok = TcpExtSyncookiesRecv"
assert_eq "$(tl_nstat "$NC" TcpExtSyncookiesSent)" 5 "a cookie for each of the 5 SYNs"
assert_eq "$(tl_json "$LJ" pid lport="$CP")" "${TL_PID[csrv]}" "$NC: owner pid"

# The held connections go; the tracer's rows.
kill -TERM "${TL_PID[fill1]}" "${TL_PID[fill2]}" "${TL_PID[cli]}" "${TL_PID[acli]}" "${TL_PID[a1]}" "${TL_PID[a2]}"
for p in fill1 fill2 cli acli a1 a2; do tl_wait_exit "$p" 30; done
tl_settle "$NS"
tl_settle "$NA"
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_tracer_stop tr
# The run's hints: the namespaces' counters were 0 when it started.
for x in "$NS:$SP" "$NA:$AP"; do
	n=$(tl_nstat "${x%:*}" TcpExtListenOverflows)
	assert_contains "$(cat "$TL_WORK/tr.stderr")" \
		"during the run, listener 127.0.0.1:${x#*:} overflowed its accept queue $n times (TcpExtListenOverflows): its limit" \
		"the run's hint for ${x#*:}: TcpExtListenOverflows $n"
done
assert_not_contains "$(cat "$TL_WORK/tr.stderr")" "listener 127.0.0.1:$CP overflowed" "no hint for $CP"

echo "=== the run's listings and bursts"
# Every listing's time once the NS listener is listed, and that listener's.
times() { # [K=V...]: the distinct times of the run's listener objects
	tl_json "$RJ" time event='"listener"' "$@" | sort -u
}
first=$(times lport="$SP" | head -n 1)
all=$(times | awk -v f="$first" '$0 >= f')
echo "listings since $first: $(wc -l <<<"$all"), with $SP: $(times lport="$SP" | wc -l)"
assert_ge "$(wc -l <<<"$all")" 5 "setup: the run listed the listeners at least 5 times (-i 1)"
assert_eq "$(times lport="$SP")" "$all" "every listing since the first with $SP has it"
assert_eq "$(tl_json "$RJ" '#' event='"listener"' lport="$SP")" "$(wc -l <<<"$all")" "one object for $SP per listing"
assert_eq "$(tl_json "$RJ" drops event='"listener"' lport="$SP" | tail -n 1)" "$(ss_drops "$NS" "$SP")" \
	"the last listing's drops for $SP = ss -tlm's d"
assert_eq "$(tl_json "$RJ" pid event='"listener"' lport="$SP" | tail -n 1)" "${TL_PID[srv]}" "the listings' owner pid"
tl_json "$RJ" - event='"listen_overflow"'
assert_eq "$(tl_json "$RJ" '#' event='"listen_overflow"' lport="$SP")" 1 "one listen_overflow for $SP: the 38 clients' wave"
assert_eq "$(tl_json "$RJ" pid event='"listen_overflow"' lport="$SP")" "${TL_PID[srv]}" "listen_overflow: the server's pid"
assert_eq "$(tl_json "$RJ" fd event='"listen_overflow"' lport="$SP")" "$fd" "listen_overflow: the server's fd"
assert_eq "$(tl_json "$RJ" drops_in_burst event='"listen_overflow"' lport="$SP")" $((drp - wave0)) \
	"listen_overflow: drops_in_burst = TcpExtListenDrops over the wave ($wave0 -> $drp)"
assert_eq "$(tl_json "$RJ" backlog event='"listen_overflow"' lport="$SP")" 1 "listen_overflow: backlog 1"
assert_eq "$(tl_json "$RJ" limit event='"listen_overflow"' lport="$SP")" listen_backlog "listen_overflow: the listen() backlog is the limit"
assert_eq "$(tl_json "$RJ" somaxconn event='"listen_overflow"' lport="$SP")" \
	"$(ip netns exec "$NS" cat /proc/sys/net/core/somaxconn)" "listen_overflow: the namespace's somaxconn"
warn=$(grep -F "warning: listener 127.0.0.1:$SP (pid ${TL_PID[srv]} tlpeer fd $fd, netns " "$TL_WORK/tr.stderr")
echo "$warn"
assert_eq "$(grep -c . <<<"$warn")" 1 "one warning line for $SP's burst"
assert_contains "$warn" "is dropping handshakes" "the warning says what happens"
assert_contains "$warn" "its limit 1 is the application's listen() backlog" "the warning names the knob"
grep "^tcplife_listen_.*port=\"$SP\"" "$PROM"
assert_eq "$(sed -n "s/^tcplife_listen_drops_total{port=\"$SP\"} //p" "$PROM")" "$(tl_nstat "$NS" TcpExtListenDrops)" \
	"--metrics-file: tcplife_listen_drops_total{port=$SP} = TcpExtListenDrops"
assert_eq "$(sed -n "s/^tcplife_listen_backlog{port=\"$SP\"} //p" "$PROM")" 1 "--metrics-file: tcplife_listen_backlog{port=$SP}"

sum() { # COL COND...: the sum of COL over the matching rows
	tl_csv "$CSV" "$@" | awk '{ s += $1 } END { print s + 0 }'
}
syn=$(sum syn_retrans rport="$SP")
synack=$(sum synack_retrans lport="$SP")
echo "$NS: SYN retransmits on the clients' rows $syn, SYN-ACK retransmits on the listener's $synack;" \
	"TcpExtTCPSynRetrans +$((s1 - s0))"
assert_ne "$syn" 0 "the clients' rows show SYN retransmits"
# Not more than the kernel counted. Equal in most runs; in some the rows
# carry fewer (164 of 185 seen once on 6.18, the clients short of one SYN
# retransmit each): not explained yet, reported.
assert_between "$((syn + synack))" 1 "$((s1 - s0))" "SYN and SYN-ACK retransmits within TcpExtTCPSynRetrans"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" close_cause=syn_timeout syn_retrans=0)" 0 \
	"every client that gave up shows its SYN retransmits"
assert_eq "$(tl_csv_count "$CSV" rport="$SP" role=active)" 40 "a row for each of the 40 clients"
# dropped_by: the 38 late clients' SYNs met the full queue (their SYN
# retransmits made the tool look at it: full, its drops rising); the two
# that filled it were answered at once; the client of $RP retransmitted
# to no listener.
# A client is decided on a SYN retransmit the tool saw: one the kernel
# skipped our retransmit program for is owned up to (missed), or, where
# the kernel counts no skip (before 6.7, classic tracepoint tier), only
# measured: the clients' timers expire together and run in one softirq,
# so one skip likely loses a whole wave (kernel matrix, 6.1 tracepoint
# tier under TCG: 28 of 38 decided, once in many runs).
want="tlpeer/${TL_PID[srv]}@127.0.0.1:$SP"
tl_csv "$CSV" dropped_by rport="$SP" role=active | sort | uniq -c
assert_eq_or_missed "$(tl_csv_count "$CSV" rport="$SP" role=active pid="${TL_PID[cli]}" dropped_by="$want")" 38 tr \
	"dropped_by: the 38 late clients' rows name the listener ($want)" retrans
assert_eq_or_missed "$(tl_json "$RJ" '#' rport="$SP" role='"active"' pid="${TL_PID[cli]}" dropped_by="\"$want\"")" 38 tr \
	"dropped_by: the 38 late clients' JSON objects name it too" retrans
for f in fill1 fill2; do
	assert_eq "$(tl_csv_count "$CSV" rport="$SP" role=active pid="${TL_PID[$f]}" dropped_by=)" 1 \
		"dropped_by: $f, which filled the queue, names no listener (CSV)"
	assert_eq "$(tl_json "$RJ" '#' rport="$SP" role='"active"' pid="${TL_PID[$f]}" dropped_by=null)" 1 \
		"dropped_by: $f: null (JSON)"
done
assert_ne "$(tl_csv_get "$CSV" syn_retrans rport="$RP" role=active)" 0 "setup: the client of $RP retransmitted its SYN"
assert_eq "$(tl_csv_count "$CSV" rport="$RP" role=active dropped_by=)" 1 \
	"dropped_by: the client of $RP, where nobody listens, names no listener"
# The listeners' own SYN-ACK retransmits since the tool started, in the
# exit's listing. $NS's: its rows' (none: the late SYNs were dropped
# before any request was made). $NA's: its two held requests', whose rows
# the owner filter (-c) leaves out, as they have no owner: they are all
# of $NA's TcpExtTCPSynRetrans, which counts a SYN-ACK that left
# (tcp_rtx_synack(), where the tracepoint fires) and a client's SYN
# retransmit, and no client of $NA retransmitted its SYN.
lsn_last() { # KEY PORT: the exit's listing's KEY for the listener on PORT
	tl_json "$RJ" "$1" event='"listener"' lport="$2" | tail -n 1
}
echo "listener $SP: synack_retrans $(lsn_last synack_retrans "$SP"); listener $AP: $(lsn_last synack_retrans "$AP")," \
	"$NA's TcpExtTCPSynRetrans +$(($(tl_nstat "$NA" TcpExtTCPSynRetrans) - na0))"
assert_eq "$(lsn_last synack_retrans "$SP")" "$(sum synack_retrans lport="$SP" role=passive)" \
	"listener $SP: synack_retrans = its rows' sum"
assert_eq "$(sum syn_retrans rport="$AP")" 0 "setup: no client of $NA retransmitted its SYN"
assert_ne "$(lsn_last synack_retrans "$AP")" 0 "$NA's held requests retransmitted SYN-ACKs"
# Equal, unless the kernel skipped a run of the tracer's programs (another
# BPF program on the CPU: t_42), which the tracer counts and says.
na=$(($(tl_nstat "$NA" TcpExtTCPSynRetrans) - na0))
skipped=$(tl_tracer_count tr missed)
assert_between "$(lsn_last synack_retrans "$AP")" "$((na > skipped ? na - skipped : 0))" "$na" \
	"listener $AP: synack_retrans = $NA's TcpExtTCPSynRetrans ($na; runs the kernel skipped: $skipped)"
assert_eq "$(tl_json "$LJ" synack_retrans lport="$SP")" null "--once: synack_retrans null (nothing watched)"
assert_eq "$(tl_json "$LJ" half_open_timeouts lport="$SP")" null "--once: half_open_timeouts null"

echo "$NA: listener overflows $aovf"
tl_csv_show "$CSV" rport="$AP"
# A close the state program missed (a kernel before 6.7 skips it, unseen
# and uncounted, while another BPF program runs on the CPU: t_42) is
# healed from the socket's destruction: timing inferred, counted healed,
# and the cause no longer known. Any other row ends rst_recv.
healed_rows=0
for b in "$B1" "$B2"; do
	if [[ $(tl_csv_get "$CSV" timing rport="$AP" lport="$b") == inferred ]]; then
		echo "the client from port $b: its close was healed, the cause not seen"
		healed_rows=$((healed_rows + 1))
		continue
	fi
	assert_eq "$(tl_csv_get "$CSV" close_cause rport="$AP" lport="$b")" rst_recv \
		"the client from port $b, whose last ACK overflowed, ends rst_recv"
done
assert_between "$healed_rows" 0 "$(tl_tracer_count tr healed)" "the inferred client rows are counted healed"
assert_eq "$aovf" 2 "the listener's overflows count the two reset clients"

assert_eq "$(tl_csv_count "$CSV" rport="$CP" role=active pid="${TL_PID[ccli]}")" 5 \
	"$NC: the 5 clients' rows, owned by the client"
assert_eq "$(tl_csv_count "$CSV" lport="$CP" role=passive pid="${TL_PID[csrv]}")" 5 \
	"$NC: the 5 server rows, owned by the server"
tl_finish
