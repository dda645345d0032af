/*
 * cmd_fabric.h - pharosctl's fabric commands (cmd_fabric.c): show fabric,
 * show effective-routes NIC, show subnet VNET/SUBNET, show agents, and
 * trace NIC DEST-IP (continued across regions).
 */
#ifndef PHAROS_CTL_CMD_FABRIC_H
#define PHAROS_CTL_CMD_FABRIC_H

#include <stdbool.h>

struct ctl;

/* Is argv0 one of the fabric "show" keywords? */
bool fabric_show_word(const char *argv0);
/* show fabric | effective-routes NIC | subnet VNET/SUBNET | agents;
 * argv[0] is the keyword. */
int cmd_fabric_show(struct ctl *c, int argc, char **argv);
/* trace NIC DEST-IP | trace --from IP DEST-IP (argv after "trace"). */
int cmd_trace(struct ctl *c, int argc, char **argv);

#endif
