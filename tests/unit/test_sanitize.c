// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sanitize.h"

static char out[256];

static const char *san(const char *raw, size_t rawlen, size_t outsz)
{
	memset(out, 'Z', sizeof(out));
	sanitize_text(raw, rawlen, out, outsz);
	return out;
}

static void test_plain(void **state)
{
	(void)state;
	assert_string_equal(san("curl", 16, sizeof(out)), "curl");
	assert_int_equal(sanitize_text("curl", 16, out, sizeof(out)), 4);
	assert_string_equal(san("a b~!", 16, sizeof(out)), "a b~!");
	assert_string_equal(san("", 16, sizeof(out)), "");
}

static void test_escapes(void **state)
{
	(void)state;
	/* An OSC title-setting sequence: every control byte escaped. */
	assert_string_equal(san("\x1b]0;x\x07", 16, sizeof(out)), "\\x1b]0;x\\x07");
	assert_string_equal(san("a\\b", 16, sizeof(out)), "a\\x5cb");
	assert_string_equal(san("\t\n\r\x7f\x80\xff", 16, sizeof(out)),
			    "\\x09\\x0a\\x0d\\x7f\\x80\\xff");
	assert_string_equal(san("ok\x01", 16, sizeof(out)), "ok\\x01");
}

static void test_comm_without_nul(void **state)
{
	/* The kernel's comm is 16 bytes; a forged record may fill them all. */
	const char comm[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
				'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };
	char after[32];

	(void)state;
	memcpy(after, comm, 16);
	memset(after + 16, 'X', 16);
	assert_string_equal(san(after, 16, sizeof(out)), "abcdefghijklmnop");
	assert_string_equal(san("abc\0def", 16, sizeof(out)), "abc");
	assert_string_equal(san("abcdef", 3, sizeof(out)), "abc");
}

static void test_truncation(void **state)
{
	(void)state;
	assert_int_equal(sanitize_text("abcdef", 16, out, 4), 3);
	assert_string_equal(out, "abc");
	/* No room for the whole escape: stop before it, never half of it. */
	assert_string_equal(san("ab\x1b", 16, 6), "ab");
	assert_string_equal(san("ab\x1b", 16, 7), "ab\\x1b");
	assert_string_equal(san("\x1b\x1b", 16, 8), "\\x1b");
	assert_int_equal(sanitize_text("abc", 3, out, 1), 0);
	assert_string_equal(out, "");
	out[0] = 'Z';
	assert_int_equal(sanitize_text("abc", 3, out, 0), 0);
	assert_int_equal(out[0], 'Z');
}

static char *cell(const char *s)
{
	static char *buf;
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(csv_write_cell(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_csv_cell(void **state)
{
	(void)state;
	assert_string_equal(cell("curl"), "curl");
	assert_string_equal(cell(""), "");
	assert_string_equal(cell("a,b"), "\"a,b\"");
	assert_string_equal(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(cell("a\nb"), "\"a\nb\"");
	assert_string_equal(cell("a\rb"), "\"a\rb\"");
	assert_string_equal(cell(" lead"), "\" lead\"");
	assert_string_equal(cell("trail "), "\"trail \"");
	assert_string_equal(cell("in side"), "in side");
}

static void test_csv_formula(void **state)
{
	(void)state;
	assert_string_equal(cell("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"");
	assert_string_equal(cell("+1"), "\"'+1\"");
	assert_string_equal(cell("-1"), "\"'-1\"");
	assert_string_equal(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
	assert_string_equal(cell("\tx"), "\"'\tx\"");
	assert_string_equal(cell("\rx"), "\"'\rx\"");
	assert_string_equal(cell("=\"a\",b"), "\"'=\"\"a\"\",b\"");
	assert_string_equal(cell("a=b"), "a=b");
}

static char *jstr(const char *s)
{
	static char *buf;
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(json_write_string(f, s), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_json_string(void **state)
{
	(void)state;
	assert_string_equal(jstr("curl"), "\"curl\"");
	assert_string_equal(jstr(""), "\"\"");
	assert_string_equal(jstr("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(jstr("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	assert_string_equal(jstr("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	assert_string_equal(jstr("\xc3\xa9"), "\"\\u00c3\\u00a9\"");
	assert_string_equal(jstr("</script>"), "\"</script>\"");
}

static void test_sanitized_then_quoted(void **state)
{
	char s[64];

	(void)state;
	sanitize_text("=a,\\\x1b", 16, s, sizeof(s));
	assert_string_equal(cell(s), "\"'=a,\\x5c\\x1b\"");
	assert_string_equal(jstr(s), "\"=a,\\\\x5c\\\\x1b\"");
}

static void test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(csv_write_cell(f, "x"), -EIO);
	assert_int_equal(csv_write_cell(f, "a,b"), -EIO);
	assert_int_equal(json_write_string(f, "x"), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_comm_without_nul),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_csv_cell),
		cmocka_unit_test(test_csv_formula),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_sanitized_then_quoted),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
