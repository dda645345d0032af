/*
 * bfd_session.h - BFD sessions (RFC 5880, asynchronous mode; single hop
 * RFC 5881 on UDP 3784, multihop RFC 5883 on UDP 4784) beside the BGP
 * sessions of peers with `bfd:` configured, on the daemon's libev loop.
 * A BFD session that goes from Up to Down takes the peer's established
 * BGP session down at once (Cease, BFD Down). The control packet codec
 * is src/wire/bfd.c.
 */
#ifndef PHAROS_SESSION_BFD_SESSION_H
#define PHAROS_SESSION_BFD_SESSION_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "session/peer.h"
#include "wire/bfd.h"

#define BFD_SLOW_TX_US 1000000u /* transmit interval while not Up */

struct bfd_sess {
	struct peer *p;
	struct conf_bfd cf; /* the settings it was started with */
	bool multihop;
	int fd; /* transmit socket, bound to a source port 49152-65535 */
	uint8_t state, local_diag; /* enum bfd_state, enum bfd_diag */
	uint8_t remote_state, remote_diag, remote_mult;
	uint32_t my_disc, your_disc;
	uint32_t des_min_tx; /* what we advertise now, microseconds */
	uint32_t remote_min_tx, remote_min_rx;
	/* Keyed SHA1 (RFC 5880 6.7.4): our sequence number, the last one
	 * accepted from the neighbour. */
	uint32_t xmit_seq, rcv_seq;
	char key[21]; /* the key (1..20 bytes), a copy */
	bool rcv_seq_known;
	bool poll; /* a Poll Sequence is running */
	bool final; /* the next packet answers a Poll (F bit) */
	ev_timer tx, detect;
	ev_tstamp changed; /* last state change */
	/* Counters. */
	uint64_t pkts_in, pkts_out, pkts_bad, ups, downs;
};

/* Create, re-create (settings changed) or remove the peer's BFD session
 * to match its configuration and whether it is disabled. */
void bfd_peer_sync(struct peer *p);
/* Stop and free the peer's BFD session (peer removed, daemon exit);
 * an AdminDown packet tells the neighbour first. */
void bfd_peer_stop(struct peer *p);
/* Close the receive sockets (daemon exit). */
void bfd_rx_close(struct session *s);
/* The negotiated transmit interval and detection time, milliseconds. */
double bfd_tx_ms(const struct bfd_sess *b);
double bfd_detect_ms(const struct bfd_sess *b);

#endif
