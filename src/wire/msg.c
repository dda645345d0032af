/*
 * msg.c - BGP message framing and the small messages: the fixed header,
 * OPEN with its capability table, NOTIFICATION (with RFC 8203/9003
 * shutdown communications and readable error names), KEEPALIVE and
 * ROUTE-REFRESH (RFC 2918, RFC 7313).
 *
 * All functions are pure over (buf, len); every decode error names the
 * NOTIFICATION code, subcode and data RFC 4271 section 6 prescribes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "wire/wire.h"

void bgp_err_set(struct bgp_notify *err, uint8_t code, uint8_t subcode,
		 const uint8_t *data, size_t data_len, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	err->subcode = subcode;
	if (data_len > sizeof(err->data))
		data_len = sizeof(err->data);
	err->data_len = (uint16_t)data_len;
	if (data_len)
		memcpy(err->data, data, data_len);
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
}

/* Write the 19-byte header. */
static void hdr_put(uint8_t *buf, uint16_t len, uint8_t type)
{
	memset(buf, 0xff, BGP_MARKER_LEN);
	put16(buf + 16, len);
	buf[18] = type;
}

/* ------------------------------------------------------------ names */

const char *bgp_msg_name(uint8_t type)
{
	static const char *const names[] = {
		[BGP_OPEN] = "OPEN",
		[BGP_UPDATE] = "UPDATE",
		[BGP_NOTIFICATION] = "NOTIFICATION",
		[BGP_KEEPALIVE] = "KEEPALIVE",
		[BGP_ROUTE_REFRESH] = "ROUTE-REFRESH",
	};
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "UNKNOWN";
}

struct err_names {
	const char *code;
	const char *const *sub;
	unsigned n_sub;
};

static const char *const hdr_sub[] = { "Unspecific",
				       "Connection Not Synchronized",
				       "Bad Message Length",
				       "Bad Message Type" };
static const char *const open_sub[] = {
	"Unspecific", "Unsupported Version Number", "Bad Peer AS",
	"Bad BGP Identifier", "Unsupported Optional Parameter",
	"Authentication Failure", "Unacceptable Hold Time",
	"Unsupported Capability", "Deprecated", "Deprecated",
	"Deprecated", "Role Mismatch"
};
static const char *const upd_sub[] = {
	"Unspecific", "Malformed Attribute List",
	"Unrecognized Well-known Attribute",
	"Missing Well-known Attribute", "Attribute Flags Error",
	"Attribute Length Error", "Invalid ORIGIN Attribute",
	"AS Routing Loop", "Invalid NEXT_HOP Attribute",
	"Optional Attribute Error", "Invalid Network Field",
	"Malformed AS_PATH"
};
static const char *const fsm_sub[] = {
	"Unspecific", "Unexpected Message in OpenSent State",
	"Unexpected Message in OpenConfirm State",
	"Unexpected Message in Established State"
};
static const char *const cease_sub[] = {
	"Unspecific", "Maximum Number of Prefixes Reached",
	"Administrative Shutdown", "Peer De-configured",
	"Administrative Reset", "Connection Rejected",
	"Other Configuration Change", "Connection Collision Resolution",
	"Out of Resources", "Hard Reset", "BFD Down"
};
static const char *const rr_sub[] = { "Reserved", "Invalid Message Length" };

#define NSUB(a) (unsigned)(sizeof(a) / sizeof(a[0]))
static const struct err_names err_table[] = {
	[BGP_ERR_HEADER] = { "Message Header Error", hdr_sub, NSUB(hdr_sub) },
	[BGP_ERR_OPEN] = { "OPEN Message Error", open_sub, NSUB(open_sub) },
	[BGP_ERR_UPDATE] = { "UPDATE Message Error", upd_sub, NSUB(upd_sub) },
	[BGP_ERR_HOLD] = { "Hold Timer Expired", NULL, 0 },
	[BGP_ERR_FSM] = { "Finite State Machine Error", fsm_sub, NSUB(fsm_sub) },
	[BGP_ERR_CEASE] = { "Cease", cease_sub, NSUB(cease_sub) },
	[BGP_ERR_RREFRESH] = { "ROUTE-REFRESH Message Error", rr_sub,
			       NSUB(rr_sub) },
};

const char *bgp_err_name(uint8_t code, uint8_t subcode, char *buf, size_t len)
{
	const struct err_names *e = NULL;

	if (code < NSUB(err_table) && err_table[code].code)
		e = &err_table[code];
	if (!e)
		snprintf(buf, len, "Error %u/%u", code, subcode);
	else if (!e->sub)
		snprintf(buf, len, "%s", e->code);
	else if (subcode < e->n_sub)
		snprintf(buf, len, "%s/%s", e->code, e->sub[subcode]);
	else
		snprintf(buf, len, "%s/Subcode %u", e->code, subcode);
	return buf;
}

const char *bgp_capa_name(uint8_t code)
{
	switch (code) {
	case CAPA_MP: return "Multiprotocol";
	case CAPA_ROUTE_REFRESH: return "Route Refresh";
	case CAPA_EXT_MESSAGE: return "Extended Message";
	case CAPA_GRACEFUL_RESTART: return "Graceful Restart";
	case CAPA_AS4: return "4-octet AS";
	case CAPA_ADD_PATH: return "ADD-PATH";
	case CAPA_ENHANCED_RR: return "Enhanced Route Refresh";
	case CAPA_FQDN: return "FQDN";
	case 128: return "Route Refresh (old)";
	default: return "Unknown";
	}
}

/* ----------------------------------------------------------- header */

static size_t min_len(uint8_t type)
{
	switch (type) {
	case BGP_OPEN: return 29;
	case BGP_UPDATE: return 23;
	case BGP_NOTIFICATION: return 21;
	case BGP_KEEPALIVE: return 19;
	case BGP_ROUTE_REFRESH: return 23;
	default: return 19;
	}
}

int bgp_hdr_decode(const uint8_t *buf, size_t len, size_t max_len,
		   struct bgp_hdr *h, struct bgp_notify *err)
{
	if (len < BGP_HDR_LEN) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, NULL, 0,
			    "header: %zu bytes, need 19", len);
		return -1;
	}
	for (int i = 0; i < BGP_MARKER_LEN; i++) {
		if (buf[i] != 0xff) {
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC, NULL,
				    0, "header: marker is not all ones");
			return -1;
		}
	}
	h->len = get16(buf + 16);
	h->type = buf[18];
	if (h->len < BGP_HDR_LEN || h->len > max_len) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2,
			    "header: length %u outside 19..%zu", h->len,
			    max_len);
		return -1;
	}
	if (h->type < BGP_OPEN || h->type > BGP_ROUTE_REFRESH) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_TYPE, buf + 18, 1,
			    "header: unknown message type %u", h->type);
		return -1;
	}
	if (h->len < min_len(h->type) ||
	    (h->type == BGP_KEEPALIVE && h->len != BGP_HDR_LEN)) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2,
			    "header: length %u is wrong for %s", h->len,
			    bgp_msg_name(h->type));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- OPEN */

/* Capability decoders: 0, or -1 when malformed. */
static int capa_mp(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len != 4)
		return -1;
	struct bgp_af af = { get16(p), p[3] };
	if (bgp_open_has_af(o, af.afi, af.safi) || o->n_afs >= BGP_MAX_AFS)
		return 0;
	o->afs[o->n_afs++] = af;
	return 0;
}

static int capa_rr(struct bgp_open *o, const uint8_t *p, size_t len)
{
	o->route_refresh = true;
	return 0;
}

static int capa_err(struct bgp_open *o, const uint8_t *p, size_t len)
{
	o->enhanced_rr = true;
	return 0;
}

static int capa_ext(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len != 0)
		return -1;
	o->ext_message = true;
	return 0;
}

static int capa_gr(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len < 2 || (len - 2) % 4)
		return -1;
	o->graceful_restart = true;
	o->gr_flags = p[0] & 0xf0;
	o->gr_time = get16(p) & 0x0fff;
	o->n_gr_afs = 0;
	for (size_t off = 2; off < len && o->n_gr_afs < BGP_MAX_AFS; off += 4)
		o->gr_afs[o->n_gr_afs++] =
			(struct bgp_gr_af){ get16(p + off), p[off + 2],
					    p[off + 3] };
	return 0;
}

static int capa_as4(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len != 4)
		return -1;
	o->has_as4 = true;
	o->as4 = get32(p);
	return 0;
}

static int capa_fqdn(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len < 1 || (size_t)p[0] + 1 > len)
		return -1;
	size_t n = p[0] < sizeof(o->hostname) - 1 ? p[0] :
						    sizeof(o->hostname) - 1;
	memcpy(o->hostname, p + 1, n);
	o->hostname[n] = 0;
	return 0;
}

/* ADD-PATH (RFC 7911 4): (afi, safi, send/receive) triples. Unicast of
 * IPv4 and IPv6 is kept; other families and bad values are ignored. */
static int capa_addpath(struct bgp_open *o, const uint8_t *p, size_t len)
{
	if (len % 4)
		return -1;
	for (size_t off = 0; off < len; off += 4) {
		uint16_t afi = get16(p + off);
		uint8_t mode = p[off + 3];
		if ((afi == AFI_IPV4 || afi == AFI_IPV6) &&
		    p[off + 2] == SAFI_UNICAST && mode >= 1 && mode <= 3)
			o->add_path[afi] = mode;
	}
	return 0;
}

uint8_t bgp_addpath_negotiate(uint8_t mine, uint8_t theirs)
{
	uint8_t r = 0;

	if ((mine & ADDPATH_RECEIVE) && (theirs & ADDPATH_SEND))
		r |= ADDPATH_RECEIVE;
	if ((mine & ADDPATH_SEND) && (theirs & ADDPATH_RECEIVE))
		r |= ADDPATH_SEND;
	return r;
}

struct capa_desc {
	uint8_t code;
	int (*decode)(struct bgp_open *o, const uint8_t *p, size_t len);
};

static const struct capa_desc capa_table[] = {
	{ CAPA_MP, capa_mp },
	{ CAPA_ROUTE_REFRESH, capa_rr },
	{ CAPA_EXT_MESSAGE, capa_ext },
	{ CAPA_GRACEFUL_RESTART, capa_gr },
	{ CAPA_AS4, capa_as4 },
	{ CAPA_ENHANCED_RR, capa_err },
	{ CAPA_FQDN, capa_fqdn },
	{ CAPA_ADD_PATH, capa_addpath },
	{ 128, capa_rr }, /* pre-standard route refresh */
};

bool bgp_open_has_af(const struct bgp_open *o, uint16_t afi, uint8_t safi)
{
	for (unsigned i = 0; i < o->n_afs; i++)
		if (o->afs[i].afi == afi && o->afs[i].safi == safi)
			return true;
	return false;
}

/* Parse the capabilities inside one optional parameter. */
static int open_capas(struct bgp_open *o, const uint8_t *p, size_t len,
		      struct bgp_notify *err)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 2 || (size_t)p[off + 1] > len - off - 2) {
			bgp_err_set(err, BGP_ERR_OPEN, 0, NULL, 0,
				    "OPEN: capability overruns its parameter");
			return -1;
		}
		uint8_t code = p[off], clen = p[off + 1];
		const uint8_t *v = p + off + 2;
		off += 2 + (size_t)clen;
		for (size_t i = 0; i < NSUB(capa_table); i++) {
			if (capa_table[i].code != code)
				continue;
			if (capa_table[i].decode(o, v, clen) < 0) {
				bgp_err_set(err, BGP_ERR_OPEN, 0, v - 2,
					    clen + 2u,
					    "OPEN: malformed %s capability "
					    "(length %u)",
					    bgp_capa_name(code), clen);
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* Walk the optional parameters (RFC 4271 4.2, RFC 9072 extended form). */
static int open_params(struct bgp_open *o, const uint8_t *b, size_t len,
		       struct bgp_notify *err)
{
	size_t off = 10, optlen = b[9], hl = 2;

	if (optlen == 255 && len >= 13 && b[10] == 255) { /* RFC 9072 */
		optlen = get16(b + 11);
		off = 13;
		hl = 3;
	}
	if (off + optlen != len) {
		bgp_err_set(err, BGP_ERR_OPEN, 0, NULL, 0,
			    "OPEN: optional parameters length %zu, %zu bytes "
			    "left", optlen, len - off);
		return -1;
	}
	while (off < len) {
		if (len - off < hl) {
			bgp_err_set(err, BGP_ERR_OPEN, 0, NULL, 0,
				    "OPEN: truncated optional parameter");
			return -1;
		}
		uint8_t type = b[off];
		size_t plen = hl == 3 ? get16(b + off + 1) : b[off + 1];
		off += hl;
		if (plen > len - off) {
			bgp_err_set(err, BGP_ERR_OPEN, 0, NULL, 0,
				    "OPEN: optional parameter overruns");
			return -1;
		}
		if (type != 2) {
			bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_OPTPARAM,
				    NULL, 0,
				    "OPEN: unsupported optional parameter %u",
				    type);
			return -1;
		}
		if (open_capas(o, b + off, plen, err) < 0)
			return -1;
		off += plen;
	}
	return 0;
}

int bgp_open_decode(const uint8_t *body, size_t len, struct bgp_open *o,
		    struct bgp_notify *err)
{
	static const uint8_t version[2] = { 0, BGP_VERSION };

	memset(o, 0, sizeof(*o));
	if (len < 10) {
		uint8_t l[2] = { (len + BGP_HDR_LEN) >> 8,
				 (len + BGP_HDR_LEN) & 0xff };
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, l, 2,
			    "OPEN: body of %zu bytes, need 10", len);
		return -1;
	}
	o->version = body[0];
	o->my_as = get16(body + 1);
	o->hold_time = get16(body + 3);
	o->bgp_id = get32(body + 5);
	if (o->version != BGP_VERSION) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_VERSION, version, 2,
			    "OPEN: version %u, only 4 is supported",
			    o->version);
		return -1;
	}
	if (o->my_as == 0) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_AS, NULL, 0,
			    "OPEN: AS 0");
		return -1;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_HOLD, NULL, 0,
			    "OPEN: hold time %u", o->hold_time);
		return -1;
	}
	if (o->bgp_id == 0) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_ID, NULL, 0,
			    "OPEN: BGP identifier 0.0.0.0");
		return -1;
	}
	if (open_params(o, body, len, err) < 0)
		return -1;
	if (o->has_as4 && o->as4 == 0) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_AS, NULL, 0,
			    "OPEN: 4-octet AS capability carries AS 0");
		return -1;
	}
	return 0;
}

/* Append one capability (code, len, value) at *off if it fits. */
static int capa_put(uint8_t *buf, size_t cap, size_t *off, uint8_t code,
		    const uint8_t *v, size_t len)
{
	if (*off + 2 + len > cap)
		return -1;
	buf[*off] = code;
	buf[*off + 1] = (uint8_t)len;
	if (len)
		memcpy(buf + *off + 2, v, len);
	*off += 2 + len;
	return 0;
}

/* Every capability the struct asks for, in one parameter's value. */
static int open_capas_encode(const struct bgp_open *o, uint8_t *c, size_t cap)
{
	uint8_t v[2 + 4 * BGP_MAX_AFS + 64];
	size_t off = 0;
	int rc = 0;

	for (unsigned i = 0; i < o->n_afs; i++) {
		put16(v, o->afs[i].afi);
		v[2] = 0;
		v[3] = o->afs[i].safi;
		rc |= capa_put(c, cap, &off, CAPA_MP, v, 4);
	}
	if (o->route_refresh)
		rc |= capa_put(c, cap, &off, CAPA_ROUTE_REFRESH, NULL, 0);
	if (o->enhanced_rr)
		rc |= capa_put(c, cap, &off, CAPA_ENHANCED_RR, NULL, 0);
	if (o->ext_message)
		rc |= capa_put(c, cap, &off, CAPA_EXT_MESSAGE, NULL, 0);
	if (o->graceful_restart) {
		put16(v, (uint16_t)((o->gr_flags & 0xf0) << 8 |
				    (o->gr_time & 0x0fff)));
		size_t n = 2;
		for (unsigned i = 0; i < o->n_gr_afs && i < BGP_MAX_AFS; i++) {
			put16(v + n, o->gr_afs[i].afi);
			v[n + 2] = o->gr_afs[i].safi;
			v[n + 3] = o->gr_afs[i].flags;
			n += 4;
		}
		rc |= capa_put(c, cap, &off, CAPA_GRACEFUL_RESTART, v, n);
	}
	if (o->has_as4) {
		put32(v, o->as4);
		rc |= capa_put(c, cap, &off, CAPA_AS4, v, 4);
	}
	size_t ap = 0;
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		if (!o->add_path[afi])
			continue;
		put16(v + ap, afi);
		v[ap + 2] = SAFI_UNICAST;
		v[ap + 3] = o->add_path[afi];
		ap += 4;
	}
	if (ap)
		rc |= capa_put(c, cap, &off, CAPA_ADD_PATH, v, ap);
	size_t hl = strnlen(o->hostname, sizeof(o->hostname) - 1);
	if (hl) {
		v[0] = (uint8_t)hl;
		memcpy(v + 1, o->hostname, hl);
		v[1 + hl] = 0; /* no domain name */
		rc |= capa_put(c, cap, &off, CAPA_FQDN, v, hl + 2);
	}
	return rc ? -1 : (int)off;
}

int bgp_open_encode(const struct bgp_open *o, uint8_t *buf, size_t cap)
{
	uint8_t capas[255];
	int n = open_capas_encode(o, capas, sizeof(capas) - 2);
	uint16_t my_as = o->my_as;

	if (n < 0)
		return -1;
	size_t optlen = n ? (size_t)n + 2 : 0;
	size_t total = BGP_HDR_LEN + 10 + optlen;
	if (total > cap)
		return -1;
	if (o->has_as4)
		my_as = o->as4 > 0xffff ? AS_TRANS : (uint16_t)o->as4;
	hdr_put(buf, (uint16_t)total, BGP_OPEN);
	uint8_t *b = buf + BGP_HDR_LEN;
	b[0] = o->version ? o->version : BGP_VERSION;
	put16(b + 1, my_as);
	put16(b + 3, o->hold_time);
	put32(b + 5, o->bgp_id);
	b[9] = (uint8_t)optlen;
	if (n) {
		b[10] = 2;
		b[11] = (uint8_t)n;
		memcpy(b + 12, capas, (size_t)n);
	}
	return (int)total;
}

/* ------------------------------------------------ KEEPALIVE, NOTIFY */

int bgp_keepalive_encode(uint8_t *buf, size_t cap)
{
	if (cap < BGP_HDR_LEN)
		return -1;
	hdr_put(buf, BGP_HDR_LEN, BGP_KEEPALIVE);
	return BGP_HDR_LEN;
}

int bgp_notify_encode(const struct bgp_notify *n, uint8_t *buf, size_t cap)
{
	size_t dl = n->data_len > sizeof(n->data) ? sizeof(n->data) :
						    n->data_len;
	size_t total = BGP_HDR_LEN + 2 + dl;

	if (total > cap)
		return -1;
	hdr_put(buf, (uint16_t)total, BGP_NOTIFICATION);
	buf[19] = n->code;
	buf[20] = n->subcode;
	memcpy(buf + 21, n->data, dl);
	return (int)total;
}

void bgp_notify_shutdown(struct bgp_notify *n, uint8_t subcode,
			 const char *text)
{
	char name[96];
	size_t tl = text ? strlen(text) : 0;

	if (tl > 255)
		tl = 255;
	memset(n, 0, sizeof(*n));
	n->code = BGP_ERR_CEASE;
	n->subcode = subcode;
	n->data[0] = (uint8_t)tl;
	memcpy(n->data + 1, text ? text : "", tl);
	n->data_len = (uint16_t)(tl + 1);
	bgp_err_name(n->code, subcode, name, sizeof(name));
	snprintf(n->reason, sizeof(n->reason), "%s: \"%.*s\"", name, (int)tl,
		 text ? text : "");
}

int bgp_notify_decode(const uint8_t *body, size_t len, struct bgp_notify *n)
{
	char name[96];

	memset(n, 0, sizeof(*n));
	if (len < 2)
		return -1;
	n->code = body[0];
	n->subcode = body[1];
	n->data_len = (uint16_t)(len - 2 > sizeof(n->data) ? sizeof(n->data) :
							     len - 2);
	memcpy(n->data, body + 2, n->data_len);
	bgp_err_name(n->code, n->subcode, name, sizeof(name));
	bool shut = n->code == BGP_ERR_CEASE &&
		    (n->subcode == BGP_CEASE_ADMIN_SHUTDOWN ||
		     n->subcode == BGP_CEASE_ADMIN_RESET);
	if (shut && len > 2 && (size_t)body[2] + 3 <= len && body[2] > 0) {
		char text[256];
		size_t tl = body[2];
		for (size_t i = 0; i < tl; i++) {
			uint8_t c = body[3 + i];
			text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
		text[tl] = 0;
		snprintf(n->reason, sizeof(n->reason), "%s: \"%.*s\"", name,
			 (int)tl, text);
	} else {
		snprintf(n->reason, sizeof(n->reason), "%s", name);
	}
	return 0;
}

/* ------------------------------------------------------ ROUTE-REFRESH */

int bgp_rr_encode(const struct bgp_route_refresh *r, uint8_t *buf,
		  size_t cap)
{
	if (cap < BGP_HDR_LEN + 4)
		return -1;
	hdr_put(buf, BGP_HDR_LEN + 4, BGP_ROUTE_REFRESH);
	put16(buf + 19, r->afi);
	buf[21] = r->subtype;
	buf[22] = r->safi;
	return BGP_HDR_LEN + 4;
}

/* Unknown subtypes decode fine (RFC 7313 says to ignore them): the
 * caller checks r->subtype <= 2. */
int bgp_rr_decode(const uint8_t *body, size_t len, struct bgp_route_refresh *r,
		  struct bgp_notify *err)
{
	if (len != 4) {
		bgp_err_set(err, BGP_ERR_RREFRESH, 1, body, len,
			    "ROUTE-REFRESH: body of %zu bytes, want 4", len);
		return -1;
	}
	r->afi = get16(body);
	r->subtype = body[2];
	r->safi = body[3];
	return 0;
}

unsigned bgp_count_updates(const uint8_t *buf, size_t len)
{
	unsigned n = 0;

	for (size_t off = 0; off + BGP_HDR_LEN <= len;) {
		size_t mlen = (size_t)buf[off + 16] << 8 | buf[off + 17];

		if (mlen < BGP_HDR_LEN)
			break;
		if (buf[off + 18] == BGP_UPDATE)
			n++;
		off += mlen;
	}
	return n;
}
