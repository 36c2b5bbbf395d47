#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# kmatrix.sh BUILD_DIR
#
# Runs tests/integration's scenarios on Debian's own kernels under qemu,
# once per hook tier (tcplife-states --tier fentry|kprobe|tracepoint), and
# prints one table: scenario x kernel x tier, PASS/FAIL/SKIP with the
# reason for every SKIP and FAIL, and which tier every hook got. Exits 1 on
# any FAIL (a missing result, a VM that did not finish, counts too).
#
# What it does (root; `sudo make kmatrix` builds first and installs the
# packages in KMATRIX_PKGS):
#  1. Resolves each kernel series (KMATRIX_SERIES, default "6.1 6.12") to
#     the newest linux-image-SERIES.*-cloud-amd64 the apt archive offers,
#     at run time, and fetches it with `apt-get download` into
#     BUILD_DIR/kmatrix/debs (a cache; build/ is never committed).
#  2. Builds one initramfs: busybox-static (applets in /bb), the host's
#     BUILD_DIR/tcplife-states and tests/helpers binaries - the very binaries
#     `make test` runs, so the BPF object is the same one (the CO-RE proof) -
#     the tools the scenarios use (bash, ip, nft, nstat, ss, coreutils, ...),
#     each with the shared libraries and loader `ldd` names, the kernel
#     modules the scenarios need for each kernel (nf_tables, nft_numgen,
#     tcp_diag, veth and what they depend on), tests/integration and
#     tests/kmatrix/init.
#  3. Boots each kernel under qemu with TCG, one thread (KVM dies on these kernels with
#     "emulation failure" and qemu then pauses instead of exiting), with a
#     hard timeout and a watchdog on the serial log (panic, KVM error, no
#     output for KMATRIX_IDLE seconds), and reads the results from the log.
#     One boot per kernel runs every tier; the kernels boot side by side.
#
# Which scenarios: every tests/integration/t_*.sh (new ones join by
# themselves), except those in tests/kmatrix/skip.list ("NAME reason"),
# which show as SKIP with that reason. KMATRIX_TESTS="t_03 t_04" narrows
# the run (the rest show as SKIP: not selected).
#
# Environment: KMATRIX_SERIES, KMATRIX_TIERS (default
# "fentry kprobe tracepoint"), KMATRIX_TESTS, KMATRIX_TEST_TIMEOUT (per
# scenario in the VM, default 300 s), KMATRIX_BOOT_TIMEOUT (per boot,
# default 5400 s: a backstop, KMATRIX_IDLE catches a hang), KMATRIX_IDLE
# (default 600 s), KMATRIX_SMP (2),
# KMATRIX_MEM (1G), KMATRIX_ACCEL (tcg,thread=single), KMATRIX_JOBS (kernels
# booted at once, default nproc), KMATRIX_MD=FILE (also write the tables as Markdown),
# KMATRIX_README=FILE (write the result into FILE's kmatrix section; a full
# run writes tests/kmatrix/README.md's unless this is set, "" = none),
# KMATRIX_REPEAT=N (the whole matrix N times in a row; any scenario that
# failed in any round is listed, and the run fails: nothing is retried),
# KMATRIX_FAIL_TAIL (lines of a failed scenario's log copied to the serial
# log, default 15), KMATRIX_CHURN (t_10's connections in the VM, default 2000).
#
# tests/kmatrix/skip.list names scenarios the VM cannot run; one-tier.list
# those whose subject does not depend on the hook tier (the outputs, the
# signals, the live view): they run in the first tier only, on both kernels.
#
# Logs: BUILD_DIR/kmatrix/logs/KERNEL.serial (everything, including the
# last lines of every failed scenario's log). Every failure is printed
# again at the very end, with KMATRIX_CI_TAIL (8) lines of its log, because
# a CI page often keeps only the end of the output.

set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-}
[[ -n $build ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "kmatrix: needs root (apt-get download, mknod, the VM's own tests)" >&2; exit 1; }
build=$(cd "$build" && pwd) || exit 1
km=$build/kmatrix
series=${KMATRIX_SERIES:-6.1 6.12}
tiers=${KMATRIX_TIERS:-fentry kprobe tracepoint}
test_tmo=${KMATRIX_TEST_TIMEOUT:-300}
boot_tmo=${KMATRIX_BOOT_TIMEOUT:-5400}
idle_tmo=${KMATRIX_IDLE:-600}
# One host thread for both vCPUs: with thread=multi, 6.12 died once in six
# runs with "Oops: int3" in syscall_exit_to_user_mode_prepare (a text_poke_bp
# of a static key while the other vCPU ran the old code: MTTCG and
# cross-modifying code). Two vCPUs stay, for per-CPU maps and softirqs.
accel=${KMATRIX_ACCEL:-tcg,thread=single}
modules_wanted="nf_tables nft_numgen tcp_diag veth"
tools="bash ip nft nstat ss sysctl bpftool timeout awk sed grep date sort comm head tail cat
	mkdir rm sleep id basename dirname tee wc tr cut env seq uname ls cp mv ln chmod
	touch stat readlink mktemp xargs uniq tmux pgrep dd mkfifo chown"
t_start=$SECONDS

die() {
	echo "kmatrix: $*" >&2
	exit 1
}

log() {
	printf 'kmatrix: [%4ds] %s\n' $((SECONDS - t_start)) "$*" >&2
}

for t in qemu-system-x86_64 busybox apt-get apt-cache dpkg-deb ldd xz gzip; do
	command -v "$t" >/dev/null || die "$t is missing (sudo make kmatrix installs it)"
done
[[ -x $build/tcplife-states ]] || die "$build/tcplife-states missing (make)"
mkdir -p "$km/debs" "$km/kernels" "$km/logs" || exit 1

# ------------------------------------------------------------ kernels

# SERIES -> newest package name, e.g. 6.1 -> linux-image-6.1.0-56-cloud-amd64,
# 6.12 -> linux-image-6.12.117+deb12-cloud-amd64.
resolve() {
	local re="^linux-image-${1//./\\.}\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?-cloud-amd64\$"
	apt-cache search --names-only "$re" | awk '{ print $1 }' | sort -V | tail -n 1
}

# PKG -> kernels/RELEASE/{vmlinuz,lib/modules/RELEASE/...}; prints RELEASE.
fetch() {
	local pkg=$1 rel=${1#linux-image-} deb
	deb=$(ls "$km/debs/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [[ -z $deb ]]; then
		log "downloading $pkg"
		(cd "$km/debs" && apt-get download -o APT::Sandbox::User=root -qq "$pkg") >&2 ||
			die "apt-get download $pkg failed"
		deb=$(ls "$km/debs/${pkg}"_*.deb | sort -V | tail -n 1)
	fi
	if [[ ! -s $km/kernels/$rel/vmlinuz ]]; then
		rm -rf "$km/kernels/$rel.tmp"
		dpkg-deb -x "$deb" "$km/kernels/$rel.tmp" || die "dpkg-deb -x $deb failed"
		cp "$km/kernels/$rel.tmp/boot/vmlinuz-$rel" "$km/kernels/$rel.tmp/vmlinuz" ||
			die "no boot/vmlinuz-$rel in $deb"
		rm -rf "$km/kernels/$rel"
		mv "$km/kernels/$rel.tmp" "$km/kernels/$rel"
	fi
	echo "$rel"
}

releases=()
for s in $series; do
	pkg=$(resolve "$s")
	if [[ -z $pkg ]]; then # no package lists yet (a fresh machine)?
		apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
		pkg=$(resolve "$s")
	fi
	[[ -n $pkg ]] || die "no linux-image-$s.*-cloud-amd64 in the apt archive (apt-get update?)"
	rel=$(fetch "$pkg") || exit 1
	releases+=("$rel")
	log "series $s: $pkg"
done

# ------------------------------------------------------------ initramfs

rootfs=$km/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,bb,proc,sys,dev,run,tmp,root,etc,km/build/tests,km/tests} ||
	exit 1
# Debian 12's merged /usr, so ldd's paths and the tools' paths both work.
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rootfs/$d"; done

# FILE [DEST]: copy FILE (dereferenced) to DEST inside the rootfs (default:
# the same path), with every shared library and the loader ldd names.
copy_with_libs() {
	local src=$1 dest=${2:-$1} lib
	install -D -m 0755 "$(readlink -f "$src")" "$rootfs$dest" || die "cannot copy $src"
	# A static binary makes ldd say "not a dynamic executable": no libraries.
	for lib in $(ldd "$src" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		[[ -e $rootfs$lib ]] && continue
		install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib" || die "cannot copy $lib (needed by $src)"
	done
}

install -m 0755 "$(command -v busybox)" "$rootfs/bb/busybox"
for a in $(busybox --list); do
	[[ $a == busybox ]] || ln -s busybox "$rootfs/bb/$a"
done
for t in $tools; do
	p=$(command -v "$t") || die "$t is missing on this host (the scenarios need it)"
	[[ $p == /* ]] || continue # a bash builtin only
	copy_with_libs "$p"
done
copy_with_libs "$build/tcplife-states" /km/build/tcplife-states
for src in "$root"/tests/helpers/*.c; do
	b=$build/tests/$(basename "$src" .c)
	[[ -x $b ]] || die "$b missing (make helpers)"
	copy_with_libs "$b" "/km/build/tests/${b##*/}"
done
cp "$build/tests/tlspin.bpf.o" "$rootfs/km/build/tests/" || die "$build/tests/tlspin.bpf.o missing (make helpers)"
cp -r "$root/tests/integration" "$rootfs/km/tests/"
install -m 0755 "$here/init" "$rootfs/init"
# t_25 drives the live view in tmux: the terminfo entries tmux panes use
# (its default-terminal is "screen"; tmux-256color where users set it), and
# the C.UTF-8 locale tmux 3.x insists on (glibc 2.35+ does not build it in).
for f in /lib/terminfo/s/screen /lib/terminfo/s/screen-256color /lib/terminfo/t/tmux \
	/lib/terminfo/t/tmux-256color /lib/terminfo/d/dumb; do
	[[ -r $f ]] || die "$f is missing on this host (ncurses-base; t_25 needs it)"
	install -D -m 0644 "$f" "$rootfs$f"
done
# tmux starts a window's command with /bin/sh -c.
ln -s bash "$rootfs/usr/bin/sh"
[[ -d /usr/lib/locale/C.utf8 ]] || die "/usr/lib/locale/C.utf8 is missing on this host (libc-bin; tmux needs it)"
mkdir -p "$rootfs/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$rootfs/usr/lib/locale/"
for f in /etc/protocols /etc/services; do
	[[ -r $f ]] && cp "$f" "$rootfs/etc/"
done
echo 'root:x:0:0:root:/root:/bin/bash' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
mknod -m 600 "$rootfs/dev/console" c 5 1 || die "mknod /dev/console"
mknod -m 666 "$rootfs/dev/null" c 1 3 || die "mknod /dev/null"

# Modules: the wanted ones and their `depends=`, for each kernel, as plain
# .ko (busybox insmod reads no .xz) in load order: /km/modules/RELEASE/.
modinfo_depends() { # KO: the comma-separated depends= of a module file
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1
}
for rel in "${releases[@]}"; do
	mdir=$km/kernels/$rel/lib/modules/$rel
	out=$rootfs/km/modules/$rel
	mkdir -p "$out"
	: >"$out/order"
	declare -A seen=()
	add_module() { # NAME: its dependencies first, then itself
		local name=${1//-/_} f plain d
		[[ -n ${seen[$name]:-} ]] && return 0
		seen[$name]=1
		f=$(find "$mdir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "${1//_/-}.ko" -o -name "${1//_/-}.ko.xz" \) | head -n 1)
		if [[ -z $f ]]; then
			grep -Eq "/(${name}|${1//_/-})\\.ko\$" "$mdir/modules.builtin" ||
				die "$rel: module $1 is neither in the package nor built in"
			return 0
		fi
		plain=$out/$name.ko
		if [[ $f == *.xz ]]; then
			xz -dc "$f" >"$plain" || die "xz -d $f"
		else
			cp "$f" "$plain"
		fi
		for d in $(modinfo_depends "$plain" | tr ',' ' '); do
			add_module "$d"
		done
		echo "$name.ko" >>"$out/order"
	}
	for m in $modules_wanted; do add_module "$m"; done
	unset seen
done

# ------------------------------------------------------------ scenarios

declare -A skip_reason=()
while read -r name reason; do
	[[ -z $name || $name == \#* ]] && continue
	skip_reason[$name]=$reason
done <"$here/skip.list"
# Tier-independent scenarios: run in the first tier only (one-tier.list).
declare -A one_tier=()
while read -r name reason; do
	[[ -z $name || $name == \#* ]] && continue
	one_tier[$name]=$reason
done <"$here/one-tier.list"
first_tier=${tiers%% *}
scenarios=()
run_list=()
for t in "$root"/tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	scenarios+=("$name")
	[[ -n ${skip_reason[$name]:-} ]] && continue
	if [[ -n ${KMATRIX_TESTS:-} ]]; then
		want=0
		for f in $KMATRIX_TESTS; do [[ $name == *"$f"* ]] && want=1; done
		((want)) || { skip_reason[$name]="not selected (KMATRIX_TESTS=$KMATRIX_TESTS)"; continue; }
	fi
	run_list+=("$name")
done

# The scenarios to run, one a line (not on the kernel command line: it is
# at most 2048 bytes, and the list grows with tests/integration).
printf '%s\n' "${run_list[@]}" >"$rootfs/km/tests.list"
for name in "${run_list[@]}"; do
	[[ -n ${one_tier[$name]:-} ]] && echo "$name"
done >"$rootfs/km/one-tier.list"

initrd=$km/initrd.gz
(cd "$rootfs" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$initrd.tmp" &&
	mv "$initrd.tmp" "$initrd" || die "packing the initramfs failed"
log "initramfs: $(du -h "$initrd" | cut -f1) ($rootfs)"

# ------------------------------------------------------------ boots

declare -A result=()  # "REL|TIER|NAME" -> "PASS 12s" / "FAIL reason" / "SKIP reason"
declare -A hooktier=() # "REL|TIER|HOOK" -> tier chosen
declare -A boot_note=()
hooks=()

vm_run() { # RELEASE: run the VM; its serial log and a note go to logs/
	# Runs in the background, one per kernel: it reports through files.
	local rel=$1 serial=$km/logs/$1.serial qpid last_size=-1 idle=0 why="" t0=$SECONDS
	local cmdline="console=ttyS0 quiet panic=-1 km_tiers=${tiers// /,} km_tmo=$test_tmo km_tail=${KMATRIX_FAIL_TAIL:-15} km_churn=${KMATRIX_CHURN:-2000}"
	log "booting $rel (TCG; ${#run_list[@]} scenarios x $(wc -w <<<"$tiers") tiers)"
	timeout -k 5 "$boot_tmo" qemu-system-x86_64 -accel "$accel" -cpu max \
		-m "${KMATRIX_MEM:-1G}" -smp "${KMATRIX_SMP:-2}" -kernel "$km/kernels/$rel/vmlinuz" \
		-initrd "$initrd" -nographic -no-reboot -net none -append "$cmdline" \
		</dev/null >"$serial" 2>&1 &
	qpid=$!
	local next_note=$((SECONDS + 300))
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		# Progress every 5 minutes: a CI page cut short by its own time
		# limit still shows how far each kernel got.
		if ((SECONDS >= next_note)); then
			next_note=$((SECONDS + 300))
			log "$rel: $(grep -ac '^KM-R tier=[^ ]* PASS ' "$serial") passed, $(grep -ac '^KM-R tier=[^ ]* FAIL ' "$serial") failed so far"
		fi
		if grep -q '^KM-EXIT' "$serial"; then
			sleep 5 # poweroff -f: give it a moment, then make sure
			break
		fi
		if grep -Eq 'KVM internal error|emulation failure|Kernel panic' "$serial"; then
			why="VM failed: $(grep -Em1 'KVM internal error|emulation failure|Kernel panic' "$serial" | tr -d '\r')"
			break
		fi
		size=$(stat -c %s "$serial")
		if ((size == last_size)); then
			idle=$((idle + 2))
			((idle >= idle_tmo)) && { why="no console output for ${idle_tmo}s"; break; }
		else
			idle=0
			last_size=$size
		fi
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid"
	local qrc=$?
	if [[ -z $why ]] && ! grep -q '^KM-EXIT' "$serial"; then
		why="VM exited ($qrc) without the exit marker"
		((qrc == 124)) && why="VM hard timeout (${boot_tmo}s)"
	fi
	echo "$((SECONDS - t0))s${why:+; $why}" >"$km/logs/$rel.note"
	log "$rel: VM done in $((SECONDS - t0))s${why:+ ($why)}"
}

collect() { # RELEASE: fill result[], hooktier[] and boot_note[] from its log
	local rel=$1 serial=$km/logs/$1.serial why line tier rest status name reason pre col=0
	boot_note[$rel]=$(cat "$km/logs/$rel.note" 2>/dev/null || echo "no note: the VM runner died")
	why=${boot_note[$rel]#*; }
	[[ $why == "${boot_note[$rel]}" ]] && why=""
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"KM-R tier="*)
			rest=${line#KM-R tier=}
			tier=${rest%% *}
			rest=${rest#* }
			[[ $rest =~ ^(PASS|FAIL|SKIP)\ ([^ ]+)\ \((.*)\)$ ]] || continue
			status=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} reason=${BASH_REMATCH[3]}
			[[ $status == PASS ]] && reason=${reason#PASS }
			result[$rel|$tier|$name]="$status $reason"
			;;
		"KM-P tier="*)
			rest=${line#KM-P tier=}
			tier=${rest%% *}
			rest=${rest#* }
			[[ $rest == "syscall tax: "* ]] && continue # the closing line: no hook
			read -r name _ <<<"$rest"
			# Columns: HOOK WHAT TIER NOTES; WHAT has spaces, so the TIER
			# column is found by its position in the header.
			if [[ $name == HOOK ]]; then
				pre=${rest%%TIER*}
				col=${#pre}
				continue
			fi
			read -r reason _ <<<"${rest:col}"
			hooktier[$rel|$tier|$name]=$reason
			[[ " ${hooks[*]} " == *" $name "* ]] || hooks+=("$name")
			;;
		"KM-PRC tier="*)
			rest=${line#KM-PRC tier=}
			tier=${rest%% *}
			[[ ${rest#* } == rc=0 ]] || hooktier[$rel|$tier|!]="--list-probes --tier $tier failed (${rest#* })"
			;;
		esac
	done <"$serial"
	for name in "${run_list[@]}"; do
		for tier in $tiers; do
			if [[ $tier != "$first_tier" && -n ${one_tier[$name]:-} ]]; then
				result[$rel|$tier|$name]="SKIP one tier: $first_tier (${one_tier[$name]})"
				continue
			fi
			[[ -n ${result[$rel|$tier|$name]:-} ]] ||
				result[$rel|$tier|$name]="FAIL no result (${why:-see $serial})"
		done
	done
}

# The kernels boot side by side, up to KMATRIX_JOBS at once (default: one
# per host CPU). Each VM is one TCG thread, so on a host with a CPU for each
# they run as fast as alone and the matrix takes as long as its slowest
# kernel, not the sum.
jobs=${KMATRIX_JOBS:-$(nproc)}
((jobs >= 1)) || jobs=1
boot_all() { # one round: every kernel booted, its results collected
	local rel running=0
	result=() hooktier=() boot_note=() hooks=()
	for rel in "${releases[@]}"; do
		rm -f "$km/logs/$rel.note"
		if ((running >= jobs)); then
			wait -n
			running=$((running - 1))
		fi
		vm_run "$rel" &
		running=$((running + 1))
	done
	wait
	for rel in "${releases[@]}"; do
		collect "$rel"
	done
}

# ------------------------------------------------------------ tables

short() { # 6.12.117+deb12-cloud-amd64 -> 6.12.117
	local r=${1%-cloud-amd64}
	echo "${r%+deb*}"
}

fails=0 passes=0 skips=0
notes=()
report_reset() { fails=0 passes=0 skips=0 notes=(); }
note_of() { # TEXT -> footnote number in $note (deduplicated; no subshell)
	local i
	for i in "${!notes[@]}"; do
		[[ ${notes[$i]} == "$1" ]] && { note=$((i + 1)); return; }
	done
	notes+=("$1")
	note=${#notes[@]}
}

header() { # FIRST TIER...: a Markdown header row, a column per kernel and tier
	local first=$1 rel tier hdr sep="|---|"
	shift
	hdr="| $first |"
	for rel in "${releases[@]}"; do
		for tier in "$@"; do
			hdr+=" $(short "$rel") $tier |"
			sep+="---|"
		done
	done
	printf '%s\n%s\n' "$hdr" "$sep"
}

table() { # the Markdown table: scenarios x (kernel, tier)
	local rel tier name r st
	# shellcheck disable=SC2086 # one word per tier
	header scenario $tiers
	for name in "${scenarios[@]}"; do
		printf '| %s |' "$name"
		for rel in "${releases[@]}"; do
			for tier in $tiers; do
				if [[ -n ${skip_reason[$name]:-} ]]; then
					r="SKIP ${skip_reason[$name]}"
				else
					r=${result[$rel|$tier|$name]}
				fi
				st=${r%% *}
				case $st in
				PASS) printf ' PASS %s |' "${r#PASS }"; passes=$((passes + 1)) ;;
				*)
					note_of "${r#"$st" }"
					printf ' %s [%s] |' "$st" "$note"
					[[ $st == FAIL ]] && fails=$((fails + 1)) || skips=$((skips + 1))
					;;
				esac
			done
		done
		echo
	done
}

hook_table() { # hooks x (kernel, auto + tiers): the tier each hook got
	local rel tier h
	# shellcheck disable=SC2086 # one word per tier
	header hook auto $tiers
	for h in "${hooks[@]}"; do
		printf '| %s |' "$h"
		for rel in "${releases[@]}"; do
			for tier in auto $tiers; do
				printf ' %s |' "${hooktier[$rel|$tier|$h]:-?}"
			done
		done
		echo
	done
	for rel in "${releases[@]}"; do
		for tier in auto $tiers; do
			[[ -n ${hooktier[$rel|$tier|!]:-} ]] && { echo "FAIL $rel: ${hooktier[$rel|$tier|!]}"; fails=$((fails + 1)); }
		done
	done
}

report() {
	report_reset
	echo "Kernels: $(for r in "${releases[@]}"; do printf '%s (boot + tests %s) ' "$r" "${boot_note[$r]}"; done)"
	echo
	table
	echo
	local i
	for i in "${!notes[@]}"; do
		echo "[$((i + 1))] ${notes[$i]}"
	done
	echo
	echo "Hook tier per kernel and --tier (auto = what a user gets):"
	echo
	hook_table
	echo
	fail_details
	echo "$passes passed, $fails failed, $skips skipped; $((SECONDS - t_start)) s in all"
}

fail_details() { # every FAIL again, last, with its log's tail: CI shows the end
	local rel tier name r n=0
	for rel in "${releases[@]}"; do
		# run.sh's FAIL line and the indented tail after it, as the VM printed them
		awk -v rel="$rel" -v tail="${KMATRIX_CI_TAIL:-8}" '
			{ sub(/\r$/, "") }
			/^KM-R tier=[^ ]+ FAIL / { on = 1; k = 0; sub(/^KM-R /, ""); print rel " " $0; next }
			on && /^KM-R tier=[^ ]+     / { if (k++ < tail) { sub(/^KM-R tier=[^ ]+ /, ""); print } ; next }
			{ on = 0 }' "$km/logs/$rel.serial" 2>/dev/null
	done
	for rel in "${releases[@]}"; do
		for tier in $tiers; do
			for name in "${scenarios[@]}"; do
				r=${result[$rel|$tier|$name]:-}
				[[ $r == FAIL* ]] || continue
				echo "FAILED $rel $tier $name: ${r#FAIL }"
				n=$((n + 1))
			done
		done
	done
	((n == 0)) || echo
}

# The result section of tests/kmatrix/README.md is the matrix's latest full
# run, written by the run itself so that the published table is the one the
# harness printed. A narrowed run writes it only where KMATRIX_README says.
readme_target() {
	if [[ -v KMATRIX_README ]]; then
		echo "$KMATRIX_README"
	elif [[ -z ${KMATRIX_TESTS:-} && $series == "6.1 6.12" && $tiers == "fentry kprobe tracepoint" ]]; then
		echo "$here/README.md"
	fi
}

readme_write() { # FILE MD: FILE's kmatrix section becomes MD, with where and when
	local f=$1 md=$2 rev
	grep -q '^<!-- kmatrix:begin -->$' "$f" 2>/dev/null || { log "no kmatrix section in $f: not written"; return 0; }
	rev=$(git -C "$here" describe --always --dirty 2>/dev/null) || rev=unknown
	{
		printf '`make kmatrix` on %s (%s CPUs), commit %s, %s:\n\n' \
			"$(hostname -s)" "$(nproc)" "$rev" "$(date -u '+%Y-%m-%d %H:%M UTC')"
		cat "$md"
	} >"$km/readme-section.md" || return 1
	awk -v f="$km/readme-section.md" '
		/^<!-- kmatrix:end -->$/ { skip = 0 }
		!skip { print }
		/^<!-- kmatrix:begin -->$/ { while ((getline l < f) > 0) print l; skip = 1 }' "$f" >"$f.tmp" &&
		mv "$f.tmp" "$f" && log "result written to $f"
}

# KMATRIX_REPEAT=N runs the whole matrix N times in a row, for proving a
# suite stable: a scenario that fails in any round is a bug, never retried.
repeat=${KMATRIX_REPEAT:-1}
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "KMATRIX_REPEAT must be a whole number >= 1, not '$repeat'"
declare -A ever_failed=() # "REL|TIER|NAME" -> "round N: reason; ..."
rounds_failed=0
for ((round = 1; round <= repeat; round++)); do
	((repeat > 1)) && log "round $round of $repeat"
	boot_all
	out=$(report)
	((repeat > 1)) && echo "=== round $round of $repeat"
	echo "$out"
	if ((round == 1)); then
		md=${KMATRIX_MD:-$km/result.md}
		echo "$out" >"$md"
		readme=$(readme_target)
		[[ -n $readme ]] && readme_write "$readme" "$md"
	fi
	grep -q '^[0-9]* passed, 0 failed' <<<"$out" || rounds_failed=$((rounds_failed + 1))
	for k in "${!result[@]}"; do
		[[ ${result[$k]} == FAIL* ]] && ever_failed[$k]+="round $round: ${result[$k]#FAIL }; "
	done
	if ((repeat > 1)); then
		for rel in "${releases[@]}"; do
			cp "$km/logs/$rel.serial" "$km/logs/$rel.round$round.serial" 2>/dev/null
		done
	fi
done
if ((repeat > 1)); then
	echo "=== $repeat rounds: $((repeat - rounds_failed)) passed in full, $rounds_failed with a failure"
	for k in "${!ever_failed[@]}"; do
		echo "EVER FAILED ${k//|/ }: ${ever_failed[$k]}"
	done | sort
fi
((rounds_failed == 0))
