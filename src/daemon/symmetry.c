/*
 * symmetry.c - does a flow come back through the stateful appliances it
 * went out through? (DESIGN 4.1 `pharosctl check symmetry`.)
 *
 * The forward path is the fabric's trace from the source NIC; the return
 * path is the trace from the NIC the forward path delivered to, back to
 * the source's address. A next hop is stateful when fabric.stateful
 * lists it, when it is the address of a peer with `stateful: true`, or
 * when a stateful peer announced it as the next hop of the route used at
 * that hop. When a path leaves the region, the reply says where it
 * continues (next_region, exit_ip) and `complete` is false: pharosctl
 * follows it through the other regions' APIs (one_way=1 asks a region
 * for one direction only) and gives the verdict with the same rule
 * (fab_symmetry_verdict). all=1 checks every pair of this region's
 * subnets that hold VMs (one VM each, firewalls left out).
 */
#include "daemon/assure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "fabric/fab_assure.h"
#include "fabric/fabric.h"
#include "fabric/live.h"
#include "session/peer.h"

#define MAX_STATEFUL_NH 256

/* What is stateful, gathered once per request: fabric.stateful, the
 * stateful peers' addresses and the next hops of their routes. */
struct stateful {
	struct daemon *d;
	size_t n;
	struct addr ip[MAX_STATEFUL_NH];
	bool sticky[MAX_STATEFUL_NH];
};

static void add(struct stateful *st, const struct addr *ip, bool sticky)
{
	for (size_t i = 0; i < st->n; i++)
		if (addr_eq(&st->ip[i], ip)) {
			st->sticky[i] = st->sticky[i] && sticky;
			return;
		}
	if (st->n < MAX_STATEFUL_NH) {
		st->ip[st->n] = *ip;
		st->sticky[st->n++] = sticky;
	}
}

struct nh_walk {
	struct stateful *st;
	bool sticky;
};

static int nh_cb(const struct rentry *e, const struct rpath *p, void *arg)
{
	struct nh_walk *w = arg;

	if (p->attr && p->attr->next_hop.afi)
		add(w->st, &p->attr->next_hop, w->sticky);
	return w->st->n >= MAX_STATEFUL_NH;
}

static void stateful_init(struct stateful *st, struct daemon *d)
{
	const struct conf_fabric *cf = &d->conf->fabric;

	st->d = d;
	st->n = 0;
	for (unsigned i = 0; i < cf->n_stateful; i++)
		add(st, &cf->stateful[i].ip, cf->stateful[i].sticky);
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		const struct peer *p = d->sess.peers[i];
		struct nh_walk w = {.st = st, .sticky = p->cf->sticky};
		if (!p->cf->stateful)
			continue;
		add(st, &p->cf->address, p->cf->sticky);
		rib_walk_peer(d->rib, p->rib_id, nh_cb, &w);
	}
}

static bool is_stateful(void *arg, const struct fab_hop *h,
			const struct addr *ip, bool *sticky)
{
	const struct stateful *st = arg;

	for (size_t i = 0; i < st->n; i++)
		if (addr_eq(&st->ip[i], ip)) {
			*sticky = st->sticky[i];
			return true;
		}
	*sticky = false;
	return false;
}

static const char *region_of(const struct conf_fabric *cf)
{
	for (unsigned i = 0; i < cf->n_vnets; i++)
		if (cf->vnets[i].hub && cf->vnets[i].region)
			return cf->vnets[i].region;
	return NULL;
}

/* One direction: the trace (as GET /api/v1/fabric/trace shows it) with
 * its stateful crossings. */
static json_t *one_way(struct stateful *st, struct fabric *f, uint32_t nic,
		       const struct addr *dst, struct fab_trace *t,
		       struct fab_sym_side *side)
{
	const char *reg = region_of(&st->d->conf->fabric);
	char ip[ADDR_STRLEN];
	json_t *o;

	fab_trace(f, nic, dst, t);
	fab_trace_crossings(t, is_stateful, st, side);
	o = fab_trace_json(t);
	json_object_set_new(o, "nic", json_string(fab_nic_name(f, nic)));
	json_object_set_new(o, "dst", json_string(addr_fmt(dst, ip, sizeof(ip))));
	json_object_set_new(o, "region", reg ? json_string(reg) : json_null());
	json_object_set_new(o, "version", json_integer((json_int_t)fab_version(f)));
	json_object_set_new(o, "stateful", fab_crossings_json(side));
	return o;
}

static json_t *fail(int *status, int code, const char *msg)
{
	*status = code;
	return json_pack("{s:s}", "error", msg);
}

/* Both directions from NIC src to dst; NULL only without memory. */
static json_t *both_ways(struct stateful *d, struct fabric *f, uint32_t src,
			 const struct addr *dst)
{
	struct fab_trace *t = malloc(sizeof(*t));
	struct fab_sym_side *fw = calloc(1, sizeof(*fw)), *rw = calloc(1, sizeof(*rw));
	json_t *o = NULL, *fwd, *ret = json_null();
	char reason[600] = "";
	int v = -1;

	if (!t || !fw || !rw)
		goto out;
	fwd = one_way(d, f, src, dst, t, fw);
	if (t->result == FAB_DELIVERED && t->n_hops && t->hops[t->n_hops - 1].at) {
		int back = fab_nic_find(f, t->hops[t->n_hops - 1].at);
		const struct addr *sip = &t->hops[0].ip;
		struct addr s = *sip;
		ret = one_way(d, f, (uint32_t)back, &s, t, rw);
		if (t->result == FAB_DELIVERED)
			v = fab_symmetry_verdict(fw, rw, reason, sizeof(reason));
		else if (t->result != FAB_LEFT_REGION)
			snprintf(reason, sizeof(reason), "the return path does "
				 "not come back: %s", t->reason);
	} else if (t->result != FAB_LEFT_REGION)
		snprintf(reason, sizeof(reason), "the forward path does not "
			 "reach the destination: %s", t->reason);
	if (v < 0 && !reason[0])
		snprintf(reason, sizeof(reason), "the path leaves the region: "
			 "follow it at the next region's route server "
			 "(pharosctl check symmetry does)");
	o = json_pack("{s:o, s:o, s:b, s:o, s:s}", "forward", fwd, "return", ret,
		      "complete", v >= 0, "verdict",
		      v >= 0 ? json_string(fab_verdict_name(v)) : json_null(),
		      "reason", reason);
out:
	free(t);
	free(fw);
	free(rw);
	return o;
}

/* One pair of all=1: {"from","to","dst","verdict","reason","complete"}. */
static void add_pair(struct stateful *d, struct fabric *f, uint32_t a,
		     uint32_t b, json_t *pairs, unsigned *count)
{
	struct addr dip = *fab_nic_addr(f, b);
	char ip[ADDR_STRLEN];
	json_t *o = both_ways(d, f, a, &dip);
	const char *v;

	if (!o)
		return;
	v = json_string_value(json_object_get(o, "verdict"));
	count[!v ? 3 : !strcmp(v, "symmetric") ? 0 : !strcmp(v, "at_risk") ? 1 : 2]++;
	json_array_append_new(pairs, json_pack(
		"{s:s, s:s, s:s, s:O, s:O, s:O}", "from", fab_nic_name(f, a),
		"to", fab_nic_name(f, b), "dst", addr_fmt(&dip, ip, sizeof(ip)),
		"verdict", json_object_get(o, "verdict"), "reason",
		json_object_get(o, "reason"), "complete",
		json_object_get(o, "complete")));
	json_decref(o);
}

/* Every pair of subnets holding a VM: the first NIC of each that is not
 * a stateful appliance itself. */
static json_t *all_pairs(struct stateful *d, struct fabric *f)
{
	size_t ns = fab_n_subnets(f), nn = fab_n_nics(f);
	int *vm = malloc((ns ? ns : 1) * sizeof(*vm));
	unsigned count[4] = {0};
	json_t *pairs = json_array();
	struct fab_hop none = {0};
	bool st;

	if (!vm)
		return NULL;
	for (size_t s = 0; s < ns; s++)
		vm[s] = -1;
	for (size_t n = 0; n < nn; n++) {
		uint32_t s = fab_nic_subnet(f, (uint32_t)n);
		if (vm[s] < 0 && !is_stateful(d, &none, fab_nic_addr(f, (uint32_t)n), &st))
			vm[s] = (int)n;
	}
	for (size_t a = 0; a < ns; a++)
		for (size_t b = a + 1; b < ns; b++)
			if (vm[a] >= 0 && vm[b] >= 0)
				add_pair(d, f, (uint32_t)vm[a], (uint32_t)vm[b],
					 pairs, count);
	free(vm);
	return json_pack("{s:o, s:{s:I, s:i, s:i, s:i, s:i}}", "pairs", pairs,
			 "summary", "pairs", (json_int_t)json_array_size(pairs),
			 "symmetric", count[0], "at_risk", count[1],
			 "asymmetric", count[2], "incomplete", count[3]);
}

/* The NIC a query starts at, or -1 with the reply in *o. */
static int start_nic(struct fabric *f, json_t *q, struct addr *da, json_t **o,
		     int *status)
{
	const char *nic = json_string_value(json_object_get(q, "nic"));
	const char *from = json_string_value(json_object_get(q, "from_ip"));
	const char *dst = json_string_value(json_object_get(q, "dst"));
	struct addr fa;
	char msg[300];
	int ni;

	if (!dst || addr_parse(dst, da) < 0) {
		*o = fail(status, 400, "dst: not an IP address");
		return -1;
	}
	if (from && addr_parse(from, &fa) < 0) {
		*o = fail(status, 400, "from_ip: not an IP address");
		return -1;
	}
	ni = nic ? fab_nic_find(f, nic) : from ? fab_nic_by_ip(f, &fa) : -1;
	if (ni < 0) {
		snprintf(msg, sizeof(msg), nic ? "no such NIC: %s"
				: "no NIC has the address %s", nic ? nic : from ? from : "");
		*o = fail(status, 404, msg);
	}
	return ni;
}

json_t *assure_symmetry(struct daemon *d, json_t *q, int *status)
{
	struct fabric *f = fabric_live_fabric(d->fglue);
	bool all = json_is_true(json_object_get(q, "all"));
	struct stateful *st;
	struct addr da;
	json_t *o = NULL;
	int ni = 0;

	if (!f || !fab_n_nics(f))
		return fail(status, 404, "no fabric with NICs is configured");
	if (!all && (ni = start_nic(f, q, &da, &o, status)) < 0)
		return o;
	if (!(st = malloc(sizeof(*st))))
		return fail(status, 500, "out of memory");
	stateful_init(st, d);
	*status = 200;
	if (all)
		o = all_pairs(st, f);
	else if (json_is_true(json_object_get(q, "one_way"))) {
		struct fab_trace *t = malloc(sizeof(*t));
		struct fab_sym_side *s = calloc(1, sizeof(*s));
		o = t && s ? json_pack("{s:o}", "forward",
				      one_way(st, f, (uint32_t)ni, &da, t, s)) : NULL;
		free(t);
		free(s);
	} else
		o = both_ways(st, f, (uint32_t)ni, &da);
	free(st);
	return o ? o : fail(status, 500, "out of memory");
}
