/*
 * mrt.c - MRT (RFC 6396) reader: a bounds-checked walk over the records of
 * a buffer, plus decoding of RIB entry attributes through the BGP codec and
 * loading (possibly compressed) dump files.
 *
 * Every read checks the record's own length; a record that claims more
 * bytes than the buffer holds ends the walk with a message, so dumps cut
 * short (a common case with partial downloads) still give what they hold.
 */
#include <bzlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "mrt/mrt.h"

void mrt_reader_init(struct mrt_reader *r, const uint8_t *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
}

void mrt_reader_free(struct mrt_reader *r)
{
	free(r->peers);
	r->peers = NULL;
	r->n_peers = 0;
}

/* Read an address of family afi at p (bounded by end). Returns bytes used
 * or -1. */
static int read_addr(const uint8_t *p, const uint8_t *end, uint16_t afi,
		     struct addr *a)
{
	size_t n = afi == AFI_IPV4 ? 4 : afi == AFI_IPV6 ? 16 : 0;

	if (!n || (size_t)(end - p) < n)
		return -1;
	memset(a, 0, sizeof(*a));
	a->afi = (uint8_t)afi;
	memcpy(a->b, p, n);
	return (int)n;
}

static int fail(struct mrt_reader *r, const struct mrt_record *rec,
		const char *what)
{
	snprintf(r->err, sizeof(r->err),
		 "MRT record at offset %zu (type %u subtype %u): %s",
		 rec->offset, rec->type, rec->subtype, what);
	r->off = r->len; /* the walk ends here */
	return -1;
}

static int parse_peer_index(struct mrt_reader *r, struct mrt_record *rec)
{
	const uint8_t *p = rec->body, *end = p + rec->len;
	uint16_t vlen, n;

	if (end - p < 6)
		return fail(r, rec, "PEER_INDEX_TABLE too short");
	memcpy(&r->collector_id, p, 4); /* kept in network byte order */
	vlen = get16(p + 4);
	p += 6;
	if (end - p < vlen + 2)
		return fail(r, rec, "PEER_INDEX_TABLE view name overruns");
	snprintf(r->view, sizeof(r->view), "%.*s", vlen, (const char *)p);
	p += vlen;
	n = get16(p);
	p += 2;
	free(r->peers);
	r->n_peers = 0;
	r->peers = calloc(n ? n : 1, sizeof(*r->peers));
	if (!r->peers)
		return fail(r, rec, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct mrt_peer *pe = &r->peers[i];
		uint8_t type;
		int k;

		if (end - p < 5)
			return fail(r, rec, "PEER_INDEX_TABLE entry overruns");
		type = p[0];
		memcpy(&pe->bgp_id, p + 1, 4);
		p += 5;
		k = read_addr(p, end, type & 1 ? AFI_IPV6 : AFI_IPV4, &pe->addr);
		if (k < 0)
			return fail(r, rec, "PEER_INDEX_TABLE address overruns");
		p += k;
		k = type & 2 ? 4 : 2;
		if (end - p < k)
			return fail(r, rec, "PEER_INDEX_TABLE ASN overruns");
		pe->asn = k == 4 ? get32(p) : get16(p);
		p += k;
		r->n_peers = (uint16_t)(i + 1);
	}
	rec->kind = MRT_REC_PEER_INDEX;
	return 1;
}

static int parse_td2_rib(struct mrt_reader *r, struct mrt_record *rec,
			 uint16_t afi, bool addpath)
{
	const uint8_t *p = rec->body, *end = p + rec->len;
	unsigned plen, nbytes;

	if (end - p < 5)
		return fail(r, rec, "RIB record too short");
	rec->seq = get32(p);
	plen = p[4];
	p += 5;
	if (plen > afi_maxlen((uint8_t)afi))
		return fail(r, rec, "RIB prefix length out of range");
	nbytes = (plen + 7) / 8;
	if ((size_t)(end - p) < nbytes + 2)
		return fail(r, rec, "RIB prefix overruns");
	memset(&rec->prefix, 0, sizeof(rec->prefix));
	rec->prefix.afi = (uint8_t)afi;
	rec->prefix.len = (uint8_t)plen;
	memcpy(rec->prefix.b, p, nbytes);
	if (plen % 8)
		rec->prefix.b[nbytes - 1] &= (uint8_t)(0xff << (8 - plen % 8));
	p += nbytes;
	rec->n_entries = get16(p);
	p += 2;
	rec->entries = p;
	rec->entries_len = (size_t)(end - p);
	rec->addpath = addpath;
	rec->kind = MRT_REC_RIB;
	return 1;
}

static int parse_td1(struct mrt_reader *r, struct mrt_record *rec)
{
	const uint8_t *p = rec->body, *end = p + rec->len;
	uint16_t afi = rec->subtype;
	struct addr a;
	int k;

	if (afi != AFI_IPV4 && afi != AFI_IPV6) {
		rec->note = "TABLE_DUMP with an unknown AFI";
		return 1;
	}
	if (end - p < 4)
		return fail(r, rec, "TABLE_DUMP too short");
	rec->seq = get16(p + 2);
	p += 4;
	k = read_addr(p, end, afi, &a);
	if (k < 0 || end - p < k + 6)
		return fail(r, rec, "TABLE_DUMP prefix overruns");
	p += k;
	if (p[0] > afi_maxlen((uint8_t)afi))
		return fail(r, rec, "TABLE_DUMP prefix length out of range");
	prefix_from_addr(&rec->prefix, &a, p[0]);
	/* The single entry starts at the originated time; we point the entry
	 * list at the status byte + 1 and let the entry iterator read it. */
	rec->entries = p + 2;
	rec->entries_len = (size_t)(end - (p + 2));
	p += 6; /* len, status, originated */
	k = read_addr(p, end, afi, &rec->v1_peer.addr);
	if (k < 0 || end - p < k + 4)
		return fail(r, rec, "TABLE_DUMP peer overruns");
	rec->v1_peer.asn = get16(p + k);
	if ((size_t)(end - (p + k + 4)) < get16(p + k + 2))
		return fail(r, rec, "TABLE_DUMP attributes overrun");
	rec->n_entries = 1;
	rec->v1 = true;
	rec->kind = MRT_REC_RIB;
	return 1;
}

static int parse_td2(struct mrt_reader *r, struct mrt_record *rec)
{
	switch (rec->subtype) {
	case MRT_TD2_PEER_INDEX_TABLE:
		return parse_peer_index(r, rec);
	case MRT_TD2_RIB_IPV4_UNICAST:
		return parse_td2_rib(r, rec, AFI_IPV4, false);
	case MRT_TD2_RIB_IPV6_UNICAST:
		return parse_td2_rib(r, rec, AFI_IPV6, false);
	case MRT_TD2_RIB_IPV4_UNICAST_ADDPATH:
		return parse_td2_rib(r, rec, AFI_IPV4, true);
	case MRT_TD2_RIB_IPV6_UNICAST_ADDPATH:
		return parse_td2_rib(r, rec, AFI_IPV6, true);
	case MRT_TD2_RIB_GENERIC:
	case MRT_TD2_RIB_GENERIC_ADDPATH:
		rec->note = "TABLE_DUMP_V2 RIB_GENERIC not read";
		return 1;
	default:
		rec->note = "TABLE_DUMP_V2 subtype not read (multicast or unknown)";
		return 1;
	}
}

static int parse_bgp4mp(struct mrt_reader *r, struct mrt_record *rec)
{
	const uint8_t *p = rec->body, *end = p + rec->len;
	unsigned st = rec->subtype;
	bool state = st == MRT_BGP4MP_STATE_CHANGE ||
		     st == MRT_BGP4MP_STATE_CHANGE_AS4;
	bool as4 = st == MRT_BGP4MP_MESSAGE_AS4 ||
		   st == MRT_BGP4MP_STATE_CHANGE_AS4 ||
		   st == MRT_BGP4MP_MESSAGE_AS4_LOCAL ||
		   st == MRT_BGP4MP_MESSAGE_AS4_ADDPATH ||
		   st == MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH;
	unsigned asl = as4 ? 4 : 2;
	uint16_t afi;
	int k;

	if (st > MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH || st == 2 || st == 3) {
		rec->note = "BGP4MP subtype not read";
		return 1;
	}
	if ((size_t)(end - p) < 2 * asl + 4)
		return fail(r, rec, "BGP4MP too short");
	rec->peer_as = asl == 4 ? get32(p) : get16(p);
	rec->local_as = asl == 4 ? get32(p + asl) : get16(p + asl);
	p += 2 * asl;
	rec->ifindex = get16(p);
	afi = get16(p + 2);
	p += 4;
	k = read_addr(p, end, afi, &rec->peer_addr);
	if (k < 0)
		return fail(r, rec, "BGP4MP peer address overruns (or bad AFI)");
	p += k;
	k = read_addr(p, end, afi, &rec->local_addr);
	if (k < 0)
		return fail(r, rec, "BGP4MP local address overruns");
	p += k;
	rec->as4 = as4;
	if (state) {
		if (end - p < 4)
			return fail(r, rec, "BGP4MP state change too short");
		rec->old_state = get16(p);
		rec->new_state = get16(p + 2);
		rec->kind = MRT_REC_STATE;
		return 1;
	}
	rec->msg = p;
	rec->msg_len = (size_t)(end - p);
	rec->msg_addpath = st >= MRT_BGP4MP_MESSAGE_ADDPATH;
	rec->kind = MRT_REC_MESSAGE;
	return 1;
}

int mrt_next(struct mrt_reader *r, struct mrt_record *rec)
{
	const uint8_t *h;
	size_t avail;

	memset(rec, 0, sizeof(*rec));
	if (r->off >= r->len)
		return 0;
	h = r->buf + r->off;
	avail = r->len - r->off;
	rec->offset = r->off;
	if (avail < MRT_HDR_LEN) {
		r->truncated = true;
		return fail(r, rec, "truncated common header");
	}
	rec->timestamp = get32(h);
	rec->type = get16(h + 4);
	rec->subtype = get16(h + 6);
	rec->len = get32(h + 8);
	if (rec->len > avail - MRT_HDR_LEN) {
		r->truncated = true;
		char what[96];

		snprintf(what, sizeof(what),
			 "truncated record (%u bytes announced, %zu present)",
			 rec->len, avail - MRT_HDR_LEN);
		return fail(r, rec, what);
	}
	r->off += MRT_HDR_LEN + rec->len;
	rec->body = h + MRT_HDR_LEN;
	switch (rec->type) {
	case MRT_TABLE_DUMP:
		return parse_td1(r, rec);
	case MRT_TABLE_DUMP_V2:
		return parse_td2(r, rec);
	case MRT_BGP4MP_ET:
		if (rec->len < 4)
			return fail(r, rec, "BGP4MP_ET too short");
		rec->usec = get32(rec->body);
		rec->body += 4;
		rec->len -= 4;
		/* fall through */
	case MRT_BGP4MP:
		return parse_bgp4mp(r, rec);
	default:
		rec->note = "MRT type not read";
		return 1;
	}
}

int mrt_rib_entry_next(const struct mrt_record *rec, size_t *off,
		       struct mrt_rib_entry *e)
{
	const uint8_t *p = rec->entries + *off, *end = rec->entries + rec->entries_len;

	if (rec->kind != MRT_REC_RIB || *off >= rec->entries_len)
		return 0;
	memset(e, 0, sizeof(*e));
	if (rec->v1) {
		/* originated(4) peer ip peer as(2) attr len(2) attrs */
		size_t ipl = rec->prefix.afi == AFI_IPV4 ? 4 : 16;

		e->originated = get32(p);
		p += 4 + ipl + 2;
		e->attr_len = get16(p);
		e->attrs = p + 2;
		e->as4 = false;
		*off = rec->entries_len;
		return 1;
	}
	if (end - p < (rec->addpath ? 12 : 8))
		return -1;
	e->peer_index = get16(p);
	e->originated = get32(p + 2);
	p += 6;
	if (rec->addpath) {
		e->path_id = get32(p);
		p += 4;
	}
	e->attr_len = get16(p);
	p += 2;
	if (end - p < e->attr_len)
		return -1;
	e->attrs = p;
	e->as4 = true;
	*off = (size_t)(p + e->attr_len - rec->entries);
	return 1;
}

const struct mrt_peer *mrt_entry_peer(const struct mrt_reader *r,
				      const struct mrt_record *rec,
				      const struct mrt_rib_entry *e)
{
	if (rec->v1)
		return &rec->v1_peer;
	return e->peer_index < r->n_peers ? &r->peers[e->peer_index] : NULL;
}

/* Copy one attribute, expanding an abbreviated MP_REACH (next hop only). */
static size_t copy_attr(uint8_t *o, uint8_t flags, uint8_t code,
			const uint8_t *d, size_t alen, uint16_t afi)
{
	size_t n = 0;

	if (code == ATTR_MP_REACH && alen >= 1 && d[0] == alen - 1) {
		o[n++] = ATTR_F_OPTIONAL | ATTR_F_EXTLEN;
		o[n++] = ATTR_MP_REACH;
		o[n++] = (uint8_t)((alen + 4) >> 8);
		o[n++] = (uint8_t)(alen + 4);
		o[n++] = (uint8_t)(afi >> 8);
		o[n++] = (uint8_t)afi;
		o[n++] = SAFI_UNICAST;
		memcpy(o + n, d, alen); /* next hop length + next hop */
		n += alen;
		o[n++] = 0; /* reserved */
		return n;
	}
	o[n++] = flags | ATTR_F_EXTLEN;
	o[n++] = code;
	o[n++] = (uint8_t)(alen >> 8);
	o[n++] = (uint8_t)alen;
	memcpy(o + n, d, alen);
	return n + alen;
}

int mrt_attrs_decode(const uint8_t *attrs, size_t len, bool as4, uint16_t afi,
		     uint8_t *scratch, size_t scratch_cap,
		     struct bgp_attrs *out, struct bgp_notify *err)
{
	struct bgp_session_caps caps = { .as4 = as4, .ext_message = true,
					 .ebgp = true };
	struct bgp_update u;
	const uint8_t *p = attrs, *end = attrs + len;
	size_t o = 4;
	int rc;

	/* Every attribute may grow by 2 (extended length) and MP_REACH by 4
	 * more, so bound the room we need first. */
	while (end - p >= 3) {
		size_t hl = p[0] & ATTR_F_EXTLEN ? 4 : 3;
		size_t alen;

		if ((size_t)(end - p) < hl)
			break;
		alen = hl == 4 ? get16(p + 2) : p[2];
		if ((size_t)(end - p) < hl + alen)
			break;
		if (o + 8 + alen > scratch_cap || o + 8 + alen > 65535)
			return -1;
		o += copy_attr(scratch + o, p[0] & (uint8_t)~ATTR_F_EXTLEN, p[1],
			       p + hl, alen, afi);
		p += hl + alen;
	}
	if (p != end) { /* keep the malformed tail so the codec judges it */
		if (o + (size_t)(end - p) > scratch_cap)
			return -1;
		memcpy(scratch + o, p, (size_t)(end - p));
		o += (size_t)(end - p);
	}
	scratch[0] = scratch[1] = 0; /* no withdrawn routes */
	scratch[2] = (uint8_t)((o - 4) >> 8);
	scratch[3] = (uint8_t)(o - 4);
	rc = bgp_update_decode(scratch, o, &caps, &u, err);
	memcpy(out, &u.attrs, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------------ files */

static int shell_quote(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < 3)
		return -1;
	out[n++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			if (n + 5 >= cap)
				return -1;
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			if (n + 2 >= cap)
				return -1;
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	out[n] = 0;
	return 0;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/* Read a whole plain file. */
/* Read f to its end into a new buffer (caller frees *bufp). Returns 0,
 * or -1 when out of memory. */
static int read_all(FILE *f, uint8_t **bufp, size_t *lenp)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	do {
		if (cap - len < 65536) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);

			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int slurp(const char *path, uint8_t **bufp, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!f)
		return -1;
	if (read_all(f, &buf, &len) < 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*bufp = buf;
	*lenp = len;
	return 0;
}

/*
 * Decompress a .bz2 buffer with libbz2, keeping everything decoded before
 * a cut-short end (the bzip2 program drops its last buffer in that case,
 * and with it the end of a truncated dump). Concatenated streams are
 * followed. Returns 0, or -1 when the data is bad from the start.
 */
static int bz2_inflate(const uint8_t *in, size_t inlen, uint8_t **bufp,
		       size_t *lenp)
{
	bz_stream z;
	uint8_t *out = NULL;
	size_t len = 0, cap = 0, used = 0;
	int rc = BZ_OK;

	while (used < inlen && rc >= 0) {
		memset(&z, 0, sizeof(z));
		if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
			break;
		z.next_in = (char *)(in + used);
		z.avail_in = (unsigned)(inlen - used > 1u << 30 ? 1u << 30 : inlen - used);
		do {
			if (cap - len < 1 << 20) {
				uint8_t *nb = realloc(out, cap = cap ? cap * 2 : 4 << 20);

				if (!nb) {
					rc = BZ_MEM_ERROR;
					break;
				}
				out = nb;
			}
			z.next_out = (char *)(out + len);
			z.avail_out = (unsigned)(cap - len);
			rc = BZ2_bzDecompress(&z);
			len = (size_t)(z.next_out - (char *)out);
		} while (rc == BZ_OK && (z.avail_in || !z.avail_out));
		used = (size_t)((const uint8_t *)z.next_in - in);
		BZ2_bzDecompressEnd(&z);
		if (rc != BZ_STREAM_END)
			break; /* cut short or corrupt: keep what we have */
	}
	if (!len) {
		free(out);
		return -1;
	}
	*bufp = out;
	*lenp = len;
	return 0;
}

/* Read the output of "prog 'path'" (a decompressor). */
static int read_pipe(const char *prog, const char *path, uint8_t **bufp,
		     size_t *lenp)
{
	char cmd[4200], q[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f;
	int st;

	if (shell_quote(path, q, sizeof(q)) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s%s 2>/dev/null", prog, q);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (read_all(f, &buf, &len) < 0) {
		pclose(f);
		return -1;
	}
	/* A truncated compressed file makes the decompressor fail; what it
	 * produced is still handed on, as the data is. */
	st = pclose(f);
	if (st == -1 || (len == 0 && st != 0)) {
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int mrt_file_load(const char *path, uint8_t **bufp, size_t *lenp, char *err,
		  size_t errlen)
{
	uint8_t *raw;
	size_t rawlen;
	int rc;

	if (ends_with(path, ".gz")) {
		if (read_pipe("gzip -cd -- ", path, bufp, lenp) == 0)
			return 0;
		snprintf(err, errlen, "%s: cannot read or decompress", path);
		return -1;
	}
	if (slurp(path, &raw, &rawlen) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!ends_with(path, ".bz2")) {
		*bufp = raw;
		*lenp = rawlen;
		return 0;
	}
	rc = bz2_inflate(raw, rawlen, bufp, lenp);
	free(raw);
	if (rc == 0)
		return 0;
	snprintf(err, errlen, "%s: cannot decompress", path);
	return -1;
}

int mrt_file_save(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len && fwrite(buf, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}
