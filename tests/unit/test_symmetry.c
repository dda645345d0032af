/*
 * test_symmetry.c - the verdict of the symmetry check
 * (fab_symmetry_verdict, src/fabric/fab_symmetry.c) over a table of
 * forward and return crossings, each case named for what it shows, and
 * the crossings' JSON read back as pharosctl reads them across regions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "fabric/fab_assure.h"

/* A side from a spec: crossings separated by ';', each the candidate
 * addresses separated by ',' (the first is the one chosen), '*' at the
 * end for a sticky group. */
static void side(const char *spec, struct fab_sym_side *s)
{
	char buf[512], *save = NULL, *c;

	memset(s, 0, sizeof(*s));
	snprintf(buf, sizeof(buf), "%s", spec);
	for (c = strtok_r(buf, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
		struct fab_crossing *x = &s->c[s->n++];
		char *save2 = NULL, *a;
		size_t len = strlen(c);
		if (len && c[len - 1] == '*') {
			x->sticky = true;
			c[len - 1] = 0;
		}
		snprintf(x->at, sizeof(x->at), "hop%zu", s->n);
		for (a = strtok_r(c, ",", &save2); a; a = strtok_r(NULL, ",", &save2))
			assert_int_equal(addr_parse(a, &x->cand[x->n_cand++]), 0);
		x->chosen = x->cand[0];
	}
}

struct vcase {
	const char *name, *fwd, *ret;
	int want;
	const char *reason; /* a part of the reason */
};

static const struct vcase cases[] = {
	{"no stateful hop", "", "", FAB_SYMMETRIC, "no stateful hop either way"},
	{"one NVA each way", "198.18.1.4", "198.18.1.4", FAB_SYMMETRIC,
	 "same stateful hop: 198.18.1.4"},
	{"two hubs, one NVA each, both ways", "198.18.1.4;198.18.65.4",
	 "198.18.65.4;198.18.1.4", FAB_SYMMETRIC, "hops: 198.18.1.4, 198.18.65.4"},
	{"ECMP pair both ways, not sticky", "198.18.65.5,198.18.65.4",
	 "198.18.65.4,198.18.65.5", FAB_AT_RISK,
	 "ECMP over 2 stateful next hops [198.18.65.5, 198.18.65.4] without flow stickiness"},
	{"ECMP pair both ways, sticky", "198.18.65.5,198.18.65.4*",
	 "198.18.65.4,198.18.65.5*", FAB_SYMMETRIC, "same stateful hop"},
	{"ECMP forward, one member pinned on return", "198.18.1.5,198.18.1.4",
	 "198.18.1.4", FAB_AT_RISK, "the flow hash picks 198.18.1.5 forward and 198.18.1.4"},
	{"sticky forward, a subset on return", "198.18.1.5,198.18.1.4*",
	 "198.18.1.4*", FAB_AT_RISK, "ECMP over 2"},
	{"return through another hub's firewall", "198.18.1.4;198.18.129.4",
	 "198.18.129.4;198.18.65.4;198.18.1.4", FAB_ASYMMETRIC,
	 "the return path crosses stateful 198.18.65.4 (chosen at hop2"},
	{"forward through a firewall the return skips", "198.18.1.4;198.18.1.36",
	 "198.18.1.4", FAB_ASYMMETRIC, "the forward path crosses stateful 198.18.1.36"},
	{"a firewall one way only", "198.18.1.4", "", FAB_ASYMMETRIC,
	 "the return path crosses none of them"},
	{"different members, no ECMP", "198.18.1.4", "198.18.1.5", FAB_ASYMMETRIC,
	 "crosses stateful 198.18.1.4"},
};

static void test_verdicts(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fab_sym_side f, r;
		char reason[600] = "";
		int v;

		side(cases[i].fwd, &f);
		side(cases[i].ret, &r);
		v = fab_symmetry_verdict(&f, &r, reason, sizeof(reason));
		if (v != cases[i].want || !strstr(reason, cases[i].reason))
			fail_msg("%s: got %s (%s), want %s with \"%s\"", cases[i].name,
				 fab_verdict_name(v), reason,
				 fab_verdict_name(cases[i].want), cases[i].reason);
	}
}

static void test_names(void **state)
{
	assert_string_equal(fab_verdict_name(FAB_SYMMETRIC), "symmetric");
	assert_string_equal(fab_verdict_name(FAB_AT_RISK), "at_risk");
	assert_string_equal(fab_verdict_name(FAB_ASYMMETRIC), "asymmetric");
}

/* What pharosd sends, pharosctl reads back into the same crossings. */
static void test_json_round_trip(void **state)
{
	struct fab_sym_side a, b = {0};
	json_t *j;

	side("198.18.1.5,198.18.1.4*;198.18.65.4", &a);
	j = fab_crossings_json(&a);
	assert_int_equal(json_array_size(j), 2);
	assert_int_equal(fab_crossings_parse(j, &b), 0);
	assert_int_equal(b.n, 2);
	assert_true(b.c[0].sticky);
	assert_false(b.c[1].sticky);
	assert_int_equal(b.c[0].n_cand, 2);
	assert_true(addr_eq(&b.c[0].chosen, &a.c[0].chosen));
	assert_string_equal(b.c[1].at, "hop2");
	json_decref(j);
	j = json_loads("[{\"at\":\"x\",\"chosen\":\"bad\",\"candidates\":[]}]", 0, NULL);
	memset(&b, 0, sizeof(b));
	assert_int_equal(fab_crossings_parse(j, &b), -1);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
