/*
 * mrt.h - MRT (RFC 6396) routing information export format: reader and
 * writer.
 *
 * The reader walks the records of a buffer (a whole file loaded in memory,
 * see mrt_file_load) and yields them one at a time as plain structs whose
 * pointers point back into that buffer: TABLE_DUMP (v1) entries,
 * TABLE_DUMP_V2 PEER_INDEX_TABLE and RIB_IPV4/IPV6_UNICAST (and their
 * add-path variants, RFC 8050), BGP4MP and BGP4MP_ET MESSAGE(_AS4) and
 * STATE_CHANGE(_AS4). Anything else is yielded as MRT_REC_SKIPPED with a
 * note, never as an error. A record cut short at the end of the buffer is
 * reported (mrt_next returns -1 with a message) and ends the walk.
 *
 * The writer appends TABLE_DUMP_V2 (PEER_INDEX_TABLE, RIB_IPV4_UNICAST,
 * RIB_IPV6_UNICAST) and BGP4MP_MESSAGE_AS4 records to a growable buffer,
 * in the form bgpdump reads. pharosctl mrt dump and pharos-peer use both.
 */
#ifndef PHAROS_MRT_MRT_H
#define PHAROS_MRT_MRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"
#include "base/prefix.h"

#define MRT_HDR_LEN 12

enum mrt_type {
	MRT_TABLE_DUMP = 12,
	MRT_TABLE_DUMP_V2 = 13,
	MRT_BGP4MP = 16,
	MRT_BGP4MP_ET = 17,
};
enum { /* TABLE_DUMP (v1) subtypes: the AFI */
	MRT_TD1_AFI_IPV4 = 1,
	MRT_TD1_AFI_IPV6 = 2,
};
enum { /* TABLE_DUMP_V2 subtypes (RFC 6396 4.3, RFC 8050) */
	MRT_TD2_PEER_INDEX_TABLE = 1,
	MRT_TD2_RIB_IPV4_UNICAST = 2,
	MRT_TD2_RIB_IPV4_MULTICAST = 3,
	MRT_TD2_RIB_IPV6_UNICAST = 4,
	MRT_TD2_RIB_IPV6_MULTICAST = 5,
	MRT_TD2_RIB_GENERIC = 6,
	MRT_TD2_RIB_IPV4_UNICAST_ADDPATH = 8,
	MRT_TD2_RIB_IPV4_MULTICAST_ADDPATH = 9,
	MRT_TD2_RIB_IPV6_UNICAST_ADDPATH = 10,
	MRT_TD2_RIB_IPV6_MULTICAST_ADDPATH = 11,
	MRT_TD2_RIB_GENERIC_ADDPATH = 12,
};
enum { /* BGP4MP / BGP4MP_ET subtypes (RFC 6396 4.4, RFC 8050) */
	MRT_BGP4MP_STATE_CHANGE = 0,
	MRT_BGP4MP_MESSAGE = 1,
	MRT_BGP4MP_MESSAGE_AS4 = 4,
	MRT_BGP4MP_STATE_CHANGE_AS4 = 5,
	MRT_BGP4MP_MESSAGE_LOCAL = 6,
	MRT_BGP4MP_MESSAGE_AS4_LOCAL = 7,
	MRT_BGP4MP_MESSAGE_ADDPATH = 8,
	MRT_BGP4MP_MESSAGE_AS4_ADDPATH = 9,
	MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH = 10,
	MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH = 11,
};

/* What a record holds, as the reader understood it. */
enum mrt_rec_kind {
	MRT_REC_SKIPPED = 0, /* a type we do not read; see note */
	MRT_REC_PEER_INDEX, /* TABLE_DUMP_V2 PEER_INDEX_TABLE (peers stored in the reader) */
	MRT_REC_RIB, /* TABLE_DUMP v1 or V2 RIB: a prefix and entries */
	MRT_REC_MESSAGE, /* BGP4MP(_ET) MESSAGE*: a whole BGP message */
	MRT_REC_STATE, /* BGP4MP(_ET) STATE_CHANGE* */
};

/* One peer of a PEER_INDEX_TABLE (or of a TABLE_DUMP v1 entry). */
struct mrt_peer {
	uint32_t bgp_id; /* network byte order */
	struct addr addr;
	uint32_t asn;
};

struct mrt_record {
	/* Common header. */
	uint32_t timestamp;
	uint32_t usec; /* BGP4MP_ET microseconds, else 0 */
	uint16_t type, subtype;
	uint32_t len; /* body length as in the header */
	const uint8_t *body;
	size_t offset; /* of the record in the buffer */
	enum mrt_rec_kind kind;
	const char *note; /* why a record is skipped */

	/* MRT_REC_RIB */
	uint32_t seq;
	struct prefix prefix;
	bool addpath; /* entries carry a path identifier */
	bool v1; /* TABLE_DUMP v1: one entry, 2-octet AS attributes */
	uint16_t n_entries;
	const uint8_t *entries; /* raw entry list */
	size_t entries_len;
	struct mrt_peer v1_peer; /* TABLE_DUMP v1: the entry's peer */

	/* MRT_REC_MESSAGE and MRT_REC_STATE */
	uint32_t peer_as, local_as;
	uint16_t ifindex;
	struct addr peer_addr, local_addr;
	bool as4; /* the BGP session used 4-octet ASNs */
	bool msg_addpath; /* MESSAGE_*_ADDPATH: NLRI carry path ids */
	const uint8_t *msg; /* the BGP message, header included */
	size_t msg_len;
	uint16_t old_state, new_state;
};

/* One entry of a RIB record. */
struct mrt_rib_entry {
	uint16_t peer_index; /* into the PEER_INDEX_TABLE (0 for v1) */
	uint32_t originated;
	uint32_t path_id; /* add-path only */
	const uint8_t *attrs; /* raw path attributes */
	uint16_t attr_len;
	bool as4; /* attributes use 4-octet AS_PATH (always for V2) */
};

/* Reader state: the buffer, where we are, and the last PEER_INDEX_TABLE. */
struct mrt_reader {
	const uint8_t *buf;
	size_t len, off;
	uint32_t collector_id;
	char view[64];
	uint16_t n_peers;
	struct mrt_peer *peers; /* owned; freed by mrt_reader_free */
	char err[160]; /* last error message */
	bool truncated; /* the walk ended on a record cut short */
};

void mrt_reader_init(struct mrt_reader *r, const uint8_t *buf, size_t len);
void mrt_reader_free(struct mrt_reader *r);
/*
 * Next record. Returns 1 with *rec filled, 0 at the end of the buffer, -1
 * on a record that cannot be read (truncated, or a malformed body): r->err
 * says why, r->truncated tells the truncation case, and the walk ends there
 * (the next call returns 0).
 */
int mrt_next(struct mrt_reader *r, struct mrt_record *rec);
/* Iterate the entries of an MRT_REC_RIB record; *off starts at 0. Returns
 * 1 with *e filled, 0 at the end, -1 when an entry overruns the record. */
int mrt_rib_entry_next(const struct mrt_record *rec, size_t *off,
		       struct mrt_rib_entry *e);
/* The peer of a RIB entry (NULL when the index is out of range). */
const struct mrt_peer *mrt_entry_peer(const struct mrt_reader *r,
				      const struct mrt_record *rec,
				      const struct mrt_rib_entry *e);

/*
 * Decode the raw path attributes of a RIB entry the way bgp_update_decode
 * does. The abbreviated MP_REACH of TABLE_DUMP_V2 (next hop only, RFC 6396
 * 4.3.4) is expanded for the given afi first. scratch (at least attr_len +
 * 64 bytes) holds the rebuilt attributes; pointers in *out point into it.
 * Returns an enum bgp_update_action (UPD_OK, ...), or -1 if scratch is too
 * small.
 */
int mrt_attrs_decode(const uint8_t *attrs, size_t len, bool as4, uint16_t afi,
		     uint8_t *scratch, size_t scratch_cap,
		     struct bgp_attrs *out, struct bgp_notify *err);
#define MRT_SCRATCH_LEN (65536 + 128)

/* ------------------------------------------------------------ writer */

/* A growable output buffer. */
struct mrt_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom; /* an allocation failed; everything after is dropped */
};
void mrt_wbuf_free(struct mrt_wbuf *w);

/* PEER_INDEX_TABLE: collector BGP id (network order), view name, peers. */
int mrt_write_peer_index(struct mrt_wbuf *w, uint32_t ts, uint32_t collector_id,
			 const char *view, const struct mrt_peer *peers,
			 unsigned n);
/* One RIB entry to write: the attributes are encoded with 4-octet ASNs;
 * for IPv6 the next hop goes into an abbreviated MP_REACH. */
struct mrt_rib_out {
	uint16_t peer_index;
	uint32_t originated;
	const struct bgp_attrs *attrs;
};
/* RIB_IPV4_UNICAST or RIB_IPV6_UNICAST (from the prefix's family). */
int mrt_write_rib(struct mrt_wbuf *w, uint32_t ts, uint32_t seq,
		  const struct prefix *p, const struct mrt_rib_out *entries,
		  unsigned n);
/* BGP4MP_MESSAGE_AS4 holding msg (a whole BGP message, header included). */
int mrt_write_bgp4mp_msg(struct mrt_wbuf *w, uint32_t ts, uint32_t peer_as,
			 uint32_t local_as, const struct addr *peer,
			 const struct addr *local, const uint8_t *msg,
			 size_t msg_len);
/* BGP4MP_STATE_CHANGE_AS4 (states 1..6 as in RFC 6396 4.4.1). */
int mrt_write_bgp4mp_state(struct mrt_wbuf *w, uint32_t ts, uint32_t peer_as,
			   uint32_t local_as, const struct addr *peer,
			   const struct addr *local, uint16_t old_state,
			   uint16_t new_state);

/* ------------------------------------------------------------ files */

/*
 * Load a whole file into a malloc'd buffer; names ending in .gz or .bz2 are
 * read through gzip -cd / bzip2 -cd. Returns 0, or -1 with err filled.
 */
int mrt_file_load(const char *path, uint8_t **buf, size_t *len, char *err,
		  size_t errlen);
/* Write a buffer to a file (plain). Returns 0 or -1 with errno set. */
int mrt_file_save(const char *path, const uint8_t *buf, size_t len);

#endif
