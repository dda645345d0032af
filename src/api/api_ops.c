/*
 * api_ops.c - reload, drills and the event stream over the control API
 * (see api_ops.h).
 *
 * The event stream is server-sent events from a content-reader callback:
 * a stream with nothing to send suspends its connection; a prepare
 * watcher of the loop resumes the suspended ones when the events total
 * moved, and a timer sends a comment now and then so that a client that
 * went away is noticed. Everything runs in the daemon's loop.
 */
#include "base/jsonfmt.h"
#include "api/api_ops.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>


struct stream {
	struct api_ops *ops; /* NULL once the API stops */
	struct MHD_Connection *con;
	uint64_t seen; /* events_total() already sent */
	bool suspended, ping;
	char *buf;
	size_t len, off, cap;
	struct stream *next;
};

struct api_ops {
	struct api *api;
	struct stream *streams;
	size_t n_streams;
	uint64_t last_total;
	ev_prepare prep;
	ev_timer keepalive;
};

/* ------------------------------------------------------ streams */

static void resume_all(struct api_ops *o, bool ping)
{
	bool any = false;

	for (struct stream *s = o->streams; s; s = s->next) {
		s->ping |= ping;
		if (s->suspended) {
			s->suspended = false;
			MHD_resume_connection(s->con);
			any = true;
		}
	}
	if (any)
		api_kick(o->api);
}

static void prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct api_ops *o = w->data;
	uint64_t total = events_total(o->api->d->events);

	if (total != o->last_total) {
		o->last_total = total;
		resume_all(o, false);
	}
}

static void keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	resume_all(w->data, true);
}

static struct api_ops *ops_get(struct api *api)
{
	struct api_ops *o = api->ops;

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->api = api;
	o->last_total = events_total(api->d->events);
	ev_prepare_init(&o->prep, prep_cb);
	ev_set_priority(&o->prep, EV_MINPRI);
	ev_timer_init(&o->keepalive, keepalive_cb, API_OPS_KEEPALIVE,
		      API_OPS_KEEPALIVE);
	o->prep.data = o->keepalive.data = o;
	api->ops = o;
	return o;
}

static int sbuf_add(struct stream *s, const char *a, size_t n)
{
	if (s->off == s->len)
		s->off = s->len = 0;
	if (s->len + n > s->cap) {
		size_t nc = (s->len + n) * 2;
		char *nb = realloc(s->buf, nc);
		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = nc;
	}
	memcpy(s->buf + s->len, a, n);
	s->len += n;
	return 0;
}

/* Queue every event emitted since s->seen, one "data:" block each. */
static void stream_fill(struct stream *s)
{
	struct events *ev = s->ops->api->d->events;
	uint64_t total = events_total(ev), n = total - s->seen;
	json_t *a, *e;
	size_t i;

	if (n == 0) {
		if (s->ping)
			sbuf_add(s, ": keepalive\n\n", 13);
		s->ping = false;
		return;
	}
	a = events_json(ev, (size_t)(n > 100000 ? 100000 : n), NULL);
	json_array_foreach(a, i, e) {
		char *js = json_dumps(e, PHAROS_JSON_DUMP);
		char id[40];
		json_t *seq = json_object_get(e, "seq");

		if (js && json_is_integer(seq)) {
			/* The event's seq as the SSE id, so that a client that
			 * reconnects with Last-Event-ID resumes after it. */
			int idlen = snprintf(id, sizeof(id), "id: %lld\n",
					 (long long)json_integer_value(seq));
			sbuf_add(s, id, (size_t)idlen);
		}
		if (js) {
			sbuf_add(s, "data: ", 6);
			sbuf_add(s, js, strlen(js));
			sbuf_add(s, "\n\n", 2);
			free(js);
		}
	}
	json_decref(a);
	s->seen = total;
	s->ping = false;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	if (!s->ops)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off == s->len)
		stream_fill(s);
	if (s->off == s->len) {
		s->suspended = true;
		MHD_suspend_connection(s->con);
		return 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	struct api_ops *o = s->ops;

	if (o) {
		for (struct stream **pp = &o->streams; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				o->n_streams--;
				break;
			}
		if (!o->n_streams) {
			ev_prepare_stop(o->api->d->loop, &o->prep);
			ev_timer_stop(o->api->d->loop, &o->keepalive);
		}
	}
	free(s->buf);
	free(s);
}

static enum MHD_Result get_stream(struct api *api, struct MHD_Connection *con)
{
	struct api_ops *o = ops_get(api);
	const char *h = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND,
						    "history");
	const char *last;
	uint64_t total = events_total(api->d->events), back;
	struct MHD_Response *r;
	struct stream *s;
	enum MHD_Result ret;

	if (!o)
		return reply_error(con, 500, "out of memory");
	if (o->n_streams >= API_OPS_MAX_STREAMS)
		return reply_error(con, 503, "too many event streams");
	s = calloc(1, sizeof(*s));
	if (!s)
		return reply_error(con, 500, "out of memory");
	back = h ? strtoull(h, NULL, 10) : 0;
	s->ops = o;
	s->con = con;
	s->seen = back < total ? total - back : 0;
	/* Last-Event-ID: resume after that event (the ring still holds what
	 * it holds; an id from before a restart of pharosd sends all). */
	last = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Last-Event-ID");
	if (last && *last) {
		char *end;
		unsigned long long id = strtoull(last, &end, 10);

		if (*end)
			id = 0;
		s->seen = id <= total ? id : 0;
	}
	sbuf_add(s, ": pharos events\n\n", 17);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
					      stream_read, s, stream_free);
	if (!r) {
		free(s->buf);
		free(s);
		return reply_error(con, 500, "out of memory");
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	s->next = o->streams;
	o->streams = s;
	o->n_streams++;
	o->last_total = total;
	ev_prepare_start(api->d->loop, &o->prep);
	ev_timer_start(api->d->loop, &o->keepalive);
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}

void api_ops_free(struct api *api)
{
	struct api_ops *o = api ? api->ops : NULL;

	if (!o)
		return;
	api->ops = NULL;
	ev_prepare_stop(api->d->loop, &o->prep);
	ev_timer_stop(api->d->loop, &o->keepalive);
	for (struct stream *s = o->streams; s; s = s->next) {
		if (s->suspended)
			MHD_resume_connection(s->con);
		s->suspended = false;
		s->ops = NULL; /* stream_free() frees it alone */
	}
	free(o);
}

/* ------------------------------------------------------ reload, drills */

/* The daemon's hooks. */
#define H(api) (&(api)->d->hooks)

static enum MHD_Result post_reload(struct api *api, struct MHD_Connection *con)
{
	const char *chk;
	enum MHD_Result ret;
	int status = 500;
	json_t *o;

	if (check_auth(api, con, &ret))
		return ret;
	chk = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "check");
	o = H(api)->reload(H(api)->ctx,
			   chk && (!strcmp(chk, "1") || !strcmp(chk, "true")),
			   &status);
	return reply_json(con, (unsigned)status, o);
}

static enum MHD_Result post_drill(struct api *api, struct MHD_Connection *con,
				  struct req *rq)
{
	enum MHD_Result ret;
	json_t *body;
	char err[256] = "";
	int status = 500;
	unsigned id;

	if (check_auth(api, con, &ret))
		return ret;
	if (rq && rq->too_big)
		return reply_error(con, 413, "request body too large");
	body = rq && rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		return reply_error(con, 400, "body must be a JSON object "
				   "{\"type\":\"peer-down\",\"peer\":NAME,...}");
	}
	id = H(api)->drill_start(H(api)->ctx, body, &status, err, sizeof(err));
	json_decref(body);
	if (!id)
		return reply_error(con, (unsigned)status, err);
	return reply_json(con, (unsigned)status,
			  H(api)->drill_json(H(api)->ctx, id));
}

static enum MHD_Result reply_svg(struct MHD_Connection *con, char *svg)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!svg)
		return reply_error(con, 500, "out of memory");
	r = MHD_create_response_from_buffer(strlen(svg), svg,
					    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "image/svg+xml");
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* drills/ID[/report.svg] */
static enum MHD_Result get_drill(struct api *api, struct MHD_Connection *con,
				 const char *rest)
{
	char *end;
	unsigned long id = strtoul(rest, &end, 10);
	json_t *dr = end != rest && id <= UINT_MAX
			     ? H(api)->drill_json(H(api)->ctx, (unsigned)id)
			     : NULL;

	if (!dr)
		return reply_error(con, 404, "no such drill");
	if (!*end)
		return reply_json(con, 200, dr);
	json_decref(dr);
	if (!strcmp(end, "/report.svg"))
		return reply_svg(con, H(api)->drill_svg(H(api)->ctx,
							(unsigned)id));
	return reply_error(con, 404, "unknown drill resource");
}

bool api_ops_match(const char *rest)
{
	return !strcmp(rest, "reload") || !strcmp(rest, "drills") ||
	       !strncmp(rest, "drills/", 7) || !strcmp(rest, "events/stream");
}

enum MHD_Result api_ops_route(struct api *api, struct MHD_Connection *con,
			      const char *rest, bool post, struct req *rq)
{
	if (!strcmp(rest, "reload"))
		return post ? post_reload(api, con)
			    : reply_error(con, 405, "use POST to reload");
	if (!strcmp(rest, "drills"))
		return post ? post_drill(api, con, rq)
			    : reply_json(con, 200,
					 H(api)->drills_json(H(api)->ctx));
	if (post)
		return reply_error(con, 405, "method not allowed");
	if (!strcmp(rest, "events/stream"))
		return get_stream(api, con);
	return get_drill(api, con, rest + 7);
}
