/*
 * peer.h - pharos-peer, the scripted BGP peer and load generator: the one
 * context struct every part of the tool hangs off, and the functions the
 * parts (options, session I/O, received-message handling, script and
 * route producers) offer each other.
 *
 * One process runs one BGP session over one non-blocking socket driven by
 * poll(): reads are never held back by writes, so a peer that floods us
 * while we flood it never stalls.
 */
#ifndef PHAROS_PEER_PEER_H
#define PHAROS_PEER_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire/wire.h"
#include "base/prefix.h"
#include "mrt/mrt.h"

enum out_mode { OUT_TEXT, OUT_JSON, OUT_NONE };
enum sess_state { S_CONNECT, S_OPENSENT, S_OPENCONFIRM, S_ESTABLISHED,
		  S_CLOSING };

enum step_kind {
	ST_RAW, ST_ANNOUNCE, ST_WITHDRAW, ST_SLEEP, ST_EOR, ST_WAIT,
	ST_CLOSE, ST_MRT, ST_GENERATE, ST_WITHDRAW_ALL, ST_WAIT_SIGNAL,
	ST_WAIT_FILE,
};

#define MAX_COMMS 64
#define MAX_PATH 1100 /* ASNs after the local one (long paths test limits) */
/* A parsed "announce" command. */
struct announce {
	unsigned n_pfx;
	struct prefix *pfx;
	bool has_nh;
	struct addr nh;
	unsigned n_path;
	uint32_t path[MAX_PATH];
	unsigned n_comm, n_large;
	uint8_t comm[MAX_COMMS * 4];
	uint8_t large[MAX_COMMS * 12];
	bool has_med, has_lp;
	uint32_t med, lp;
	uint8_t origin;
};

struct step {
	enum step_kind kind;
	bool from_cli; /* given as an option, not in a script file */
	uint64_t n; /* sleep ms, wait count, eor afi */
	uint8_t *raw; /* ST_RAW bytes */
	size_t raw_len;
	struct announce *ann; /* ST_ANNOUNCE */
	struct prefix *pfx; /* ST_WITHDRAW */
	unsigned n_pfx;
	/* ST_GENERATE, ST_MRT, ST_WITHDRAW_ALL, ST_WAIT_FILE */
	unsigned per_update; /* 0: as many as fit */
	bool distinct; /* every UPDATE its own attributes */
	struct addr start; /* generator start (afi 0: default) */
	char *path; /* MRT file, file waited for */
	long mrt_peer; /* -1: first path */
};

/* Bytes waiting to be written: p[head..len). */
struct obuf {
	uint8_t *p;
	size_t head, len, cap;
};

/* Set of prefixes currently held (announced, not withdrawn), with no
 * allocation per prefix: IPv4 prefixes up to /24 are bits of one bitmap
 * indexed by (1 << len) + (address >> (32 - len)); the others live in an
 * open-addressing hash table. */
struct pslot {
	uint64_t a, b;
	uint8_t afi, len, state; /* state: 0 empty, 1 held, 2 deleted */
};
struct pset {
	uint64_t *v4bits; /* 2^25 bits, allocated on first use */
	struct pslot *s;
	size_t held; /* prefixes held, both kinds */
	size_t cap, hheld, used; /* hash: held, held + deleted slots */
};

/* State of the route producers (MRT replay, generator). */
struct mrt_replay {
	const char *file; /* of the step being replayed */
	long peer; /* -1: first path */
	unsigned per_update;
	uint8_t *buf;
	size_t len;
	struct mrt_reader r;
	uint8_t *scratch;
	bool started, done;
	uint64_t announced, withdrawn, skipped;
	/* the UPDATE being packed: RIB entries with equal raw attributes */
	bool open;
	struct bgp_update_builder b;
	const uint8_t *last_attrs;
	size_t last_attr_len;
	uint16_t last_afi;
	struct bgp_update *u; /* decoding scratch for BGP4MP messages */
	struct prefix last_v1; /* TABLE_DUMP v1: one record per path */
};

/* Absolute CLOCK_REALTIME moments, in ns (0: not yet). */
struct moments {
	int64_t first_rx, last_rx, full, empty, first_tx, last_tx;
};

struct stats {
	uint64_t msgs_sent, msgs_recv, upd_sent, upd_recv;
	uint64_t pfx_sent, pfx_recv, wd_sent, wd_recv, eor_recv;
	size_t largest_upd_recv; /* bytes, header included */
	double first_upd_sent, last_upd_sent, first_upd_recv, last_upd_recv;
	bool upd_unflushed;
	struct moments t;
};

struct peer {
	/* options */
	uint32_t asn, remote_as;
	bool has_remote_as, as2, no_ext_msg, listen, stats_on, gen_v6;
	bool distinct_attrs;
	bool no_read; /* once established, stop reading (a slow peer) */
	bool add_path_rx; /* offer ADD-PATH receive for both families */
	uint32_t router_id; /* host order; 0 = derive */
	const char *host, *port, *bind, *password_file, *mrt_file;
	uint16_t hold;
	struct addr nh4, nh6; /* afi 0 when not given */
	enum out_mode mode;
	double time_after; /* -1: until the peer closes */
	uint64_t wait_prefixes; /* 0: no */
	bool wait_empty; /* leave once the prefixes held drop to zero */
	bool full_reached, had_prefixes;
	bool withdraw_all; /* --withdraw-all: after the loads */
	long mrt_peer; /* -1: first path */
	uint64_t gen_n;
	unsigned per_update;
	struct addr gen_start;
	uint8_t *raw_open;
	size_t raw_open_len;
	struct step *steps;
	size_t n_steps, cap_steps;

	/* session */
	int fd, sigfd;
	enum sess_state state;
	struct addr local, remote;
	struct bgp_session_caps caps;
	size_t max_len;
	unsigned hold_neg; /* negotiated hold time, 0 = none */
	bool af_v4, af_v6; /* unicast families both sides offered */
	double last_recv, last_ka_sent, next_ka;
	struct obuf out;
	uint8_t *in;
	size_t in_len, in_cap;
	int exit_code;
	bool done, peer_closed, ever_established;

	/* script */
	size_t step_i;
	double sleep_until;
	double script_done_at; /* 0 while running */
	uint64_t gen_next;
	struct mrt_replay mrt;
	unsigned signals, signals_used; /* SIGUSR1 received, consumed */
	size_t wd_cursor; /* withdraw-all progress */
	uint16_t wd_afi;

	struct pset held;
	bool track_sent; /* keep sent: the script has a withdraw-all */
	struct pset sent; /* prefixes announced, not withdrawn */
	struct stats st;
	FILE *o; /* stdout */
	struct bgp_update u; /* decoding scratch (large) */
	struct bgp_attrs tmp_attrs;
};

/* util.c */
double now_s(void);
int64_t realtime_ns(void);
int parse_hex(const char *s, uint8_t **out, size_t *len);

/* conn.c */
int peer_run(struct peer *p);

/* out.c */
void peer_leave(struct peer *p, uint8_t code, uint8_t subcode,
		const char *text);
uint8_t *out_reserve(struct peer *p, size_t n);
void out_queued(struct peer *p, size_t n, bool is_update);
/* Copy n bytes (one whole message) to the output buffer. */
void out_bytes(struct peer *p, const uint8_t *b, size_t n);
size_t out_pending(const struct peer *p);
void print_notify(struct peer *p, const struct bgp_notify *n, bool sent);

/* recv.c */
/* The family was negotiated (both OPENs offered it, RFC 4760). */
bool af_negotiated(const struct peer *p, uint16_t afi);
void recv_message(struct peer *p, const uint8_t *msg, size_t len);
void print_state(struct peer *p);
void print_stats(struct peer *p);
int pset_add(struct pset *s, const struct prefix *pfx);
int pset_del(struct pset *s, const struct prefix *pfx);
/* Iterate: the next held prefix at or after *cursor (start at 0) of
 * family afi; returns 1 and advances *cursor past it, or 0 at the end. */
int pset_next(const struct pset *s, size_t *cursor, uint16_t afi,
	      struct prefix *out);
void pset_free(struct pset *s);

/* conn.c: a signal arrived on the signal fd; returns true for one that
 * ends the session (SIGINT, SIGTERM), false for SIGUSR1 (counted). */
bool read_signal(struct peer *p);

/* script.c */
int script_add_line(struct peer *p, const char *line, char *err, size_t elen);
int parse_announce(const char *s, struct announce **out, char *err, size_t elen);
int parse_prefixes(const char *s, struct prefix **out, unsigned *n);
int script_load_file(struct peer *p, const char *path);
struct step *step_new(struct peer *p, enum step_kind k);
/* Run the script as far as it goes now; returns the poll timeout in ms
 * it needs (-1 none). */
int script_run(struct peer *p);
void steps_free(struct peer *p);

/* produce.c */
/* Fill the output with more routes; return true when finished. */
bool mrt_produce(struct peer *p, const struct step *st);
bool gen_produce(struct peer *p, const struct step *st);
bool withdraw_all_produce(struct peer *p, const struct step *st);
void mrt_replay_free(struct mrt_replay *m);
void fill_base_attrs(struct peer *p, struct bgp_attrs *a, uint16_t afi,
		     const struct addr *nh);
int queue_eor(struct peer *p, uint16_t afi);
/* Queue UPDATEs announcing (a != NULL) or withdrawing the prefixes. */
void queue_prefixes(struct peer *p, uint16_t afi, const struct bgp_attrs *a,
		    const struct prefix *list, unsigned n);

#endif
