// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: cli_parse() with the arguments the input spells, split
 * on NUL bytes ("-L\0" "80\0" "--csv\0" "-"), after argv[0]. The parser
 * may refuse anything; it must not crash, leak or read past an argument,
 * and what it accepts must be within the limits the loader relies on.
 * --help goes to /dev/null; errors to a memory stream, which must then
 * hold the error line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "states.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void check_options(const struct options *o)
{
	if (o->family != 0 && o->family != 2 && o->family != 10)
		abort();
	if (o->n_lports > TL_MAX_PORTS || o->n_rports > TL_MAX_PORTS ||
	    o->n_pids > TL_MAX_PIDS || o->n_comms > TL_MAX_COMMS)
		abort();
	for (uint32_t i = 0; i < o->n_lports; i++)
		if (!o->lports[i])
			abort();
	for (uint32_t i = 0; i < o->n_rports; i++)
		if (!o->rports[i])
			abort();
	for (uint32_t i = 0; i < o->n_comms; i++)
		if (!o->comms[i][0] || !memchr(o->comms[i], '\0', TL_COMM_LEN))
			abort();
	for (unsigned int s = 0; s < 32; s++)
		if ((o->state_mask & (1u << s)) && !state_valid(s))
			abort();
	if (o->max_conns < 1024 || o->max_conns > 16 * 1024 * 1024)
		abort();
	if (!o->ringbuf_mb || o->ringbuf_mb > 1024 || (o->ringbuf_mb & (o->ringbuf_mb - 1)))
		abort();
	if (o->interval_s > 3600 || o->tier > FORCE_TRACEPOINT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prog[] = "tcplife-states";
	struct options o;
	char *buf, **argv, *errtext = NULL;
	size_t errlen = 0;
	int argc = 1, rc;
	FILE *err;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	/* Each argument is exactly as long as the input spells it: the copy
	 * ends right after the last one's NUL. */
	buf = malloc(size + 1);
	argv = malloc((size + 2) * sizeof(*argv));
	if (!buf || !argv)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = prog;
	for (size_t i = 0; i < size; i++) {
		argv[argc++] = buf + i;
		i += strlen(buf + i);
	}
	argv[argc] = NULL;

	err = open_memstream(&errtext, &errlen);
	if (!err)
		abort();
	rc = cli_parse(argc, argv, &o, devnull, err);
	fclose(err);
	if (rc == CLI_RUN)
		check_options(&o);
	else if (rc == -EINVAL && (!errlen || errtext[errlen - 1] != '\n'))
		abort();
	else if (rc != CLI_DONE && rc != -EINVAL)
		abort();
	if (rc != -EINVAL && errlen)
		abort();
	free(errtext);
	free(argv);
	free(buf);
	return 0;
}
