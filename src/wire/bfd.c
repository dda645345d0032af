/*
 * bfd.c - BFD control packets (RFC 5880 4.1, 6.8.6); see bfd.h.
 */
#include "wire/bfd.h"

#include <stdio.h>
#include <string.h>

#include <nettle/memops.h>
#include <nettle/sha1.h>

#include "base/bytes.h"

static int fail(char *err, size_t len, const char *why)
{
	if (err && len)
		snprintf(err, len, "%s", why);
	return -1;
}

int bfd_decode(const uint8_t *buf, size_t len, struct bfd_pkt *p,
	       char *err, size_t errlen)
{
	size_t plen;

	if (len < BFD_HDR_LEN)
		return fail(err, errlen, "shorter than 24 bytes");
	if (buf[0] >> 5 != BFD_VERSION)
		return fail(err, errlen, "version is not 1");
	plen = buf[3];
	p->diag = buf[0] & 0x1f;
	p->state = buf[1] >> 6;
	p->flags = buf[1] & 0x3f;
	p->detect_mult = buf[2];
	p->my_disc = get32(buf + 4);
	p->your_disc = get32(buf + 8);
	p->desired_min_tx = get32(buf + 12);
	p->required_min_rx = get32(buf + 16);
	p->required_min_echo_rx = get32(buf + 20);
	p->auth_type = p->auth_len = 0;
	p->auth = NULL;
	if (plen < (p->flags & BFD_F_AUTH ? BFD_HDR_LEN + 2u : BFD_HDR_LEN))
		return fail(err, errlen, "length field too small");
	if (plen > len)
		return fail(err, errlen, "length field beyond the datagram");
	if (p->detect_mult == 0)
		return fail(err, errlen, "detect multiplier is zero");
	if (p->flags & BFD_F_MULTIPOINT)
		return fail(err, errlen, "multipoint bit set");
	if (p->my_disc == 0)
		return fail(err, errlen, "my discriminator is zero");
	if (p->your_disc == 0 && p->state != BFD_DOWN &&
	    p->state != BFD_ADMIN_DOWN)
		return fail(err, errlen,
			    "your discriminator zero in state init or up");
	if (p->flags & BFD_F_AUTH) {
		p->auth_type = buf[24];
		p->auth_len = buf[25];
		if (p->auth_len < 2 || BFD_HDR_LEN + (size_t)p->auth_len > plen)
			return fail(err, errlen, "bad authentication length");
		p->auth = buf + BFD_HDR_LEN;
	}
	return 0;
}

int bfd_encode(const struct bfd_pkt *p, uint8_t *buf, size_t cap)
{
	if (cap < BFD_HDR_LEN)
		return -1;
	buf[0] = (uint8_t)(BFD_VERSION << 5 | (p->diag & 0x1f));
	buf[1] = (uint8_t)((p->state & 3) << 6 |
			   (p->flags & (0x3f & ~BFD_F_AUTH)));
	buf[2] = p->detect_mult;
	buf[3] = BFD_HDR_LEN;
	put32(buf + 4, p->my_disc);
	put32(buf + 8, p->your_disc);
	put32(buf + 12, p->desired_min_tx);
	put32(buf + 16, p->required_min_rx);
	put32(buf + 20, p->required_min_echo_rx);
	return BFD_HDR_LEN;
}

/* SHA1 of the 52-byte packet in buf with the key in its hash field. */
static void sha1_keyed(const uint8_t *buf, const uint8_t *key, size_t keylen,
		       uint8_t *out)
{
	uint8_t tmp[BFD_SHA1_LEN];
	struct sha1_ctx c;

	memcpy(tmp, buf, BFD_SHA1_LEN);
	memset(tmp + 32, 0, SHA1_DIGEST_SIZE);
	memcpy(tmp + 32, key, keylen);
	sha1_init(&c);
	sha1_update(&c, sizeof(tmp), tmp);
	sha1_digest(&c, SHA1_DIGEST_SIZE, out);
}

int bfd_encode_sha1(const struct bfd_pkt *p, uint8_t type, uint8_t key_id,
		    uint32_t seq, const uint8_t *key, size_t keylen,
		    uint8_t *buf, size_t cap)
{
	if (cap < BFD_SHA1_LEN || keylen < 1 || keylen > SHA1_DIGEST_SIZE ||
	    bfd_encode(p, buf, cap) < 0)
		return -1;
	buf[1] |= BFD_F_AUTH;
	buf[3] = BFD_SHA1_LEN;
	buf[24] = type;
	buf[25] = 28;
	buf[26] = key_id;
	buf[27] = 0;
	put32(buf + 28, seq);
	sha1_keyed(buf, key, keylen, buf + 32);
	return BFD_SHA1_LEN;
}

int bfd_check_sha1(const uint8_t *buf, size_t len, const struct bfd_pkt *p,
		   uint8_t type, uint8_t key_id, const uint8_t *key,
		   size_t keylen, uint32_t *seq, char *err, size_t errlen)
{
	uint8_t want[SHA1_DIGEST_SIZE];

	if (!(p->flags & BFD_F_AUTH))
		return fail(err, errlen, "no authentication section");
	if (p->auth_type != type)
		return fail(err, errlen, "other authentication type");
	if (p->auth_len != 28 || len < BFD_SHA1_LEN || buf[3] != BFD_SHA1_LEN)
		return fail(err, errlen, "bad keyed SHA1 section length");
	if (buf[26] != key_id)
		return fail(err, errlen, "other key id");
	if (keylen < 1 || keylen > SHA1_DIGEST_SIZE)
		return fail(err, errlen, "bad key");
	sha1_keyed(buf, key, keylen, want);
	if (!memeql_sec(want, buf + 32, SHA1_DIGEST_SIZE))
		return fail(err, errlen, "wrong SHA1 digest");
	*seq = get32(buf + 28);
	return 0;
}

const char *bfd_state_name(int state)
{
	static const char *const n[] = {"admin_down", "down", "init", "up"};

	return state >= 0 && state <= 3 ? n[state] : "unknown";
}

const char *bfd_diag_name(int diag)
{
	static const char *const n[] = {
		"none", "control detection time expired", "echo failed",
		"neighbor signaled session down", "forwarding plane reset",
		"path down", "concatenated path down", "administratively down",
		"reverse concatenated path down"};

	return diag >= 0 && diag <= 8 ? n[diag] : "unknown";
}
