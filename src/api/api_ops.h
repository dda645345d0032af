/*
 * api_ops.h - the operations endpoints of the control API: reload,
 * failover drills and the server-sent event stream (api_ops.c).
 *
 *   POST /api/v1/reload                   (token)
 *   POST /api/v1/drills                   (token) start a drill
 *   GET  /api/v1/drills                   every kept drill
 *   GET  /api/v1/drills/ID                one drill: timeline, checks, score
 *   GET  /api/v1/drills/ID/report.svg     its timeline chart
 *   GET  /api/v1/events/stream[?history=N]  events as they happen (SSE)
 */
#ifndef PHAROS_API_API_OPS_H
#define PHAROS_API_API_OPS_H

#include <stdbool.h>

#include "api/api_int.h"

#define API_OPS_MAX_STREAMS 16 /* event streams open at once */
#define API_OPS_KEEPALIVE 15.0 /* seconds between SSE comments */

struct api_ops;

/* True when rest (the path after /api/v1/) is one of ours. */
bool api_ops_match(const char *rest);
enum MHD_Result api_ops_route(struct api *api, struct MHD_Connection *con,
			      const char *rest, bool post, struct req *rq);
/* Resume and detach every stream (before MHD_stop_daemon). */
void api_ops_free(struct api *api);

#endif
