#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make fuzz`: run each libFuzzer target for SECS seconds on a working copy
# of its committed corpus, one line per target. Exit 1 if any found a crash,
# a leak or a sanitizer report (libFuzzer exits non-zero and writes the input
# that did it under OUTDIR/artifacts/NAME/).
# Usage: tests/fuzz/run.sh OUTDIR SECS NAME:MAX_LEN...
set -u
cd "$(dirname "$0")/../.."
out=$1 secs=$2
shift 2
rc=0
for spec in "$@"; do
	name=${spec%%:*} maxlen=${spec#*:}
	work=$out/corpus/$name art=$out/artifacts/$name log=$out/$name.log
	# The working copy keeps what earlier runs found; the committed seeds
	# are only read. Old reproducers would be taken for new ones.
	mkdir -p "$work" "$art"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/
	rm -f "$art"/*
	"$out/fuzz_$name" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	repro=$(find "$art" -type f | head -n 1)
	if [ "$status" = 0 ] && [ -z "$repro" ]; then
		echo "$name: ${runs:-?} runs, OK"
	else
		echo "$name: ${runs:-?} runs, FAILED (exit $status; reproducer: ${repro:-none}; log: $log)"
		rc=1
	fi
done
exit $rc
