/*
 * bmp_int.h - what the files of src/bmp share: the collectors (bmp.c owns
 * their sockets, queues and reconnects) and the packing of routes into
 * Route Monitoring messages (bmp_feed.c decides what each collector is
 * sent: Peer Up/Down, UPDATEs, the table dump, statistics).
 */
#ifndef PHAROS_BMP_BMP_INT_H
#define PHAROS_BMP_BMP_INT_H

#include <ev.h>

#include "bmp/bmp.h"
#include "bmp/bmp_msg.h"
#include "rib/rib.h"
#include "wire/wire.h"

#define BMP_MSG_MAX (BGP_EXT_MAX_LEN + 256) /* one UPDATE wrapped, or a Peer Up */
#define BMP_DUMP_LOW (256u << 10) /* dump more while less is queued (and
				    * less than a quarter of max_queue) */
#define BMP_DUMP_SLICE 2000 /* loc-RIB entries per dump slice */
#define BMP_RETRY_MIN 1.0
#define BMP_RETRY_MAX 60.0
#define BMP_LOC_RIB_NAME "global"

enum bmp_cstate { BC_IDLE = 0, BC_CONNECTING = 1, BC_UP = 2 };

/* Routes packed into one UPDATE at a time for one BMP peer (a BGP peer
 * or the Loc-RIB): consecutive prefixes of one family with the same
 * interned attributes share a message. attr NULL with open set: a
 * message of withdrawals. */
struct bmp_pack {
	bool open, withdraw;
	uint16_t afi;
	const struct rattr *attr;
	struct bgp_update_builder ub;
	uint8_t buf[BGP_MAX_LEN];
};

/* What one collector knows of one BGP peer (by RIB peer index). */
struct bmp_cpeer {
	bool up; /* Peer Up sent, no Peer Down since */
	bool dump; /* its routes are part of the running dump */
	uint32_t bgp_id; /* for the per-peer header of Peer Down */
	struct bmp_pack *pack; /* dump packing, allocated while dumping */
};

struct bmp_coll {
	struct bmp *b;
	struct addr addr;
	uint16_t port;
	uint32_t stats_s;
	size_t max_queue; /* bytes */
	char name[64];
	int fd;
	uint8_t state; /* enum bmp_cstate */
	bool stopping; /* removed by reload: close once the queue is out */
	ev_io rio, wio;
	ev_timer retry, stats;
	double backoff;
	/* Send queue: bytes [q_off, q_len) of q wait to be written. */
	uint8_t *q;
	size_t q_off, q_len, q_cap;
	/* Peers, by RIB peer index. */
	struct bmp_cpeer *peers;
	uint32_t n_peers;
	bool loc_up; /* the Loc-RIB's Peer Up was sent */
	struct bmp_pack *loc_pack; /* live Loc-RIB changes */
	/* The table dump after connecting. */
	bool dumping, dump_walked;
	bool dump_has_cursor;
	struct prefix dump_cursor; /* last loc-RIB entry dumped */
	struct bmp_pack *dump_loc; /* the Loc-RIB's dump packing */
	/* Counters. */
	uint64_t messages, bytes, drops, connects;
};

struct bmp {
	struct session *s;
	struct bmp_coll **coll;
	unsigned n_coll;
	struct bgp_attrs scratch; /* attributes being encoded */
	uint8_t msg[BMP_MSG_MAX]; /* one BMP message being encoded */
};

/* bmp.c: queue one encoded message (len from an encoder; <= 0 is
 * ignored). Returns false when the collector was dropped because its
 * queue is full. */
bool bmp_coll_send(struct bmp_coll *c, const uint8_t *msg, int len);
/* Make sure the write watcher runs (the dump goes on from there). */
void bmp_coll_kick(struct bmp_coll *c);
/* The dump makes more only while fewer bytes than this are queued, so
 * that the dump alone never fills the queue of a slow collector. */
size_t bmp_coll_dump_low(const struct bmp_coll *c);
/* The peer slot of a RIB peer index, grown as needed; NULL: no memory. */
struct bmp_cpeer *bmp_cpeer(struct bmp_coll *c, uint32_t rib_id);

/* bmp_feed.c: the collector just connected: Initiation, Peer Ups, then
 * the dump starts. */
void bmp_feed_connected(struct bmp_coll *c);
/* The next slice of the dump (called while the queue is short). */
void bmp_feed_dump_slice(struct bmp_coll *c);
/* Statistics Reports for every peer that is up, and the Loc-RIB. */
void bmp_feed_stats(struct bmp_coll *c);
/* Forget per-connection state (packs, peer flags). */
void bmp_feed_reset(struct bmp_coll *c);

#endif
