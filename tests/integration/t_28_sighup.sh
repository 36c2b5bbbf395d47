#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# SIGHUP (the terminal or the session went away) ends the run like SIGINT:
# the open connections are written, the summary printed, the file flushed,
# status 0. Before, SIGHUP's default action killed the tracer with status
# 129 and the CSV held nothing but what had filled the buffer.
source "$(dirname "$0")/lib.sh"
tl_require

tl_pair_traced
tl_loopback_conn "$NS" "$SP" "$CP"
# The server's row is final at once; once it is in the file the tracer has
# seen the connection end (the client's side waits in TIME_WAIT).
tl_wait_line "$CSV" ",127\\.0\\.0\\.1,$SP,127\\.0\\.0\\.1,$CP,passive," 20 "${TL_TRACER[tr]}" ||
	tl_check_fail "the server's row did not reach the file within 20 s"

pid=${TL_TRACER[tr]}
kill -HUP "$pid"
tl_log "sent one SIGHUP to the tracer (pid $pid)"
tl_tracer_wait tr 20 "of one SIGHUP"
rc=$?
if ((rc != 124)); then
	assert_eq "$rc" "$(tl_status_for "$TL_WORK/tr.stderr")" "exit status after SIGHUP: 0, 3 if it lost records (129 = killed by it)"
	assert_match "$(cat "$TL_WORK/tr.stderr")" "connections? written" "the summary is printed"
	assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP" closed=false)" 1 \
		"the client's open connection (TIME_WAIT) is written at exit"
	assert_eq "$(tl_csv_count "$CSV" lport="$SP" rport="$CP")" 1 "the server's row, once"
fi
tl_finish
