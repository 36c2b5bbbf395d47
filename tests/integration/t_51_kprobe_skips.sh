#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The kprobe tier's own skips (src/linkmiss.h). While a kprobe program runs
# on a CPU (another tool's, or one of our syscall kprobes), a kprobe hit
# nested there (a softirq on the way out of an interrupt: kprobe handlers
# run with interrupts on) is skipped before any program runs; the kernel
# counts it only on the kprobe (kprobe_running()), never in the program's
# recursion_misses, and reports it in the link's info from 6.7.
#
# tlspin keeps a kprobe program on getppid() running on one CPU nearly all
# the time. N half-open requests made on that CPU (the client's pure ACKs
# dropped, tcp_synack_retries=2) retransmit their SYN-ACKs from the request
# timer there, mostly nested in it: our kprobe on tcp_rtx_synack is skipped.
# The tracer must own up to every SYN-ACK retransmit it does not report:
# the rows' synack_retrans sum between TcpExtTCPSynRetrans's delta less the
# tracer's missed and that delta, and some skipped (else nothing was
# tested). Before 6.7 nothing counts them: measured only. Needs kprobes
# (the kernel matrix's kprobe tier); elsewhere it skips.
source "$(dirname "$0")/lib.sh"
tl_require

N=${TL_SPIN_CONNS:-20}
LOOPS=$([[ ${TL_SLOW:-0} == 1 ]] && echo 200000 || echo 1000000)
CPU=$(($(nproc) - 1))
SPIN=$TL_BUILD/tests/tlspin
[[ -x $SPIN && -r $SPIN.bpf.o ]] || tl_die "$SPIN or its .bpf.o missing (make helpers)"

tl_pair_setup
tl_sysctl "$NS" net.ipv4.tcp_synack_retries=2
tl_tracer_start tr -L "$SP" --csv "$CSV"
tier=$(tl_tracer_tier tr synack)
if [[ $tier != kprobe ]]; then
	tl_tracer_stop tr
	tl_skip "the SYN-ACK hook is on the $tier tier here, not kprobe (kernel matrix: --tier kprobe)"
fi

"$SPIN" "$SPIN.bpf.o" "$CPU" "$LOOPS" kprobe >"$TL_WORK/spin.out" 2>"$TL_WORK/spin.err" &
TL_PID[spin]=$!
TL_BG_PIDS+=($!)
tl_wait_line "$TL_WORK/spin.out" '^ready' 60 "${TL_PID[spin]}" || tl_die "tlspin did not attach: $(cat "$TL_WORK/spin.err")"

tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 0 -c $((N + 8)) --never-close --quiet --timeout 0
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_nft_drop "$NS" H tcp dport "$SP" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
# connect() completes on the SYN-ACK; the clients send nothing and close
# at the go, once the server has forgotten them. Their SYNs are handled on
# CPU (loopback), so the requests' timers are armed there.
tl_bg cli "$NS" taskset -c "$CPU" "$TL_PEER" client -a 127.0.0.1 -p "$SP" -n "$N" -c "$N" \
	--send 0 --allow-reset --go-file "$TL_GO" --quiet --timeout 0
req_listed() { [[ -n $(ip netns exec "$NS" ss -tanH state syn-recv "( sport = :$SP )") ]]; }
tl_wait_for 60 "the requests made (ss lists SYN-RECV)" req_listed
tl_wait_for 120 "every request dropped (ss lists no SYN-RECV)" eval '! req_listed'
kill -INT "${TL_PID[spin]}"
wait "${TL_PID[spin]}"
echo "tlspin: $(tail -n 1 "$TL_WORK/spin.out") on CPU $CPU, $LOOPS bpf_loop steps each"
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
tl_go
tl_expect_exit cli 60
tl_settle_stop

delta=$((s1 - s0))
missed=$(tl_tracer_missed tr)
got=$(tl_csv "$CSV" synack_retrans lport="$SP" | awk '{ n += $1 } END { print n + 0 }')
skipped=$(grep -o 'runs the kernel skipped, by program: .*' "$TL_WORK/tr.stderr" | head -n 1)
echo "MEASURED: $(uname -r), synack on the kprobe tier: synack_retrans $got of $delta (TcpExtTCPSynRetrans delta), missed $missed; $skipped"
assert_ge "$delta" "$N" "setup: SYN-ACK retransmits, at least one per request (TcpExtTCPSynRetrans delta)"
assert_eq "$(tl_csv_count "$CSV" lport="$SP" end_state=SYN_RECV)" "$N" "one half-open row per request"
if tl_kernel_ge 6.7; then
	assert_between "$got" "$((delta - missed))" "$delta" \
		"SYN-ACK retransmits reported, less none the tracer does not own up to (missed $missed)"
	assert_lt "$got" "$delta" "some SYN-ACK retransmits were nested in tlspin's kprobe (else nothing was tested)"
	assert_match "$skipped" 'tl_synack_kretprobe [1-9]' \
		"the exit names the SYN-ACK hook's skips"
else
	assert_le "$got" "$delta" "SYN-ACK retransmits reported: never more than the kernel's"
	tl_assert_said_uncounted tr synack
fi

tl_finish
