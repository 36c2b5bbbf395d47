// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include "log.h"

static bool verbose;

void log_set_verbose(bool v)
{
	verbose = v;
}

void tl_log(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl == LOG_DEBUG && !verbose)
		return;
	fputs(lvl == LOG_ERROR ? "tcplife-states: error: " :
	      lvl == LOG_WARN  ? "tcplife-states: warning: " : "tcplife-states: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int log_libbpf(int level, const char *fmt, va_list ap)
{
	(void)level;
	if (verbose) {
		fputs("libbpf: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
	return 0;
}
