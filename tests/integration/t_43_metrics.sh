#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# --metrics against the kernel's counters and a real Prometheus. The load
# runs in namespace NS, every process of it in a cgroup of the test's own;
# the tracer (--cgroup: exactly the load) and Debian's Prometheus (1 s
# scrapes) run in namespace MON, so neither the scrapes nor anything else
# on the host is counted. Load: 40 request/response connections that
# close, 10 held open, one connection whose SYNs are dropped three times,
# one whose handshake ACK is dropped until the listener retransmits its
# SYN-ACK, one whose FIN's ACK is dropped until the FIN is retransmitted
# twice. Then:
# - the scrape passes `promtool check metrics` (with --listeners, so its
#   listener families too; SP's backlog and drops are ss's);
# - closed + open connections (summed over labels) = NS's TcpActiveOpens +
#   TcpPassiveOpens, in the scrape while running and in the final
#   --metrics-file the exit writes;
# - retransmits{kind="syn"} and {kind="synack"} = TcpExtTCPSynRetrans's
#   delta over each step, {kind="fin"} = the FIN step's retransmitted
#   segments (TcpRetransSegs - TCPRetransFail), and all kinds together =
#   the whole run's;
# - the ESTABLISHED histogram's count = the closed rows of the tracer's own
#   --csv of the same run whose time in ESTABLISHED is measured;
# - Prometheus's API answers sum(tcplife_connections_closed_total) and the
#   retransmit counts with the same totals;
# - an OpenMetrics Accept gets that Content-Type and `# EOF`.
source "$(dirname "$0")/lib.sh"
PROM_DIR=$TL_BUILD/prometheus/usr/bin
tl_require curl nsenter "$PROM_DIR/prometheus" "$PROM_DIR/promtool"

CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[[ -n $CGROOT ]] || tl_skip "no cgroup v2 hierarchy mounted"
CG=$CGROOT/tl-test-$$
mkdir "$CG" || tl_skip "cannot create a cgroup under $CGROOT"
tl_on_exit rmdir "$CG"

tl_netns_new NS
tl_netns_new MON
tl_ports SP SP2 SP3 SP4 CP4 MPORT PPORT
CSV=$TL_WORK/tr.csv
FINAL=$TL_WORK/final.prom
URL=http://127.0.0.1:$MPORT/metrics

mon() { ip netns exec "$MON" "$@"; }

load() { # NAME CMD...: as tl_bg NAME NS CMD..., in the cgroup from its start
	# (joined before `ip netns exec`, which mounts another /sys)
	local name=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$@"' "$CG" "$NS" "$@" \
		>"$TL_WORK/$name.out" 2>"$TL_WORK/$name.err" &
	TL_PID[$name]=$!
	TL_BG_PIDS+=($!)
	tl_log "started $name (pid $!) in $NS and $CG: $*"
}

load_server() { # NAME ARGS...: a tlpeer server of the load; returns once listening
	load "$1" "$TL_PEER" server --ready-file "$TL_WORK/$1.ready" "${@:2}"
	tl_wait_file "$TL_WORK/$1.ready" 10 || tl_die "server $1 not listening"
}

msum() { # FILE NAME [ERE [!ERE]]: sum of NAME's samples whose labels (lower
	# case) match ERE and not the second
	awk -v n="$2" -v re="${3:-}" -v nre="${4:-}" '
		$1 ~ "^" n "($|\\{)" {
			l = tolower($1)
			if ((re == "" || l ~ re) && (nre == "" || l !~ nre)) s += $NF
		}
		END { printf "%d\n", s }' "$1"
}

conns() { # FILE: closed + open connections (a listener is not one)
	echo $(($(msum "$1" tcplife_connections_closed_total) +
		$(msum "$1" tcplife_open_connections "" 'state="listen"')))
}

opens() { # the load namespace's connections: active + passive opens
	echo $(($(tl_nstat "$NS" TcpActiveOpens) + $(tl_nstat "$NS" TcpPassiveOpens)))
}

scrape() { # FILE: one scrape of the tracer
	mon curl -sf -o "$1" "$URL"
}

scrape_matches() { # RETRANS: a scrape now counts every connection the kernel
	# opened and RETRANS retransmits (the walk behind a scrape is up to -i old)
	scrape "$TL_WORK/scrape.txt" && (($(conns "$TL_WORK/scrape.txt") == $(opens))) &&
		(($(msum "$TL_WORK/scrape.txt" tcplife_retransmits_total) == $1))
}

promql() { # QUERY: the value of a one-element vector from Prometheus's API
	mon curl -sfG "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}

prom_says() { # QUERY WANT
	[[ $(promql "$1") == "$2" ]]
}

# The tracer in MON: its endpoint is where Prometheus is. nsenter, not
# `ip netns exec`, which mounts a sysfs of the namespace's own over /sys,
# and the cgroup hierarchy under it with it.
printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s %s "$@"\n' "$MON" "$TL_BIN" >"$TL_WORK/in-mon"
chmod +x "$TL_WORK/in-mon"
TL_BIN=$TL_WORK/in-mon tl_tracer_start tr --cgroup "$CG" --metrics "127.0.0.1:$MPORT" \
	--metrics-file "$FINAL" --csv "$CSV" -i 1 --listeners --max-ports 1024 # (the host may listen on more ports than 64)
assert_contains "$(cat "$TL_WORK/tr.stderr")" "serving metrics on $URL" "the start says where the metrics are"

cat >"$TL_WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tcplife
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
tl_bg prom "$MON" "$PROM_DIR/prometheus" --config.file="$TL_WORK/prometheus.yml" \
	--storage.tsdb.path="$TL_WORK/prom-data" --web.listen-address="127.0.0.1:$PPORT"

r_start=$(tl_retrans_sent "$NS")
echo "=== load: 40 connections that close, 10 held open"
load_server srv -a 127.0.0.1 -p "$SP" -n 0
load cli "$TL_PEER" client -a 127.0.0.1 -p "$SP" -n 40 -c 4 --send 200
load held "$TL_PEER" client -a 127.0.0.1 -p "$SP" -n 10 -c 10 --send 200 --never-close --timeout 0
tl_expect_exit cli 60 0
tl_wait_count "$TL_WORK/held.out" '^event .*ev=sent' 10 30 || tl_die "10 held connections not up"

echo "=== three SYNs dropped"
s0=$(tl_nstat "$NS" TcpExtTCPSynRetrans)
load_server srv2 -a 127.0.0.1 -p "$SP2"
tl_nft_drop "$NS" H2 tcp dport "$SP2" 'tcp flags & (syn | ack) == syn'
load syn "$TL_PEER" client -a 127.0.0.1 -p "$SP2"
tl_wait_for 30 "the rule dropped 3 SYNs" tl_nft_count_ge "$NS" "$H2" 3
tl_nft_undrop "$NS" "$H2"
tl_expect_exit syn 30 0
tl_expect_exit srv2 10 0
s1=$(tl_nstat "$NS" TcpExtTCPSynRetrans)

echo "=== the handshake's ACK dropped until the SYN-ACK is retransmitted"
load_server srv3 -a 127.0.0.1 -p "$SP3"
tl_nft_drop "$NS" H3 tcp dport "$SP3" 'tcp flags & (syn | ack | fin | rst | psh) == ack'
load synack "$TL_PEER" client -a 127.0.0.1 -p "$SP3" --send 16 --go-file "$TL_GO"
tl_wait_for 30 "the listener retransmitted the SYN-ACK" tl_nstat_ge "$NS" TcpExtTCPSynRetrans $((s1 + 1))
tl_nft_undrop "$NS" "$H3"
tl_go
tl_expect_exit synack 30 0
tl_expect_exit srv3 10 0
s2=$(tl_nstat "$NS" TcpExtTCPSynRetrans)

echo "=== the server's ACKs of the client's FIN dropped: the FIN retransmitted"
load_server srv4 -a 127.0.0.1 -p "$SP4" --go-file "$TL_WORK/go.srv4"
load fin "$TL_PEER" client -a 127.0.0.1 -p "$SP4" --bind-port "$CP4" --send 0 --go-file "$TL_WORK/go.fin"
tl_wait_for 30 "the FIN step's connection established" \
	eval '[[ -n $(tl_ns "$NS" ss -tanH state established "( sport = :$CP4 )") ]]'
r0=$(tl_retrans_sent "$NS")
tl_nft_drop "$NS" H4 tcp dport "$CP4"
TL_GO=$TL_WORK/go.fin tl_go
tl_wait_for 30 "two retransmits of the client's FIN (TcpRetransSegs)" \
	eval '(($(tl_retrans_sent "$NS") >= r0 + 2))'
tl_nft_undrop "$NS" "$H4"
tl_wait_for 30 "the client's FIN ACKed (ss: FIN-WAIT-2)" \
	eval '[[ -n $(tl_ns "$NS" ss -tanH state fin-wait-2 "( sport = :$CP4 )") ]]'
r1=$(tl_retrans_sent "$NS")
TL_GO=$TL_WORK/go.srv4 tl_go
tl_expect_exit fin 30 0
tl_expect_exit srv4 30 0
tl_settle "$NS"
r_end=$(tl_retrans_sent "$NS")
echo "retransmitted segments: FIN step $((r1 - r0)), whole run $((r_end - r_start))"
echo "TcpExtTCPSynRetrans: SYN step $((s1 - s0)), SYN-ACK step $((s2 - s1)); opens $(opens)"
assert_gt $((s1 - s0)) 0 "setup: SYNs retransmitted"
assert_gt $((s2 - s1)) 0 "setup: SYN-ACKs retransmitted"
assert_gt $((r1 - r0)) 1 "setup: the FIN retransmitted"

echo "=== the scrape"
tl_wait_for 30 "a scrape counts the namespace's $(opens) connections and $((r_end - r_start)) retransmits" \
	scrape_matches $((r_end - r_start))
S=$TL_WORK/scrape.txt
grep -E '^tcplife_(connections_closed_total|open_connections|retransmits_total)' "$S"
"$PROM_DIR/promtool" check metrics <"$S" >"$TL_WORK/promtool.out" 2>&1
assert_eq "$?" 0 "promtool check metrics: exit status"
assert_eq "$(wc -c <"$TL_WORK/promtool.out")" 0 "promtool check metrics: nothing to say ($(head -n 3 "$TL_WORK/promtool.out"))"
assert_eq "$(conns "$S")" "$(opens)" "closed + open = TcpActiveOpens + TcpPassiveOpens"
assert_eq "$(msum "$S" tcplife_open_connections 'state="established"')" 20 "open ESTABLISHED: the 10 held connections, both ends"
assert_eq "$(msum "$S" tcplife_retransmits_total 'kind="syn"')" $((s1 - s0)) "retransmits{kind=syn} = the SYN step's TcpExtTCPSynRetrans"
assert_eq "$(msum "$S" tcplife_retransmits_total 'kind="synack"')" $((s2 - s1)) "retransmits{kind=synack} = the SYN-ACK step's TcpExtTCPSynRetrans"
assert_eq "$(msum "$S" tcplife_retransmits_total 'kind="fin"')" $((r1 - r0)) "retransmits{kind=fin} = the FIN step's TcpRetransSegs - TCPRetransFail"
assert_eq "$(msum "$S" tcplife_retransmits_total)" $((r_end - r_start)) "retransmits, every kind = the run's TcpRetransSegs - TCPRetransFail"
# --listeners: the listener families, in the scrape promtool checked. The
# load's server on SP still listens; ss -tlm gives its backlog and drops.
grep "^tcplife_listen_[a-z_]*{port=\"$SP\"}" "$S"
sq=$(tl_ns "$NS" ss -tlnH "sport = :$SP" | awk '{ print $3 }')
sd=$(tl_ns "$NS" ss -tlnmH "sport = :$SP" | grep -o ',d[0-9]*)' | tr -dc 0-9)
assert_eq "$(msum "$S" tcplife_listen_backlog "port=\"$SP\"")" "$sq" "listen_backlog{port=SP} = ss's Send-Q"
assert_eq "$(msum "$S" tcplife_listen_drops_total "port=\"$SP\"")" "$sd" "listen_drops_total{port=SP} = ss -tlm's d"
assert_eq "$(grep -c '^# TYPE tcplife_listen_' "$S")" 4 "the four listener families are declared"

mon curl -sf -D "$TL_WORK/om.head" -o "$TL_WORK/om.txt" -H 'Accept: application/openmetrics-text; version=1.0.0' "$URL"
assert_match "$(grep -i '^content-type:' "$TL_WORK/om.head")" 'application/openmetrics-text; version=1\.0\.0' "OpenMetrics asked: its Content-Type"
assert_eq "$(tail -n 1 "$TL_WORK/om.txt")" "# EOF" "OpenMetrics: ends with # EOF"
mon curl -s -D "$TL_WORK/text.head" -o /dev/null "$URL"
assert_match "$(grep -i '^content-type:' "$TL_WORK/text.head")" 'text/plain; version=0\.0\.4' "no Accept: the text format"
assert_eq "$(mon curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing")" 404 "another path: 404"
assert_eq "$(mon curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")" 405 "POST: 405"

echo "=== Prometheus"
closed=$(msum "$S" tcplife_connections_closed_total)
rtx=$(msum "$S" tcplife_retransmits_total)
# A scrape of Prometheus's own that holds everything our scrape held: the
# closed count alone can be complete in an earlier one, taken before the
# FIN step's last retransmit was counted (CI: PromQL 2 FIN retransmits of 3,
# our scrape and the final file 3).
tl_wait_for 60 "Prometheus says sum(tcplife_connections_closed_total) = $closed" \
	prom_says 'sum(tcplife_connections_closed_total)' "$closed"
tl_wait_for 60 "Prometheus says sum(tcplife_retransmits_total) = $rtx" \
	prom_says 'sum(tcplife_retransmits_total)' "$rtx"
assert_eq "$(promql 'sum(tcplife_connections_closed_total)')" "$closed" "PromQL: closed connections"
assert_eq "$(promql 'sum(tcplife_retransmits_total{kind="syn"})')" $((s1 - s0)) "PromQL: SYN retransmits"
assert_eq "$(promql 'sum(tcplife_retransmits_total{kind="synack"})')" $((s2 - s1)) "PromQL: SYN-ACK retransmits"
assert_eq "$(promql 'sum(tcplife_retransmits_total{kind="fin"})')" $((r1 - r0)) "PromQL: FIN retransmits"

echo "=== the exit's file"
opened=$(opens)
tl_tracer_stop tr
grep -E '^tcplife_(connections_closed_total|open_connections)' "$FINAL"
assert_eq "$(conns "$FINAL")" "$opened" "final file: closed + open = TcpActiveOpens + TcpPassiveOpens"
est=$(tl_csv_count "$CSV" closed=true 'established_ms~^[0-9]')
assert_gt "$est" 0 "setup: closed rows that left ESTABLISHED"
assert_eq "$(msum "$FINAL" tcplife_state_duration_seconds_count 'state="established"')" "$est" \
	"final file: ESTABLISHED histogram count = the CSV's closed rows with established_ms"
assert_eq "$(msum "$FINAL" tcplife_connections_closed_total)" "$(tl_csv_count "$CSV" closed=true)" \
	"final file: closed total = the CSV's closed rows"
assert_eq "$(msum "$FINAL" tcplife_retransmits_total 'kind="fin"')" $((r1 - r0)) "final file: retransmits{kind=fin} = the FIN step's"
assert_eq "$(msum "$FINAL" tcplife_retransmits_total)" $((r_end - r_start)) "final file: retransmits, every kind = the run's"

tl_finish
