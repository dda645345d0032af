/*
 * bus.c - subject tokens for the NATS bus (see bus.h).
 */
#include "base/bus.h"

#include <stdio.h>
#include <string.h>

static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool bus_token(char *out, size_t len, const char *name)
{
	size_t k = 0;

	if (!len)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (plain(*p)) {
			if (k + 1 >= len)
				return false;
			out[k++] = (char)*p;
		} else {
			if (k + 3 >= len)
				return false;
			snprintf(out + k, 4, "%%%02X", *p);
			k += 3;
		}
	}
	out[k] = 0;
	return k > 0;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool bus_untoken(char *out, size_t len, const char *token)
{
	size_t k = 0;

	for (const char *p = token; *p; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int h = hex(p[1]), l = h < 0 ? -1 : hex(p[2]);
			if (h < 0 || l < 0)
				return false;
			c = h * 16 + l;
			p += 2;
		}
		if (k + 1 >= len || c == 0)
			return false;
		out[k++] = (char)c;
	}
	if (!len)
		return false;
	out[k] = 0;
	return true;
}
