#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 4. On loopback the server socket's SYN_RECV and ESTABLISHED
# changes run in the client's process context (the softirq runs in the
# sender), and the client's in the server's. Two tracers at once: -p SERVER
# must see the three passive ends with the server's pid and fds, -p CLIENT
# the three active ends with the client's, each as ss -tanpe shows them.
# A third tracer hooks connect() as a kernel before 5.15 does on the
# tracepoint tier (TCPLIFE_NO_HELPER: an entry and an exit program, where
# newer kernels read the arguments at the exit alone): the same client fds.
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports SP
tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 3
SRV=${TL_PID[srv]}
tl_tracer_start ts --pid "$SRV" --csv "$TL_WORK/server.csv"
# The client's pid is known only once it runs: its tracer filters on the
# comm and the port, and the pid is checked on every row.
tl_tracer_start tc --comm tlleak -D "$SP" --csv "$TL_WORK/client.csv"
TCPLIFE_NO_HELPER=bpf_task_pt_regs tl_tracer_start tp --comm tlleak -D "$SP" --csv "$TL_WORK/pair.csv"
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" -n 3 --send 16
CLI=${TL_PID[cli]}
# The server's accepts (the owner records) come after the client's ready.
tl_wait_count "$TL_WORK/srv.out" '^conn ' 3 30 || tl_die "setup: the server did not accept 3 connections"
tl_settle "$NS"
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'
tl_tracer_stop ts
tl_tracer_stop tc
tl_tracer_stop tp
S=$TL_WORK/server.csv C=$TL_WORK/client.csv P=$TL_WORK/pair.csv
tl_csv_show "$S"
tl_csv_show "$C"
tl_csv_show "$P"

assert_eq "$(tl_csv_count "$S")" 3 "-p server: rows"
assert_eq "$(tl_csv_count "$S" pid="$SRV" lport="$SP" role=passive)" 3 "-p server: passive rows owned by the server"
assert_eq "$(tl_csv_count "$C")" 3 "-c tlleak -D port: rows"
assert_eq "$(tl_csv_count "$C" pid="$CLI" rport="$SP" role=active)" 3 "client rows owned by the client"
while read -r _ _ _ fdkv lportkv _; do
	fd=${fdkv#fd=} cport=${lportkv#lport=}
	assert_eq "$(tl_csv_get "$C" fd lport="$cport")" "$fd" "client fd for port $cport (the client)"
	assert_eq "$(tl_csv_get "$C" fd lport="$cport")" "$(tl_ss "$NS" "$cport" "$SP" fd)" "client fd for port $cport (ss)"
	assert_eq "$(tl_csv_get "$S" fd rport="$cport")" "$(tl_ss "$NS" "$SP" "$cport" fd)" "server fd for peer $cport (ss)"
	assert_eq "$(tl_ss "$NS" "$SP" "$cport" pid)" "$SRV" "ss: the server holds the passive end"
	assert_eq "$(tl_csv_get "$P" fd lport="$cport")" "$fd" "entry and exit programs: client fd for port $cport"
done < <(grep '^conn ' "$TL_WORK/cli.out")
assert_eq "$(tl_csv_count "$P" pid="$CLI" rport="$SP" role=active)" 3 "entry and exit programs: client rows owned by the client"

# Which programs hook connect(): on the tracepoint tier the exit alone,
# unless the helper is refused (other tiers have programs of their own).
probes() {
	"$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} --list-probes -v 2>&1 | grep -E '^connect '
}
if [[ $(tl_tracer_tier tc connect) == tracepoint ]]; then
	assert_not_contains "$(probes)" "bpf_task_pt_regs" "tracepoint tier: the exit program alone (no helper refused)"
	assert_contains "$(TCPLIFE_NO_HELPER=bpf_task_pt_regs probes)" \
		"tracepoint: helper bpf_task_pt_regs (5.15) refused (TCPLIFE_NO_HELPER)" \
		"TCPLIFE_NO_HELPER: the tier before 5.15 (entry and exit programs)"
fi

tl_finish
