#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# No two source files call each other, directly or round a longer cycle:
# each file's objects name what they define and what they use (nm), and
# the graph "file A uses a function file B defines" must have no cycle.
# Usage: calls.sh OBJ...   (prints the cycle and exits 1 if there is one)
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 OBJ..." >&2; exit 2; }
for o in "$@"; do
	f=$(basename "$o" .o)
	nm "$o" | awk -v f="$f" 'NF == 3 && $2 ~ /^[TDBR]$/ { print "D", f, $3 } NF == 2 && $1 == "U" { print "U", f, $2 }'
done | awk '
	$1 == "D" { owner[$3] = $2; next }
	{ use[NR] = $2 " " $3 }
	END {
		for (i in use) {
			split(use[i], p, " ")
			if ((p[2] in owner) && owner[p[2]] != p[1])
				edge[p[1] " " owner[p[2]]] = p[2]
		}
		for (e in edge) { split(e, p, " "); adj[p[1]] = adj[p[1]] " " p[2]; node[p[1]] = 1 }
		bad = 0
		for (n in node) if (!bad) bad = visit(n, n)
		exit bad
	}
	# Depth-first search; state 1: on the current path, 2: done.
	function visit(n, path,    k, m, nb, i) {
		if (state[n] == 2) return 0
		state[n] = 1
		nb = split(adj[n], m, " ")
		for (i = 1; i <= nb; i++) {
			if (state[m[i]] == 1) {
				printf "calls: a cycle between source files: %s -> %s (%s)\n", path, m[i], edge[n " " m[i]]
				return 1
			}
			if (visit(m[i], path " -> " m[i])) return 1
		}
		state[n] = 2
		return 0
	}'
echo "calls: no cycle between $# source files"
