#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Output files are opened safely, as root must: a symlink under the name is
# never followed (its target stays as it was), another user's file in a
# sticky, world-writable directory (like /tmp) is refused as
# fs.protected_regular does, both with one error line and status 1 before
# any BPF program is loaded; a new file is created 0600 whatever the umask.
source "$(dirname "$0")/lib.sh"
tl_need_root
tl_require

tl_ports SP
D=$TL_WORK/out
mkdir -p "$D"
echo "precious" >"$D/target"

refused() { # WHAT OPTION FILE ERE: the tracer refuses FILE with one line matching ERE
	local err=$TL_WORK/refused.err rc
	"$TL_BIN" -L "$SP" -d 1 "$2" "$3" >/dev/null 2>"$err"
	rc=$?
	cat "$err"
	assert_eq "$rc" 1 "$1: exits 1"
	assert_eq "$(wc -l <"$err")" 1 "$1: one error line (nothing loaded)"
	assert_match "$(cat "$err")" "$4" "$1: the error names the file and the reason"
}

ln -s "$D/target" "$D/link.csv"
refused "a symlinked --csv" --csv "$D/link.csv" "link\\.csv.*symbolic link"
assert_eq "$(cat "$D/target")" precious "the symlink's target is untouched"

mkdir -m 1777 "$D/sticky"
echo "theirs" >"$D/sticky/f.json"
chown 65534 "$D/sticky/f.json"
refused "another user's file in a sticky world-writable directory" --json "$D/sticky/f.json" \
	"f\\.json.*another user"
assert_eq "$(cat "$D/sticky/f.json")" theirs "their file is untouched"

# A new file of our own there is fine.
(umask 000 && "$TL_BIN" -L "$SP" -d 1 --csv "$D/sticky/mine.csv" >/dev/null 2>"$TL_WORK/mine.err")
assert_eq "$?" "$(tl_status_for "$TL_WORK/mine.err")" "a new file in the sticky directory: exits 0 (3 if it lost records)"
assert_eq "$(stat -c %a "$D/sticky/mine.csv")" 600 "a new file is 0600 under umask 000"
assert_match "$(head -1 "$D/sticky/mine.csv")" "^start_time," "and holds the CSV header"
tl_finish
