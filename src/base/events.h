/*
 * events.h - operational events (session up/down, max-prefix, refused
 * routes and peers, update errors) as JSON objects:
 *   {"time":"ISO8601","type":"session_up","peer":"nva-1","reason":"..."}
 * Each event is written as one line to an events file when configured,
 * to an echo stream when one is given (pharosd's stderr in the foreground
 * without an events file), and kept in a bounded ring for the API.
 */
#ifndef PHAROS_CORE_EVENTS_H
#define PHAROS_CORE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct events;

/* cap: how many events the ring keeps; file and echo may be NULL. */
struct events *events_new(size_t cap, const char *file, FILE *echo);
/* Close and reopen the events file (after logrotate moved it away);
 * 0 when there is none or it reopened, -1 (and a line on stderr) if not. */
int events_reopen(struct events *ev);
void events_free(struct events *ev);
/* Record an event; peer may be NULL; reason is printf-style. */
void events_emit(struct events *ev, const char *type, const char *peer,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, with extra fields (the call takes ownership of extra, may be NULL). */
void events_emit_json(struct events *ev, const char *type, const char *peer,
		      json_t *extra, const char *reason);
/*
 * Rate-limited events, for what an outsider can cause at will (a
 * connection from an unconfigured address): of one type, the first
 * EVENTS_BURST in a window of EVENTS_WINDOW_S seconds are recorded and
 * logged (WARN, the reason as the line) as usual; later ones are only
 * counted (key, e.g. the address, remembered for the summary). Once the
 * window is over, the next call of events_limited, events_emit* or
 * events_flush_limited records one aggregate event of the same type
 * ("aggregated": true, "count": N) and one WARN line. Returns true when
 * this one was recorded. log may be NULL.
 */
#define EVENTS_BURST 5u
#define EVENTS_WINDOW_S 10u
struct log;
bool events_limited(struct events *ev, const struct log *log,
		    const char *type, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void events_flush_limited(struct events *ev);
/* A new JSON array of the kept events, oldest first (at most limit, 0 =
 * all); type filters when not NULL. */
json_t *events_json(const struct events *ev, size_t limit, const char *type);
/* Total number of events emitted since start. */
uint64_t events_total(const struct events *ev);
/* Events held in the ring now, and its capacity (metrics). */
size_t events_held(const struct events *ev);
size_t events_capacity(const struct events *ev);

#endif
