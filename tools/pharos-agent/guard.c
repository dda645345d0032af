/*
 * guard.c - pharos-agent's own martian guard.
 *
 * Whatever a route server answers, some routes must never reach the
 * host's kernel: a default route (unless --allow-default), or one so short
 * it is a default in disguise (0.0.0.0/1 + 128.0.0.0/1); loopback,
 * this-network, link-local, multicast and class E ranges; a route that
 * would take over the path to the route server itself; a route that would
 * take over one of the host's own addresses. The guard runs on the set to
 * be installed, after the union of the servers' answers, so a compromised
 * or mistaken server cannot cut the host off. ag_guard_check() is pure
 * (unit tested); ag_guard_host() reads the host's addresses.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"

/* Ranges no host route may fall in (RFC 6890 special-purpose ranges a
 * route server has no business programming into a host). */
static const char *const fixed[] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
	"240.0.0.0/4", "::/128", "::1/128", "::ffff:0:0/96", "fe80::/10",
	"ff00::/8",
};

static const char *in_fixed(const struct prefix *p)
{
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct prefix m;
		if (prefix_parse(fixed[i], &m) == 0 && prefix_contains(&m, p))
			return "inside a special-purpose range (loopback, "
			       "link-local, multicast, class E, this-network)";
	}
	return NULL;
}

/* The length of the host's on-link prefix holding a, 0 when none. */
static unsigned onlink_len(const struct ag_guard *g, const struct addr *a)
{
	unsigned best = 0;
	for (size_t i = 0; i < g->n_own; i++) {
		struct prefix net;
		if (g->own[i].a.afi != a->afi)
			continue;
		prefix_from_addr(&net, &g->own[i].a, g->own[i].plen);
		if (prefix_contains_addr(&net, a) && g->own[i].plen > best)
			best = g->own[i].plen;
	}
	return best;
}

const char *ag_guard_check(const struct ag_guard *g, const struct prefix *p)
{
	const char *why;
	if (p->len == 0 && !g->allow_default)
		return "default route (--allow-default not given)";
	if (!g->allow_default && p->len < (p->afi == AFI_IPV4 ? 8 : 16))
		return "covers too much: a default route in disguise";
	if ((why = in_fixed(p)))
		return why;
	if (p->len == 0)
		return NULL; /* --allow-default: the operator's choice */
	for (size_t i = 0; i < g->n_srv; i++) {
		if (!prefix_contains_addr(p, &g->srv[i]))
			continue;
		/* shorter than the on-link prefix that reaches the server,
		 * it cannot take that path over */
		unsigned ol = onlink_len(g, &g->srv[i]);
		if (!ol || p->len >= ol)
			return "covers the route server's address";
	}
	for (size_t i = 0; i < g->n_own; i++)
		if (prefix_contains_addr(p, &g->own[i].a) &&
		    p->len >= g->own[i].plen)
			return "covers one of the host's own addresses";
	return NULL;
}

void ag_guard_filter(const struct ag_guard *g, struct ag_rset *set,
		     ag_guard_cb refused, void *arg)
{
	size_t k = 0;
	for (size_t i = 0; i < set->n; i++) {
		const char *why = ag_guard_check(g, &set->v[i].pfx);
		if (why) {
			if (refused)
				refused(&set->v[i], why, arg);
			continue;
		}
		set->v[k++] = set->v[i];
	}
	set->n = k;
}

void ag_guard_add_server(struct ag_guard *g, const struct addr *a)
{
	for (size_t i = 0; i < g->n_srv; i++)
		if (addr_eq(&g->srv[i], a))
			return;
	if (g->n_srv < AG_GUARD_MAXSRV)
		g->srv[g->n_srv++] = *a;
}

static unsigned mask_len(const uint8_t *b, size_t n)
{
	unsigned len = 0;
	for (size_t i = 0; i < n && b[i] == 0xff; i++)
		len += 8;
	if (len < n * 8)
		for (uint8_t x = b[len / 8]; x & 0x80; x = (uint8_t)(x << 1))
			len++;
	return len;
}

int ag_guard_host(struct ag_guard *g)
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) != 0)
		return -1;
	g->n_own = 0;
	for (i = ifa; i && g->n_own < AG_GUARD_MAXOWN; i = i->ifa_next) {
		struct ag_own *o = &g->own[g->n_own];
		if (!i->ifa_addr || !i->ifa_netmask)
			continue;
		memset(o, 0, sizeof(*o));
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)i->ifa_addr;
			const struct sockaddr_in *m = (const void *)i->ifa_netmask;
			o->a.afi = AFI_IPV4;
			memcpy(o->a.b, &s->sin_addr, 4);
			o->plen = (uint8_t)mask_len((const uint8_t *)&m->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)i->ifa_addr;
			const struct sockaddr_in6 *m = (const void *)i->ifa_netmask;
			o->a.afi = AFI_IPV6;
			memcpy(o->a.b, &s->sin6_addr, 16);
			o->plen = (uint8_t)mask_len(m->sin6_addr.s6_addr, 16);
		} else {
			continue;
		}
		g->n_own++;
	}
	freeifaddrs(ifa);
	return 0;
}
