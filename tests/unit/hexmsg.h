/*
 * hexmsg.h - building BGP messages from hex in unit tests (included by
 * test_codec.c, test_rfc7606.c and test_vectors.c).
 */
#ifndef PHAROS_TESTS_HEXMSG_H
#define PHAROS_TESTS_HEXMSG_H

#include <stddef.h>
#include <stdint.h>

/* Bytes written to out from the hex digits of s; anything that is not a
 * hex digit (spaces, colons) separates nothing and is skipped. */
static inline size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; s && *s && n < cap; s++) {
		int v = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

/* UPDATE body: no withdrawn routes, attributes and NLRI from hex. */
static inline size_t mkupd(uint8_t *b, const char *attrs, const char *nlri)
{
	size_t alen = unhex(attrs, b + 4, 4000);
	size_t nlen = unhex(nlri, b + 4 + alen, 4000);

	b[0] = b[1] = 0;
	b[2] = (uint8_t)(alen >> 8);
	b[3] = (uint8_t)alen;
	return 4 + alen + nlen;
}

#endif
