/*
 * publish.h - route distribution through NATS JetStream
 * (fabric.publish): every subnet's effective routes as a last-state
 * message and deltas, a heartbeat, and the agents' acks read back. The
 * subjects and messages are described in docs/agent.md.
 *
 * libnats runs its own threads; the loop stays the only owner of pharos
 * state: the client's callbacks only set flags and queue the agents'
 * messages, then wake the loop (ev_async). Publishing is asynchronous
 * with a bounded number awaiting JetStream's ack, so a slow or absent
 * server never blocks the loop: subnets that could not be sent stay
 * marked and go out when there is room, newest state only.
 */
#ifndef PHAROS_DAEMON_PUBLISH_H
#define PHAROS_DAEMON_PUBLISH_H

struct daemon;
struct publisher;

/* Start publishing when d->conf->fabric.publish names a server: the
 * connection is made in the background. NULL when not configured (or
 * the client could not be set up: logged). */
struct publisher *publisher_new(struct daemon *d);
/* Stop publishing (pharosd is stopping: its routes are withdrawn, but
 * the bus keeps the last state for agents). */
void publisher_stop(struct publisher *p);
void publisher_free(struct publisher *p);
/* Prometheus text of the publisher's counters (malloc'd; "" when p is
 * NULL). */
char *publisher_metrics(const struct publisher *p);

#endif
