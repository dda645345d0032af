/*
 * bmp.h - pharosd as a BMP-monitored router (RFC 7854, Loc-RIB RFC
 * 9069): it connects out to each collector of route_server.bmp and
 * streams Initiation, Peer Up/Down per BGP peer, Route Monitoring of each
 * peer's adj-RIB-in before policy (the UPDATEs as received; on connect,
 * a dump re-encoded from the RIB followed by End-of-RIB per peer), the
 * Loc-RIB as its own peer (type 3) with its best paths, periodic
 * Statistics Reports, and Termination when pharosd stops.
 *
 * The daemon feeds it through the session's hooks (peer up/down, UPDATE
 * in) and from the loc-RIB change-set drain; it reads peers, the RIB and
 * the configuration through struct session and never calls above itself.
 * Each collector has a bounded send queue: when a collector does not keep
 * up, the connection is dropped (and counted) and a full resync follows
 * the reconnect, which backs off exponentially.
 */
#ifndef PHAROS_BMP_BMP_H
#define PHAROS_BMP_BMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

struct bmp;
struct peer;
struct conn;

/* Start (connect to) the collectors of s->conf->rs.bmp. Never NULL
 * unless out of memory; with no collector configured it does nothing. */
struct bmp *bmp_new(struct session *s);
/* Reload: keep collectors whose address and port are unchanged (their
 * other settings apply at once), close removed ones with a Termination,
 * connect to new ones. */
void bmp_configure(struct bmp *b);
/* Shutdown: a Termination to every connected collector, written out
 * (waiting at most about a second), then the connections close. */
void bmp_stop(struct bmp *b, const char *why);
void bmp_free(struct bmp *b);

/* Feeds (wired by the daemon). */
void bmp_peer_up(struct bmp *b, const struct peer *p, const struct conn *c);
void bmp_peer_down(struct bmp *b, const struct peer *p,
		   const struct session_down *why);
void bmp_update_in(struct bmp *b, const struct conn *c, const uint8_t *msg,
		   size_t len);
/* A loc-RIB entry changed (during the change-set drain); flush after
 * the drain. */
void bmp_locrib_change(struct bmp *b, const struct rentry *e);
void bmp_locrib_flush(struct bmp *b);

/* What metrics and the API read. */
struct bmp_collector_stats {
	char name[64]; /* "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6) */
	bool up;
	uint64_t messages, bytes; /* sent (written to the socket) */
	uint64_t drops; /* connections dropped because the queue was full */
	uint64_t connects; /* connections established */
	size_t queued; /* bytes waiting */
	bool dumping; /* the initial table dump is running */
};
unsigned bmp_n_collectors(const struct bmp *b);
void bmp_collector_stats(const struct bmp *b, unsigned i,
			 struct bmp_collector_stats *st);

#endif
