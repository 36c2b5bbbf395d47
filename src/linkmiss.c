// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <bpf/bpf.h>
#include "linkmiss.h"

/* Where 6.7's uapi struct bpf_link_info keeps a perf link's kprobe (checked
 * against a 6.18 kernel's BTF): type at 0, the union at 16; in it
 * perf_event.type at 0, perf_event.kprobe.addr at 24 and .missed at 32.
 * Debian 12's headers (6.1) have no perf_event member, so the info is read
 * as bytes; the kernel fills as much as it has and zeroes the rest (6.6
 * has the kprobe but no missed; before 6.6 a perf link reports no union). */
#define INFO_LEN 64
#define OFF_LINK_TYPE 0
#define OFF_PERF_TYPE 16
#define OFF_KPROBE_ADDR 40
#define OFF_KPROBE_MISSED 48
#define TL_LINK_TYPE_PERF_EVENT 7 /* enum bpf_link_type */
#define TL_PERF_EVENT_KPROBE 3    /* enum bpf_perf_event_type */
#define TL_PERF_EVENT_KRETPROBE 4

int link_kprobe_info(int fd, struct kprobe_link *out)
{
	uint64_t buf[INFO_LEN / sizeof(uint64_t)] = { 0 };
	uint32_t link_type, perf_type;
	__u32 len = sizeof(buf);

	memset(out, 0, sizeof(*out));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, buf, &len) || len <= OFF_PERF_TYPE)
		return -1;
	memcpy(&link_type, (const char *)buf + OFF_LINK_TYPE, sizeof(link_type));
	memcpy(&perf_type, (const char *)buf + OFF_PERF_TYPE, sizeof(perf_type));
	if (link_type != TL_LINK_TYPE_PERF_EVENT ||
	    (perf_type != TL_PERF_EVENT_KPROBE && perf_type != TL_PERF_EVENT_KRETPROBE))
		return -1;
	out->ret = perf_type == TL_PERF_EVENT_KRETPROBE;
	if (len >= OFF_KPROBE_ADDR + sizeof(out->addr))
		memcpy(&out->addr, (const char *)buf + OFF_KPROBE_ADDR, sizeof(out->addr));
	if (len >= OFF_KPROBE_MISSED + sizeof(out->missed))
		memcpy(&out->missed, (const char *)buf + OFF_KPROBE_MISSED, sizeof(out->missed));
	return 0;
}

uint64_t link_kprobe_missed(const struct kprobe_link *links, const bool *is_kprobe, int n, int i)
{
	if (!is_kprobe[i])
		return 0;
	if (!links[i].ret && links[i].addr)
		for (int j = 0; j < n; j++)
			if (is_kprobe[j] && links[j].ret && links[j].addr == links[i].addr)
				return 0;
	return links[i].missed;
}
