#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 13 item 4. A backlog-1 listener that never accepts: its queued
# children have no fd, so no process of their own; they must carry the
# listener's owner (owner_from=listener), live and with --once, and under
# `--pid SERVER` (the choice the README documents). `--once --state
# syn-recv` must list the request socks (half-open) `ss` lists, with the
# listener's owner too.
#
# Set-up, in that order (backlog 1: the accept queue is full at 2 children,
# and the request queue at 1 request, past which a SYN gets a syncookie):
#   c1: a normal handshake, its child waits in the accept queue;
#   c3: its final ACK dropped by an nft rule, so its request sock stays
#       half-open (SYN-RECV) while the SYN-ACK retransmits;
#   c2: the request queue is full, a syncookie handshake makes the child.
# The clients never send nor close (they wait for a go that never comes):
# a FIN from c3 would complete its handshake. No peer times out (--timeout
# 0): under the kernel matrix's TCG the test outlasts tlpeer's default 120 s,
# and a listener that exits aborts its queued children.
# Two live tracers: tr1 started before listen() (the kernel side learns the
# listener at listen()), tr2 with --pid after it (the loader enters the
# listener from sock_diag and /proc).
source "$(dirname "$0")/lib.sh"
tl_require

tl_netns_new NS
tl_ports SP CP1 CP2 CP3
CSV1=$TL_WORK/live-lport.csv
CSV2=$TL_WORK/live-pid.csv
tl_sysctl "$NS" net.ipv4.tcp_syncookies=1 net.ipv4.tcp_synack_retries=6

tl_tracer_start tr1 -L "$SP" --csv "$CSV1"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" --backlog 1 --no-accept --timeout 0
SRV=${TL_PID[srv]}
tl_tracer_start tr2 --pid "$SRV" --csv "$CSV2"
tl_nft_drop "$NS" H tcp sport "$CP3" tcp dport "$SP" 'tcp flags & (syn | ack | fin | rst | psh) == ack'

queued() { [[ $(ip netns exec "$NS" ss -tanH state established "( sport = :$SP )" | wc -l) -ge $1 ]]; }
requests() { ip netns exec "$NS" ss -tanH state syn-recv "( sport = :$SP )"; }
tl_peer_client c1 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP1" --send 0 --go-file "$TL_GO" --timeout 0
tl_wait_for 10 "c1's child queued" queued 1
tl_peer_client c3 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP3" --send 0 --go-file "$TL_GO" --timeout 0
tl_wait_for 10 "c3's request half-open (ss state syn-recv)" eval '[[ -n $(requests) ]]'
tl_peer_client c2 "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP2" --send 0 --go-file "$TL_GO" --timeout 0
tl_wait_for 10 "c2's child queued" queued 2
tl_settle "$NS" "$CP1" "$CP2"
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'

# --once twice: with the BPF iterators (default), and with the sock_diag +
# /proc fallback (TCPLIFE_SEED=sock_diag).
SS_REQ=$(requests)
for method in iter sock_diag; do
	TCPLIFE_SEED=$method timeout 300 "$TL_BIN" --once -L "$SP" --csv - \
		>"$TL_WORK/once-$method.csv" 2>"$TL_WORK/once-$method.err"
	assert_eq "$?" "$(tl_status_for "$TL_WORK/once-$method.err")" "$method: --once exit status"
	TCPLIFE_SEED=$method timeout 300 "$TL_BIN" --once --state syn-recv -L "$SP" --csv - \
		>"$TL_WORK/once-sr-$method.csv" 2>"$TL_WORK/once-sr-$method.err"
	assert_eq "$?" "$(tl_status_for "$TL_WORK/once-sr-$method.err")" \
		"$method: --once --state syn-recv exit status"
	assert_match "$(cat "$TL_WORK/once-$method.err")" "before the start in [0-9]+ ms \\($method," \
		"$method: the seed method used"
done
tl_tracer_stop tr1
tl_tracer_stop tr2
for f in "$CSV1" "$CSV2" "$TL_WORK"/once-*.csv; do
	echo "--- $f"
	tl_csv_show "$f"
done

# The kernel's view: both children queued, held by no process (ss -p
# names none); c3's request the only half-open one.
for cp in "$CP1" "$CP2"; do
	assert_eq "$(tl_ss "$NS" "$SP" "$cp" state)" ESTAB "ss: c$cp's child is queued"
	assert_eq "$(tl_ss "$NS" "$SP" "$cp" pid)" "" "ss: no process holds the child of $cp"
done
assert_eq "$(wc -l <<<"$SS_REQ")" 1 "setup: ss lists one request sock"
assert_match "$SS_REQ" ":$CP3\\b" "setup: the request is c3's"

for f in "$CSV1" "$CSV2" "$TL_WORK/once-iter.csv" "$TL_WORK/once-sock_diag.csv"; do
	w=${f##*/}
	for cp in "$CP1" "$CP2"; do
		r() { tl_csv_get "$f" "$1" lport="$SP" rport="$cp"; }
		assert_eq "$(tl_csv_count "$f" lport="$SP" rport="$cp")" 1 "$w: one row for the child of $cp"
		assert_eq "$(r pid)" "$SRV" "$w: child of $cp: pid is the listener's owner"
		assert_eq "$(r comm)" tlpeer "$w: child of $cp: comm"
		assert_eq "$(r owner_from)" listener "$w: child of $cp: owner_from"
		assert_eq "$(r fd)" "" "$w: child of $cp: no fd (never accepted)"
		assert_eq "$(r role)" passive "$w: child of $cp: role"
		assert_eq "$(r end_state)" ESTABLISHED "$w: child of $cp: still queued"
	done
done
# (Rows of the children only: the live tracer may also write c3's request,
# still listed by ss, as a synack_timeout at exit when its SYN-ACK
# retransmit is late under load; a known fault of the request inference,
# not of the owners checked here.)
assert_eq "$(tl_csv_count "$CSV1" lport="$SP" seen_from=birth end_state=ESTABLISHED)" 2 \
	"live (listener seen at listen()): the children born under the tool"
for method in iter sock_diag; do
	ONCE=$TL_WORK/once-$method.csv SR=$TL_WORK/once-sr-$method.csv
	assert_eq "$(tl_csv_count "$ONCE" lport="$SP" rport="$CP3" end_state=SYN_RECV pid="$SRV" owner_from=listener)" 1 \
		"$method: once: c3's request, with the listener's owner"
	# --state syn-recv: exactly the request socks ss lists.
	assert_eq "$(tl_csv_count "$SR")" "$(wc -l <<<"$SS_REQ")" "$method: once --state syn-recv: as many rows as ss lists"
	# (ss leaves the State column out when given a state filter.)
	while read -r _ _ local peer _; do
		lp=${local##*:} rp=${peer##*:}
		assert_eq "$(tl_csv_count "$SR" lport="$lp" rport="$rp" end_state=SYN_RECV role=passive \
			pid="$SRV" owner_from=listener closed=false)" 1 "$method: once --state syn-recv: the request $local <- $peer"
	done <<<"$SS_REQ"
done

tl_finish
