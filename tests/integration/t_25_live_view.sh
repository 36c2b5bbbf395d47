#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Issue 6: the live view, driven in tmux. A CLOSE_WAIT held by a test
# process shows with its state, the owner pid and fd `ss -tanp` names, and a
# time in state that grows; the sort keys and the state and pid filters
# change what is shown; a process name made of escape sequences is shown
# escaped; q exits 0 and SIGTERM exits 0, and both leave the terminal as it
# was (alternate screen left, cursor visible, no table on the pane).
# Skipped where tmux is not installed.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK" tmux

tl_netns_new NS
tl_ports SP EP
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

tl_finish
