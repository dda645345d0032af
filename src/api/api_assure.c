/*
 * api_assure.c - scheduled drills' views, what-if and the symmetry check
 * over the control API (see api_assure.h). The work is the daemon's
 * (hooks); this file parses requests and shapes replies.
 */
#include "api/api_assure.h"

#include <string.h>

#define H(api) (&(api)->d->hooks)

size_t api_body_limit(const char *url)
{
	return !strcmp(url, API_PREFIX "whatif") ? API_WHATIF_MAX_BODY
						 : API_MAX_BODY;
}

bool api_assure_match(const char *rest)
{
	return !strcmp(rest, "drills/schedule") ||
	       !strncmp(rest, "drills/history/", 15) ||
	       !strcmp(rest, "whatif") || !strcmp(rest, "symmetry");
}

static const char *arg(struct MHD_Connection *con, const char *key)
{
	return MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, key);
}

static bool yes(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

static enum MHD_Result post_whatif(struct api *api, struct MHD_Connection *con,
				   struct req *rq)
{
	enum MHD_Result ret;
	int status = 500;
	json_t *body, *o;
	const char *kind;

	if (rq && rq->too_big)
		return reply_error(con, 413, "request body too large");
	body = rq && rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	kind = json_string_value(json_object_get(body, "kind"));
	/* peer-down only reads; a configuration makes pharosd load text
	 * (and the files it names): that takes the token */
	if ((!kind || strcmp(kind, "peer-down")) && check_auth(api, con, &ret)) {
		json_decref(body);
		return ret;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		return reply_error(con, 400, "body must be a JSON object "
				   "{\"kind\":\"peer-down\",\"peer\":NAME}, "
				   "{\"kind\":\"config\",\"config\":TEXT} or "
				   "{\"kind\":\"route-table\",\"route_tables\":TEXT}");
	}
	o = H(api)->whatif(H(api)->ctx, body, &status);
	json_decref(body);
	return reply_json(con, (unsigned)status, o);
}

static enum MHD_Result get_symmetry(struct api *api,
				    struct MHD_Connection *con)
{
	const char *nic = arg(con, "nic"), *dst = arg(con, "dst");
	const char *from = arg(con, "from_ip");
	bool every = yes(arg(con, "all")), one = yes(arg(con, "one_way"));
	int status = 500;
	json_t *q, *o;

	if (every ? nic || from || dst : !dst || !nic == !from)
		return reply_error(con, 400, "give dst=IP and one of nic=NIC or "
				   "from_ip=IP (one_way=1: one direction), "
				   "or all=1");
	q = json_pack("{s:b, s:b}", "all", every, "one_way", one);
	if (nic)
		json_object_set_new(q, "nic", json_string(nic));
	if (from)
		json_object_set_new(q, "from_ip", json_string(from));
	if (dst)
		json_object_set_new(q, "dst", json_string(dst));
	o = H(api)->symmetry(H(api)->ctx, q, &status);
	json_decref(q);
	return reply_json(con, (unsigned)status, o);
}

enum MHD_Result api_assure_route(struct api *api, struct MHD_Connection *con,
				 const char *rest, bool post, struct req *rq)
{
	json_t *o;

	if (!strcmp(rest, "whatif"))
		return post ? post_whatif(api, con, rq)
			    : reply_error(con, 405, "use POST for a what-if");
	if (post)
		return reply_error(con, 405, "method not allowed");
	if (!strcmp(rest, "symmetry"))
		return get_symmetry(api, con);
	if (!strcmp(rest, "drills/schedule"))
		return reply_json(con, 200, H(api)->drill_schedule(H(api)->ctx));
	o = H(api)->drill_history(H(api)->ctx, rest + 15);
	if (!o)
		return reply_error(con, 404, "no such scheduled drill");
	return reply_json(con, 200, o);
}
