/*
 * fuzz_api.c - libFuzzer target for the control API's request parsing
 * (src/api/api_parse.c): the input is split at its first two NUL bytes
 * into a path (after /api/v1/peers/), a query value and a body. The path
 * goes through api_parse_peer_path, the query value through
 * api_parse_route_query (exact and longest) and api_parse_limit, the body
 * through api_parse_disable_body. Results are checked: a parsed name is
 * a prefix of the path, a parsed prefix has no host bits, a message fits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void path(const char *s)
{
	char name[128];
	const char *sub;

	if (api_parse_peer_path(s, name, sizeof(name), &sub) == 0) {
		size_t n = strlen(name);
		if (n == 0 || n >= sizeof(name) || strncmp(s, name, n))
			__builtin_trap();
		if (*sub && sub != s + n + 1)
			__builtin_trap();
	}
}

static void query(const char *s)
{
	static const char *const modes[] = { NULL, "exact", "longest", "x" };
	struct api_route_query q;
	char err[128];

	for (int i = 0; i < 4; i++) {
		if (api_parse_route_query(s, modes[i], &q, err, sizeof(err)) < 0) {
			if (!err[0] || strlen(err) >= sizeof(err))
				__builtin_trap();
			continue;
		}
		if (!q.longest && q.prefix.len > afi_maxlen(q.prefix.afi))
			__builtin_trap();
	}
	long l = api_parse_limit(s);
	if (l < -1 || l > 10000000)
		__builtin_trap();
}

static void body(const char *b, size_t len)
{
	char msg[256], err[160];

	err[0] = 0;
	if (api_parse_disable_body(b, len, msg, sizeof(msg), err, sizeof(err)) == 0) {
		if (strlen(msg) >= sizeof(msg))
			__builtin_trap();
	} else if (!err[0]) {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *q, *b;
	size_t blen;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	q = memchr(s, 0, size) ? s + strlen(s) + 1 : s + size;
	if (q > s + size)
		q = s + size;
	b = q + strlen(q);
	b = b < s + size ? b + 1 : s + size;
	blen = (size_t)(s + size - b);
	path(s);
	query(q);
	body(b, blen);
	body(s, size); /* the whole input as a body too */
	free(s);
	return 0;
}
