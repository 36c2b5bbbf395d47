#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The real TIME_WAIT: the client closes first, the server closes after it,
# and the tool runs until ss no longer lists the client's timewait sock. The
# client's row must be complete: its timewait sock gone, time_wait_ms that
# of the kernel's 60 s timer (see the assertion for the tolerance), path
# ending TIME_WAIT>CLOSE, cause fin. `ss` gives the timer the kernel set,
# and the moment the sock is gone.
source "$(dirname "$0")/../lib.sh"
tl_require

tl_pair_setup

tl_tracer_start tr -L "$CP" --csv "$CSV"
tl_peer_server srv "$NS" -a 127.0.0.1 -p "$SP"
tl_peer_client cli "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16
tl_pair_exit 10 10
first=$(tl_tw_listed "$NS" "$CP" "$SP")
tl_wait_for 180 "the client's TIME_WAIT to end (ss no longer lists it)" eval '[[ -z $(tl_tw_listed "$NS" "$CP" "$SP") ]]'
t_gone=$(tl_now)
tl_tracer_stop tr
t_stop=$(tl_now)
tcall=$(tl_kv "$TL_WORK/cli.out" close tcall)
gone=$(tl_ms "$tcall" "$t_gone")

echo "ss right after the close: '$first'; gone at most $gone ms after the client's close()"
tl_csv_show "$CSV" lport="$CP"
assert_match "$first" '^TIME-WAIT timer:\(timewait,(59|60)' "setup: ss lists TIME_WAIT with a 60 s timer"
assert_ge "$gone" 59990 "setup: ss listed it for the 60 s of TCP_TIMEWAIT_LEN"

assert_eq "$(tl_csv_count "$CSV" lport="$CP" rport="$SP")" 1 "client rows"
assert_eq "$(c closed)" true "client closed (the timewait sock is gone)"
assert_eq "$(c end_state)" CLOSE "client end_state"
assert_eq "$(c close_cause)" fin "client close_cause"
assert_match "$(c path)" 'FIN_WAIT2>TIME_WAIT>CLOSE$' "client path"
# The kernel's timer: TIME_WAIT lasts TCP_TIMEWAIT_LEN (60 s), never less
# (10 ms: the expiry's jiffy rounding), and the timer wheel fires a 60 s
# timer up to one level-3 bucket late (512 jiffies: 2.048 s at HZ=250).
# Hooked, the end is the timewait sock's own; listed, it is placed to within
# half the listing interval (1 s; a whole one allows for a listing a loaded
# machine made late) and found by the tracer's last listing at the latest.
# From above: the phase began in the client's close() and ended before ss
# (hooked) or the stopped tracer (listed) no longer saw it.
assert_eq "$(c timing)" "$(tl_timing_for tr timewait)" "client timing"
if [[ $(c timing) == exact ]]; then
	assert_between "$(c time_wait_ms)" 59990 "$gone" "client time_wait_ms (60 s timer, hooked)"
else
	assert_between "$(c time_wait_ms)" 58990 "$(tl_ms "$tcall" "$t_stop")" "client time_wait_ms (60 s timer, listed)"
fi

tl_finish
