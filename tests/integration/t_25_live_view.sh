#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Issue 6: the live view, driven in tmux. A CLOSE_WAIT held by a test
# process shows with its state, the owner pid and fd `ss -tanp` names, and a
# time in state that grows; the sort keys and the state and pid filters
# change what is shown; a process name made of escape sequences is shown
# escaped; q exits 0 and SIGTERM exits 0, and both leave the terminal as it
# was (alternate screen left, cursor visible, no table on the pane). H shows
# the histogram of a state's times in the connections closed since the
# start: with the filter on ESTABLISHED, N connections held there, bucket
# counts summing to N and a max no shorter than the longest hold. L, during
# a listen overflow in a namespace of the test's own (a backlog-1 listener
# that never accepts, 2 clients filling its queue, then 6 more whose SYNs
# it drops), shows the listener: its port, owner (pid, comm, fd, as /proc
# says), namespace, accept queue 2 of backlog 1, drops = ss -tlm's d,
# overflows = TcpExtListenOverflows, and the hint naming the listen()
# backlog; L again brings the table back.
# Skipped where tmux is not installed.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK" tmux

tl_netns_new NS
tl_ports SP EP HP OP
# A tmux server of its own: nothing of the user's sessions is touched.
SOCK=tl-t25-$$
tm() { tmux -L "$SOCK" "$@"; }
tl_on_exit tmux -L "$SOCK" kill-server
tl_on_exit rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"

# The command in the pane: the tracer, then its exit status and a marker
# line, then a shell-like wait so the pane can be read after the exit.
run_view() { # NAME ARGS...: start the live view in window NAME, wait for its table
	local name=$1 i
	shift
	rm -f "$TL_WORK/$name.rc"
	tm new-window -d -n "$name" -t main \
		"$(printf '%q ' "$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} "$@") 2>$TL_WORK/$name.err; echo \$? >$TL_WORK/$name.rc; echo VIEW-EXITED; exec sleep 600"
	local n
	n=$(tl_polls 60)
	for ((i = 0; i < n; i++)); do
		screen "$name" | grep -q '^PID .*IN_STATE' && return 0
		sleep 0.05
	done
	screen "$name"
	cat "$TL_WORK/$name.err"
	tl_die "setup: live view $name did not show its table"
}
screen() { tm capture-pane -p -t "main:$1"; }
wait_rc() { # NAME: wait (30 s deadline) for the exit status file
	local i n
	n=$(tl_polls 30)
	for ((i = 0; i < n; i++)); do
		[[ -s $TL_WORK/$1.rc ]] && { cat "$TL_WORK/$1.rc"; return 0; }
		sleep 0.05
	done
	echo "none"
}
wait_screen() { # NAME ERE: wait (30 s deadline) for the pane to match
	local i n
	n=$(tl_polls 30)
	for ((i = 0; i < n; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	return 1
}

tm new-session -d -s main -x 160 -y 40 -n idle "exec sleep 600" || tl_die "tmux new-session"
tm set-option -g remain-on-exit on >/dev/null

run_view v -L "$SP" -L "$EP"
tl_log "live view up: $(screen v | head -n 1)"
# What q must undo: the view runs on the alternate screen, cursor hidden.
assert_eq "$(tm display-message -p -t main:v '#{alternate_on}')" 1 "running: alternate screen"
assert_eq "$(tm display-message -p -t main:v '#{cursor_flag}')" 0 "running: cursor hidden"

# The leak (CLOSE_WAIT on port SP), and an ESTABLISHED connection on EP
# whose server is named with escape sequences.
tl_leak_server leak "$NS" -a 127.0.0.1 -p "$SP"
tl_leak_client lcli "$NS" -a 127.0.0.1 -p "$SP" --close
hostile="$TL_WORK/"$'\e[31mred'
cp "$TL_LEAK" "$hostile"
TL_LEAK=$hostile tl_leak_server est "$NS" -a 127.0.0.1 -p "$EP"
tl_leak_client ecli "$NS" -a 127.0.0.1 -p "$EP"
LP=$(tl_kv "$TL_WORK/lcli.out" conn lport)
EPP=$(tl_kv "$TL_WORK/ecli.out" conn lport)
assert_eq "$(tl_ss "$NS" "$SP" "$LP" state)" CLOSE-WAIT "ss: the leak is in CLOSE_WAIT"

wait_screen v "127\.0\.0\.1:$EP .*ESTABLISHED" || tl_check_fail "both rows on screen"
A=$(screen v)
echo "--- screen A:"; echo "$A"
L="127.0.0.1:$SP"
E="127.0.0.1:$EP"
assert_eq "$(tl_view_field "$A" "$L" state)" CLOSE_WAIT "leak: state"
assert_eq "$(tl_view_field "$A" "$L" remote)" "127.0.0.1:$LP" "leak: remote"
assert_eq "$(tl_view_field "$A" "$L" pid)" "$(tl_ss "$NS" "$SP" "$LP" pid)" "leak: owner pid (ss)"
assert_eq "$(tl_view_field "$A" "$L" pid)" "${TL_PID[leak]}" "leak: owner pid is the test's server"
assert_eq "$(tl_view_field "$A" "$L" fd)" "$(tl_ss "$NS" "$SP" "$LP" fd)" "leak: fd (ss)"
assert_eq "$(tl_view_field "$A" "$E" state)" ESTABLISHED "other: state"
assert_eq "$(tl_view_field "$A" "$E" pid)" "$(tl_ss "$NS" "$EP" "$EPP" pid)" "other: owner pid (ss)"
assert_eq "$(tl_view_field "$A" "$E" comm)" '\x1b[31mred' "escape sequences in a name are shown escaped"
assert_match "$A" 'open by state: ESTABLISHED 1 CLOSE_WAIT 1' "per-state counts"
# Default order: longest in its state first; the leak came first.
assert_match "$A" "$L.*CLOSE_WAIT.*"$'\n'".*$E.*ESTABLISHED" "leak above the other row"
t1=$(tl_dur_ms "$(tl_view_field "$A" "$L" instate)")

# The next refreshes show a longer time in state, and never more than the
# leak's age: its CLOSE_WAIT began after the client called close() (1 ms:
# the view's rounding).
grown() { (($(tl_dur_ms "$(tl_view_field "$(screen v)" "$L" instate)") > t1)); }
tl_wait_for 30 "the time in state to grow on screen" grown
B=$(screen v)
t_b=$(tl_now)
t2=$(tl_dur_ms "$(tl_view_field "$B" "$L" instate)")
assert_gt "$t2" "$t1" "time in state grows on screen ($t1 -> $t2 ms)"
assert_le "$t2" "$(awk -v a="$(tl_ms "$(tl_kv "$TL_WORK/lcli.out" close t)" "$t_b")" 'BEGIN { print a + 1 }')" \
	"time in state on screen is no more than the leak's age"
assert_no_match "$(tl_view_field "$B" "$L" instate)" '^>=' "seen from its start: exact, no lower bound"

# < : sort by STATE (smallest first): ESTABLISHED above CLOSE_WAIT.
tm send-keys -t main:v '<'
wait_screen v '^sort STATE' || tl_check_fail "the header names the new sort column"
C=$(screen v)
assert_match "$C" "$E.*ESTABLISHED.*"$'\n'".*$L.*CLOSE_WAIT" "sorted by state: the other row first"
# r reverses it.
tm send-keys -t main:v r
wait_screen v '^sort STATE \(largest first\)' || tl_check_fail "reversed order in the header"
assert_match "$(screen v)" "$L.*CLOSE_WAIT.*"$'\n'".*$E.*ESTABLISHED" "reversed: the leak first"

# f close-wait: only the leak.
tm send-keys -t main:v f close-wait Enter
wait_screen v 'filter: state CLOSE_WAIT' || tl_check_fail "state filter in the header"
D=$(screen v)
assert_eq "$(tl_view_field "$D" "$L" state)" CLOSE_WAIT "filtered on CLOSE_WAIT: the leak shown"
assert_eq "$(tl_view_field "$D" "$E" state)" "" "filtered on CLOSE_WAIT: the other row gone"
# f (empty) then p PID: only that owner's connection.
tm send-keys -t main:v f Enter p "${TL_PID[est]}" Enter
wait_screen v "filter: pid ${TL_PID[est]}" || tl_check_fail "pid filter in the header"
P=$(screen v)
assert_eq "$(tl_view_field "$P" "$E" state)" ESTABLISHED "filtered on pid: its row shown"
assert_eq "$(tl_view_field "$P" "$L" state)" "" "filtered on pid: the leak gone"

# q: exit 0, terminal restored.
tm send-keys -t main:v q
assert_eq "$(wait_rc v)" "$(tl_status_for "$TL_WORK/v.err")" "q exits 0 (3 if it lost records)"
wait_screen v '^VIEW-EXITED' || tl_check_fail "the pane is back to the shell"
Q=$(screen v)
echo "--- screen after q:"; echo "$Q"
assert_no_match "$Q" 'IN_STATE' "after q: no table left on the terminal"
assert_eq "$(tm display-message -p -t main:v '#{alternate_on}')" 0 "after q: alternate screen left"
assert_eq "$(tm display-message -p -t main:v '#{cursor_flag}')" 1 "after q: cursor visible again"
assert_match "$(cat "$TL_WORK/v.err")" 'live view: [0-9]+ refreshes' "stderr kept for after the exit"

# SIGTERM (as from a service manager): exit 0, terminal restored too.
run_view t -L "$SP"
pid=$(pgrep -P "$(tm display-message -p -t main:t '#{pane_pid}')" -x tcplife-states)
[[ -n $pid ]] || tl_die "no tracer process in window t"
kill -TERM "$pid"
assert_eq "$(wait_rc t)" "$(tl_status_for "$TL_WORK/t.err")" "SIGTERM exits 0 (3 if it lost records)"
wait_screen t '^VIEW-EXITED' || tl_check_fail "the pane is back to the shell after SIGTERM"
assert_no_match "$(screen t)" 'IN_STATE' "after SIGTERM: no table left"
assert_eq "$(tm display-message -p -t main:t '#{alternate_on}')" 0 "after SIGTERM: alternate screen left"
assert_eq "$(tm display-message -p -t main:t '#{cursor_flag}')" 1 "after SIGTERM: cursor visible again"

# H: N connections from a client to HP, each held in ESTABLISHED for at
# least its --close-at time (counted from connect()'s return, after the
# state was entered), then reset (--linger0: ended at once, no TIME_WAIT).
# Only the client's side is traced (-D HP).
N=4 HOLD_MS=200 LONG_MS=1200
run_view h -D "$HP"
tl_peer_server hsrv "$NS" -a 127.0.0.1 -p "$HP" -n "$N" --allow-reset
tl_peer_client hshort "$NS" -a 127.0.0.1 -p "$HP" -n $((N - 1)) -c $((N - 1)) --close-at "$HOLD_MS" --linger0
t0=$(tl_now)
tl_peer_client hlong "$NS" -a 127.0.0.1 -p "$HP" --close-at "$LONG_MS" --linger0
tl_expect_exit hlong 30
t1=$(tl_now)
tl_expect_exit hshort 30
tl_expect_exit hsrv 30
wait_screen h "\($N closed since the start\)" || tl_check_fail "the $N connections closed on screen"
tm send-keys -t main:h f established Enter
wait_screen h 'filter: state ESTABLISHED' || tl_check_fail "state filter in the header"
tm send-keys -t main:h H
wait_screen h '^time in ESTABLISHED ' || tl_check_fail "H: the pane names the filter's state"
H=$(screen h)
echo "--- screen H:"; echo "$H"
buckets() { # SCREEN: the sum of the pane's bucket counts
	awk -F' : ' '/^ +\(.*\] : [0-9]+ / { split($2, b, " "); s += b[1] } END { print s + 0 }' <<<"$1"
}
head_field() { # SCREEN FIELD: "count" or "max" from the pane's title
	awk -v f="$2" '/^time in / { for (i = 1; i < NF; i++) if ($i == f) { v = $(i + 1); sub(/,$/, "", v); print v; exit } }' <<<"$1"
}
assert_eq "$(head_field "$H" count)" "$N" "H: the count is the connections closed through ESTABLISHED"
assert_eq "$(buckets "$H")" "$N" "H: the bucket counts sum to the count"
max_ms=$(tl_dur_ms "$(head_field "$H" max)")
assert_ge "$max_ms" "$LONG_MS" "H: max ($max_ms ms) is no shorter than the longest hold"
assert_le "$max_ms" "$(tl_ms "$t0" "$t1" | cut -d. -f1)" "H: max is no longer than the longest client ran"
# Right (and Tab) to the next state with data, Left back.
tm send-keys -t main:h Right
wait_screen h '^time in SYN_SENT ' || tl_check_fail "Right: the next state with data"
assert_eq "$(head_field "$(screen h)" count)" "$N" "SYN_SENT: every connection went through it"
tm send-keys -t main:h Left
wait_screen h '^time in ESTABLISHED ' || tl_check_fail "Left: back to ESTABLISHED"
# q, Esc and H return to the table; the view keeps running.
for k in q Escape H; do
	tm send-keys -t main:h "$k"
	wait_screen h '^PID .*IN_STATE' || tl_check_fail "$k: back to the table"
	assert_eq "$(cat "$TL_WORK/h.rc" 2>/dev/null)" "" "$k: the view still runs"
	[[ $k == H ]] || { tm send-keys -t main:h H; wait_screen h '^time in ' || tl_check_fail "H again"; }
done
tm send-keys -t main:h q
assert_eq "$(wait_rc h)" "$(tl_status_for "$TL_WORK/h.err")" "q from the table exits 0 (3 if it lost records)"

# L: the listener pane, during an overflow in namespace NO (no --listeners
# on the command line). Clients give up after 1+2+4 s of SYN retransmits.
tl_netns_new NO
tl_sysctl "$NO" net.ipv4.tcp_syn_retries=2
run_view l
# Two clients fill the queue first, the 6 others after (tl_listen_full says why).
tl_listen_full "$NO" "$OP" osrv ofill1 ofill2
tl_peer_client ocli "$NO" -a 127.0.0.1 -p "$OP" -n 6 -c 6 --send 0 --never-close --allow-reset --timeout 0
settled() { # the 6 clients connected or failed
	(($(grep -c '^conn ' "$TL_WORK/ocli.out") + $(grep -c 'connect' "$TL_WORK/ocli.err") == 6))
}
tl_wait_for 60 "the 6 clients given up" settled
tm send-keys -t main:l L
wait_screen l '^listeners: [0-9]+ in ' || tl_check_fail "L: the listener pane's title"
ss_drops() { tl_listen_drops "$NO" "$OP"; }
lsn_row() { screen l | grep -E "^[0-9-]+ .* 127\.0\.0\.1:$OP "; }
lsn_col() { lsn_row | awk -v c="$1" '{ print $c }'; } # 1 PID ... 9 DROPS 10 OVERFLOWS
# The drops on screen are the pane's last listing (once a second).
pane_drops() { [[ $(lsn_col 9) == "$(ss_drops)" ]]; }
tl_wait_for 30 "the pane's drops = ss's d" pane_drops
Lscr=$(screen l)
echo "--- screen L:"; echo "$Lscr"
ovf=$(tl_nstat "$NO" TcpExtListenOverflows)
echo "$NO: TcpExtListenOverflows $ovf, TcpExtListenDrops $(tl_nstat "$NO" TcpExtListenDrops), ss d $(ss_drops)"
assert_ne "$(ss_drops)" 0 "the listener dropped handshakes"
assert_eq "$(lsn_col 9)" "$(ss_drops)" "L: drops = ss -tlm's d"
assert_eq "$(lsn_col 10)" "$ovf" "L: overflows = TcpExtListenOverflows"
assert_eq "$(lsn_col 1)" "${TL_PID[osrv]}" "L: owner pid"
assert_eq "$(lsn_col 2)" tlpeer "L: owner comm"
ino=$(ip netns exec "$NO" ss -tlnHe "sport = :$OP" | grep -o 'ino:[0-9]*' | cut -d: -f2)
fd=
for f in "/proc/${TL_PID[osrv]}/fd"/*; do
	[[ $(readlink "$f") == "socket:[$ino]" ]] && fd=${f##*/}
done
assert_eq "$(lsn_col 3)" "$fd" "L: owner fd (socket inode $ino)"
assert_eq "$(lsn_col 4)" "$(stat -L -c %i "/run/netns/$NO")" "L: the namespace"
assert_eq "$(lsn_col 6)/$(lsn_col 7)" 2/1 "L: accept queue 2 of backlog 1"
assert_eq "$(lsn_col 6)" "$(tl_listen_queue "$NO" "$OP")" "L: accept queue = ss Recv-Q"
# Most drops first: every row above this one has at least as many.
above=$(awk -v me="127.0.0.1:$OP" '/^PID .*DROPS/ { on = 1; next } on && $5 == me { exit } on { print $9 }' <<<"$Lscr")
for d in $above; do
	assert_ge "$d" "$(lsn_col 9)" "L: a listener above this one has as many drops or more"
done
assert_contains "$Lscr" "hint: listener 127.0.0.1:$OP overflowed its accept queue $ovf times (TcpExtListenOverflows): its limit 1 is the application's listen() backlog" \
	"L: the hint names the listen() backlog"
tm send-keys -t main:l L
wait_screen l '^PID .*IN_STATE' || tl_check_fail "L again: back to the table"
assert_no_match "$(screen l)" '^listeners: ' "L again: the pane is gone"
assert_eq "$(cat "$TL_WORK/l.rc" 2>/dev/null)" "" "L again: the view still runs"
tm send-keys -t main:l q
assert_eq "$(wait_rc l)" "$(tl_status_for "$TL_WORK/l.err")" "q exits 0 after the listener pane (3 if it lost records)"
assert_match "$(cat "$TL_WORK/l.err")" 'listener pane: [0-9]+ listings, mean' "the listings counted at exit"

# With --listeners the watch's thread lists every listener each -i anyway:
# the pane shows that listing and makes none of its own.
run_view l2 --listeners -v
tm send-keys -t main:l2 L
wait_screen l2 '^listeners: [0-9]+ in ' || tl_check_fail "--listeners, L: the listener pane's title"
lsn_row2() { screen l2 | grep -E "^[0-9-]+ .* 127\.0\.0\.1:$OP "; }
pane2_drops() { [[ $(lsn_row2 | awk '{ print $9 }') == "$(ss_drops)" ]]; }
tl_wait_for 30 "--listeners, L: the pane's drops = ss's d" pane2_drops
assert_eq "$(lsn_row2 | awk '{ print $1 }')" "${TL_PID[osrv]}" "--listeners, L: owner pid"
tm send-keys -t main:l2 q # in the pane, q goes back to the table
wait_screen l2 '^PID .*IN_STATE' || tl_check_fail "--listeners, q in the pane: back to the table"
tm send-keys -t main:l2 q
assert_eq "$(wait_rc l2)" "$(tl_status_for "$TL_WORK/l2.err")" "--listeners, L: q exits 0 (3 if it lost records)"
assert_ne "$(grep -c 'listener listing: [0-9]* listeners' "$TL_WORK/l2.err")" 0 "--listeners: the watch listed them"
assert_eq "$(grep -c 'listener pane: ' "$TL_WORK/l2.err")" 0 \
	"--listeners, L: the pane made no listing of its own (none made, none counted)"

tl_finish
