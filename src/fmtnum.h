/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Numbers and lines written without printf. The sinks format every record
 * the loader keeps up with; under a full-rate churn, vfprintf was most of
 * the loader's time with --stream and --csv (perf, 6.18: 58 % and 43 %), the
 * loader fell behind, and the ring buffer dropped records.
 */
#ifndef TL_FMTNUM_H
#define TL_FMTNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FMT_U64_LEN 21 /* 18446744073709551615 and its NUL */
#define FMT_IPV4_LEN 16 /* 255.255.255.255 and its NUL */

/* The decimal digits of v at buf, no NUL (at most 20). Returns how many. */
size_t put_u64(char *buf, uint64_t v);
/* v in exactly `width` digits, zero-padded on the left; the high digits of a
 * wider v are dropped (callers pass v < 10^width). No NUL. */
void put_zpad(char *buf, uint64_t v, size_t width);
/* The IPv4 address a[0].a[1].a[2].a[3], no NUL (at most 15). Returns the length. */
size_t put_ipv4(char *buf, const uint8_t a[4]);

/* The same as strings, snprintf-like: NUL-terminated when n > 0; returns the
 * length, or -ENOSPC (buf emptied) when it would not fit. */
int fmt_u64(char *buf, size_t n, uint64_t v);
int fmt_i64(char *buf, size_t n, int64_t v);
/* Copy a string, as snprintf(buf, n, "%s", s) does (cut to fit). */
void fmt_str(char *buf, size_t n, const char *s);

/* A line assembled in memory and handed to stdio in one fwrite: the text
 * sinks' per-record path. Text past the buffer is written out first (the
 * buffer spills), so nothing is ever cut; `err` says a write failed. */
struct linebuf {
	FILE *f;
	bool err;
	size_t len;
	char b[512];
};

void lb_init(struct linebuf *l, FILE *f);
void lb_mem(struct linebuf *l, const char *s, size_t n);
void lb_str(struct linebuf *l, const char *s);
void lb_char(struct linebuf *l, char c);
/* printf's "%-*s" and "%*s": s, then or after spaces up to w columns. */
void lb_left(struct linebuf *l, const char *s, size_t w);
void lb_right(struct linebuf *l, const char *s, size_t w);
void lb_u64(struct linebuf *l, uint64_t v);
/* Write out what is buffered: 0, or -EIO if any write of this line failed. */
int lb_flush(struct linebuf *l);

#endif /* TL_FMTNUM_H */
