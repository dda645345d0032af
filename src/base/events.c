/*
 * events.c - the bounded ring of operational events (see events.h).
 */
#include "base/events.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct events {
	json_t **ring;
	size_t cap, head, n; /* head: index of the oldest */
	uint64_t total;
	FILE *file; /* events_file, NULL when not configured */
	char *path; /* its name, for events_reopen */
	FILE *err; /* echo stream, may be NULL */
};

struct events *events_new(size_t cap, const char *file, FILE *err)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->cap = cap ? cap : 1;
	ev->ring = calloc(ev->cap, sizeof(*ev->ring));
	ev->err = err;
	if (file) {
		ev->path = strdup(file);
		events_reopen(ev);
	}
	if (!ev->ring) {
		free(ev->path);
		if (ev->file)
			fclose(ev->file);
		free(ev);
		return NULL;
	}
	return ev;
}

int events_reopen(struct events *ev)
{
	if (!ev->path)
		return 0;
	if (ev->file)
		fclose(ev->file);
	ev->file = fopen(ev->path, "a");
	if (!ev->file) {
		fprintf(stderr, "cannot open events file %s\n", ev->path);
		return -1;
	}
	return 0;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->n; i++)
		json_decref(ev->ring[(ev->head + i) % ev->cap]);
	if (ev->file)
		fclose(ev->file);
	free(ev->path);
	free(ev->ring);
	free(ev);
}

static void events_push(struct events *ev, json_t *o)
{
	if (ev->n == ev->cap) {
		json_decref(ev->ring[ev->head]);
		ev->ring[ev->head] = o;
		ev->head = (ev->head + 1) % ev->cap;
	} else {
		ev->ring[(ev->head + ev->n) % ev->cap] = o;
		ev->n++;
	}
	ev->total++;
}

void events_emit_json(struct events *ev, const char *type, const char *peer,
		      json_t *extra, const char *reason)
{
	char ts[40];
	json_t *o = json_object();
	char *line;

	json_object_set_new(o, "time", json_string(log_time_iso(ts, sizeof(ts))));
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->total + 1));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "peer", peer ? json_string(peer) : json_null());
	json_object_set_new(o, "reason", json_string(reason ? reason : ""));
	if (extra) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		if (ev->err) {
			fprintf(ev->err, "%s\n", line);
			fflush(ev->err);
		}
		if (ev->file) {
			fprintf(ev->file, "%s\n", line);
			fflush(ev->file);
		}
		free(line);
	}
	events_push(ev, o);
}

void events_emit(struct events *ev, const char *type, const char *peer,
		 const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	events_emit_json(ev, type, peer, NULL, reason);
}

json_t *events_json(const struct events *ev, size_t limit, const char *type)
{
	json_t *a = json_array();
	size_t start = 0;

	if (limit && !type && ev->n > limit)
		start = ev->n - limit;
	for (size_t i = start; i < ev->n; i++) {
		json_t *o = ev->ring[(ev->head + i) % ev->cap];
		const char *t = json_string_value(json_object_get(o, "type"));

		if (type && (!t || strcmp(t, type)))
			continue;
		json_array_append(a, o);
	}
	if (limit && type) {
		while (json_array_size(a) > limit)
			json_array_remove(a, 0);
	}
	return a;
}

uint64_t events_total(const struct events *ev)
{
	return ev->total;
}

size_t events_held(const struct events *ev)
{
	return ev ? ev->n : 0;
}

size_t events_capacity(const struct events *ev)
{
	return ev ? ev->cap : 0;
}
