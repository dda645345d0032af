/*
 * test_bus.c - subject tokens of the NATS bus (src/base/bus.c): names
 * with '.', '*', '>', spaces or '%' never split or widen a subject, and
 * decode back to the name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/bus.h"

static void roundtrip(const char *name, const char *want)
{
	char tok[BUS_TOKEN_MAX], back[BUS_TOKEN_MAX];
	assert_true(bus_token(tok, sizeof(tok), name));
	assert_string_equal(tok, want);
	assert_null(strpbrk(tok, ".*> \t"));
	assert_true(bus_untoken(back, sizeof(back), tok));
	assert_string_equal(back, name);
}

static void test_tokens(void **state)
{
	(void)state;
	roundtrip("spoke-a", "spoke-a");
	roundtrip("app_1", "app_1");
	roundtrip("rs.a", "rs%2Ea");
	roundtrip("a*b>c d", "a%2Ab%3Ec%20d");
	roundtrip("100%", "100%25");
	roundtrip("caf\xc3\xa9", "caf%C3%A9");
}

static void test_limits(void **state)
{
	char tok[8], back[8];
	(void)state;
	assert_false(bus_token(tok, sizeof(tok), "")); /* no empty token */
	assert_false(bus_token(tok, sizeof(tok), "12345678")); /* too long */
	assert_true(bus_token(tok, sizeof(tok), "1234567"));
	assert_false(bus_token(tok, sizeof(tok), "12345.")); /* escape too long */
	assert_false(bus_untoken(back, sizeof(back), "a%2")); /* cut escape */
	assert_false(bus_untoken(back, sizeof(back), "a%zz"));
	assert_false(bus_untoken(back, sizeof(back), "a%00b")); /* no NUL */
	assert_false(bus_untoken(back, sizeof(back), "12345678"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
