/*
 * test_drill.c - the pure logic of failover drills: expected route sets,
 * the ordered timeline, checks against a loc-RIB lookup, the score and
 * the list of mismatches, and the JSON and SVG reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/drill.h"

/* A fake loc-RIB: prefix -> next hops. */
struct fake_route {
	const char *prefix;
	const char *nh[4];
};
struct fake_rib {
	const struct fake_route *r;
	size_t n;
};

static unsigned fake_lookup(void *arg, const struct prefix *p,
			    struct addr *out, unsigned max)
{
	const struct fake_rib *rib = arg;
	struct prefix q;
	unsigned n = 0;

	for (size_t i = 0; i < rib->n; i++) {
		assert_int_equal(prefix_parse(rib->r[i].prefix, &q), 0);
		if (!prefix_eq(&q, p))
			continue;
		for (unsigned k = 0; k < 4 && rib->r[i].nh[k] && n < max; k++)
			assert_int_equal(addr_parse(rib->r[i].nh[k], &out[n++]), 0);
	}
	return n;
}

static void drill_init(struct drill *dr, bool fabric, bool agents)
{
	memset(dr, 0, sizeof(*dr));
	dr->id = 7;
	snprintf(dr->peer, sizeof(dr->peer), "nva-a");
	for (int ph = 0; ph < DP_N; ph++) {
		dr->ms[ph] = -1;
		dr->applies[ph] = true;
	}
	dr->applies[DP_FABRIC_PROGRAMMED] = fabric;
	dr->applies[DP_FABRIC_REPROGRAMMED] = fabric;
	dr->applies[DP_AGENTS_ACKED] = agents;
}

static json_t *expect_json(void)
{
	return json_loads(
		"{\"before\":[{\"prefix\":\"198.19.5.0/24\",\"next_hops\":"
		"[\"198.18.1.1\",\"198.18.1.2\"]}],"
		"\"during\":[{\"prefix\":\"198.19.5.0/24\",\"next_hops\":[\"198.18.1.2\"]},"
		"{\"prefix\":\"198.19.6.0/24\",\"next_hops\":[]}],"
		"\"after\":[{\"prefix\":\"198.19.5.0/24\",\"next_hops\":"
		"[\"198.18.1.2\",\"198.18.1.1\"]}]}",
		0, NULL);
}

static void test_parse(void **state)
{
	struct drill dr;
	char err[200];
	json_t *e = expect_json();

	drill_init(&dr, false, false);
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), 0);
	assert_int_equal(dr.n_expect, 4);
	assert_int_equal(dr.expect[0].moment, DM_BEFORE);
	assert_int_equal(dr.expect[0].n_nh, 2);
	assert_int_equal(dr.expect[2].moment, DM_DURING);
	assert_int_equal(dr.expect[2].n_nh, 0);
	assert_int_equal(dr.expect[3].moment, DM_AFTER);
	json_decref(e);

	e = json_loads("{\"during\":[{\"prefix\":\"bogus\"}]}", 0, NULL);
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "prefix"));
	json_decref(e);
	e = json_loads("{\"after\":{\"prefix\":\"198.19.5.0/24\"}}", 0, NULL);
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "after"));
	json_decref(e);
	e = json_loads("{\"before\":[{\"prefix\":\"198.19.5.0/24\","
		       "\"next_hops\":[\"not-an-ip\"]}]}", 0, NULL);
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), -1);
	json_decref(e);
	drill_clear(&dr);
}

static void test_timeline_order(void **state)
{
	struct drill dr;

	drill_init(&dr, false, false);
	/* a phase cannot be recorded before its predecessors */
	assert_false(drill_mark(&dr, DP_ROUTES_WITHDRAWN, 5));
	assert_int_equal(drill_next_phase(&dr, 0), DP_SESSION_DOWN);
	assert_true(drill_mark(&dr, DP_SESSION_DOWN, 1));
	assert_false(drill_mark(&dr, DP_SESSION_DOWN, 2)); /* once only */
	assert_true(drill_mark(&dr, DP_ROUTES_WITHDRAWN, 3));
	/* fabric phases do not apply here: skipped */
	assert_false(drill_mark(&dr, DP_FABRIC_PROGRAMMED, 4));
	assert_int_equal(drill_next_phase(&dr, 0), DP_PEERS_UPDATED);
	/* a time earlier than a predecessor's is raised to it */
	assert_true(drill_mark(&dr, DP_PEERS_UPDATED, 2));
	assert_int_equal(dr.ms[DP_PEERS_UPDATED], 3);
	assert_int_equal(drill_next_phase(&dr, 0), DP_RESTORED);
	assert_true(drill_timeline_ordered(&dr));
	assert_true(drill_mark(&dr, DP_RESTORED, 2000));
	assert_true(drill_mark(&dr, DP_SESSION_UP, 2100));
	assert_true(drill_mark(&dr, DP_ROUTES_BACK, 2150));
	assert_true(drill_mark(&dr, DP_EOR, 2150));
	assert_int_equal(drill_next_phase(&dr, 0), DP_N);
	assert_true(drill_timeline_ordered(&dr));

	/* out of order or with a gap: not ordered */
	dr.ms[DP_SESSION_UP] = 10;
	assert_false(drill_timeline_ordered(&dr));
	dr.ms[DP_SESSION_UP] = 2100;
	dr.ms[DP_ROUTES_WITHDRAWN] = -1;
	assert_false(drill_timeline_ordered(&dr));
}

static void test_fabric_phases(void **state)
{
	struct drill dr;

	drill_init(&dr, true, true);
	assert_true(drill_mark(&dr, DP_SESSION_DOWN, 0));
	assert_true(drill_mark(&dr, DP_ROUTES_WITHDRAWN, 1));
	assert_int_equal(drill_next_phase(&dr, 0), DP_FABRIC_PROGRAMMED);
	assert_false(drill_mark(&dr, DP_PEERS_UPDATED, 2));
	assert_true(drill_mark(&dr, DP_FABRIC_PROGRAMMED, 1));
	assert_true(drill_mark(&dr, DP_PEERS_UPDATED, 2));
	assert_false(drill_mark(&dr, DP_RESTORED, 5)); /* agents first */
	assert_true(drill_mark(&dr, DP_AGENTS_ACKED, 40));
	assert_true(drill_mark(&dr, DP_RESTORED, 2000));
	assert_true(drill_timeline_ordered(&dr));
}

static void test_checks_and_score(void **state)
{
	static const struct fake_route both[] = {
		{"198.19.5.0/24", {"198.18.1.1", "198.18.1.2"}},
	};
	static const struct fake_route one[] = {
		{"198.19.5.0/24", {"198.18.1.2"}},
		{"198.19.6.0/24", {"198.18.1.2"}},
	};
	struct fake_rib rb = {both, 1}, r1 = {one, 2};
	struct drill dr;
	char err[200];
	json_t *e = expect_json(), *j, *m;

	drill_init(&dr, false, false);
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), 0);
	json_decref(e);
	assert_true(drill_score(&dr) < 1.0); /* nothing checked yet */
	drill_check_moment(&dr, DM_BEFORE, fake_lookup, &rb);
	drill_check_moment(&dr, DM_BEFORE, fake_lookup, &r1); /* once only */
	assert_int_equal(dr.n_checks, 1);
	assert_true(dr.checks[0].ok);
	drill_check_moment(&dr, DM_DURING, fake_lookup, &r1);
	assert_int_equal(dr.n_checks, 3);
	assert_true(dr.checks[1].ok);
	assert_false(dr.checks[2].ok); /* 198.19.6.0/24 should be absent */
	drill_check_moment(&dr, DM_AFTER, fake_lookup, &rb); /* order-free */
	assert_true(dr.checks[3].ok);
	assert_true(drill_score(&dr) > 74.9 && drill_score(&dr) < 75.1);

	j = drill_json(&dr);
	m = json_object_get(j, "mismatches");
	assert_int_equal(json_array_size(m), 1);
	assert_non_null(strstr(json_string_value(json_array_get(m, 0)),
			       "during 198.19.6.0/24: expected next hops [], got [198.18.1.2]"));
	assert_int_equal(json_array_size(json_object_get(j, "checks")), 4);
	json_decref(j);
	drill_clear(&dr);

	/* A failed drill scores the share it met too (3 of 4 here). */
	drill_init(&dr, false, false);
	e = expect_json();
	assert_int_equal(drill_expect_parse(&dr, e, err, sizeof(err)), 0);
	json_decref(e);
	drill_check_moment(&dr, DM_BEFORE, fake_lookup, &rb);
	drill_check_moment(&dr, DM_DURING, fake_lookup, &r1);
	drill_check_moment(&dr, DM_AFTER, fake_lookup, &rb);
	dr.state = DS_FAILED;
	assert_true(drill_score(&dr) > 74.9 && drill_score(&dr) < 75.1);
	drill_clear(&dr);

	drill_init(&dr, false, false); /* no expectations: 100 */
	assert_true(drill_score(&dr) > 99.9);
}

static void test_reports(void **state)
{
	struct drill dr;
	char *svg;
	json_t *j, *t;

	drill_init(&dr, true, false);
	drill_mark(&dr, DP_SESSION_DOWN, 0);
	drill_mark(&dr, DP_ROUTES_WITHDRAWN, 2);
	drill_mark(&dr, DP_FABRIC_PROGRAMMED, 2);
	drill_mark(&dr, DP_PEERS_UPDATED, 3);
	drill_mark(&dr, DP_RESTORED, 2003);
	j = drill_json(&dr);
	t = json_object_get(j, "timeline");
	assert_int_equal(json_array_size(t), DP_N - 1); /* no agents */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(t, 3), "phase")), "peers_updated");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(t, 3), "ms")), 3);
	assert_true(json_is_null(json_object_get(json_array_get(t, 5), "ms")));
	json_decref(j);
	svg = drill_svg(&dr);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "<svg "));
	assert_non_null(strstr(svg, "</svg>"));
	assert_non_null(strstr(svg, ">peers updated</text>"));
	assert_non_null(strstr(svg, ">2003 ms</text>"));
	assert_non_null(strstr(svg, "not reached"));
	assert_non_null(strstr(svg, "ms (logarithmic)"));
	{
		/* The 2 ms withdrawal stays visible beside the 2 s restore
		 * (a linear axis gave it 1 pixel of 560). */
		const char *r = svg;
		int widest_short = 0, n_rect = 0;

		while ((r = strstr(r, "<rect "))) {
			int wpx = 0;
			const char *wp = strstr(r, "width=\"");

			if (wp && sscanf(wp, "width=\"%d\"", &wpx) == 1 &&
			    n_rect < 4 && wpx > widest_short)
				widest_short = wpx;
			n_rect++;
			r++;
		}
		assert_int_equal(n_rect, 5);
		assert_true(widest_short >= 40);
	}
	free(svg);

	/* A peer name with XML's special characters is escaped. */
	snprintf(dr.peer, sizeof(dr.peer), "%s", "fw<1>&b\"'");
	svg = drill_svg(&dr);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "peer-down fw&lt;1&gt;&amp;b&quot;&apos;"));
	assert_null(strstr(svg, "fw<1>"));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_timeline_order),
		cmocka_unit_test(test_fabric_phases),
		cmocka_unit_test(test_checks_and_score),
		cmocka_unit_test(test_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
