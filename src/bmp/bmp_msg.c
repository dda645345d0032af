/*
 * bmp_msg.c - encoding BMP messages (RFC 7854, RFC 9069) into a caller's
 * buffer, and decoding their headers back. Pure functions over (buf,
 * len): every write and read is bounds checked.
 */
#include "bmp/bmp_msg.h"

#include <string.h>

#include "base/bytes.h"

#define BGP_HDR 19
#define BGP_TYPE_OPEN 1
#define BGP_TYPE_UPDATE 2

/* A writer that remembers whether anything did not fit. */
struct w {
	uint8_t *p;
	size_t cap, len;
	bool over;
};

static uint8_t *w_take(struct w *w, size_t n)
{
	uint8_t *at;

	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return NULL;
	}
	at = w->p + w->len;
	w->len += n;
	return at;
}

static void w_u8(struct w *w, uint8_t v)
{
	uint8_t *p = w_take(w, 1);
	if (p)
		*p = v;
}

static void w_u16(struct w *w, uint16_t v)
{
	uint8_t *p = w_take(w, 2);
	if (p)
		put16(p, v);
}

static void w_u32(struct w *w, uint32_t v)
{
	uint8_t *p = w_take(w, 4);
	if (p)
		put32(p, v);
}

static void w_bytes(struct w *w, const void *src, size_t n)
{
	uint8_t *p = w_take(w, n);
	if (p && n)
		memcpy(p, src, n);
}

/* A 16-byte address field: IPv4 in the last 4 bytes (RFC 7854 4.2). */
static void w_addr16(struct w *w, const struct addr *a)
{
	uint8_t *p = w_take(w, 16);

	if (!p)
		return;
	memset(p, 0, 16);
	if (a && a->afi == AFI_IPV4)
		memcpy(p + 12, a->b, 4);
	else if (a && a->afi == AFI_IPV6)
		memcpy(p, a->b, 16);
}

static void w_tlv(struct w *w, uint16_t type, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > 0xffff) {
		w->over = true;
		return;
	}
	w_u16(w, type);
	w_u16(w, (uint16_t)n);
	w_bytes(w, s, n);
}

static void w_begin(struct w *w, uint8_t *buf, size_t cap, uint8_t type)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->over = false;
	w_u8(w, BMP_VERSION);
	w_u32(w, 0); /* length, set by w_end */
	w_u8(w, type);
}

static int w_end(struct w *w)
{
	if (w->over || w->len > 0x7fffffff)
		return -1;
	put32(w->p + 1, (uint32_t)w->len);
	return (int)w->len;
}

static void w_peer(struct w *w, const struct bmp_peer *p)
{
	uint8_t flags = p->flags;

	if (p->type != BMP_PEER_LOC_RIB && p->addr.afi == AFI_IPV6)
		flags |= BMP_PF_V;
	w_u8(w, p->type);
	w_u8(w, flags);
	w_u32(w, (uint32_t)(p->distinguisher >> 32));
	w_u32(w, (uint32_t)p->distinguisher);
	w_addr16(w, p->type == BMP_PEER_LOC_RIB ? NULL : &p->addr);
	w_u32(w, p->asn);
	w_u32(w, p->bgp_id);
	w_u32(w, p->ts_sec);
	w_u32(w, p->ts_usec);
}

/* A whole BGP message of the given type. */
static bool bgp_msg_ok(const uint8_t *m, size_t len, uint8_t type)
{
	return m && len >= BGP_HDR && get16(m + 16) == len && m[18] == type;
}

int bmp_initiation_encode(uint8_t *buf, size_t cap, const char *sys_name,
			  const char *sys_descr)
{
	struct w w;

	w_begin(&w, buf, cap, BMP_INITIATION);
	w_tlv(&w, BMP_INFO_SYSDESCR, sys_descr ? sys_descr : "");
	w_tlv(&w, BMP_INFO_SYSNAME, sys_name ? sys_name : "");
	return w_end(&w);
}

int bmp_termination_encode(uint8_t *buf, size_t cap, uint16_t reason,
			   const char *text)
{
	struct w w;

	w_begin(&w, buf, cap, BMP_TERMINATION);
	if (text)
		w_tlv(&w, BMP_TERM_STRING, text);
	w_u16(&w, BMP_TERM_REASON);
	w_u16(&w, 2);
	w_u16(&w, reason);
	return w_end(&w);
}

int bmp_peer_up_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
		       const struct addr *local, uint16_t local_port,
		       uint16_t remote_port, const uint8_t *open_sent,
		       size_t sent_len, const uint8_t *open_recv,
		       size_t recv_len, const char *table_name)
{
	struct w w;

	if (!bgp_msg_ok(open_sent, sent_len, BGP_TYPE_OPEN) ||
	    !bgp_msg_ok(open_recv, recv_len, BGP_TYPE_OPEN))
		return -1;
	w_begin(&w, buf, cap, BMP_PEER_UP);
	w_peer(&w, p);
	w_addr16(&w, local);
	w_u16(&w, local_port);
	w_u16(&w, remote_port);
	w_bytes(&w, open_sent, sent_len);
	w_bytes(&w, open_recv, recv_len);
	if (table_name)
		w_tlv(&w, BMP_INFO_TABLE_NAME, table_name);
	return w_end(&w);
}

int bmp_peer_down_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
			 uint8_t reason, const uint8_t *data, size_t data_len)
{
	struct w w;

	if (reason < BMP_DOWN_LOCAL_NOTIFY || reason > BMP_DOWN_LOCAL_CLOSED)
		return -1;
	if ((reason == BMP_DOWN_LOCAL_NOTIFY || reason == BMP_DOWN_REMOTE_NOTIFY) &&
	    !bgp_msg_ok(data, data_len, 3))
		return -1;
	if (reason == BMP_DOWN_LOCAL_NO_NOTIFY && data_len != 2)
		return -1;
	w_begin(&w, buf, cap, BMP_PEER_DOWN);
	w_peer(&w, p);
	w_u8(&w, reason);
	w_bytes(&w, data, data_len);
	return w_end(&w);
}

int bmp_route_mon_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
			 const uint8_t *update, size_t len)
{
	struct w w;

	if (!bgp_msg_ok(update, len, BGP_TYPE_UPDATE))
		return -1;
	w_begin(&w, buf, cap, BMP_ROUTE_MONITORING);
	w_peer(&w, p);
	w_bytes(&w, update, len);
	return w_end(&w);
}

int bmp_stats_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
		     const struct bmp_stat *st, unsigned n)
{
	struct w w;

	w_begin(&w, buf, cap, BMP_STATISTICS);
	w_peer(&w, p);
	w_u32(&w, n);
	for (unsigned i = 0; i < n; i++) {
		switch (st[i].type) {
		case BMP_STAT_ADJ_RIB_IN:
		case BMP_STAT_LOC_RIB:
			w_u16(&w, st[i].type);
			w_u16(&w, 8);
			w_u32(&w, (uint32_t)(st[i].value >> 32));
			w_u32(&w, (uint32_t)st[i].value);
			break;
		case BMP_STAT_ADJ_RIB_IN_AF:
		case BMP_STAT_LOC_RIB_AF:
			w_u16(&w, st[i].type);
			w_u16(&w, 11);
			w_u16(&w, st[i].afi);
			w_u8(&w, st[i].safi);
			w_u32(&w, (uint32_t)(st[i].value >> 32));
			w_u32(&w, (uint32_t)st[i].value);
			break;
		default: /* 32-bit counters */
			w_u16(&w, st[i].type);
			w_u16(&w, 4);
			w_u32(&w, (uint32_t)st[i].value);
			break;
		}
	}
	return w_end(&w);
}

/* ---------------------------------------------------------- decoding */

static void r_peer(const uint8_t *p, struct bmp_peer *o)
{
	memset(o, 0, sizeof(*o));
	o->type = p[0];
	o->flags = p[1];
	o->distinguisher = (uint64_t)get32(p + 2) << 32 | get32(p + 6);
	if (o->type == BMP_PEER_LOC_RIB) {
		o->addr.afi = 0;
	} else if (o->flags & BMP_PF_V) {
		o->addr.afi = AFI_IPV6;
		memcpy(o->addr.b, p + 10, 16);
	} else {
		o->addr.afi = AFI_IPV4;
		memcpy(o->addr.b, p + 22, 4);
	}
	o->asn = get32(p + 26);
	o->bgp_id = get32(p + 30);
	o->ts_sec = get32(p + 34);
	o->ts_usec = get32(p + 38);
}

long bmp_msg_decode(const uint8_t *buf, size_t len, struct bmp_msg *m)
{
	uint32_t mlen;
	size_t off = BMP_HDR_LEN;

	memset(m, 0, sizeof(*m));
	if (len < BMP_HDR_LEN)
		return 0;
	if (buf[0] != BMP_VERSION)
		return -1;
	mlen = get32(buf + 1);
	m->type = buf[5];
	m->len = mlen;
	if (m->type > BMP_TERMINATION || mlen < BMP_HDR_LEN)
		return -1;
	if (len < mlen)
		return 0;
	if (m->type <= BMP_PEER_UP) {
		if (mlen < BMP_HDR_LEN + BMP_PEER_HDR_LEN)
			return -1;
		r_peer(buf + off, &m->peer);
		m->has_peer = true;
		off += BMP_PEER_HDR_LEN;
	}
	m->body = buf + off;
	m->body_len = mlen - off;
	if (m->type == BMP_ROUTE_MONITORING &&
	    !bgp_msg_ok(m->body, m->body_len, BGP_TYPE_UPDATE))
		return -1;
	return (long)mlen;
}

int bmp_tlv_find(const uint8_t *p, size_t len, uint16_t type,
		 const uint8_t **val, size_t *vlen)
{
	size_t off = 0;

	while (off < len) {
		uint16_t t, l;

		if (len - off < 4)
			return -1;
		t = get16(p + off);
		l = get16(p + off + 2);
		if (len - off - 4 < l)
			return -1;
		if (t == type) {
			*val = p + off + 4;
			*vlen = l;
			return 1;
		}
		off += 4u + l;
	}
	return 0;
}

int bmp_peer_up_tlvs(const struct bmp_msg *m, const uint8_t **tlvs,
		     size_t *len)
{
	size_t off = 20; /* local address, ports */

	if (m->type != BMP_PEER_UP)
		return -1;
	for (int k = 0; k < 2; k++) {
		size_t l;

		if (m->body_len < off + BGP_HDR)
			return -1;
		l = get16(m->body + off + 16);
		if (!bgp_msg_ok(m->body + off, l, BGP_TYPE_OPEN) ||
		    m->body_len - off < l)
			return -1;
		off += l;
	}
	*tlvs = m->body + off;
	*len = m->body_len - off;
	return 0;
}

const char *bmp_type_name(uint8_t type)
{
	static const char *const names[] = {
		"route-monitoring", "statistics", "peer-down", "peer-up",
		"initiation", "termination",
	};
	return type <= BMP_TERMINATION ? names[type] : "unknown";
}
