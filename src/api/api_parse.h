/*
 * api_parse.h - the pure parsing steps of the control API: what a request
 * carries in its path, query string and body, checked and turned into
 * plain values before any handler touches daemon state. Kept apart from
 * libmicrohttpd so that they can be unit-tested and fuzzed directly
 * (tests/fuzz/fuzz_api.c).
 */
#ifndef PHAROS_API_API_PARSE_H
#define PHAROS_API_API_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/prefix.h"

/*
 * Split "NAME[/SUB]" (what follows /api/v1/peers/) into the peer name
 * (copied into name, NUL-terminated) and *sub (the rest after the first
 * slash, "" when none). Returns 0, or -1 when the name is empty, does not
 * fit in cap, or holds a control byte. The name is only ever compared
 * with configured peer names, never used as a file name.
 */
int api_parse_peer_path(const char *rest, char *name, size_t cap,
			const char **sub);

/*
 * The optional body of POST .../disable: a JSON object whose "message"
 * (a string, RFC 8203 shutdown communication) is copied into msg
 * (truncated to cap - 1 bytes, never mid-way through a UTF-8 sequence).
 * An empty body is fine (msg ""). Returns 0, or -1 with a reason in err.
 */
int api_parse_disable_body(const char *body, size_t len, char *msg,
			   size_t cap, char *err, size_t errlen);

/* A route lookup from the query string: ?prefix=P[&match=exact|longest]. */
struct api_route_query {
	bool longest; /* match=longest: addr is set */
	struct prefix prefix; /* match=exact (default) */
	struct addr addr;
};
/* Returns 0, or -1 with a reason in err. prefix must not be NULL. */
int api_parse_route_query(const char *prefix, const char *match,
			  struct api_route_query *q, char *err, size_t errlen);

/* A "limit" query value: decimal, 0 (no limit) when absent; -1 when it is
 * not a number or above 10,000,000. */
long api_parse_limit(const char *s);

#endif
