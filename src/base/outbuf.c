/*
 * outbuf.c - reference-counted output blocks (base/outbuf.h).
 */
#include <stdlib.h>

#include "base/outbuf.h"

struct out_buf *out_buf_new(size_t cap)
{
	struct out_buf *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->refcnt = 1;
	b->len = 0;
	return b;
}

void out_buf_ref(struct out_buf *b)
{
	b->refcnt++;
}

void out_buf_unref(struct out_buf *b)
{
	if (b && --b->refcnt == 0)
		free(b);
}
