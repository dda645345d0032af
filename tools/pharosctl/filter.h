/*
 * filter.h - the filters of `show routes` (--community, --as, --origin-as,
 * --family, --best): pharosctl applies them to the API's reply, keeping
 * the paths that match every filter given and the routes that keep a
 * path.
 */
#ifndef PHAROS_CTL_FILTER_H
#define PHAROS_CTL_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct route_filter {
	bool active; /* any filter given */
	bool best; /* best paths only */
	int family; /* 0 any, 4 IPv4, 6 IPv6 */
	char community[48]; /* "A:B" or "A:B:C" (large), "" none */
	bool have_as, have_origin;
	uint32_t as, origin_as;
};

void filter_init(struct route_filter *f);
/* If argv[0] is a filter option, take it (and its value) and return how
 * many arguments it used; 0 otherwise. A bad value is a usage error. */
int filter_option(struct route_filter *f, int argc, char **argv);
/* Drop from the "routes" array the paths that do not match, then the
 * routes without paths. */
void filter_routes(const struct route_filter *f, json_t *routes);

#endif
