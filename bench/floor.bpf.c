// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor: empty programs on the hooks tcplife-states uses. What they
 * cost per run (kernel.bpf_stats_enabled) is the price of having any
 * program there at all; the tracer's programs are compared with it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_state_btf) { return 0; }

SEC("tracepoint/sock/inet_sock_set_state")
int floor_state_tp(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_accept4")
int floor_accept4_exit(void *ctx) { return 0; }

/* No sys_enter_connect: the tracer reads connect()'s arguments at the exit
 * (5.15+, the tracepoint tier's first candidate). */
SEC("tracepoint/syscalls/sys_exit_connect")
int floor_connect_exit(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_close")
int floor_close_enter(void *ctx) { return 0; }

SEC("tracepoint/tcp/tcp_destroy_sock")
int floor_destroy(void *ctx) { return 0; }

/* The tracer's cleanup hook is tp_btf first (a classic tracepoint program
 * is skipped while another of ours runs on the CPU). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(floor_destroy_btf) { return 0; }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
