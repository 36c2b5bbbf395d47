// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "log.h"

static bool verbose;
static char failed_prog[64];

void log_set_verbose(bool v)
{
	verbose = v;
}

bool log_verbose(void)
{
	return verbose;
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
	char line[512];
	const char *p;
	va_list ap2;

	(void)level;
	va_copy(ap2, ap);
	vsnprintf(line, sizeof(line), fmt, ap);
	/* libbpf: "prog 'NAME': failed to load: -13" / "...: failed to attach ..." */
	p = strstr(line, "prog '");
	if (p && strstr(line, "failed to")) {
		const char *q = strchr(p + 6, '\'');

		if (q && (size_t)(q - (p + 6)) < sizeof(failed_prog)) {
			memcpy(failed_prog, p + 6, q - (p + 6));
			failed_prog[q - (p + 6)] = '\0';
		}
	}
	/* Whole, not `line`: a verifier log is one message of many KiB. */
	if (verbose) {
		fputs("libbpf: ", stderr);
		vfprintf(stderr, fmt, ap2);
	}
	va_end(ap2);
	return 0;
}

const char *log_last_failed_prog(void)
{
	return failed_prog[0] ? failed_prog : NULL;
}

void log_clear_failed_prog(void)
{
	failed_prog[0] = '\0';
}
