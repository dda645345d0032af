/*
 * api_parse.c - pure parsing of control API requests (see api_parse.h):
 * peer paths, the disable body, route queries and limits. No daemon
 * state, no I/O, bounded copies only: these functions see every byte a
 * client sends before a handler does, and are fuzzed directly.
 */
#include "api/api_parse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_char(char ch)
{
	return (unsigned char)ch >= 0x20 && ch != 0x7f;
}

int api_parse_peer_path(const char *rest, char *name, size_t cap,
			const char **sub)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

	*sub = slash ? slash + 1 : "";
	if (cap == 0)
		return -1;
	name[0] = 0;
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!name_char(rest[i]))
			return -1;
	memcpy(name, rest, n);
	name[n] = 0;
	return 0;
}

/* Length of s cut to at most max bytes without splitting a UTF-8 char. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

int api_parse_disable_body(const char *body, size_t len, char *msg,
			   size_t cap, char *err, size_t errlen)
{
	json_error_t je;
	json_t *b, *m;
	size_t n;

	if (cap)
		msg[0] = 0;
	if (!body || len == 0)
		return 0;
	b = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!b || !json_is_object(b)) {
		snprintf(err, errlen, "body must be a JSON object%s%s",
			 b ? "" : ": ", b ? "" : je.text);
		json_decref(b);
		return -1;
	}
	m = json_object_get(b, "message");
	if (m && !json_is_string(m)) {
		json_decref(b);
		snprintf(err, errlen, "\"message\" must be a string");
		return -1;
	}
	if (m && cap) {
		n = utf8_cut(json_string_value(m), json_string_length(m),
			     cap - 1);
		memcpy(msg, json_string_value(m), n);
		msg[n] = 0;
	}
	json_decref(b);
	return 0;
}

int api_parse_route_query(const char *prefix, const char *match,
			  struct api_route_query *q, char *err, size_t errlen)
{
	memset(q, 0, sizeof(*q));
	if (match && !strcmp(match, "longest")) {
		char tmp[PREFIX_STRLEN];
		char *slash;

		if (strlen(prefix) >= sizeof(tmp)) {
			snprintf(err, errlen, "not an address");
			return -1;
		}
		snprintf(tmp, sizeof(tmp), "%s", prefix);
		slash = strchr(tmp, '/');
		if (slash)
			*slash = 0;
		if (addr_parse(tmp, &q->addr) < 0) {
			snprintf(err, errlen, "not an address: %.*s", 64, prefix);
			return -1;
		}
		q->longest = true;
		return 0;
	}
	if (match && strcmp(match, "exact")) {
		snprintf(err, errlen, "match must be exact or longest");
		return -1;
	}
	if (prefix_parse(prefix, &q->prefix) < 0) {
		snprintf(err, errlen, "not a prefix: %.*s", 64, prefix);
		return -1;
	}
	return 0;
}

long api_parse_limit(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 10000000ul)
		return -1;
	return (long)v;
}
