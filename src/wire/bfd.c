/*
 * bfd.c - BFD control packets (RFC 5880 4.1, 6.8.6); see bfd.h.
 */
#include "wire/bfd.h"

#include <stdio.h>

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
