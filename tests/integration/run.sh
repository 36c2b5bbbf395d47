#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run.sh BUILD_DIR [NAME_FILTER...]
#
# Runs every tests/integration/t_*.sh in order, each in its own bash with
#   TL_BUILD=BUILD_DIR (absolute), TL_BIN=$TL_BUILD/tcplife-states,
#   TL_PEER=$TL_BUILD/tests/tlpeer
# and a timeout of TL_TEST_TIMEOUT seconds (default 120). A test exits 0
# (pass), 77 (skip, after a line "SKIP: reason") or anything else (fail).
# NAME_FILTER: run only the tests whose name contains one of them.
# Logs: $TL_BUILD/test-logs/NAME.log, and NAME.d/ with the tracer's CSV and
# stderr and the peers' output. Ends with "N passed, M failed, K skipped"
# and exits 1 if any failed.

set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-}
if [[ -z $build ]]; then
	echo "usage: $0 BUILD_DIR [NAME_FILTER...]" >&2
	exit 2
fi
shift
if [[ $(id -u) != 0 ]]; then
	echo "integration tests need root" >&2
	exit 1
fi
mkdir -p "$build/test-logs" || exit 1
TL_BUILD=$(cd "$build" && pwd)
export TL_BUILD
export TL_BIN=$TL_BUILD/tcplife-states
export TL_PEER=$TL_BUILD/tests/tlpeer
timeout_s=${TL_TEST_TIMEOUT:-120}

pass=0 fail=0 skip=0
# TL_SUITE=slow runs the slow suite (tests/integration/slow: minutes each).
suite=$here
[[ ${TL_SUITE:-} == slow ]] && suite=$here/slow
for t in "$suite"/t_*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t" .sh)
	if (($# > 0)); then
		want=0
		for f in "$@"; do [[ $name == *"$f"* ]] && want=1; done
		((want)) || continue
	fi
	log=$TL_BUILD/test-logs/$name.log
	start=$SECONDS
	# timeout signals the whole process group: the test's peers and tracer
	# get SIGTERM too, and the test's EXIT trap removes its namespaces.
	timeout -k 15 "$timeout_s" bash "$t" </dev/null >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	case $rc in
	0)
		pass=$((pass + 1))
		echo "PASS $name (${secs}s)"
		# What it measured, where a matrix run's log keeps it.
		grep '^MEASURED: ' "$log" | sed 's/^/    /'
		;;
	77)
		skip=$((skip + 1))
		reason=$(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //')
		echo "SKIP $name (${reason:-no reason given})"
		;;
	*)
		fail=$((fail + 1))
		if ((rc == 124 || rc == 137)); then
			reason="timed out after ${timeout_s}s"
		else
			reason=$(grep -m1 '^FAIL: ' "$log" | sed 's/^FAIL: //')
			reason=${reason:-exit status $rc}
		fi
		echo "FAIL $name ($reason)"
		grep '^FAIL: ' "$log" | sed -n '2,10s/^/    /p'
		echo "    --- last lines of $log:"
		tail -n ${TL_FAIL_TAIL:-15} "$log" | sed 's/^/    /'
		;;
	esac
done

echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
