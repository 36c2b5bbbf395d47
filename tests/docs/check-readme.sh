#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# check-readme.sh BINARY [README]
#
# The README is for users: options and schemas live in the man page
# (check-options.sh, check-schemas.sh). What the README still says must be
# true:
#  - it is at most 400 lines;
#  - it gives the set-up commands `sudo make run` and `sudo make test` (the
#    one .ci/run runs, as a user would);
#  - every long option on a command line of the tool it shows is one that
#    `BINARY --help` lists;
#  - every relative link points at a file of the tree.
#
# Prints "PASS docs-readme" and exits 0, or "FAIL docs-readme: ..." (one
# line per problem) and exits 1. Needs no root: it only runs --help.

set -u -o pipefail

name=docs-readme
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-}
readme=${2:-$root/README.md}
max_lines=400
problems=()
# shellcheck source=lib.sh
. "$here/lib.sh"

[[ -n $bin ]] || fail "usage: $0 BINARY [README]"
[[ -x $bin ]] || fail "$bin is not an executable file"
[[ -r $readme ]] || fail "cannot read $readme"
help=$("$bin" --help 2>&1) || fail "'$bin --help' exited with status $?"

n=$(wc -l <"$readme")
((n <= max_lines)) || problems+=("$readme has $n lines, more than $max_lines")

for cmd in 'sudo make run' 'sudo make test'; do
	grep -qE "^$cmd( |$)" "$readme" || problems+=("$readme does not give the command '$cmd'")
done

help_opts=$(printf '%s\n' "$help" | help_long_opts)
# The tool's command lines: "sudo tcplife-states ..." or "$ sudo build/tcplife-states ...".
used=$(grep -E '^(\$ )?(sudo )?(build/)?tcplife-states( |$)' "$readme" |
	sed 's/#.*//' | grep -oE -- '(^| )--[[:alnum:]][[:alnum:]-]*' | tr -d ' ' | sort -u)
while read -r o; do
	[[ -n $o ]] && problems+=("$o is used in $readme but not in '$bin --help'")
done < <(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$help_opts"))

while read -r link; do
	[[ -e $(dirname "$readme")/${link%%#*} ]] || problems+=("$readme links to $link, which does not exist")
done < <(grep -oE '\]\([^)#:]+(#[^)]*)?\)' "$readme" | sed -E 's/^\]\(//; s/\)$//')

((${#problems[@]} == 0)) || fail "${problems[@]}"
echo "PASS $name"
