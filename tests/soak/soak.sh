#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# soak.sh [BUILD_DIR] - `sudo make soak`: the tracer under SOAK_SECS
# (default 600) of connection churn, in network namespaces created and
# deleted all along, with a logrotate-style rotation (mv, SIGUSR1) of its
# --csv file every ROTATE_SECS (default 30). Not part of `make test` or CI.
#
# Each cycle makes a namespace, runs CONNS (default 200) connections in it
# (the server closes first: its side, the traced one, waits in TIME_WAIT),
# reads the namespace's TcpPassiveOpens, and puts it aside; a
# namespace is deleted once `ss` lists no socket in it, so the run holds
# no assumption about what the tracer writes for a timewait sock whose
# namespace was deleted under it. At the end the tracer is stopped first,
# then the namespaces left are deleted.
#
# Samples every SAMPLE_SECS (default 10): the tracer's VmRSS and open fd
# count. Verdict (exit 0 only if all hold):
#   - RSS flat after the first minute: no sample after WARM_SECS (default
#     120: the first namespaces are deleted at ~65 s, when the TIME_WAIT
#     population stops growing) above the largest of the samples between
#     60 s and WARM_SECS by more than RSS_SLACK_KB (default 2048);
#   - fd count flat: likewise, with FD_SLACK (default 4) fds: the tracer
#     holds 2 per namespace it lists, and how many are alive jitters;
#   (FLAT_FROM, default 60, moves the 60 s, for a short trial run)
#   - rows of all the rotated files == the namespaces' opens, each file
#     starting with the CSV header;
#   - the tracer exits 0 (nothing lost).
# SOAK_TRACER_ARGS: more tracer options (-v: its debug lines in tr.stderr).
# Its output and files: $BUILD_DIR/test-logs/soak.d/ (soak.log: the samples).
TL_BUILD=${1:-${TL_BUILD:-build}}
source "$(dirname "$0")/../integration/lib.sh"
tl_require

SOAK_SECS=${SOAK_SECS:-600}
ROTATE_SECS=${ROTATE_SECS:-30}
SAMPLE_SECS=${SAMPLE_SECS:-10}
FLAT_FROM=${FLAT_FROM:-60}
WARM_SECS=${WARM_SECS:-120}
RSS_SLACK_KB=${RSS_SLACK_KB:-2048}
CONNS=${CONNS:-200}
FD_SLACK=${FD_SLACK:-4}
# One cycle starts at most every CYCLE_SECS: with TIME_WAIT's 60 s that
# keeps ~30 namespaces alive, under the 64 the tracer lists at once
# (sockwatch.c MAX_NS; beyond, their timewait socks are not confirmed).
CYCLE_SECS=${CYCLE_SECS:-2}
# One server port for the run, 19000-19899: below the integration tests'
# 20000-31999 and the ephemeral range, and -L PORT keeps other tests'
# traffic (and their deleted namespaces) out of this tracer's table. Each
# namespace's server gets its own loopback address (127.A.B.1, lo holds
# 127/8): a fresh namespace hands out the same ephemeral ports, and the
# tracer keys a timewait sock by its 4-tuple, settling the older of two
# namespaces' identical ones unconfirmed (a lost record, exit 3).
SP=$((19000 + RANDOM % 900))
ncycles=0
CSV=$TL_WORK/soak.csv
LOG=$TL_WORK/soak.log

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

declare -A NS_OPENS=() # namespace -> PassiveOpens
DRAINING=()
opens_sum=0
rotations=0

# The namespace is gone from TL_NETNS too, so the EXIT trap does not retry it.
ns_delete() {
	local ns=$1 i
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	ip netns del "$ns" || tl_die "ip netns del $ns"
	for i in "${!TL_NETNS[@]}"; do
		[[ ${TL_NETNS[$i]} == "$ns" ]] && unset 'TL_NETNS[i]'
	done
	TL_NETNS=("${TL_NETNS[@]}")
}

# Namespaces whose sockets are all gone (TIME_WAIT ran out) are deleted.
reap() {
	local keep=() ns
	for ns in "${DRAINING[@]}"; do
		if [[ -z $(ip netns exec "$ns" ss -tanH 2>/dev/null) ]]; then
			ns_delete "$ns"
		else
			keep+=("$ns")
		fi
	done
	DRAINING=("${keep[@]}")
}

cycle() { # N: one namespace's churn
	local ns=tl-soak-$$-$ncycles o a
	a=127.$((ncycles / 250 % 250 + 1)).$((ncycles % 250 + 1)).1
	ncycles=$((ncycles + 1))
	# Named here, not by tl_netns_new (numbered by how many are alive,
	# which goes down too); registered for the EXIT trap all the same.
	ip netns add "$ns" || tl_die "ip netns add $ns"
	TL_NETNS+=("$ns")
	ip -n "$ns" link set lo up || tl_die "lo up in $ns"
	tl_peer_server srv "$ns" -a "$a" -p "$SP" -n "$CONNS" -c 4 --quiet --send 16 --close-first
	tl_peer_client cli "$ns" -a "$a" -p "$SP" -n "$CONNS" -c 4 --quiet --send 0 --wait-eof
	tl_wait_exit cli 120 || tl_die "client in $ns failed: $(tail -n 3 "$TL_WORK/cli.err")"
	tl_wait_exit srv 60 || tl_die "server in $ns failed: $(tail -n 3 "$TL_WORK/srv.err")"
	TL_BG_PIDS=() # both reaped: a later process may get their pids
	o=$(tl_nstat "$ns" TcpPassiveOpens)
	(($(tl_nstat "$ns" TcpActiveOpens) == o)) || tl_die "$ns: ActiveOpens != PassiveOpens"
	NS_OPENS[$ns]=$o
	opens_sum=$((opens_sum + o))
	DRAINING+=("$ns")
}

rotate() {
	rotations=$((rotations + 1))
	mv "$CSV" "$CSV.$rotations" || tl_die "mv $CSV"
	kill -USR1 "${TL_TRACER[tr]}"
	tl_wait_for 20 "reopen number $rotations" \
		bash -c "(( \$(grep -c 'reopened csv output' '$TL_WORK/tr.stderr') >= $rotations ))"
}

# shellcheck disable=SC2086 # SOAK_TRACER_ARGS: extra options, e.g. -v
tl_tracer_start tr -L "$SP" --csv "$CSV" ${SOAK_TRACER_ARGS:-}
pid=${TL_TRACER[tr]}
t0=$SECONDS
next_rot=$ROTATE_SECS
next_sample=0
: >"$LOG"
echo "soak: ${SOAK_SECS}s, port $SP, a namespace every ${CYCLE_SECS}s, $CONNS connections per namespace, rotation every ${ROTATE_SECS}s, tracer pid $pid"
while ((SECONDS - t0 < SOAK_SECS)); do
	c0=$(tl_now)
	cycle
	reap
	el=$((SECONDS - t0))
	if ((el >= next_rot)); then
		rotate
		next_rot=$((next_rot + ROTATE_SECS))
	fi
	if ((el >= next_sample)); then
		line="t=${el}s rss_kb=$(rss_kb "$pid") fds=$(nfds "$pid") namespaces_alive=${#DRAINING[@]} opens=$opens_sum rotations=$rotations"
		echo "$line" | tee -a "$LOG"
		next_sample=$((next_sample + SAMPLE_SECS))
	fi
	tl_alive "$pid" || tl_die "the tracer died: $(tail -n 5 "$TL_WORK/tr.stderr")"
	# Pacing, not a condition: it sets the churn's rate.
	sleep "$(awk -v a="$c0" -v b="$(tl_now)" -v c="$CYCLE_SECS" 'BEGIN { d = c - (b - a); print (d > 0 ? d : 0) }')"
done

# Stopped before the namespaces go: the rows of their TIME_WAITs are
# written open, whatever the tracer does for a deleted namespace.
kill -INT "$pid"
tl_wait_pid "$pid" 60
rc=$?
unset 'TL_TRACER[tr]'
for ns in "${DRAINING[@]}"; do ns_delete "$ns"; done
echo "tracer exited $rc; its stderr (the reopen lines left out):"
grep -v 'reopened csv output' "$TL_WORK/tr.stderr" | sed 's/^/    /'

# ----------------------------------------------------------------- verdict
assert_eq "$rc" 0 "the tracer exits 0"
shopt -s nullglob
rows=0
hdr=$(head -n 1 "$CSV.1" 2>/dev/null)
for f in "$CSV".* "$CSV"; do
	n=$(tl_csv_count "$f" lport="$SP" role=passive)
	rows=$((rows + n))
	[[ $(head -n 1 "$f") == "$hdr" ]] || tl_check_fail "$(basename "$f") does not start with the header"
done
echo "namespaces: ${#NS_OPENS[@]}, rotations: $rotations, files: $((rotations + 1))"
assert_eq "$rows" "$opens_sum" "rows of all rotated files == the namespaces' TcpPassiveOpens"
assert_ge "$rotations" $((SOAK_SECS / ROTATE_SECS - 1)) "a rotation every ${ROTATE_SECS}s"
awk -v from="$FLAT_FROM" -v warm="$WARM_SECS" -v slack="$RSS_SLACK_KB" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } t = v["t"] + 0 }
	t >= from && t <= warm && v["rss_kb"] > base { base = v["rss_kb"] }
	t > warm && v["rss_kb"] > top { top = v["rss_kb"] }
	t >= from && t <= warm && v["fds"] > fd0 { fd0 = v["fds"] }
	t > warm && v["fds"] > fdtop { fdtop = v["fds"] }
	END {
		printf "rss: largest sample in %d..%ds %d kB, after %d kB (slack %d kB); fds: largest in %d..%ds %d, after %d\n",
			from, warm, base, top, slack, from, warm, fd0, fdtop
		printf "%d %d %d %d\n", base, top, fd0, fdtop > "/dev/stderr"
	}' "$LOG" 2>"$TL_WORK/flat"
read -r base top fd0 fdtop <"$TL_WORK/flat"
if ((SOAK_SECS > WARM_SECS)); then
	assert_le "$top" $((base + RSS_SLACK_KB)) "RSS flat after the first minute (kB)"
	assert_le "$fdtop" $((fd0 + FD_SLACK)) "fd count flat after the first minute"
else
	echo "SOAK_SECS <= WARM_SECS: no flatness verdict"
fi
if ((TL_FAILS == 0)); then
	echo "soak: PASS"
else
	echo "soak: FAIL"
fi
tl_finish
