#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# check-schemas.sh [MANPAGE]
#
# The man page is where the output schemas are documented; this checks it
# against the code that writes them:
#  - the CSV columns: the entries of the man page's "CSV (--csv)" section
#    (its .TP tags, outside the nested close_cause list) against the header
#    row tests/unit/test_sinks.c expects (make unit checks that header
#    against src/sink_csv.c), in the same order;
#  - the close causes: the nested list under close_cause against the names
#    in src/states.c;
#  - the JSON summary: the keys of the man page's summary object against
#    those src/sink_json.c writes;
#  - the connect_error object: the keys of the man page's example in its
#    JSON section against those src/sink_json.c's json_connect_error writes;
#  - the --once --limits object: the keys of the man page's example in its
#    LIMITS section against the sysctl table of src/tcplimits.c and the keys
#    src/tcplimits_fmt.c writes;
#  - the --once --listeners object: the keys of the man page's example in
#    its LISTENERS section against those src/listenstat.c writes;
#  - the listen_overflow object of a run with --listeners: the keys of its
#    example there against those src/sink_json.c (json_listen_overflow)
#    and src/listenstat.c (lsn_json_ident) write.
#
# Prints "PASS docs-schemas" and exits 0, or "FAIL docs-schemas: ..." (one
# line per problem) and exits 1.

set -u -o pipefail

name=docs-schemas
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$here/../..
man=${1:-$root/man/tcplife-states.8}
problems=()
# shellcheck source=lib.sh
. "$here/lib.sh"

[[ -r $man ]] || fail "cannot read the man page $man"

# A man page section: from ".SS TITLE..." to the next .SS or .SH.
man_subsection() {
	awk -v t="$1" '
		/^\.S[SH][[:space:]]/ { inside = (index($0, t) == 1); next }
		inside { print }' "$man"
}

# The .TP tags of a section, split into words, troff escapes undone; depth 0
# (not inside .RS/.RE) or depth 1, as $2 says.
tags_at_depth() {
	awk -v want="$1" '
		/^\.RS/ { depth++; next }
		/^\.RE/ { depth--; next }
		tag { if (depth == want) print; tag = 0; next }
		/^\.TP/ { tag = 1 }' |
		sed -E -e 's/^\.[BI]R?[[:space:]]+//' -e 's/\\-/-/g' -e 's/[",]/ /g' |
		tr -s ' ' '\n' | grep -E '^[a-z_0-9]+$'
}

csv=$(man_subsection '.SS CSV')
[[ -n $csv ]] || fail "no CSV section (.SS CSV) in $man"

code_cols=$(awk '/^#define CSV_HEADER/ { on = 1 } on { print } on && !/\\$/ { exit }' \
	"$root/tests/unit/test_sinks.c" | grep -oE '"[^"]*"' | tr -d '"\n' | sed 's/\\n$//' | tr ',' '\n')
[[ -n $code_cols ]] || fail "no CSV_HEADER in tests/unit/test_sinks.c"
man_cols=$(printf '%s\n' "$csv" | tags_at_depth 0)
[[ $man_cols == "$code_cols" ]] ||
	problems+=("CSV columns differ (< man page, > code): $(diff <(echo "$man_cols") <(echo "$code_cols") | grep '^[<>]' | paste -sd' ')")

code_causes=$(grep -oE '^\s*\[CAUSE_[A-Z0-9_]+\] = "[a-z_0-9]+"' "$root/src/states.c" |
	grep -oE '"[a-z_0-9]+"' | tr -d '"' | sort)
man_causes=$(printf '%s\n' "$csv" | tags_at_depth 1 | sort)
[[ -n $code_causes && $man_causes == "$code_causes" ]] ||
	problems+=("close causes differ (< man page, > src/states.c): $(diff <(echo "$man_causes") <(echo "$code_causes") | grep '^[<>]' | paste -sd' ')")

code_keys=$(awk '/^static int json_summary\(/ { on = 1 } on { print } on && /^}/ { exit }' \
	"$root/src/sink_json.c" | grep -oE '\\"[a-z_]+\\":' | tr -d '\\":' | sort -u)
# The summary object's block, and the keys shown as present only sometimes
# ("key":true in the text).
json=$(man_subsection '.SS JSON' | sed 's/\\(dq/"/g')
man_keys=$({
	printf '%s\n' "$json" | awk '/"event":"summary"/ { on = 1 } on && /^\.fi/ { exit } on'
	printf '%s\n' "$json" | grep -oE '"[a-z_]+":true'
} | grep -oE '"[a-z_]+":' | tr -d '":' | sort -u)
[[ -n $code_keys && $man_keys == "$code_keys" ]] ||
	problems+=("JSON summary keys differ (< man page, > src/sink_json.c): $(diff <(echo "$man_keys") <(echo "$code_keys") | grep '^[<>]' | paste -sd' ')")

# The connect_error object: the man page's example in the JSON section
# against the keys json_connect_error() writes.
code_keys=$(awk '/^static int json_connect_error\(/ { on = 1 } on { print } on && /^}/ { exit }' \
	"$root/src/sink_json.c" | grep -oE '\\"[a-z_]+\\":' | tr -d '\\":' | sort -u)
man_keys=$(printf '%s\n' "$json" | awk '/"event":"connect_error"/ { on = 1 } on && /^\.fi/ { exit } on' |
	grep -oE '"[a-z_]+":' | tr -d '":' | sort -u)
[[ -n $code_keys && $man_keys == "$code_keys" ]] ||
	problems+=("connect_error JSON keys differ (< man page, > src/sink_json.c): $(diff <(echo "$man_keys") <(echo "$code_keys") | grep '^[<>]' | paste -sd' ')")

# The keys of the JSON example {"event":"EVENT",...} in the man page's
# section .SH SECTION against $code_keys, which CODE writes.
check_example() { # SECTION EVENT CODE
	local man_keys
	man_keys=$(awk -v t=".SH $1" 'index($0, t) == 1 { on = 1; next } on && /^\.SH/ { exit } on' "$man" |
		sed 's/\\(dq/"/g' | awk -v e="\"event\":\"$2\"" 'index($0, e) { on = 1 } on && /^\.fi/ { exit } on' |
		grep -oE '"[a-z_0-9]+":' | tr -d '":' | sort -u)
	[[ -n $code_keys && $man_keys == "$code_keys" ]] ||
		problems+=("$2 JSON keys differ (< man page, > $3): $(diff <(echo "$man_keys") <(echo "$code_keys") | grep '^[<>]' | paste -sd' ')")
}

code_keys=$({
	grep -oE '^\s*\[LIM_[A-Z0-9_]+\] = \{ "[a-z_0-9]+"' "$root/src/tcplimits.c" | grep -oE '"[a-z_0-9]+"'
	grep -oE '\\"[a-z_0-9]+\\":' "$root/src/tcplimits_fmt.c"
} | tr -d '\\":' | sort -u)
check_example LIMITS limits "src/tcplimits*.c"

code_keys=$({
	grep -oE '\\"[a-z_0-9]+\\":' "$root/src/listenstat.c"
	grep -oE 'json_num\(f, "[a-z_0-9]+"' "$root/src/listenstat.c" | grep -oE '"[a-z_0-9]+"'
} | tr -d '\\":' | sort -u)
check_example LISTENERS listener src/listenstat.c

# A function's body: from the line that defines NAME( to its closing "}".
fn_body() { # FILE NAME
	awk -v f="$2(" 'index($0, f) == 1 || index($0, " " f) && /^[a-z]/ { on = 1 } on { print } on && /^}/ { exit }' "$1"
}
code_keys=$({
	fn_body "$root/src/sink_json.c" json_listen_overflow
	fn_body "$root/src/listenstat.c" lsn_json_ident
} | grep -oE '\\"[a-z_0-9]+\\":' | tr -d '\\":' | sort -u)
check_example LISTENERS listen_overflow "src/sink_json.c, src/listenstat.c"

((${#problems[@]} == 0)) || fail "${problems[@]}"
echo "PASS $name"
