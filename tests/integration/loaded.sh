#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# loaded.sh BUILD_DIR [NAME_FILTER...]: the integration suite (run.sh) with
# every CPU kept busy beside it by stress-ng (one CPU worker per core, at
# the same priority), as on a loaded production host. The tests assert
# conditions, not clocks: they must pass like this too. `sudo make
# test-loaded`. CI runs `make test` beside the kernel matrix instead (.ci/run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v stress-ng >/dev/null || { echo "stress-ng not installed (sudo make deps DEPS_PKGS=stress-ng)" >&2; exit 1; }
stress-ng --cpu "$(nproc)" --timeout 2h --quiet &
load=$!
trap 'kill "$load" 2>/dev/null; wait "$load" 2>/dev/null' EXIT
echo "stress-ng --cpu $(nproc) running beside the suite (pid $load)"
"$here/run.sh" "$@"
