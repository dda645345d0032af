/*
 * api_mrt.h - the MRT endpoint of the control API: GET /api/v1/mrt/rib
 * returns a TABLE_DUMP_V2 dump (RFC 6396) of every peer's accepted routes
 * as application/octet-stream, the file `pharosctl mrt dump` writes.
 */
#ifndef PHAROS_API_API_MRT_H
#define PHAROS_API_API_MRT_H

#include <microhttpd.h>
#include <stdbool.h>

struct api;

/* rest: the path after "/api/v1/mrt" ("" or "/..."). */
enum MHD_Result api_mrt_route(struct api *api, struct MHD_Connection *con,
			      const char *rest, bool post);

#endif
