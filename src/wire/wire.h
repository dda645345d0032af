/*
 * wire.h - the BGP-4 wire codec: pure functions over (buf, len).
 *
 * Nothing here allocates, touches a socket or keeps state between calls:
 * decode functions read a bounded buffer and fill a struct (whose pointers
 * point back into that buffer), encode functions write into a caller's
 * buffer and return the length written. Every decode error names the
 * NOTIFICATION (code, subcode, data) it maps to, or, for UPDATE attributes,
 * the RFC 7606 action (treat-as-withdraw, attribute discard, session reset).
 *
 * Protocol knowledge lives in tables inside the .c files: one entry per
 * path attribute code (flags, length rule, decode, encode, format) and one
 * per capability.
 */
#ifndef PHAROS_BGP_WIRE_H
#define PHAROS_BGP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"

#define BGP_MARKER_LEN 16
#define BGP_HDR_LEN 19
#define BGP_MAX_LEN 4096
#define BGP_EXT_MAX_LEN 65535 /* RFC 8654 */
#define BGP_VERSION 4
#define AS_TRANS 23456

enum bgp_msg_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
};

/* NOTIFICATION error codes (RFC 4271 4.5, RFC 4486, RFC 8203, RFC 7313). */
enum bgp_err_code {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_RREFRESH = 7,
};
enum { /* message header error subcodes */
	BGP_HDR_NOT_SYNC = 1,
	BGP_HDR_BAD_LEN = 2,
	BGP_HDR_BAD_TYPE = 3,
};
enum { /* OPEN message error subcodes */
	BGP_OPEN_BAD_VERSION = 1,
	BGP_OPEN_BAD_AS = 2,
	BGP_OPEN_BAD_ID = 3,
	BGP_OPEN_BAD_OPTPARAM = 4,
	BGP_OPEN_BAD_HOLD = 6,
	BGP_OPEN_BAD_CAPA = 7,
};
enum { /* UPDATE message error subcodes */
	BGP_UPD_MALFORMED_ATTRLIST = 1,
	BGP_UPD_UNRECOGNIZED_WELLKNOWN = 2,
	BGP_UPD_MISSING_WELLKNOWN = 3,
	BGP_UPD_ATTR_FLAGS = 4,
	BGP_UPD_ATTR_LEN = 5,
	BGP_UPD_BAD_ORIGIN = 6,
	BGP_UPD_BAD_NEXTHOP = 8,
	BGP_UPD_OPTATTR = 9,
	BGP_UPD_BAD_NETWORK = 10,
	BGP_UPD_MALFORMED_ASPATH = 11,
};
enum { /* Cease subcodes (RFC 4486, RFC 8203) */
	BGP_CEASE_MAX_PREFIX = 1,
	BGP_CEASE_ADMIN_SHUTDOWN = 2,
	BGP_CEASE_PEER_DECONFIGURED = 3,
	BGP_CEASE_ADMIN_RESET = 4,
	BGP_CEASE_CONN_REJECTED = 5,
	BGP_CEASE_OTHER_CONFIG = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_OUT_OF_RESOURCES = 8,
	BGP_CEASE_HARD_RESET = 9, /* RFC 8538 */
	BGP_CEASE_BFD_DOWN = 10, /* RFC 9384 */
};

/* Path attribute type codes. */
enum bgp_attr_code {
	ATTR_ORIGIN = 1,
	ATTR_AS_PATH = 2,
	ATTR_NEXT_HOP = 3,
	ATTR_MED = 4,
	ATTR_LOCAL_PREF = 5,
	ATTR_ATOMIC_AGGREGATE = 6,
	ATTR_AGGREGATOR = 7,
	ATTR_COMMUNITIES = 8,
	ATTR_ORIGINATOR_ID = 9,
	ATTR_CLUSTER_LIST = 10,
	ATTR_MP_REACH = 14,
	ATTR_MP_UNREACH = 15,
	ATTR_EXT_COMMUNITIES = 16,
	ATTR_AS4_PATH = 17,
	ATTR_AS4_AGGREGATOR = 18,
	ATTR_LARGE_COMMUNITIES = 32,
};
enum { /* attribute flag bits */
	ATTR_F_OPTIONAL = 0x80,
	ATTR_F_TRANSITIVE = 0x40,
	ATTR_F_PARTIAL = 0x20,
	ATTR_F_EXTLEN = 0x10,
};
enum { ORIGIN_IGP = 0, ORIGIN_EGP = 1, ORIGIN_INCOMPLETE = 2 };
enum { AS_SET = 1, AS_SEQUENCE = 2, AS_CONFED_SEQUENCE = 3, AS_CONFED_SET = 4 };

/* Well-known communities (RFC 1997). */
#define COMMUNITY_NO_EXPORT 0xFFFFFF01u
#define COMMUNITY_NO_ADVERTISE 0xFFFFFF02u
#define COMMUNITY_NO_EXPORT_SUBCONFED 0xFFFFFF03u

/* Capability codes. */
enum bgp_capa_code {
	CAPA_MP = 1,
	CAPA_ROUTE_REFRESH = 2,
	CAPA_EXT_MESSAGE = 6,
	CAPA_GRACEFUL_RESTART = 64,
	CAPA_AS4 = 65,
	CAPA_ADD_PATH = 69,
	CAPA_ENHANCED_RR = 70,
	CAPA_FQDN = 73,
};

/* What to send (or what was received) in a NOTIFICATION. */
struct bgp_notify {
	uint8_t code;
	uint8_t subcode;
	uint16_t data_len;
	uint8_t data[256]; /* data beyond this is truncated */
	char reason[128]; /* human text for logs and events; not on the wire */
};

/* Fixed header. */
struct bgp_hdr {
	uint16_t len; /* whole message, header included */
	uint8_t type;
};

/*
 * Check marker, length and type of the header at buf (len >= BGP_HDR_LEN).
 * max_len is 4096 or 65535 once extended messages are negotiated.
 * Returns 0, or -1 with *err set (Header error with the right subcode and
 * data: the bad length or the bad type, as RFC 4271 6.1 asks).
 */
int bgp_hdr_decode(const uint8_t *buf, size_t len, size_t max_len,
		   struct bgp_hdr *h, struct bgp_notify *err);

/* ---------------------------------------------------------------- OPEN */

#define BGP_MAX_AFS 4
struct bgp_af {
	uint16_t afi;
	uint8_t safi;
};

struct bgp_gr_af {
	uint16_t afi;
	uint8_t safi;
	uint8_t flags; /* bit 0x80: forwarding state preserved */
};

struct bgp_open {
	uint8_t version;
	uint16_t my_as; /* the 2-octet field (AS_TRANS for big ASNs) */
	uint16_t hold_time;
	uint32_t bgp_id; /* host byte order */
	/* Capabilities, parsed. */
	uint32_t as4; /* 4-octet ASN from CAPA_AS4; 0 when absent */
	bool has_as4;
	bool route_refresh;
	bool enhanced_rr;
	bool ext_message;
	uint8_t n_afs;
	struct bgp_af afs[BGP_MAX_AFS];
	bool graceful_restart;
	uint16_t gr_time; /* restart time, 12 bits */
	uint8_t gr_flags; /* restart state bit etc. (top 4 bits) */
	uint8_t n_gr_afs;
	struct bgp_gr_af gr_afs[BGP_MAX_AFS];
	char hostname[64]; /* FQDN capability, if any */
	/* ADD-PATH (RFC 7911) for unicast, by afi (AFI_IPV4, AFI_IPV6):
	 * ADDPATH_RECEIVE | ADDPATH_SEND, 0 when not offered. */
	uint8_t add_path[3];
};
enum { ADDPATH_RECEIVE = 1, ADDPATH_SEND = 2 };

/* The peer's real ASN: the AS4 capability if present, else my_as. */
static inline uint32_t bgp_open_asn(const struct bgp_open *o)
{
	return o->has_as4 ? o->as4 : o->my_as;
}
bool bgp_open_has_af(const struct bgp_open *o, uint16_t afi, uint8_t safi);

/*
 * Decode the body of an OPEN (after the 19-byte header). Unknown
 * capabilities are skipped; a bad version, hold time 1 or 2, a zero BGP
 * identifier, a malformed optional parameter give *err with the matching
 * OPEN subcode. Checking the peer's ASN against configuration is the
 * FSM's job (it knows the configuration), not the codec's.
 */
int bgp_open_decode(const uint8_t *body, size_t len, struct bgp_open *o,
		    struct bgp_notify *err);
/* Encode a whole OPEN message (header included). Returns length or -1. */
int bgp_open_encode(const struct bgp_open *o, uint8_t *buf, size_t cap);

/* ---------------------------------------------------------- UPDATE */

/* An NLRI block: a validated run of (len, prefix bytes) entries, each
 * preceded by a 4-byte path identifier when addpath (RFC 7911). */
struct bgp_nlri_block {
	const uint8_t *p;
	size_t len;
	uint16_t afi;
	bool addpath;
};
/*
 * Iterate an NLRI block already checked by bgp_update_decode. *off starts
 * at 0. Returns 1 and fills *pfx, or 0 at the end. bgp_nlri_next_id also
 * gives the path identifier (0 when the block has none).
 */
int bgp_nlri_next(const struct bgp_nlri_block *b, size_t *off,
		  struct prefix *pfx);
int bgp_nlri_next_id(const struct bgp_nlri_block *b, size_t *off,
		     struct prefix *pfx, uint32_t *path_id);

#define BGP_MAX_UNKNOWN_ATTRS 16
/* An attribute we do not know, carried verbatim (optional transitive ones
 * are passed on with the partial bit set). */
struct bgp_raw_attr {
	uint8_t flags;
	uint8_t code;
	uint16_t len;
	const uint8_t *data;
};

#define BGP_ASPATH_MAX 4096 /* bytes of normalized (4-octet) AS_PATH */

/* Presence bits for struct bgp_attrs.present (1 << code). */
#define ATTR_BIT(code) (1ull << (code))

/*
 * The path attributes of one UPDATE, decoded. Pointers into the decoded
 * message stay valid as long as its buffer does. AS_PATH is always
 * normalized to 4-octet wire form (segment type, count, 4-byte ASNs) in
 * aspath[], with AS4_PATH already merged when the session is 2-octet
 * (RFC 6793 4.2.3); same for AGGREGATOR/AS4_AGGREGATOR.
 */
struct bgp_attrs {
	uint64_t present; /* ATTR_BIT(code) for each attribute seen */
	uint8_t origin;
	uint16_t aspath_len; /* bytes used in aspath[] */
	uint8_t aspath[BGP_ASPATH_MAX];
	struct addr next_hop; /* NEXT_HOP (v4) */
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as;
	uint32_t aggregator_addr; /* network byte order */
	uint16_t n_communities;
	const uint8_t *communities; /* n * 4 bytes, network order */
	uint16_t n_ext_communities;
	const uint8_t *ext_communities; /* n * 8 bytes */
	uint16_t n_large_communities;
	const uint8_t *large_communities; /* n * 12 bytes */
	/* MP_REACH_NLRI (IPv4 or IPv6 unicast) */
	uint16_t mp_afi;
	uint8_t mp_safi;
	struct addr mp_next_hop; /* global */
	struct addr mp_next_hop_ll; /* link-local, afi 0 when absent */
	uint8_t n_unknown;
	struct bgp_raw_attr unknown[BGP_MAX_UNKNOWN_ATTRS];
	/* iBGP-only attributes (discarded on eBGP sessions, RFC 7606 7.9/7.10) */
	uint32_t originator_id; /* network byte order */
	uint16_t cluster_list_len; /* bytes, multiple of 4 */
	const uint8_t *cluster_list;
	/* Not an attribute: the route's RPKI origin validation state (RFC
	 * 6811), set by the importer for policy to match; 0 = not validated.
	 * Never encoded, never interned. */
	uint8_t rpki;
};

/* RFC 7606 outcome of decoding an UPDATE. */
enum bgp_update_action {
	UPD_OK = 0, /* use it (perhaps with attributes discarded) */
	UPD_TREAT_AS_WITHDRAW = 1, /* withdraw every NLRI it carries */
	UPD_SESSION_RESET = 2, /* send err as NOTIFICATION, drop session */
};

struct bgp_update {
	struct bgp_nlri_block withdrawn; /* IPv4 withdrawn routes */
	struct bgp_nlri_block nlri; /* IPv4 NLRI */
	struct bgp_nlri_block mp_reach; /* MP_REACH NLRI, afi inside */
	struct bgp_nlri_block mp_unreach; /* MP_UNREACH NLRI */
	bool has_mp_reach, has_mp_unreach;
	bool end_of_rib; /* empty UPDATE, or MP_UNREACH with no NLRI only */
	uint16_t eor_afi;
	struct bgp_attrs attrs;
	/* Attribute codes discarded under RFC 7606 "attribute discard". */
	uint8_t n_discarded;
	uint8_t discarded[8];
	/* MP_REACH/MP_UNREACH of a family other than IPv4/IPv6 unicast: lengths
	 * were checked, the content was not; the caller ignores that family.
	 * has_mp_reach/has_mp_unreach stay false for such a family. */
	bool mp_reach_unsupported, mp_unreach_unsupported;
	uint16_t unsup_afi;
	uint8_t unsup_safi;
};

/* Per-session facts the decoder needs. */
struct bgp_session_caps {
	bool as4; /* 4-octet AS negotiated */
	bool ext_message; /* RFC 8654 negotiated */
	bool ebgp; /* always true in pharos, kept for clarity */
	/* ADD-PATH negotiated per afi (index AFI_IPV4, AFI_IPV6): NLRI we
	 * receive carry path identifiers (rx), NLRI we send must (tx). */
	bool addpath_rx[3], addpath_tx[3];
};
/* What ADD-PATH gives a session for afi, from what we offered (mine) and
 * what the peer offered (theirs), both ADDPATH_* bits (RFC 7911 4):
 * ADDPATH_RECEIVE when we receive path ids, ADDPATH_SEND when we send. */
uint8_t bgp_addpath_negotiate(uint8_t mine, uint8_t theirs);

/*
 * Decode an UPDATE body. Returns an enum bgp_update_action. On
 * UPD_TREAT_AS_WITHDRAW and UPD_SESSION_RESET, *err holds the error (for a
 * reset, the NOTIFICATION to send; for treat-as-withdraw, the code and
 * subcode that would have been sent and a reason, for logs and events).
 * With UPD_TREAT_AS_WITHDRAW the NLRI blocks are still valid, so the
 * caller can withdraw every prefix they name.
 */
int bgp_update_decode(const uint8_t *body, size_t len,
		      const struct bgp_session_caps *caps, struct bgp_update *u,
		      struct bgp_notify *err);

/*
 * Encode the attribute section for attrs (the flag set in attrs->present
 * says which), for a peer with the given caps: 2-octet peers get AS_TRANS
 * substitution plus AS4_PATH/AS4_AGGREGATOR. MP_REACH is not included (see
 * bgp_update_build). Returns bytes written, or -1 when cap is too small.
 */
int bgp_attrs_encode(const struct bgp_attrs *a,
		     const struct bgp_session_caps *caps, uint8_t *buf,
		     size_t cap);

/*
 * Incremental UPDATE builder: one UPDATE at a time into a caller buffer,
 * adding prefixes until the message is full (max 4096 or 65535 bytes).
 * IPv4 prefixes go into the classic NLRI/withdrawn fields, IPv6 into
 * MP_REACH/MP_UNREACH.
 */
struct bgp_update_builder {
	uint8_t *buf;
	size_t cap; /* max message length */
	size_t len; /* bytes used so far */
	uint16_t afi;
	bool withdraw; /* building withdrawals */
	bool addpath; /* each prefix goes with a path identifier */
	size_t attr_len_off, attr_start, mp_len_off, mp_attr_off;
	unsigned n_prefixes;
};
/* Start an UPDATE announcing prefixes of afi with these attributes (the
 * IPv6 next hop comes from attrs->mp_next_hop[_ll]). Returns 0 or -1. */
int bgp_update_begin(struct bgp_update_builder *b, uint8_t *buf, size_t cap,
		     uint16_t afi, const struct bgp_attrs *attrs,
		     const struct bgp_session_caps *caps);
/* Start an UPDATE withdrawing prefixes of afi. */
int bgp_update_begin_withdraw(struct bgp_update_builder *b, uint8_t *buf,
			      size_t cap, uint16_t afi);
/* Add a prefix: 0 when added, -1 when the message is full (finish it and
 * begin another). */
int bgp_update_add(struct bgp_update_builder *b, const struct prefix *p);
/* Same with a path identifier, written when b->addpath (set it after
 * begin for a session that negotiated ADD-PATH send for the family). */
int bgp_update_add_id(struct bgp_update_builder *b, const struct prefix *p,
		      uint32_t path_id);
/* Close the message (fix lengths); returns its total length. */
size_t bgp_update_finish(struct bgp_update_builder *b);

/* End-of-RIB marker for afi (RFC 4724). Returns length. */
int bgp_eor_encode(uint16_t afi, uint8_t *buf, size_t cap);

/* ------------------------------------------ NOTIFICATION, KEEPALIVE, RR */

int bgp_keepalive_encode(uint8_t *buf, size_t cap);
/* Encode a NOTIFICATION (header included). */
int bgp_notify_encode(const struct bgp_notify *n, uint8_t *buf, size_t cap);
/* Cease/Administrative Shutdown or Reset with RFC 8203 text (<= 255). */
void bgp_notify_shutdown(struct bgp_notify *n, uint8_t subcode,
			 const char *text);
/* Decode a NOTIFICATION body; fills reason with a readable text, including
 * the RFC 8203 shutdown communication when present. */
int bgp_notify_decode(const uint8_t *body, size_t len, struct bgp_notify *n);
/* Name of a code/subcode pair, e.g. "Cease/Maximum Number of Prefixes
 * Reached". */
const char *bgp_err_name(uint8_t code, uint8_t subcode, char *buf, size_t len);

struct bgp_route_refresh {
	uint16_t afi;
	uint8_t subtype; /* 0 normal, 1 BoRR, 2 EoRR (RFC 7313) */
	uint8_t safi;
};
int bgp_rr_encode(const struct bgp_route_refresh *r, uint8_t *buf,
		  size_t cap);
int bgp_rr_decode(const uint8_t *body, size_t len, struct bgp_route_refresh *r,
		  struct bgp_notify *err);

/* ------------------------------------------------------ formatting */

/* Iterate the normalized AS_PATH: segment type and ASNs. */
struct aspath_iter {
	const uint8_t *p, *end;
	uint8_t seg_type;
	unsigned seg_left;
};
void aspath_iter_init(struct aspath_iter *it, const struct bgp_attrs *a);
/* Returns 1 with *asn and the segment type in it->seg_type, 0 at end. */
int aspath_iter_next(struct aspath_iter *it, uint32_t *asn);
/* Path length for best-path selection: AS_SEQUENCE counts each ASN, an
 * AS_SET counts 1, confederation segments count 0 (RFC 5065). */
unsigned aspath_length(const struct bgp_attrs *a);
/* "65001 65002 {65003,65004}" */
int aspath_fmt(const struct bgp_attrs *a, char *buf, size_t len);
/* Build a normalized path of one AS_SEQUENCE from n ASNs. */
void aspath_set_sequence(struct bgp_attrs *a, const uint32_t *asns, unsigned n);
/* Prepend asn to the path (RFC 4271 5.1.2 rules). Returns 0 or -1 when
 * the path would exceed BGP_ASPATH_MAX. */
int aspath_prepend(struct bgp_attrs *a, uint32_t asn);
bool aspath_contains(const struct bgp_attrs *a, uint32_t asn);
/* The origin AS (last ASN of the last AS_SEQUENCE), 0 when none. */
uint32_t aspath_origin_as(const struct bgp_attrs *a);

/* Readable name of a message type, attribute, capability. */
const char *bgp_msg_name(uint8_t type);
const char *bgp_attr_name(uint8_t code);
const char *bgp_capa_name(uint8_t code);
/* Format one decoded attribute's value ("65001 65002", "igp", ...) with the
 * attribute table's format function. Returns chars written, -1 if the
 * attribute is absent or has no formatter. */
int bgp_attr_fmt(const struct bgp_attrs *a, uint8_t code, char *buf,
		 size_t len);

/* ------------------------------------- codec internals (shared by src/wire) */

/* Fill *err: code, subcode, data (truncated to sizeof err->data) and a
 * printf-style reason. Safe with err == NULL. */
void bgp_err_set(struct bgp_notify *err, uint8_t code, uint8_t subcode,
		 const uint8_t *data, size_t data_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Check an NLRI run of afi (every length <= max, every prefix inside len).
 * Returns the number of prefixes, or -1 when it cannot be parsed. */
long bgp_nlri_validate(const uint8_t *p, size_t len, uint16_t afi);
/* Same for a run whose entries each start with a 4-byte path id. */
long bgp_nlri_validate_ap(const uint8_t *p, size_t len, uint16_t afi,
			  bool addpath);
/* Decode the path attribute section into u->attrs (and MP blocks of u).
 * Returns an enum bgp_update_action; *err set for anything but a clean OK
 * (an OK with attributes discarded also fills *err, for logs). */
int bgp_attrs_decode(const uint8_t *p, size_t len,
		     const struct bgp_session_caps *caps, struct bgp_update *u,
		     struct bgp_notify *err);
/* Encode like bgp_attrs_encode, leaving out codes whose ATTR_BIT is set
 * in skip. */
int bgp_attrs_encode_skip(const struct bgp_attrs *a,
			  const struct bgp_session_caps *caps, uint64_t skip,
			  uint8_t *buf, size_t cap);
/* Validate a wire AS_PATH (as4: 4-octet ASNs, else 2-octet) and store it
 * normalized in a->aspath. Returns 0, -1 when malformed. */
int aspath_decode(struct bgp_attrs *a, const uint8_t *p, size_t len, bool as4);
/* Validate an AS4_PATH (4-octet, no confederation segments). */
int aspath_as4_check(const uint8_t *p, size_t len);
/* RFC 6793 4.2.3: merge a validated AS4_PATH into the normalized path. */
void aspath_merge_as4(struct bgp_attrs *a, const uint8_t *as4, size_t len);
/* Write the path in wire form for a peer: 4-octet, or 2-octet with
 * AS_TRANS (then *need_as4 says whether some ASN did not fit). Returns the
 * length, -1 when cap is too small. */
int aspath_encode(const struct bgp_attrs *a, bool as4, uint8_t *out,
		  size_t cap, bool *need_as4);
/* AS4_PATH for a 2-octet peer: the path without confederation segments. */
int aspath_encode_as4(const struct bgp_attrs *a, uint8_t *out, size_t cap);

/* UPDATE messages in a block of whole BGP messages (stops at a length
 * below the header size). */
unsigned bgp_count_updates(const uint8_t *buf, size_t len);

#endif
