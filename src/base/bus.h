/*
 * bus.h - names on the NATS bus shared by pharosd (publisher) and
 * pharos-agent (consumer): subject prefixes, the streams, the message
 * format number, and how a VNet, subnet or agent name becomes one subject
 * token. docs/agent.md describes them for other consumers.
 */
#ifndef PHAROS_BASE_BUS_H
#define PHAROS_BASE_BUS_H

#include <stdbool.h>
#include <stddef.h>

#define BUS_FORMAT 1 /* "format" of every message */
#define BUS_STATE "pharos.state" /* .VNET.SUBNET.RS: the subnet's table */
#define BUS_DELTA "pharos.delta" /* .VNET.SUBNET.RS: its changes */
#define BUS_HB "pharos.hb" /* .RS: the route server's heartbeat */
#define BUS_AGENT "pharos.agent" /* .VNET.SUBNET.AGENT: ack and heartbeat */
#define BUS_STATE_STREAM "PHAROS_STATE" /* last message per subject */
#define BUS_DELTA_STREAM "PHAROS_DELTAS" /* recent deltas */
#define BUS_TOKEN_MAX 200 /* room for one encoded token */

/* One subject token from a name: letters, digits, '-' and '_' are kept,
 * every other byte becomes %XX (so '.', '*', '>' and spaces never split
 * or widen a subject). false when it does not fit in len. */
bool bus_token(char *out, size_t len, const char *name);
/* The reverse (a token from a subject); false for a bad escape. */
bool bus_untoken(char *out, size_t len, const char *token);

#endif
