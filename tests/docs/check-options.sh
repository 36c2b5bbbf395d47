#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# check-options.sh BINARY [MANPAGE]
#
# Checks that --help and the man page document the same long options: every
# long option that `BINARY --help` lists appears as an entry of the man
# page's OPTIONS section, and every entry there is one that --help lists.
# MANPAGE defaults to man/tcplife-states.8 beside this script's tree.
#
# Prints "PASS docs-options" and exits 0, or "FAIL docs-options: ..." (one
# line per problem) and exits 1. Needs no root: it only runs --help.

set -u -o pipefail

name=docs-options
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${1:-}
man=${2:-$here/../../man/tcplife-states.8}
# shellcheck source=lib.sh
. "$here/lib.sh"

[[ -n $bin ]] || fail "usage: $0 BINARY [MANPAGE]"
[[ -x $bin ]] || fail "$bin is not an executable file"
[[ -r $man ]] || fail "cannot read the man page $man"

help=$("$bin" --help 2>&1) || fail "'$bin --help' exited with status $?"

help_opts=$(printf '%s\n' "$help" | help_long_opts)
[[ -n $help_opts ]] || fail "no long options found in '$bin --help'"

# Man page: the OPTIONS section runs from ".SH OPTIONS" to the next ".SH".
# Its entries are the tag lines that follow ".TP" (".SS" subsections are
# allowed). troff escapes are undone first: \- is a minus, \fX and \f(XX
# change fonts.
section=$(awk '
	/^\.SH[[:space:]]/ { inside = ($0 ~ /^\.SH[[:space:]]+"?OPTIONS"?[[:space:]]*$/); next }
	inside { print }
' "$man")
[[ -n $section ]] || fail "no OPTIONS section (.SH OPTIONS) in $man"

man_opts=$(printf '%s\n' "$section" |
	awk 'tag { print; tag = 0; next } /^\.TP/ { tag = 1 }' |
	sed -E -e 's/\\-/-/g' -e 's/\\f(\([[:alnum:]]{2}|\[[^]]*\]|.)//g' -e 's/\\&//g' |
	grep -oE -- '--[[:alnum:]][[:alnum:]-]*' |
	sort -u)
[[ -n $man_opts ]] || fail "no long options found in the OPTIONS section of $man"

problems=()
while read -r o; do
	problems+=("$o is in '$bin --help' but not in the OPTIONS section of $man")
done < <(comm -23 <(printf '%s\n' "$help_opts") <(printf '%s\n' "$man_opts"))
while read -r o; do
	problems+=("$o is in the OPTIONS section of $man but not in '$bin --help'")
done < <(comm -13 <(printf '%s\n' "$help_opts") <(printf '%s\n' "$man_opts"))

((${#problems[@]} == 0)) || fail "${problems[@]}"
echo "PASS $name"
