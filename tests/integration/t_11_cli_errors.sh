#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input gets one clear error line and the right status (2 for usage
# errors, 1 for runtime ones), and no BPF program stays attached on any
# exit path: usage error, unwritable file, write error, -d, SIGTERM.
source "$(dirname "$0")/lib.sh"
tl_need_root
tl_require bpftool

# Other tracers may run on the host (another suite, a user's): what must
# not stay behind is a program or link of ours that no process holds.
held_ids() { # "prog_id:N link_id:M ..." held through any process's fds
	grep -h -E '^(prog_id|link_id):' /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{ printf " %s%s", $1, $2 } END { print " " }'
}

tl_prog_ids() { # ids of our programs (name tl_*) loaded in the kernel
	bpftool prog show 2>/dev/null | awk '/ name tl_/ { sub(":", "", $1); print $1 }'
}

links() { # links to our programs that no process holds: gone the moment the tool exits
	local ids held
	ids=" $(tl_prog_ids | tr '\n' ' ')"
	held=$(held_ids)
	bpftool link show 2>/dev/null | awk -v ids="$ids" -v held="$held" '
		/^[0-9]+:/ { id = $1; sub(":", "", id) }
		{ for (i = 1; i < NF; i++) if ($i == "prog" && index(ids, " " $(i + 1) " ") && !index(held, " link_id:" id " ")) n++ }
		END { print n + 0 }'
}

progs() { # our programs that neither a process nor a link holds
	local held linked p n=0
	held=$(held_ids)
	linked=" $(bpftool link show 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "prog") print $(i + 1) }' | tr '\n' ' ')"
	for p in $(tl_prog_ids); do
		[[ $held == *" prog_id:$p "* || $linked == *" $p "* ]] || n=$((n + 1))
	done
	echo "$n"
}

progs_of() { # PID: our programs the process holds
	local p n=0 held
	held=" $(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ printf "%s ", $2 }')"
	for p in $(tl_prog_ids); do [[ $held == *" $p "* ]] && n=$((n + 1)); done
	echo "$n"
}

progs_settled() { # our programs loaded, once those detached at exit are freed
	# A raw tracepoint's link lets go of its program after an RCU grace
	# period: a detached program can show for a moment (seen on 6.18 with
	# tp_btf/tcp_destroy_sock). Wait (30 s deadline) for the count to come back.
	local i n
	n=$(tl_polls 30)
	for ((i = 0; i < n; i++)); do
		(($(progs) == base)) && break
		sleep 0.05
	done
	progs
}

base=0
base_links=0
assert_eq "$(progs_settled)" 0 "setup: no program of ours left behind before the test"

for args in "--bogus" "-L 70000" "-p abc" "-d 0" "--ringbuf-mb 3" "-4 -6" \
	"--metrics 99999" "--metrics 1.2.3:80" "--metrics :" "--metrics ::1:80" "--metrics localhost:80" \
	"--metrics 9465 --once" "--max-ports 0"; do
	# shellcheck disable=SC2086
	"$TL_BIN" $args >"$TL_WORK/usage.out" 2>"$TL_WORK/usage.err"
	rc=$?
	assert_eq "$rc" 2 "'$args' exits 2"
	assert_eq "$(wc -l <"$TL_WORK/usage.err")" 1 "'$args' prints one error line"
	assert_eq "$(wc -c <"$TL_WORK/usage.out")" 0 "'$args' prints nothing on stdout"
done

"$TL_BIN" --csv /nonexistent-dir/x.csv >/dev/null 2>"$TL_WORK/unwritable.err"
assert_eq "$?" 1 "unwritable --csv exits 1"
assert_eq "$(wc -l <"$TL_WORK/unwritable.err")" 1 "unwritable --csv: one error line"
assert_contains "$(cat "$TL_WORK/unwritable.err")" "/nonexistent-dir/x.csv" "the error names the file"
assert_eq "$(links)" "$base_links" "no link left after the unwritable file (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after the unwritable file"

# --metrics on a port in use (a first exporter holds it): one line naming
# the address and why, status 1, before anything is loaded.
tl_ports mport
tl_tracer_start holder -L 9 --metrics "$mport"
"$TL_BIN" -L 9 --metrics "$mport" >"$TL_WORK/inuse.out" 2>"$TL_WORK/inuse.err"
assert_eq "$?" 1 "--metrics on a port in use exits 1"
assert_eq "$(wc -l <"$TL_WORK/inuse.err")" 1 "port in use: one error line"
assert_contains "$(cat "$TL_WORK/inuse.err")" "127.0.0.1:$mport: Address already in use" "the error names the address and the cause"
tl_tracer_stop holder
assert_eq "$(links)" "$base_links" "no link left after the port in use (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after the port in use"

# A write error while running (ENOSPC on /dev/full) is reported, status 1.
"$TL_BIN" -d 1 --csv /dev/full >/dev/null 2>"$TL_WORK/full.err"
assert_eq "$?" 1 "--csv /dev/full exits 1"
assert_match "$(cat "$TL_WORK/full.err")" "writing output failed: No space left" "ENOSPC is reported"
assert_eq "$(links)" "$base_links" "no link left after a write error (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after a write error"

# -d stops by itself (timeout's 124 or 137 would say it did not), after
# running its second, status 0, CSV complete.
start=$(tl_now)
timeout -k 10 300 "$TL_BIN" -d 1 -L 9 --csv "$TL_WORK/d.csv" >/dev/null 2>"$TL_WORK/d.err"
rc=$?
end=$(tl_now)
assert_eq "$rc" "$(tl_status_for "$TL_WORK/d.err")" "-d 1 stops by itself and exits 0 (3 if it lost records)"
assert_ge "$(tl_ms "$start" "$end")" 1000 "-d 1 traced for its second"
assert_match "$(head -n1 "$TL_WORK/d.csv")" '^start_time,end_time,pid,comm,' "CSV header written"
assert_match "$(cat "$TL_WORK/d.err")" 'drops: ringbuf [0-9]+, map full [0-9]+' "summary with drop counters on stderr"
assert_eq "$(links)" "$base_links" "no link left after -d (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after -d"

# While it runs our programs are attached; SIGTERM detaches them.
tl_tracer_start term -L 9 --json "$TL_WORK/term.json"
assert_gt "$(progs_of "${TL_TRACER[term]}")" 0 "programs attached while tracing"
kill -TERM "${TL_TRACER[term]}"
wait "${TL_TRACER[term]}"
assert_eq "$?" "$(tl_status_for "$TL_WORK/term.stderr")" "SIGTERM: exit 0 (3 if it lost records)"
assert_match "$(tail -n1 "$TL_WORK/term.json")" '^\{"event":"summary",' "JSON ends with the summary object"
assert_eq "$(links)" "$base_links" "no link left after SIGTERM (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after SIGTERM"

tl_finish
