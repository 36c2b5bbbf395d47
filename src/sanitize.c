// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "sanitize.h"

static const char hex[] = "0123456789abcdef";

size_t sanitize_text(const char *raw, size_t rawlen, char *out, size_t outsz)
{
	size_t o = 0;

	if (!outsz)
		return 0;
	for (size_t i = 0; i < rawlen && raw[i]; i++) {
		unsigned char ch = (unsigned char)raw[i];

		/* The backslash is escaped too, so that "\x1b" in the output
		 * always means an escaped byte and never a literal name. */
		if (ch >= 0x20 && ch <= 0x7e && ch != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)ch;
		} else {
			/* All four bytes or none: half an escape would read
			 * as a different, valid-looking name. */
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0xf];
		}
	}
	out[o] = '\0';
	return o;
}

static bool csv_formula_start(char ch)
{
	return ch == '=' || ch == '+' || ch == '-' || ch == '@' || ch == '\t' || ch == '\r';
}

int csv_write_cell(FILE *f, const char *s)
{
	size_t len = strlen(s);
	bool formula = len && csv_formula_start(s[0]);
	bool quote = formula || strpbrk(s, ",\"\r\n") ||
		     (len && (s[0] == ' ' || s[len - 1] == ' '));
	int rc = 0;

	if (!quote)
		return fputs(s, f) == EOF ? -EIO : 0;
	/* A character at a time: under the stream's lock, taken once. */
	flockfile(f);
	if (putc_unlocked('"', f) == EOF || (formula && putc_unlocked('\'', f) == EOF))
		rc = -EIO;
	for (const char *p = s; *p && !rc; p++) {
		if ((*p == '"' && putc_unlocked('"', f) == EOF) || putc_unlocked(*p, f) == EOF)
			rc = -EIO;
	}
	if (!rc && putc_unlocked('"', f) == EOF)
		rc = -EIO;
	funlockfile(f);
	return rc;
}

int json_write_string(FILE *f, const char *s)
{
	if (putc('"', f) == EOF)
		return -EIO;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *esc = NULL;
		int rc;

		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc)
			rc = fputs(esc, f);
		/* Bytes >= 0x80 as well: the input is not known to be UTF-8,
		 * and invalid UTF-8 would make the whole line unparsable. */
		else if (*p < 0x20 || *p >= 0x7f)
			rc = fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 0xf]);
		else
			rc = putc(*p, f);
		if (rc < 0)
			return -EIO;
	}
	return putc('"', f) == EOF ? -EIO : 0;
}
