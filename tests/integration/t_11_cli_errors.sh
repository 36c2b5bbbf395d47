#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input gets one clear error line and the right status (2 for usage
# errors, 1 for runtime ones), and no BPF program stays attached on any
# exit path: usage error, unwritable file, write error, -d, SIGTERM.
source "$(dirname "$0")/lib.sh"
tl_need_root
tl_require bpftool

progs() { # our programs currently loaded in the kernel
	bpftool prog show 2>/dev/null | grep -cE ' name tl_' || true
}

links() { # links (attachments) of our programs: gone the moment the tool exits
	local ids
	ids=$(bpftool prog show 2>/dev/null | awk '/ name tl_/ { sub(":", "", $1); print $1 }' | tr '\n' ' ')
	bpftool link show 2>/dev/null | awk -v ids=" $ids" '
		{ for (i = 1; i < NF; i++) if ($i == "prog" && index(ids, " " $(i + 1) " ")) n++ }
		END { print n + 0 }'
}

progs_settled() { # our programs loaded, once those detached at exit are freed
	# A raw tracepoint's link lets go of its program after an RCU grace
	# period: a detached program can show for a moment (seen on 6.18 with
	# tp_btf/tcp_destroy_sock). Wait up to 3 s for the count to come back.
	local i n
	for ((i = 0; i < 30; i++)); do
		n=$(progs)
		((n == base)) && break
		sleep 0.1
	done
	echo "$n"
}

base=$(progs)
base_links=$(links)

for args in "--bogus" "-L 70000" "-p abc" "-d 0" "--ringbuf-mb 3" "-4 -6"; do
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

# A write error while running (ENOSPC on /dev/full) is reported, status 1.
"$TL_BIN" -d 1 --csv /dev/full >/dev/null 2>"$TL_WORK/full.err"
assert_eq "$?" 1 "--csv /dev/full exits 1"
assert_match "$(cat "$TL_WORK/full.err")" "writing output failed: No space left" "ENOSPC is reported"
assert_eq "$(links)" "$base_links" "no link left after a write error (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after a write error"

# -d stops by itself, status 0, CSV complete.
start=$(date +%s.%N)
"$TL_BIN" -d 1 -L 9 --csv "$TL_WORK/d.csv" >/dev/null 2>"$TL_WORK/d.err"
rc=$?
end=$(date +%s.%N)
assert_eq "$rc" "$(tl_status_for "$TL_WORK/d.err")" "-d 1 exits 0 (3 if it lost records)"
assert_le "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" 10 "-d 1 stops by itself"
assert_match "$(head -n1 "$TL_WORK/d.csv")" '^start_time,end_time,pid,comm,' "CSV header written"
assert_match "$(cat "$TL_WORK/d.err")" 'drops: ringbuf [0-9]+, map full [0-9]+' "summary with drop counters on stderr"
assert_eq "$(links)" "$base_links" "no link left after -d (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after -d"

# While it runs our programs are attached; SIGTERM detaches them.
tl_tracer_start term -L 9 --json "$TL_WORK/term.json"
assert_gt "$(progs)" "$base" "programs attached while tracing"
kill -TERM "${TL_TRACER[term]}"
wait "${TL_TRACER[term]}"
assert_eq "$?" "$(tl_status_for "$TL_WORK/term.stderr")" "SIGTERM: exit 0 (3 if it lost records)"
assert_match "$(tail -n1 "$TL_WORK/term.json")" '^\{"event":"summary",' "JSON ends with the summary object"
assert_eq "$(links)" "$base_links" "no link left after SIGTERM (at once)"
assert_eq "$(progs_settled)" "$base" "no program left attached after SIGTERM"

tl_finish
