/*
 * api_stream.c - large replies produced incrementally (api_stream.h).
 *
 * libmicrohttpd asks for more of a reply each time the client's socket
 * can take it; the reader here then calls the reply's fill function,
 * which resumes from its own cursor (a prefix in the RIB, a position in
 * an adj-RIB-out, an index in a table snapshot) and appends at most a
 * chunk. A slow client therefore costs one chunk of memory and no work
 * while it does not read, and a loop turn does at most one chunk per
 * connection whatever the size of the RIB: BGP keepalives and reads keep
 * their deadlines. Slots bound how many such replies run at once, per
 * client address and in total, and the memory they hold; beyond them a
 * request gets 503 with Retry-After.
 */
#include "base/jsonfmt.h"
#include "api/api_stream.h"
#include "api/api_int.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define API_STREAM_FILLS 4 /* fill calls per read at most */
#define API_TRIM_BYTES (8u << 20) /* a slot this big trims the heap */

struct api_slot {
	struct api *api;
	struct sockaddr_storage addr; /* the client's */
	size_t bytes;
	struct api_slot *next;
};

struct api_stream {
	struct api_slot *slot;
	char *buf;
	size_t len, off, cap;
	char *tail;
	bool items; /* an item was written: the next needs a comma */
	bool done;
	api_fill_fn fill;
	api_ctx_free_fn ctx_free;
	void *ctx;
};

/* ------------------------------------------------------ slots */

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return true;
}

static enum MHD_Result reply_busy(struct MHD_Connection *con, const char *msg)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *s, ra[16];
	json_t *o = json_pack("{s:s, s:i}", "error", msg, "retry_after_s",
			      API_RETRY_AFTER);

	s = json_dumps(o, PHAROS_JSON_DUMP);
	json_decref(o);
	if (!s)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(s);
		return MHD_NO;
	}
	snprintf(ra, sizeof(ra), "%d", API_RETRY_AFTER);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Retry-After", ra);
	ret = MHD_queue_response(con, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	MHD_destroy_response(r);
	return ret;
}

struct api_slot *api_slot_take(struct api *api, struct MHD_Connection *con,
			       size_t bytes, enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sockaddr_storage ss = {0};
	unsigned same = 0;
	const char *why = NULL;
	struct api_slot *s;

	if (ci && ci->client_addr)
		memcpy(&ss, ci->client_addr,
		       ci->client_addr->sa_family == AF_INET6
			       ? sizeof(struct sockaddr_in6)
			       : sizeof(struct sockaddr_in));
	for (s = api->slots; s; s = s->next)
		same += same_addr(&s->addr, &ss);
	if (api->n_slots >= API_LARGE_MAX)
		why = "too many large replies in progress; retry later";
	else if (same >= API_LARGE_PER_ADDR)
		why = "too many large replies in progress for this client; "
		      "retry later";
	else if (api->slot_bytes + bytes > API_LARGE_BYTES)
		why = "large replies in progress hold too much memory; retry "
		      "later";
	if (why || !(s = calloc(1, sizeof(*s)))) {
		api->slots_refused++;
		log_warn(api->d->log, NULL, "API request refused (503): %s",
			 why ? why : "out of memory");
		*ret = reply_busy(con, why ? why : "out of memory");
		return NULL;
	}
	s->api = api;
	s->addr = ss;
	s->bytes = bytes;
	s->next = api->slots;
	api->slots = s;
	api->n_slots++;
	api->slot_bytes += bytes;
	return s;
}

void api_slot_bytes(struct api_slot *s, size_t bytes)
{
	s->api->slot_bytes += bytes - s->bytes;
	s->bytes = bytes;
}

void api_slot_timeout(struct MHD_Connection *con)
{
	MHD_set_connection_option(con, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned)API_STREAM_TIMEOUT);
}

void api_slot_release(struct api_slot *s)
{
	struct api *api;

	if (!s)
		return;
	api = s->api;
	for (struct api_slot **pp = &api->slots; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	api->n_slots--;
	api->slot_bytes -= s->bytes;
	/* A big snapshot is gone: give its pages back to the system now
	 * rather than keep them in the heap for good. */
	if (s->bytes >= API_TRIM_BYTES)
		malloc_trim(0);
	free(s);
}

void api_slots_stats(const struct api *api, size_t *n, size_t *bytes)
{
	*n = api ? api->n_slots : 0;
	*bytes = api ? api->slot_bytes : 0;
}

/* ------------------------------------------------------ streams */

static int put(struct api_stream *st, const char *p, size_t n)
{
	if (st->len + n > st->cap) {
		size_t cap = st->cap ? st->cap : API_STREAM_CHUNK;
		char *nb;

		while (cap < st->len + n)
			cap *= 2;
		nb = realloc(st->buf, cap);
		if (!nb)
			return -1;
		st->buf = nb;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, p, n);
	st->len += n;
	return 0;
}

int api_stream_item(struct api_stream *st, json_t *o)
{
	char *s = json_dumps(o, PHAROS_JSON_DUMP |
				       JSON_ENCODE_ANY);
	int rc;

	json_decref(o);
	if (!s)
		return -1;
	rc = (st->items ? put(st, ",", 1) : 0) | put(st, s, strlen(s));
	st->items = true;
	free(s);
	return rc ? -1 : 0;
}

bool api_stream_full(const struct api_stream *st)
{
	return st->len >= API_STREAM_CHUNK;
}

char *api_stream_head(json_t *o, const char *key)
{
	char *s = json_dumps(o, PHAROS_JSON_DUMP), *h;
	size_t n;

	json_decref(o);
	if (!s)
		return NULL;
	n = strlen(s);
	if (n < 2 || s[n - 1] != '}') {
		free(s);
		return NULL;
	}
	s[n - 1] = 0;
	if (asprintf(&h, "%s%s\"%s\":[", s, n > 2 ? "," : "", key) < 0)
		h = NULL;
	free(s);
	return h;
}

static void stream_free(void *cls)
{
	struct api_stream *st = cls;

	if (st->ctx_free)
		st->ctx_free(st->ctx);
	api_slot_release(st->slot);
	free(st->buf);
	free(st->tail);
	free(st);
}

/* Refill the emptied buffer: a few bounded fill calls, until a chunk. */
static int refill(struct api_stream *st)
{
	st->len = st->off = 0;
	for (int i = 0; i < API_STREAM_FILLS && !st->done &&
			!api_stream_full(st); i++) {
		int rc = st->fill(st, st->ctx);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			st->done = true;
			if (put(st, st->tail, strlen(st->tail)) < 0)
				return -1;
		}
	}
	return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct api_stream *st = cls;
	size_t n;

	if (st->off == st->len) {
		if (st->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (refill(st) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (st->off == st->len) {
			/* Nothing this time (items skipped): come back on
			 * the next loop turn, not in a busy loop now. */
			api_kick(st->slot->api);
			return 0;
		}
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(out, st->buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

enum MHD_Result api_stream_reply(struct api *api, struct MHD_Connection *con,
				 const char *head, const char *tail,
				 api_fill_fn fill, api_ctx_free_fn ctx_free,
				 void *ctx, size_t bytes)
{
	struct api_stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!st || !(st->tail = strdup(tail)) ||
	    put(st, head, strlen(head)) < 0) {
		if (st) {
			free(st->buf);
			free(st->tail);
		}
		free(st);
		ctx_free(ctx);
		return reply_error(con, 500, "out of memory");
	}
	st->fill = fill;
	st->ctx_free = ctx_free;
	st->ctx = ctx;
	st->slot = api_slot_take(api, con, bytes + 2 * API_STREAM_CHUNK, &ret);
	if (!st->slot) {
		stream_free(st);
		return ret;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
					      API_STREAM_CHUNK, stream_read,
					      st, stream_free);
	if (!r) {
		stream_free(st);
		return reply_error(con, 500, "cannot create the reply");
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	api_slot_timeout(con);
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}
