#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --metrics-file PATH, alone (a daemon: nothing on stdout), rewritten every
# second under a load of 300 connections: a reader that reads it as fast as
# it can, across several rewrites, never sees a partial file (every read
# ends with a sample of the last family, all the families declared), the
# file's mode lets a collector running as another user read it, and its
# closed total reaches the load's count (-L: the server's side of each).
# An unwritable path is one error line and exit 1, before tracing.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP
DIR=$TL_WORK/textfile
mkdir -p "$DIR"
F=$DIR/tcplife.prom
N=300

tl_tracer_start tr -L "$SP" --metrics-file "$F" -i 1
tl_wait_file "$F" 10 || tl_die "no metrics file"
assert_eq "$(stat -c %a "$F")" 644 "the file's mode: readable by a collector of another user"

ref=$(cat "$F")
lastfam=$(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$F" | tail -n 1)
types=$(grep -c '^# TYPE ' "$F")
echo "families: $types, the last: $lastfam"
assert_gt "$types" 0 "setup: families declared"

complete() { # TEXT: every family declared, the last line a sample of the last one
	local c=$1 t last
	[[ $c == *$'\n' ]] || return 1
	t=${c//"# TYPE "/}
	(((${#c} - ${#t}) / 7 == types)) || return 1
	last=${c%$'\n'}
	last=${last##*$'\n'}
	[[ $last == "$lastfam"[{\ ]* ]]
}
assert_eq "$(complete "$ref"$'\n' && echo yes)" yes "setup: the first file passes the reader's test"

tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N" --quiet
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c 2 --send 100 --quiet

# Read until the file has been replaced (a new inode: renamed over) at
# least 5 times and read 500 times, as fast as bash reads (no fork).
reads=0 partial=0 replaced=0 ino=$(stat -c %i "$F") deadline=$((SECONDS + 120))
while ((replaced < 5 || reads < 500)) && ((SECONDS < deadline)); do
	IFS= read -r -d '' c <"$F"
	reads=$((reads + 1))
	complete "$c" || { partial=$((partial + 1)); printf '%s' "$c" >"$TL_WORK/partial.$partial"; }
	if ((reads % 50 == 0)); then
		i=$(stat -c %i "$F")
		[[ $i != "$ino" ]] && replaced=$((replaced + 1)) ino=$i
	fi
done
echo "reads: $reads, replacements seen: $replaced, partial: $partial"
assert_ge "$replaced" 5 "setup: the file was replaced while read"
assert_ge "$reads" 500 "setup: the file was read many times"
assert_eq "$partial" 0 "no read saw a partial file"

tl_expect_exit cli 120 0
tl_expect_exit srv 30 0
tl_settle "$NS" "$SP"
closed_total() {
	awk '$1 ~ /^tcplife_connections_closed_total($|\{)/ { s += $NF } END { printf "%d\n", s }' "$F"
}
tl_wait_for 30 "the file counts the $N closed connections" eval '(($(closed_total) == N))'
assert_eq "$(closed_total)" "$N" "closed total = the server's $N connections"
tl_tracer_stop tr
assert_eq "$(wc -c <"$TL_WORK/tr.stdout")" 0 "--metrics-file alone: nothing on stdout"
assert_eq "$(find "$DIR" -name '*.tmp' | wc -l)" 0 "no temporary file left"
assert_eq "$(closed_total)" "$N" "after the exit: the final totals"

echo "=== an unwritable directory"
"$TL_BIN" --metrics-file /nonexistent-dir/m.prom >"$TL_WORK/bad.out" 2>"$TL_WORK/bad.err"
assert_eq "$?" 1 "unwritable --metrics-file exits 1"
assert_eq "$(wc -l <"$TL_WORK/bad.err")" 1 "one error line"
assert_contains "$(cat "$TL_WORK/bad.err")" "/nonexistent-dir/m.prom" "the error names the file"
assert_not_contains "$(cat "$TL_WORK/bad.err")" "tracing" "it stopped before tracing"

tl_finish
