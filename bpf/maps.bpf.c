// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Definitions of the maps and configuration declared in common.bpf.h. */
#include "common.bpf.h"

const volatile __u16 cfg_family = 0;
const volatile __u32 cfg_n_lports = 0;
const volatile __u32 cfg_n_rports = 0;
const volatile __u32 cfg_n_pids = 0;
const volatile __u16 cfg_lports[TL_MAX_PORTS] = {};
const volatile __u16 cfg_rports[TL_MAX_PORTS] = {};
const volatile __u32 cfg_pids[TL_MAX_PIDS] = {};
const volatile __u32 cfg_n_comms = 0;
const volatile char cfg_comms[TL_MAX_COMMS][TL_COMM_LEN] = {};
const volatile __u64 cfg_cgroup = 0;
const volatile __u64 cfg_wakeup_bytes = 256 * 1024;
const volatile __u32 cfg_hz = 0;

/* Sized at start-up with bpf_map__set_max_entries(). */
struct socks_map socks SEC(".maps");
struct listeners_map listeners SEC(".maps");
struct listener_keys_map listener_keys SEC(".maps");
struct events_map events SEC(".maps");
struct stats_map stats SEC(".maps");

/* bpf_probe_read_kernel and the ring buffer helpers are GPL-only. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
