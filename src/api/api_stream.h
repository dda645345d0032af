/*
 * api_stream.h - large replies of the control API, produced a chunk at a
 * time (see api_stream.c): the loc-RIB, a peer's adj-RIB-in and
 * adj-RIB-out, a subnet's table, the MRT dump. Each reply holds a slot;
 * slots are limited in number, per client address and in the memory
 * they may hold, so that no client, and no crowd of clients, can make
 * the event loop do unbounded work or hold unbounded memory.
 */
#ifndef PHAROS_API_API_STREAM_H
#define PHAROS_API_API_STREAM_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct api;

#define API_LARGE_MAX 16 /* large replies being produced at once */
#define API_LARGE_PER_ADDR 8 /* of them for one client address */
#define API_LARGE_BYTES (128u << 20) /* memory all of them may hold */
#define API_STREAM_CHUNK (64u * 1024) /* bytes produced per read */
#define API_STREAM_STEP 512 /* items looked at per fill call */
#define API_RETRY_AFTER 2 /* seconds, in a 503's Retry-After */
/* Seconds a large reply may wait for its client to take more: longer
 * than the idle timeout of other connections, since a client that reads
 * slowly into a large socket buffer lets TCP's window stay shut for a
 * while even though it reads all along. */
#define API_STREAM_TIMEOUT 60

/* A reserved slot for one large reply. */
struct api_slot;
/* Reserve a slot for a reply to con that will hold about bytes. NULL
 * when over a limit: then *ret holds the queued 503 (with Retry-After
 * and a JSON error that says which limit). */
struct api_slot *api_slot_take(struct api *api, struct MHD_Connection *con,
			       size_t bytes, enum MHD_Result *ret);
/* Give con the idle timeout of a large reply (API_STREAM_TIMEOUT). */
void api_slot_timeout(struct MHD_Connection *con);
/* Change the memory the slot is said to hold. */
void api_slot_bytes(struct api_slot *s, size_t bytes);
void api_slot_release(struct api_slot *s);
/* Large replies being produced and the memory they hold (metrics). */
void api_slots_stats(const struct api *api, size_t *n, size_t *bytes);

/* A JSON reply streamed as HEAD item,item,... TAIL. */
struct api_stream;
/* Append the next items for a bounded amount of work (API_STREAM_STEP
 * items looked at, or until api_stream_full). Returns 1 while more
 * remains, 0 when done, -1 on error (the reply is cut short). */
typedef int (*api_fill_fn)(struct api_stream *st, void *ctx);
typedef void (*api_ctx_free_fn)(void *ctx);

/* Queue a streamed 200 reply: head (e.g. {"routes":[), the items that
 * fill appends, tail (e.g. ]}). bytes: memory ctx holds besides the
 * stream's own buffer. Takes ctx (freed with ctx_free in every case). */
enum MHD_Result api_stream_reply(struct api *api, struct MHD_Connection *con,
				 const char *head, const char *tail,
				 api_fill_fn fill, api_ctx_free_fn ctx_free,
				 void *ctx, size_t bytes);
/* Append one item (a JSON value, consumed). Returns -1 without memory. */
int api_stream_item(struct api_stream *st, json_t *o);
/* true once the buffer holds a chunk: fill should return. */
bool api_stream_full(const struct api_stream *st);
/* "{...,"key":[" from an object (consumed): the head of a reply whose
 * streamed array is key. NULL without memory. */
char *api_stream_head(json_t *o, const char *key);

#endif
