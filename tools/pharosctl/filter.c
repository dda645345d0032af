/*
 * filter.c - the filters of `show routes` (filter.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl.h"
#include "filter.h"

void filter_init(struct route_filter *f)
{
	memset(f, 0, sizeof(*f));
}

static uint32_t parse_asn(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	if (!strncasecmp(s, "AS", 2))
		s += 2;
	v = strtoul(s, &end, 10);
	if (!*s || *end || v > UINT32_MAX)
		usage_die("%s: not an AS number: %s", opt, s);
	return (uint32_t)v;
}

/* "65000:100", a well-known name, or a large community "A:B:C". */
static void parse_community(struct route_filter *f, const char *s)
{
	unsigned long a, b, c;
	uint32_t v;
	char end;

	if (community_parse(s, &v) == 0) {
		snprintf(f->community, sizeof(f->community), "%u:%u", v >> 16,
			 v & 0xffff);
		return;
	}
	if (sscanf(s, "%lu:%lu:%lu%c", &a, &b, &c, &end) == 3 &&
	    a <= UINT32_MAX && b <= UINT32_MAX && c <= UINT32_MAX) {
		snprintf(f->community, sizeof(f->community), "%lu:%lu:%lu", a,
			 b, c);
		return;
	}
	usage_die("--community: not a community: %s (A:B, A:B:C or a "
		  "well-known name)", s);
}

int filter_option(struct route_filter *f, int argc, char **argv)
{
	const char *o = argv[0];

	if (!strcmp(o, "--best")) {
		f->best = f->active = true;
		return 1;
	}
	if (strcmp(o, "--community") && strcmp(o, "--as") &&
	    strcmp(o, "--origin-as") && strcmp(o, "--family"))
		return 0;
	if (argc < 2)
		usage_die("%s needs a value", o);
	f->active = true;
	if (!strcmp(o, "--community")) {
		parse_community(f, argv[1]);
	} else if (!strcmp(o, "--as")) {
		f->as = parse_asn(o, argv[1]);
		f->have_as = true;
	} else if (!strcmp(o, "--origin-as")) {
		f->origin_as = parse_asn(o, argv[1]);
		f->have_origin = true;
	} else if (!strcmp(argv[1], "ipv4") || !strcmp(argv[1], "ipv6")) {
		f->family = argv[1][3] - '0';
	} else {
		usage_die("--family: ipv4 or ipv6, not %s", argv[1]);
	}
	return 2;
}

static bool in_strings(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static bool path_matches(const struct route_filter *f, json_t *p)
{
	json_t *asp = json_object_get(p, "as_path"), *v;
	size_t i, n = json_array_size(asp);
	bool seen = false;

	if (f->best && !json_is_true(json_object_get(p, "best")))
		return false;
	if (f->community[0] &&
	    !in_strings(json_object_get(p, strchr(strchr(f->community, ':') + 1, ':')
						   ? "large_communities"
						   : "communities"),
			f->community))
		return false;
	if (f->have_as) {
		json_array_foreach(asp, i, v)
			seen |= (uint32_t)json_integer_value(v) == f->as;
		if (!seen)
			return false;
	}
	if (f->have_origin &&
	    (!n || (uint32_t)json_integer_value(json_array_get(asp, n - 1)) !=
			   f->origin_as))
		return false;
	return true;
}

void filter_routes(const struct route_filter *f, json_t *routes)
{
	size_t i = 0;

	while (i < json_array_size(routes)) {
		json_t *r = json_array_get(routes, i);
		const char *pfx = json_string_value(json_object_get(r, "prefix"));
		json_t *paths = json_object_get(r, "paths");
		bool v6 = pfx && strchr(pfx, ':');
		size_t k = 0;

		if (f->family && (f->family == 6) != v6) {
			json_array_remove(routes, i);
			continue;
		}
		while (k < json_array_size(paths)) {
			if (path_matches(f, json_array_get(paths, k)))
				k++;
			else
				json_array_remove(paths, k);
		}
		if (json_array_size(paths))
			i++;
		else
			json_array_remove(routes, i);
	}
}
