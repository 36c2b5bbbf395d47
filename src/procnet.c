// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procnet.h"

/* The line of `text` that starts with `head` (which ends with ':'), from
 * `from` on; NULL when there is none. */
static const char *find_line(const char *from, const char *head)
{
	size_t n = strlen(head);

	for (const char *p = from; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, head, n))
			return p + n;
	}
	return NULL;
}

/* The next space-separated token of the line at *p: its start and length
 * (0 at the line's end); *p moves past it. */
static size_t next_token(const char **p, const char **tok)
{
	const char *s = *p;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t\n");
	*tok = s;
	*p = s + n;
	return n;
}

static bool token_is(const char *tok, size_t n, const char *word)
{
	return n == strlen(word) && !strncmp(tok, word, n);
}

/* A token that must be a whole unsigned decimal number. */
static int token_u64(const char *tok, size_t n, uint64_t *out)
{
	char buf[24], *end;
	unsigned long long v;

	if (!n || n >= sizeof(buf) || tok[0] < '0' || tok[0] > '9')
		return -EINVAL;
	memcpy(buf, tok, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Step through names at *np and values at *vp in turn until `name`: two
 * lines for netstat, one line of pairs for sockstat (np == vp). */
static int value_of(const char **np, const char **vp, const char *name, uint64_t *out)
{
	const char *tn, *tv;
	size_t nn, nv;

	for (;;) {
		nn = next_token(np, &tn);
		nv = next_token(vp, &tv);
		if (!nn || !nv)
			return -ENOENT;
		if (token_is(tn, nn, name))
			return token_u64(tv, nv, out);
	}
}

int procnet_netstat(const char *text, const char *prefix, const char *name, uint64_t *out)
{
	char head[32];
	const char *names, *vals;

	if ((size_t)snprintf(head, sizeof(head), "%s:", prefix) >= sizeof(head))
		return -EINVAL;
	names = find_line(text, head);
	vals = names ? find_line(names, head) : NULL;
	return vals ? value_of(&names, &vals, name, out) : -ENOENT;
}

int procnet_sockstat_tcp(const char *text, const char *name, uint64_t *out)
{
	const char *p = find_line(text, "TCP:");

	return p ? value_of(&p, &p, name, out) : -ENOENT;
}
