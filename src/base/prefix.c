/*
 * prefix.c - parsing, formatting and comparing addresses and prefixes.
 */
#include "base/prefix.h"

#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_parse(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a->b) != 1)
			return -1;
		a->afi = AFI_IPV6;
		return 0;
	}
	if (inet_pton(AF_INET, s, a->b) != 1)
		return -1;
	a->afi = AFI_IPV4;
	return 0;
}

char *addr_fmt(const struct addr *a, char *buf, size_t len)
{
	int af = a->afi == AFI_IPV6 ? AF_INET6 : AF_INET;
	if (!inet_ntop(af, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	return memcmp(a->b, b->b, a->afi == AFI_IPV6 ? 16 : 4);
}

bool addr_eq(const struct addr *a, const struct addr *b)
{
	return addr_cmp(a, b) == 0;
}

void prefix_from_addr(struct prefix *p, const struct addr *a, unsigned len)
{
	struct prefix t = {.afi = a->afi, .len = (uint8_t)len};

	memcpy(t.b, a->b, 16);
	prefix_norm(p, &t);
}

int prefix_parse(const char *s, struct prefix *p)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct addr a;
	unsigned long len;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = 0;
	if (addr_parse(tmp, &a) < 0)
		return -1;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > afi_maxlen(a.afi))
			return -1;
	} else {
		len = afi_maxlen(a.afi);
	}
	prefix_from_addr(p, &a, (unsigned)len);
	return memcmp(p->b, a.b, 16) ? -2 : 0;
}

char *prefix_fmt(const struct prefix *p, char *buf, size_t len)
{
	struct addr a = {.afi = p->afi};
	char tmp[ADDR_STRLEN];
	memcpy(a.b, p->b, 16);
	snprintf(buf, len, "%s/%u", addr_fmt(&a, tmp, sizeof(tmp)), p->len);
	return buf;
}

bool prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

/* ------------------------------------------------------ sockets */

socklen_t addr_to_sockaddr(const struct addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->afi == AFI_IPV6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->b, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->b, 4);
	return sizeof(*s4);
}

void addr_from_sockaddr(const struct sockaddr_storage *ss, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->afi = AFI_IPV4;
			memcpy(a->b, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			a->afi = AFI_IPV6;
			memcpy(a->b, &s6->sin6_addr, 16);
		}
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		a->afi = AFI_IPV4;
		memcpy(a->b, &s4->sin_addr, 4);
	}
}
