#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A reader of stdout that stopped reading does not hold the exit: on the
# first SIGTERM the tracer gives the blocked writes 2 s (OUTFD_GRACE_NS),
# drops what it could not write, says how many records were lost and exits
# 1. Before, the SIGTERM only interrupted the blocked write; the final flush
# blocked again and only a second signal ended the run.
#
# The reader is this shell: it holds the FIFO open (read and write) and
# never reads; the pipe is filled before the tracer writes anything.
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP
FIFO=$TL_WORK/stdout.fifo
mkfifo "$FIFO"
exec 8<>"$FIFO"
# 4 KiB writes are atomic on a pipe: the first refused one means it is full.
for ((i = 0; i < 1024; i++)); do
	dd if=/dev/zero of="$FIFO" bs=4096 count=1 oflag=nonblock status=none 2>/dev/null || break
done
tl_log "pipe full after $i 4 KiB writes"
# A first write that failed means no non-blocking dd (busybox's has no
# oflag=nonblock): the pipe would not be full and the test would prove nothing.
((i > 0 && i < 1024)) || tl_die "setup: the pipe did not fill ($i writes of 4 KiB)"

TL_TRACER_STDOUT=$FIFO tl_tracer_start tr -L "$SP" -L "$CP" -l
pid=${TL_TRACER[tr]}
tl_loopback_conn "$NS" "$SP" "$CP"

kill -TERM "$pid"
tl_log "sent one SIGTERM to the tracer (pid $pid)"
# Generous: the bound under test is "exits on the first signal", not 2 s.
tl_tracer_wait tr 20 "of one SIGTERM (a blocked write holds it)"
rc=$?
if ((rc != 124)); then
	assert_eq "$rc" 1 "exit status: records were dropped"
	assert_match "$(cat "$TL_WORK/tr.stderr")" "stopped reading.*[1-9][0-9]* records lost" \
		"stderr says how many records were lost"
fi
tl_finish
