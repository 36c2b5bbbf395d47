# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lib.sh - sourced by the tests/docs checks. Each sets $name first.

# Print "FAIL $name: MESSAGE" for each argument and exit 1.
fail() {
	local m
	for m in "$@"; do
		echo "FAIL $name: $m"
	done
	exit 1
}

# The long options --help lists, one a line, sorted, read from stdin. The
# option lines are indented and start with "-x, --long" or "--long"; the
# first long option on each such line is the option it documents (the
# description may mention others).
help_long_opts() {
	sed -nE 's/^[[:space:]]+(-[[:alnum:]], )?(--[[:alnum:]][[:alnum:]-]*).*/\2/p' | sort -u
}
