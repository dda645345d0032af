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

#include "base/dynlib.h"
#include "base/events.h"
#include "base/jsonfmt.h"
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

/* The JSON vocabulary: a duration prints with three decimals at most, an
 * event line's time has milliseconds and the line carries its fields. */
static void test_json_vocabulary(void **state)
{
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct events *ev;
	json_t *o;
	(void)state;

	o = json_pack("{s:o, s:o, s:o, s:f}", "age_s", json_secs(4.2031),
		      "since_s", json_secs(12.0004), "tiny_s", json_secs(0.0006),
		      "bytes_per_route", 15201.6);
	s = json_dumps(o, PHAROS_JSON_DUMP);
	assert_string_equal(s, "{\"age_s\":4.203,\"since_s\":12.0,"
			    "\"tiny_s\":0.001,\"bytes_per_route\":15201.6}");
	free(s);
	json_decref(o);

	assert_non_null(f);
	ev = events_new(4, NULL, f);
	assert_non_null(ev);
	events_emit_json(ev, "session_up", "p", json_pack("{s:I, s:[s]}",
			 "hold_time", (json_int_t)90, "capabilities",
			 "ipv4-unicast"), "hold 90 s, capabilities ipv4-unicast");
	events_free(ev);
	fclose(f);
	assert_non_null(strstr(buf, "\"time\":\"20"));
	assert_non_null(strstr(buf, "Z\",\"seq\":1,\"type\":\"session_up\""));
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	s = strstr(buf, "\"time\":\"") + 8;
	assert_int_equal(strchr(s, '"') - s, 24);
	assert_int_equal(s[19], '.');
	assert_non_null(strstr(buf, "\"hold_time\":90,\"capabilities\":[\"ipv4-unicast\"]"));
	free(buf);
}

/* An optional library: a missing one, or one without a function asked
 * for, resolves nothing and says why; a present one resolves every name
 * once (libm, always there, stands in for librtr and libnats). */
static void test_dynlib(void **state)
{
	void *h = NULL, *f = NULL, *g = NULL;
	char err[256] = "";
	const struct dynlib_sym ok[] = {{"cos", &f}, {"sqrt", &g}};
	const struct dynlib_sym bad[] = {{"cos", &f}, {"no_such_fn", &g}};
	(void)state;

	assert_int_equal(dynlib_load(&h, "libpharos-none.so.0", ok, 2, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot load libpharos-none.so.0"));
	assert_null(h);
	assert_null(f);
	assert_int_equal(dynlib_load(&h, "libm.so.6", bad, 2, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "libm.so.6 has no no_such_fn"));
	assert_null(h);
	assert_null(f); /* nothing half resolved */
	assert_int_equal(dynlib_load(&h, "libm.so.6", ok, 2, NULL, 0), 0);
	assert_non_null(h);
	assert_true(((double (*)(double))g)(16.0) == 4.0);
	f = g = NULL;
	assert_int_equal(dynlib_load(&h, "libm.so.6", ok, 2, NULL, 0), 0);
	assert_null(f); /* loaded before: nothing done again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_limited),
		cmocka_unit_test(test_json_vocabulary),
		cmocka_unit_test(test_dynlib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
