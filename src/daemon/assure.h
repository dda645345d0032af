/*
 * assure.h - routing assurance in pharosd: what-if on a copy
 * (whatif.c) and the symmetry check of flows through stateful
 * appliances (symmetry.c). Scheduled drills are in drill_sched.h.
 */
#ifndef PHAROS_DAEMON_ASSURE_H
#define PHAROS_DAEMON_ASSURE_H

#include <jansson.h>

struct daemon;

/* POST /api/v1/whatif: {"kind":"peer-down","peer":NAME} |
 * {"kind":"config","config":TEXT} | {"kind":"route-table",
 * "route_tables":TEXT}. The reply (an {"error"} when *status is not
 * 200): {"kind","subnets":[per-subnet differences],"subnets_unchanged",
 * "routes":[{"prefix","before":route,"after":route|null}],
 * "routes_changed","lost_last_path":[prefix],"lost_last_path_count"}. */
json_t *assure_whatif(struct daemon *d, json_t *req, int *status);

/* GET /api/v1/symmetry: q holds the query's nic or from_ip, dst,
 * one_way and all (strings). See docs/api.md for the reply. */
json_t *assure_symmetry(struct daemon *d, json_t *q, int *status);

#endif
