/*
 * routes.c - pharos-agent's pure route logic.
 *
 * Turns the fabric API's JSON (a subnet table, a list of deltas) into
 * entry lists, keeps a server's list current by applying deltas, derives
 * the routes a host installs, merges the answers of several route servers
 * and diffs the result against a kernel table dump. No I/O here, so every
 * rule is unit tested (tests/unit/test_agent.c).
 */
#include <errno.h>
#include <strings.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent.h"

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	void *n = realloc(v, c * size);
	if (!n)
		abort();
	*cap = c;
	return n;
}

void ag_entries_free(struct ag_entries *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void ag_rset_free(struct ag_rset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void ag_ops_free(struct ag_ops *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}

void ag_deltas_free(struct ag_deltas *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------- names */

static const char *const nh_names[] = {
	[AG_NH_VIRTUAL_APPLIANCE] = "VirtualAppliance",
	[AG_NH_VNET_LOCAL] = "VnetLocal",
	[AG_NH_INTERNET] = "Internet",
	[AG_NH_NONE] = "None",
	[AG_NH_VNET_GATEWAY] = "VirtualNetworkGateway",
	[AG_NH_VNET_PEERING] = "VNetPeering",
};
static const char *const src_names[] = {
	[AG_SRC_USER] = "User",
	[AG_SRC_GATEWAY] = "VirtualNetworkGateway",
	[AG_SRC_DEFAULT] = "Default",
};

const char *ag_nhtype_name(uint8_t t)
{
	return t < sizeof(nh_names) / sizeof(nh_names[0]) ? nh_names[t] : "?";
}

const char *ag_source_name(uint8_t s)
{
	return s < sizeof(src_names) / sizeof(src_names[0]) ? src_names[s]
							     : "?";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ next hops */

static int addr_qcmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

size_t ag_nh_normalize(struct addr *nh, size_t n)
{
	if (n < 2)
		return n;
	qsort(nh, n, sizeof(*nh), addr_qcmp);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (!addr_eq(&nh[i], &nh[k - 1]))
			nh[k++] = nh[i];
	return k;
}

/* --------------------------------------------------------------- JSON */

static int entry_qcmp(const void *a, const void *b);

static int seterr(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg ? arg : "");
	return -1;
}

static int entry_nhs(json_t *ips, struct ag_entry *e, char *err,
		     size_t errlen)
{
	size_t i;
	json_t *v;
	if (!ips || json_is_null(ips))
		return 0;
	if (!json_is_array(ips))
		return seterr(err, errlen, "next_hop_ips is not an array%s", NULL);
	json_array_foreach(ips, i, v) {
		struct addr a;
		const char *s = json_string_value(v);
		if (!s || addr_parse(s, &a) != 0)
			return seterr(err, errlen, "bad next hop IP '%s'", s);
		if (a.afi != e->pfx.afi)
			return seterr(err, errlen,
				    "next hop %s of another family", s);
		if (e->n_nh < AG_MAXNH)
			e->nh[e->n_nh++] = a;
	}
	e->n_nh = (uint16_t)ag_nh_normalize(e->nh, e->n_nh);
	return 0;
}

int ag_entry_from_json(const void *json_obj, struct ag_entry *e, char *err,
		       size_t errlen)
{
	json_t *o = (json_t *)json_obj;
	memset(e, 0, sizeof(*e));
	if (!json_is_object(o))
		return seterr(err, errlen, "route is not an object%s", NULL);
	const char *p = json_string_value(json_object_get(o, "prefix"));
	const char *src = json_string_value(json_object_get(o, "source"));
	const char *st = json_string_value(json_object_get(o, "state"));
	const char *nt = json_string_value(json_object_get(o, "next_hop_type"));
	if (!p || !src || !st || !nt)
		return seterr(err, errlen,
			    "route lacks prefix, source, state or next_hop_type%s",
			    NULL);
	int r = prefix_parse(p, &e->pfx);
	if (r == -1)
		return seterr(err, errlen, "bad prefix '%s'", p);
	int si = name_index(src_names, 3, src);
	int ni = name_index(nh_names, 6, nt);
	if (si < 0)
		return seterr(err, errlen, "unknown source '%s'", src);
	if (ni < 0)
		return seterr(err, errlen, "unknown next_hop_type '%s'", nt);
	e->source = (uint8_t)si;
	e->nh_type = (uint8_t)ni;
	e->active = strcasecmp(st, "Active") == 0;
	return entry_nhs(json_object_get(o, "next_hop_ips"), e, err, errlen);
}

static json_t *load(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		seterr(err, errlen, "JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		seterr(err, errlen, "JSON answer is not an object%s", NULL);
		return NULL;
	}
	return root;
}

static int get_version(json_t *o, uint64_t *v)
{
	json_t *j = json_object_get(o, "version");
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

int ag_parse_table(const char *text, size_t len, struct ag_entries *t,
		   uint64_t *version, char *err, size_t errlen)
{
	json_t *root = load(text, len, err, errlen), *routes, *v;
	size_t i;
	int rc = -1;
	if (!root)
		return -1;
	routes = json_object_get(root, "routes");
	if (get_version(root, version) != 0 || !json_is_array(routes)) {
		seterr(err, errlen, "table answer lacks version or routes%s",
		     NULL);
		goto out;
	}
	t->n = 0;
	json_array_foreach(routes, i, v) {
		t->v = grow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
		if (ag_entry_from_json(v, &t->v[t->n], err, errlen) != 0)
			goto out;
		t->n++;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), entry_qcmp);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static int delta_op(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "add") == 0)
		return AG_D_ADD;
	if (strcmp(s, "change") == 0)
		return AG_D_CHANGE;
	if (strcmp(s, "remove") == 0)
		return AG_D_REMOVE;
	return -1;
}

int ag_parse_deltas(const char *text, size_t len, struct ag_deltas *d,
		    char *err, size_t errlen)
{
	json_t *root = load(text, len, err, errlen), *list, *v;
	size_t i;
	int rc = -1;
	if (!root)
		return -1;
	list = json_object_get(root, "deltas");
	if (get_version(root, &d->version) != 0 || !json_is_array(list)) {
		seterr(err, errlen, "deltas answer lacks version or deltas%s",
		     NULL);
		goto out;
	}
	d->n = 0;
	json_array_foreach(list, i, v) {
		struct ag_delta_item *it;
		const char *op = json_string_value(json_object_get(v, "op"));
		d->v = grow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
		it = &d->v[d->n];
		int o = delta_op(op);
		if (o < 0) {
			seterr(err, errlen, "bad delta op '%s'", op);
			goto out;
		}
		it->op = (uint8_t)o;
		if (get_version(v, &it->version) != 0)
			it->version = d->version;
		if (ag_entry_from_json(json_object_get(v, "route"), &it->e, err,
				       errlen) != 0)
			goto out;
		d->n++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

uint64_t ag_parse_version(const char *text, size_t len)
{
	uint64_t v = 0;
	json_t *root = json_loadb(text, len, 0, NULL);
	if (root && get_version(root, &v) != 0)
		v = 0;
	json_decref(root);
	return v;
}

/* ------------------------------------------------------------- deltas */

static bool same_key(const struct ag_entry *a, const struct ag_entry *b)
{
	return a->source == b->source && a->nh_type == b->nh_type &&
	       prefix_eq(&a->pfx, &b->pfx);
}

static bool same_entry(const struct ag_entry *a, const struct ag_entry *b)
{
	return same_key(a, b) && a->active == b->active && a->n_nh == b->n_nh &&
	       memcmp(a->nh, b->nh, a->n_nh * sizeof(a->nh[0])) == 0;
}

/* Entries are kept sorted by prefix, so a delta item finds its key by a
 * binary search and a scan of the few entries on that prefix. */
static size_t entry_lower(const struct ag_entries *t, const struct prefix *p)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (prefix_cmp(&t->v[mid].pfx, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry with e's key; for a remove, prefer an identical one. */
static ssize_t entry_find(const struct ag_entries *t, const struct ag_entry *e,
			  bool exact)
{
	ssize_t first = -1;
	for (size_t i = entry_lower(t, &e->pfx);
	     i < t->n && prefix_eq(&t->v[i].pfx, &e->pfx); i++) {
		if (!same_key(&t->v[i], e))
			continue;
		if (!exact || same_entry(&t->v[i], e))
			return (ssize_t)i;
		if (first < 0)
			first = (ssize_t)i;
	}
	return first;
}

static void entry_insert(struct ag_entries *t, const struct ag_entry *e)
{
	size_t k = entry_lower(t, &e->pfx);
	while (k < t->n && prefix_eq(&t->v[k].pfx, &e->pfx))
		k++; /* after the entries already on the prefix */
	t->v = grow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	memmove(&t->v[k + 1], &t->v[k], (t->n - k) * sizeof(*t->v));
	t->v[k] = *e;
	t->n++;
}

static int entry_qcmp(const void *a, const void *b)
{
	const struct ag_entry *x = a, *y = b;
	return prefix_cmp(&x->pfx, &y->pfx);
}

/* Apply items to t one by one (a memmove per insert or remove). */
static void apply_items(struct ag_entries *t, const struct ag_delta_item *const *v,
			size_t n, size_t *misses)
{
	for (size_t i = 0; i < n; i++) {
		const struct ag_delta_item *it = v[i];
		ssize_t k = it->op == AG_D_ADD ? -1
						: entry_find(t, &it->e,
							     it->op == AG_D_REMOVE);
		if (it->op != AG_D_ADD && k < 0) {
			if (misses)
				(*misses)++;
			if (it->op == AG_D_REMOVE)
				continue;
		}
		if (it->op == AG_D_REMOVE) {
			memmove(&t->v[k], &t->v[k + 1],
				(t->n - (size_t)k - 1) * sizeof(*t->v));
			t->n--;
		} else if (k >= 0) {
			t->v[k] = it->e;
		} else {
			entry_insert(t, &it->e);
		}
	}
}

static int item_ptr_cmp(const void *a, const void *b)
{
	const struct ag_delta_item *x = *(const struct ag_delta_item *const *)a;
	const struct ag_delta_item *y = *(const struct ag_delta_item *const *)b;
	int c = prefix_cmp(&x->e.pfx, &y->e.pfx);
	return c ? c : (x < y ? -1 : x > y); /* stable: keep delta order */
}

/* Many items: items only touch entries of their own prefix, so sort
 * them by prefix (keeping their order within one) and merge them with
 * the table in one pass: O((n + m) log m) instead of a memmove each. */
static void apply_merge(struct ag_entries *t, const struct ag_deltas *d,
			size_t *misses)
{
	const struct ag_delta_item **idx = calloc(d->n, sizeof(*idx));
	struct ag_entries out = { 0 }, grp = { 0 };
	size_t ti = 0;
	if (!idx)
		abort();
	for (size_t i = 0; i < d->n; i++)
		idx[i] = &d->v[i];
	qsort(idx, d->n, sizeof(*idx), item_ptr_cmp);
	out.v = grow(NULL, &out.cap, t->n + d->n, sizeof(*out.v));
	for (size_t i = 0; i < d->n;) {
		const struct prefix *p = &idx[i]->e.pfx;
		size_t j = i;
		while (j < d->n && prefix_eq(&idx[j]->e.pfx, p))
			j++;
		while (ti < t->n && prefix_cmp(&t->v[ti].pfx, p) < 0)
			out.v[out.n++] = t->v[ti++];
		grp.n = 0;
		while (ti < t->n && prefix_eq(&t->v[ti].pfx, p)) {
			grp.v = grow(grp.v, &grp.cap, grp.n + 1, sizeof(*grp.v));
			grp.v[grp.n++] = t->v[ti++];
		}
		apply_items(&grp, idx + i, j - i, misses);
		out.v = grow(out.v, &out.cap, out.n + grp.n + (t->n - ti),
			     sizeof(*out.v));
		memcpy(out.v + out.n, grp.v, grp.n * sizeof(*grp.v));
		out.n += grp.n;
		i = j;
	}
	while (ti < t->n)
		out.v[out.n++] = t->v[ti++];
	free(idx);
	free(grp.v);
	free(t->v);
	*t = out;
}

void ag_entries_apply(struct ag_entries *t, const struct ag_deltas *d,
		      size_t *misses)
{
	if (d->n >= 64) {
		apply_merge(t, d, misses);
		return;
	}
	const struct ag_delta_item *v[64];
	for (size_t i = 0; i < d->n; i++)
		v[i] = &d->v[i];
	apply_items(t, v, d->n, misses);
}

/* ------------------------------------------------------------- sets */

void ag_rset_add(struct ag_rset *s, const struct ag_route *r)
{
	s->v = grow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *r;
}

static int route_qcmp(const void *a, const void *b)
{
	const struct ag_route *x = a, *y = b;
	int c = prefix_cmp(&x->pfx, &y->pfx);
	if (c)
		return c;
	return x->metric < y->metric ? -1 : x->metric > y->metric;
}

void ag_rset_sort(struct ag_rset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), route_qcmp);
}

/* Index of the first route with prefix >= p. */
static size_t rset_lower(const struct ag_rset *s, const struct prefix *p)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (prefix_cmp(&s->v[mid].pfx, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ag_route *ag_rset_find(const struct ag_rset *s,
				    const struct prefix *p)
{
	size_t i = rset_lower(s, p);
	return i < s->n && prefix_eq(&s->v[i].pfx, p) ? &s->v[i] : NULL;
}

bool ag_route_same(const struct ag_route *a, const struct ag_route *b)
{
	if (a->kind != b->kind || !prefix_eq(&a->pfx, &b->pfx))
		return false;
	if (a->kind != AG_GATEWAY)
		return true;
	return a->n_nh == b->n_nh &&
	       memcmp(a->nh, b->nh, a->n_nh * sizeof(a->nh[0])) == 0;
}

char *ag_route_fmt(const struct ag_route *r, char *buf, size_t len)
{
	char p[PREFIX_STRLEN], a[ADDR_STRLEN];
	size_t o;
	prefix_fmt(&r->pfx, p, sizeof(p));
	if (r->kind != AG_GATEWAY) {
		snprintf(buf, len, "%s %s", p,
			 r->kind == AG_BLACKHOLE ? "blackhole" : "other");
		return buf;
	}
	o = (size_t)snprintf(buf, len, "%s via ", p);
	for (size_t i = 0; i < r->n_nh && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      addr_fmt(&r->nh[i], a, sizeof(a)));
	return buf;
}

/* ---------------------------------------------------- desired, union */

static bool installable(const struct ag_entry *e, struct ag_route *r)
{
	if (!e->active)
		return false;
	memset(r, 0, sizeof(*r));
	r->pfx = e->pfx;
	switch (e->nh_type) {
	case AG_NH_NONE:
		r->kind = AG_BLACKHOLE;
		return true;
	case AG_NH_VIRTUAL_APPLIANCE:
	case AG_NH_VNET_GATEWAY:
		if (e->n_nh == 0)
			return false;
		r->kind = AG_GATEWAY;
		r->n_nh = e->n_nh;
		memcpy(r->nh, e->nh, e->n_nh * sizeof(e->nh[0]));
		return true;
	default: /* VnetLocal, VNetPeering, Internet: the host's own */
		return false;
	}
}

static int entry_ptr_cmp(const void *a, const void *b)
{
	const struct ag_entry *x = *(const struct ag_entry *const *)a;
	const struct ag_entry *y = *(const struct ag_entry *const *)b;
	int c = prefix_cmp(&x->pfx, &y->pfx);
	if (c)
		return c;
	if (x->active != y->active)
		return x->active ? -1 : 1;
	return (int)x->source - (int)y->source;
}

void ag_desired(const struct ag_entries *t, struct ag_rset *out)
{
	const struct ag_entry **idx = calloc(t->n ? t->n : 1, sizeof(*idx));
	if (!idx)
		abort();
	for (size_t i = 0; i < t->n; i++)
		idx[i] = &t->v[i];
	qsort(idx, t->n, sizeof(*idx), entry_ptr_cmp);
	out->n = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct ag_route r;
		/* the winner of a prefix sorts first: Active, then by source */
		if (i > 0 && prefix_eq(&idx[i]->pfx, &idx[i - 1]->pfx))
			continue;
		if (installable(idx[i], &r))
			ag_rset_add(out, &r);
	}
	free(idx);
}

void ag_union(const struct ag_rset *const *sets, size_t n,
	      struct ag_rset *out)
{
	out->n = 0;
	for (size_t s = 0; s < n; s++) {
		if (!sets[s])
			continue;
		size_t before = out->n;
		for (size_t i = 0; i < sets[s]->n; i++) {
			const struct ag_route *r = &sets[s]->v[i];
			/* out[0..before) is sorted: earlier sets win */
			struct ag_rset head = { out->v, before, before };
			if (!ag_rset_find(&head, &r->pfx))
				ag_rset_add(out, r);
		}
		ag_rset_sort(out);
	}
}

/* ---------------------------------------------------------------- diff */

static void op_add(struct ag_ops *o, uint8_t op, const struct ag_route *r)
{
	o->v = grow(o->v, &o->cap, o->n + 1, sizeof(*o->v));
	o->v[o->n].op = op;
	o->v[o->n++].r = *r;
	if (op == AG_OP_ADD)
		o->adds++;
	else if (op == AG_OP_REPLACE)
		o->replaces++;
	else if (op == AG_OP_DEL)
		o->dels++;
	else
		o->conflicts++;
}

/* Kernel routes on the desired prefix: ours with our metric, and whether a
 * foreign route holds the same (prefix, metric) key. */
static void kernel_at(const struct ag_rset *k, const struct prefix *p,
		      uint8_t proto, uint32_t metric,
		      const struct ag_route **ours, bool *foreign)
{
	*ours = NULL;
	*foreign = false;
	for (size_t i = rset_lower(k, p);
	     i < k->n && prefix_eq(&k->v[i].pfx, p); i++) {
		if (k->v[i].metric != metric)
			continue;
		if (k->v[i].proto == proto)
			*ours = &k->v[i];
		else
			*foreign = true;
	}
}

uint32_t ag_metric(uint8_t afi, uint32_t metric)
{
	return afi == AFI_IPV6 && metric == 0 ? 1024 : metric;
}

void ag_diff(const struct ag_rset *desired, const struct ag_rset *kernel,
	     uint8_t proto, uint32_t metric, struct ag_ops *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < kernel->n; i++) {
		const struct ag_route *k = &kernel->v[i];
		if (k->proto != proto)
			continue;
		if (k->metric != ag_metric(k->pfx.afi, metric) ||
		    !ag_rset_find(desired, &k->pfx))
			op_add(out, AG_OP_DEL, k);
	}
	for (size_t i = 0; i < desired->n; i++) {
		const struct ag_route *d = &desired->v[i], *ours;
		bool foreign;
		kernel_at(kernel, &d->pfx, proto, ag_metric(d->pfx.afi, metric),
			  &ours, &foreign);
		if (ours && !ag_route_same(ours, d))
			op_add(out, AG_OP_REPLACE, d);
		else if (!ours && foreign)
			op_add(out, AG_OP_CONFLICT, d);
		else if (!ours)
			op_add(out, AG_OP_ADD, d);
	}
}
