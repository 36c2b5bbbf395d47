#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Issue 5, test 2. The leak of test 1, made *before* the tool starts:
# `--once --pid SERVER --json -` must list both connections as
# seen_from=preexisting, in CLOSE_WAIT, with the fds ss shows, and the
# per-process summary. Twice: with the BPF iterators (default), and with the
# sock_diag + /proc fallback (TCPLIFE_SEED=sock_diag).
source "$(dirname "$0")/lib.sh"
tl_require "$TL_LEAK"

tl_netns_new NS
tl_ports SP
tl_leak_server srv "$NS" -a 127.0.0.1 -p "$SP" -n 2
SRV=${TL_PID[srv]}
tl_leak_client cli "$NS" -a 127.0.0.1 -p "$SP" -n 2 --send 32 --close
tl_wait_count "$TL_WORK/srv.out" '^eof ' 2 10 || tl_check_fail "the server did not read 2 EOFs"
# Old enough that the iterator's lower bound (rcv_tstamp, jiffies) shows;
# the assertion below measures the age, so a late step cannot fail it.
sleep 2
echo "ss -tanpe in $NS:"
ip netns exec "$NS" ss -tanpe | sed 's/^/    /'

for method in iter sock_diag; do
	echo "=== seeding with $method"
	J=$TL_WORK/once-$method.json
	t_before=$(tl_now)
	TCPLIFE_SEED=$method timeout 300 "$TL_BIN" --once --pid "$SRV" --json - >"$J" 2>"$TL_WORK/once-$method.err"
	assert_eq "$?" "$(tl_status_for "$TL_WORK/once-$method.err")" "$method: --once exit status"
	t_after=$(tl_now)
	sed 's/^/    /' "$TL_WORK/once-$method.err" "$J"
	assert_match "$(cat "$TL_WORK/once-$method.err")" "before the start in [0-9]+ ms \\($method," \
		"$method: seeding method"
	assert_eq "$(tl_json "$J" "#" event='"conn"')" 2 "$method: connections listed"
	assert_eq "$(tl_json "$J" "#" event='"conn"' pid="$SRV" lport="$SP" seen_from='"preexisting"' \
		end_state='"CLOSE_WAIT"' closed=false)" 2 "$method: the server's, preexisting, CLOSE_WAIT, open"
	while read -r _ _ _ fdkv _ rportkv _; do
		fd=${fdkv#fd=} rport=${rportkv#rport=}
		assert_eq "$(tl_json "$J" fd event='"conn"' rport="$rport")" "$(tl_ss "$NS" "$SP" "$rport" fd)" \
			"$method: fd of the connection from port $rport (ss)"
		assert_eq "$(tl_json "$J" fd event='"conn"' rport="$rport")" "$fd" \
			"$method: fd of the connection from port $rport (the server)"
		assert_eq "$(tl_json "$J" tid event='"conn"' rport="$rport")" "$SRV" "$method: tid"
		if [[ $method == iter ]]; then
			# The iterator bounds CLOSE_WAIT from below by the last ACK
			# received (the FIN, rcv_tstamp in jiffies): the FIN came before
			# the server read its EOF and after the client began to close,
			# so the bound lies between the EOF's age when --once started
			# and the close's age when it ended (10 ms: two jiffies at
			# HZ >= 250).
			teof=$(tl_kv "$TL_WORK/srv.out" eof t rport="$rport")
			tcls=$(tl_kv "$TL_WORK/cli.out" close t lport="$rport")
			assert_between "$(tl_json "$J" close_wait_ms event='"conn"' rport="$rport")" \
				"$(awk -v a="$(tl_ms "$teof" "$t_before")" 'BEGIN { print a - 10 }')" \
				"$(awk -v a="$(tl_ms "$tcls" "$t_after")" 'BEGIN { print a + 10 }')" \
				"$method: close_wait_ms, a lower bound of the leak's age"
		fi
	done < <(grep '^conn ' "$TL_WORK/srv.out")
	assert_eq "$(tl_json "$J" sockets event='"close_wait_summary"' pid="$SRV")" 2 \
		"$method: summary: CLOSE_WAIT sockets of the server"
	assert_eq "$(tl_json "$J" unread_bytes event='"close_wait_summary"' pid="$SRV")" 0 \
		"$method: summary: unread bytes (it read to EOF)"
	assert_eq "$(tl_json "$J" "#" event='"close_wait_summary"')" 1 "$method: summary lines"
done

tl_finish
