/*
 * rib_bench.c - time and memory of the RIB at table scale.
 *
 * Phase "one": 1,000,000 IPv4 /24s from one peer sharing a handful of
 * attribute sets. Phase "multi": 8 peers each announcing the same 100,000
 * prefixes (an 8-wide ECMP set everywhere). Each phase runs in its own
 * child process so that its peak RSS (getrusage) is its own. Prints the
 * time of each step (insert, drain, same-route re-announce, longest-match
 * lookups, flush, withdrawals in random and in address order; CPU time) and bytes per route from rib_stats and from
 * peak RSS, and how much of the heap huge pages back.
 *
 *   rib-bench [one|multi]     (default: both)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rib/rib.h"

#define N_ONE 1000000u
#define N_MULTI 100000u
#define N_PEERS 8
#define N_ATTRS 8

/* CPU time of this process: steadier than wall time on a shared box. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t peak_rss(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (size_t)ru.ru_maxrss * 1024;
}

/* AnonHugePages of this process, in bytes (0 when unknown). */
static size_t huge_bytes(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	size_t kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %zu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

static struct rattr *mk_attr(struct rib *rib, unsigned variant, unsigned hops)
{
	static struct bgp_attrs a;
	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_NEXT_HOP) | ATTR_BIT(ATTR_MED);
	a.aspath[0] = AS_SEQUENCE;
	a.aspath[1] = (uint8_t)hops;
	for (unsigned i = 0; i < hops; i++) {
		uint32_t asn = 64512 + variant * 16 + i;
		a.aspath[2 + 4 * i] = (uint8_t)(asn >> 24);
		a.aspath[3 + 4 * i] = (uint8_t)(asn >> 16);
		a.aspath[4 + 4 * i] = (uint8_t)(asn >> 8);
		a.aspath[5 + 4 * i] = (uint8_t)asn;
	}
	a.aspath_len = (uint16_t)(2 + 4 * hops);
	a.med = variant;
	addr_parse("198.18.0.1", &a.next_hop);
	a.next_hop.b[3] = (uint8_t)(1 + variant);
	return rattr_intern(rib, &a);
}

/* The i-th /24 from 1.0.0.0 up. */
static void nth24(unsigned i, struct prefix *p)
{
	uint32_t v = (1u << 24) + (i << 8);
	memset(p, 0, sizeof(*p));
	p->afi = AFI_IPV4;
	p->len = 24;
	p->b[0] = (uint8_t)(v >> 24);
	p->b[1] = (uint8_t)(v >> 16);
	p->b[2] = (uint8_t)(v >> 8);
}

static void count_cb(const struct rentry *e, uint32_t id, void *arg)
{
	(void)e;
	++*(size_t *)arg;
}

static void report(const char *what, double t, size_t n)
{
	printf("  %-26s %8.3f s  %7.0f ns/route  (%zu)\n", what, t,
	       n ? t * 1e9 / (double)n : 0.0, n);
}

static uint32_t add_peer(struct rib *rib, unsigned i)
{
	struct rib_peer p = {.asn = 65001 + i, .kind = PEER_NVA};
	addr_parse("198.18.1.1", &p.addr);
	p.addr.b[3] = (uint8_t)(1 + i);
	return rib_peer_add(rib, &p);
}

static void drain(struct rib *rib, const char *what, size_t n_routes)
{
	size_t n = 0;
	double t = now();
	rib_changes_drain(rib, count_cb, &n);
	report(what, now() - t, n);
	(void)n_routes;
}

static void memory(struct rib *rib, size_t base, size_t routes)
{
	struct rib_stats st;
	rib_stats(rib, &st);
	printf("  rib_stats: %zu prefixes, %zu paths, %zu attr sets, "
	       "%zu bytes = %.1f bytes/route\n",
	       st.prefixes[AFI_IPV4] + st.prefixes[AFI_IPV6], st.paths,
	       st.attrs, st.bytes,
	       (double)(st.bytes - base) / (double)routes);
}

static void phase_one(void)
{
	struct rib_config cfg = {.local_asn = 65515, .max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct rattr *ra[N_ATTRS];
	size_t rss0 = peak_rss(), base;
	uint32_t peer = add_peer(rib, 0);
	struct rib_stats st;
	struct prefix p;
	double t;
	size_t hits = 0;

	rib_stats(rib, &st);
	base = st.bytes;
	for (unsigned i = 0; i < N_ATTRS; i++)
		ra[i] = mk_attr(rib, i, 1 + i % 4);
	printf("one: %u IPv4 /24s from one peer, %d attribute sets\n", N_ONE,
	       N_ATTRS);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) {
		nth24(i, &p);
		rib_announce(rib, peer, &p, ra[i % N_ATTRS]);
	}
	report("insert", now() - t, N_ONE);
	drain(rib, "drain", N_ONE);
	memory(rib, base, N_ONE);
	printf("  peak RSS: %zu bytes = %.1f bytes/route (%.1f MB; %.1f MB "
	       "before loading; %.1f MB in huge pages)\n",
	       peak_rss(), (double)(peak_rss() - rss0) / N_ONE,
	       peak_rss() / 1048576.0, rss0 / 1048576.0,
	       huge_bytes() / 1048576.0);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) {
		nth24(i, &p);
		rib_announce(rib, peer, &p, ra[i % N_ATTRS]);
	}
	report("re-announce (no change)", now() - t, N_ONE);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) {
		struct addr a = {.afi = AFI_IPV4};
		nth24((unsigned)((uint64_t)i * 7919u % N_ONE), &p);
		memcpy(a.b, p.b, 4);
		a.b[3] = 77;
		hits += rib_match(rib, &a) != NULL;
	}
	report("longest match lookups", now() - t, hits);
	t = now();
	rib_peer_flush(rib, peer);
	report("flush", now() - t, N_ONE);
	drain(rib, "drain after flush", N_ONE);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) { /* 7919 is prime: a permutation */
		nth24((unsigned)((uint64_t)i * 7919u % N_ONE), &p);
		rib_announce(rib, peer, &p, ra[i % N_ATTRS]);
	}
	report("insert, random order", now() - t, N_ONE);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) {
		nth24((unsigned)((uint64_t)i * 7919u % N_ONE), &p);
		rib_withdraw(rib, peer, &p);
	}
	report("withdraw, random order", now() - t, N_ONE);
	drain(rib, "drain after withdraw", N_ONE);
	for (unsigned i = 0; i < N_ONE; i++) {
		nth24(i, &p);
		rib_announce(rib, peer, &p, ra[i % N_ATTRS]);
	}
	drain(rib, "insert in order, drain", N_ONE);
	t = now();
	for (unsigned i = 0; i < N_ONE; i++) {
		nth24(i, &p);
		rib_withdraw(rib, peer, &p);
	}
	report("withdraw, in order", now() - t, N_ONE);
	drain(rib, "drain after withdraw", N_ONE);
	for (unsigned i = 0; i < N_ATTRS; i++)
		rattr_unref(rib, ra[i]);
	rib_stats(rib, &st);
	printf("  after flush: %zu bytes (%zu at start)\n", st.bytes, base);
	rib_free(rib);
}

static void phase_multi(void)
{
	struct rib_config cfg = {.local_asn = 65515, .max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct rattr *ra[N_PEERS];
	uint32_t peers[N_PEERS];
	size_t rss0 = peak_rss(), base, routes = (size_t)N_PEERS * N_MULTI;
	struct rib_stats st;
	struct prefix p;
	double t;

	for (unsigned k = 0; k < N_PEERS; k++)
		peers[k] = add_peer(rib, k);
	rib_stats(rib, &st);
	base = st.bytes;
	for (unsigned k = 0; k < N_PEERS; k++)
		ra[k] = mk_attr(rib, k, 2); /* all tie: ECMP of 8 */
	printf("multi: %d peers x %u identical prefixes\n", N_PEERS, N_MULTI);
	t = now();
	for (unsigned k = 0; k < N_PEERS; k++)
		for (unsigned i = 0; i < N_MULTI; i++) {
			nth24(i * 3, &p);
			rib_announce(rib, peers[k], &p, ra[k]);
		}
	report("insert", now() - t, routes);
	drain(rib, "drain", routes);
	memory(rib, base, routes);
	printf("  peak RSS: %zu bytes = %.1f bytes/route (%.1f MB)\n",
	       peak_rss(), (double)(peak_rss() - rss0) / (double)routes,
	       peak_rss() / 1048576.0);
	t = now();
	rib_peer_flush(rib, peers[0]);
	report("flush one peer", now() - t, N_MULTI);
	drain(rib, "drain after flush", N_MULTI);
	t = now();
	for (unsigned k = 1; k < N_PEERS; k++)
		rib_peer_flush(rib, peers[k]);
	report("flush the other 7", now() - t, routes - N_MULTI);
	drain(rib, "drain after flush", routes - N_MULTI);
	for (unsigned k = 0; k < N_PEERS; k++)
		rattr_unref(rib, ra[k]);
	rib_stats(rib, &st);
	printf("  after flush: %zu bytes (%zu at start)\n", st.bytes, base);
	rib_free(rib);
}

/* Run fn in a child so its peak RSS is measured alone. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	int rc = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("struct rentry %zu, struct rpath %zu, struct rattr %zu bytes\n",
	       sizeof(struct rentry), sizeof(struct rpath),
	       sizeof(struct rattr));
	if (!strcmp(which, "all") || !strcmp(which, "one"))
		rc |= in_child(phase_one);
	if (!strcmp(which, "all") || !strcmp(which, "multi"))
		rc |= in_child(phase_multi);
	return rc;
}
