/*
 * util.c - small helpers the files of pharos-peer share (peer.h): the
 * clocks (monotonic for timers, real time for the --stats moments) and
 * parsing hex bytes from the command line or a script.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer.h"

int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse hex digits (spaces and colons ignored) into a new buffer. */
int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = 0;
	uint8_t *b = malloc(strlen(s) / 2 + 1);
	int hi = -1;

	if (!b)
		return -1;
	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s) || *s == ':')
			continue;
		v = hexval((unsigned char)*s);
		if (v < 0) {
			free(b);
			return -1;
		}
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n == 0) {
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}
