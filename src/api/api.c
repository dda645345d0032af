/*
 * api.c - the HTTP server of the control API (see api.h): libmicrohttpd in
 * external-select mode with its epoll fd watched by the daemon's libev
 * loop, request routing, bearer-token checks and JSON error replies.
 *
 * Request size: libmicrohttpd keeps a request's line and headers in a
 * per-connection pool of API_CONN_MEMORY bytes; a request that does not
 * fit is answered by libmicrohttpd itself (414 or 431, no JSON, no log
 * line). Below that, the handler refuses URLs (path and query) over
 * API_MAX_URL and headers over API_MAX_HEADERS with a JSON error and a
 * log line, like every other refusal.
 *
 * Connections: at most API_PER_ADDR_CONNECTIONS from one client address
 * and API_MAX_CONNECTIONS in all (bounded by the process's file limit);
 * libmicrohttpd closes the ones beyond at once. A connection that moves
 * no byte for API_IDLE_TIMEOUT seconds is closed (a suspended long poll
 * or event stream waits for news, not for its client, and is exempt).
 * Large replies are streamed and limited (api_stream.h).
 */
#include "api/api.h"
#include "api/api_int.h"
#include "api/api_parse.h"
#include "api/api_fabric.h"
#include "api/api_ops.h"
#include "api/api_assure.h"
#include "api/api_mrt.h"
#include "api/api_web.h"
#include "api/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "session/fsm.h"
#include "session/peer.h"

#define API_MAX_URL 8192u /* bytes of path plus query */
#define API_MAX_HEADERS 16384u /* bytes of all header names and values */
#define API_CONN_MEMORY (256u * 1024) /* libmicrohttpd's pool per connection */
#define API_IDLE_TIMEOUT 15 /* s without a byte either way: closed */
#define API_MAX_CONNECTIONS 512 /* open at once, all clients */
#define API_PER_ADDR_CONNECTIONS 32 /* open at once, one client address */

/* Each API connection carries the api as its socket context, so that
 * reply_error can log. */
static void api_notify_connection(void *cls, struct MHD_Connection *con,
				  void **socket_context,
				  enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = cls;
}

/* ------------------------------------------------------ handlers */

static enum MHD_Result peer_action(struct api *api, struct MHD_Connection *con,
				   struct peer *p, const char *action,
				   struct req *rq)
{
	struct api_host *d = api->d;
	char err[256] = "";
	char msg[256] = "";
	enum MHD_Result ret;
	int rc;

	if (check_auth(api, con, &ret))
		return ret;
	if (rq && rq->too_big)
		return reply_error(con, 413, "request body too large");
	if (!strcmp(action, "disable") && rq && rq->len &&
	    api_parse_disable_body(rq->body, rq->len, msg, sizeof(msg), err,
				   sizeof(err)) < 0)
		return reply_error(con, 400, err);
	if (!strcmp(action, "disable"))
		rc = peer_disable(p, msg, err, sizeof(err));
	else if (!strcmp(action, "enable"))
		rc = peer_enable(p, err, sizeof(err));
	else if (!strcmp(action, "refresh"))
		rc = peer_refresh(p, err, sizeof(err));
	else if (!strcmp(action, "clear"))
		rc = peer_clear(p, err, sizeof(err));
	else
		return reply_error(con, 404, "unknown peer action");
	if (rc < 0)
		return reply_error(con, 409, err);
	return reply_json(con, 200, json_pack("{s:s, s:s, s:o}", "result", "ok",
					      "action", action, "peer",
					      api_peer_json(d, p)));
}

static enum MHD_Result get_routes(struct api *api, struct MHD_Connection *con)
{
	char err[256];
	const char *lim = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
						      "limit");
	const char *prefix = MHD_lookup_connection_value(
		con, MHD_GET_ARGUMENT_KIND, "prefix");
	const char *peer = MHD_lookup_connection_value(
		con, MHD_GET_ARGUMENT_KIND, "peer");
	const struct peer *p = NULL;
	json_t *o;

	if (!prefix) { /* the whole table: streamed */
		if (peer && !(p = session_peer_by_name(api->d->sess, peer))) {
			snprintf(err, sizeof(err), "no such peer: %s", peer);
			return reply_error(con, 404, err);
		}
		return api_routes_reply(api, con, p,
					lim ? strtoul(lim, NULL, 10) : 0);
	}
	o = api_routes_json(
		api->d, prefix,
		MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "match"),
		peer, lim ? strtoul(lim, NULL, 10) : 0, err, sizeof(err));
	if (!o)
		return reply_error(con, strncmp(err, "no such peer", 12) ? 400 : 404,
				   err);
	return reply_json(con, 200, o);
}

static enum MHD_Result get_refused(struct api *api, struct MHD_Connection *con)
{
	char err[256];
	const char *lim = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
						      "limit");
	unsigned long n = lim ? strtoul(lim, NULL, 10) : 0;
	json_t *o = api_refused_json(
		api->d, MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "peer"),
		n > 100000 ? 100000 : n, err, sizeof(err));

	if (!o)
		return reply_error(con, strncmp(err, "no such peer", 12) ? 500 : 404,
				   err);
	return reply_json(con, 200, o);
}

static enum MHD_Result get_events(struct api *api, struct MHD_Connection *con)
{
	const char *lim = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
						      "limit");
	const char *type = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
						       "type");
	json_t *a;

	events_flush_limited(api->d->events);
	a = events_json(api->d->events, lim ? strtoul(lim, NULL, 10) : 0,
				type);

	return reply_json(con, 200, json_pack("{s:o}", "events", a));
}

static enum MHD_Result reply_metrics(struct api *api, struct MHD_Connection *con)
{
	char *text = api_metrics_text(api->d);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!text)
		return reply_error(con, 500, "out of memory");
	r = MHD_create_response_from_buffer(strlen(text), text,
					    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* /api/v1/peers/NAME[/SUB] */
static enum MHD_Result peers_path(struct api *api, struct MHD_Connection *con,
				  const char *rest, bool post, struct req *rq)
{
	char name[128], msg[200];
	const char *sub;
	struct peer *p;

	if (api_parse_peer_path(rest, name, sizeof(name), &sub) < 0)
		return reply_error(con, 404, "no such peer");
	p = session_peer_by_name(api->d->sess, name);
	if (!p) {
		snprintf(msg, sizeof(msg), "no such peer: %s", name);
		return reply_error(con, 404, msg);
	}
	if (post)
		return peer_action(api, con, p, sub, rq);
	if (!*sub)
		return reply_json(con, 200, api_peer_json(api->d, p));
	if (!strcmp(sub, "adj-in"))
		return api_adj_in_reply(api, con, p);
	if (!strcmp(sub, "adj-out"))
		return api_adj_out_reply(api, con, p);
	if (!strcmp(sub, "disable") || !strcmp(sub, "enable") ||
	    !strcmp(sub, "refresh") || !strcmp(sub, "clear"))
		return reply_error(con, 405, "use POST for this action");
	return reply_error(con, 404, "unknown peer resource");
}

static enum MHD_Result dispatch(struct api *api, struct MHD_Connection *con,
				const char *url, bool post, struct req *rq)
{
	const char *rest;

	if (!strcmp(url, "/metrics"))
		return post ? reply_error(con, 405, "method not allowed")
			    : reply_metrics(api, con);
	if (api_web_match(url)) /* the web console (api_web.c) */
		return api_web_reply(api, con, url, post);
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)))
		return reply_error(con, 404, "unknown path");
	rest = url + strlen(API_PREFIX);
	if (!strncmp(rest, "peers/", 6))
		return peers_path(api, con, rest + 6, post, rq);
	if (!strncmp(rest, "fabric", 6) && (!rest[6] || rest[6] == '/'))
		return api_fabric_route(api, con, rest + 6, post, rq);
	if (api_assure_match(rest))
		return api_assure_route(api, con, rest, post, rq);
	if (api_ops_match(rest))
		return api_ops_route(api, con, rest, post, rq);
	if (!strncmp(rest, "mrt", 3) && (!rest[3] || rest[3] == '/'))
		return api_mrt_route(api, con, rest + 3, post);
	if (post)
		return reply_error(con, 405, "method not allowed");
	if (!strcmp(rest, "status"))
		return reply_json(con, 200, api_status_json(api->d));
	if (!strcmp(rest, "peers") || !strcmp(rest, "peers/"))
		return reply_json(con, 200, api_peers_json(api->d));
	if (!strcmp(rest, "routes"))
		return get_routes(api, con);
	if (!strcmp(rest, "routes/refused"))
		return get_refused(api, con);
	if (!strcmp(rest, "events"))
		return get_events(api, con);
	return reply_error(con, 404, "unknown path");
}

static enum MHD_Result count_bytes(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	size_t *n = cls;

	*n += strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	return MHD_YES;
}

/* 414 or 431 (as JSON, logged) when the URL or the headers are over the
 * API's limits, with *ret set; false when the request may go on. */
static bool too_large(struct MHD_Connection *con, const char *url,
		      enum MHD_Result *ret)
{
	size_t ulen = strlen(url), hlen = 0;
	char msg[96];

	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, count_bytes,
				  &ulen);
	if (ulen > API_MAX_URL) {
		snprintf(msg, sizeof(msg), "URL too long (%zu bytes, limit %u)",
			 ulen, API_MAX_URL);
		*ret = reply_error(con, 414, msg);
		return true;
	}
	MHD_get_connection_values(con, MHD_HEADER_KIND, count_bytes, &hlen);
	if (hlen > API_MAX_HEADERS) {
		snprintf(msg, sizeof(msg), "request headers too large (%zu "
			 "bytes, limit %u)", hlen, API_MAX_HEADERS);
		*ret = reply_error(con, 431, msg);
		return true;
	}
	return false;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *con,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct api *api = cls;
	struct req *rq = *con_cls;
	bool post = !strcmp(method, "POST");
	enum MHD_Result ret;

	if (!rq && too_large(con, url, &ret))
		return ret;
	if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_error(con, 405, "method not allowed");
	if (!post)
		return dispatch(api, con, url, false, NULL);
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > api_body_limit(url)) {
			rq->too_big = true;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rq->len, upload, *upload_size);
			rq->body = nb;
			rq->len += *upload_size;
			rq->body[rq->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(api, con, url, true, rq);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	api_fabric_completed(cls, con);
	metrics_api_completed(cls, con);
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* ------------------------------------------------------ loop glue */

static void api_schedule(struct api *api)
{
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(api->d->loop, &api->timer);
	if (MHD_get_timeout(api->mhd, &ms) == MHD_YES) {
		ev_timer_set(&api->timer, ms / 1000.0, 0);
		ev_timer_start(api->d->loop, &api->timer);
	}
}

static void api_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct api *api = w->data;

	MHD_run(api->mhd);
	api_schedule(api);
}

static void api_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct api *api = w->data;

	MHD_run(api->mhd);
	api_schedule(api);
}

static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[128];
	const char *colon;
	unsigned long port;
	struct addr a;

	if (!s)
		s = "127.0.0.1:8179";
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
	}
	port = strtoul(colon + 1, NULL, 10);
	if (port == 0 || port > 65535 || addr_parse(host, &a) < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (a.afi == AFI_IPV6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a.b, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a.b, 4);
	}
	return (int)port;
}

/* At most API_MAX_CONNECTIONS, and never more than half the files the
 * process may open: the rest is for BGP, MRT and the events file. */
static unsigned api_connection_limit(void)
{
	struct rlimit rl;
	unsigned n = API_MAX_CONNECTIONS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 2 < n)
		n = (unsigned)(rl.rlim_cur / 2);
	return n ? n : 1;
}

struct api *api_start(struct api_host *d)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct api *api;
	int port = parse_listen(d->conf->api.listen, &ss);
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;

	if (port < 0) {
		log_err(d->log, NULL, "api.listen: bad address %s",
			d->conf->api.listen);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	api = calloc(1, sizeof(*api));
	if (!api)
		return NULL;
	api->d = d;
	/* HTTPS when api.tls_cert and api.tls_key are set (GnuTLS inside
	 * libmicrohttpd); the PEM texts were read with the configuration */
	if (d->conf->api.tls_cert_pem && d->conf->api.tls_key_pem) {
		api->tls_cert = strdup(d->conf->api.tls_cert_pem);
		api->tls_key = strdup(d->conf->api.tls_key_pem);
	}
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, api->tls_cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, api->tls_key},
		{MHD_OPTION_END, 0, NULL},
	};
	if (api->tls_cert && api->tls_key) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_err(d->log, NULL, "api.tls_cert: this libmicrohttpd "
				"has no TLS support");
			free(api->tls_cert);
			free(api->tls_key);
			free(api);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	} else {
		tls[0].option = MHD_OPTION_END;
	}
	api->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler,
				    api, MHD_OPTION_ARRAY, tls,
				    MHD_OPTION_SOCK_ADDR, &ss,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, api,
				    MHD_OPTION_NOTIFY_CONNECTION,
				    api_notify_connection, api,
				    MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned)API_IDLE_TIMEOUT,
				    MHD_OPTION_CONNECTION_LIMIT,
				    api_connection_limit(),
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				    (unsigned)API_PER_ADDR_CONNECTIONS,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				    (size_t)API_CONN_MEMORY,
				    MHD_OPTION_END);
	if (!api->mhd) {
		log_err(d->log, NULL, "cannot start the API on %s",
			d->conf->api.listen ? d->conf->api.listen
					    : "127.0.0.1:8179");
		free(api->tls_cert);
		free(api->tls_key);
		free(api);
		return NULL;
	}
	info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ev_io_init(&api->io, api_io_cb, info->epoll_fd, EV_READ);
	api->io.data = api;
	ev_io_start(d->loop, &api->io);
	ev_timer_init(&api->timer, api_timer_cb, 0, 0);
	api->timer.data = api;
	api->fabric = api_fabric_new(api);
	log_info(d->log, NULL, "API listening on %s%s",
		 d->conf->api.listen ? d->conf->api.listen : "127.0.0.1:8179",
		 flags & MHD_USE_TLS ? " (HTTPS)" : "");
	return api;
}

void api_stop(struct api *api)
{
	if (!api)
		return;
	ev_io_stop(api->d->loop, &api->io);
	ev_timer_stop(api->d->loop, &api->timer);
	api_fabric_free(api);
	api_ops_free(api);
	MHD_stop_daemon(api->mhd);
	free(api->tls_cert);
	free(api->tls_key);
	free(api);
}
