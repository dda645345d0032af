/*
 * test_base.c - src/base pieces that guard against hostile input: log
 * lines escape control characters (log_escape), and rate-limited events
 * (events_limited) cannot push the other events out of the ring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/events.h"
#include "base/log.h"

static void test_escape(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(log_escape(out, sizeof(out), "plain text"), 10);
	assert_string_equal(out, "plain text");
	log_escape(out, sizeof(out), "a\r\nb\tc\x1b[31m\\d\x7f");
	assert_string_equal(out, "a\\r\\nb\\tc\\x1b[31m\\\\d\\x7f");
	log_escape(out, sizeof(out), "caf\xc3\xa9"); /* UTF-8 kept */
	assert_string_equal(out, "caf\xc3\xa9");
	/* cut at a whole escape, always terminated */
	assert_int_equal(log_escape(out, 6, "ab\x01xyz"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(log_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

static void test_log_line(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct log l;
	(void)state;
	assert_non_null(f);
	log_init(&l, PLOG_INFO, f);
	log_msg(&l, PLOG_INFO, "peer\nX", "disabled: %s",
		"bye\r\n2026-01-01T00:00:00.000Z ERROR forged");
	fclose(f);
	/* one line, the forged text escaped inside it */
	assert_non_null(strchr(buf, '\n'));
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)len);
	assert_non_null(strstr(buf, "[peer\\nX] disabled: bye\\r\\n2026-01-01T"));
	free(buf);
}

static size_t count_type(struct events *ev, const char *type)
{
	json_t *a = events_json(ev, 0, type);
	size_t n = json_array_size(a);
	json_decref(a);
	return n;
}

static void test_limited(void **state)
{
	struct events *ev = events_new(20, NULL, NULL);
	size_t passed = 0;
	(void)state;
	assert_non_null(ev);
	for (int i = 0; i < 10; i++)
		events_emit(ev, "session_up", "p", "up %d", i);
	for (int i = 0; i < 1000; i++)
		passed += events_limited(ev, NULL, "peer_refused", "198.18.0.99",
					 "refused connection from %s: %d",
					 "198.18.0.99", i);
	assert_int_equal(passed, EVENTS_BURST);
	assert_int_equal(count_type(ev, "peer_refused"), EVENTS_BURST);
	assert_int_equal(count_type(ev, "session_up"), 10);
	/* another type has a budget of its own */
	assert_true(events_limited(ev, NULL, "other", "x", "x"));
	events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
