/*
 * api_int.h - what the files of the control API share: the server state,
 * the per-request state of a POST, JSON replies and the token check. Each
 * area of the API (peers and routes in api.c, the fabric, operations)
 * keeps its handlers in its own file and is reached from dispatch() in
 * api.c by its path prefix.
 */
#ifndef PHAROS_API_API_INT_H
#define PHAROS_API_API_INT_H

#include <ev.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"

#define API_MAX_BODY 8192
#define API_PREFIX "/api/v1/"

struct api {
	struct api_host *d;
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer timer;
	struct api_fabric *fabric; /* fabric endpoints' state (api_fabric.c) */
	struct api_ops *ops; /* event streams (api_ops.c), NULL until one */
	/* Large replies in progress (api_stream.c). */
	struct api_slot *slots;
	size_t n_slots, slot_bytes;
	uint64_t slots_refused; /* 503s for want of a slot */
	char *tls_cert, *tls_key; /* PEM copies while the daemon runs (a
				   * reload frees the configuration's) */
};

/* Per-request state: the collected body of a POST. */
struct req {
	char *body;
	size_t len;
	bool too_big;
};

enum MHD_Result reply_json(struct MHD_Connection *con, unsigned status,
			   json_t *o);
enum MHD_Result reply_error(struct MHD_Connection *con, unsigned status,
			    const char *msg);
/* Check the bearer token of a state-changing request. Returns 0 when
 * allowed, else the HTTP status, with the error reply queued in *ret. */
int check_auth(struct api *api, struct MHD_Connection *con,
	       enum MHD_Result *ret);
/* Streamed replies (api_json.c): every route (only p's paths when p is
 * not NULL; at most limit prefixes, 0: all), p's adj-RIB-in, p's
 * adj-RIB-out. */
struct peer;
enum MHD_Result api_routes_reply(struct api *api, struct MHD_Connection *con,
				 const struct peer *p, size_t limit);
enum MHD_Result api_adj_in_reply(struct api *api, struct MHD_Connection *con,
				 const struct peer *p);
enum MHD_Result api_adj_out_reply(struct api *api, struct MHD_Connection *con,
				  const struct peer *p);
/* The same for what a host agent may do (acknowledge a version): the
 * agent token (api.agent_token_file) or the admin token. The agent token
 * gives no other right. */
int check_auth_agent(struct api *api, struct MHD_Connection *con,
		     enum MHD_Result *ret);
/* Make libmicrohttpd look at resumed connections in this loop turn. */
void api_kick(struct api *api);

#endif
