#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A finished record reaches its --csv file while the tracer runs, with no
# traffic after it: the file is flushed when the main loop is idle and at
# least once a second. Before, the 64 KiB buffer held the row until it
# filled or the run ended, so `tail -f` showed nothing and a SIGKILL lost
# it. The row is the server's (LAST_ACK > CLOSE: final at once; the
# client's waits out TIME_WAIT).
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
tl_loopback_conn "$NS" "$SP" "$CP"

# The condition, not a time bound: without a timed flush the row never
# shows while the tracer runs, however long we wait.
row=",127\\.0\\.0\\.1,$SP,127\\.0\\.0\\.1,$CP,passive,"
if ! tl_wait_line "$CSV" "$row" 20 "${TL_TRACER[tr]}"; then
	tl_check_fail "the server's row did not reach $CSV within 20 s while the tracer ran"
else
	seen=$(date +%s.%N)
	tl_check_ok "the server's row is in the file while the tracer still runs"
	end=$(tl_csv_get "$CSV" end_time lport="$SP" rport="$CP")
	# Logged, not asserted: the delay includes this loop's 50 ms poll and
	# whatever a loaded VM adds; the bound it shows is the code's
	# OUTPUTS_FLUSH_NS (0.5 s) plus one poll round.
	echo "row end_time $end, first seen $(date -u -d "@$seen" +%FT%T.%6NZ):" \
		"delay $(awk -v a="$seen" -v b="$(date -d "$end" +%s.%N)" 'BEGIN { printf "%.3f s", a - b }')"
fi
assert_eq "$(tl_alive "${TL_TRACER[tr]}" && echo running)" running "the tracer was still running when the row was checked"
tl_tracer_stop tr
assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "one server row after the stop (not written twice)"
tl_finish
