/*
 * cmd_mrt.h - pharosctl's MRT commands: `mrt dump FILE` saves the
 * TABLE_DUMP_V2 dump of every peer's accepted routes (GET
 * /api/v1/mrt/rib) to FILE.
 */
#ifndef PHAROS_CMD_MRT_H
#define PHAROS_CMD_MRT_H

#include "ctl.h"

int cmd_mrt(struct ctl *c, int argc, char **argv);

#endif
