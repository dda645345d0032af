/*
 * bmp_msg.h - the pure BMP codec (RFC 7854, Loc-RIB RFC 9069): each
 * encode function writes one whole BMP message (common header included)
 * into a caller's buffer and returns its length, or -1 when it does not
 * fit or an argument is out of range. bmp_msg_decode reads the common and
 * per-peer headers back (for tests and the fuzzer). No sockets, no state.
 */
#ifndef PHAROS_BMP_BMP_MSG_H
#define PHAROS_BMP_BMP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"

#define BMP_VERSION 3
#define BMP_HDR_LEN 6 /* version, length (4), type */
#define BMP_PEER_HDR_LEN 42

enum bmp_type {
	BMP_ROUTE_MONITORING = 0,
	BMP_STATISTICS = 1,
	BMP_PEER_DOWN = 2,
	BMP_PEER_UP = 3,
	BMP_INITIATION = 4,
	BMP_TERMINATION = 5,
};

/* Peer types: a global instance peer, and the Loc-RIB (RFC 9069). */
enum { BMP_PEER_GLOBAL = 0, BMP_PEER_LOC_RIB = 3 };
/* Peer flags (RFC 7854 4.2): V IPv6 address, L post-policy, A legacy
 * 2-octet AS_PATH; Loc-RIB peers (RFC 9069 4.2): F filtered. */
enum {
	BMP_PF_V = 0x80,
	BMP_PF_L = 0x40,
	BMP_PF_A = 0x20,
	BMP_PF_F = 0x80,
};

/* Information TLVs: Initiation (0 string, 1 sysDescr, 2 sysName) and
 * Peer Up (0 string, 3 VRF/Table Name, RFC 9069). */
enum { BMP_INFO_STRING = 0, BMP_INFO_SYSDESCR = 1, BMP_INFO_SYSNAME = 2,
       BMP_INFO_TABLE_NAME = 3 };
/* Termination TLVs and reasons (RFC 7854 4.5). */
enum { BMP_TERM_STRING = 0, BMP_TERM_REASON = 1 };
enum { BMP_TERM_ADMIN_CLOSE = 0, BMP_TERM_UNSPECIFIED = 1,
       BMP_TERM_OUT_OF_RESOURCES = 2 };
/* Peer Down reasons (RFC 7854 4.9, RFC 9069 5.4). */
enum {
	BMP_DOWN_LOCAL_NOTIFY = 1, /* data: the NOTIFICATION sent */
	BMP_DOWN_LOCAL_NO_NOTIFY = 2, /* data: 2-octet FSM event code */
	BMP_DOWN_REMOTE_NOTIFY = 3, /* data: the NOTIFICATION received */
	BMP_DOWN_REMOTE_NO_NOTIFY = 4,
	BMP_DOWN_DECONFIGURED = 5,
	BMP_DOWN_LOCAL_CLOSED = 6, /* Loc-RIB: TLV data follows */
};
/* Statistics types used here (RFC 7854 4.8). */
enum {
	BMP_STAT_REJECTED = 0, /* 32-bit counter: refused by import policy */
	BMP_STAT_ASPATH_LOOP = 4, /* 32-bit counter */
	BMP_STAT_ADJ_RIB_IN = 7, /* 64-bit gauge */
	BMP_STAT_LOC_RIB = 8, /* 64-bit gauge */
	BMP_STAT_ADJ_RIB_IN_AF = 9, /* AFI, SAFI, 64-bit gauge */
	BMP_STAT_LOC_RIB_AF = 10, /* AFI, SAFI, 64-bit gauge */
	BMP_STAT_TREAT_AS_WITHDRAW = 11, /* 32-bit counter */
};

/* The per-peer header (RFC 7854 4.2). addr.afi 0 writes zeros (the
 * Loc-RIB peer); the V flag is set from addr for global peers. */
struct bmp_peer {
	uint8_t type; /* BMP_PEER_GLOBAL or BMP_PEER_LOC_RIB */
	uint8_t flags; /* BMP_PF_* (V is added for IPv6 addresses) */
	uint64_t distinguisher;
	struct addr addr;
	uint32_t asn;
	uint32_t bgp_id; /* host byte order */
	uint32_t ts_sec, ts_usec;
};

/* One statistic; afi/safi only for the per-family types 9 and 10. */
struct bmp_stat {
	uint16_t type;
	uint16_t afi;
	uint8_t safi;
	uint64_t value; /* counters are cut to 32 bits on the wire */
};

int bmp_initiation_encode(uint8_t *buf, size_t cap, const char *sys_name,
			  const char *sys_descr);
/* reason: BMP_TERM_*; text may be NULL. */
int bmp_termination_encode(uint8_t *buf, size_t cap, uint16_t reason,
			   const char *text);
/* Peer Up: local address and ports of the session, the OPEN messages
 * sent and received (whole BGP messages), and table_name (NULL: no
 * VRF/Table Name TLV; the Loc-RIB peer must have one). */
int bmp_peer_up_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
		       const struct addr *local, uint16_t local_port,
		       uint16_t remote_port, const uint8_t *open_sent,
		       size_t sent_len, const uint8_t *open_recv,
		       size_t recv_len, const char *table_name);
/* Peer Down with reason and its data (NOTIFICATION message, FSM event
 * code, or nothing). */
int bmp_peer_down_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
			 uint8_t reason, const uint8_t *data, size_t data_len);
/* Route Monitoring: one whole BGP UPDATE message. */
int bmp_route_mon_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
			 const uint8_t *update, size_t len);
/* Bytes a Route Monitoring message adds around an UPDATE. */
#define BMP_ROUTE_MON_OVERHEAD (BMP_HDR_LEN + BMP_PEER_HDR_LEN)
int bmp_stats_encode(uint8_t *buf, size_t cap, const struct bmp_peer *p,
		     const struct bmp_stat *st, unsigned n);

/* A decoded message: the common header, the per-peer header (for the
 * types that carry one) and the rest of the body. */
struct bmp_msg {
	uint8_t type;
	uint32_t len; /* whole message */
	bool has_peer;
	struct bmp_peer peer;
	const uint8_t *body; /* after the per-peer header */
	size_t body_len;
};
/* Decode the message at buf. Returns its length, 0 when buf holds less
 * than a whole message, -1 when malformed (bad version, length below the
 * headers, unknown type, a Route Monitoring without a whole UPDATE). */
long bmp_msg_decode(const uint8_t *buf, size_t len, struct bmp_msg *m);
/* Find TLV type in an Initiation/Termination body or the Information
 * TLVs of a Peer Up (those after the OPENs, from bmp_peer_up_tlvs). Returns 1 with
 * *val and *vlen, 0 when absent, -1 when the TLVs are malformed. */
int bmp_tlv_find(const uint8_t *p, size_t len, uint16_t type,
		 const uint8_t **val, size_t *vlen);
/* The Information TLVs of a Peer Up body; -1 when it is malformed. */
int bmp_peer_up_tlvs(const struct bmp_msg *m, const uint8_t **tlvs,
		     size_t *len);
const char *bmp_type_name(uint8_t type);

#endif
