#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 6. --cgroup DIR: only connections of processes in that
# cgroup v2 directory. Server A is moved into a cgroup of the test's own,
# server B and the clients stay where they are; both servers get two
# connections. Live and with --once, only A's rows, carrying the cgroup id
# (the directory's inode).
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[[ -n $CGROOT ]] || tl_skip "no cgroup v2 hierarchy mounted"
CG=$CGROOT/tl-test-$$
mkdir "$CG" || tl_skip "cannot create a cgroup under $CGROOT"
tl_on_exit rmdir "$CG"
CGID=$(stat -c %i "$CG")

tl_netns_new NS
tl_ports PA PB
CSV=$TL_WORK/live.csv
tl_leak_server srvA "$NS" -a 127.0.0.1 -p "$PA" -n 2
tl_leak_server srvB "$NS" -a 127.0.0.1 -p "$PB" -n 2
echo "${TL_PID[srvA]}" >"$CG/cgroup.procs" || tl_die "cannot move server A into $CG"
tl_log "server A (pid ${TL_PID[srvA]}) in $CG (id $CGID): $(grep '^0::' "/proc/${TL_PID[srvA]}/cgroup")"
tl_tracer_start tr --cgroup "$CG" --csv "$CSV"
tl_leak_client cliA "$NS" -a 127.0.0.1 -p "$PA" -n 2 --send 8 --close
tl_leak_client cliB "$NS" -a 127.0.0.1 -p "$PB" -n 2 --send 8 --close
tl_wait_count "$TL_WORK/srvA.out" '^eof ' 2 10 || tl_check_fail "server A did not read 2 EOFs"
tl_wait_count "$TL_WORK/srvB.out" '^eof ' 2 10 || tl_check_fail "server B did not read 2 EOFs"
tl_settle_stop
tl_csv_show "$CSV"
ONCE=$TL_WORK/once.csv
timeout 300 "$TL_BIN" --once --cgroup "$CG" --csv - >"$ONCE" 2>"$TL_WORK/once.err"
assert_eq "$?" "$(tl_status_for "$TL_WORK/once.err")" "--once exit status"
tl_csv_show "$ONCE"

for f in "$CSV" "$ONCE"; do
	w=live
	[[ $f == "$ONCE" ]] && w=once
	assert_eq "$(tl_csv_count "$f")" 2 "$w: rows (server A's two connections)"
	assert_eq "$(tl_csv_count "$f" pid="${TL_PID[srvA]}" lport="$PA" cgroup="$CGID")" 2 \
		"$w: server A's rows, with the cgroup id"
	assert_eq "$(tl_csv_count "$f" lport="$PB")" 0 "$w: server B's rows"
	assert_eq "$(tl_csv_count "$f" rport="$PA")" 0 "$w: client rows (not in the cgroup)"
done
assert_eq "$(tl_csv_count "$ONCE" seen_from=preexisting)" 2 "once: seen_from"

echo "=== a cgroup v1 or missing directory is a usage error"
"$TL_BIN" --cgroup /proc --once >/dev/null 2>"$TL_WORK/bad.err"
assert_eq "$?" 2 "--cgroup /proc: exit status"
assert_contains "$(cat "$TL_WORK/bad.err")" "not a cgroup v2 directory" "--cgroup /proc: message"

tl_finish
