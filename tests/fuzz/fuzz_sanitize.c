// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the three sanitizers on arbitrary bytes (a task comm
 * can hold anything). The first input byte is the output size given to
 * sanitize_text(); the rest is the raw string. Each output is checked by
 * undoing it: the terminal text must be printable ASCII that unescapes to
 * a prefix of the input, truncated only when the next piece did not fit;
 * the CSV cell must unquote to the string (with a ' before a formula);
 * the JSON literal must be printable ASCII that unescapes to the string.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void check_text(const char *raw, size_t rawlen, size_t outsz)
{
	/* Exactly outsz bytes, so that ASan sees a write past the end. */
	char *out = malloc(outsz ? outsz : 1);
	size_t n, len = strnlen(raw, rawlen), k = 0, o = 0;

	if (!out)
		abort();
	n = sanitize_text(raw, rawlen, outsz ? out : NULL, outsz);
	if (!outsz) {
		if (n)
			abort();
		free(out);
		return;
	}
	if (n >= outsz || strlen(out) != n)
		abort();
	while (o < n) {
		unsigned char ch = (unsigned char)out[o];

		if (ch < 0x20 || ch > 0x7e || k >= len)
			abort();
		if (ch == '\\') {
			int hi, lo;

			if (o + 4 > n || out[o + 1] != 'x')
				abort();
			hi = hexval(out[o + 2]);
			lo = hexval(out[o + 3]);
			if (hi < 0 || lo < 0 || (unsigned char)raw[k] != (hi << 4 | lo))
				abort();
			/* Escaped only when it had to be. */
			if (raw[k] >= 0x20 && raw[k] <= 0x7e && raw[k] != '\\')
				abort();
			o += 4;
		} else {
			if ((char)ch != raw[k])
				abort();
			o++;
		}
		k++;
	}
	/* Stopped early only when the next piece (1 or 4 bytes) would not
	 * have fitted with the NUL. */
	if (k < len) {
		unsigned char ch = (unsigned char)raw[k];
		size_t piece = ch >= 0x20 && ch <= 0x7e && ch != '\\' ? 1 : 4;

		if (n + piece < outsz)
			abort();
	}
	free(out);
}

static char *write_to_memory(int (*fn)(FILE *, const char *), const char *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	if (fn(f, s))
		abort();
	fclose(f);
	return text;
}

static bool formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static void check_csv(const char *s)
{
	size_t n, len = strlen(s), k = 0, i;
	char *cell = write_to_memory(csv_write_cell, s, &n);

	if (n && cell[0] == '"') {
		if (n < 2 || cell[n - 1] != '"')
			abort();
		i = 1;
		if (len && formula_start(s[0])) {
			if (cell[1] != '\'')
				abort();
			i = 2;
		}
		for (; i < n - 1; i++, k++) {
			if (cell[i] == '"') {
				/* A quote inside is always doubled. */
				if (i + 1 >= n - 1 || cell[i + 1] != '"')
					abort();
				i++;
			}
			if (k >= len || cell[i] != s[k])
				abort();
		}
		if (k != len)
			abort();
	} else {
		/* Unquoted: only a cell that needs no quoting. */
		if (n != len || memcmp(cell, s, len) || strpbrk(s, ",\"\r\n") ||
		    (len && (formula_start(s[0]) || s[0] == ' ' || s[len - 1] == ' ')))
			abort();
	}
	free(cell);
}

static void check_json(const char *s)
{
	size_t n, len = strlen(s), k = 0;
	char *lit = write_to_memory(json_write_string, s, &n);

	if (n < 2 || lit[0] != '"' || lit[n - 1] != '"')
		abort();
	for (size_t i = 1; i < n - 1; i++, k++) {
		unsigned char ch = (unsigned char)lit[i], want;

		if (ch < 0x20 || ch > 0x7e || ch == '"' || k >= len)
			abort();
		want = (unsigned char)s[k];
		if (ch != '\\') {
			if (ch != want)
				abort();
			continue;
		}
		if (++i >= n - 1)
			abort();
		switch (lit[i]) {
		case '"': ch = '"'; break;
		case '\\': ch = '\\'; break;
		case 'b': ch = '\b'; break;
		case 'f': ch = '\f'; break;
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'u':
			if (i + 4 >= n - 1 || lit[i + 1] != '0' || lit[i + 2] != '0' ||
			    hexval(lit[i + 3]) < 0 || hexval(lit[i + 4]) < 0)
				abort();
			ch = (unsigned char)(hexval(lit[i + 3]) << 4 | hexval(lit[i + 4]));
			i += 4;
			break;
		default:
			abort();
		}
		if (ch != want)
			abort();
	}
	if (k != len)
		abort();
	free(lit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (!size)
		return 0;
	/* sanitize_text() reads at most rawlen bytes: give it the input
	 * itself, not NUL-terminated. */
	check_text((const char *)data + 1, size - 1, data[0]);
	s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_csv(s);
	check_json(s);
	free(s);
	return 0;
}
