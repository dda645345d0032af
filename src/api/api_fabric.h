/*
 * api_fabric.h - the fabric part of the control API (/api/v1/fabric...):
 * topology, effective routes of a NIC, trace, a subnet's table, its deltas
 * with long poll, a server-sent-event stream, agents' acks. Reached from
 * dispatch() in api.c; its waiting requests and streams are suspended
 * libmicrohttpd connections resumed from the fabric's commit listener or
 * a timer, all in the daemon's loop.
 */
#ifndef PHAROS_API_API_FABRIC_H
#define PHAROS_API_API_FABRIC_H

#include <microhttpd.h>
#include <stdbool.h>

struct api;
struct api_fabric;
struct req;

#define API_FABRIC_MAX_WAITERS 512 /* long polls held at once */
#define API_FABRIC_MAX_STREAMS 32 /* SSE streams open at once */
#define API_FABRIC_MAX_WAIT 60 /* seconds a long poll may be held */
#define API_FABRIC_KEEPALIVE 15.0 /* seconds between SSE comments */

/* Set up (after the MHD daemon started) and tear down (before it stops:
 * resumes every suspended connection). */
struct api_fabric *api_fabric_new(struct api *api);
void api_fabric_free(struct api *api);
/* rest: the URL after "/api/v1/fabric" ("" or "/..."). */
enum MHD_Result api_fabric_route(struct api *api, struct MHD_Connection *con,
				 const char *rest, bool post, struct req *rq);
/* A connection ended (MHD's completed callback). */
void api_fabric_completed(struct api *api, struct MHD_Connection *con);
/* Long polls held and SSE streams open right now (metrics). */
void api_fabric_held(const struct api *api, size_t *polls, size_t *streams);

#endif
