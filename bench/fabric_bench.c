/*
 * fabric_bench.c - scale benchmark of the fabric model.
 *
 * Generates a fabric of 500 VNets (one hub, 499 spokes, every tenth spoke
 * without use_remote_gateways), 1,000 subnets and 50,000 NICs, feeds a real
 * loc-RIB with 10,000 prefixes from two NVAs (ECMP), and prints: the time
 * to build the model and load the routes, the effective routes of one NIC,
 * a trace, the time from a loc-RIB change to every subnet's delta for a
 * 1-prefix and a 10,000-prefix change, and memory (maxrss and the
 * fabric's own accounting).
 *
 *   build/bench/fabric-bench [-v VNETS] [-n NICS_PER_VNET] [-p PREFIXES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "fabric/fabric.h"
#include "rib/rib.h"

struct bench {
	unsigned vnets, nics_per_vnet, prefixes;
	struct conf_fabric cf;
	struct rib *rib;
	uint32_t peer[2];
	struct fabric *f;
	char **names; /* every generated string, freed at the end */
	size_t n_names;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *name(struct bench *b, const char *fmt, unsigned i)
{
	char buf[64];
	snprintf(buf, sizeof(buf), fmt, i);
	b->names = realloc(b->names, (b->n_names + 1) * sizeof(*b->names));
	return b->names[b->n_names++] = strdup(buf);
}

static struct addr v4(uint32_t x)
{
	struct addr a = { .afi = AFI_IPV4 };
	a.b[0] = (uint8_t)(x >> 24), a.b[1] = (uint8_t)(x >> 16);
	a.b[2] = (uint8_t)(x >> 8), a.b[3] = (uint8_t)x;
	return a;
}

static struct prefix v4p(uint32_t x, unsigned len)
{
	struct addr a = v4(x);
	struct prefix p;
	prefix_from_addr(&p, &a, len);
	return p;
}

#define BASE 0xC6120000u /* 198.18.0.0: VNet i is 198.18.0.0 + i * 256 /24 */
#define NVA1 (BASE + 4)
#define NVA2 (BASE + 5)
#define ONPREM 0x64400000u /* 100.64.0.0: prefix k is a /24 from there */

static void gen_vnet(struct bench *b, unsigned i)
{
	struct conf_vnet *v = &b->cf.vnets[i];
	uint32_t base = BASE + i * 256;
	v->name = i ? name(b, "spoke-%u", i) : "hub";
	v->region = "westeurope";
	v->hub = i == 0;
	v->n_address_space = 1;
	v->address_space = calloc(1, sizeof(struct prefix));
	v->address_space[0] = v4p(base, 24);
	v->n_subnets = 2;
	v->subnets = calloc(2, sizeof(struct conf_subnet));
	v->subnets[0].name = "a";
	v->subnets[0].prefix = v4p(base, 25);
	v->subnets[0].route_table = i ? "rt-spoke" : NULL;
	v->subnets[1].name = "b";
	v->subnets[1].prefix = v4p(base + 128, 25);
	if (i) {
		v->n_peerings = 1;
		v->peerings = calloc(1, sizeof(struct conf_peering));
		v->peerings[0].remote = "hub";
		v->peerings[0].use_remote_gateways = i % 10 != 0;
	}
	v->n_nics = b->nics_per_vnet;
	v->nics = calloc(v->n_nics, sizeof(struct conf_nic));
	for (unsigned k = 0; k < v->n_nics; k++) {
		struct conf_nic *n = &v->nics[k];
		/* even NICs in subnet a, odd in b; the hub's first two of
		 * subnet a (.4 and .5) are the NVAs */
		n->name = i ? name(b, "vm-%u", i * 1000 + k)
			    : k == 0 ? "nva-1" : k == 2 ? "nva-2"
			    : name(b, "hvm-%u", k);
		n->subnet = k % 2 ? "b" : "a";
		n->ip = v4(base + (k % 2 ? 128 : 0) + 4 + k / 2);
	}
}

static void gen_fabric(struct bench *b)
{
	b->cf.n_vnets = b->vnets;
	b->cf.vnets = calloc(b->vnets, sizeof(struct conf_vnet));
	for (unsigned i = 0; i < b->vnets; i++)
		gen_vnet(b, i);
	b->cf.n_route_tables = 1;
	b->cf.route_tables = calloc(1, sizeof(struct conf_route_table));
	struct conf_route_table *rt = &b->cf.route_tables[0];
	rt->name = "rt-spoke";
	rt->propagate_gateway_routes = true;
	rt->n_routes = 2;
	rt->routes = calloc(2, sizeof(struct conf_udr));
	rt->routes[0].prefix = v4p(0, 0);
	rt->routes[0].next_hop_type = NH_VIRTUAL_APPLIANCE;
	rt->routes[0].next_hop_ip = v4(NVA1);
	rt->routes[1].prefix = v4p(ONPREM + 256 * 5, 24);
	rt->routes[1].next_hop_type = NH_NONE;
}

static void announce(struct bench *b, int peer, unsigned k)
{
	struct bgp_attrs a;
	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_NEXT_HOP);
	uint32_t asn = 65001 + (uint32_t)peer;
	uint8_t seg[6] = { 2, 1, (uint8_t)(asn >> 24), (uint8_t)(asn >> 16),
			   (uint8_t)(asn >> 8), (uint8_t)asn };
	memcpy(a.aspath, seg, sizeof(seg));
	a.aspath_len = sizeof(seg);
	a.next_hop = v4(peer ? NVA2 : NVA1);
	struct rattr *ra = rattr_intern(b->rib, &a);
	struct prefix p = v4p(ONPREM + k * 256, 24);
	rib_announce(b->rib, b->peer[peer], &p, ra);
	rattr_unref(b->rib, ra);
}

static uint64_t sync_rib(struct bench *b)
{
	fab_change_begin(b->f);
	rib_changes_drain(b->rib, fab_rib_change, b->f);
	return fab_change_commit(b->f);
}

/* Every subnet's delta after version since; returns items in total. */
static size_t all_deltas(struct bench *b, uint64_t since, size_t *subnets)
{
	size_t items = 0;
	*subnets = 0;
	for (uint32_t s = 0; s < fab_n_subnets(b->f); s++) {
		struct fab_delta d;
		if (fab_subnet_deltas(b->f, s, since, &d) != FAB_OK)
			abort();
		items += d.n;
		*subnets += d.n > 0;
		fab_delta_free(&d);
	}
	return items;
}

/* Effective routes of one NIC: fresh tables (allocated per call) and a
 * table whose memory is reused from the previous call. */
static void bench_tables(struct bench *b)
{
	const char *nics[] = { "vm-1000", "nva-2", "vm-10000" };
	for (size_t i = 0; i < 3; i++) {
		struct fab_table t;
		double best = 1e9, sum = 0, rbest = 1e9, rsum = 0;
		int runs = 200;
		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();
			fab_nic_table(b->f, nics[i], &t);
			double dt = now_ms() - t0;
			sum += dt;
			best = dt < best ? dt : best;
			fab_table_free(&t);
		}
		uint32_t s = fab_nic_subnet(b->f, (uint32_t)fab_nic_find(b->f, nics[i]));
		memset(&t, 0, sizeof(t));
		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();
			fab_subnet_table_into(b->f, s, &t);
			double dt = now_ms() - t0;
			rsum += dt;
			rbest = dt < rbest ? dt : rbest;
		}
		printf("effective routes of %-8s %6zu entries: %.3f ms avg "
		       "(%.3f best), reusing memory %.3f ms avg (%.3f best)\n",
		       nics[i], t.n, sum / runs, best, rsum / runs, rbest);
		fab_table_free(&t);
	}
}

static void bench_trace(struct bench *b)
{
	int n = fab_nic_find(b->f, "vm-1000");
	struct fab_trace *t = malloc(sizeof(*t));
	double t0 = now_ms();
	int runs = 1000;
	for (int r = 0; r < runs; r++) {
		struct addr dst = v4(ONPREM + (uint32_t)(r % b->prefixes) * 256 + 9);
		fab_trace(b->f, (uint32_t)n, &dst, t);
	}
	double dt = (now_ms() - t0) / runs;
	printf("trace vm-1000 -> on-prem (%zu hops, %s): %.3f ms avg\n",
	       t->n_hops, fab_result_name(t->result), dt);
	free(t);
}

static void bench_changes(struct bench *b)
{
	uint64_t v = fab_version(b->f);
	size_t subnets, items;
	double t0 = now_ms();
	struct prefix p = v4p(ONPREM + 7 * 256, 24);
	rib_withdraw(b->rib, b->peer[1], &p);
	sync_rib(b);
	double t1 = now_ms();
	items = all_deltas(b, v, &subnets);
	double t2 = now_ms();
	printf("1-prefix change: commit %.3f ms, deltas of all %zu subnets "
	       "%.3f ms (%zu items, %zu subnets changed), total %.3f ms\n",
	       t1 - t0, fab_n_subnets(b->f), t2 - t1, items, subnets, t2 - t0);

	v = fab_version(b->f);
	t0 = now_ms();
	for (unsigned k = 0; k < b->prefixes; k++) {
		struct prefix q = v4p(ONPREM + k * 256, 24);
		rib_withdraw(b->rib, b->peer[1], &q);
	}
	double tr = now_ms();
	sync_rib(b);
	t1 = now_ms();
	items = all_deltas(b, v, &subnets);
	t2 = now_ms();
	printf("%u-prefix change: rib %.1f ms, commit %.3f ms, deltas of all "
	       "subnets %.1f ms (%zu items, %zu subnets changed)\n",
	       b->prefixes, tr - t0, t1 - tr, t2 - t1, items, subnets);
}

static void report_memory(struct bench *b)
{
	struct fab_stats st;
	struct rib_stats rs;
	struct rusage ru;
	fab_stats(b->f, &st);
	rib_stats(b->rib, &rs);
	getrusage(RUSAGE_SELF, &ru);
	printf("fabric: %zu vnets, %zu subnets, %zu nics, %zu bgp routes, "
	       "%zu static routes, log %zu versions / %zu items\n",
	       st.vnets, st.subnets, st.nics, st.bgp_routes, st.static_routes,
	       st.log_versions, st.log_items);
	printf("memory: fabric %.1f MiB (own accounting), rib %.1f MiB, "
	       "maxrss %.1f MiB\n", st.bytes / 1048576.0, rs.bytes / 1048576.0,
	       ru.ru_maxrss / 1024.0);
}

static void gen_free(struct bench *b)
{
	for (unsigned i = 0; i < b->cf.n_vnets; i++) {
		free(b->cf.vnets[i].address_space);
		free(b->cf.vnets[i].subnets);
		free(b->cf.vnets[i].peerings);
		free(b->cf.vnets[i].nics);
	}
	free(b->cf.vnets);
	free(b->cf.route_tables[0].routes);
	free(b->cf.route_tables);
	for (size_t i = 0; i < b->n_names; i++)
		free(b->names[i]);
	free(b->names);
}

int main(int argc, char **argv)
{
	struct bench b = { .vnets = 500, .nics_per_vnet = 100, .prefixes = 10000 };
	int c;
	while ((c = getopt(argc, argv, "v:n:p:")) != -1) {
		unsigned x = (unsigned)strtoul(optarg, NULL, 10);
		if (c == 'v' && x >= 1 && x <= 512)
			b.vnets = x;
		else if (c == 'n' && x >= 2 && x <= 250)
			b.nics_per_vnet = x;
		else if (c == 'p' && x >= 10 && x <= 16384)
			b.prefixes = x;
		else {
			fprintf(stderr, "usage: %s [-v 1..512] [-n 2..250] "
				"[-p 10..16384]\n", argv[0]);
			return 2;
		}
	}
	gen_fabric(&b);
	double t0 = now_ms();
	char err[256];
	b.f = fab_new(&b.cf, 1, err, sizeof(err));
	if (!b.f) {
		fprintf(stderr, "fab_new: %s\n", err);
		return 1;
	}
	printf("build model (%u vnets, %zu nics): %.1f ms\n", b.vnets,
	       fab_n_nics(b.f), now_ms() - t0);
	struct rib_config rc = { .local_asn = 65515, .max_paths = 8,
				 .routing_pref = PREF_ASPATH };
	b.rib = rib_new(&rc);
	struct rib_peer rp = { .asn = 65001, .kind = PEER_NVA, .addr = v4(NVA1) };
	b.peer[0] = rib_peer_add(b.rib, &rp);
	rp.asn = 65002, rp.addr = v4(NVA2);
	b.peer[1] = rib_peer_add(b.rib, &rp);
	fab_bind_rib(b.f, b.rib); /* as pharosd: routes read from the RIB */
	for (unsigned k = 0; k < b.prefixes; k++)
		announce(&b, 0, k), announce(&b, 1, k);
	t0 = now_ms();
	sync_rib(&b);
	printf("load %u prefixes (ECMP x2) into the fabric: %.1f ms\n",
	       b.prefixes, now_ms() - t0);
	bench_tables(&b);
	bench_trace(&b);
	bench_changes(&b);
	report_memory(&b);
	fab_free(b.f);
	rib_free(b.rib);
	gen_free(&b);
	return 0;
}
