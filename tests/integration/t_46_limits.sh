#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --once --limits reads each namespace's sysctls, says what they imply and
# where the namespace stands; the implied give-up time matches the kernel's.
#  - NS: tcp_syn_retries=2, tcp_synack_retries=3, tcp_fin_timeout=7 and no
#    linear SYN timeouts: --once --limits --json - gives those, with
#    syn_give_up_s 7 (1+2+4) and synack_give_up_s 15 (1+2+4+8); a connect()
#    whose SYNs an nft rule drops gives up, and the tracer's row
#    (syn_timeout) has syn_sent_ms within 1 s of syn_give_up_s.
#  - NL (6.5+ only, where net.ipv4.tcp_syn_linear_timeouts exists, left at
#    the kernel's default, 4): tcp_syn_retries=3, the same check of the
#    linear phase: timers 1, 1, 1, 1, 1, 2, 4, 8 s, the give-up at the first
#    expiry past 1+2+4+8 s: 19 s, where the doubling alone would say 15.
#  - NP: ip_local_port_range of 10 ports, 10 connections held open to one
#    destination: 10 of 10 ports in use, and the hint line names the knobs.
source "$(dirname "$0")/lib.sh"
tl_require stat

LIN=/proc/sys/net/ipv4/tcp_syn_linear_timeouts
"$TL_BIN" --limits >/dev/null 2>"$TL_WORK/usage.err"
assert_eq "$?" 2 "--limits without --once: a usage error"
assert_eq "$(wc -l <"$TL_WORK/usage.err")" 1 "one line on stderr: $(cat "$TL_WORK/usage.err")"
tl_netns_new NS
tl_netns_new NP
tl_netns_new NE
tl_ports DP DL SP
CSV=$TL_WORK/trace.csv
tl_sysctl "$NS" net.ipv4.tcp_syn_retries=2 net.ipv4.tcp_synack_retries=3 net.ipv4.tcp_fin_timeout=7
[[ -e $LIN ]] && tl_sysctl "$NS" net.ipv4.tcp_syn_linear_timeouts=0
tl_sysctl "$NP" "net.ipv4.ip_local_port_range=40000 40009"
tl_sysctl "$NE" net.ipv4.tcp_fin_timeout=9 # no process ever stays in NE
nsid() { stat -L -c %i "/run/netns/$1"; }

tl_tracer_start tr -D "$DP" -D "$DL" --csv "$CSV"
tl_nft_drop "$NS" H tcp dport "$DP" 'tcp flags & (syn | ack) == syn'
tl_peer_client syn "$NS" -a 127.0.0.1 -p "$DP"
if [[ -e $LIN ]]; then
	tl_netns_new NL
	tl_sysctl "$NL" net.ipv4.tcp_syn_retries=3
	tl_nft_drop "$NL" HL tcp dport "$DL" 'tcp flags & (syn | ack) == syn'
	tl_peer_client synl "$NL" -a 127.0.0.1 -p "$DL"
fi

# Ten connections, each from its own port of the ten, held open.
tl_peer_server srv "$NP" -a 127.0.0.1 -p "$SP" -n 10 --never-close
tl_peer_client cli "$NP" -a 127.0.0.1 -p "$SP" -n 10 -c 10 --send 0 --never-close
tl_wait_for 20 "10 connections established in $NP" \
	bash -c "[[ \$(grep -c '^conn ' '$TL_WORK/cli.out') == 10 ]]"

# Every namespace is listed, whether a process is in it (the SYN_SENT
# clients may have given up by now under qemu) or only its bind mount
# (`ip netns add`) keeps it, as NE.
LJ=$TL_WORK/limits.json
LT=$TL_WORK/limits.txt
"$TL_BIN" --once --limits --json - >"$LJ" 2>"$TL_WORK/limits.json.err"
assert_eq "$?" 0 "--once --limits --json - exit status"
"$TL_BIN" --once --limits >"$LT" 2>"$TL_WORK/limits.txt.err"
assert_eq "$?" 0 "--once --limits exit status"
cat "$LT"

assert_eq "$(tl_json "$LJ" tcp_fin_timeout netns="$(nsid "$NE")")" 9 "$NE, with no process in it: listed, its tcp_fin_timeout"
n=$(nsid "$NS")
assert_eq "$(tl_json "$LJ" '#' event='"limits"' netns="$n")" 1 "one limits object for $NS"
assert_eq "$(tl_json "$LJ" tcp_syn_retries netns="$n")" 2 "tcp_syn_retries"
assert_eq "$(tl_json "$LJ" tcp_synack_retries netns="$n")" 3 "tcp_synack_retries"
assert_eq "$(tl_json "$LJ" tcp_fin_timeout netns="$n")" 7 "tcp_fin_timeout"
assert_eq "$(tl_json "$LJ" syn_give_up_s netns="$n")" 7 "syn_give_up_s (1+2+4)"
assert_eq "$(tl_json "$LJ" synack_give_up_s netns="$n")" 15 "synack_give_up_s (1+2+4+8)"
assert_eq "$(tl_json "$LJ" orphan_fin_wait2_s netns="$n")" 7 "orphan_fin_wait2_s = tcp_fin_timeout"
# tcp_max_orphans is one value for the system: in the first object only.
assert_eq "$(tl_json "$LJ" tcp_max_orphans netns="$n")" "" "tcp_max_orphans not repeated per namespace"
assert_eq "$(head -n 1 "$LJ" | grep -c '"tcp_max_orphans":[0-9]')" 1 "tcp_max_orphans in the first object"
# The rest against the namespace's own files.
for k in tcp_max_tw_buckets tcp_max_syn_backlog tcp_syncookies tcp_retries2; do
	assert_eq "$(tl_json "$LJ" "$k" netns="$n")" "$(ip netns exec "$NS" sysctl -n "net.ipv4.$k")" "$k"
done
assert_eq "$(tl_json "$LJ" somaxconn netns="$n")" "$(ip netns exec "$NS" sysctl -n net.core.somaxconn)" somaxconn
assert_eq "$(tl_json "$LJ" tw_overflow netns="$n")" "$(tl_nstat "$NS" TcpExtTCPTimeWaitOverflow)" \
	"tw_overflow = TcpExtTCPTimeWaitOverflow"
assert_eq "$(tl_json "$LJ" orphans_killed netns="$n")" "$(tl_nstat "$NS" TcpExtTCPAbortOnMemory)" \
	"orphans_killed = TcpExtTCPAbortOnMemory"
assert_match "$(tl_json "$LJ" - netns="$n")" '"hints":\[\]' "no hint in $NS"

p=$(nsid "$NP")
assert_match "$(tl_json "$LJ" - netns="$p")" '"ip_local_port_range":\[40000,40009\]' "ip_local_port_range in $NP"
assert_eq "$(tl_json "$LJ" ports_per_destination netns="$p")" 10 "ports per destination"
assert_eq "$(tl_json "$LJ" ports_max_in_use netns="$p")" 10 "ports in use to the busiest destination"
assert_match "$(tl_json "$LJ" - netns="$p")" "\"saddr\":\"127.0.0.1\",\"daddr\":\"127.0.0.1\",\"dport\":$SP,\"in_use\":10" \
	"the busiest destination is the server"
assert_match "$(tl_json "$LJ" - netns="$p")" '"hints":\["ports near exhaustion for 127.0.0.1 -> 127.0.0.1:'"$SP"' \(10 of 10 in use\)' \
	"the JSON hint"
block=$(awk -v n="$p" '/^network namespace /{on = ($3 == n)} on' "$LT")
assert_contains "$block" "127.0.0.1 -> 127.0.0.1:$SP: in use 10 of 10 (100 %)" "text: 10 of 10 ports in use"
assert_contains "$block" "hint: ports near exhaustion" "text: the hint line"
assert_contains "$block" "tcp_tw_reuse" "the hint names tcp_tw_reuse"
assert_contains "$block" "more destination addresses" "the hint names more destination addresses"
assert_contains "$block" "a wider net.ipv4.ip_local_port_range" "the hint names a wider range"
block=$(awk -v n="$n" '/^network namespace /{on = ($3 == n)} on' "$LT")
assert_contains "$block" "a SYN_SENT gives up after 7 s" "text: syn give-up"
assert_not_contains "$block" "hint:" "text: no hint in $NS"

# The SYN_SENT gives up when the limits said: the kernel's timers fire
# at their jiffy, a few ms late at most; 1 s is the issue's tolerance.
tl_expect_exit syn 30 1
check_row() { # NAME DPORT GIVE_UP_S [LATE_MS]: LATE_MS more allowed after the 1 s
	local want=$(($3 * 1000)) got what="syn_sent_ms"
	got=$(tl_csv_get "$CSV" syn_sent_ms rport="$2" close_cause=syn_timeout)
	echo "$1: syn_sent_ms $got, limits said $3 s"
	assert_eq "$(tl_csv_count "$CSV" rport="$2" close_cause=syn_timeout)" 1 "$1: a syn_timeout row"
	if [[ $(tl_csv_get "$CSV" timing rport="$2" close_cause=syn_timeout) == inferred ]]; then
		# Healed: the row's CLOSE was not seen and its end came from the
		# connect()'s error or the socket's destruction, so its time in
		# SYN_SENT is unknown (empty), which the tracer must have counted.
		# The give-up is then read on the client's own clock (tlpeer's
		# elapsed, its start to connect()'s ETIMEDOUT). Seen once on 6.18,
		# tp_btf, in CI with the kernel matrix running beside: synl healed
		# with missed 0 and gaps 0, its CLOSE record never made: not explained yet.
		assert_ge "$(tl_tracer_count tr healed)" 1 "$1: the row is inferred, so the tracer counted it healed"
		assert_eq "$got" "" "$1: healed, the time in SYN_SENT left empty"
		got=$(tl_kv "$TL_WORK/$1.out" done elapsed | awk '{ printf "%d", $1 * 1000 }')
		what="the client's connect() (healed row: tlpeer's elapsed, ${got} ms)"
		echo "MEASURED: $1: the row was healed (tracer: $(grep -o 'missed [0-9]*, gaps [0-9]*' "$TL_WORK/tr.stderr"), healed $(tl_tracer_count tr healed))"
	fi
	assert_between "${got:-0}" $((want - 1000)) $((want + 1000 + ${4:-0})) "$1: $what within 1 s of syn_give_up_s${4:+ (+$4 ms timer slack)}"
}
if [[ -e $LIN ]]; then
	l=$(nsid "$NL")
	assert_eq "$(tl_json "$LJ" tcp_syn_linear_timeouts netns="$l")" "$(cat "$LIN")" "tcp_syn_linear_timeouts (the kernel's default)"
	want=$(tl_json "$LJ" syn_give_up_s netns="$l")
	echo "tcp_syn_retries 3 with tcp_syn_linear_timeouts $(cat "$LIN"): syn_give_up_s $want"
	tl_expect_exit synl 60 1
fi
tl_settle_stop
tl_csv_show "$CSV"
check_row syn "$DP" 7
# Seven or eight timers in a row: each may fire up to 1/8 of its interval late
# (the timer wheel's granularity at that range), and each is re-armed from
# when the last fired, so lateness adds up: 1/8 of the schedule allowed.
[[ -e $LIN ]] && check_row synl "$DL" "$want" $((want * 1000 / 8))

tl_finish
