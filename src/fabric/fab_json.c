/*
 * fab_json.c - the API's JSON for effective routes, deltas and traces.
 *
 * Kept apart from the model so the model has no JSON dependency; the API
 * calls these and serializes the result unchanged.
 */
#include "fabric/fab_int.h"

#include <jansson.h>

static json_t *addrs_json(const struct addr *a, size_t n)
{
	json_t *arr = json_array();
	char buf[ADDR_STRLEN];
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_string(addr_fmt(&a[i], buf, sizeof(buf))));
	return arr;
}

json_t *fab_route_json(const struct fab_route *r)
{
	char buf[PREFIX_STRLEN];
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(fab_source_name(r->source)));
	json_object_set_new(o, "state", json_string(fab_state_name(r->state)));
	json_object_set_new(o, "prefix",
			    json_string(prefix_fmt(&r->prefix, buf, sizeof(buf))));
	json_object_set_new(o, "next_hop_type",
			    json_string(fab_nh_type_name(r->nh_type)));
	json_object_set_new(o, "next_hop_ips", addrs_json(r->nh, r->n_nh));
	if (r->state != FAB_ACTIVE)
		json_object_set_new(o, "reason",
				    json_string(fab_reason_text(r->reason)));
	return o;
}

json_t *fab_table_json(const struct fabric *f, uint32_t subnet,
		       const struct fab_table *t)
{
	json_t *o = json_object(), *arr = json_array();
	const char *name = fab_subnet_name(f, subnet);
	if (name)
		json_object_set_new(o, "subnet", json_string(name));
	json_object_set_new(o, "version", json_integer((json_int_t)t->version));
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(arr, fab_route_json(&t->routes[i]));
	json_object_set_new(o, "routes", arr);
	return o;
}

json_t *fab_delta_json(const struct fabric *f, uint32_t subnet,
		       const struct fab_delta *d)
{
	json_t *o = json_object(), *arr = json_array();
	const char *name = fab_subnet_name(f, subnet);
	if (name)
		json_object_set_new(o, "subnet", json_string(name));
	json_object_set_new(o, "from_version",
			    json_integer((json_int_t)d->from_version));
	json_object_set_new(o, "version", json_integer((json_int_t)d->version));
	for (size_t i = 0; i < d->n; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "version",
				    json_integer((json_int_t)d->items[i].version));
		json_object_set_new(c, "op",
				    json_string(fab_op_name(d->items[i].op)));
		json_object_set_new(c, "route", fab_route_json(&d->items[i].route));
		json_array_append_new(arr, c);
	}
	json_object_set_new(o, "changes", arr);
	return o;
}

static json_t *hop_json(const struct fab_hop *h)
{
	char buf[ADDR_STRLEN];
	json_t *o = json_object();
	json_object_set_new(o, "at", h->at ? json_string(h->at) : json_null());
	json_object_set_new(o, "ip", json_string(addr_fmt(&h->ip, buf, sizeof(buf))));
	if (h->has_route) {
		struct fab_route r = h->route;
		r.nh = h->ecmp;
		r.n_nh = h->n_ecmp;
		json_object_set_new(o, "route", fab_route_json(&r));
		json_object_set_new(o, "ecmp", addrs_json(h->ecmp, h->n_ecmp));
	}
	if (h->has_chosen)
		json_object_set_new(o, "chosen",
				    json_string(addr_fmt(&h->chosen, buf, sizeof(buf))));
	if (h->note[0])
		json_object_set_new(o, "note", json_string(h->note));
	return o;
}

json_t *fab_trace_json(const struct fab_trace *t)
{
	json_t *o = json_object(), *arr = json_array();
	char buf[ADDR_STRLEN];
	for (size_t i = 0; i < t->n_hops; i++)
		json_array_append_new(arr, hop_json(&t->hops[i]));
	json_object_set_new(o, "hops", arr);
	json_object_set_new(o, "result", json_string(fab_result_name(t->result)));
	json_object_set_new(o, "reason", json_string(t->reason));
	if (t->result == FAB_LEFT_REGION && t->next_region)
		json_object_set_new(o, "next_region", json_string(t->next_region));
	if (t->exit_ip.afi)
		json_object_set_new(o, "exit_ip",
				    json_string(addr_fmt(&t->exit_ip, buf, sizeof(buf))));
	return o;
}
