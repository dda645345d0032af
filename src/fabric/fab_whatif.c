/*
 * fab_whatif.c - the differences between the effective routes of two
 * fabrics (see fab_assure.h). Each subnet's tables come from
 * fab_subnet_table(), the function the API and the agents use, so a
 * what-if shows exactly what the fabric would program.
 */
#include "fabric/fab_assure.h"

#include <jansson.h>
#include <string.h>

/* The active entries of a table: at most one per prefix (the winner). */
static bool active(const struct fab_route *r)
{
	return r->state == FAB_ACTIVE;
}

static bool same_route(const struct fab_route *a, const struct fab_route *b)
{
	if (a->source != b->source || a->nh_type != b->nh_type ||
	    a->n_nh != b->n_nh)
		return false;
	for (uint16_t i = 0; i < a->n_nh; i++)
		if (!addr_eq(&a->nh[i], &b->nh[i]))
			return false;
	return true;
}

/* Count one more in *n; true while it is listed (the first
 * FAB_WHATIF_MAX_LIST): only those are formatted. */
static bool listed(size_t *n)
{
	return (*n)++ < FAB_WHATIF_MAX_LIST;
}

/* Walk the active entries of x and y in prefix order side by side. */
static json_t *diff_tables(const struct fab_table *x, const struct fab_table *y)
{
	json_t *add = json_array(), *rem = json_array(), *chg = json_array();
	size_t i = 0, j = 0, na = 0, nr = 0, nc = 0;
	char p[PREFIX_STRLEN];

	for (;;) {
		while (i < x->n && !active(&x->routes[i]))
			i++;
		while (j < y->n && !active(&y->routes[j]))
			j++;
		if (i >= x->n && j >= y->n)
			break;
		int c = i >= x->n ? 1 : j >= y->n ? -1
			: prefix_cmp(&x->routes[i].prefix, &y->routes[j].prefix);
		if (c < 0) {
			if (listed(&nr))
				json_array_append_new(rem, fab_route_json(&x->routes[i]));
			i++;
		} else if (c > 0) {
			if (listed(&na))
				json_array_append_new(add, fab_route_json(&y->routes[j]));
			j++;
		} else {
			if (!same_route(&x->routes[i], &y->routes[j]) && listed(&nc))
				json_array_append_new(chg, json_pack(
					"{s:s, s:o, s:o}", "prefix",
					prefix_fmt(&x->routes[i].prefix, p, sizeof(p)),
					"before", fab_route_json(&x->routes[i]),
					"after", fab_route_json(&y->routes[j])));
			i++;
			j++;
		}
	}
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:I}", "added", add,
			 "removed", rem, "changed", chg, "added_count",
			 (json_int_t)na, "removed_count", (json_int_t)nr,
			 "changed_count", (json_int_t)nc);
}

static bool empty_diff(json_t *d)
{
	return !json_integer_value(json_object_get(d, "added_count")) &&
	       !json_integer_value(json_object_get(d, "removed_count")) &&
	       !json_integer_value(json_object_get(d, "changed_count"));
}

static void add_subnet(json_t *out, struct fabric *f, struct fabric *g,
		       int si, int sj, size_t *n_same)
{
	struct fab_table x = {0}, y = {0};
	json_t *d;

	if (si >= 0 && fab_subnet_table(f, (uint32_t)si, &x) != FAB_OK)
		return;
	if (sj >= 0 && fab_subnet_table(g, (uint32_t)sj, &y) != FAB_OK) {
		fab_table_free(&x);
		return;
	}
	d = diff_tables(&x, &y);
	if (empty_diff(d) && si >= 0 && sj >= 0) {
		(*n_same)++;
		json_decref(d);
	} else {
		json_object_set_new(d, "subnet", json_string(
			si >= 0 ? fab_subnet_name(f, (uint32_t)si)
				: fab_subnet_name(g, (uint32_t)sj)));
		if (si < 0)
			json_object_set_new(d, "new", json_true());
		if (sj < 0)
			json_object_set_new(d, "gone", json_true());
		json_array_append_new(out, d);
	}
	fab_table_free(&x);
	fab_table_free(&y);
}

json_t *fab_whatif_diff(struct fabric *now, struct fabric *then,
			size_t *n_same)
{
	json_t *out = json_array();
	size_t n = fab_n_subnets(now), m = fab_n_subnets(then);

	*n_same = 0;
	for (size_t i = 0; i < n; i++)
		add_subnet(out, now, then, (int)i,
			   fab_subnet_find(then, fab_subnet_name(now, (uint32_t)i)),
			   n_same);
	for (size_t j = 0; j < m; j++)
		if (fab_subnet_find(now, fab_subnet_name(then, (uint32_t)j)) < 0)
			add_subnet(out, now, then, -1, (int)j, n_same);
	return out;
}
