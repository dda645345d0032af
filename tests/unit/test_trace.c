/*
 * test_trace.c - hop-by-hop packet walks through the reference fabric of
 * tests/golden/fabric/topo.h: peering, NVAs with ECMP, on-premises exits,
 * drops (None, no route, loop, no NIC), Internet and cross-region exits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <jansson.h>

#include "../golden/fabric/topo.h"

struct env {
	struct conf_fabric cf;
	struct tb_rib r;
	struct fabric *f;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	tb_reference(&e->cf);
	e->f = fab_new(&e->cf, 1, NULL, 0);
	assert_non_null(e->f);
	tb_rib_new(&e->r);
	tb_announce(&e->r, 0, "198.19.128.0/24", NULL, 0); /* on-prem, ECMP */
	tb_announce(&e->r, 1, "198.19.128.0/24", NULL, 0);
	tb_announce(&e->r, 0, "0.0.0.0/0", NULL, 0);
	tb_announce(&e->r, 0, "198.18.16.0/24", NULL, 0); /* spoke-a via NVA */
	tb_announce(&e->r, 0, "198.19.16.0/22", NULL, 0); /* other region */
	tb_sync(&e->r, e->f);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fab_free(e->f);
	rib_free(e->r.rib);
	tb_free(&e->cf);
	free(e);
	return 0;
}

static void walk(struct env *e, const char *nic, const char *dst,
		 struct fab_trace *t)
{
	int n = fab_nic_find(e->f, nic);
	assert_true(n >= 0);
	struct addr a = tb_addr(dst);
	assert_int_equal(fab_trace(e->f, (uint32_t)n, &a, t), FAB_OK);
}

struct tcase {
	const char *what, *src, *dst;
	uint8_t result;
	const char *hops; /* NIC names, comma separated ("-" = outside) */
	const char *reason; /* substring of the reason */
	const char *region;
};

static const struct tcase cases[] = {
	{ "VM to VM over a peering", "vm-a1", "198.18.0.70", FAB_DELIVERED,
	  "vm-a1,vm-h1", "delivered to vm-h1", NULL },
	{ "VM to VM in one VNet", "vm-a2", "198.18.16.4", FAB_DELIVERED,
	  "vm-a2,vm-a1", "delivered to vm-a1", NULL },
	{ "spoke to spoke through the hub NVA", "vm-c1", "198.18.16.4",
	  FAB_DELIVERED, "vm-c1,nva-1,vm-a1", "delivered to vm-a1", NULL },
	{ "UDR to None", "vm-a1", "198.18.210.5", FAB_DROPPED, "vm-a1",
	  "next hop None", NULL },
	{ "no route", "vm-b1", "2001:db8::1", FAB_DROPPED, "vm-b1",
	  "no route to 2001:db8::1 in spoke-b/app", NULL },
	{ "loop between a UDR and the NVA's UDR", "vm-a1", "198.18.220.1",
	  FAB_DROPPED, "vm-a1,nva-1", "loop: vm-a1 (198.18.16.4) visited twice",
	  NULL },
	{ "UDR to an appliance in a VNet that is not peered", "vm-a1",
	  "198.18.230.1", FAB_DROPPED, "vm-a1",
	  "vm-b1 (198.18.32.4) is in VNet spoke-b, which is not peered with "
	  "spoke-a", NULL },
	{ "no NIC at a VnetLocal address", "vm-a1", "198.18.16.99",
	  FAB_DROPPED, "vm-a1", "no NIC has the address 198.18.16.99", NULL },
	{ "Internet from a spoke without gateway routes", "vm-b1",
	  "198.51.100.1", FAB_LEFT_FABRIC, "vm-b1", "to the Internet", NULL },
	{ "UDR default to the NVA, out via BGP default", "vm-a1",
	  "198.51.100.1", FAB_LEFT_FABRIC, "vm-a1,nva-1",
	  "leaves the fabric via nva-1 (198.18.0.10)", NULL },
	{ "other region through the hub NVA", "vm-c1", "198.19.16.4",
	  FAB_LEFT_REGION, "vm-c1,nva-1",
	  "leaves region westeurope via nva-1", "northeurope" },
	{ "other region over a global peering", "vm-h1", "198.19.0.10",
	  FAB_LEFT_REGION, "vm-h1", "over the peering hub <-> far-hub",
	  "northeurope" },
};

static void check_case(struct env *e, const struct tcase *c)
{
	struct fab_trace t;
	char buf[256], *save = NULL;
	walk(e, c->src, c->dst, &t);
	if (t.result != c->result)
		fail_msg("%s: result %s (%s), want %s", c->what,
			 fab_result_name(t.result), t.reason,
			 fab_result_name(c->result));
	if (!strstr(t.reason, c->reason))
		fail_msg("%s: reason '%s' lacks '%s'", c->what, t.reason, c->reason);
	snprintf(buf, sizeof(buf), "%s", c->hops);
	size_t n = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), n++) {
		if (n >= t.n_hops)
			fail_msg("%s: only %zu hops", c->what, t.n_hops);
		const char *at = t.hops[n].at ? t.hops[n].at : "-";
		if (strcmp(at, tok))
			fail_msg("%s: hop %zu at %s, want %s", c->what, n, at, tok);
	}
	if (n != t.n_hops)
		fail_msg("%s: %zu hops, want %zu", c->what, t.n_hops, n);
	if (c->region)
		assert_string_equal(t.next_region, c->region);
	/* every hop but a delivered VM's last one used a route */
	for (size_t i = 0; i + 1 < t.n_hops; i++)
		assert_true(t.hops[i].has_route);
	if (t.result != FAB_DELIVERED && t.result != FAB_DROPPED)
		assert_true(t.hops[t.n_hops - 1].has_route);
	assert_string_equal(t.hops[0].at, c->src);
	assert_non_null(strstr(t.hops[0].note, "source VM"));
}

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_case(*state, &cases[i]);
}

/* VM -> NVA -> on-premises, ECMP over two NVAs: all members listed, the
 * flow hash of (src, dst) picks one, the walk follows that one. */
static void test_ecmp_onprem(void **state)
{
	struct env *e = *state;
	int picked[2] = { 0, 0 };
	struct addr src = tb_addr("198.18.48.4");
	for (int host = 1; host < 64; host++) {
		char dst[32];
		snprintf(dst, sizeof(dst), "198.19.128.%d", host);
		struct fab_trace t;
		walk(e, "vm-c1", dst, &t);
		assert_int_equal(t.result, FAB_LEFT_FABRIC);
		assert_int_equal(t.n_hops, 2);
		const struct fab_hop *h = &t.hops[0];
		assert_true(h->has_route && h->has_chosen);
		assert_int_equal(h->route.source, FAB_SRC_GATEWAY);
		assert_int_equal(h->n_ecmp, 2);
		struct addr a = tb_addr(dst);
		unsigned k = fab_flow_pick(&src, &a, 2);
		assert_true(addr_eq(&h->chosen, &h->ecmp[k]));
		assert_non_null(strstr(h->note, "flow hash"));
		picked[k]++;
		const char *nva = k == 0 ? "nva-1" : "nva-2";
		assert_string_equal(t.hops[1].at, nva);
		assert_non_null(strstr(t.hops[1].note,
				       "reached over the peering spoke-c <-> hub"));
		assert_non_null(strstr(t.reason, nva));
		assert_true(addr_eq(&t.exit_ip, &h->chosen));
		/* deterministic */
		struct fab_trace t2;
		walk(e, "vm-c1", dst, &t2);
		assert_true(addr_eq(&t2.hops[0].chosen, &h->chosen));
	}
	assert_true(picked[0] > 0 && picked[1] > 0);
}

/* An on-prem next hop that is not a NIC: leaves the fabric via it. */
static void test_gateway_exit(void **state)
{
	struct env *e = *state;
	tb_announce(&e->r, 0, "198.19.130.0/24", "198.18.1.1", 0);
	tb_sync(&e->r, e->f);
	struct fab_trace t;
	walk(e, "vm-h1", "198.19.130.9", &t);
	assert_int_equal(t.result, FAB_LEFT_FABRIC);
	assert_int_equal(t.n_hops, 1);
	assert_non_null(strstr(t.reason, "leaves the fabric via 198.18.1.1"));
	struct fab_trace t2;
	assert_int_equal(fab_trace(e->f, 12345, &t.exit_ip, &t2), FAB_ENOENT);
}

static char *golden_path(const char *name)
{
	const char *top = getenv("PHAROS_TOP");
	char *p = NULL;
	if (asprintf(&p, "%s/tests/golden/fabric/%s", top ? top : ".", name) < 0)
		abort();
	return p;
}

static void test_json(void **state)
{
	struct env *e = *state;
	struct fab_trace t;
	walk(e, "vm-c1", "198.19.128.5", &t);
	json_t *j = fab_trace_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "result")),
			    "left-fabric");
	json_t *hops = json_object_get(j, "hops");
	assert_int_equal(json_array_size(hops), 2);
	json_t *h0 = json_array_get(hops, 0);
	assert_string_equal(json_string_value(json_object_get(h0, "at")), "vm-c1");
	assert_int_equal(json_array_size(json_object_get(h0, "ecmp")), 2);
	assert_true(json_is_string(json_object_get(h0, "chosen")));
	json_t *route = json_object_get(h0, "route");
	assert_string_equal(json_string_value(json_object_get(route, "prefix")),
			    "198.19.128.0/24");
	char *path = golden_path("trace-ecmp.json");
	if (getenv("PHAROS_GOLDEN_UPDATE"))
		json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_error_t jerr;
	json_t *want = json_load_file(path, 0, &jerr);
	if (!want)
		fail_msg("%s: %s", path, jerr.text);
	assert_true(json_equal(j, want));
	json_decref(want);
	json_decref(j);
	free(path);

	walk(e, "vm-c1", "198.19.16.4", &t);
	j = fab_trace_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "result")),
			    "left-region");
	assert_string_equal(json_string_value(json_object_get(j, "next_region")),
			    "northeurope");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecmp_onprem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
