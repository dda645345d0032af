/*
 * outbuf.h - a finished, shareable block of one or more whole BGP
 * messages. Export encodes a block once and queues a reference to it on
 * every recipient's connection; the last reference frees it.
 */
#ifndef PHAROS_BASE_OUTBUF_H
#define PHAROS_BASE_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

struct out_buf {
	uint32_t refcnt;
	uint32_t len;
	uint8_t data[];
};
struct out_buf *out_buf_new(size_t cap);
void out_buf_ref(struct out_buf *b);
void out_buf_unref(struct out_buf *b);

#endif
