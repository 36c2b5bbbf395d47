/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Strings from the kernel (task comm) are attacker-chosen: a process can name
 * itself "\e]0;pwned\a" or "=cmd|' /C calc'!A0". Nothing reaches a terminal,
 * a CSV cell or a JSON string without passing through here.
 */
#ifndef TL_SANITIZE_H
#define TL_SANITIZE_H

#include <stddef.h>
#include <stdio.h>

/* Copy at most `rawlen` bytes of `raw` (stops at NUL) into `out`, replacing
 * every byte outside printable ASCII 0x20..0x7e, and the backslash, by
 * "\xHH". Always NUL-terminates; truncates to fit. Returns strlen(out). */
size_t sanitize_text(const char *raw, size_t rawlen, char *out, size_t outsz);

/* Write one RFC 4180 cell: quoted when it holds , " CR LF or leading/trailing
 * space; a leading = + - @ TAB CR gets a ' prefix so spreadsheets do not run
 * it as a formula. `s` must already be sanitized text. Returns 0 or -EIO. */
int csv_write_cell(FILE *f, const char *s);

/* Write `s` as a JSON string literal, quotes included, escaping per RFC 8259.
 * Returns 0 or -EIO. */
int json_write_string(FILE *f, const char *s);

#endif /* TL_SANITIZE_H */
