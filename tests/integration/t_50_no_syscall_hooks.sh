#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --no-syscall-hooks: nothing on a syscalls tracepoint, so no system call
# of the host pays for the tracer (issue 18). Where the owner hooks have no
# other tier (no fentry, no kprobe: this host, --tier tracepoint in the
# kernel matrix) they are not attached, and what is left must be right:
#  - a client's row has the client's pid, taken at CLOSE -> SYN_SENT in
#    connect(), and no fd;
#  - a server that closes after EOF: its row has the server's pid, taken
#    at CLOSE_WAIT -> LAST_ACK in its close(), owner_from socket, no fd;
#  - a server that leaks the connection in CLOSE_WAIT: its row has the
#    listener's owner (the same process), owner_from listener;
#  - a refused connect(): its row (close_cause refused) with the client's
#    pid, and its connect_error object (the state hook sees SYN_SENT end in
#    a reset); the summaries say failures inside the call were not traced
#    (stderr, JSON connect_untraced);
#  - --list-probes names the option as the refusal and says no syscall tax.
# On the fentry and kprobe tiers the hooks stay, and the rows are as
# without the option (fds, owner_from socket, the connect_error).
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK" bpftool

tl_netns_new NS
tl_ports SP LP RP CP RCP
CSV=$TL_WORK/trace.csv
J=$TL_WORK/trace.json

probes=$("$TL_BIN" ${TL_TIER:+--tier "$TL_TIER"} --list-probes --no-syscall-hooks 2>&1)
printf '%s\n' "$probes" | sed 's/^/    /'
assert_contains "$probes" "syscall tax: none" "--list-probes: no syscall tax"

tl_tracer_start tr --no-syscall-hooks -L "$SP" -L "$LP" -L "$CP" -L "$RCP" --csv "$CSV" --json "$J"
# What the kernel has attached for the tracer: no syscalls tracepoint
# (bpftool lists each perf-event and raw tracepoint attachment by pid).
attached=$(bpftool perf list 2>/dev/null | grep "^pid ${TL_TRACER[tr]} ")
printf '%s\n' "$attached" | sed 's/^/    /'
assert_match "$attached" "inet_sock_set_state" "bpftool perf list: the state hook is attached"
assert_no_match "$attached" "sys_(enter|exit)_" "bpftool perf list: nothing on a syscalls tracepoint"
acc=$(tl_tracer_tier tr acceptfd)
con=$(tl_tracer_tier tr connect)
clo=$(tl_tracer_tier tr close)
echo "owner hooks: acceptfd $acc, connect $con, close $clo"
for h in acceptfd connect close; do
	t=$(tl_tracer_tier tr "$h")
	assert_match "$t" '^(fentry|kprobe|none)$' "hook $h: a tier that taxes no other syscall, or none"
	if [[ $t == none ]]; then
		assert_match "$(grep "^$h " <<<"$probes")" "tracepoint: not tried \\(--no-syscall-hooks\\)" \
			"--list-probes: $h's tracepoint tier refused by the option"
	fi
done

# A client that closes first; the server closes after EOF.
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_expect_exit cli 10
tl_expect_exit srv 10
# A server that leaks its connection: CLOSE_WAIT at exit.
tl_leak_server leak "$NS" -a 127.0.0.1 -p "$LP" -n 1
tl_leak_client lcli "$NS" -a 127.0.0.1 -p "$LP" -n 1 --send 16 --close
tl_wait_count "$TL_WORK/leak.out" '^eof ' 1 10 || tl_check_fail "the leaking server did not read EOF"
# Refused: nothing listens on RP.
tl_peer_client ref "$NS" -a 127.0.0.1 -p "$RP" --bind-port "$RCP" --send 0
tl_expect_exit ref 30 1
assert_contains "$(cat "$TL_WORK/ref.err")" "Connection refused" "the connect was refused"
tl_settle "$NS"
tl_tracer_stop tr
tl_csv_show "$CSV"
err=$(cat "$TL_WORK/tr.stderr")

r() { tl_csv_get "$CSV" "$@"; }
assert_eq "$(r pid role=active lport="$CP")" "${TL_PID[cli]}" "client row: the client's pid"
assert_eq "$(r pid role=passive lport="$SP")" "${TL_PID[srv]}" "closing server's row: the server's pid"
assert_eq "$(r owner_from role=passive lport="$SP")" socket "closing server's row: owner_from socket"
assert_eq "$(r pid role=passive lport="$LP")" "${TL_PID[leak]}" "leaking server's row: the server's pid"
assert_eq "$(r end_state role=passive lport="$LP")" CLOSE_WAIT "leaking server's row: CLOSE_WAIT at exit"
assert_eq "$(r close_cause rport="$RP")" refused "the refused connect's row"
assert_eq "$(r pid rport="$RP")" "${TL_PID[ref]}" "the refused connect's row: the client's pid"
assert_eq "$(tl_json "$J" '#' event='"connect_error"' rport="$RP" error='"ECONNREFUSED"' \
	pid="${TL_PID[ref]}")" 1 "one connect_error ECONNREFUSED, the client's"
summary=$(grep '"event":"summary"' "$J")

if [[ $acc == none ]]; then
	assert_eq "$(r fd role=passive lport="$SP")" "" "closing server's row: no fd (no accept hook)"
	assert_eq "$(r owner_from role=passive lport="$LP")" listener \
		"leaking server's row: owner_from listener (nobody's accept() was seen)"
	assert_contains "$err" "warning: --no-syscall-hooks: no fentry or kprobe tier for" \
		"one warning names what the option costs here"
else
	assert_ne "$(r fd role=passive lport="$SP")" "" "accept hook $acc: the server's fd"
	assert_eq "$(r owner_from role=passive lport="$LP")" socket "accept hook $acc: owner_from socket"
	assert_not_contains "$err" "--no-syscall-hooks:" "accept hook $acc: no warning"
fi
if [[ $con == none ]]; then
	assert_eq "$(r fd role=active lport="$CP")" "" "client row: no fd (no connect hook)"
	assert_contains "$err" "connect() failures: 1 (those inside the call not traced)" \
		"the stderr summary: failures inside connect() not traced"
	assert_contains "$summary" '"connect_untraced":true' "the JSON summary: connect_untraced"
else
	assert_ne "$(r fd role=active lport="$CP")" "" "connect hook $con: the client's fd"
	assert_not_contains "$summary" connect_untraced "connect hook $con: connect() failures traced"
fi

tl_finish
