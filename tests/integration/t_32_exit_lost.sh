#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A run that finished but lost records exits 3, and its summaries say so.
# The loss made here is the one the tool can be made to have on purpose:
# the same 4-tuple goes into TIME_WAIT in two network namespaces, and the
# tool settles the older timewait sock without confirming its end
# (tw_unconfirmed; conntab_minisock.c, ct_tw_begin). Before, the status
# was 0 and the text summary said "no data lost".
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS1
tl_netns_new NS2
tl_ports SP CP
JSON=$TL_WORK/trace.json

tl_tracer_start tr -L "$SP" -L "$CP" -l --json "$JSON"
tl_loopback_conn "$NS1" "$SP" "$CP"
tl_loopback_conn "$NS2" "$SP" "$CP"
# Both clients' rows stay open (TIME_WAIT, 60 s); the servers' rows are
# final at once: both in the file means the tracer has seen both ends.
tl_wait_count "$JSON" "\"lport\":$SP,\"raddr\":\"127\\.0\\.0\\.1\",\"rport\":$CP," 2 20 ||
	tl_check_fail "the two servers' records did not reach $JSON within 20 s"
kill -INT "${TL_TRACER[tr]}"
tl_tracer_wait tr 20 "of one SIGINT"
rc=$?
if ((rc != 124)); then
	assert_match "$(cat "$TL_WORK/tr.stderr")" "timewait socks not listable: [1-9]" \
		"the stderr summary counts the unconfirmed timewait sock"
	assert_eq "$rc" 3 "exit status 3: the run finished but records were lost"
	assert_ge "$(tl_json "$JSON" lost event='"summary"')" 1 "the JSON summary's lost"
	assert_match "$(cat "$TL_WORK/tr.stdout")" "# WARNING: data lost.*unconfirmed timewait sockets [1-9]" \
		"the text summary warns"
	assert_not_contains "$(cat "$TL_WORK/tr.stdout")" "no data lost" "the text summary does not say no data lost"
fi
tl_finish
