/*
 * api_assure.h - the routing-assurance endpoints of the control API
 * (api_assure.c): scheduled drills, what-if and the symmetry check.
 *
 *   GET  /api/v1/drills/schedule            every scheduled drill
 *   GET  /api/v1/drills/history/NAME        one schedule's runs and skips
 *   POST /api/v1/whatif                     what a change would do
 *                                 (token for kind config and route-table)
 *   GET  /api/v1/symmetry?nic=NIC&dst=IP    forward and return paths
 *   GET  /api/v1/symmetry?all=1             every pair of subnets
 */
#ifndef PHAROS_API_API_ASSURE_H
#define PHAROS_API_API_ASSURE_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api_int.h"

/* A what-if request may carry a whole configuration file. */
#define API_WHATIF_MAX_BODY (1024 * 1024)

/* The largest body a POST to url may have. */
size_t api_body_limit(const char *url);
/* True when rest (the path after /api/v1/) is one of ours. */
bool api_assure_match(const char *rest);
enum MHD_Result api_assure_route(struct api *api, struct MHD_Connection *con,
				 const char *rest, bool post, struct req *rq);

#endif
