// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "fmtnum.h"

size_t put_u64(char *buf, uint64_t v)
{
	char tmp[FMT_U64_LEN];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

void put_zpad(char *buf, uint64_t v, size_t width)
{
	for (size_t i = width; i-- > 0;) {
		buf[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

size_t put_ipv4(char *buf, const uint8_t a[4])
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += put_u64(buf + n, a[i]);
	}
	return n;
}

int fmt_u64(char *buf, size_t n, uint64_t v)
{
	char tmp[FMT_U64_LEN];
	size_t len = put_u64(tmp, v);

	if (len >= n) {
		if (n)
			buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return (int)len;
}

int fmt_i64(char *buf, size_t n, int64_t v)
{
	uint64_t mag;
	int len;

	if (v >= 0)
		return fmt_u64(buf, n, (uint64_t)v);
	if (n < 2) {
		if (n)
			buf[0] = '\0';
		return -ENOSPC;
	}
	mag = (uint64_t)(-(v + 1)) + 1; /* INT64_MIN has no positive int64_t */
	buf[0] = '-';
	len = fmt_u64(buf + 1, n - 1, mag);
	if (len < 0) {
		buf[0] = '\0';
		return len;
	}
	return len + 1;
}

void fmt_str(char *buf, size_t n, const char *s)
{
	size_t len;

	if (!n)
		return;
	len = strnlen(s, n - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
}

void lb_init(struct linebuf *l, FILE *f)
{
	l->f = f;
	l->err = false;
	l->len = 0;
}

static void lb_spill(struct linebuf *l)
{
	if (l->len && fwrite(l->b, 1, l->len, l->f) != l->len)
		l->err = true;
	l->len = 0;
}

void lb_mem(struct linebuf *l, const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(l->b) - l->len, k = n < room ? n : room;

		memcpy(l->b + l->len, s, k);
		l->len += k;
		s += k;
		n -= k;
		if (l->len == sizeof(l->b))
			lb_spill(l);
	}
}

void lb_str(struct linebuf *l, const char *s)
{
	lb_mem(l, s, strlen(s));
}

void lb_char(struct linebuf *l, char c)
{
	lb_mem(l, &c, 1);
}

static void lb_spaces(struct linebuf *l, size_t n)
{
	static const char sp[] = "                                ";

	while (n) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		lb_mem(l, sp, k);
		n -= k;
	}
}

void lb_left(struct linebuf *l, const char *s, size_t w)
{
	size_t len = strlen(s);

	lb_mem(l, s, len);
	if (len < w)
		lb_spaces(l, w - len);
}

void lb_right(struct linebuf *l, const char *s, size_t w)
{
	size_t len = strlen(s);

	if (len < w)
		lb_spaces(l, w - len);
	lb_mem(l, s, len);
}

void lb_u64(struct linebuf *l, uint64_t v)
{
	char tmp[FMT_U64_LEN];

	lb_mem(l, tmp, put_u64(tmp, v));
}

int lb_flush(struct linebuf *l)
{
	lb_spill(l);
	if (ferror(l->f))
		l->err = true;
	return l->err ? -EIO : 0;
}
