#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 13, item 3: no transition lost without a count. Three tracers at
# once (-L the server port, -D it, no filter), a client holding N
# connections killed with SIGKILL, TL_ROUNDS rounds (3 here, 1 under TCG;
# the slow suite's t_36 runs 10). The server closes each end on EOF, so every client
# end goes FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT and every server end
# CLOSE_WAIT -> LAST_ACK -> CLOSE, a thousand at once, while the other
# tracers' programs run on the same CPUs.
#
# In every tracer and round, every row's final state must be the one `ss`
# lists (TIME_WAIT for a client end, gone = CLOSE for a server end), or the
# tracer must own up to the difference: at most as many rows may differ as
# its loss counters (missed, drops, stale ...) say were lost. A state change
# the kernel skipped is healed at the socket's destruction (tcp_destroy_sock
# carries its final state): such a row agrees with ss and is counted in
# `healed`, not lost. Tracers start afresh each round, so each round's rows
# are its own (seen_from=birth); tcp_tw_reuse=0 keeps every TIME_WAIT of
# the earlier rounds from being reused by a later one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # also when t_36 sources this
tl_require

N=${TL_CONNS:-1000}
# Under TCG (TL_SLOW, the kernel matrix) one round: a tracer takes tens of
# seconds to attach there, and nine of them would outlast the scenario's
# timeout.
ROUNDS=${TL_ROUNDS:-$([[ ${TL_SLOW:-0} == 1 ]] && echo 1 || echo 3)}
tl_netns_new NS
tl_sysctl "$NS" net.ipv4.tcp_tw_reuse=0
tl_ports SP
# One handler thread per connection: every end closes at its EOF at once.
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 0 -c $((N + 16)) --quiet --timeout 0

# ss's state of each end of the round, "PEERPORT STATE", with gone ends
# (closed) as CLOSE: KEYCOL is 4 (client ends: local port) or 5 (server ends:
# the peer's port); PORTS the round's client ports.
ss_states() { # KEYCOL FILTER PORTS_FILE
	ip netns exec "$NS" ss -tanH state all exclude listening "$2" |
		awk -v col="$1" -v ports="$3" '
		BEGIN { while ((getline p < ports) > 0) want[p] = "CLOSE" }
		{ st = $1; gsub("-", "_", st); sub("ESTAB$", "ESTABLISHED", st); sub("_WAIT_", "_WAIT", st)
		  a = $col; sub(/.*:/, "", a); if (a in want) want[a] = st }
		END { for (p in want) print p, want[p] }' | sort
}

# The tracer's final state per end, "PEERPORT STATE", for ends born this round.
csv_states() { # CSV KEYCOL(lport|rport) SIDECOND
	tl_csv "$1" @ "$3" seen_from=birth |
		awk -v k="$2" '{ p = s = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ "^" k "=") p = substr($i, length(k) + 2)
				if ($i ~ /^end_state=/) s = substr($i, 11)
			}
			if (p != "") print p, s }' | sort
}

differ() { # WANT GOT: how many ends of WANT are not in GOT with the same state
	awk 'NR == FNR { got[$1] = $2; next } !($1 in got) || got[$1] != $2 { n++ } END { print n + 0 }' "$2" "$1"
}

# Each tracer's ends of one side against ss: no more may differ than it
# counts lost.
check_ends() { # SIDE KEYCOL SIDECOND SS_FILE TRACER...
	local side=$1 key=$2 cond=$3 want=$4 t d lost
	shift 4
	for t in "$@"; do
		csv_states "$TL_WORK/$t.csv" "$key" "$cond" >"$TL_WORK/$t.$side-states"
		d=$(differ "$want" "$TL_WORK/$t.$side-states")
		lost=$(tl_summary_lost "$TL_WORK/$t.stderr")
		echo "round $r, tracer $t: $side ends differing from ss $d; lost $lost, healed $(tl_tracer_count "$t" healed)"
		assert_le "$d" "$lost" "round $r, tracer $t: every $side end as ss lists it (gone = CLOSE), or counted lost"
	done
}

healed_total=0
for ((r = 1; r <= ROUNDS; r++)); do
	tl_tracer_start srv$r -L "$SP" --csv "$TL_WORK/srv$r.csv"
	tl_tracer_start cli$r -D "$SP" --csv "$TL_WORK/cli$r.csv"
	tl_tracer_start all$r --csv "$TL_WORK/all$r.csv"
	tl_peer_client peer$r "$NS" -a 127.0.0.1 -p "$SP" -n "$N" -c "$N" --never-close --timeout 0
	tl_wait_count "$TL_WORK/peer$r.out" '^conn ' "$N" 60 || tl_die "round $r: the client did not make $N connections"
	tl_wait_for 60 "round $r: $N server ends established" \
		eval '(($(ip netns exec "$NS" ss -tanH state established "sport = :$SP" | wc -l) >= N))'
	kill -KILL "${TL_PID[peer$r]}"
	# Done moving: no end left but the client's TIME_WAITs (the server closed
	# every one at its EOF).
	tl_wait_for 60 "round $r: every end closed or in TIME_WAIT" \
		eval '[[ -z $(ip netns exec "$NS" ss -tanH state all exclude listening exclude time-wait "( sport = :$SP or dport = :$SP )") ]]'
	tl_kv "$TL_WORK/peer$r.out" conn lport | sort -u >"$TL_WORK/ports$r"
	assert_eq "$(wc -l <"$TL_WORK/ports$r")" "$N" "round $r: the client's ports"
	ss_states 4 "dport = :$SP" "$TL_WORK/ports$r" >"$TL_WORK/ss-cli$r"
	ss_states 5 "sport = :$SP" "$TL_WORK/ports$r" >"$TL_WORK/ss-srv$r"
	echo "round $r: ss: client ends $(cut -d' ' -f2 "$TL_WORK/ss-cli$r" | sort | uniq -c | xargs), server ends $(cut -d' ' -f2 "$TL_WORK/ss-srv$r" | sort | uniq -c | xargs)"
	for t in srv$r cli$r all$r; do
		tl_tracer_stop "$t"
	done
	check_ends client lport rport="$SP" "$TL_WORK/ss-cli$r" cli$r all$r
	check_ends server rport lport="$SP" "$TL_WORK/ss-srv$r" srv$r all$r
	for t in srv$r cli$r all$r; do
		healed_total=$((healed_total + $(tl_tracer_count "$t" healed)))
	done
done
echo "MEASURED: $ROUNDS rounds of $N connections killed under three tracers: $healed_total rows healed"
tl_finish
