/*
 * whatif.c - what a change would do, computed on a copy (DESIGN 4.1
 * `pharosctl whatif`): peer-down NAME (its routes gone), config TEXT (a
 * new configuration: its fabric, and the routes of peers it removes or
 * disables gone) and route-table TEXT (route tables replaced). Neither
 * sessions, the RIB, the live fabric nor the agents are touched: two
 * fabrics are built from the configuration (the one in force and the
 * hypothetical one), each fed the loc-RIB as the fabric glue feeds it,
 * the hypothetical one without the excluded peers' paths (the ECMP set
 * re-decided by rib_path_cmp, the decision process itself), and their
 * effective routes are compared subnet by subnet (fab_whatif.c).
 */
#include "daemon/assure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "fabric/fab_assure.h"
#include "fabric/fabric.h"
#include "session/peer.h"

#define WHATIF_MAX_LIST 1000 /* loc-RIB changes listed (the rest counted) */

struct hypo {
	struct daemon *d;
	const bool *gone; /* by RIB peer index */
	size_t n_gone;
	int only; /* >= 0: feed only the prefixes of this peer (peer-down) */
	struct fabric *f, *now;
	json_t *changes, *lost;
	size_t n_changes, n_lost;
};

static bool excluded(const struct hypo *h, uint32_t peer)
{
	return peer < h->n_gone && h->gone[peer];
}

/* Hypothetical flags of each path of e: bit 0 best, bit 1 ECMP. Returns
 * the number of next hops written to nh. */
static size_t decide(const struct hypo *h, const struct rentry *e,
		     uint8_t *flags, struct addr *nh, size_t max)
{
	const struct rpath *best = NULL;
	unsigned width = h->d->conf->rs.max_paths ? h->d->conf->rs.max_paths : 8;
	size_t n = 0, i = 0;

	for (const struct rpath *p = e->paths; p; p = p->next, i++) {
		flags[i] = 0;
		if (excluded(h, p->peer))
			continue;
		if (!best) {
			best = p;
			flags[i] = RPATH_BEST | RPATH_ECMP;
		} else if (n < width && rib_path_cmp(h->d->rib, best, p, NULL) == 0)
			flags[i] = RPATH_ECMP;
		if (flags[i] && n < max && p->attr && p->attr->next_hop.afi)
			nh[n++] = p->attr->next_hop;
	}
	return n;
}

/* The route as GET /api/v1/routes shows it, before and after. */
static void note_change(struct hypo *h, const struct rentry *e,
			const uint8_t *flags, size_t n_after)
{
	char p[PREFIX_STRLEN], err[64];
	json_t *r, *before, *after, *paths;
	size_t i = 0, k = 0;

	prefix_fmt(&e->prefix, p, sizeof(p));
	if (!n_after) {
		h->n_lost++;
		if (json_array_size(h->lost) < WHATIF_MAX_LIST)
			json_array_append_new(h->lost, json_string(p));
	}
	if (h->n_changes++ >= WHATIF_MAX_LIST)
		return;
	r = api_routes_json(&h->d->apih, p, NULL, NULL, 1, err, sizeof(err));
	before = json_incref(json_array_get(json_object_get(r, "routes"), 0));
	json_decref(r);
	if (!before)
		return;
	after = json_deep_copy(before);
	paths = json_object_get(after, "paths");
	for (const struct rpath *rp = e->paths; rp; rp = rp->next, i++) {
		json_t *pj = json_array_get(paths, k);
		if (excluded(h, rp->peer)) {
			json_array_remove(paths, k);
			continue;
		}
		json_object_set_new(pj, "best", json_boolean(flags[i] & RPATH_BEST));
		json_object_set_new(pj, "ecmp", json_boolean(flags[i] & RPATH_ECMP));
		if (flags[i])
			json_object_del(pj, "reason");
		k++;
	}
	json_object_set_new(after, "ecmp_paths", json_integer((json_int_t)n_after));
	json_array_append_new(h->changes, json_pack("{s:s, s:o, s:o}", "prefix", p,
		"before", before, "after", n_after ? after : json_null()));
	if (!n_after)
		json_decref(after);
}

static int feed_hypo(const struct rentry *e, struct hypo *h);

static int feed_one(const struct rentry *e, void *arg)
{
	struct hypo *h = arg;

	if (h->now) /* the fabric in force, for the same prefixes */
		fab_rib_change(e, 0, h->now);
	return feed_hypo(e, h);
}

/* The same for a walk of one peer's routes. */
static int feed_peer(const struct rentry *e, const struct rpath *p, void *arg)
{
	return feed_one(e, arg);
}

static int feed_hypo(const struct rentry *e, struct hypo *h)
{
	uint8_t flags[1024];
	struct addr nh[64];
	bool touched = false;
	size_t n = 0;

	for (const struct rpath *p = e->paths; p && !touched; p = p->next)
		touched = excluded(h, p->peer);
	if (!touched || e->n_paths > 1024) {
		fab_rib_change(e, 0, h->f);
		return 0;
	}
	n = decide(h, e, flags, nh, 64);
	fab_change_route(h->f, &e->prefix, nh, n);
	note_change(h, e, flags, n);
	return 0;
}

/* Build a fabric from cf fed the loc-RIB without the peers in gone.
 * A peer-down changes only the prefixes that peer has a path to, and an
 * effective route depends only on what lies at its own prefix: then both
 * fabrics (the one in force too, h->now) are fed those prefixes alone,
 * so the cost follows the peer's routes, not the whole table. */
static struct fabric *hypothetical(struct hypo *h, const struct conf_fabric *cf,
				   char *err, size_t len)
{
	h->f = fab_new(cf, 1, err, len);
	if (!h->f)
		return NULL;
	fab_change_begin(h->f);
	if (h->only >= 0) {
		fab_change_begin(h->now);
		rib_walk_peer(h->d->rib, (uint32_t)h->only, feed_peer, h);
		fab_change_commit(h->now);
	} else {
		rib_walk(h->d->rib, 0, feed_one, h);
	}
	fab_change_commit(h->f);
	return h->f;
}

static json_t *fail(int *status, int code, const char *msg)
{
	*status = code;
	return json_pack("{s:s}", "error", msg);
}

/* Compare the fabric of cf (the loc-RIB without gone's peers) with the
 * one in force. */
static json_t *compare(struct daemon *d, const struct conf_fabric *cf,
		       const bool *gone, size_t n_gone, int only, int *status)
{
	struct hypo h = {.d = d, .gone = gone, .n_gone = n_gone, .only = only};
	struct fabric *now;
	char err[300];
	size_t same = 0;
	json_t *subnets;

	h.changes = json_array();
	h.lost = json_array();
	now = fab_new(&d->conf->fabric, 1, err, sizeof(err));
	if (now && only < 0)
		fab_load_rib(now, d->rib);
	h.now = only >= 0 ? now : NULL;
	if (!now || !hypothetical(&h, cf, err, sizeof(err))) {
		fab_free(now);
		json_decref(h.changes);
		json_decref(h.lost);
		return fail(status, now ? 400 : 500, err);
	}
	subnets = fab_whatif_diff(now, h.f, &same);
	fab_free(now);
	fab_free(h.f);
	*status = 200;
	return json_pack("{s:o, s:I, s:o, s:I, s:o, s:I}", "subnets", subnets,
			 "subnets_unchanged", (json_int_t)same, "routes", h.changes,
			 "routes_changed", (json_int_t)h.n_changes,
			 "lost_last_path", h.lost, "lost_last_path_count",
			 (json_int_t)h.n_lost);
}

static json_t *peer_down(struct daemon *d, const char *name, int *status)
{
	struct peer *p = name ? session_peer_by_name(&d->sess, name) : NULL;
	bool *gone;
	json_t *o;

	if (!p) {
		char msg[200];
		snprintf(msg, sizeof(msg), "no such peer: %s", name ? name : "(none)");
		return fail(status, name ? 404 : 400, msg);
	}
	gone = calloc(p->rib_id + 1, sizeof(*gone));
	if (!gone)
		return fail(status, 500, "out of memory");
	gone[p->rib_id] = true;
	o = compare(d, &d->conf->fabric, gone, p->rib_id + 1, (int)p->rib_id,
		    status);
	free(gone);
	return o;
}

/* Load text as a configuration; NULL with the messages as the reply. */
static struct conf *load(const char *name, const char *text, json_t **reply,
			 int *status)
{
	char *msgs = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&msgs, &len);
	struct conf *c;

	if (!errs) {
		*reply = fail(status, 500, "out of memory");
		return NULL;
	}
	c = conf_load_text_only(name, text, errs);
	fclose(errs);
	if (!c)
		*reply = fail(status, 400, msgs && *msgs ? msgs : "bad configuration");
	free(msgs);
	return c;
}

/* A new configuration: its fabric; peers it drops or disables lose
 * their routes. Import policy changes are not re-applied. */
static json_t *new_config(struct daemon *d, const char *text, int *status)
{
	json_t *o = NULL;
	struct conf *nc = load("whatif-config", text, &o, status);
	size_t n = 0;
	bool *gone;

	if (!nc)
		return o;
	for (unsigned i = 0; i < d->sess.n_peers; i++)
		if (d->sess.peers[i]->rib_id + 1 > n)
			n = d->sess.peers[i]->rib_id + 1;
	gone = calloc(n + 1, sizeof(*gone));
	for (unsigned i = 0; gone && i < d->sess.n_peers; i++) {
		const struct peer *p = d->sess.peers[i];
		const struct conf_peer *np = conf_find_peer(nc, p->cf->name);
		gone[p->rib_id] = !np || np->disabled ||
				  !addr_eq(&np->address, &p->cf->address);
	}
	o = gone ? compare(d, &nc->fabric, gone, n, -1, status)
		 : fail(status, 500, "out of memory");
	if (o && *status == 200)
		json_object_set_new(o, "kind", json_string("config"));
	free(gone);
	conf_free(nc);
	return o;
}

/* Route tables: the text is the fabric's route_tables mapping (or a
 * file with a top-level route_tables key). Tables of the same name
 * replace those in force, others are added. */
static json_t *route_tables(struct daemon *d, const char *text, int *status)
{
	const char *t = text;
	bool top;
	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	json_t *o = NULL;
	struct conf *nc;

	if (!f)
		return fail(status, 500, "out of memory");
	while (*t == '#' || *t == '\n' || *t == ' ') /* comments, blank lines */
		t = *t == '#' ? t + strcspn(t, "\n") : t + 1;
	top = !strncmp(t, "route_tables:", 13);
	fprintf(f, "route_server: {router_id: 198.18.0.1}\nfabric:\n%s", top ? "" : "  route_tables:\n");
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		fprintf(f, "%s%.*s\n", top ? "  " : "    ", (int)n, l);
		l += n + (l[n] == '\n');
	}
	fclose(f);
	nc = load("whatif-route-table", yaml, &o, status);
	free(yaml);
	if (!nc)
		return o;
	struct conf_fabric cf = d->conf->fabric;
	const struct conf_fabric *nf = &nc->fabric;
	struct conf_route_table *rts = calloc(cf.n_route_tables + nf->n_route_tables + 1,
					      sizeof(*rts));
	if (!rts) {
		conf_free(nc);
		return fail(status, 500, "out of memory");
	}
	unsigned n = 0;
	for (unsigned i = 0; i < cf.n_route_tables; i++) {
		rts[n] = cf.route_tables[i];
		for (unsigned j = 0; j < nf->n_route_tables; j++)
			if (!strcmp(nf->route_tables[j].name, rts[n].name))
				rts[n] = nf->route_tables[j];
		n++;
	}
	for (unsigned j = 0; j < nf->n_route_tables; j++) {
		bool known = false;
		for (unsigned i = 0; i < cf.n_route_tables && !known; i++)
			known = !strcmp(cf.route_tables[i].name, nf->route_tables[j].name);
		if (!known)
			rts[n++] = nf->route_tables[j];
	}
	cf.route_tables = rts;
	cf.n_route_tables = n;
	o = compare(d, &cf, NULL, 0, -1, status);
	free(rts);
	conf_free(nc);
	return o;
}

json_t *assure_whatif(struct daemon *d, json_t *req, int *status)
{
	const char *kind = json_string_value(json_object_get(req, "kind"));
	json_t *o;

	if (!kind)
		return fail(status, 400, "kind must be peer-down, config or route-table");
	if (!strcmp(kind, "peer-down"))
		o = peer_down(d, json_string_value(json_object_get(req, "peer")),
			      status);
	else if (!strcmp(kind, "config") || !strcmp(kind, "route-table")) {
		const char *key = kind[0] == 'c' ? "config" : "route_tables";
		const char *text = json_string_value(json_object_get(req, key));
		if (!text) {
			char msg[100];
			snprintf(msg, sizeof(msg), "%s needs \"%s\": the file's text",
				 kind, key);
			return fail(status, 400, msg);
		}
		o = kind[0] == 'c' ? new_config(d, text, status)
				   : route_tables(d, text, status);
	} else
		return fail(status, 400, "kind must be peer-down, config or route-table");
	if (*status == 200) {
		json_object_set_new(o, "kind", json_string(kind));
		if (json_object_get(req, "peer"))
			json_object_set(o, "peer", json_object_get(req, "peer"));
	}
	return o;
}
