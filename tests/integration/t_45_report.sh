#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `tcplife-states report` on the records of a known workload: 20 servers'
# connections each held 500 ms in CLOSE_WAIT (the server reads EOF, waits
# 500 ms, closes), traced to --csv and --json at once. The report gives
# CLOSE_WAIT count 20 and a p50 within 10 % of what the servers' own
# clocks say they held (EOF read to close(), at least 500 ms); the close causes
# are the CSV's own; the JSON file gives the same report as the CSV;
# several files and '-' add up; a header with an unknown trailing column
# still parses; a malformed line is named FILE:LINE, with exit status 1.
source "$(dirname "$0")/lib.sh"
tl_require jq

N=20
HOLD_MS=500
tl_netns_new NS
tl_ports SP
CSV=$TL_WORK/trace.csv
J=$TL_WORK/trace.json
tl_tracer_start tr -L "$SP" --csv "$CSV" --json "$J"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n "$N" --hold-close-wait "$HOLD_MS"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c "$N"
tl_expect_exit cli 30
tl_expect_exit srv 30
tl_settle "$NS"
tl_tracer_stop tr

# What the servers did: per connection, EOF read to close() called.
mapfile -t held < <(for p in $(tl_kv "$TL_WORK/srv.out" close rport); do
	tl_ms "$(tl_kv "$TL_WORK/srv.out" event t ev=eof rport="$p")" \
		"$(tl_kv "$TL_WORK/srv.out" close tcall rport="$p")"
	echo
done | sort -g)
assert_eq "${#held[@]}" "$N" "setup: the servers closed $N connections"
# Nearest rank, as the report computes it: the 10th of 20.
work_p50=${held[$((N / 2 - 1))]}
echo "servers held CLOSE_WAIT (EOF to close()): ${held[*]} ms; p50 $work_p50 ms"

R=$TL_BIN
echo "--- tcplife-states report $CSV:"
"$R" report "$CSV" | tee "$TL_WORK/report.txt" | sed 's/^/    /'
assert_eq "${PIPESTATUS[0]}" 0 "report exit status"
assert_match "$(grep '^CLOSE_WAIT ' "$TL_WORK/report.txt")" "^CLOSE_WAIT +$N " "text: CLOSE_WAIT count"
assert_match "$(cat "$TL_WORK/report.txt")" 'CLOSE_WAIT durations \(20\):' "text: CLOSE_WAIT histogram"

"$R" report --json "$CSV" >"$TL_WORK/csv.rep"
cw() { jq -r ".groups[0].states[] | select(.state == \"CLOSE_WAIT\") | .$1" "$TL_WORK/csv.rep"; }
assert_eq "$(cw count)" "$N" "CLOSE_WAIT count"
p50_ms=$(awk -v u="$(cw p50_us)" 'BEGIN { printf "%.3f", u / 1000 }')
echo "report: CLOSE_WAIT p50 $p50_ms ms"
# The servers' own clocks are the truth: under load a server closes late,
# so the nominal hold is only a lower bound (the set-up), never a window.
assert_ge "$work_p50" "$HOLD_MS" "setup: the servers held CLOSE_WAIT at least $HOLD_MS ms (p50)"
assert_between "$p50_ms" "$(awk -v h="$work_p50" 'BEGIN { print h * 0.9 }')" \
	"$(awk -v h="$work_p50" 'BEGIN { print h * 1.1 }')" "CLOSE_WAIT p50 within 10 % of the servers' p50"
assert_eq "$(jq .rows "$TL_WORK/csv.rep")" "$(tl_csv "$CSV" "#")" "rows: the CSV's"

# --by port: the servers' rows under the listener's port; --state: that
# state only.
"$R" report --by port --state close-wait "$CSV" >"$TL_WORK/by.txt"
sed 's/^/    /' "$TL_WORK/by.txt"
assert_contains "$(cat "$TL_WORK/by.txt")" "== port $SP: $N connections ==" "--by port: the listener's port"
assert_eq "$(grep -cE '^[A-Z_0-9]+ +[0-9]+ ' "$TL_WORK/by.txt")" 1 "--state close-wait: one state row"

# The close causes of the rows that ended, counted from the CSV itself.
want=$(tl_csv "$CSV" close_cause | grep -vx open | sort | uniq -c | awk '{ print $2 "=" $1 }')
got=$(jq -r '.close_causes[] | "\(.cause)=\(.count)"' "$TL_WORK/csv.rep" | sort)
assert_eq "$got" "$want" "close causes: the CSV's"

# The JSON file gives the same report (both read from '-', so that the
# file names agree too), but for its summary line, skipped.
"$R" report --json - <"$CSV" >"$TL_WORK/csv-stdin.rep"
"$R" report --json - <"$J" >"$TL_WORK/json-stdin.rep"
assert_eq "$(cmp -s <(jq 'del(.skipped)' "$TL_WORK/csv-stdin.rep") \
	<(jq 'del(.skipped)' "$TL_WORK/json-stdin.rep") && echo same)" same \
	"report --json: the CSV and the JSON file give the same document"
assert_eq "$(jq .skipped "$TL_WORK/json-stdin.rep")" "$(grep -vc '"event":"conn"' "$J")" \
	"JSON: lines that are not connection records skipped"

# Several files, one of them stdin.
"$R" report --json "$CSV" - <"$J" >"$TL_WORK/both.rep"
assert_eq "$?" 0 "report FILE - exit status"
assert_eq "$(jq -c .files "$TL_WORK/both.rep")" "[\"$CSV\",\"-\"]" "both files named"
assert_eq "$(jq '.groups[0].states[] | select(.state == "CLOSE_WAIT") | .count' "$TL_WORK/both.rep")" \
	$((2 * N)) "CLOSE_WAIT count over both files"

# A file from a version with one more column.
sed -e '1s/$/,extra/' -e '2,$s/$/,x/' "$CSV" >"$TL_WORK/extra.csv"
"$R" report --json - <"$TL_WORK/extra.csv" >"$TL_WORK/extra.rep"
assert_eq "$?" 0 "report on a CSV with an unknown trailing column: exit status"
assert_eq "$(cmp -s "$TL_WORK/extra.rep" "$TL_WORK/csv-stdin.rep" && echo same)" same \
	"an unknown trailing column changes nothing"

# Malformed lines: named FILE:LINE, exit 1, nothing on stdout.
sed '5s/$/,surplus/' "$CSV" >"$TL_WORK/bad.csv"
"$R" report "$TL_WORK/bad.csv" >"$TL_WORK/bad.out" 2>"$TL_WORK/bad.err"
assert_eq "$?" 1 "malformed CSV: exit status"
echo "stderr: $(cat "$TL_WORK/bad.err")"
assert_match "$(cat "$TL_WORK/bad.err")" "^tcplife-states: error: $TL_WORK/bad.csv:5: " "malformed CSV: FILE:LINE named"
assert_eq "$(wc -l <"$TL_WORK/bad.err")" 1 "malformed CSV: one line"
assert_eq "$(wc -c <"$TL_WORK/bad.out")" 0 "malformed CSV: no report"
sed '3s/}$//' "$J" >"$TL_WORK/bad.json"
"$R" report "$TL_WORK/bad.json" >/dev/null 2>"$TL_WORK/badj.err"
assert_eq "$?" 1 "malformed JSON: exit status"
echo "stderr: $(cat "$TL_WORK/badj.err")"
assert_match "$(cat "$TL_WORK/badj.err")" "^tcplife-states: error: $TL_WORK/bad.json:3: not JSON" "malformed JSON: FILE:LINE named"

tl_finish
