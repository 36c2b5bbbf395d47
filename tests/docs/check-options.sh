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
# Then checks the docs' hook tier tables against `BINARY --list-probes -v`
# (whose tier lines come from the tool's own hook table): every Markdown
# table headed "| hook | what | tiers, best first |" in any *.md of the
# tree (wherever it has moved), the HOOKS section of MANPAGE (its
# "Tiers, best first: ..." lines) and every pasted --list-probes table's
# HOOK and WHAT columns must name the same hooks with the same tiers.
#
# Prints "PASS docs-options" and "PASS docs-tiers" and exits 0, or "FAIL
# docs-...: ..." (one line per problem) and exits 1. The options check
# needs no root; the tier check needs what --list-probes needs (root, or
# CAP_BPF and CAP_PERFMON), not any tier: a refused probe still lists every
# hook and its tiers.

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
man=$(cd "$(dirname "$man")" && pwd)/$(basename "$man")

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

name=docs-tiers
root=$(cd "$here/../.." && pwd)
err=$(mktemp)
trap 'rm -f "$err"' EXIT
probes=$("$bin" --list-probes -v 2>"$err") ||
	fail "'$bin --list-probes -v' exited with status $?: $(grep -m1 'error:' "$err")"

# "state tp_btf tracepoint": one line per hook, from the -v lines
# "tcplife-states: hook NAME: tiers, best first: TIER (PROGS), TIER, ...".
truth=$(sed -nE 's/^tcplife-states: hook ([[:alnum:]_]+): tiers, best first: (.*)$/\1 \2/p' "$err" |
	sed -E -e 's/ \([^)]*\)//g' -e 's/,//g')
[[ -n $truth ]] || fail "no 'hook NAME: tiers' lines in '$bin --list-probes -v' standard error"
# The rows, without the closing "syscall tax:" line (not a hook).
table=$(printf '%s\n' "$probes" | tail -n +2 | grep -v '^syscall tax: ')
[[ $(printf '%s\n' "$table" | awk '{ print $1 }') == $(printf '%s\n' "$truth" | awk '{ print $1 }') ]] ||
	fail "'$bin --list-probes' and its -v tier lines name different hooks"

# Each prints "WHERE<TAB>HOOK TIER TIER ..." per row of a tier table; a
# table is one WHERE (file:line of its header or section).
md_tables() {
	awk -v f="${1#"$root"/}" '
		/^\| *hook *\| *what *\| *tiers, best first *\|/ { at = f ":" FNR; next }
		at && /^\|/ {
			split($0, c, "|")
			if (c[2] ~ /^ *-+ *$/) next
			h = c[2]; t = c[4]
			gsub(/[` ]/, "", h); gsub(/[`,]/, "", t); gsub(/^ +| +$/, "", t); gsub(/ +/, " ", t)
			print at "\t" h " " t
			next
		}
		{ at = "" }
	' "$1"
}
man_table() {
	awk -v f="${1#"$root"/}" '
		/^\.SH[[:space:]]/ { inside = ($0 ~ /^\.SH[[:space:]]+"?HOOKS"?[[:space:]]*$/); at = f ":" FNR; next }
		!inside { next }
		tag { h = $2; tag = 0; next }
		/^\.TP/ { tag = 1; next }
		/^Tiers, best first: / {
			t = $0; sub(/^Tiers, best first: /, "", t); sub(/\.$/, "", t); gsub(/,/, "", t)
			print at "\t" h " " t
		}
	' "$1"
}
# The pasted --list-probes tables: their HOOK and WHAT columns (the tiers
# depend on the kernel they were run on).
md_samples() {
	awk -v f="${1#"$root"/}" '
		/^```/ { at = ""; next }
		/^HOOK +WHAT +TIER/ { at = f ":" FNR; w = index($0, "TIER") - 1; next }
		at && !/^syscall tax: / { print at "\t" substr($0, 1, w) }
	' "$1"
}

each_md() { # FUNCTION: run it on every *.md of the tree
	local md
	while IFS= read -r -d '' md; do
		"$1" "$md"
	done < <(find "$root" -name '*.md' -not -path '*/build/*' -not -path '*/.git/*' -print0 | sort -z)
}

rows=$(each_md md_tables)
mrows=$(man_table "$man")
[[ -n $rows ]] || fail "no Markdown tier table ('| hook | what | tiers, best first |') in any *.md under $root"
[[ -n $mrows ]] || fail "no 'Tiers, best first:' lines in the HOOKS section of $man"

problems=()
while read -r where; do
	got=$(printf '%s\n' "$rows" "$mrows" | awk -F'\t' -v w="$where" '$1 == w { print $2 }' | sort)
	while read -r o; do
		problems+=("$where: the tier table has '$o', '$bin --list-probes -v' has not")
	done < <(comm -23 <(printf '%s\n' "$got") <(printf '%s\n' "$truth" | sort))
	while read -r o; do
		problems+=("$where: '$bin --list-probes -v' has '$o', the tier table has not")
	done < <(comm -13 <(printf '%s\n' "$got") <(printf '%s\n' "$truth" | sort))
done < <(printf '%s\n' "$rows" "$mrows" | cut -f1 | sort -u)

samples=$(each_md md_samples)
hdr=$(printf '%s\n' "$probes" | head -n 1)
hdr=${hdr%%TIER*}
want=$(printf '%s\n' "$table" | cut -c "1-${#hdr}" | sed 's/ *$//')
while read -r where; do
	[[ -n $where ]] || continue
	got=$(printf '%s\n' "$samples" | awk -F'\t' -v w="$where" '$1 == w { print $2 }' | sed 's/ *$//')
	[[ $got == "$want" ]] ||
		problems+=("$where: the pasted --list-probes table's HOOK and WHAT columns differ from '$bin --list-probes'")
done < <(printf '%s\n' "$samples" | cut -f1 | sort -u)

((${#problems[@]} == 0)) || fail "${problems[@]}"
echo "PASS $name ($(printf '%s\n' "$rows" "$mrows" | cut -f1 | sort -u | wc -l) tier tables," \
	"$(printf '%s\n' "$samples" | cut -f1 | sort -u | grep -c .) pasted --list-probes," \
	"$(printf '%s\n' "$truth" | wc -l) hooks)"
