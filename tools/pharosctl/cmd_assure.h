/*
 * cmd_assure.h - pharosctl's routing-assurance commands (cmd_assure.c):
 * scheduled drills' history, what-if and the symmetry check.
 */
#ifndef PHAROS_CTL_CMD_ASSURE_H
#define PHAROS_CTL_CMD_ASSURE_H

#include "ctl.h"

/* "show drills [--history NAME | --schedule]" (argv[0] is "drills"). */
int cmd_show_drills(struct ctl *c, int argc, char **argv);
/* "whatif peer-down NAME | config FILE | route-table FILE". */
int cmd_whatif(struct ctl *c, int argc, char **argv);
/* "check symmetry NIC DEST-IP | --all". */
int cmd_symmetry(struct ctl *c, int argc, char **argv);

#endif
