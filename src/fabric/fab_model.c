/*
 * fab_model.c - the fabric topology built from the configuration.
 *
 * Resolves every name once (VNets, subnets, NICs, route tables, peerings)
 * into indexes, decides which VNets receive this route server's routes,
 * and builds each subnet's static routes (system routes and UDRs, with
 * their precedence among themselves already resolved). Everything here is
 * fixed for the life of a struct fabric; a reload builds a new one.
 */
#include "fabric/fab_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(struct fabric *f, size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	f->bytes += n * sz;
	return p;
}

static char *xstrdup(struct fabric *f, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	f->bytes += strlen(d) + 1;
	return d;
}

uint8_t fab_cover_reason(const struct fvnet *v, const struct prefix *p)
{
	for (uint32_t i = 0; i < v->n_cover; i++)
		if (prefix_contains(&v->cover[i], p))
			return i < v->n_space ? FAB_R_BGP_IN_VNET
					      : FAB_R_BGP_IN_PEER;
	return FAB_R_NONE;
}

/* ------------------------------------------------------ name indexes */

static int cmp_vnet_name(const void *a, const void *b, void *arg)
{
	const struct fabric *f = arg;
	return strcmp(f->vnets[*(const uint32_t *)a].name,
		      f->vnets[*(const uint32_t *)b].name);
}

static int cmp_subnet_name(const void *a, const void *b, void *arg)
{
	const struct fabric *f = arg;
	return strcmp(f->subnets[*(const uint32_t *)a].name,
		      f->subnets[*(const uint32_t *)b].name);
}

static int cmp_nic_name(const void *a, const void *b, void *arg)
{
	const struct fabric *f = arg;
	return strcmp(f->nics[*(const uint32_t *)a].name,
		      f->nics[*(const uint32_t *)b].name);
}

static int cmp_nic_ip(const void *a, const void *b, void *arg)
{
	const struct fabric *f = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = addr_cmp(&f->nics[x].ip, &f->nics[y].ip);
	return c ? c : (x < y ? -1 : x > y);
}

static uint32_t *make_index(struct fabric *f, size_t n,
			    int (*cmp)(const void *, const void *, void *))
{
	uint32_t *ix = xcalloc(f, n, sizeof(*ix));
	for (size_t i = 0; i < n; i++)
		ix[i] = (uint32_t)i;
	qsort_r(ix, n, sizeof(*ix), cmp, f);
	return ix;
}

/* Binary search an index by name; getter gives the name of element i. */
static int find_name(const struct fabric *f, const uint32_t *ix, size_t n,
		     const char *name,
		     const char *(*get)(const struct fabric *, uint32_t))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(get(f, ix[mid]), name);
		if (c == 0)
			return (int)ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const char *fab_vnet_name(const struct fabric *f, uint32_t v)
{
	return v < f->n_vnets ? f->vnets[v].name : NULL;
}

const char *fab_subnet_name(const struct fabric *f, uint32_t s)
{
	return s < f->n_subnets ? f->subnets[s].name : NULL;
}

const char *fab_nic_name(const struct fabric *f, uint32_t n)
{
	return n < f->n_nics ? f->nics[n].name : NULL;
}

int fab_vnet_find(const struct fabric *f, const char *name)
{
	return find_name(f, f->vnet_by_name, f->n_vnets, name, fab_vnet_name);
}

int fab_subnet_find(const struct fabric *f, const char *name)
{
	return find_name(f, f->subnet_by_name, f->n_subnets, name,
			 fab_subnet_name);
}

int fab_nic_find(const struct fabric *f, const char *name)
{
	return find_name(f, f->nic_by_name, f->n_nics, name, fab_nic_name);
}

int fab_nic_by_ip(const struct fabric *f, const struct addr *ip)
{
	size_t lo = 0, hi = f->n_nics;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = addr_cmp(&f->nics[f->nic_by_ip[mid]].ip, ip);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->n_nics && addr_eq(&f->nics[f->nic_by_ip[lo]].ip, ip))
		return (int)f->nic_by_ip[lo];
	return -1;
}

size_t fab_n_vnets(const struct fabric *f) { return f->n_vnets; }
size_t fab_n_subnets(const struct fabric *f) { return f->n_subnets; }
size_t fab_n_nics(const struct fabric *f) { return f->n_nics; }

uint32_t fab_nic_subnet(const struct fabric *f, uint32_t nic)
{
	return f->nics[nic].subnet;
}

uint32_t fab_subnet_vnet(const struct fabric *f, uint32_t subnet)
{
	return f->subnets[subnet].vnet;
}

bool fab_vnet_receives_bgp(const struct fabric *f, uint32_t v)
{
	return v < f->n_vnets && f->vnets[v].receives;
}

bool fab_vnet_remote(const struct fabric *f, uint32_t v)
{
	return v < f->n_vnets && f->vnets[v].remote;
}

bool fab_keeps_bgp(const struct fabric *f)
{
	return f->bgp_needed;
}

bool fab_subnet_receives_bgp(const struct fabric *f, uint32_t s)
{
	return s < f->n_subnets && f->subnets[s].bgp;
}

/* ----------------------------------------------------------- VNets */

static void build_vnets(struct fabric *f, const struct conf_fabric *cf)
{
	f->n_vnets = cf->n_vnets;
	f->vnets = xcalloc(f, f->n_vnets, sizeof(*f->vnets));
	for (size_t i = 0; i < cf->n_vnets; i++) {
		const struct conf_vnet *cv = &cf->vnets[i];
		struct fvnet *v = &f->vnets[i];
		v->name = xstrdup(f, cv->name);
		v->region = cv->region ? xstrdup(f, cv->region) : NULL;
		v->hub = cv->hub;
		v->n_space = cv->n_address_space;
		v->space = xcalloc(f, v->n_space, sizeof(*v->space));
		memcpy(v->space, cv->address_space,
		       v->n_space * sizeof(*v->space));
		if (cv->hub && !f->local_region && v->region)
			f->local_region = v->region;
	}
	for (size_t i = 0; i < f->n_vnets; i++) {
		struct fvnet *v = &f->vnets[i];
		v->remote = !v->hub && v->region && f->local_region &&
			    strcmp(v->region, f->local_region) != 0;
	}
	f->vnet_by_name = make_index(f, f->n_vnets, cmp_vnet_name);
}

static int cmp_edge(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Peerings link both VNets; also decide who receives our routes. */
static int build_peerings(struct fabric *f, const struct conf_fabric *cf,
			  char *err, size_t errlen)
{
	size_t n_edges = 0, k = 0;
	for (size_t i = 0; i < cf->n_vnets; i++)
		n_edges += 2 * cf->vnets[i].n_peerings;
	uint32_t (*e)[2] = calloc(n_edges ? n_edges : 1, sizeof(*e));
	if (!e)
		abort();
	for (size_t i = 0; i < cf->n_vnets; i++) {
		const struct conf_vnet *cv = &cf->vnets[i];
		for (unsigned j = 0; j < cv->n_peerings; j++) {
			int r = fab_vnet_find(f, cv->peerings[j].remote);
			if (r < 0 || (size_t)r == i) {
				snprintf(err, errlen, "vnet %s: bad peering remote '%s'",
					 cv->name, cv->peerings[j].remote);
				free(e);
				return -1;
			}
			e[k][0] = (uint32_t)i, e[k++][1] = (uint32_t)r;
			e[k][0] = (uint32_t)r, e[k++][1] = (uint32_t)i;
			if (cv->peerings[j].use_remote_gateways &&
			    f->vnets[r].hub)
				f->vnets[i].receives = true;
		}
		if (cv->hub)
			f->vnets[i].receives = true;
	}
	qsort(e, k, sizeof(*e), cmp_edge);
	for (size_t i = 0; i < k; i++) {
		if (i && e[i][0] == e[i - 1][0] && e[i][1] == e[i - 1][1])
			continue;
		f->vnets[e[i][0]].n_peers++;
	}
	for (size_t i = 0; i < f->n_vnets; i++) {
		f->vnets[i].peers = xcalloc(f, f->vnets[i].n_peers, 4);
		f->vnets[i].n_peers = 0;
		if (f->vnets[i].remote)
			f->vnets[i].receives = false;
	}
	for (size_t i = 0; i < k; i++) {
		if (i && e[i][0] == e[i - 1][0] && e[i][1] == e[i - 1][1])
			continue;
		struct fvnet *v = &f->vnets[e[i][0]];
		v->peers[v->n_peers++] = e[i][1];
	}
	free(e);
	return 0;
}

static void build_cover(struct fabric *f)
{
	for (size_t i = 0; i < f->n_vnets; i++) {
		struct fvnet *v = &f->vnets[i];
		uint32_t n = v->n_space;
		for (uint32_t j = 0; j < v->n_peers; j++)
			n += f->vnets[v->peers[j]].n_space;
		v->cover = xcalloc(f, n, sizeof(*v->cover));
		v->cover_vnet = xcalloc(f, n, sizeof(*v->cover_vnet));
		for (uint32_t j = 0; j < v->n_space; j++) {
			v->cover_vnet[v->n_cover] = (uint32_t)i;
			v->cover[v->n_cover++] = v->space[j];
		}
		for (uint32_t j = 0; j < v->n_peers; j++) {
			const struct fvnet *p = &f->vnets[v->peers[j]];
			for (uint32_t s = 0; s < p->n_space; s++) {
				v->cover_vnet[v->n_cover] = v->peers[j];
				v->cover[v->n_cover++] = p->space[s];
			}
		}
	}
}

/* ------------------------------------------------ static routes */

static int static_rank_cmp(const void *a, const void *b)
{
	const struct fab_route *x = a, *y = b;
	int c = fab_prefix_cmp_fast(&x->prefix, &y->prefix);
	if (c)
		return c;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	return (int)x->nh_type - (int)y->nh_type;
}

size_t fab_static_lower(const struct fsubnet *s, const struct prefix *p)
{
	size_t lo = 0, hi = s->n_static;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fab_prefix_cmp_fast(&s->statics[mid].prefix, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void add_static(struct fsubnet *s, const struct prefix *p, uint8_t src,
		       uint8_t nh_type, uint8_t reason)
{
	struct fab_route *r = &s->statics[s->n_static++];
	memset(r, 0, sizeof(*r));
	r->prefix = *p;
	r->source = src;
	r->nh_type = nh_type;
	r->reason = reason;
	r->state = reason ? FAB_INVALID : FAB_ACTIVE;
}

static const char *const reserved_v4[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
};

static void add_system(struct fabric *f, struct fsubnet *s)
{
	const struct fvnet *v = &f->vnets[s->vnet];
	bool v6 = false;
	for (uint32_t i = 0; i < v->n_cover; i++) {
		add_static(s, &v->cover[i], FAB_SRC_DEFAULT,
			   i < v->n_space ? NH_VNET_LOCAL : NH_VNET_PEERING, 0);
		v6 |= v->cover[i].afi == AFI_IPV6 && i < v->n_space;
	}
	struct prefix p;
	prefix_parse("0.0.0.0/0", &p);
	add_static(s, &p, FAB_SRC_DEFAULT, NH_INTERNET, 0);
	if (v6) {
		prefix_parse("::/0", &p);
		add_static(s, &p, FAB_SRC_DEFAULT, NH_INTERNET, 0);
	}
	for (size_t i = 0; i < sizeof(reserved_v4) / sizeof(*reserved_v4); i++) {
		prefix_parse(reserved_v4[i], &p);
		uint8_t r = fab_cover_reason(v, &p);
		if (r)
			r = r == FAB_R_BGP_IN_VNET ? FAB_R_RESERVED_IN_VNET
						   : FAB_R_RESERVED_IN_PEER;
		add_static(s, &p, FAB_SRC_DEFAULT, NH_NONE, r);
	}
}

/* Within each group of one prefix: a User route overrides system routes;
 * a second Active route of the same source is a duplicate. */
static void resolve_statics(struct fsubnet *s)
{
	size_t i = 0;
	while (i < s->n_static) {
		size_t j = i;
		bool user = false, def = false;
		while (j < s->n_static &&
		       prefix_eq(&s->statics[j].prefix, &s->statics[i].prefix)) {
			struct fab_route *r = &s->statics[j++];
			if (r->state != FAB_ACTIVE)
				continue;
			bool *seen = r->source == FAB_SRC_USER ? &user : &def;
			if (*seen) {
				r->state = FAB_INVALID, r->reason = FAB_R_DUPLICATE;
				continue;
			}
			*seen = true;
			if (r->source == FAB_SRC_DEFAULT && user)
				r->state = FAB_INVALID, r->reason = FAB_R_BY_USER;
		}
		i = j;
	}
}

static void build_statics(struct fabric *f, struct fsubnet *s,
			  const struct conf_route_table *rt)
{
	const struct fvnet *v = &f->vnets[s->vnet];
	size_t n = v->n_cover + 2 + 4 + (rt ? rt->n_routes : 0);
	s->statics = xcalloc(f, n, sizeof(*s->statics));
	s->static_nh = xcalloc(f, rt ? rt->n_routes : 0, sizeof(struct addr));
	add_system(f, s);
	for (unsigned i = 0; rt && i < rt->n_routes; i++) {
		const struct conf_udr *u = &rt->routes[i];
		add_static(s, &u->prefix, FAB_SRC_USER, u->next_hop_type, 0);
		if (u->next_hop_type == NH_VIRTUAL_APPLIANCE &&
		    u->next_hop_ip.afi) {
			s->static_nh[i] = u->next_hop_ip;
			s->statics[s->n_static - 1].n_nh = 1;
			s->statics[s->n_static - 1].nh = &s->static_nh[i];
		}
	}
	qsort(s->statics, s->n_static, sizeof(*s->statics), static_rank_cmp);
	resolve_statics(s);
}

static const struct conf_route_table *find_rt(const struct conf_fabric *cf,
					      const char *name)
{
	for (unsigned i = 0; i < cf->n_route_tables; i++)
		if (cf->route_tables[i].name &&
		    strcmp(cf->route_tables[i].name, name) == 0)
			return &cf->route_tables[i];
	return NULL;
}

static int build_subnets(struct fabric *f, const struct conf_fabric *cf,
			 char *err, size_t errlen)
{
	for (size_t i = 0; i < cf->n_vnets; i++)
		f->n_subnets += cf->vnets[i].n_subnets;
	f->subnets = xcalloc(f, f->n_subnets, sizeof(*f->subnets));
	size_t k = 0;
	for (size_t i = 0; i < cf->n_vnets; i++) {
		const struct conf_vnet *cv = &cf->vnets[i];
		for (unsigned j = 0; j < cv->n_subnets; j++) {
			const struct conf_subnet *cs = &cv->subnets[j];
			struct fsubnet *s = &f->subnets[k++];
			const struct conf_route_table *rt = NULL;
			char buf[512];
			snprintf(buf, sizeof(buf), "%s/%s", cv->name, cs->name);
			s->name = xstrdup(f, buf);
			s->vnet = (uint32_t)i;
			s->prefix = cs->prefix;
			if (cs->route_table && !(rt = find_rt(cf, cs->route_table))) {
				snprintf(err, errlen, "subnet %s: unknown route table '%s'",
					 buf, cs->route_table);
				return -1;
			}
			s->bgp = f->vnets[i].receives &&
				 (!rt || rt->propagate_gateway_routes);
			f->bgp_needed |= s->bgp;
			build_statics(f, s, rt);
		}
	}
	f->subnet_by_name = make_index(f, f->n_subnets, cmp_subnet_name);
	return 0;
}

static int build_nics(struct fabric *f, const struct conf_fabric *cf,
		      char *err, size_t errlen)
{
	for (size_t i = 0; i < cf->n_vnets; i++)
		f->n_nics += cf->vnets[i].n_nics;
	f->nics = xcalloc(f, f->n_nics, sizeof(*f->nics));
	size_t k = 0;
	for (size_t i = 0; i < cf->n_vnets; i++) {
		const struct conf_vnet *cv = &cf->vnets[i];
		for (unsigned j = 0; j < cv->n_nics; j++) {
			const struct conf_nic *cn = &cv->nics[j];
			char buf[512];
			snprintf(buf, sizeof(buf), "%s/%s", cv->name,
				 cn->subnet ? cn->subnet : "");
			int s = fab_subnet_find(f, buf);
			if (s < 0) {
				snprintf(err, errlen, "nic %s: unknown subnet '%s'",
					 cn->name, buf);
				return -1;
			}
			f->nics[k].name = xstrdup(f, cn->name);
			f->nics[k].subnet = (uint32_t)s;
			f->nics[k++].ip = cn->ip;
		}
	}
	f->nic_by_name = make_index(f, f->n_nics, cmp_nic_name);
	f->nic_by_ip = make_index(f, f->n_nics, cmp_nic_ip);
	return 0;
}

struct fabric *fab_new(const struct conf_fabric *cf, uint64_t first_version,
		       char *err, size_t errlen)
{
	struct fabric *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->bytes = sizeof(*f);
	f->version = f->log_base = first_version ? first_version - 1 : 0;
	f->max_versions = 1024;
	f->max_items = 262144;
	if (err && errlen)
		err[0] = 0;
	char dummy[8];
	if (!err)
		err = dummy, errlen = sizeof(dummy);
	build_vnets(f, cf);
	if (build_peerings(f, cf, err, errlen) < 0)
		goto fail;
	build_cover(f);
	if (build_subnets(f, cf, err, errlen) < 0 ||
	    build_nics(f, cf, err, errlen) < 0 ||
	    fab_nh_build(f, cf, err, errlen) < 0)
		goto fail;
	/* Version first_version is the empty-BGP state we start in. */
	f->version = f->log_base = first_version;
	return f;
fail:
	fab_free(f);
	return NULL;
}

void fab_free(struct fabric *f)
{
	if (!f)
		return;
	fab_bgp_free_all(f);
	fab_nh_free(f);
	for (size_t i = 0; i < f->n_vnets; i++) {
		struct fvnet *v = &f->vnets[i];
		free(v->name);
		free(v->region);
		free(v->space);
		free(v->peers);
		free(v->cover);
		free(v->cover_vnet);
	}
	for (size_t i = 0; i < f->n_subnets; i++) {
		free(f->subnets[i].name);
		free(f->subnets[i].statics);
		free(f->subnets[i].static_nh);
	}
	for (size_t i = 0; i < f->n_nics; i++)
		free(f->nics[i].name);
	free(f->vnets);
	free(f->subnets);
	free(f->nics);
	free(f->vnet_by_name);
	free(f->subnet_by_name);
	free(f->nic_by_name);
	free(f->nic_by_ip);
	free(f->watch);
	free(f);
}
