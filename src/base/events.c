/*
 * events.c - the bounded ring of operational events (see events.h), and
 * the rate limit of the events (and their log lines) that an outsider
 * can cause at will: at most EVENTS_BURST of one type per
 * EVENTS_WINDOW_S seconds, the rest counted and told in one aggregate
 * event when the window is over, so that a flood cannot push the
 * history out of the ring nor fill the log.
 */
#include "base/jsonfmt.h"
#include "base/events.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define EVENTS_LIMITED_TYPES 4 /* types that events_limited tracks */

/* One rate-limited type: the window, what it let through, what it held
 * back (reported by limit_flush once the window is over). */
struct ev_limit {
	char type[32];
	double start; /* monotonic start of the window, 0: unused */
	unsigned passed;
	uint64_t held;
	char last_key[64]; /* the key of the last event held back */
	const struct log *log; /* where the aggregate's line goes */
};

struct events {
	json_t **ring;
	size_t cap, head, n; /* head: index of the oldest */
	uint64_t total;
	FILE *file; /* events_file, NULL when not configured */
	char *path; /* its name, for events_reopen */
	FILE *err; /* echo stream, may be NULL */
	struct ev_limit lim[EVENTS_LIMITED_TYPES];
	bool flushing;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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
	json_t *o;
	char *line;

	events_flush_limited(ev);
	o = json_object();

	json_object_set_new(o, "time", json_string(log_time_iso(ts, sizeof(ts))));
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->total + 1));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "peer", peer ? json_string(peer) : json_null());
	json_object_set_new(o, "reason", json_string(reason ? reason : ""));
	if (extra) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	line = json_dumps(o, PHAROS_JSON_DUMP);
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

/* Report one type's held-back events if its window is over. */
static void limit_flush(struct events *ev, struct ev_limit *l, double now)
{
	char reason[256];

	if (!l->start || now - l->start < EVENTS_WINDOW_S)
		return;
	if (l->held) {
		uint64_t n = l->held;

		l->held = 0;
		snprintf(reason, sizeof(reason), "%llu more like this in %.0f s "
			 "(the last: %s); rate limit %u per %u s",
			 (unsigned long long)n, now - l->start, l->last_key,
			 EVENTS_BURST, EVENTS_WINDOW_S);
		log_warn(l->log, NULL, "%s: %s", l->type, reason);
		events_emit_json(ev, l->type, NULL,
				 json_pack("{s:b, s:I}", "aggregated", 1,
					   "count", (json_int_t)n), reason);
	}
	l->start = 0;
	l->passed = 0;
}

void events_flush_limited(struct events *ev)
{
	double now;

	if (!ev || ev->flushing)
		return;
	ev->flushing = true;
	now = mono_now();
	for (unsigned i = 0; i < EVENTS_LIMITED_TYPES; i++)
		limit_flush(ev, &ev->lim[i], now);
	ev->flushing = false;
}

static struct ev_limit *limit_slot(struct events *ev, const char *type)
{
	struct ev_limit *freel = NULL;

	for (unsigned i = 0; i < EVENTS_LIMITED_TYPES; i++) {
		if (!strcmp(ev->lim[i].type, type))
			return &ev->lim[i];
		if (!freel && !ev->lim[i].type[0])
			freel = &ev->lim[i];
	}
	if (freel)
		snprintf(freel->type, sizeof(freel->type), "%s", type);
	return freel;
}

bool events_limited(struct events *ev, const struct log *log,
		    const char *type, const char *key, const char *fmt, ...)
{
	struct ev_limit *l;
	char reason[512];
	va_list ap;
	double now;

	events_flush_limited(ev);
	l = limit_slot(ev, type);
	now = mono_now();
	if (l && !l->start)
		l->start = now;
	if (l && l->passed >= EVENTS_BURST) {
		l->held++;
		l->log = log;
		snprintf(l->last_key, sizeof(l->last_key), "%s", key);
		return false;
	}
	if (l)
		l->passed++;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	log_warn(log, NULL, "%s", reason);
	events_emit_json(ev, type, NULL, NULL, reason);
	return true;
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
