/*
 * api_reply.c - what every area of the control API shares (api_int.h):
 * JSON and error replies (each refused request leaves a log line), the
 * bearer-token check of state-changing requests, and the kick that makes
 * libmicrohttpd look at resumed connections in this loop turn.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonfmt.h"
#include "api/api.h"
#include "api/api_int.h"

/* ------------------------------------------------------ replies */

enum MHD_Result reply_json(struct MHD_Connection *con, unsigned status,
			   json_t *o)
{
	char *s = json_dumps(o, PHAROS_JSON_DUMP);
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(o);
	if (!s)
		s = strdup("{\"error\":\"cannot encode reply\"}");
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_error(struct MHD_Connection *con, unsigned status,
			    const char *msg)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct api *api = ci ? ci->socket_context : NULL;

	if (api) /* every refused request leaves a log line (docs/security.md) */
		log_warn(api->d->log, NULL, "API request refused (%u): %s",
			 status, msg);
	return reply_json(con, status, json_pack("{s:s}", "error", msg));
}

/* ------------------------------------------------------ auth */

static bool token_eq(const char *given, const char *want)
{
	size_t gl = strlen(given), wl = strlen(want);
	unsigned diff;

	while (wl && (want[wl - 1] == '\n' || want[wl - 1] == '\r' ||
		      want[wl - 1] == ' ' || want[wl - 1] == '\t'))
		wl--;
	diff = gl != wl;
	for (size_t i = 0; i < gl && i < wl; i++)
		diff |= (unsigned)(given[i] ^ want[i]);
	return diff == 0 && wl > 0;
}

int check_auth(struct api *api, struct MHD_Connection *con,
	       enum MHD_Result *ret)
{
	const char *token = api->d->conf->api.token;
	const char *h = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						    "Authorization");

	if (!token || !*token) {
		*ret = reply_error(con, MHD_HTTP_FORBIDDEN,
				   "changes over the API are disabled: set "
				   "api.token_file in the configuration");
		return 403;
	}
	if (!h || strncmp(h, "Bearer ", 7) || !token_eq(h + 7, token)) {
		*ret = reply_error(con, MHD_HTTP_UNAUTHORIZED,
				   h ? "wrong API token" : "missing API token "
				   "(Authorization: Bearer TOKEN)");
		return 401;
	}
	return 0;
}

int check_auth_agent(struct api *api, struct MHD_Connection *con,
		     enum MHD_Result *ret)
{
	const char *agent = api->d->conf->api.agent_token;
	const char *h = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						    "Authorization");

	if (agent && *agent && h && !strncmp(h, "Bearer ", 7) &&
	    token_eq(h + 7, agent))
		return 0;
	return check_auth(api, con, ret);
}

/* ------------------------------------------------------ loop */

void api_kick(struct api *api)
{
	ev_timer_stop(api->d->loop, &api->timer);
	ev_timer_set(&api->timer, 0., 0.);
	ev_timer_start(api->d->loop, &api->timer);
}
