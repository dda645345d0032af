/*
 * bfd.h - the BFD control packet codec (RFC 5880 section 4): pure
 * functions over (buf, len), like the BGP codec beside it. Decoding
 * applies the reception checks of RFC 5880 6.8.6 that need nothing but
 * the packet (version, lengths, multiplier, multipoint bit, discriminators
 * and the state a zero Your Discriminator allows); the session code does
 * the rest. The authentication section is parsed and exposed; keyed SHA1
 * and meticulous keyed SHA1 (RFC 5880 4.4, 6.7.4) are encoded and checked
 * here (SHA1 from nettle), the sequence numbers by the session.
 */
#ifndef PHAROS_WIRE_BFD_H
#define PHAROS_WIRE_BFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_VERSION 1
#define BFD_HDR_LEN 24
#define BFD_MAX_LEN 64 /* header and the longest authentication section */
#define BFD_PORT_SINGLE 3784 /* RFC 5881 */
#define BFD_PORT_MULTI 4784 /* RFC 5883 */

enum bfd_state {
	BFD_ADMIN_DOWN = 0,
	BFD_DOWN = 1,
	BFD_INIT = 2,
	BFD_UP = 3,
};

enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_EXPIRED = 1, /* control detection time expired */
	BFD_DIAG_ECHO = 2,
	BFD_DIAG_NEIGHBOR_DOWN = 3, /* neighbor signaled session down */
	BFD_DIAG_FWD_RESET = 4,
	BFD_DIAG_PATH_DOWN = 5,
	BFD_DIAG_CONCAT_DOWN = 6,
	BFD_DIAG_ADMIN_DOWN = 7,
	BFD_DIAG_REV_CONCAT_DOWN = 8,
};

/* Flag bits of the second octet, below the state. */
enum {
	BFD_F_POLL = 0x20,
	BFD_F_FINAL = 0x10,
	BFD_F_CPI = 0x08, /* control plane independent */
	BFD_F_AUTH = 0x04,
	BFD_F_DEMAND = 0x02,
	BFD_F_MULTIPOINT = 0x01,
};

struct bfd_pkt {
	uint8_t diag; /* enum bfd_diag */
	uint8_t state; /* enum bfd_state */
	uint8_t flags; /* BFD_F_* */
	uint8_t detect_mult;
	uint32_t my_disc, your_disc;
	uint32_t desired_min_tx; /* microseconds */
	uint32_t required_min_rx;
	uint32_t required_min_echo_rx;
	/* Authentication section (flags & BFD_F_AUTH): type, key id and
	 * its bytes as received (auth points into the decoded buffer). */
	uint8_t auth_type, auth_len;
	const uint8_t *auth;
};

/* Decode one control packet. Returns 0, or -1 with a reason in err (a
 * packet to be discarded, RFC 5880 6.8.6). */
int bfd_decode(const uint8_t *buf, size_t len, struct bfd_pkt *p,
	       char *err, size_t errlen);
/* Encode p without authentication. Returns the length (24) or -1 when
 * cap is too small. */
int bfd_encode(const struct bfd_pkt *p, uint8_t *buf, size_t cap);

#define BFD_AUTH_KEYED_SHA1 4
#define BFD_AUTH_METICULOUS_SHA1 5
#define BFD_SHA1_LEN 52 /* 24 + the 28-byte keyed SHA1 section */
/* Encode p with a keyed SHA1 section (type BFD_AUTH_KEYED_SHA1 or
 * BFD_AUTH_METICULOUS_SHA1): key id, sequence number, and the SHA1 of
 * the packet with the key (1..20 bytes, zero padded) in the hash field.
 * Returns 52, or -1 (cap too small, bad key). */
int bfd_encode_sha1(const struct bfd_pkt *p, uint8_t type, uint8_t key_id,
		    uint32_t seq, const uint8_t *key, size_t keylen,
		    uint8_t *buf, size_t cap);
/* Check the keyed SHA1 section of a packet that decoded into p (buf as
 * received): type, length 28, key id and hash. Returns 0 with the
 * sequence number in *seq, or -1 with a reason in err. */
int bfd_check_sha1(const uint8_t *buf, size_t len, const struct bfd_pkt *p,
		   uint8_t type, uint8_t key_id, const uint8_t *key,
		   size_t keylen, uint32_t *seq, char *err, size_t errlen);

const char *bfd_state_name(int state); /* "admin_down", "down", ... */
const char *bfd_diag_name(int diag);

#endif
