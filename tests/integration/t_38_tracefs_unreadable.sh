#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# CAP_BPF + CAP_PERFMON without DAC override, as a service user gets them
# (AmbientCapabilities=): the BPF programs load, but tracefs (mode 0700,
# root's) cannot be read, so no classic tracepoint can be attached. Before,
# each lost hook said "tracepoint syscalls:sys_exit_accept4 not found in
# tracefs ... no hook on this kernel" and the run looked whole. Now one
# warning names tracefs, its mode and owner, what the process lacks and
# every hook lost; --list-probes says the same; the summaries say that
# accepted connections have no owner of their own; the server's row has
# only its listener's (owner_from=listener: listen() is seen by the state
# hook) while the client's (owner taken at connect(), by the state hook)
# has the client's pid; exit 0. With CAP_DAC_READ_SEARCH added, as the warning
# advises, the hooks are back and the server's row has its owner.
#
# The user is nobody (65534), capabilities through setpriv (util-linux).
# Without CAP_SYS_ADMIN the tracer cannot enter the test's namespace to
# list timewait socks, so the client closes with a reset (--linger0): no
# TIME_WAIT, nothing that needs a listing.
source "$(dirname "$0")/lib.sh"
tl_require setpriv

TRACEFS=/sys/kernel/tracing
[[ -d $TRACEFS/events ]] || tl_skip "tracefs not mounted at $TRACEFS"
mode=$(stat -c %a "$TRACEFS")
[[ $(stat -c %u "$TRACEFS") == 0 && $((8#$mode & 5)) == 0 ]] ||
	tl_skip "tracefs is mode $mode here: other users can read it, nothing to check"

# The tracer as nobody: a copy it can reach, a directory it can write.
DIR=$(mktemp -d /tmp/tl-t38.XXXXXX) || tl_die "mktemp"
tl_on_exit rm -rf "$DIR"
chmod 755 "$DIR"
cp "$TL_BIN" "$DIR/tcplife-states" || tl_die "copy the tracer"
mkdir "$DIR/out" && chown 65534:65534 "$DIR/out" || tl_die "output directory"
REAL_BIN=$TL_BIN

as_nobody() { # CAPS ARGS...: the tracer as uid 65534 with exactly CAPS
	local caps=$1
	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,"$caps" \
		--ambient-caps=-all,"$caps" --bounding-set=-all,"$caps" "$DIR/tcplife-states" "$@"
}
CAPS=+bpf,+perfmon,+net_admin
capsum=$(as_nobody "$CAPS" --version >/dev/null 2>&1 && echo ok)
[[ $capsum == ok ]] || tl_skip "setpriv cannot hand CAP_BPF/CAP_PERFMON to uid 65534 here"

# --list-probes: the cause, per hook.
as_nobody "$CAPS" --list-probes >"$TL_WORK/probes.out" 2>&1
cat "$TL_WORK/probes.out"
acc=$(grep '^acceptfd ' "$TL_WORK/probes.out")
# Where fentry or kprobes work, the accept-fd hook is on the syscall
# function and needs no tracefs; only its tracepoint tier can be lost here.
acc_tier=$(awk '{ print $6 }' <<<"$acc")
if [[ $acc_tier == none ]]; then
	assert_contains "$acc" "tracefs $TRACEFS is not readable by this process (mode 0$mode, owner uid 0; this process: uid 65534 without CAP_DAC_READ_SEARCH)" \
		"--list-probes: the accept-fd hook's refusal names tracefs' permission"
else
	assert_match "$acc_tier" '^(fentry|kprobe)$' "--list-probes: the accept-fd hook needs no tracefs on the $acc_tier tier"
fi
assert_not_contains "$(cat "$TL_WORK/probes.out")" "not found in tracefs" "no 'not found' for a tracefs that is there"

conn_run() { # NAME CAPS: one connection 127.0.0.1:CP -> :SP traced as nobody with CAPS
	local name=$1 caps=$2
	tl_ports SP CP
	printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,%s --ambient-caps=-all,%s --bounding-set=-all,%s %s "$@"\n' \
		"$caps" "$caps" "$caps" "$DIR/tcplife-states" >"$DIR/run-$name"
	chmod 755 "$DIR/run-$name"
	TL_BIN=$DIR/run-$name
	tl_tracer_start "$name" -L "$SP" -L "$CP" --csv "$DIR/out/$name.csv" --json "$DIR/out/$name.json"
	TL_BIN=$REAL_BIN
	p0=$(tl_nstat "$NS" TcpPassiveOpens)
	a0=$(tl_nstat "$NS" TcpActiveOpens)
	tl_peer_server srv-$name "$NS" -a 127.0.0.1 -p "$SP" --allow-reset
	tl_peer_client cli-$name "$NS" -a 127.0.0.1 -p "$SP" --bind-port "$CP" --send 16 --linger0
	tl_expect_exit cli-$name 10
	tl_expect_exit srv-$name 10
	tl_settle "$NS" "$SP" "$CP"
	opens=$(($(tl_nstat "$NS" TcpPassiveOpens) - p0 + $(tl_nstat "$NS" TcpActiveOpens) - a0))
	tl_tracer_stop "$name"
	echo "--- $name stderr:"
	sed 's/^/    /' "$TL_WORK/$name.stderr"
	echo "--- $name stdout:"
	sed 's/^/    /' "$TL_WORK/$name.stdout"
	CSV=$DIR/out/$name.csv
	tl_csv_show "$CSV"
	assert_eq "$(tl_csv_count "$CSV")" "$opens" "$name: rows == the namespace's opens"
	assert_eq "$(tl_csv_get "$CSV" pid role=active lport="$CP")" "${TL_PID[cli-$name]}" \
		"$name: the client's row has the client's pid (taken at connect())"
}

tl_netns_new NS
conn_run nodac "$CAPS"
err=$(cat "$TL_WORK/nodac.stderr")
assert_not_contains "$err" "not found in tracefs" "no 'not found in tracefs'"
if [[ $acc_tier == none ]]; then
	assert_match "$err" "warning: tracefs $TRACEFS is not readable by this process \\(mode 0$mode, owner uid 0; this process: uid 65534 without CAP_DAC_READ_SEARCH\\): its tracepoints cannot be used; hooks lost: .*owner of accepted connections.*fd of accepted connections" \
		"one warning: tracefs' permission, and the hooks lost"
	assert_eq "$(tl_tracer_tier nodac acceptfd)" none "the accept-fd hook is lost"
else
	assert_eq "$(tl_tracer_tier nodac acceptfd)" "$acc_tier" "the accept-fd hook is on the syscall function"
	assert_not_contains "$err" "fd of accepted connections" "no warning loses the accept-fd hook"
fi
if [[ $(tl_tracer_tier nodac owner) == none ]]; then
	assert_contains "$err" "; no owners for accepted connections)" "the hook line says accepted connections have no owner"
	assert_contains "$err" "owners of accepted connections: unavailable (no owner hook)" "the stderr summary says owners are unavailable"
	assert_contains "$(cat "$TL_WORK/nodac.stdout")" "# owners of accepted connections unavailable" "the text summary says so"
	assert_contains "$(grep '"event":"summary"' "$DIR/out/nodac.json")" '"owners_unavailable":true' "the JSON summary says so"
	# What is left: the listener's owner (listen() is seen by the state
	# hook, which needs no tracefs), marked as such, never the acceptor's.
	assert_eq "$(tl_csv_get "$CSV" pid role=passive lport="$SP")" "${TL_PID[srv-nodac]}" \
		"the server's row has the listener's owner"
	assert_eq "$(tl_csv_get "$CSV" owner_from role=passive lport="$SP")" listener \
		"the server's row says its owner is the listener's, not the accepting process"
else
	# fentry/kprobe tiers (tests/kmatrix): the owner hook needs no tracefs.
	assert_eq "$(tl_csv_get "$CSV" pid role=passive lport="$SP")" "${TL_PID[srv-nodac]}" \
		"owner hook $(tl_tracer_tier nodac owner): the server's row has the server's pid"
	assert_not_contains "$err" "owners of accepted connections: unavailable" "the summary does not claim owners unavailable"
fi

# The warning's advice: CAP_DAC_READ_SEARCH brings the hooks back.
conn_run dac "$CAPS,+dac_read_search"
err=$(cat "$TL_WORK/dac.stderr")
assert_not_contains "$err" "is not readable" "with CAP_DAC_READ_SEARCH: no tracefs warning"
assert_ne "$(tl_tracer_tier dac acceptfd)" none "with CAP_DAC_READ_SEARCH: the accept-fd hook is attached"
assert_not_contains "$err" "owners of accepted connections: unavailable" "with CAP_DAC_READ_SEARCH: owners available"
assert_eq "$(tl_csv_get "$CSV" pid role=passive lport="$SP")" "${TL_PID[srv-dac]}" \
	"with CAP_DAC_READ_SEARCH: the server's row has the server's pid"
tl_finish
