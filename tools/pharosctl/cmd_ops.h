/*
 * cmd_ops.h - pharosctl's operations commands (cmd_ops.c): reload,
 * failover drills and the live event stream.
 */
#ifndef PHAROS_CTL_CMD_OPS_H
#define PHAROS_CTL_CMD_OPS_H

#include <stdbool.h>

#include "ctl.h"

/* "reload" and "drill ..." (argv[0] is the command word). */
bool ops_command_word(const char *w);
int cmd_ops(struct ctl *c, int argc, char **argv);
/* "show drills", "show drill ID", "show events --follow" (argv[0] is the
 * word after show). */
bool ops_show_word(int argc, char **argv);
int cmd_ops_show(struct ctl *c, int argc, char **argv);

#endif
