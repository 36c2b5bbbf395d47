#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Summaries tell the truth after an output fails. --csv /dev/full (ENOSPC):
# the run stops at the first failed flush, exits 1, and neither the text
# summary on stdout nor the line on stderr claims "no data lost" or records
# "written". Before, the error surfaced only at the final flush, after
# stdout had said "no data lost". `| head -1`: once the reader is gone the
# next record fails with EPIPE, the run ends by itself (status 0: the
# reader chose to stop) and stderr says how many records it did not take.
# Before, records sat in the buffer and the tracer ran on.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP

# --- ENOSPC. -d 5 only bounds the run on a tracer that does not stop.
"$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} -L "$SP" -L "$CP" -d 5 -l --csv /dev/full \
	>"$TL_WORK/full.out" 2>"$TL_WORK/full.err"
rc=$?
sed 's/^/    /' "$TL_WORK/full.err"
echo "--- stdout:"
cat "$TL_WORK/full.out"
assert_eq "$rc" 1 "--csv /dev/full exits 1"
assert_match "$(cat "$TL_WORK/full.err")" "writing output failed: No space left on device; [0-9]+ records not written" \
	"the error and what it cost"
assert_match "$(cat "$TL_WORK/full.err")" "connections? recorded \\([0-9]+ still open\\) but [1-9][0-9]* records? NOT written \\(No space left" \
	"the stderr summary does not say the records were written"
assert_not_contains "$(cat "$TL_WORK/full.out")" "no data lost" "stdout's summary does not say no data lost"
assert_match "$(cat "$TL_WORK/full.out")" "WARNING: data lost.*records not written [0-9]+: No space left" \
	"stdout's summary says records were not written"

# --- The reader goes away (| head -1): the FIFO stands for the pipe so
# that both ends' pids and statuses are ours to check.
FIFO=$TL_WORK/head.fifo
mkfifo "$FIFO"
head -n 1 <"$FIFO" >"$TL_WORK/head.out" &
hpid=$!
TL_BG_PIDS+=("$hpid")
TL_TRACER_STDOUT=$FIFO tl_tracer_start tr -L "$SP" -L "$CP" -l
# The header line is flushed while idle; head takes it and exits.
tl_wait_pid "$hpid" 20
(($? == 124)) && tl_die "head did not get its line within 20 s"
tl_log "head took: $(cat "$TL_WORK/head.out")"
tl_loopback_conn "$NS" "$SP" "$CP"
tl_tracer_wait tr 20 "of its reader going away"
rc=$?
if ((rc != 124)); then
	assert_eq "$rc" 0 "the reader went away: status 0, not an error of ours"
	assert_match "$(cat "$TL_WORK/tr.stderr")" "recorded \\([0-9]+ still open\\) but [1-9][0-9]* records? NOT written \\(Broken pipe\\)" \
		"stderr says how many records the reader did not take"
fi
tl_finish
