/*
 * test_nexthop.c - BGP next hops checked against the fabric (third-party
 * next hops): inside a VNet Active, outside every VNet Invalid with its
 * reason (unless allow_external_next_hops), a load balancer's frontend
 * Active or Invalid by its health; the gauge, the events, lookups that
 * skip Invalid routes, deltas that carry the state, and a trace that
 * follows a load balancer to a backend. Reference topology of
 * tests/golden/fabric/topo.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../golden/fabric/topo.h"

struct env {
	struct conf_fabric cf;
	struct conf_lb lb[2];
	struct addr back[2];
	struct tb_rib r;
	struct fabric *f;
};

static int setup_allow(void **state, bool allow)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];

	tb_reference(&e->cf);
	e->cf.allow_external_next_hops = allow;
	e->back[0] = tb_addr("198.18.0.10"); /* nva-1, nva-2 */
	e->back[1] = tb_addr("198.18.0.11");
	e->lb[0] = (struct conf_lb){ .name = "ilb-up", .vnet = "hub",
				     .frontend_ip = tb_addr("198.18.0.100"),
				     .n_backends = 2, .backends = e->back };
	e->lb[1] = (struct conf_lb){ .name = "ilb-down", .vnet = "hub",
				     .frontend_ip = tb_addr("198.18.0.101"),
				     .n_backends = 1, .backends = e->back,
				     .health = LB_DOWN };
	e->cf.load_balancers = e->lb;
	e->cf.n_load_balancers = 2;
	e->f = fab_new(&e->cf, 1, err, sizeof(err));
	assert_non_null(e->f);
	tb_rib_new(&e->r);
	tb_announce(&e->r, 0, "198.19.128.0/24", "198.18.0.10", 0); /* inside */
	tb_announce(&e->r, 0, "198.19.129.0/24", "198.19.250.9", 0); /* outside */
	tb_announce(&e->r, 0, "198.19.130.0/24", "198.18.0.100", 0); /* lb up */
	tb_announce(&e->r, 0, "198.19.131.0/24", "198.18.0.101", 0); /* lb down */
	tb_announce(&e->r, 0, "198.19.132.0/24", "198.18.16.4", 0); /* spoke */
	tb_sync(&e->r, e->f);
	*state = e;
	return 0;
}

static int setup(void **state) { return setup_allow(state, false); }
static int setup_ext(void **state) { return setup_allow(state, true); }

static int teardown(void **state)
{
	struct env *e = *state;
	fab_free(e->f);
	rib_free(e->r.rib);
	e->cf.load_balancers = NULL;
	e->cf.n_load_balancers = 0;
	tb_free(&e->cf);
	free(e);
	return 0;
}

/* State and reason of the BGP entry for prefix in subnet's table. */
static void bgp_state(struct env *e, const char *subnet, const char *prefix,
		      uint8_t *state, uint8_t *reason)
{
	struct fab_table t;
	struct prefix p = tb_pfx(prefix);
	bool found = false;

	assert_int_equal(fab_subnet_table(e->f,
					  (uint32_t)fab_subnet_find(e->f, subnet),
					  &t), FAB_OK);
	for (size_t i = 0; i < t.n; i++)
		if (prefix_eq(&t.routes[i].prefix, &p) &&
		    t.routes[i].source == FAB_SRC_GATEWAY) {
			*state = t.routes[i].state;
			*reason = t.routes[i].reason;
			found = true;
		}
	fab_table_free(&t);
	assert_true(found);
}

static const struct {
	const char *prefix;
	uint8_t state, reason, state_ext, reason_ext;
} cases[] = {
	{ "198.19.128.0/24", FAB_ACTIVE, 0, FAB_ACTIVE, 0 },
	{ "198.19.129.0/24", FAB_INVALID, FAB_R_NH_OUTSIDE, FAB_ACTIVE, 0 },
	{ "198.19.130.0/24", FAB_ACTIVE, 0, FAB_ACTIVE, 0 },
	{ "198.19.131.0/24", FAB_INVALID, FAB_R_NH_LB_DOWN, FAB_INVALID,
	  FAB_R_NH_LB_DOWN },
	{ "198.19.132.0/24", FAB_ACTIVE, 0, FAB_ACTIVE, 0 },
};

static void check_cases(void **state, bool ext)
{
	struct env *e = *state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint8_t st, why;
		bgp_state(e, "spoke-a/app", cases[i].prefix, &st, &why);
		if (st != (ext ? cases[i].state_ext : cases[i].state) ||
		    why != (ext ? cases[i].reason_ext : cases[i].reason))
			fail_msg("%s: state %s reason '%s'", cases[i].prefix,
				 fab_state_name(st), fab_reason_text(why));
	}
}

static void count_event(void *arg, const struct fab_nh_event *ev)
{
	char p[PREFIX_STRLEN], a[ADDR_STRLEN];
	char *out = arg;
	size_t used = strlen(out);
	snprintf(out + used, 256 - used, "%s %s %s;",
		 prefix_fmt(&ev->prefix, p, sizeof(p)),
		 addr_fmt(&ev->next_hop, a, sizeof(a)),
		 ev->reason == FAB_R_NH_OUTSIDE ? "outside"
		 : ev->reason == FAB_R_NH_LB_DOWN ? "lb-down" : "?");
}

static void test_states(void **state)
{
	struct env *e = *state;
	char evs[256] = "";
	uint64_t total = 0;

	check_cases(state, false);
	assert_int_equal(fab_invalid_next_hops(e->f, &total), 2);
	assert_int_equal(total, 2);
	assert_int_equal(fab_nh_events_take(e->f, count_event, evs, NULL), 2);
	assert_non_null(strstr(evs, "198.19.129.0/24 198.19.250.9 outside;"));
	assert_non_null(strstr(evs, "198.19.131.0/24 198.18.0.101 lb-down;"));
	assert_int_equal(fab_nh_events_take(e->f, count_event, evs, NULL), 0);
	/* the same route again: no second event; withdrawn: gauge drops */
	tb_announce(&e->r, 0, "198.19.129.0/24", "198.19.250.9", 7);
	tb_sync(&e->r, e->f);
	assert_int_equal(fab_nh_events_take(e->f, count_event, evs, NULL), 0);
	tb_withdraw(&e->r, 0, "198.19.129.0/24");
	tb_sync(&e->r, e->f);
	assert_int_equal(fab_invalid_next_hops(e->f, NULL), 1);
	/* ECMP with one bad member: the route is Invalid */
	tb_announce(&e->r, 0, "198.19.133.0/24", "198.18.0.10", 0);
	tb_announce(&e->r, 1, "198.19.133.0/24", "198.19.250.10", 0);
	tb_sync(&e->r, e->f);
	uint8_t st, why;
	bgp_state(e, "spoke-a/app", "198.19.133.0/24", &st, &why);
	assert_int_equal(st, FAB_INVALID);
	assert_int_equal(why, FAB_R_NH_OUTSIDE);
}

static void test_allow_external(void **state)
{
	struct env *e = *state;
	check_cases(state, true);
	assert_int_equal(fab_invalid_next_hops(e->f, NULL), 1);
}

static void test_lookup_and_deltas(void **state)
{
	struct env *e = *state;
	uint32_t sn = (uint32_t)fab_subnet_find(e->f, "spoke-a/app");
	struct addr dst = tb_addr("198.19.129.5");
	struct fab_route r;
	char buf[PREFIX_STRLEN];

	/* the Invalid BGP route is skipped: the system 0/0 answers */
	assert_int_equal(fab_lookup(e->f, sn, &dst, &r), FAB_OK);
	assert_string_equal(prefix_fmt(&r.prefix, buf, sizeof(buf)), "0.0.0.0/0");
	dst = tb_addr("198.19.130.5");
	assert_int_equal(fab_lookup(e->f, sn, &dst, &r), FAB_OK);
	assert_string_equal(prefix_fmt(&r.prefix, buf, sizeof(buf)),
			    "198.19.130.0/24");
	/* a delta carries the Invalid state of a new route */
	uint64_t v = fab_version(e->f);
	tb_announce(&e->r, 1, "198.19.140.0/24", "198.19.250.11", 0);
	tb_sync(&e->r, e->f);
	struct fab_delta d;
	assert_int_equal(fab_subnet_deltas(e->f, sn, v, &d), FAB_OK);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].op, FAB_OP_ADD);
	assert_int_equal(d.items[0].route.state, FAB_INVALID);
	assert_int_equal(d.items[0].route.reason, FAB_R_NH_OUTSIDE);
	fab_delta_free(&d);
}

static void test_trace_lb(void **state)
{
	struct env *e = *state;
	struct fab_trace t;
	struct addr dst = tb_addr("198.19.130.7");

	assert_int_equal(fab_trace(e->f, (uint32_t)fab_nic_find(e->f, "vm-a1"),
				   &dst, &t), FAB_OK);
	assert_int_equal(t.n_hops, 2);
	assert_non_null(strstr(t.hops[0].note, "load balancer ilb-up"));
	assert_true(!strcmp(t.hops[1].at, "nva-1") ||
		    !strcmp(t.hops[1].at, "nva-2"));
	assert_int_equal(t.result, FAB_LEFT_FABRIC);
	assert_string_equal(fab_lb_name(e->f, &t.hops[0].chosen), "ilb-up");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_external, setup_ext,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_deltas, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_lb, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
