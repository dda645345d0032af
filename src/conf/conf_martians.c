/*
 * conf_martians.c - route_server.martians: prefixes no peer may announce.
 *
 * A route inside a martian range is refused on import (policy.h,
 * policy_martian). Given in the file, the list replaces the defaults;
 * not given, the defaults are:
 *   IPv4  0.0.0.0/8 (this network), 127.0.0.0/8 (loopback),
 *         169.254.0.0/16 (link-local, the cloud metadata address),
 *         224.0.0.0/4 (multicast), 240.0.0.0/4 (class E, broadcast);
 *   IPv6  ::/128, ::1/128, ::ffff:0:0/96 (IPv4-mapped), fe80::/10
 *         (link-local), fec0::/10 (site-local), ff00::/8 (multicast);
 *   the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 *         203.0.113.0/24, 2001:db8::/32, 3fff::/20) unless the
 *         configuration itself uses them (an address space, a listen,
 *         peer or API address inside): then they are the fabric's own;
 *   the route server's own addresses as host routes (router_id, every
 *         listen address, the API address agents reach it on), so no
 *         peer can take the path to the route server over.
 */
#include "conf/conf_priv.h"

#include <stdlib.h>
#include <string.h>

static const char *const fixed[] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
	"240.0.0.0/4", "::/128", "::1/128", "::ffff:0:0/96", "fe80::/10",
	"fec0::/10", "ff00::/8",
};
static const char *const documentation[] = {
	"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
	"3fff::/20",
};

struct mlist {
	struct prefix *v;
	unsigned n, cap;
};

static void add(struct mlist *m, const struct prefix *p)
{
	for (unsigned i = 0; i < m->n; i++)
		if (prefix_contains(&m->v[i], p))
			return; /* already covered */
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 32;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			abort();
	}
	m->v[m->n++] = *p;
}

static void add_host(struct mlist *m, const struct addr *a)
{
	static const uint8_t zero[16];
	struct prefix p;
	if (!a->afi || !memcmp(a->b, zero, sizeof(zero)))
		return; /* unset or unspecified (listen on any) */
	prefix_from_addr(&p, a, afi_maxlen(a->afi));
	add(m, &p);
}

int conf_api_addr(const char *l, struct addr *a)
{
	const char *colon = l ? strrchr(l, ':') : NULL;
	char host[64];
	if (!colon || colon == l || (size_t)(colon - l) >= sizeof(host))
		return -1;
	memcpy(host, l, (size_t)(colon - l));
	host[colon - l] = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	return addr_parse(host, a) == 0 ? 0 : -1;
}

/* Does the configuration use addresses inside p (then p is not a
 * martian here, whatever its RFC says)? */
static bool in_use(const struct conf *c, const struct prefix *p)
{
	struct addr a;
	for (unsigned i = 0; i < c->fabric.n_vnets; i++)
		for (unsigned j = 0; j < c->fabric.vnets[i].n_address_space; j++)
			if (prefix_overlaps(&c->fabric.vnets[i].address_space[j], p))
				return true;
	for (unsigned i = 0; i < c->rs.n_listen; i++)
		if (prefix_contains_addr(p, &c->rs.listen[i]))
			return true;
	for (unsigned i = 0; i < c->rs.n_peers; i++)
		if (prefix_contains_addr(p, &c->rs.peers[i].address))
			return true;
	if (c->rs.router_id.afi && prefix_contains_addr(p, &c->rs.router_id))
		return true;
	return conf_api_addr(c->api.listen, &a) == 0 &&
	       prefix_contains_addr(p, &a);
}

static void defaults(struct conf *c)
{
	struct mlist m = {0};
	struct prefix p;
	struct addr a;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (prefix_parse(fixed[i], &p) == 0)
			add(&m, &p);
	for (size_t i = 0; i < sizeof(documentation) / sizeof(documentation[0]); i++)
		if (prefix_parse(documentation[i], &p) == 0 && !in_use(c, &p))
			add(&m, &p);
	add_host(&m, &c->rs.router_id);
	for (unsigned i = 0; i < c->rs.n_listen; i++)
		add_host(&m, &c->rs.listen[i]);
	if (conf_api_addr(c->api.listen, &a) == 0)
		add_host(&m, &a);
	free(c->rs.martians);
	c->rs.martians = m.v;
	c->rs.n_martians = m.n;
}

/* The first-byte index policy_martian checks before the list. */
static void index_first(struct conf_rs *rs)
{
	memset(rs->martian_first, 0, sizeof(rs->martian_first));
	for (unsigned i = 0; i < rs->n_martians; i++) {
		const struct prefix *m = &rs->martians[i];
		unsigned lo = m->b[0], hi;
		if (m->afi != AFI_IPV4 && m->afi != AFI_IPV6)
			continue;
		hi = m->len >= 8 ? lo : lo | (0xffu >> m->len);
		for (unsigned b = lo; b <= hi; b++)
			rs->martian_first[m->afi - 1][b >> 3] |=
				(uint8_t)(1u << (b & 7));
	}
	rs->martian_index = true;
}

void conf_martians(struct conf *c, const struct ynode *rsn,
		   struct conf_diag *d)
{
	const struct ynode *list = ymap_get(rsn, "martians");

	if (!c->rs.martians_set) {
		defaults(c);
		index_first(&c->rs);
		return;
	}
	index_first(&c->rs);
	for (unsigned i = 0; i < c->rs.n_martians; i++) {
		const struct prefix *m = &c->rs.martians[i];
		const struct ynode *n = yseq_item(list, i);
		if (!n)
			n = list;
		if (!m->afi)
			continue; /* not a prefix: reported by the loader */
		if (m->len == 0)
			diag_err(d, n, "martian %s would refuse every route "
				 "(defaults are governed by accept_default)",
				 m->afi == AFI_IPV4 ? "0.0.0.0/0" : "::/0");
		for (unsigned j = 0; j < c->rs.n_peers; j++)
			if (m->len && prefix_contains_addr(m, &c->rs.peers[j].address))
				diag_warn(d, n, "martian range covers the address "
					  "of peer '%s'", c->rs.peers[j].name);
	}
}
