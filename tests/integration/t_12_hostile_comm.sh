#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A process may name itself with a spreadsheet formula or terminal escape
# sequences. Neither reaches a CSV cell, a JSON string or the terminal raw.
# Unfiltered tracers (a -L/-D pair would AND): rows are picked by port.
source "$(dirname "$0")/lib.sh"
tl_need_root
tl_require "$TL_PEER"

tl_netns_new NS
tl_ports port
# comm is the executable's basename (15 bytes at most).
formula="$TL_WORK/=cmd|' calc'!A"
escape="$TL_WORK/"$'\e]0;pwn\a\e[2J'
cp "$TL_PEER" "$formula"
cp "$TL_PEER" "$escape"

tl_tracer_start tr --csv "$TL_WORK/out.csv" --json "$TL_WORK/out.json"
tl_tracer_start txt -w --lines
tl_bg srv "$NS" "$formula" server -a 127.0.0.1 -p "$port" -n 1 --ready-file "$TL_WORK/srv.ready"
tl_wait_file "$TL_WORK/srv.ready" 10 || tl_die "server did not start"
tl_bg cli "$NS" "$escape" client -a 127.0.0.1 -p "$port" -n 1
tl_pair_exit 20 20
tl_settle_stop
tl_tracer_stop txt

tl_csv_show "$TL_WORK/out.csv"
assert_eq "$(tl_csv_count "$TL_WORK/out.csv" "lport=$port")" 1 "server row present"
assert_eq "$(tl_csv_count "$TL_WORK/out.csv" "rport=$port")" 1 "client row present"
raw=$(cat "$TL_WORK/out.csv" "$TL_WORK/out.json" "$TL_WORK/txt.stdout")
assert_no_match "$raw" $'[\x01-\x08\x0b-\x1f\x7f]' "no control bytes in CSV, JSON or text output"
assert_contains "$(cat "$TL_WORK/out.csv")" "\"'=cmd|' calc'!A\"" "formula comm neutralised with a ' and quoted"
assert_no_match "$(cat "$TL_WORK/out.csv")" '(^|,)=cmd' "no CSV cell starts with ="
assert_contains "$(cat "$TL_WORK/out.csv")" '\x1b]0;pwn\x07' "escape sequence shown as \\x escapes"
assert_contains "$(cat "$TL_WORK/txt.stdout")" '\x1b]0;pwn' "terminal output escaped too"

tl_finish
