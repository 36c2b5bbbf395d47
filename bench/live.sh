#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# live.sh BUILD_DIR [SOCKETS]
#
# The live view's refresh time with SOCKETS (default 100000) open TCP
# sockets tracked: SOCKETS/2 loopback connections held open by
# `churn --keep` in a network namespace of its own, both ends traced. The
# view runs in a 160x50 tmux pane with -v, which logs the cost of every
# refresh measured inside the tool (gather the open connections, select the
# rows that fit, format and draw them). Prints the median and the maximum
# over the refreshes that saw at least 99 % of the sockets, and the
# loader's RSS at the end, and saves the pane as text. Not a test: the figure goes into bench/README.md.
set -u -o pipefail

build=${1:-}
n=${2:-100000}
[[ -n $build ]] || { echo "usage: $0 BUILD_DIR [SOCKETS]" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "$0 needs root" >&2; exit 1; }
command -v tmux >/dev/null || { echo "$0 needs tmux" >&2; exit 1; }
build=$(cd "$build" && pwd)
TL=$build/tcplife-states
CHURN=$build/bench/churn
for f in "$TL" "$CHURN"; do
	[[ -x $f ]] || { echo "$f missing (make all bench-bins)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/tl-live-bench.XXXXXX)
ns=tl-live-bench-$$
sock=tl-live-bench-$$
cp=

cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[[ -n $cp ]] && kill -TERM "$cp" 2>/dev/null && wait "$cp" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	net.core.somaxconn=$((n / 2 + 1024)) || exit 1

# Unfiltered: -L and -D together would AND, and both ends are wanted.
tmux -L "$sock" new-session -d -x 160 -y 50 \
	"$TL -v -i 1 --max-conns $((n + n / 4 + 4096)) 2>$work/live.err; echo \$? >$work/live.rc; exec sleep 600"
for _ in $(seq 300); do
	tmux -L "$sock" capture-pane -p | grep -q '^PID .*IN_STATE' && break
	sleep 0.1
done
ip netns exec "$ns" "$CHURN" -p 5001 --keep -n $((n / 2)) -A $((n / 2 / 20000 + 1)) -c 2 \
	>"$work/keep.out" 2>&1 &
cp=$!
for _ in $(seq 1800); do
	grep -q ready "$work/keep.out" && break
	kill -0 "$cp" 2>/dev/null || break
	sleep 0.1
done
grep -q 'ready.*errors=0' "$work/keep.out" || { cat "$work/keep.out" >&2; exit 1; }
# Let the loader catch up with the records, then keep refreshing a while
# (the idle connections kept compact after --compact-after, 5 s).
sleep 15
tmux -L "$sock" capture-pane -p >"$work/pane.txt"
# The loader is the pane's shell's child.
tl_pid=$(pgrep -P "$(tmux -L "$sock" display -p '#{pane_pid}')" -x tcplife-states)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$tl_pid/status" 2>/dev/null)
tmux -L "$sock" send-keys q
for _ in $(seq 300); do
	[[ -s $work/live.rc ]] && break
	sleep 0.1
done
[[ $(cat "$work/live.rc" 2>/dev/null) == 0 ]] || { tail "$work/live.err" >&2; echo "the view did not exit 0" >&2; exit 1; }

sed -n 's/.*live view refresh: \([0-9]*\) us with \([0-9]*\) open connections.*/\1 \2/p' "$work/live.err" |
	awk -v want=$((n * 99 / 100)) '$2 >= want { print $1 }' | sort -n >"$work/costs"
count=$(wc -l <"$work/costs")
((count > 0)) || { echo "no refresh saw $n open sockets (see $work/live.err)" >&2; exit 1; }
median=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$work/costs")
max=$(tail -n 1 "$work/costs")
open=$(sed -n 's/.*with \([0-9]*\) open connections.*/\1/p' "$work/live.err" | sort -n | tail -n 1)
head -n 1 "$work/pane.txt"
echo "live view loader RSS with $open open connections: $((${rss:-0} / 1024)) MiB"
echo "live view refresh with $open open connections: median $((median / 1000)).$(printf %03d $((median % 1000))) ms, max $((max / 1000)).$(printf %03d $((max % 1000))) ms over $count refreshes (pane: $work/pane.txt)"
