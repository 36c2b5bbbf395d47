#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Churn: 10000 connections (client closes first, 4 client workers) in a
# fresh namespace. Two tracers run at once, `-L PORT` (the server's side)
# and `-D PORT` (the clients' side), because -L and -D together would mean
# both at once. Every connection must give exactly one row:
#   rows(-L) == delta TcpPassiveOpens, rows(-D) == delta TcpActiveOpens
#   (at most, where the kernel counts no skipped run: assert_eq_or_missed),
# and neither tracer may report a drop.
source "$(dirname "$0")/lib.sh"
tl_require

N=${TL_CHURN_CONNS:-10000}
tl_netns_new NS
tl_ports SP
# A netns gets tcp_max_tw_buckets = half the established hash: 4096 in a
# 1 GiB VM (tests/kmatrix). Past it tcp_time_wait() frees the socket
# instead, the server's late FIN meets an RST, and rows rightly end in a
# reset. Room for every connection keeps this test about counting.
tl_sysctl "$NS" net.ipv4.tcp_max_tw_buckets=$((2 * N + 1024))

tl_tracer_start trL -L "$SP" --csv "$TL_WORK/passive.csv"
tl_tracer_start trD -D "$SP" --csv "$TL_WORK/active.csv"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c 16 --quiet
a0=$(tl_nstat "$NS" TcpActiveOpens)
p0=$(tl_nstat "$NS" TcpPassiveOpens)
r0=$(tl_nstat "$NS" TcpExtTWRecycled)
o0=$(tl_nstat "$NS" TcpOutRsts)
tl_nstat_all "$NS" "$TL_WORK/nstat.before"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c 4 --quiet
tl_pair_exit 100 20
a1=$(tl_nstat "$NS" TcpActiveOpens)
p1=$(tl_nstat "$NS" TcpPassiveOpens)
assert_eq "$(tl_nstat "$NS" TcpExtTCPTimeWaitOverflow)" 0 "setup: no timewait overflow (TcpExtTCPTimeWaitOverflow)"
cat "$TL_WORK/cli.out" "$TL_WORK/srv.out"
# The peers have exited, but a FIN may still wait for its retransmit (under
# TCG the loopback backlog overflows now and then): let the namespace's
# connections finish closing, as ss sees them, before stopping the tracers.
tl_settle "$NS"
# TIME_WAIT only ever shrinks now: counted before and after the tracers
# stop, it brackets what they saw still open (under TCG the churn outlasts
# 60 s, so the first timewait socks expire while it runs).
tw0=$(tl_ns "$NS" ss -tanH state time-wait "( dport = :$SP )" | wc -l)
tl_tracer_stop trL
tl_tracer_stop trD
tw1=$(tl_ns "$NS" ss -tanH state time-wait "( dport = :$SP )" | wc -l)
recycled=$(($(tl_nstat "$NS" TcpExtTWRecycled) - r0))
resets=$(($(tl_nstat "$NS" TcpOutRsts) - o0))

da=$((a1 - a0))
dp=$((p1 - p0))
rl=$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP")
rd=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP")
# TcpPassiveOpens counts every child made, and two ACKs of one request
# handled at once on two CPUs make two: the loser is closed at birth and
# is no connection (tl_tracer_twins). Likely behind the kernel matrix's
# 2000 rows of 2001 passive opens with missed 0 (TCG, 6.1 fentry and
# tracepoint tiers; those logs did not keep the tracer's count).
twins=$(tl_tracer_twins trL)
echo "TcpActiveOpens delta $da, TcpPassiveOpens delta $dp (children closed at birth: $twins); rows: -L $rl, -D $rd"
((twins == 0)) || echo "MEASURED: children closed at birth (trL): $twins of $dp passive opens"
assert_eq "$da" "$N" "setup: the clients opened $N connections"
# Exact, except where the kernel counts no skipped run of the state
# program (before 6.7, classic tracepoint or kprobe tier): there a
# connection whose records were all skipped has no row, and nothing can
# tell. assert_eq_or_missed then asserts no more rows than opens and the
# tracer's warning at start.
assert_eq_or_missed "$rl" "$((dp - twins))" trL "server-side rows (-L) == delta(TcpPassiveOpens) - children closed at birth" state
assert_eq_or_missed "$rd" "$da" trD "client-side rows (-D) == delta(TcpActiveOpens)" state
assert_eq "$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" role=passive)" "$rl" "server-side rows are passive"
assert_eq "$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" role=active)" "$rd" "client-side rows are active"
assert_eq "$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" pid="${TL_PID[srv]}")" "$rl" "server-side rows owned by the server"
assert_eq "$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" pid="${TL_PID[cli]}")" "$rd" "client-side rows owned by the client"
# A row whose end no program saw is written lost and counted (ends not
# seen): the only exception allowed, and only as many as the tracer owns
# up to. Seen once in a loaded run on 6.18, tp_btf, both tracers: one
# connection's ends lost their last transitions and their destruction
# (stale 2, ends not seen 1, missed 0), found when the addresses were reused.
lost_srv=$(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" close_cause=lost)
lost_cli=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=lost)
assert_le "$lost_srv" "$(tl_tracer_count trL "ends not seen")" "server-side rows written lost <= the ends not seen trL counted"
assert_le "$lost_cli" "$(tl_tracer_count trD "ends not seen")" "client-side rows written lost <= the ends not seen trD counted"
assert_eq "$(($(tl_csv_count "$TL_WORK/passive.csv" lport="$SP" close_cause!=fin) - lost_srv))" 0 "server-side rows not closed by FIN (but counted lost)"
# The clients close first: each is in its timewait sock when the tracer
# stops (written open, in TIME_WAIT), or its TIME_WAIT ran out (closed,
# ...>TIME_WAIT>CLOSE, fin), or a later connect() reused its 4-tuple
# (tw_reuse: loopback has tcp_tw_reuse, and under TCG the churn outlasts
# the second the kernel waits before reusing), or an RST ended it early
# (tw_killed). The open ones are what ss still lists; the reused ones what
# TcpExtTWRecycled counts. The killed ones happen under TCG (seen on 6.1):
# the client's ACK of the server's FIN is slow, the server's tail loss
# probe resends the FIN, the timewait sock ACKs it again, and that second
# ACK finds the server's socket gone and meets the listener, whose RST is
# in window and kills the TIME_WAIT (RFC 1337 "assassination", allowed
# with tcp_rfc1337=0). Every such end needs an RST sent in this namespace.
timing=$(tl_timing_for trD timewait)
open_tw=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=open end_state=TIME_WAIT timing="$timing")
ended_tw=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=fin closed=true path~'TIME_WAIT>CLOSE$' timing="$timing")
# A reuse or a kill can come before a listing saw the FIN_WAIT2 -> TIME_WAIT
# change in the timewait sock (listings only): the path then ends
# FIN_WAIT2>CLOSE.
reused_tw=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=tw_reuse closed=true path~'(TIME_WAIT|FIN_WAIT2)>CLOSE$')
killed_tw=$(tl_csv_count "$TL_WORK/active.csv" rport="$SP" close_cause=tw_killed closed=true path~'(TIME_WAIT|FIN_WAIT2)>CLOSE$')
echo "client rows still in TIME_WAIT: $open_tw (ss: $tw0 before the stop, $tw1 after); TIME_WAIT over: $ended_tw; reused: $reused_tw (TcpExtTWRecycled delta $recycled); killed early: $killed_tw (TcpOutRsts delta $resets)"
# What each client row became, in the check's own line: a failure in the
# kernel matrix shows only its FAIL lines and the log's last lines.
outcomes=$(paste -d/ <(tl_csv "$TL_WORK/active.csv" end_state rport="$SP") \
	<(tl_csv "$TL_WORK/active.csv" close_cause rport="$SP") <(tl_csv "$TL_WORK/active.csv" timing rport="$SP") |
	sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
assert_eq "$((open_tw + ended_tw + reused_tw + killed_tw + lost_cli))" "$rd" "client-side rows: in TIME_WAIT, through it, reused or killed (or counted lost) [by end_state/close_cause/timing: $outcomes]"
assert_le "$killed_tw" "$resets" "client rows ended by tw_killed <= TcpOutRsts delta (only an RST ends a TIME_WAIT early)"
assert_between "$open_tw" "$((tw1 - lost_cli))" "$tw0" "client rows still in TIME_WAIT, between ss's counts around the stop (less those counted lost)"
if [[ $timing == inferred ]]; then
	# Listings only: a timewait sock that an RST killed (above) unseen, and
	# whose 4-tuple a later connect() then took, looks reused; the kernel
	# counts no recycle (the sock was gone). Each such row needs an RST sent
	# here beyond the kills counted (the kernel matrix, 6.1 tracepoint
	# tier under TCG: 133 reused, 131 recycled, 5 RSTs, 3 kills).
	assert_between "$reused_tw" "$recycled" "$((recycled + resets - killed_tw))" \
		"rows ended by tw_reuse: TcpExtTWRecycled delta, plus at most the RSTs not counted as kills"
else
	assert_eq "$reused_tw" "$recycled" "rows ended by tw_reuse == TcpExtTWRecycled delta"
fi
echo "server-side close causes / paths:"
tl_csv "$TL_WORK/passive.csv" path lport="$SP" | sort | uniq -c
echo "client-side paths:"
tl_csv "$TL_WORK/active.csv" path rport="$SP" | sort | uniq -c
echo "client-side close causes:"
tl_csv "$TL_WORK/active.csv" close_cause rport="$SP" | sort | uniq -c
echo "client rows through TIME_WAIT that ended other than by timer or reuse (up to 3):"
tl_csv "$TL_WORK/active.csv" @ rport="$SP" closed=true close_cause!=fin close_cause!=tw_reuse | head -n 3
tl_nstat_moved "$NS" "$TL_WORK/nstat.before"

for tr in trL trD; do
	line=$(grep -m1 'drops:' "$TL_WORK/$tr.stderr")
	if [[ -z $line ]]; then
		tl_check_fail "$tr: no 'drops:' line in the tracer's stderr"
		continue
	fi
	rb=$(sed -n 's/.*ringbuf \([0-9][0-9]*\).*/\1/p' <<<"$line")
	mf=$(sed -n 's/.*map full \([0-9][0-9]*\).*/\1/p' <<<"$line")
	mi=$(sed -n 's/.*missed \([0-9][0-9]*\).*/\1/p' <<<"$line")
	assert_eq "$rb" 0 "$tr: ringbuf drops"
	assert_eq "$mf" 0 "$tr: map full"
	# Runs the kernel skipped are reported, not asserted away: on the
	# classic tracepoint tier one of ours in process context makes the
	# kernel skip the others on that CPU (seen under TCG: 1 in a run, with
	# every count above still exact). The counts above are the check.
	assert_match "$mi" '^[0-9]+$' "$tr: the summary reports the events the kernel did not run our programs for (missed: $mi)"
done

tl_finish
