# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lib.sh - sourced by tests/integration/t_*.sh. See README beside it.
#
# Environment (set by run.sh; defaults for running one test by hand from
# the repository root, e.g. `sudo bash tests/integration/t_01_...sh`):
#   TL_BUILD  build directory (default: build)
#   TL_BIN    the tracer          (default: $TL_BUILD/tcplife-states)
#   TL_PEER   the test peer       (default: $TL_BUILD/tests/tlpeer)
#   TL_LEAK   the leaking peer    (default: $TL_BUILD/tests/tlleak)
#   TL_TIER   if set, every tl_tracer_start passes --tier $TL_TIER
#             (tests/kmatrix runs the scenarios once per tier)
#   TL_COMPACT_AFTER  if set, every tl_tracer_start passes --compact-after
#             (make test-compact: 0, every connection compact at once)
#   TL_SLOW   1 under an emulator (qemu TCG, tests/kmatrix): every
#             deadline of a wait is TL_DEADLINE_SCALE (4) times longer
#
# Tests assert conditions, not clocks. A set-up step that needs something to
# have happened waits for it (tl_wait_for and the tl_wait_* helpers: a
# condition and a deadline; a missed deadline names the condition and fails
# the test as a set-up failure). A deadline is only a failure detector: it
# never shapes what is measured, and an emulator or a loaded machine gets a
# longer one. A timed action of a peer (close at, shut down at) that must
# come after a set-up step waits for the test's go (tlpeer --go-file,
# tl_go). A duration is checked against brackets the test measured on the
# same clock (tl_now, tlpeer's t=: CLOCK_MONOTONIC, as bpf_ktime_get_ns()):
# a lower bound from an interval surely inside the phase, an upper bound
# from one surely containing it, so a late step widens the brackets instead
# of failing the test; or against the kernel's own timers, with the timer
# wheel's granularity as the tolerance, said beside the assertion.
#
# Every test gets a work directory $TL_WORK = $TL_BUILD/test-logs/NAME.d
# (peer outputs, tracer CSV/stderr), emptied at start and kept afterwards.
# Everything a test creates (network namespaces, with their nft tables and
# sysctls; background processes; tracers) is registered and removed by an
# EXIT trap, also when the test fails or is interrupted.
#
# Traffic: only over lo inside the namespaces the test creates.
#
# Exit codes: 0 pass, 1 fail, 77 skip (a line "SKIP: reason" first).
# Assertions do not stop the test: they print "ok: ..." or "FAIL: ..." and
# count; tl_finish exits 1 if any failed. tl_die stops at once (setup
# errors).
#
# Helpers:
#   tl_require [EXTRA...]       root, tracer, peer, tools (skip/fail)
#   tl_ports VAR...             distinct random ports 20000..31999
#   tl_netns_new VAR            namespace with lo up; removed at exit
#   tl_pair_setup               NS, ports SP and CP, CSV (no tracer)
#   tl_pair_traced [ARGS...]    tl_pair_setup and tracer tr on both ports
#   tl_pair_connected           peers cli and srv printed "conn" (10 s)
#   tl_pair_exit CLI_S SRV_S    tl_expect_exit cli CLI_S, then srv SRV_S
#   tl_pair_show                tl_csv_show of CSV's rows on SP or CP
#   c COL / s COL               COL of the client's (lport=CP rport=SP) /
#                               the server's (lport=SP rport=CP) row in CSV
#   tl_settle_stop              tl_settle NS, then tl_tracer_stop tr
#   tl_veth NS1 A1 NS2 A2       a veth pair (offloads on) between two of them
#   tl_kernel_ge X.Y            the running kernel is X.Y or newer
#   tl_netns_del NS             delete it now (ip netns del), unregistered
#   tl_diag_socks NS PID        PID's sock_diag sockets made in NS (inodes)
#   tl_holds_any PID INODE...   PID still holds one of those sockets
#   tl_fd_links PID             readlink of each of PID's fds
#   tl_ns NS CMD... / tl_sysctl NS key=value...
#   tl_nft_drop NS VAR EXPR...  "EXPR counter drop" at INPUT (TL_NFT_CHAIN=output:
#                               at OUTPUT); handle -> VAR
#   tl_nft_packets NS H / tl_nft_undrop NS H
#   tl_nstat NS COUNTER         absolute counter in the namespace
#   tl_peer_server NAME NS ARGS...  tlpeer server; returns once listening
#   tl_peer_client NAME NS ARGS...  tlpeer client in the background
#   tl_bg NAME NS CMD...        any background command; pid in TL_PID[NAME],
#                               output in $TL_WORK/NAME.out / NAME.err
#   tl_wait_exit NAME SECS / tl_expect_exit NAME SECS [RC]
#   tl_poll_gone PID SECS       PID is gone within SECS (else false)
#   tl_wait_file FILE SECS / tl_wait_line FILE ERE SECS [PID]
#   tl_wait_for SECS DESC CMD...  run CMD until it succeeds, else a set-up
#                               failure naming DESC
#   tl_settle NS [PORT...]      wait until no connection is in a transient state
#   tl_nft_count_ge NS H N / tl_nstat_ge NS COUNTER N   conditions for tl_wait_for
#   tl_now / tl_ms T0 T1        CLOCK_MONOTONIC seconds / ms between two of them
#   tl_go                       the go for peers started with --go-file "$TL_GO"
#   tl_kv FILE PREFIX KEY [K=V...]  a value from tlpeer's key=value lines
#   tl_tracer_start NAME ARGS...    start (with --tier $TL_TIER if set), wait
#                               for "tcplife-states: tracing"; stdout to
#                               $TL_TRACER_STDOUT if set
#   tl_tracer_stop NAME         SIGINT, wait, check exit status 0
#   tl_csv FILE OUT [COND...]   OUT: column, "-" rows, "#" count, "@" dump;
#                               COND: col=v col!=v col~ere col!~ere (AND)
#   tl_csv_get / tl_csv_count / tl_csv_show
#   tl_leak_server / tl_leak_client NAME NS ARGS...  tlleak, ready when set up
#   tl_ss NS LPORT RPORT FIELD  ss -tanpe truth: state recvq pid fd ino
#   tl_listen_full NS PORT SERVER FILL1 FILL2  a backlog-1 listener that
#                               never accepts, its queue filled by two clients
#   tl_listen_queue / tl_listen_drops NS PORT   the listener's Recv-Q / ss's d
#   tl_json FILE OUT [K=V...]   JSON lines: OUT key, "#" count, "-" lines
#   tl_on_exit CMD...           run CMD at cleanup, after processes are gone
#   tl_view_field TEXT LOCAL F  a cell of the live view's / --batch's table
#   tl_dur_ms DUR               the view's "1.25s", ">=12m03s" ... in ms
#   assert_eq assert_ne assert_ge assert_le assert_gt assert_lt
#   assert_between assert_match assert_no_match assert_contains
#   assert_not_contains; tl_check_ok / tl_check_fail MSG; tl_finish

set -u -o pipefail

TL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TL_ROOT=$(cd "$TL_LIB_DIR/../.." && pwd)
TL_BUILD=${TL_BUILD:-$TL_ROOT/build}
TL_BUILD=$(cd "$TL_BUILD" 2>/dev/null && pwd || echo "$TL_BUILD")
TL_BIN=${TL_BIN:-$TL_BUILD/tcplife-states}
TL_PEER=${TL_PEER:-$TL_BUILD/tests/tlpeer}
TL_LEAK=${TL_LEAK:-$TL_BUILD/tests/tlleak}
TL_NAME=$(basename "$0" .sh)
TL_SHORT=${TL_NAME%%_[a-z]*} # t_01_client_close_first -> t_01
TL_SHORT=${TL_SHORT//_/}     # -> t01
TL_WORK=$TL_BUILD/test-logs/$TL_NAME.d
TL_FAILS=0
TL_CHECKS=0
TL_NETNS=()
TL_BG_PIDS=()
TL_EXIT_CMDS=()
declare -A TL_PID=()     # name -> pid of a background process
declare -A TL_TRACER=()  # name -> pid of a running tracer
TL_T0=$(date +%s.%N)
TL_TIER=${TL_TIER:-}
# TCG runs the VM several times slower than the host, and a loaded host is
# slow too: deadlines (failure detectors only) stretch.
TL_DEADLINE_SCALE=${TL_DEADLINE_SCALE:-1}
[[ ${TL_SLOW:-0} == 1 ]] && TL_DEADLINE_SCALE=4

rm -rf "$TL_WORK"
mkdir -p "$TL_WORK" || { echo "cannot create $TL_WORK"; exit 1; }

# ---------------------------------------------------------------- logging

tl_log() {
	printf '[%6.2f] %s\n' "$(awk -v a="$TL_T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*"
}

tl_die() {
	echo "FAIL: $*"
	exit 1
}

tl_skip() {
	echo "SKIP: $*"
	exit 77
}

tl_finish() {
	if ((TL_FAILS > 0)); then
		echo "FAIL: $TL_FAILS of $TL_CHECKS checks failed"
		exit 1
	fi
	echo "all $TL_CHECKS checks passed"
	exit 0
}

# ---------------------------------------------------------------- cleanup

tl_alive() { # PID: running and not a zombie
	[[ -r /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

tl_cleanup() {
	local rc=$? name pid ns i
	trap - EXIT INT TERM
	for name in "${!TL_TRACER[@]}"; do
		pid=${TL_TRACER[$name]}
		tl_alive "$pid" || continue
		echo "cleanup: tracer $name (pid $pid) still running: SIGINT"
		kill -INT "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do tl_alive "$pid" || break; sleep 0.1; done
		tl_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${TL_BG_PIDS[@]}"; do
		tl_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${TL_NETNS[@]}"; do
		# Only processes this test started live in its namespaces.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for pid in "${TL_BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${TL_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || echo "cleanup: could not delete netns $ns"
	done
	for i in "${!TL_EXIT_CMDS[@]}"; do
		eval "${TL_EXIT_CMDS[$i]}" || echo "cleanup: '${TL_EXIT_CMDS[$i]}' failed"
	done
	exit "$rc"
}
trap tl_cleanup EXIT
trap 'echo "interrupted (SIGINT)"; exit 130' INT
trap 'echo "interrupted (SIGTERM: timeout?)"; exit 143' TERM

# ---------------------------------------------------------------- checks

tl_need_root() {
	[[ $(id -u) == 0 ]] || tl_skip "needs root"
}

tl_require() { # [EXTRA...]: root, the tracer, the peer, the tools; EXTRA
	# is a path (must be executable: fail) or a command (missing: skip)
	tl_need_root
	[[ -x $TL_PEER ]] || tl_die "test peer $TL_PEER missing (make helpers)"
	[[ -x $TL_BIN ]] || tl_die "tracer $TL_BIN missing (make)"
	local t
	for t in ip nft nstat ss awk "$@"; do
		if [[ $t == */* ]]; then
			[[ -x $t ]] || tl_die "$t missing"
		else
			command -v "$t" >/dev/null || tl_skip "$t not installed"
		fi
	done
}

tl_port() { # random port 20000..31999 (below the default ephemeral range)
	echo $((20000 + RANDOM % 12000))
}

tl_ports() { # VAR... : distinct random ports
	local v p used=" "
	for v in "$@"; do
		while :; do
			p=$(tl_port)
			[[ $used == *" $p "* ]] || break
		done
		used+="$p "
		printf -v "$v" %s "$p"
	done
}

# ---------------------------------------------------------------- netns

tl_netns_new() { # VAR: create a namespace with lo up, store its name in VAR
	# A sequence, not the array's length: tl_netns_del shortens that.
	TL_NETNS_SEQ=$((${TL_NETNS_SEQ:-0} + 1))
	local ns="tl-$TL_SHORT-$$-$TL_NETNS_SEQ"
	ip netns add "$ns" || tl_die "ip netns add $ns"
	TL_NETNS+=("$ns")
	ip -n "$ns" link set lo up || tl_die "lo up in $ns"
	printf -v "$1" %s "$ns"
	tl_log "netns $ns created"
}

tl_veth() { # NS1 ADDR1 NS2 ADDR2: a veth pair between two of the test's
	# namespaces, ADDRs in one /30; offloads as the kernel sets them (TSO and
	# GSO on: a segment sent or retransmitted may be many on the wire)
	local dev=tlv$$-$TL_NETNS_SEQ
	ip link add "${dev}a" netns "$1" type veth peer name "${dev}b" netns "$3" ||
		tl_die "veth pair $1 <-> $3"
	ip -n "$1" addr add "$2/30" dev "${dev}a" && ip -n "$1" link set "${dev}a" up &&
		ip -n "$3" addr add "$4/30" dev "${dev}b" && ip -n "$3" link set "${dev}b" up ||
		tl_die "veth addresses $2, $4"
	tl_log "veth ${dev}a ($1, $2) <-> ${dev}b ($3, $4): $(ip -n "$1" -d link show "${dev}a" | grep -o 'gso_max_segs [0-9]*\|tso_max_segs [0-9]*' | tr '\n' ' ')"
}

tl_netns_del() { # NS: delete a namespace tl_netns_new made (no longer removed at exit)
	local i
	ip netns del "$1" || tl_die "ip netns del $1"
	for i in "${!TL_NETNS[@]}"; do
		[[ ${TL_NETNS[$i]} == "$1" ]] && unset 'TL_NETNS[i]'
	done
	tl_log "netns $1 deleted"
}

tl_fd_links() { # PID: where each of PID's fds leads (socket:[INO], a path ...)
	# ls, not a readlink per fd (a tracer holds hundreds) nor find -printf
	# (the kernel matrix's VMs have busybox's find)
	ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.* -> //p'
}

tl_diag_socks() { # NS PID: inodes of PID's NETLINK_SOCK_DIAG sockets made in NS
	# (the namespace's /proc/net/netlink lists its netlink sockets: protocol 4)
	local inos
	inos=$(ip netns exec "$1" awk 'NR > 1 && $2 == 4 { print "socket:[" $10 "]" }' /proc/net/netlink)
	[[ -n $inos ]] || return 0
	tl_fd_links "$2" | grep -Fx -- "$inos" | sed 's/^socket:\[\(.*\)\]$/\1/'
}

tl_holds_any() { # PID INODE...: PID holds a socket of one of those inodes
	local pid=$1
	shift
	tl_fd_links "$pid" | grep -Fxq -- "$(printf 'socket:[%s]\n' "$@")"
}

tl_kernel_ge() { # MAJOR.MINOR: the running kernel is that version or newer
	local want=$1 have
	have=$(uname -r | grep -o '^[0-9]*\.[0-9]*')
	[[ $(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1) == "$want" ]]
}

tl_ns() { # NS CMD...: run in the namespace
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

tl_sysctl() { # NS key=value...: namespace sysctls (net.ipv4.tcp_* are per netns)
	local ns=$1 kv
	shift
	for kv in "$@"; do
		ip netns exec "$ns" sysctl -qw "$kv" || tl_die "sysctl $kv in $ns"
	done
}

# ---------------------------------------------------------------- nft
# A table of the test's own in the namespace, chains `input` and `output`
# at those hooks; rules go to $TL_NFT_CHAIN (default input). Drops go at
# INPUT, not OUTPUT: an OUTPUT drop makes the transmit fail with EPERM, and
# older kernels then skip the retransmit tracepoint (t_24 wants exactly
# that: a retransmit that never left must not count).

tl_nft_init() { # NS
	ip netns exec "$1" nft -f - <<'EOF' || tl_die "nft table in $1"
table inet tl_test {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
EOF
}

tl_nft_drop() { # NS VAR EXPR...: add "EXPR counter drop"; rule handle -> VAR
	local ns=$1 var=$2 out h
	shift 2
	ip netns exec "$ns" nft list table inet tl_test >/dev/null 2>&1 || tl_nft_init "$ns"
	out=$(ip netns exec "$ns" nft --echo --handle add rule inet tl_test "${TL_NFT_CHAIN:-input}" "$@" counter drop 2>&1) ||
		tl_die "nft add rule $*: $out"
	h=$(sed -n 's/.*# handle \([0-9]*\).*/\1/p' <<<"$out" | head -1)
	[[ -n $h ]] || tl_die "no handle in nft output: $out"
	printf -v "$var" %s "$h"
	tl_log "nft drop (handle $h): $*"
}

tl_nft_packets() { # NS HANDLE: packets the rule has dropped so far
	ip netns exec "$1" nft -a list chain inet tl_test "${TL_NFT_CHAIN:-input}" |
		awk -v h="$2" '$0 ~ ("# handle " h "$") { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

tl_nft_undrop() { # NS HANDLE
	local n
	n=$(tl_nft_packets "$1" "$2")
	ip netns exec "$1" nft delete rule inet tl_test "${TL_NFT_CHAIN:-input}" handle "$2" || tl_die "nft delete handle $2"
	tl_log "nft rule $2 removed after dropping ${n:-?} packets"
}

# ---------------------------------------------------------------- nstat

tl_nstat() { # NS COUNTER: absolute value in the namespace (0 if absent)
	local v
	v=$(ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v c="$2" '$1 == c { print $2 }')
	echo "${v:-0}"
}

tl_retrans_sent() { # NS: retransmitted segments that left, absolute: what the
	# tool counts (TcpRetransSegs also counts a retransmit whose transmit then
	# failed, which TcpExtTCPRetransFail counts again)
	echo $(($(tl_nstat "$1" TcpRetransSegs) - $(tl_nstat "$1" TcpExtTCPRetransFail)))
}

tl_nstat_all() { # NS FILE: every counter, absolute, for the log
	ip netns exec "$1" nstat -asz >"$2" 2>&1
}

tl_nstat_moved() { # NS FILE: print the counters that moved since tl_nstat_all NS FILE
	local now
	now=$(ip netns exec "$1" nstat -asz 2>&1)
	echo "namespace counters that moved:"
	awk 'NR == FNR { b[$1] = $2; next } /^[A-Z]/ && $2 != b[$1] { printf "  %s %d\n", $1, $2 - b[$1] }' \
		"$2" - <<<"$now"
}

# ---------------------------------------------------------------- processes

tl_polls() { # TIMEOUT_S: how many 50 ms polls the (scaled) deadline allows
	awk -v t="$1" -v k="$TL_DEADLINE_SCALE" 'BEGIN { print int(t * k * 20) }'
}

tl_wait_file() { # FILE TIMEOUT_S
	local i n
	n=$(tl_polls "$2")
	for ((i = 0; i < n; i++)); do
		[[ -s $1 ]] && return 0
		sleep 0.05
	done
	[[ -s $1 ]]
}

tl_wait_line() { # FILE ERE TIMEOUT_S [PID]: wait for a line; stop early if PID died
	local i n
	n=$(tl_polls "$3")
	for ((i = 0; i < n; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		if [[ -n ${4:-} ]] && ! tl_alive "$4"; then
			grep -Eq -- "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.05
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

tl_bg() { # NAME NS CMD...: start CMD in NS in the background
	# stdout -> $TL_WORK/NAME.out, stderr -> NAME.err; pid -> TL_PID[NAME].
	# `ip netns exec` execs CMD, so the pid is CMD's own.
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TL_WORK/$name.out" 2>"$TL_WORK/$name.err" &
	TL_PID[$name]=$!
	TL_BG_PIDS+=($!)
	tl_log "started $name (pid $!) in $ns: $*"
}

tl_poll_gone() { # PID TIMEOUT_S: poll until PID is gone; false if it still runs
	local i n
	n=$(tl_polls "$2")
	for ((i = 0; i < n; i++)); do
		tl_alive "$1" || return 0
		sleep 0.05
	done
	! tl_alive "$1"
}

tl_wait_exit() { # NAME TIMEOUT_S: wait for a background process; its exit code is returned
	local name=$1 pid=${TL_PID[$1]} rc
	if ! tl_poll_gone "$pid" "$2"; then
		tl_log "$name (pid $pid) still running after $2 s"
		return 124
	fi
	wait "$pid"
	rc=$?
	tl_log "$name (pid $pid) exited $rc"
	return $rc
}

tl_wait_pid() { # PID TIMEOUT_S: wait for our child PID to exit; its status, or 124
	# if it still runs after TIMEOUT_S (it is left running)
	tl_poll_gone "$1" "$2" || return 124
	wait "$1"
}

tl_pair_setup() { # namespace NS, ports SP (server) and CP (client),
	# CSV=$TL_WORK/trace.csv; no tracer yet
	tl_netns_new NS
	tl_ports SP CP
	CSV=$TL_WORK/trace.csv
}

tl_pair_traced() { # [ARGS...]: the common opening: tl_pair_setup, and
	# tracer tr on both ports (-L SP -L CP --csv CSV ARGS...)
	tl_pair_setup
	tl_tracer_start tr -L "$SP" -L "$CP" --csv "$CSV" "$@"
}

tl_pair_connected() { # peers cli and srv (SP, CP) are connected: each printed
	# its "conn" line
	tl_wait_line "$TL_WORK/cli.out" '^conn ' 10 "${TL_PID[cli]}" || tl_die "client did not connect"
	tl_wait_line "$TL_WORK/srv.out" '^conn ' 10 "${TL_PID[srv]}" || tl_die "server did not accept"
}

tl_pair_exit() { # CLI_S SRV_S: peers cli and srv exit 0 (checked), within
	# CLI_S and SRV_S seconds
	tl_expect_exit cli "$1"
	tl_expect_exit srv "$2"
}

tl_pair_show() { # the pair's rows in CSV, for the log
	tl_csv_show "$CSV" lport~"^($SP|$CP)\$"
}

c() { # COL: the client's row in CSV (lport=CP rport=SP); a scenario may redefine it
	tl_csv_get "$CSV" "$1" lport="$CP" rport="$SP"
}

s() { # COL: the server's row in CSV (lport=SP rport=CP); a scenario may redefine it
	tl_csv_get "$CSV" "$1" lport="$SP" rport="$CP"
}

tl_settle_stop() { # the end of the traffic: NS settles, then tracer tr stops
	tl_settle "$NS"
	tl_tracer_stop tr
}

tl_tracer_wait() { # NAME TIMEOUT_S WHAT: wait for tracer NAME to exit by itself
	# (after WHAT); log its stderr and return its status, or fail the check
	# and return 124 when it still runs
	local rc
	tl_wait_pid "${TL_TRACER[$1]}" "$2"
	rc=$?
	if ((rc == 124)); then
		tl_check_fail "tracer $1 did not exit within $2 s $3"
		return 124
	fi
	tl_log "tracer $1 exited $rc; its stderr:"
	sed 's/^/    /' "$TL_WORK/$1.stderr"
	return "$rc"
}

tl_loopback_conn() { # NS SP CP: one connection 127.0.0.1:CP -> 127.0.0.1:SP that
	# carries 16 bytes and is closed by the client (its side waits in
	# TIME_WAIT; the server's row is final at once); both peers exited
	tl_peer_server srv "$1" -a 127.0.0.1 -p "$2"
	tl_peer_client cli "$1" -a 127.0.0.1 -p "$2" --bind-port "$3" --send 16
	tl_expect_exit cli 10
	tl_expect_exit srv 10
}

tl_expect_exit() { # NAME TIMEOUT_S [RC=0]: wait, and check the exit code
	local rc
	tl_wait_exit "$1" "$2"
	rc=$?
	if [[ $rc != "${3:-0}" ]]; then
		echo "--- $1 stdout (last 20 lines):"
		tail -n 20 "$TL_WORK/$1.out"
		echo "--- $1 stderr:"
		tail -n 20 "$TL_WORK/$1.err"
	fi
	assert_eq "$rc" "${3:-0}" "$1 exit status"
}

tl_peer_server() { # NAME NS ARGS...: tlpeer server; returns once it listens
	local name=$1 ns=$2
	shift 2
	rm -f "$TL_WORK/$name.ready"
	tl_bg "$name" "$ns" "$TL_PEER" server --ready-file "$TL_WORK/$name.ready" "$@"
	tl_wait_file "$TL_WORK/$name.ready" 10 || {
		cat "$TL_WORK/$name.err"
		tl_die "$name did not start listening"
	}
	local rpid
	rpid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TL_WORK/$name.ready")
	[[ $rpid == "${TL_PID[$name]}" ]] || tl_die "$name: ready file pid $rpid != $!"
}

tl_peer_client() { # NAME NS ARGS...: tlpeer client in the background
	local name=$1 ns=$2
	shift 2
	tl_bg "$name" "$ns" "$TL_PEER" client "$@"
}

tl_listen_queue() { # NS PORT: the accept queue of the listener on 127.0.0.1:PORT now (ss's Recv-Q)
	ip netns exec "$1" ss -tlnH "sport = :$2" | awk '{ print $2 }'
}

tl_listen_queue_is() { [[ $(tl_listen_queue "$1" "$2") == "$3" ]]; } # NS PORT N

tl_listen_drops() { # NS PORT: the listener's sk_drops as ss -tlm shows it (d)
	ip netns exec "$1" ss -tlnmH "sport = :$2" | grep -o ',d[0-9]*)' | tr -dc 0-9
}

tl_listen_full() { # NS PORT SERVER FILL1 FILL2: a full accept queue. Peer
	# SERVER listens on 127.0.0.1:PORT with backlog 1 and never accepts;
	# clients FILL1, then FILL2, fill its queue (backlog 1 holds two: full
	# is "more than the backlog"). Every later SYN then meets a full queue
	# in tcp_conn_request and is dropped there, counted once in sk_drops and
	# once in TcpExtListenDrops. Were the clients started together, a
	# request made before the queue filled would have its ACKs overflow
	# later, each counted by tcp_listendrop() and again by tcp_v4_rcv's
	# discard: sk_drops (ss's d) then runs ahead of TcpExtListenDrops by
	# those ACKs (228 against 225 once in the kernel matrix, one request
	# and its two SYN-ACK retransmits).
	local ns=$1 port=$2 i=1 f
	tl_peer_server "$3" "$ns" -a 127.0.0.1 -p "$port" --backlog 1 --no-accept -n 0 --timeout 0
	for f in "$4" "$5"; do
		tl_peer_client "$f" "$ns" -a 127.0.0.1 -p "$port" -n 1 --send 0 --never-close --allow-reset --timeout 0
		tl_wait_for 30 "the accept queue of $ns at $i" tl_listen_queue_is "$ns" "$port" "$i"
		i=$((i + 1))
	done
}

tl_kv() { # FILE PREFIX KEY [K=V...]: KEY's value on each line "PREFIX k=v..." matching all K=V
	local file=$1 prefix=$2 key=$3
	shift 3
	awk -v p="$prefix" -v k="$key" -v conds="$*" '
		$1 != p { next }
		{
			delete kv
			for (i = 2; i <= NF; i++) { j = index($i, "="); if (j) kv[substr($i, 1, j - 1)] = substr($i, j + 1) }
			n = split(conds, c, " ")
			for (i = 1; i <= n; i++) { j = index(c[i], "="); if (kv[substr(c[i], 1, j - 1)] != substr(c[i], j + 1)) next }
			if (k in kv) print kv[k]
		}' "$file"
}

# ---------------------------------------------------------------- tracer

tl_tracer_start() { # NAME ARGS...: start the tracer, wait until it is attached
	# stdout -> $TL_WORK/NAME.stdout (or $TL_TRACER_STDOUT: a pipe the test
	# holds), stderr -> NAME.stderr; pid -> TL_TRACER[NAME]
	local name=$1 pid
	shift
	"$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} ${TL_COMPACT_AFTER:+--compact-after "$TL_COMPACT_AFTER"} "$@" >"${TL_TRACER_STDOUT:-$TL_WORK/$name.stdout}" \
		2>"$TL_WORK/$name.stderr" &
	pid=$!
	TL_TRACER[$name]=$pid
	tl_log "tracer $name (pid $pid): $TL_BIN $*"
	if ! tl_wait_line "$TL_WORK/$name.stderr" '^tcplife-states: tracing' "${TL_TRACER_ATTACH_TIMEOUT:-60}" "$pid"; then
		echo "--- $name stderr:"
		tail -n 30 "$TL_WORK/$name.stderr"
		if tl_alive "$pid"; then
			tl_die "tracer $name not attached after ${TL_TRACER_ATTACH_TIMEOUT:-60} s"
		fi
		wait "$pid"
		tl_die "tracer $name exited ($?) before attaching"
	fi
	tl_log "tracer $name attached: $(grep -m1 '^tcplife-states: tracing' "$TL_WORK/$name.stderr")"
}

tl_status_for() { # STDERR_FILE: the status a finished run must exit with: 3 when
	# the summary line there counts lost records (drops, map full, bad, stale,
	# missed, ends not seen, timewait socks not listable), else 0. "missed" counts every
	# program run the kernel skipped, whatever the filters: other traffic on
	# a loaded machine can make it move, so tests derive the status from it
	# rather than expect 0.
	if (($(tl_summary_lost "$1") > 0)); then echo 3; else echo 0; fi
}

tl_summary_lost() { # STDERR_FILE: the sum of the loss counters on its summary line (0 if none)
	awk '/ records; drops: / {
		s = $0
		while (match(s, /(ringbuf|map full|bad records|stale|missed|gaps|ends not seen|not listable:) [0-9]+/)) {
			v = substr(s, RSTART, RLENGTH)
			sub(/.* /, "", v)
			n += v
			s = substr(s, RSTART + RLENGTH)
		}
		exit
	} END { print n + 0 }' "$1"
}

tl_tracer_count() { # NAME COUNTER: one counter of the stopped tracer's summary line
	# ("ringbuf", "missed", "gaps", "ends not seen", "healed" ...), 0 if absent;
	# the last one on the line too
	local v
	v=$(sed -n "/ records; drops: /{s/.*[:;,] $2 \([0-9][0-9]*\)\([;,].*\)\{0,1\}\$/\1/p;q}" "$TL_WORK/$1.stderr")
	echo "${v:-0}"
}

tl_tracer_stop() { # NAME: SIGINT, wait for exit, check status 0 (3 if it lost records)
	local name=$1 pid=${TL_TRACER[$1]} rc
	if ! tl_alive "$pid"; then
		wait "$pid"
		rc=$?
		echo "--- $name stderr:"
		tail -n 30 "$TL_WORK/$name.stderr"
		assert_eq "$rc" "$(tl_status_for "$TL_WORK/$name.stderr")" "tracer $name exit status (it exited before SIGINT)"
		return
	fi
	kill -INT "$pid"
	if ! tl_poll_gone "$pid" 30; then
		echo "--- $name stderr:"
		tail -n 30 "$TL_WORK/$name.stderr"
		kill -KILL "$pid"
		wait "$pid"
		tl_check_fail "tracer $name did not exit after SIGINT"
		return
	fi
	wait "$pid"
	rc=$?
	tl_log "tracer $name exited $rc; its stderr:"
	sed 's/^/    /' "$TL_WORK/$name.stderr"
	assert_eq "$rc" "$(tl_status_for "$TL_WORK/$name.stderr")" "tracer $name exit status after SIGINT"
}

# ---------------------------------------------------------------- timewait

tl_tw_listed() { # NS LPORT RPORT: the timewait sock's substate and timer, from ss ("" if none)
	ip netns exec "$1" ss -tanoH state time-wait state fin-wait-2 "( sport = :$2 and dport = :$3 )" 2>/dev/null |
		awk '{ print $1, $NF }'
}

# ---------------------------------------------------------------- conditions

tl_wait_for() { # TIMEOUT_S DESC CMD...: run CMD every 50 ms until it succeeds;
	# past the (scaled) deadline the test stops as a set-up failure naming DESC
	local secs=$1 desc=$2 i n
	shift 2
	n=$(tl_polls "$secs")
	for ((i = 0; i <= n; i++)); do
		"$@" && return 0
		((i < n)) && sleep 0.05
	done
	tl_die "setup: timed out after $(awk -v t="$secs" -v k="$TL_DEADLINE_SCALE" 'BEGIN { print t * k }') s waiting for: $desc"
}

tl_now() { # CLOCK_MONOTONIC in seconds (tlpeer's t=, bpf_ktime_get_ns()'s clock)
	"$TL_PEER" now
}

tl_ms() { # T0 T1: milliseconds from T0 to T1 (seconds, as tl_now prints them)
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'
}

tl_go() { # the go for every peer started with --go-file "$TL_GO"
	: >"$TL_GO"
	tl_log "go"
}
TL_GO=$TL_WORK/go

tl_nft_count_ge() { # NS HANDLE N: the rule has dropped at least N packets
	local v
	v=$(tl_nft_packets "$1" "$2")
	((${v:-0} >= $3))
}

tl_nstat_ge() { # NS COUNTER N: the namespace's counter is at least N
	(($(tl_nstat "$1" "$2") >= $3))
}

# Transient TCP states: a connection in one of them has kernel work (a
# retransmit, an ACK in a backlog, a softirq deferred to ksoftirqd) still to
# come, whose records the tracer has not been handed yet.
TL_TRANSIENT='state syn-sent state syn-recv state fin-wait-1 state closing state last-ack'

tl_settled() { # NS [PORT...]: no socket (of those ports, else any) in a transient state
	local ns=$1 f="" p
	shift
	for p in "$@"; do f+="${f:+ or }sport = :$p or dport = :$p"; done
	# shellcheck disable=SC2086 # the state words
	[[ -z $(ip netns exec "$ns" ss -tanH $TL_TRANSIENT ${f:+"( $f )"} 2>/dev/null) ]]
}

tl_settle() { # NS [PORT...]: wait until the connections are done moving (tl_settled):
	# what the kernel has done by then is in the tracer's ring buffer, and
	# a tracer stopped now drains it all
	tl_wait_for 60 "no connection of $1${2:+ on ports ${*:2}} in a transient state (ss $TL_TRANSIENT)" tl_settled "$@"
}

tl_tracer_tier() { # NAME HOOK: the tier the tracer's start-up line names for HOOK
	sed -n "s/^tcplife-states: tracing .*[(, ]$2: \([a-z_]*\).*/\1/p" "$TL_WORK/$1.stderr" | head -n 1
}

tl_tracer_missed() { # NAME: the events the kernel skipped the stopped tracer's programs for
	tl_tracer_count "$1" missed
}

tl_tracer_twins() { # NAME: the passive children the stopped tracer saw closed at
	# birth, never hashed (summary.c): the loser of two ACKs of one request
	# handled at once on two CPUs, or a child whose creation failed. Each
	# was counted in TcpPassiveOpens (tcp_create_openreq_child()) and is no
	# connection, so has no row (t_10, t_37).
	tl_tracer_count "$1" 'children closed at birth, never hashed (no row):'
}

tl_skips_uncounted() { # TRACER HOOK...: succeeds, printing the hook, when one
	# of HOOKs is, under TRACER, on a tier whose skipped runs this kernel
	# does not count: a kprobe or classic tracepoint before 6.7 (README,
	# Limitations; the tracer warns at start)
	local tr=$1 h t
	shift
	tl_kernel_ge 6.7 && return 1
	for h in "$@"; do
		t=$(tl_tracer_tier "$tr" "$h")
		if [[ $t == tracepoint || $t == kprobe ]]; then
			echo "$h"
			return 0
		fi
	done
	return 1
}

tl_assert_said_uncounted() { # TRACER HOOK: the tracer warned at start
	assert_ge "$(grep -c 'counts no skipped run' "$TL_WORK/$1.stderr")" 1 \
		"tracer $1 said at start that $2's skipped runs go uncounted"
}

assert_ge_or_missed() { # GOT MIN TRACER MSG HOOK...: GOT >= MIN, or, where
	# the kernel skipped runs of our programs, GOT >= MIN - MISSED; where
	# it counts no skipped run (tl_skips_uncounted), only what the tracer
	# said at start holds
	local got=$1 min=$2 tr=$3 msg=$4 missed h
	shift 4
	missed=$(tl_tracer_missed "$tr")
	if h=$(tl_skips_uncounted "$tr" "$@"); then
		echo "MEASURED: $msg: $got, at least $min wanted ($h on the $(tl_tracer_tier "$tr" "$h") tier of $(uname -r): skips uncounted)"
		tl_assert_said_uncounted "$tr" "$h"
		return
	fi
	if ((missed == 0)); then
		assert_ge "$got" "$min" "$msg"
	else
		assert_ge "$got" $((min - missed)) "$msg (the tracer reported $missed missed events)"
	fi
}

assert_eq_or_missed() { # GOT WANT TRACER MSG HOOK...: GOT == WANT, or, when
	# the kernel skipped runs of our programs and tracer TRACER counted them
	# (missed), WANT - MISSED <= GOT <= WANT: the tool may lose no more than
	# it owns up to. Before 6.7 the kernel counts no skipped run of a kprobe
	# or classic tracepoint program (README, Limitations; the tracer warns
	# at start): with one of HOOKs (the hooks GOT comes from) on such a tier
	# there, GOT <= WANT is all that holds, and the tracer must have said so
	# (kernel matrix, 6.1 tracepoint tier: t_04 counted 3 FIN retransmits of
	# 4, a run skipped under our own syscall tracepoint programs).
	local got=$1 want=$2 tr=$3 msg=$4 missed h
	shift 4
	missed=$(tl_tracer_missed "$tr")
	if h=$(tl_skips_uncounted "$tr" "$@"); then
		echo "MEASURED: $msg: $got of $want ($h on the $(tl_tracer_tier "$tr" "$h") tier of $(uname -r): skips uncounted)"
		assert_le "$got" "$want" "$msg: never more"
		tl_assert_said_uncounted "$tr" "$h"
		return
	fi
	if ((missed == 0)); then
		assert_eq "$got" "$want" "$msg"
	else
		assert_between "$got" $((want - missed)) "$want" "$msg (the tracer reported $missed missed events)"
	fi
}

tl_timing_for() { # NAME HOOK: the `timing` a record timed by HOOK has under tracer NAME
	case $(tl_tracer_tier "$1" "$2") in
	fentry | kprobe) echo exact ;;
	*) echo inferred ;;
	esac
}

# A connection still in its timewait sock when the tracer stopped: its
# record is written open (the timewait sock outlived the trace), in
# TIME_WAIT, timed by the timewait hooks or sock_diag listings, and `ss`
# agrees it is there.
tl_assert_time_wait_open() { # CSV WHO NS LPORT RPORT [TRACER=tr]
	local csv=$1 who=$2 ns=$3 lp=$4 rp=$5 tr=${6:-tr}
	assert_eq "$(tl_csv_get "$csv" close_cause lport="$lp" rport="$rp")" open "$who close_cause (still in its timewait sock)"
	assert_eq "$(tl_csv_get "$csv" end_state lport="$lp" rport="$rp")" TIME_WAIT "$who end_state"
	assert_eq "$(tl_csv_get "$csv" closed lport="$lp" rport="$rp")" false "$who closed"
	assert_eq "$(tl_csv_get "$csv" timing lport="$lp" rport="$rp")" "$(tl_timing_for "$tr" timewait)" "$who timing"
	assert_gt "$(tl_csv_get "$csv" time_wait_ms lport="$lp" rport="$rp")" 0 "$who time_wait_ms so far"
	assert_match "$(tl_tw_listed "$ns" "$lp" "$rp")" '^TIME-WAIT timer:\(timewait,' "$who: ss lists its timewait sock"
}

# ---------------------------------------------------------------- CSV
# A CSV file with a header row. Fields are split on commas; a field in
# double quotes may hold commas and "" (comm may be quoted). Conditions:
# COL=VAL, COL!=VAL, COL~ERE, COL!~ERE, AND-ed.

# shellcheck disable=SC2016 # awk program: no shell expansion wanted
TL_CSV_AWK='
function csvsplit(s, a,    n, i, c, f, q, len) {
	if (index(s, "\"") == 0)
		return split(s, a, ",")
	n = 0; f = ""; q = 0; len = length(s)
	for (i = 1; i <= len; i++) {
		c = substr(s, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(s, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0
			} else f = f c
		} else if (c == "\"") q = 1
		else if (c == ",") { a[++n] = f; f = "" }
		else f = f c
	}
	a[++n] = f
	return n
}
BEGIN {
	nc = split(conds, cl, "\034")
	for (i = 1; i <= nc; i++) {
		s = cl[i]
		if (match(s, /!=|!~|=|~/)) {
			ccol[i] = substr(s, 1, RSTART - 1); cop[i] = substr(s, RSTART, RLENGTH)
			cval[i] = substr(s, RSTART + RLENGTH)
		} else { print "bad condition: " s > "/dev/stderr"; bad = 1; exit 2 }
	}
}
{ sub(/\r$/, "") }
NR == 1 {
	nh = csvsplit($0, h)
	for (i = 1; i <= nh; i++) idx[h[i]] = i
	for (i = 1; i <= nc; i++)
		if (!(ccol[i] in idx)) { print "no column " ccol[i] " in " FILENAME > "/dev/stderr"; bad = 1; exit 2 }
	if (out != "-" && out != "#" && out != "@" && !(out in idx)) { print "no column " out " in " FILENAME > "/dev/stderr"; bad = 1; exit 2 }
	next
}
$0 == "" { next }
{
	delete a
	csvsplit($0, a)
	for (i = 1; i <= nc; i++) {
		v = a[idx[ccol[i]]]
		if (cop[i] == "=" && v != cval[i]) next
		if (cop[i] == "!=" && v == cval[i]) next
		if (cop[i] == "~" && v !~ cval[i]) next
		if (cop[i] == "!~" && v ~ cval[i]) next
	}
	count++
	if (out == "-") print
	else if (out == "@") {
		printf "  row %d:", NR
		for (i = 1; i <= nh; i++) printf " %s=%s", h[i], a[i]
		printf "\n"
	} else if (out != "#") print a[idx[out]]
}
END { if (!bad && out == "#") print count + 0 }
'

tl_csv() { # FILE OUT [COND...]: OUT = column name, "-" raw rows, "#" count, "@" col=val dump
	local file=$1 out=$2 conds
	shift 2
	[[ -f $file ]] || { echo "no CSV file $file" >&2; [[ $out == "#" ]] && echo 0; return 1; }
	conds=$(IFS=$'\034'; echo "$*")
	awk -v out="$out" -v conds="$conds" "$TL_CSV_AWK" "$file"
}

tl_csv_get() { # FILE OUTCOL COND...: first match only (empty if none)
	tl_csv "$@" | head -n 1
}

tl_csv_count() { # FILE COND...
	local file=$1
	shift
	tl_csv "$file" "#" "$@"
}

tl_csv_show() { # FILE COND...: matching rows as col=val, for the log
	local file=$1
	shift
	tl_csv "$file" @ "$@"
}

# ---------------------------------------------------------------- assertions
# Numbers may be decimals (2003.123): compared with awk. An empty or
# non-numeric value fails a numeric assertion.

tl_check_ok() {
	TL_CHECKS=$((TL_CHECKS + 1))
	echo "ok: $*"
}

tl_check_fail() {
	TL_CHECKS=$((TL_CHECKS + 1))
	TL_FAILS=$((TL_FAILS + 1))
	echo "FAIL: $*"
}

tl_isnum() {
	[[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]
}

tl_numcmp() { # A OP B -> status
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		a += 0; b += 0
		if (op == "==") r = a == b; else if (op == "!=") r = a != b
		else if (op == ">=") r = a >= b; else if (op == "<=") r = a <= b
		else if (op == ">") r = a > b; else if (op == "<") r = a < b
		exit !r }'
}

assert_eq() { # ACTUAL EXPECTED MSG: numeric if both are numbers, else string
	local a=$1 e=$2 m=${3:-}
	if tl_isnum "$a" && tl_isnum "$e"; then
		tl_numcmp "$a" == "$e" && { tl_check_ok "$m: $a == $e"; return 0; }
	elif [[ $a == "$e" ]]; then
		tl_check_ok "$m: '$a'"
		return 0
	fi
	tl_check_fail "$m: expected '$e', got '$a'"
	return 1
}

assert_ne() { # ACTUAL UNEXPECTED MSG
	if [[ $1 != "$2" ]]; then
		tl_check_ok "${3:-}: '$1' != '$2'"
		return 0
	fi
	tl_check_fail "${3:-}: got '$1', which it must not be"
	return 1
}

tl_assert_num() { # A OP B MSG
	if ! tl_isnum "$1"; then
		tl_check_fail "$4: expected a number $2 $3, got '$1'"
		return 1
	fi
	if tl_numcmp "$1" "$2" "$3"; then
		tl_check_ok "$4: $1 $2 $3"
		return 0
	fi
	tl_check_fail "$4: expected $2 $3, got $1"
	return 1
}

assert_ge() { tl_assert_num "$1" ">=" "$2" "${3:-}"; }
assert_le() { tl_assert_num "$1" "<=" "$2" "${3:-}"; }
assert_gt() { tl_assert_num "$1" ">" "$2" "${3:-}"; }
assert_lt() { tl_assert_num "$1" "<" "$2" "${3:-}"; }

assert_between() { # V LO HI MSG (inclusive)
	if tl_isnum "$1" && tl_numcmp "$1" ">=" "$2" && tl_numcmp "$1" "<=" "$3"; then
		tl_check_ok "${4:-}: $2 <= $1 <= $3"
		return 0
	fi
	tl_check_fail "${4:-}: expected between $2 and $3, got '$1'"
	return 1
}

assert_match() { # STR ERE MSG
	if [[ $1 =~ $2 ]]; then
		tl_check_ok "${3:-}: '$1' ~ /$2/"
		return 0
	fi
	tl_check_fail "${3:-}: '$1' does not match /$2/"
	return 1
}

assert_no_match() { # STR ERE MSG
	if ! [[ $1 =~ $2 ]]; then
		tl_check_ok "${3:-}: '$1' !~ /$2/"
		return 0
	fi
	tl_check_fail "${3:-}: '$1' matches /$2/, it must not"
	return 1
}

assert_contains() { # STR SUBSTR MSG
	if [[ $1 == *"$2"* ]]; then
		tl_check_ok "${3:-}: '$1' contains '$2'"
		return 0
	fi
	tl_check_fail "${3:-}: '$1' does not contain '$2'"
	return 1
}

assert_not_contains() { # STR SUBSTR MSG
	if [[ $1 != *"$2"* ]]; then
		tl_check_ok "${3:-}: '$1' does not contain '$2'"
		return 0
	fi
	tl_check_fail "${3:-}: '$1' contains '$2', it must not"
	return 1
}

# ---------------------------------------------------------------- ownership

tl_on_exit() { # CMD...: run at cleanup, after the test's processes are gone
	TL_EXIT_CMDS+=("$(printf '%q ' "$@")")
}

# ---------------------------------------------------------------- live view

tl_view_field() { # TEXT LOCAL FIELD: from a screen or --batch output, the cell
	# FIELD (pid comm fd remote state instate age rtx) of the first open
	# connection whose LOCAL endpoint is LOCAL ("127.0.0.1:8080"); "" if none.
	# Rows of the closed pane (after its header) are not open ones.
	awk -v l="$2" -v f="$3" '
		/^closed since/ || /^PID .* END +TIME PER STATE/ { closed = 1; next }
		/^PID .*IN_STATE/ { closed = 0; next }
		!closed && $4 == l {
			v["pid"] = $1; v["comm"] = $2; v["fd"] = $3; v["remote"] = $5
			v["state"] = $6; v["instate"] = $7; v["age"] = $8; v["rtx"] = $9
			print v[f]
			exit
		}' <<<"$1"
}

tl_dur_ms() { # DUR: a duration as the view prints it ("850us", "12.3ms",
	# "1.25s", "12m03s", "5h02m", "3d04h"; ">=" lower bounds) in whole ms
	awk -v d="$1" 'BEGIN {
		sub(/^>=/, "", d)
		if (d ~ /us$/) print int(d / 1000)
		else if (d ~ /ms$/) print int(d)
		else if (d ~ /^[0-9.]+s$/) print int(d * 1000)
		else if (d ~ /m[0-9]+s$/) { split(d, a, /[ms]/); print (a[1] * 60 + a[2]) * 1000 }
		else if (d ~ /h[0-9]+m$/) { split(d, a, /[hm]/); print (a[1] * 3600 + a[2] * 60) * 1000 }
		else if (d ~ /d[0-9]+h$/) { split(d, a, /[dh]/); print (a[1] * 86400 + a[2] * 3600) * 1000 }
		else print ""
	}'
}

tl_leak_wait_ready() { # NAME TIMEOUT_S
	tl_wait_file "$TL_WORK/$1.ready" "$2" || {
		cat "$TL_WORK/$1.err"
		tl_die "$1 not ready after $2 s"
	}
}

tl_leak_server() { # NAME NS ARGS...: tlleak server; returns once it listens
	local name=$1 ns=$2
	shift 2
	rm -f "$TL_WORK/$name.ready"
	tl_bg "$name" "$ns" "$TL_LEAK" server --ready-file "$TL_WORK/$name.ready" "$@"
	tl_leak_wait_ready "$name" 10
}

tl_leak_client() { # NAME NS ARGS...: tlleak client; returns once its connections are made (and closed, with --close)
	local name=$1 ns=$2
	shift 2
	rm -f "$TL_WORK/$name.ready"
	tl_bg "$name" "$ns" "$TL_LEAK" client --ready-file "$TL_WORK/$name.ready" "$@"
	tl_leak_wait_ready "$name" 60
}

tl_wait_count() { # FILE ERE N TIMEOUT_S: wait until N lines match
	local i n
	n=$(tl_polls "$4")
	for ((i = 0; i < n; i++)); do
		(($(grep -Ec -- "$2" "$1" 2>/dev/null) >= $3)) && return 0
		sleep 0.05
	done
	(($(grep -Ec -- "$2" "$1" 2>/dev/null) >= $3))
}

tl_ss() { # NS LPORT RPORT FIELD: the kernel's view (ss -tanpe in NS) of the socket
	# lport -> rport. FIELD: state, recvq, pid, fd (the first holder), ino.
	ip netns exec "$1" ss -tanpeH "sport = :$2 and dport = :$3" | awk -v f="$4" '
		NR > 1 { exit }
		{
			v["state"] = $1; v["recvq"] = $2
			if (match($0, /pid=[0-9]+,fd=[0-9]+/)) {
				split(substr($0, RSTART, RLENGTH), a, /[=,]/)
				v["pid"] = a[2]; v["fd"] = a[4]
			}
			if (match($0, /ino:[0-9]+/)) v["ino"] = substr($0, RSTART + 4, RLENGTH - 4)
			print v[f]
		}'
}

# JSON lines as the tracer writes them: flat objects, one per line. A
# condition K=V matches "K":V literally (strings with their quotes: K='"x"').
# shellcheck disable=SC2016 # awk program
TL_JSON_AWK='
function val(line, k,    i, rest, q) {
	i = index(line, "\"" k "\":")
	if (!i) return ""
	rest = substr(line, i + length(k) + 3)
	if (substr(rest, 1, 1) == "\"") { q = index(substr(rest, 2), "\""); return substr(rest, 2, q - 1) }
	match(rest, /^[^,}\]]*/)
	return substr(rest, 1, RLENGTH)
}
BEGIN { nc = split(conds, c, "\034") }
{
	for (i = 1; i <= nc; i++) {
		j = index(c[i], "=")
		k = substr(c[i], 1, j - 1); v = substr(c[i], j + 1)
		if (index($0, "\"" k "\":" v ",") == 0 && index($0, "\"" k "\":" v "}") == 0) next
	}
	count++
	if (out == "-") print
	else if (out != "#") print val($0, out)
}
END { if (out == "#") print count + 0 }
'

tl_json() { # FILE OUT [K=V...]: OUT = key (its value per matching line), "#" count, "-" lines
	local file=$1 out=$2 conds
	shift 2
	conds=$(IFS=$'\034'; echo "$*")
	awk -v out="$out" -v conds="$conds" "$TL_JSON_AWK" "$file"
}

tl_proc_fd_ino() { # PID FD: the socket inode /proc/PID/fd/FD points to
	readlink "/proc/$1/fd/$2" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}
