#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bench/run.sh BUILD_DIR - the benchmark behind `sudo make bench`.
# Needs root. See bench/README.md for what each phase measures and why.
#
# Knobs (environment), defaults sized for ~12 minutes on a 2-core machine:
#   BENCH_PAIRS=7            traced/untraced pairs per output mode
#   BENCH_SECS=5             seconds per churn run in those pairs
#   BENCH_CLIENTS=2          client threads of the throughput churn
#   BENCH_STAT_RUNS=3        runs for the BPF cost per program (and floor)
#   BENCH_SUSTAIN_SECS=60    the zero-drop run
#   BENCH_SUSTAIN_CLIENTS=2  its client threads (4 were slower here: 9.1k vs 14k conn/s)
#   BENCH_MEM_COUNTS="10000 100000 1000000"  tracked connections (both ends)
#   BENCH_TW=100000          TIME_WAIT sockets for the sock_diag cost
#   BENCH_SYS_CALLS=2000000  write(2)s per run of the syscall-tax loop
#   BENCH_LIVE_N=1000000     sockets held open for the live view's phase
#   BENCH_PHASES="throughput syscall bpf sustain timewait memory live"
#   BENCH_OUT=bench/results  where the summary goes
#   BENCH_README=bench/README.md  file whose bench block is replaced ("" = none)
#
# Every run gets a fresh network namespace (TIME_WAIT from one run must not
# slow the next); only loopback inside those namespaces carries traffic.
# Throughput is compared as a ratio within a pair, the order alternating,
# and the median of the ratios is reported: the machine is shared and noisy,
# absolute rates drift by more than the tracer costs.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd) || exit 1
TL=$BUILD/tcplife-states
CHURN=$BUILD/bench/churn
FLOOR=$BUILD/bench/floor
FLOOR_OBJ=$BUILD/bench/floor.bpf.o
MINWORK_OBJ=$BUILD/bench/minwork.bpf.o
TWDIAG=$BUILD/bench/twdiag
SYSLOOP=$BUILD/bench/sysloop

PAIRS=${BENCH_PAIRS:-7}
SECS=${BENCH_SECS:-5}
CLIENTS=${BENCH_CLIENTS:-2}
STAT_RUNS=${BENCH_STAT_RUNS:-3}
SUSTAIN_SECS=${BENCH_SUSTAIN_SECS:-60}
SUSTAIN_CLIENTS=${BENCH_SUSTAIN_CLIENTS:-2}
MEM_COUNTS=${BENCH_MEM_COUNTS:-10000 100000 1000000}
TW_SOCKS=${BENCH_TW:-100000}
SYS_CALLS=${BENCH_SYS_CALLS:-2000000}
LIVE_N=${BENCH_LIVE_N:-1000000}
PHASES=${BENCH_PHASES:-throughput syscall bpf sustain timewait memory live}
OUT=${BENCH_OUT:-$ROOT/bench/results}
README=${BENCH_README-$ROOT/bench/README.md}
WORK=$BUILD/bench/work
PORT=5001

[[ $(id -u) == 0 ]] || { echo "bench: needs root (sudo make bench)"; exit 1; }
for f in "$TL" "$CHURN" "$SYSLOOP" "$FLOOR" "$FLOOR_OBJ" "$TWDIAG"; do
	[[ -e $f ]] || { echo "bench: $f missing (run through make bench)"; exit 1; }
done
rm -rf "$WORK"
mkdir -p "$WORK" "$OUT" || exit 1

# ------------------------------------------------------------ cleanup

NETNS=()
PIDS=()
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

NS_SEQ=0
ns_new() { # ns_new VAR [sysctl=value...]
	local var=$1 name="tlbench$$-$((NS_SEQ++))"
	shift
	ip netns add "$name" || die "ip netns add $name"
	NETNS+=("$name")
	ip -n "$name" link set lo up
	(($# == 0)) || ip netns exec "$name" sysctl -qw "$@" || die "sysctl $* in $name"
	printf -v "$var" '%s' "$name"
}

ns_del() {
	local keep=() n
	ip netns del "$1"
	for n in "${NETNS[@]}"; do [[ $n == "$1" ]] || keep+=("$n"); done
	NETNS=("${keep[@]}")
}

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# tracer_start NAME OUTFILE ARGS...: sets TR_PID once it traces.
tracer_start() {
	local name=$1 out=$2
	shift 2
	"$TL" "$@" >"$out" 2>"$WORK/$name.err" &
	TR_PID=$!
	PIDS+=("$TR_PID")
	for _ in $(seq 300); do
		grep -q 'tracing TCP' "$WORK/$name.err" 2>/dev/null && return 0
		kill -0 "$TR_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/$name.err" >&2
	die "tracer $name did not start"
}

# tracer_stop NAME: SIGTERM (handled like Ctrl-C), wait, sets TR_RECORDS,
# TR_DROPS (ring buffer + map full), TR_MISSED (program runs the kernel
# skipped), TR_UNSEEN (ends not seen) and TR_HEALED (rows completed from
# the socket's destruction).
tracer_stop() {
	local name=$1 line rc
	kill -TERM "$TR_PID"
	wait "$TR_PID"
	rc=$?
	forget_pid "$TR_PID"
	# 3: the run finished but records were lost, counted (under churn the
	# kernel skips some nested runs of the state program: `missed`, healed
	# at the socket's end). A measurement, not a failure: said, and kept.
	((rc == 0 || rc == 3)) || { cat "$WORK/$name.err" >&2; die "tracer $name exited $rc"; }
	line=$(grep -m1 'drops:' "$WORK/$name.err") || die "tracer $name: no summary line"
	((rc == 0)) || log "tracer $name exited 3 (records lost, counted): ${line#*drops: }"
	TR_RECORDS=$(sed -n 's/.* \([0-9][0-9]*\) records;.*/\1/p' <<<"$line")
	TR_DROPS=$(($(sed -n 's/.*ringbuf \([0-9][0-9]*\),.*/\1/p' <<<"$line") + \
		$(sed -n 's/.*map full \([0-9][0-9]*\),.*/\1/p' <<<"$line")))
	TR_MISSED=$(sed -n 's/.* missed \([0-9][0-9]*\),.*/\1/p' <<<"$line")
	TR_UNSEEN=$(sed -n 's/.* ends not seen \([0-9][0-9]*\);.*/\1/p' <<<"$line")
	TR_HEALED=$(sed -n 's/.* healed \([0-9][0-9]*\);.*/\1/p' <<<"$line")
}

# churn NS ARGS...: prints the rate (connections/s); the number of
# connections it made goes to $WORK/churn.conns.
churn() {
	local ns=$1 line
	shift
	line=$(ip netns exec "$ns" "$CHURN" -p "$PORT" "$@") || die "churn $* failed: $line"
	sed -n 's/.* conns=\([0-9]*\).*/\1/p' <<<"$line" >"$WORK/churn.conns"
	sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line"
}

# Statistics on numbers, one per line on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
met() { awk "BEGIN { print ($1) ? \"**met**\" : \"**missed**\" }"; }

others() { # tcplife-states processes not started by this script (noise)
	local n=0
	for p in $(pgrep -x tcplife-states); do
		[[ " ${PIDS[*]} " == *" $p "* ]] || n=$((n + 1))
	done
	echo "$n"
}
OTHERS_MAX=0
note_others() {
	local n
	n=$(others)
	((n > OTHERS_MAX)) && OTHERS_MAX=$n
	return 0
}

# Program ids a process holds (skeleton and links keep their fds open).
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u
}
# "name ns_per_run run_cnt run_time_ns" for each program of a process that ran.
prog_costs() {
	local id line name t c
	for id in $(prog_ids "$1"); do
		line=$(bpftool prog show id "$id" 2>/dev/null | tr '\n' ' ')
		name=$(sed -n 's/.* name \([^ ]*\) .*/\1/p' <<<"$line")
		t=$(sed -n 's/.*run_time_ns \([0-9]*\).*/\1/p' <<<"$line")
		c=$(sed -n 's/.*run_cnt \([0-9]*\).*/\1/p' <<<"$line")
		[[ -n $c && $c != 0 ]] && echo "$name $((t / c)) $c $t"
	done
}

# Sum of the memory of the BPF maps a process holds, by map type.
map_mem() { # map_mem PID -> "hash_bytes hash_max ringbuf_bytes other_bytes"
	local f
	for f in /proc/"$1"/fdinfo/*; do
		grep -q '^map_id:' "$f" 2>/dev/null && cat "$f"
	done | awk '
		/^map_type:/ { t = $2 } /^max_entries:/ { m = $2 }
		/^map_id:/ { if (id[$2]++) next
			if (t == 1) { h += mem; hm += m } else if (t == 27) r += mem; else o += mem }
		/^memlock:/ { mem = $2 }
		END { print h + 0, hm + 0, r + 0, o + 0 }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }

# ------------------------------------------------------------ phases

declare -A R # results, by key

# 1. Throughput ratio traced/untraced, per output mode.
mode_args() {
	case $1 in
	default) echo "" ;;
	csv) echo "--csv $WORK/bench.csv" ;;
	stream) echo "--stream" ;;
	nomatch) echo "-p $IDLE_PID" ;;
	esac
}

one_run() { # one_run MODE|untraced: sets RUN_RATE, RUN_DROPS
	local mode=$1 ns
	RUN_DROPS=0
	ns_new ns
	if [[ $mode != untraced ]]; then
		# shellcheck disable=SC2046
		tracer_start "tp-$mode" /dev/null $(mode_args "$mode")
	fi
	note_others
	RUN_RATE=$(churn "$ns" -t "$SECS" -c "$CLIENTS") || exit 1
	if [[ $mode != untraced ]]; then
		tracer_stop "tp-$mode"
		RUN_DROPS=$TR_DROPS
		rm -f "$WORK/bench.csv"
	fi
	ns_del "$ns"
}

phase_throughput() {
	local mode i ru rt drops
	# -p with a pid that exists and never opens a TCP connection.
	sleep 100000 &
	IDLE_PID=$!
	PIDS+=("$IDLE_PID")
	for mode in default csv stream nomatch; do
		: >"$WORK/ratios-$mode"
		drops=0
		for ((i = 0; i < PAIRS; i++)); do
			if ((i % 2 == 0)); then
				one_run untraced
				ru=$RUN_RATE
				one_run "$mode"
				rt=$RUN_RATE
			else
				one_run "$mode"
				rt=$RUN_RATE
				one_run untraced
				ru=$RUN_RATE
			fi
			drops=$((drops + RUN_DROPS))
			calc '%.3f\n' "$rt / $ru" >>"$WORK/ratios-$mode"
			log "throughput $mode pair $((i + 1))/$PAIRS: untraced $ru/s traced $rt/s"
		done
		R[tp_$mode]=$(median <"$WORK/ratios-$mode")
		R[tp_${mode}_range]=$(minmax <"$WORK/ratios-$mode")
		R[tp_${mode}_drops]=$drops
		log "throughput $mode: median ratio ${R[tp_$mode]} (range ${R[tp_${mode}_range]})"
	done
	kill "$IDLE_PID"
	wait "$IDLE_PID" 2>/dev/null
	forget_pid "$IDLE_PID"
}

# The empty programs of bench/floor.bpf.c on the tracer's hooks, or the
# object given (bench/minwork.bpf.c): FLOOR_PID.
floor_start() {
	"$FLOOR" "${1:-$FLOOR_OBJ}" >"$WORK/floor.out" 2>&1 &
	FLOOR_PID=$!
	PIDS+=("$FLOOR_PID")
	for _ in $(seq 100); do grep -q ready "$WORK/floor.out" && break; sleep 0.1; done
	grep -q ready "$WORK/floor.out" || { cat "$WORK/floor.out" >&2; die "floor did not load"; }
}
floor_stop() {
	kill -TERM "$FLOOR_PID"
	wait "$FLOOR_PID"
	forget_pid "$FLOOR_PID"
}

# 1b. The syscall tax: a loop of one-byte write(2)s to /dev/null (no TCP,
# no hook of ours cares) with nothing attached and with the tracer running
# idle, in pairs whose order alternates; the ratio of a pair is
# untraced/traced time per call. The same with only the empty programs,
# which shows how much is the attachment itself rather than our code.
sysloop_ns() { "$SYSLOOP" "$SYS_CALLS" | sed -n 's/^ns_per_call=//p'; }
sys_pair() { # sys_pair I WHO(tracer|nosys|floor) -> appends "untraced traced" ns to $WORK/sys-WHO
	local u t
	if (($1 % 2 == 0)); then u=$(sysloop_ns); fi
	case $2 in
	tracer) tracer_start "sys$1" /dev/null ;;
	nosys)
		tracer_start "sys$1" /dev/null --no-syscall-hooks
		# The owner hooks' tiers it got, from its start-up line, for the table.
		R[sys_nosys_hooks]=$(sed -n 's/^tcplife-states: tracing .*(.*\(acceptfd: [a-z_]*\), \(connect: [a-z_]*\), \(close: [a-z_]*\),.*/\1, \2, \3/p' \
			"$WORK/sys$1.err")
		;;
	*) floor_start ;;
	esac
	t=$(sysloop_ns)
	if [[ $2 == floor ]]; then floor_stop; else tracer_stop "sys$1"; fi
	if (($1 % 2)); then u=$(sysloop_ns); fi
	echo "$u $t" >>"$WORK/sys-$2"
	log "syscall tax $2 pair $(($1 + 1))/$PAIRS: untraced $u ns traced $t ns per write"
}
phase_syscall() {
	local i who
	for who in tracer nosys floor; do
		: >"$WORK/sys-$who"
		for ((i = 0; i < PAIRS; i++)); do sys_pair "$i" "$who"; done
		R[sys_$who]=$(calc '%.3f' "$(awk '{ printf "%.3f\n", $1 / $2 }' "$WORK/sys-$who" | median)")
		R[sys_${who}_range]=$(awk '{ printf "%.3f\n", $1 / $2 }' "$WORK/sys-$who" | minmax)
		R[sys_${who}_ns]="untraced $(awk '{ print $1 }' "$WORK/sys-$who" | median | xargs printf '%.0f') ns, traced $(awk '{ print $2 }' "$WORK/sys-$who" | median | xargs printf '%.0f') ns"
	done
}

# costs_of PID WHO: PID's programs' costs over the churn just run, appended
# to costs-WHO, and every program's time over the churn's connections (both
# ends: what one connection costs the kernel, all hooks together) to
# costs-WHO-per-conn.
costs_of() {
	prog_costs "$1" >"$WORK/costs-run"
	cat "$WORK/costs-run" >>"$WORK/costs-$2"
	awk -v n="$(cat "$WORK/churn.conns")" '{ t += $4 } END { printf "%.0f\n", t / n }' \
		"$WORK/costs-run" >>"$WORK/costs-$2-per-conn"
}

# 2. BPF cost per program, and the empty-program floor on the same hooks.
phase_bpf() {
	local r ns who
	sysctl -qw kernel.bpf_stats_enabled=1
	for who in tracer floor minwork; do
		: >"$WORK/costs-$who"
		: >"$WORK/costs-$who-per-conn"
	done
	for ((r = 0; r < STAT_RUNS; r++)); do
		ns_new ns
		tracer_start "bpf$r" /dev/null
		churn "$ns" -t "$SECS" -c "$CLIENTS" >/dev/null || exit 1
		costs_of "$TR_PID" tracer
		tracer_stop "bpf$r"
		ns_del "$ns"

		ns_new ns
		floor_start
		churn "$ns" -t "$SECS" -c "$CLIENTS" >/dev/null || exit 1
		costs_of "$FLOOR_PID" floor
		floor_stop
		ns_del "$ns"

		# The least a record per state change costs (minwork.bpf.c).
		ns_new ns
		floor_start "$MINWORK_OBJ"
		churn "$ns" -t "$SECS" -c "$CLIENTS" >/dev/null || exit 1
		costs_of "$FLOOR_PID" minwork
		floor_stop
		ns_del "$ns"
		log "bpf cost run $((r + 1))/$STAT_RUNS done"
	done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
}

# cost NAME FILE -> median ns/run over the runs ("-" if it never ran)
cost() {
	local v
	v=$(awk -v n="$1" '$1 == n { print $2 }' "$2" | median)
	echo "${v:--}"
}
runs() { awk -v n="$1" '$1 == n { s += $3 } END { print s + 0 }' "$2"; }

# 3. Zero-drop sustained rate and the loader's CPU.
phase_sustain() {
	local ns c0 c1 t0 t1 rate hz
	hz=$(getconf CLK_TCK)
	ns_new ns
	tracer_start sustain /dev/null
	c0=$(cpu_ticks "$TR_PID")
	t0=$(date +%s.%N)
	note_others
	rate=$(churn "$ns" -t "$SUSTAIN_SECS" -c "$SUSTAIN_CLIENTS") || exit 1
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$TR_PID")
	tracer_stop sustain
	ns_del "$ns"
	R[su_rate]=$rate
	R[su_records]=$TR_RECORDS
	R[su_rps]=$(calc '%.0f' "$TR_RECORDS / ($t1 - $t0)")
	R[su_drops]=$TR_DROPS
	R[su_missed]=${TR_MISSED:-?}
	R[su_unseen]=${TR_UNSEEN:-?}
	R[su_healed]=${TR_HEALED:-?}
	R[su_cpu_pct]=$(calc '%.1f' "100 * ($c1 - $c0) / $hz / ($t1 - $t0)")
	R[su_cpu_per_m]=$(calc '%.2f' "($c1 - $c0) / $hz / ($TR_RECORDS / 1000000)")
	log "sustain: ${R[su_rate]} conn/s, ${R[su_rps]} records/s, drops ${R[su_drops]}, loader ${R[su_cpu_pct]}% CPU"
}

# 4. sock_diag dump cost with TW_SOCKS sockets in TIME_WAIT.
phase_timewait() {
	local ns line naddr=$((TW_SOCKS / 40000 + 1))
	# The client closes first, so it holds the TIME_WAIT; no tw reuse, a
	# wide port range and several destination addresses so that every
	# connection leaves its own, and room for all of them.
	ns_new ns net.ipv4.tcp_max_tw_buckets=$((TW_SOCKS * 2 + 1024)) \
		net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=0
	churn "$ns" -n "$TW_SOCKS" -A "$naddr" -c "$CLIENTS" >/dev/null || exit 1
	line=$(ip netns exec "$ns" "$TWDIAG" -n 20) || die "twdiag: $line"
	ns_del "$ns"
	R[tw_socks]=$(sed -n 's/.*sockets=\([0-9]*\).*/\1/p' <<<"$line")
	R[tw_wall]=$(sed -n 's/.*wall_ms_median=\([0-9.]*\).*/\1/p' <<<"$line")
	R[tw_cpu]=$(sed -n 's/.*cpu_ms_per_dump=\([0-9.]*\).*/\1/p' <<<"$line")
	log "timewait: $line"
}

# 5. Memory with N tracked connections (N sockets: N/2 loopback
# connections, both ends tracked), held open. Recording (--csv): the idle
# connections are kept compact after --compact-after (5 s), so the RSS is
# read once that and a round of the sweep have passed. Then once more at the
# largest count with --batch (what stdout gets when it is not a terminal),
# which keeps every connection whole (the live view compacts: its RSS is
# bench/live.sh's).
mem_run() { # N KEY ARGS...
	local n=$1 key=$2 ns cp rss0 rss1 mem open estab
	shift 2
	ns_new ns net.ipv4.ip_local_port_range="1024 65535" net.core.somaxconn=$((n + 1024))
	tracer_start "mem$key" /dev/null --max-conns $((n + n / 4 + 4096)) "$@"
	sleep 1
	rss0=$(rss_kib "$TR_PID")
	ip netns exec "$ns" "$CHURN" -p "$PORT" --keep -n $((n / 2)) -A $((n / 2 / 20000 + 1)) \
		-c "$CLIENTS" >"$WORK/keep.out" 2>&1 &
	cp=$!
	PIDS+=("$cp")
	for _ in $(seq 1800); do
		grep -q ready "$WORK/keep.out" && break
		kill -0 "$cp" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'ready.*errors=0' "$WORK/keep.out" || { cat "$WORK/keep.out" >&2; die "churn --keep $n"; }
	# Let the loader catch up with the records (and, recording, keep the
	# idle ones compact: 5 s, then a round of the sweep), then measure.
	sleep $((8 + n / 200000))
	estab=$(ip netns exec "$ns" ss -Htan state established | wc -l)
	rss1=$(rss_kib "$TR_PID")
	mem=$(map_mem "$TR_PID")
	# Stop the tracer first: it writes the open connections and exits
	# before a million closes flood the ring buffer.
	tracer_stop "mem$key"
	open=$(sed -n 's/.*(\([0-9][0-9]*\) still open).*/\1/p' "$WORK/mem$key.err")
	[[ $key == batch ]] && once_runs "$n"
	kill -TERM "$cp"
	wait "$cp"
	forget_pid "$cp"
	ns_del "$ns"
	R[mem_${key}_estab]=$estab
	R[mem_${key}_open]=$open
	R[mem_${key}_drops]=$TR_DROPS
	R[mem_${key}_rss]=$rss1
	R[mem_${key}_rss0]=$rss0
	read -r "R[mem_${key}_hash]" "R[mem_${key}_hmax]" "R[mem_${key}_ring]" "R[mem_${key}_other]" <<<"$mem"
	log "memory $key ($*): estab $estab, loader saw $open open, RSS ${rss0}->${rss1} KiB, maps $mem, drops $TR_DROPS"
	# A million sockets take the kernel a while to free.
	sleep $((n / 100000))
}

# --once with the N sockets of mem_run still open, no other tracer
# attached: wall time of 3 runs (issue 18: <= 5 s at 1 000 000), and the
# seed's own time (sockets read before the start) as it reports it.
once_runs() { # N
	local n=$1 t0 t1 walls=() seeds=() rows
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$TL" --once --max-conns $((n + n / 4 + 4096)) >"$WORK/once.out" 2>"$WORK/once.err" ||
			die "--once with $n sockets: $(tail -1 "$WORK/once.err")"
		t1=$(date +%s.%N)
		walls+=("$(calc '%.2f' "$t1 - $t0")")
		seeds+=("$(sed -n 's/.*before the start in \([0-9]*\) ms.*/\1/p' "$WORK/once.err")")
		rows=$(($(wc -l <"$WORK/once.out") - 1))
	done
	R[once_n]=$n
	R[once_rows]=$rows
	R[once_wall]=$(printf '%s\n' "${walls[@]}" | median)
	R[once_walls]="${walls[*]}"
	R[once_seed]=$(printf '%s\n' "${seeds[@]}" | median)
	log "--once with $n sockets: ${walls[*]} s (seed ${seeds[*]} ms), $rows rows"
}

phase_memory() {
	local n
	for n in $MEM_COUNTS; do
		mem_run "$n" "$n" --csv /dev/null --compact-after 5
	done
	mem_run "$n" batch --batch
	R[mem_batch_n]=$n
}

# 6. The live view with LIVE_N sockets open (issue 18 at 1 000 000: a
# refresh of at most 100 ms, RSS at most 100 MiB): bench/live.sh holds them
# in a namespace of its own and reads the view's own cost of each refresh
# (-v) in a tmux pane. The sockets of the phase before are still being freed
# a while: their records would reach the view as a flood, so it waits for
# the host's count of TCP sockets to come back near where the run began.
tcp_alloc() { awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "alloc") print $(i + 1) }' /proc/net/sockstat; }
SOCK_BASE=$(tcp_alloc)

phase_live() {
	local out
	for _ in $(seq 240); do
		(($(tcp_alloc) <= SOCK_BASE + 1000)) && break
		sleep 0.5
	done
	if ! out=$("$ROOT/bench/live.sh" "$BUILD" "$LIVE_N" 2>&1); then
		R[live_err]=$(tail -n 1 <<<"$out")
		log "live view with $LIVE_N sockets FAILED: $out"
		return
	fi
	R[live_rss]=$(sed -n 's/^live view loader RSS with [0-9]* open connections: \([0-9]*\) MiB.*/\1/p' <<<"$out")
	read -r "R[live_open]" "R[live_median]" "R[live_max]" "R[live_count]" < <(sed -n \
		's/^live view refresh with \([0-9]*\) open connections: median \([0-9.]*\) ms, max \([0-9.]*\) ms over \([0-9]*\) refreshes.*/\1 \2 \3 \4/p' <<<"$out")
	log "live view with $LIVE_N sockets: $(grep -E '^live view' <<<"$out" | tr '\n' ' ')"
}

# ------------------------------------------------------------ run

T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ph in $PHASES; do
	log "phase $ph"
	"phase_$ph"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
T_RUN=$(($(date +%s) - T_START))

# ------------------------------------------------------------ report

kib_mib() { calc '%.1f' "$1 / 1024"; }
fmt_ratio() { # key
	[[ -n ${R[tp_$1]:-} ]] || { echo "not run"; return; }
	echo "${R[tp_$1]} (pairs ${R[tp_${1}_range]}; drops ${R[tp_${1}_drops]})"
}

report() {
	local cpu mem_gib host commit p f n
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
	host=$(grep -qw hypervisor /proc/cpuinfo && echo ", virtual machine" || echo "")
	commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)

	echo "### Benchmark results"
	echo
	echo "Machine: $cpu, $(nproc) CPUs$host, $mem_gib GiB RAM; kernel $(uname -r)."
	echo "Run: $(date -u +'%Y-%m-%d %H:%M UTC'), commit $commit, ${T_RUN} s; load average $LOAD_START at start,"
	echo "$LOAD_END at the end; other tcplife-states processes seen during runs: up to $OTHERS_MAX."
	echo "Churn: loopback, client closes first, $CLIENTS client threads, ${SECS} s per run, fresh netns per run;"
	echo "ratios are traced/untraced rates of one pair (order alternating), median of $PAIRS pairs."
	echo
	echo "| Measure | Result | Target | |"
	echo "|---|---|---|---|"
	if [[ -n ${R[tp_default]:-} ]]; then
		echo "| Throughput ratio, default output | $(fmt_ratio default) | | |"
		echo "| Throughput ratio, \`--csv FILE\` | $(fmt_ratio csv) | ≥ 0.95 | $(met "${R[tp_csv]} >= 0.95") |"
		echo "| Throughput ratio, \`--stream\` | $(fmt_ratio stream) | | |"
		echo "| Throughput ratio, \`-p\` matching nothing | $(fmt_ratio nomatch) | ≥ 0.98 | $(met "${R[tp_nomatch]} >= 0.98") |"
	fi
	if [[ -n ${R[sys_tracer]:-} ]]; then
		echo "| Syscall tax: one-byte \`write(2)\` to /dev/null, untraced/traced time per call | ${R[sys_tracer]} (pairs ${R[sys_tracer_range]}; medians ${R[sys_tracer_ns]}) | ≥ 0.98 | $(met "${R[sys_tracer]} >= 0.98") |"
		echo "| the same with only empty programs on the tracer's hooks | ${R[sys_floor]} (pairs ${R[sys_floor_range]}; medians ${R[sys_floor_ns]}) | | |"
		echo "| the same, tracer with \`--no-syscall-hooks\` (owner hooks: ${R[sys_nosys_hooks]:-?}) | ${R[sys_nosys]} (pairs ${R[sys_nosys_range]}; medians ${R[sys_nosys_ns]}) | ≥ 0.98 | $(met "${R[sys_nosys]} >= 0.98") |"
	fi
	if [[ -s $WORK/costs-tracer-per-conn ]]; then
		local pc
		pc=$(median <"$WORK/costs-tracer-per-conn")
		echo "| BPF time per connection, both ends, all the tracer's programs (run_time_ns / connections), median of $STAT_RUNS churns | $(calc '%.2f' "$pc / 1000") µs | ≤ 1.5 µs | $(met "$pc <= 1500") |"
	fi
	if [[ -s $WORK/costs-minwork-per-conn ]]; then
		echo "| the same for \`bench/minwork.bpf.c\` alone: a record per state change and an entry per socket, nothing else | $(calc '%.2f' "$(median <"$WORK/costs-minwork-per-conn") / 1000") µs | | |"
	fi
	if [[ -s $WORK/costs-tracer ]]; then
		local st fl
		st=$(cost tl_state_btf "$WORK/costs-tracer")
		fl=$(cost floor_state_btf "$WORK/costs-floor")
		echo "| BPF ns/run, state hook (tp_btf), median of $STAT_RUNS churns | $st (empty program: $fl) | ≤ 300 | $(met "\"$st\" != \"-\" && $st <= 300") |"
	fi
	if [[ -s $WORK/costs-minwork ]]; then
		echo "| the same for \`bench/minwork.bpf.c\`'s state program (the socket's entry, the clock, a 128-byte record) | $(cost minwork_state "$WORK/costs-minwork") | | |"
	fi
	if [[ -n ${R[su_rate]:-} ]]; then
		echo "| Sustained ${SUSTAIN_SECS} s, $SUSTAIN_CLIENTS client threads: drops (ring buffer full, map full) | ${R[su_drops]} at ${R[su_rate]} conn/s, ${R[su_rps]} records/s | 0 | $(met "${R[su_drops]} == 0") |"
		echo "| the same run: program runs the kernel skipped that nothing ran (\`missed\`: nested on a CPU, not rescued), and what they cost | ${R[su_missed]} lost; ${R[su_unseen]} ends not seen, ${R[su_healed]} rows healed from the socket's destruction (timing inferred) | | |"
		echo "| Loader CPU at that rate | ${R[su_cpu_pct]} % of one core; ${R[su_cpu_per_m]} CPU s per million records | ≤ 50 % | $(met "${R[su_cpu_pct]} <= 50") |"
	fi
	for n in $MEM_COUNTS; do
		[[ -n ${R[mem_${n}_rss]:-} ]] || continue
		local slot ring
		slot=$(calc '%.0f' "${R[mem_${n}_hash]} / ${R[mem_${n}_hmax]}")
		ring=$(calc '%.1f' "${R[mem_${n}_ring]} / 1048576")
		echo "| $n tracked: kernel bytes per tracked connection | $slot B (socks hash ${R[mem_${n}_hash]} B / ${R[mem_${n}_hmax]} slots; ring buffer $ring MiB more) | ≤ 256 | $(met "$slot <= 256") |"
		if [[ $n == 1000000 ]]; then
			echo "| $n tracked, recording (--csv): loader RSS | $(kib_mib "${R[mem_${n}_rss]}") MiB (at start $(kib_mib "${R[mem_${n}_rss0]}") MiB; sockets ${R[mem_${n}_estab]}, loader saw ${R[mem_${n}_open]} open, drops ${R[mem_${n}_drops]}) | ≤ 100 MiB | $(met "${R[mem_${n}_rss]} <= 102400") |"
		else
			echo "| $n tracked, recording (--csv): loader RSS | $(kib_mib "${R[mem_${n}_rss]}") MiB (at start $(kib_mib "${R[mem_${n}_rss0]}") MiB; sockets ${R[mem_${n}_estab]}, loader saw ${R[mem_${n}_open]} open, drops ${R[mem_${n}_drops]}) | | |"
		fi
	done
	if [[ -n ${R[mem_batch_rss]:-} ]]; then
		echo "| ${R[mem_batch_n]} tracked, --batch (nothing compacted): loader RSS | $(kib_mib "${R[mem_batch_rss]}") MiB (at start $(kib_mib "${R[mem_batch_rss0]}") MiB; sockets ${R[mem_batch_estab]}, loader saw ${R[mem_batch_open]} open, drops ${R[mem_batch_drops]}) | | |"
	fi
	if [[ -n ${R[once_wall]:-} ]]; then
		echo "| --once with ${R[once_n]} sockets open: wall time, median of 3 | ${R[once_wall]} s (runs ${R[once_walls]}; the seed ${R[once_seed]} ms of it; ${R[once_rows]} rows) | ≤ 5 s | $(met "${R[once_wall]} <= 5") |"
	fi
	if [[ -n ${R[live_err]:-} ]]; then
		echo "| live view with $LIVE_N sockets open | failed: ${R[live_err]} | | |"
	elif [[ -n ${R[live_median]:-} ]]; then
		echo "| live view with $LIVE_N sockets open: loader RSS (\`bench/live.sh\`) | ${R[live_rss]} MiB (${R[live_open]} open connections shown) | ≤ 100 MiB | $(met "${R[live_rss]} <= 100") |"
		echo "| live view with $LIVE_N sockets open: refresh, median of ${R[live_count]} | ${R[live_median]} ms (max ${R[live_max]} ms) | ≤ 100 ms | $(met "${R[live_median]} <= 100") |"
	fi
	if [[ -n ${R[tw_socks]:-} ]]; then
		echo "| sock_diag TIME_WAIT/FIN_WAIT2 dump with ${R[tw_socks]} such sockets | ${R[tw_wall]} ms per dump, ${R[tw_cpu]} ms CPU = $(calc '%.1f' "${R[tw_cpu]} / 10") % of a core polled every second | | |"
	fi
	if [[ -s $WORK/costs-tracer ]]; then
		echo
		echo "BPF cost per program (\`kernel.bpf_stats_enabled\`, run_time_ns / run_cnt, median of $STAT_RUNS churns),"
		echo "next to an empty program on the same hook:"
		echo
		echo "| Program | Hook | Runs | ns/run | Empty program | ns/run above it |"
		echo "|---|---|---|---|---|---|"
		for p in $(awk '{ print $1 }' "$WORK/costs-tracer" | sort -u); do
			case $p in
			tl_state_btf) f=floor_state_btf h="tp_btf/inet_sock_set_state" ;;
			tl_state_btf_rescue) f=floor_state_btf h="tp_btf/inet_sock_set_state (returns unless nested in tl_state_btf)" ;;
			tl_state_tp) f=floor_state_tp h="sock/inet_sock_set_state" ;;
			tl_accept4_exit) f=floor_accept4_exit h="syscalls/sys_exit_accept4" ;;
			tl_destroy) f=floor_destroy h="tcp/tcp_destroy_sock" ;;
			tl_destroy_btf) f=floor_destroy_btf h="tp_btf/tcp_destroy_sock" ;;
			tl_connect_enter) f="" h="syscalls/sys_enter_connect (kernels before 5.15)" ;;
			tl_connect_exit) f=floor_connect_exit h="syscalls/sys_exit_connect (kernels before 5.15)" ;;
			tl_connect_exit_regs) f=floor_connect_exit h="syscalls/sys_exit_connect (arguments from the saved registers)" ;;
			tl_close_enter) f=floor_close_enter h="syscalls/sys_enter_close (every close() on the host)" ;;
			tl_sys_close_*) f="" h="the close() syscall function (fentry/kprobe tier; every close() on the host)" ;;
			tl_sys_*) f="" h="the syscall function (fentry/kprobe tier)" ;;
			tl_holders | tl_lsn_holders | tl_seed_tcp) f="" h="iterator, run on demand" ;;
			*) f="" h="(off the churn's common path)" ;;
			esac
			local c fc d="-"
			c=$(cost "$p" "$WORK/costs-tracer")
			fc=$([[ -n $f ]] && cost "$f" "$WORK/costs-floor" || echo -)
			[[ $fc != - && $c != - ]] && d=$((c - fc))
			echo "| $p | $h | $(runs "$p" "$WORK/costs-tracer") | $c | $fc | $d |"
		done
	fi
}

STAMP=$(date -u +%Y%m%d-%H%M)
report >"$WORK/summary.md" || die "report"
cp "$WORK/summary.md" "$OUT/$STAMP-$(hostname -s).md"
cp "$WORK/summary.md" "$OUT/latest.md"
cat "$WORK/summary.md"
# The markers on lines of their own: the README also names them in its prose,
# and matching that mention replaced most of the README with the table.
if [[ -n $README && -f $README ]] && grep -qx '<!-- bench:begin -->' "$README"; then
	awk -v f="$WORK/summary.md" '
		/^<!-- bench:end -->$/ { skip = 0 }
		!skip { print }
		/^<!-- bench:begin -->$/ { while ((getline l < f) > 0) print l; skip = 1 }' "$README" >"$README.tmp" &&
		mv "$README.tmp" "$README"
	log "summary written to $OUT/latest.md and $README"
else
	log "summary written to $OUT/latest.md"
fi
