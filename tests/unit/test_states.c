// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "states.h"

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(state_name(TL_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(state_name(TL_SYN_SENT), "SYN_SENT");
	assert_string_equal(state_name(TL_SYN_RECV), "SYN_RECV");
	assert_string_equal(state_name(TL_FIN_WAIT1), "FIN_WAIT1");
	assert_string_equal(state_name(TL_FIN_WAIT2), "FIN_WAIT2");
	assert_string_equal(state_name(TL_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(state_name(TL_CLOSE), "CLOSE");
	assert_string_equal(state_name(TL_CLOSE_WAIT), "CLOSE_WAIT");
	assert_string_equal(state_name(TL_LAST_ACK), "LAST_ACK");
	assert_string_equal(state_name(TL_LISTEN), "LISTEN");
	assert_string_equal(state_name(TL_CLOSING), "CLOSING");
	assert_string_equal(state_name(TL_NEW_SYN_RECV), "NEW_SYN_RECV");
	assert_string_equal(state_name(TL_BOUND_INACTIVE), "BOUND_INACTIVE");
	assert_string_equal(state_name(0), "UNKNOWN");
	assert_string_equal(state_name(TL_NSTATES), "UNKNOWN");
	assert_string_equal(state_name(255), "UNKNOWN");
	assert_string_equal(state_name(~0u), "UNKNOWN");
}

static void test_state_valid(void **state)
{
	(void)state;
	assert_false(state_valid(0));
	for (unsigned int s = 1; s <= 13; s++)
		assert_true(state_valid(s));
	assert_false(state_valid(14));
	assert_false(state_valid(~0u));
}

static void test_cause_role(void **state)
{
	static const char *const causes[] = { "open", "fin", "rst_sent", "rst_recv", "refused",
					      "timeout", "syn_timeout", "abort", "lost",
					      "fin_wait2_timeout", "tw_reuse", "tw_overflow", "tw_killed",
					      "synack_timeout", "netns_gone" };

	(void)state;
	assert_int_equal(CAUSE_MAX, sizeof(causes) / sizeof(causes[0]));
	for (unsigned int i = 0; i < CAUSE_MAX; i++)
		assert_string_equal(cause_name(i), causes[i]);
	assert_string_equal(cause_name(CAUSE_MAX), "unknown");
	assert_string_equal(cause_name(~0u), "unknown");
	assert_string_equal(role_name(ROLE_UNKNOWN), "unknown");
	assert_string_equal(role_name(ROLE_ACTIVE), "active");
	assert_string_equal(role_name(ROLE_PASSIVE), "passive");
	assert_string_equal(role_name(3), "unknown");
}

static void test_columns(void **state)
{
	static const char *const names[] = { "syn_sent_ms", "syn_recv_ms", "established_ms",
					     "fin_wait1_ms", "fin_wait2_ms", "close_wait_ms",
					     "last_ack_ms", "closing_ms", "time_wait_ms" };
	static const unsigned int st[] = { TL_SYN_SENT, TL_SYN_RECV, TL_ESTABLISHED,
					   TL_FIN_WAIT1, TL_FIN_WAIT2, TL_CLOSE_WAIT,
					   TL_LAST_ACK, TL_CLOSING, TL_TIME_WAIT };

	(void)state;
	assert_int_equal(n_state_columns, 9);
	for (unsigned int i = 0; i < n_state_columns; i++) {
		assert_string_equal(state_columns[i].name, names[i]);
		assert_int_equal(state_columns[i].state, st[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_valid),
		cmocka_unit_test(test_cause_role),
		cmocka_unit_test(test_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
