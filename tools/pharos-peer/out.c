/*
 * out.c - what every part of pharos-peer writes through: the output
 * buffer of a session (reserve room, queue a message, what is pending),
 * leaving a session with a NOTIFICATION, and printing NOTIFICATIONs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

size_t out_pending(const struct peer *p)
{
	return p->out.len - p->out.head;
}

/* Room for n more bytes at the tail of the output buffer. */
uint8_t *out_reserve(struct peer *p, size_t n)
{
	struct obuf *o = &p->out;

	if (o->head && o->head == o->len)
		o->head = o->len = 0;
	if (o->cap - o->len < n && o->head > o->cap / 2) {
		memmove(o->p, o->p + o->head, o->len - o->head);
		o->len -= o->head;
		o->head = 0;
	}
	if (o->cap - o->len < n) {
		size_t ncap = o->cap ? o->cap : 4u << 20;
		uint8_t *np;

		while (ncap - o->len < n)
			ncap *= 2;
		np = realloc(o->p, ncap);
		if (!np) {
			fprintf(stderr, "pharos-peer: out of memory\n");
			exit(1);
		}
		o->p = np;
		o->cap = ncap;
	}
	return o->p + o->len;
}

void out_queued(struct peer *p, size_t n, bool is_update)
{
	p->out.len += n;
	p->st.msgs_sent++;
	if (is_update) {
		p->st.upd_sent++;
		p->st.upd_unflushed = true;
	}
}

void out_bytes(struct peer *p, const uint8_t *b, size_t n)
{
	memcpy(out_reserve(p, n), b, n);
	out_queued(p, n, n > BGP_HDR_LEN && b[18] == BGP_UPDATE);
}

/* Send a NOTIFICATION (when code != 0), then close our side and drain what
 * the peer still sends, so the peer reads everything before the end. */
void peer_leave(struct peer *p, uint8_t code, uint8_t subcode, const char *text)
{
	if (p->state == S_CLOSING)
		return;
	if (code && p->fd >= 0) {
		struct bgp_notify n;
		uint8_t buf[512];
		int len;

		memset(&n, 0, sizeof(n));
		if (code == BGP_ERR_CEASE && text) {
			bgp_notify_shutdown(&n, subcode, text);
		} else {
			n.code = code;
			n.subcode = subcode;
		}
		len = bgp_notify_encode(&n, buf, sizeof(buf));
		if (len > 0)
			out_bytes(p, buf, (size_t)len);
		print_notify(p, &n, true);
	}
	p->state = S_CLOSING;
	p->done = true;
}

static void json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

void print_notify(struct peer *p, const struct bgp_notify *n, bool sent)
{
	char name[128];

	bgp_err_name(n->code, n->subcode, name, sizeof(name));
	fflush(p->o); /* no line of ours cut by this one when both share a file */
	fprintf(stderr, "pharos-peer: NOTIFICATION %s: %u/%u %s\n",
		sent ? "sent" : "received", n->code, n->subcode,
		n->reason[0] ? n->reason : name);
	if (sent)
		return;
	if (p->mode == OUT_JSON) {
		fprintf(p->o, "{\"type\":\"notification\",\"code\":%u,"
			"\"subcode\":%u,\"reason\":", n->code, n->subcode);
		json_str(p->o, n->reason[0] ? n->reason : name);
		fputs("}\n", p->o);
	} else if (p->mode == OUT_TEXT) {
		fprintf(p->o, "notification code %u subcode %u reason %s\n",
			n->code, n->subcode, n->reason[0] ? n->reason : name);
	}
	fflush(p->o);
}
