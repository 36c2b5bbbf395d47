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

ln -s "$D/target" "$D/link.csv"
"$TL_BIN" -L "$SP" -d 1 --csv "$D/link.csv" >/dev/null 2>"$TL_WORK/link.err"
rc=$?
cat "$TL_WORK/link.err"
assert_eq "$rc" 1 "a symlinked --csv exits 1"
assert_eq "$(wc -l <"$TL_WORK/link.err")" 1 "one error line"
assert_match "$(cat "$TL_WORK/link.err")" "link\\.csv.*symbolic link" "the error names the file and the reason"
assert_eq "$(cat "$D/target")" precious "the symlink's target is untouched"

mkdir -m 1777 "$D/sticky"
echo "theirs" >"$D/sticky/f.json"
chown 65534 "$D/sticky/f.json"
"$TL_BIN" -L "$SP" -d 1 --json "$D/sticky/f.json" >/dev/null 2>"$TL_WORK/sticky.err"
rc=$?
cat "$TL_WORK/sticky.err"
assert_eq "$rc" 1 "another user's file in a sticky world-writable directory: exits 1"
assert_eq "$(wc -l <"$TL_WORK/sticky.err")" 1 "one error line"
assert_match "$(cat "$TL_WORK/sticky.err")" "f\\.json.*another user" "the error names the file and the reason"
assert_eq "$(cat "$D/sticky/f.json")" theirs "their file is untouched"

# Our own file there is fine; so is the directory owner's.
(umask 000 && "$TL_BIN" -L "$SP" -d 1 --csv "$D/sticky/mine.csv" >/dev/null 2>"$TL_WORK/mine.err")
assert_eq "$?" 0 "a new file in the sticky directory: exits 0"
assert_eq "$(stat -c %a "$D/sticky/mine.csv")" 600 "a new file is 0600 under umask 000"
assert_match "$(head -1 "$D/sticky/mine.csv")" "^start_time," "and holds the CSV header"
tl_finish
