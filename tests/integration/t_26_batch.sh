#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Issue 6: -b -i 1 -n 2 prints two snapshots of the live view's table and
# exits 0; each has the CLOSE_WAIT a test process holds, with the owner and
# fd `ss -tanp` names and a time in state that grows from one to the next.
# Bare with stdout not a terminal, the same snapshots are the default. A
# client that closed first is listed in TIME_WAIT while its timewait sock
# lives.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports SP
tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP"
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" --close
CP=$(tl_kv "$TL_WORK/cli.out" conn lport)
SS_PID=$(tl_ss "$NS" "$SP" "$CP" pid)
SS_FD=$(tl_ss "$NS" "$SP" "$CP" fd)
assert_eq "$(tl_ss "$NS" "$SP" "$CP" state)" CLOSE-WAIT "ss: the server holds a CLOSE_WAIT"
assert_eq "$SS_PID" "${TL_PID[srv]}" "ss: the owner is the test's server"

OUT=$TL_WORK/batch.out
t_a=$(tl_now)
timeout 300 "$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} -b -i 1 -n 2 -L "$SP" >"$OUT" 2>"$TL_WORK/batch.err"
assert_eq "$?" "$(tl_status_for "$TL_WORK/batch.err")" "-b -i 1 -n 2 exits 0 (3 if it lost records)"
t_b=$(tl_now)
cat "$OUT"
assert_eq "$(grep -c '^tcplife-states - up' "$OUT")" 2 "two snapshots"
# One file per snapshot: snap.1, snap.2.
awk -v d="$TL_WORK" '/^tcplife-states - up/ { n++ } { print > (d "/snap." n) }' "$OUT"
for i in 1 2; do
	snap=$(cat "$TL_WORK/snap.$i")
	assert_eq "$(tl_view_field "$snap" "127.0.0.1:$SP" state)" CLOSE_WAIT "snapshot $i: state"
	assert_eq "$(tl_view_field "$snap" "127.0.0.1:$SP" remote)" "127.0.0.1:$CP" "snapshot $i: remote"
	assert_eq "$(tl_view_field "$snap" "127.0.0.1:$SP" pid)" "$SS_PID" "snapshot $i: owner pid (ss)"
	assert_eq "$(tl_view_field "$snap" "127.0.0.1:$SP" fd)" "$SS_FD" "snapshot $i: fd (ss)"
	assert_eq "$(tl_view_field "$snap" "127.0.0.1:$SP" comm)" tlleak "snapshot $i: comm"
	assert_match "$snap" 'open by state: CLOSE_WAIT 1' "snapshot $i: per-state count"
	assert_match "$snap" 'drops: none' "snapshot $i: drops shown"
done
t1=$(tl_dur_ms "$(tl_view_field "$(cat "$TL_WORK/snap.1")" "127.0.0.1:$SP" instate)")
t2=$(tl_dur_ms "$(tl_view_field "$(cat "$TL_WORK/snap.2")" "127.0.0.1:$SP" instate)")
# Open before the tracer started: a lower bound, counted from the start.
assert_match "$(tl_view_field "$(cat "$TL_WORK/snap.1")" "127.0.0.1:$SP" instate)" '^>=' "time in state is a lower bound"
# The second snapshot is later than the first, both inside the run: the
# time in state grows, by no more than the run lasted (1 ms: rounding).
assert_between "$((t2 - t1))" 1 "$(awk -v a="$(tl_ms "$t_a" "$t_b")" 'BEGIN { print a + 1 }')" "time in state grows between the snapshots"

# Bare, stdout a file: snapshots are the default.
timeout 300 "$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} -n 1 -L "$SP" >"$TL_WORK/bare.out" 2>"$TL_WORK/bare.err"
assert_eq "$?" "$(tl_status_for "$TL_WORK/bare.err")" "bare -n 1 exits 0 (3 if it lost records)"
assert_eq "$(grep -c '^tcplife-states - up' "$TL_WORK/bare.out")" 1 "bare to a file: one snapshot"
assert_eq "$(tl_view_field "$(cat "$TL_WORK/bare.out")" "127.0.0.1:$SP" pid)" "$SS_PID" "bare: owner pid"

# A client that closed first waits in its timewait sock, which the
# tracepoint never shows: it stays in the table, in TIME_WAIT, owned by the
# client, for as long as ss lists the timewait sock.
# Snapshots every second until one has shown the client's row in TIME_WAIT
# (a snapshot is written whole, then flushed), then SIGINT.
tl_ports SP2 CP2
tl_tracer_start twb -b -i 1 -L "$CP2"
OUT2=$TL_WORK/twb.stdout
tl_peer_server srv2 "$NS" -a 127.0.0.1 -p "$SP2"
tl_peer_client cli2 "$NS" -a 127.0.0.1 -p "$SP2" --bind-port "$CP2" --send 16
tl_expect_exit cli2 10
tl_expect_exit srv2 10
tl_wait_for 60 "a snapshot with the client's row in TIME_WAIT" \
	tl_wait_line "$OUT2" "^[0-9]+ +tlpeer +[0-9-]+ +127\.0\.0\.1:$CP2 .*TIME_WAIT" 0
tl_tracer_stop twb
assert_eq "$(tl_ns "$NS" ss -tanH state time-wait "( sport = :$CP2 )" | wc -l)" 1 "ss: the client's timewait sock is still there"
awk -v d="$TL_WORK" '/^tcplife-states - up/ { n++ } { print > (d "/tw." n) }' "$OUT2"
# A snapshot that shows it.
last=$(grep -l -E "127\.0\.0\.1:$CP2 .*TIME_WAIT" "$TL_WORK"/tw.* | head -n 1 | xargs cat)
echo "last snapshot:"
echo "$last"
assert_eq "$(tl_view_field "$last" "127.0.0.1:$CP2" state)" TIME_WAIT "TIME_WAIT row: state"
assert_eq "$(tl_view_field "$last" "127.0.0.1:$CP2" remote)" "127.0.0.1:$SP2" "TIME_WAIT row: remote"
assert_eq "$(tl_view_field "$last" "127.0.0.1:$CP2" pid)" "${TL_PID[cli2]}" "TIME_WAIT row: the client that closed first"
assert_match "$last" 'open by state: .*TIME_WAIT 1' "TIME_WAIT in the per-state counts"

tl_finish
