#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# SIGUSR1 rotation loses no row. logrotate's way (as for nginx): mv the
# --csv and --json files aside, send SIGUSR1, the tracer writes on to new
# files of the same names. Rounds of connections with a rotation between
# each; one rotation meets a symlink planted under the CSV's name: the
# tracer says it cannot reopen it and keeps writing the file it had (the
# moved one). Checked: the server rows of all files together == the
# namespace's TcpPassiveOpens delta, no connection twice, every CSV file
# starts with the header and every row has the header's column count,
# every JSON line is a whole object, and the last files fill while the
# tracer runs (the timed flush follows the new file).
source "$(dirname "$0")/lib.sh"
tl_require

ROUNDS=4
K=40 # connections per round
tl_netns_new NS
tl_ports SP
CSV=$TL_WORK/trace.csv
JSON=$TL_WORK/trace.json

tl_tracer_start tr -L "$SP" --csv "$CSV" --json "$JSON"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 0 -c 4 --quiet
p0=$(tl_nstat "$NS" TcpPassiveOpens)
a0=$(tl_nstat "$NS" TcpActiveOpens)

reopened() { # N: the tracer has said N "reopened csv output" lines
	(($(grep -c "reopened csv output" "$TL_WORK/tr.stderr") >= $1))
}
old_rows() { # N: trace.csv.1 and .2 hold N server rows
	(($(tl_csv_count "$CSV.1" lport="$SP") + $(tl_csv_count "$CSV.2" lport="$SP") >= $1))
}
refused() {
	grep -q "cannot reopen csv output '$CSV': it is a symbolic link.*still writing to the file opened before" \
		"$TL_WORK/tr.stderr"
}

ok=0
for ((r = 1; r <= ROUNDS; r++)); do
	tl_peer_client cli$r "$NS" -a 127.0.0.1 -p "$SP" -n "$K" -c 4 --quiet
	tl_expect_exit cli$r 60
	mv "$CSV" "$CSV.$r"
	mv "$JSON" "$JSON.$r"
	if ((r == 2)); then
		# The refused reopen: the rows go on to trace.csv.2.
		ln -s /etc/passwd "$CSV"
		kill -USR1 "${TL_TRACER[tr]}"
		tl_wait_for 20 "the tracer refuses the symlink" refused
		tl_wait_for 20 "the json file reopened" test -e "$JSON"
		tl_peer_client win "$NS" -a 127.0.0.1 -p "$SP" -n "$K" -c 4 --quiet
		tl_expect_exit win 60
		# No csv file takes rows now but the one opened before (trace.csv.2;
		# a row of round 1 may have come after the first reopen).
		tl_wait_for 20 "the rows made while the reopen was refused in trace.csv.1 + .2" \
			old_rows $((3 * K))
		rm "$CSV"
		kill -USR1 "${TL_TRACER[tr]}"
	else
		kill -USR1 "${TL_TRACER[tr]}"
	fi
	ok=$((ok + 1))
	tl_wait_for 20 "reopen number $ok of the csv file" reopened "$ok"
done
# A last round into the newest files, seen there while the tracer runs.
tl_peer_client last "$NS" -a 127.0.0.1 -p "$SP" -n "$K" -c 4 --quiet
tl_expect_exit last 60
tl_settle "$NS" "$SP"
dp=$(($(tl_nstat "$NS" TcpPassiveOpens) - p0))
assert_eq "$(($(tl_nstat "$NS" TcpActiveOpens) - a0))" $(((ROUNDS + 2) * K)) "setup: the clients opened every connection"
all_rows() { # the server rows of every csv file so far
	local f n=0
	for f in "$CSV".* "$CSV"; do n=$((n + $(tl_csv_count "$f" lport="$SP"))); done
	echo "$n"
}
# One server row per connection a client made (a child closed at birth
# is counted in TcpPassiveOpens but is none: below).
live_rows() { (($(all_rows) >= (ROUNDS + 2) * K)); }
# The newest file is written through the timed flush too: every row is in
# a file before the tracer stops.
tl_wait_for 20 "every row in the files while the tracer runs (timed flush)" live_rows
assert_eq "$(tl_alive "${TL_TRACER[tr]}" && echo running)" running "the tracer still ran when the last rows were in the file"
tl_tracer_stop tr

echo "tracer stderr:"
sed 's/^/    /' "$TL_WORK/tr.stderr"
refused && tl_check_ok "the refused reopen said why and that the old file stays" ||
	tl_check_fail "no 'cannot reopen ... symbolic link ... still writing' line"
assert_eq "$(stat -c %F "$CSV")" "regular file" "the final trace.csv is a file, not the planted link"

HDR=$(head -n 1 "$CSV.1")
NCOL=$(awk -F, '{ print NF; exit }' <<<"$HDR")
total=0
jtotal=0
for f in "$CSV".* "$CSV"; do
	n=$(tl_csv_count "$f" lport="$SP")
	echo "$(basename "$f"): $n server rows, $(wc -l <"$f") lines"
	total=$((total + n))
	assert_eq "$(head -n 1 "$f")" "$HDR" "$(basename "$f") starts with the header"
	# tlpeer's comm holds no comma: every row splits into the header's columns.
	assert_eq "$(awk -F, -v n="$NCOL" 'NF != n' "$f" | wc -l)" 0 "$(basename "$f"): every line has $NCOL columns"
done
for f in "$JSON".* "$JSON"; do
	n=$(tl_json "$f" "#" event='"conn"' lport="$SP")
	jtotal=$((jtotal + n))
	assert_eq "$(grep -cv '^{.*}$' "$f")" 0 "$(basename "$f"): every line is a whole JSON object"
done
assert_eq "$(grep -c '"event":"summary"' "$JSON")" 1 "the summary is in the last JSON file only"
assert_eq "$(cat "$JSON".* | grep -c '"event":"summary"')" 0 "no summary in the rotated JSON files"
# Less the children closed at birth (tl_tracer_twins): each counted as a
# passive open, none a connection.
twins=$(tl_tracer_twins tr)
echo "server rows: csv $total, json $jtotal; TcpPassiveOpens delta $dp (children closed at birth: $twins)"
((twins == 0)) || echo "MEASURED: children closed at birth: $twins of $dp passive opens"
assert_eq "$total" "$((dp - twins))" "CSV rows of all files == delta(TcpPassiveOpens) - children closed at birth"
assert_eq "$jtotal" "$((dp - twins))" "JSON conn lines of all files == delta(TcpPassiveOpens) - children closed at birth"
assert_eq "$(cat "$CSV".* "$CSV" | tl_csv /dev/stdin rport lport="$SP" 2>/dev/null | sort | uniq -d | wc -l)" 0 \
	"no connection written twice (client ports unique)"
tl_finish
