# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tcplife-states build. `make` builds build/tcplife-states; `sudo make run`
# and `sudo make test` also install what is missing (Debian 12 packages).
# V=1 shows every command.

OUTPUT ?= build
PREFIX ?= /usr/local
DESTDIR ?=
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages the build, the tests and the live view need.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libmnl-dev libncurses-dev libjansson-dev libmicrohttpd-dev pkg-config make gcc
# tmux drives the live view in tests/integration/t_25_live_view.sh; jq reads
# `report --json` in t_45_report.sh; curl scrapes --metrics (t_43),
# Prometheus's own binaries come from its .deb (PROMETHEUS, below).
TEST_PKGS := libcmocka-dev iproute2 nftables procps man-db groff-base tmux jq curl
# `make check` (and so `make test`): the static analysers; clang-tidy is
# Debian 12's, the clang version the build uses.
CHECK_PKGS := cppcheck clang-tidy
DEPS_PKGS := $(BUILD_PKGS) $(TEST_PKGS) $(CHECK_PKGS)
# Only `make test-loaded` needs it: both cores kept busy beside the suite.
LOAD_PKGS := stress-ng
# Only `make kmatrix` needs these (qemu, the VM's busybox, .ko.xz modules).
KMATRIX_PKGS := qemu-system-x86 busybox-static xz-utils
# Only `make fuzz` needs it: the libFuzzer and sanitizer runtimes, which
# clang merely recommends (deps installs without recommends).
FUZZ_PKGS := libclang-rt-dev

VMLINUX := vmlinux/$(ARCH)/vmlinux.h
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_LINKED := $(OUTPUT)/tcplife.bpf.o
SKEL := $(OUTPUT)/tcplife.skel.h

APP_SRCS := $(wildcard src/*.c)
APP_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(APP_SRCS))
# Everything but main.o and the kernel-facing code (libbpf, netlink) goes into
# the unit tests.
LIB_OBJS := $(filter-out $(OUTPUT)/obj/main.o $(OUTPUT)/obj/ingest.o $(OUTPUT)/obj/loader.o $(OUTPUT)/obj/probe.o $(OUTPUT)/obj/tracer.o $(OUTPUT)/obj/sockdiag.o $(OUTPUT)/obj/sockwatch.o $(OUTPUT)/obj/seed.o $(OUTPUT)/obj/listeners.o $(OUTPUT)/obj/procfd.o $(OUTPUT)/obj/alerts.o $(OUTPUT)/obj/tcplimits_scan.o $(OUTPUT)/obj/listen_scan.o $(OUTPUT)/obj/connerr_scan.o $(OUTPUT)/obj/lsnwatch.o $(OUTPUT)/obj/dropby.o $(OUTPUT)/obj/ringread.o $(OUTPUT)/obj/linkmiss.o,$(APP_OBJS))

# CFLAGS, CPPFLAGS and LDFLAGS from the command line or the environment go
# into every user-space compile and link (distribution builds set them).
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
# User space only, as bpftool's Makefile has them: BPF_PROG and the
# tracepoint structs would trip -Wshadow and -Wmissing-prototypes.
USER_WARN := $(WARN) -Wshadow -Wmissing-prototypes -Wmissing-declarations -Wformat=2 \
	-Wstrict-prototypes -Wold-style-definition
USER_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(USER_WARN) -std=gnu11 -D_GNU_SOURCE
APP_CFLAGS := $(USER_CFLAGS) -Isrc -Ibpf -I$(OUTPUT)
# Each object's real header dependencies (-MMD), in a .d file beside it;
# -MP keeps a deleted header from breaking the build.
DEPFLAGS = -MMD -MP
CURSES_LIBS := $(shell pkg-config --libs ncurses 2>/dev/null || echo -lncurses -ltinfo)
# --metrics: libmicrohttpd serves it from a thread of its own.
HTTP_LIBS := -lmicrohttpd -lpthread
APP_LDLIBS := -lbpf -lmnl -lelf -lz -ljansson $(CURSES_LIBS) $(HTTP_LIBS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Ivmlinux/$(ARCH) -Ibpf -Wno-unused-parameter

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/%,$(HELPER_SRCS))
BENCH_BINS := $(OUTPUT)/bench/churn $(OUTPUT)/bench/sysloop $(OUTPUT)/bench/floor $(OUTPUT)/bench/twdiag $(OUTPUT)/bench/floor.bpf.o \
	$(OUTPUT)/bench/minwork.bpf.o

# libFuzzer targets (tests/fuzz/fuzz_NAME.c), each linked with the product
# sources it fuzzes, compiled with them under ASan and UBSan; UBSan aborts
# so that libFuzzer counts its reports as crashes. FUZZ_SECS per target.
FUZZ_SECS ?= 60
FUZZ_NAMES := decode sockdiag cli sanitize report
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(WARN) -std=gnu11 -D_GNU_SOURCE -Isrc -Ibpf
# -max_len: a record is 128 bytes (256 lets sizes around it be tried); a
# few sock_diag messages with attributes; a command line; a comm and more;
# a header and a few rows of a report file.
FUZZ_MAXLEN_decode := 256
FUZZ_MAXLEN_sockdiag := 4096
FUZZ_MAXLEN_cli := 512
FUZZ_MAXLEN_sanitize := 512
FUZZ_MAXLEN_report := 8192
FUZZ_LIBS_sockdiag := -lmnl
FUZZ_LIBS_report := -ljansson

# `make check`: the unit tests again under ASan and UBSan, in their own
# output dir; UBSan reports are recoverable so that tests/check/ubsan.supp
# can name known ones, and halt_on_error makes any other one fail the run.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_ENV := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/check/ubsan.supp
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
CPPCHECK_FLAGS := -q --enable=warning,style,performance,portability --std=c11 \
	-D_GNU_SOURCE -Isrc -Ibpf --inline-suppr --error-exitcode=1 \
	--suppressions-list=tests/check/cppcheck.supp \
	--template='{file}:{line}: {severity} [{id}] {message}'
# The checks are in src/.clang-tidy (found beside the sources); these are
# only the compile flags.
TIDY_FLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc -Ibpf -I$(OUTPUT) -Wall -Wextra \
	-Wno-missing-field-initializers
# Extra --checks for one file, TIDY_CHECKS_<name>. The skeleton's open
# function (bpftool's code) frees on error through
# bpf_object__destroy_skeleton(), which the analyzer does not follow; it
# reports a leak there, and neither HeaderFilterRegex nor --line-filter
# hides a report whose path starts in our file.
TIDY_CHECKS_tracer := -clang-analyzer-unix.Malloc
TIDY_TARGETS := $(patsubst src/%.c,tidy/%,$(APP_SRCS))

.DELETE_ON_ERROR:
.PHONY: check check-unit check-cppcheck check-tidy check-calls $(TIDY_TARGETS) soak all deps deps-all run test test-compact test-slow test-loaded unit docs-check integration kmatrix install uninstall clean vmlinux help helpers bench bench-bins bench-live fuzz fuzz-bins

all: $(OUTPUT)/tcplife-states

help:
	@echo 'make               build $(OUTPUT)/tcplife-states'
	@echo 'sudo make run      install missing packages, build, start tracing'
	@echo 'sudo make test     install missing packages, build, run every test'
	@echo 'make unit          unit tests only (no root)'
	@echo 'make check         unit tests under ASan+UBSan, cppcheck, clang-tidy (no root)'
	@echo 'sudo make bench    overhead benchmark (~12 min); writes bench/results/ and bench/README.md'
	@echo 'sudo make bench-live  the live view refresh time with 100000 open sockets (~1 min)'
	@echo 'sudo make integration  integration tests only'
	@echo 'sudo make test-compact the scenarios again, every connection kept compact'
	@echo 'sudo make test-slow    the slow scenarios (60 s TIME_WAIT), minutes'
	@echo 'sudo make test-loaded  the integration tests with every core busy (stress-ng)'
	@echo 'sudo make soak     10 min of churn, namespaces, SIGUSR1 rotations: RSS/fds flat, rows = opens (SOAK_SECS)'
	@echo 'sudo make kmatrix  integration tests on Debian 6.1/6.12 kernels in qemu, per hook tier'
	@echo 'make fuzz          libFuzzer: decoder, sock_diag parser, CLI, sanitizers, FUZZ_SECS=$(FUZZ_SECS) s each'
	@echo 'make vmlinux       regenerate $(VMLINUX) from /sys/kernel/btf/vmlinux'
	@echo 'make install       install to $$(DESTDIR)$$(PREFIX) (PREFIX=$(PREFIX))'

# Install what is missing with apt-get when root; otherwise name it and stop.
deps:
	$(Q)missing=""; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "missing packages:$$missing"; \
		echo "install them with: sudo apt-get install$$missing (or run: sudo make deps)"; exit 1; \
	fi; \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing >/dev/null

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/obj $(OUTPUT)/tests $(OUTPUT)/bench $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

# BPF_PROG/BPF_KPROBE declare a ctx argument most programs never use:
# hence -Wno-unused-parameter for BPF only.
# One object from the per-concern files (libbpf static linker), then a skeleton.
$(BPF_LINKED): $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BPF_LINKED)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcplife > $@

$(OUTPUT)/obj/%.o: src/%.c | $(OUTPUT)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The one object that includes the skeleton. Named here because before the
# first build there is no .d file to say so; nothing else waits for clang
# and bpftool, so `make unit` builds without them.
$(OUTPUT)/obj/tracer.o: $(SKEL)

$(OUTPUT)/tcplife-states: $(APP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(APP_LDLIBS) -o $@

# TEST_LINK: what a test links beyond LIB_OBJS (set per test below).
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) $(DEPFLAGS) -MF $@.d $(LDFLAGS) $< $(LIB_OBJS) $(TEST_LINK) -lcmocka -ljansson $(CURSES_LIBS) $(HTTP_LIBS) -o $@

# Objects kept out of LIB_OBJS because they touch the system, linked by
# their own tests: sockdiag.o (netlink sockets; its parser's test, with
# libmnl), procfd.o (/proc), ringread.o (a BPF map, with libbpf) and
# linkmiss.o (BPF link info, with libbpf).
$(OUTPUT)/tests/test_sockdiag: $(OUTPUT)/obj/sockdiag.o
$(OUTPUT)/tests/test_sockdiag: TEST_LINK = $(OUTPUT)/obj/sockdiag.o -lmnl
$(OUTPUT)/tests/test_procfd: $(OUTPUT)/obj/procfd.o
$(OUTPUT)/tests/test_procfd: TEST_LINK = $(OUTPUT)/obj/procfd.o -lpthread
$(OUTPUT)/tests/test_netns: TEST_LINK = -lpthread
$(OUTPUT)/tests/test_ringread: $(OUTPUT)/obj/ringread.o
$(OUTPUT)/tests/test_ringread: TEST_LINK = $(OUTPUT)/obj/ringread.o -lbpf
$(OUTPUT)/tests/test_linkmiss: $(OUTPUT)/obj/linkmiss.o
$(OUTPUT)/tests/test_linkmiss: TEST_LINK = $(OUTPUT)/obj/linkmiss.o -lbpf

$(OUTPUT)/tests/%: tests/helpers/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $< -o $@

# Another tool's BPF program (t_42): a loader and its object.
$(OUTPUT)/tests/tlspin: tests/helpers/tlspin.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $< -lbpf -o $@

$(OUTPUT)/tests/tlspin.bpf.o: tests/helpers/bpf/tlspin.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

helpers: $(HELPER_BINS) $(OUTPUT)/tests/tlspin.bpf.o

$(OUTPUT)/bench/churn: bench/churn.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $< -o $@

$(OUTPUT)/bench/sysloop: bench/sysloop.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $< -o $@

# The tracer's own sock_diag dump, timed.
$(OUTPUT)/bench/twdiag: bench/twdiag.c $(OUTPUT)/obj/sockdiag.o | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(APP_CFLAGS) $(LDFLAGS) $^ -lmnl -o $@

$(OUTPUT)/bench/floor: bench/floor.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $< -lbpf -o $@

$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/bench/minwork.bpf.o: bench/minwork.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

bench-bins: $(BENCH_BINS)

# Not part of `make test`: it takes minutes and its numbers are not pass/fail.
bench: deps
	$(Q)$(MAKE) --no-print-directory all bench-bins
	$(Q)bench/run.sh $(OUTPUT)

# The live view's refresh time with 100 000 open sockets (bench/README.md).
bench-live: deps
	$(Q)$(MAKE) --no-print-directory all bench-bins
	$(Q)bench/live.sh $(OUTPUT) $(or $(SOCKETS),100000)

# The product sources each fuzz target links.
$(OUTPUT)/fuzz/fuzz_decode: src/decode.c
$(OUTPUT)/fuzz/fuzz_sockdiag: src/sockdiag.c
$(OUTPUT)/fuzz/fuzz_cli: src/cli.c src/states.c
$(OUTPUT)/fuzz/fuzz_sanitize: src/sanitize.c
$(OUTPUT)/fuzz/fuzz_report: src/report_csv.c src/report_json.c src/report_row.c src/report_stats.c \
	src/report_out.c src/hist.c src/states.c src/sanitize.c src/timefmt.c src/fmtnum.c

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard src/*.h) bpf/tcplife.h | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(LDFLAGS) $(filter %.c,$^) $(FUZZ_LIBS_$*) -o $@

fuzz-bins: $(FUZZ_BINS)

# Each target for FUZZ_SECS on a copy of tests/fuzz/corpus/NAME; fails on
# any crash, leak or sanitizer report. CI runs it with the default 60 s.
fuzz:
	$(Q)$(MAKE) --no-print-directory deps DEPS_PKGS="$(BUILD_PKGS) $(FUZZ_PKGS)"
	$(Q)$(MAKE) --no-print-directory fuzz-bins
	$(Q)tests/fuzz/run.sh $(OUTPUT)/fuzz $(FUZZ_SECS) $(foreach n,$(FUZZ_NAMES),$(n):$(FUZZ_MAXLEN_$(n)))

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	mv $(VMLINUX).tmp $(VMLINUX)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/tcplife-states $(ARGS)

unit: $(UNIT_BINS)
	$(Q)rc=0; for t in $(UNIT_BINS); do $$t || rc=1; done; exit $$rc

# Each part on its own so that -j runs them side by side.
check:
	$(Q)$(MAKE) --no-print-directory check-unit check-cppcheck check-tidy check-calls

# No two source files call each other (src/README.md, "Connection table
# layout"): read from the objects' symbols, so it holds for what is built.
check-calls: $(APP_OBJS)
	$(Q)tests/check/calls.sh $(APP_OBJS)

check-unit:
	$(Q)$(SAN_ENV) $(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/san \
		CFLAGS="$(CFLAGS) $(SAN_FLAGS)" LDFLAGS="$(LDFLAGS) $(SAN_FLAGS)" unit

check-cppcheck:
	$(call msg,CPPCHECK,src tests/helpers)
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) src/*.c tests/helpers/*.c

check-tidy: $(TIDY_TARGETS)

# tracer.c includes the skeleton.
$(TIDY_TARGETS): tidy/%: src/%.c $(SKEL)
	$(call msg,TIDY,$<)
	$(Q)out=$$($(CLANG_TIDY) --quiet $(if $(TIDY_CHECKS_$*),--checks='$(TIDY_CHECKS_$*)') $< -- $(TIDY_FLAGS) 2>&1) || { echo "$$out"; exit 1; }

# The man page is the home of the options (as --help lists them) and of the
# output schemas (as the code writes them); the README keeps to what it says.
docs-check: all
	$(Q)tests/docs/check-options.sh $(OUTPUT)/tcplife-states
	$(Q)tests/docs/check-schemas.sh
	$(Q)tests/docs/check-readme.sh $(OUTPUT)/tcplife-states

# Debian's Prometheus (t_43 scrapes --metrics with it), unpacked, never
# installed: the package would start a service.
PROMETHEUS := $(OUTPUT)/prometheus/usr/bin/prometheus
$(PROMETHEUS):
	$(call msg,DEB,prometheus)
	$(Q)rm -rf $(OUTPUT)/prometheus $(OUTPUT)/prometheus-deb && mkdir -p $(OUTPUT)/prometheus-deb
	$(Q)cd $(OUTPUT)/prometheus-deb && { apt-get download -q prometheus || { apt-get update -qq && apt-get download -q prometheus; }; } >/dev/null
	$(Q)dpkg-deb -x $(OUTPUT)/prometheus-deb/prometheus_*.deb $(OUTPUT)/prometheus
	$(Q)test -x $@ && touch $@

integration: all helpers $(PROMETHEUS)
	$(Q)tests/integration/run.sh $(OUTPUT)

# The scenarios again with every open connection kept compact the moment
# it can be (--compact-after 0, conntab_cold.c): not one row may change.
# Not a CI stage (207 s more beside the kernel matrix); `make test` meets
# compaction, at the default 5 s, only where a connection sits idle that
# long between two records (t_43, t_46, t_47: 21 compacted, 14 made whole
# again by a record, in one run).
test-compact: deps
	$(Q)$(MAKE) --no-print-directory all helpers $(PROMETHEUS)
	$(Q)TL_COMPACT_AFTER=0 tests/integration/run.sh $(OUTPUT)

# Scenarios that take minutes (the real 60 s TIME_WAIT): CI runs them too.
test-slow: deps
	$(Q)$(MAKE) --no-print-directory all helpers
	$(Q)TL_SUITE=slow TL_TEST_TIMEOUT=600 tests/integration/run.sh $(OUTPUT) # t_36: ten rounds of 1000

# The integration suite with every core kept busy beside it: the tests
# assert conditions, not clocks, so load must not fail them. In CI, make test
# runs beside the kernel matrix's two VMs, the same condition (.ci/run).
test-loaded:
	$(Q)$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(LOAD_PKGS)"
	$(Q)$(MAKE) --no-print-directory all helpers
	$(Q)tests/integration/loaded.sh $(OUTPUT)

test: deps
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory all helpers $(UNIT_BINS)
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory docs-check
	$(Q)$(MAKE) --no-print-directory integration

# Not in `make test` or CI: SOAK_SECS (default 600) of churn in namespaces
# created and deleted, the --csv file rotated (mv, SIGUSR1) every 30 s;
# fails unless RSS and fds stay flat and rows == the namespaces' opens.
soak: deps
	$(Q)$(MAKE) --no-print-directory all helpers
	$(Q)SOAK_SECS=$(or $(SOAK_SECS),600) tests/soak/soak.sh $(OUTPUT)

# The integration scenarios on Debian's kernels under qemu (TCG), once per
# hook tier, with the binaries built here; downloads cached in $(OUTPUT)/kmatrix.
# Every package any target needs, at once: .ci/run installs them before it
# runs the kernel matrix beside the other suites (one apt-get, not two racing).
deps-all:
	$(Q)$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(LOAD_PKGS) $(KMATRIX_PKGS) $(FUZZ_PKGS)"

kmatrix:
	$(Q)$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(KMATRIX_PKGS)"
	$(Q)$(MAKE) --no-print-directory all helpers
	$(Q)tests/kmatrix/kmatrix.sh $(OUTPUT)

UNIT_DIR := $(PREFIX)/lib/systemd/system

install: $(OUTPUT)/tcplife-states
	install -D -m 0755 $(OUTPUT)/tcplife-states $(DESTDIR)$(PREFIX)/sbin/tcplife-states
	install -D -m 0644 man/tcplife-states.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcplife-states.8
	install -d $(DESTDIR)$(UNIT_DIR)
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|g' src/tcplife-states.service > $(DESTDIR)$(UNIT_DIR)/tcplife-states.service
	chmod 0644 $(DESTDIR)$(UNIT_DIR)/tcplife-states.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/tcplife-states $(DESTDIR)$(PREFIX)/share/man/man8/tcplife-states.8 \
		$(DESTDIR)$(UNIT_DIR)/tcplife-states.service

clean:
	rm -rf $(OUTPUT)

# The .d files -MMD wrote; none before the first build, when all is built.
-include $(APP_OBJS:.o=.d) $(BPF_OBJS:.o=.d) $(UNIT_BINS:=.d) \
	$(OUTPUT)/tests/tlspin.bpf.d $(OUTPUT)/bench/floor.bpf.d $(OUTPUT)/bench/minwork.bpf.d
