/*
 * rtr_dl.c - the table of librtr's functions (see rtr_dl.h).
 */
#define RTR_DL_SELF
#include "policy/rtr_dl.h"

#include "base/dynlib.h"

struct rtr_dl rtr_dl;

int rtr_dl_load(char *err, size_t errlen)
{
	static void *handle;
	static const struct dynlib_sym syms[] = {
#define RTR_DL_SYM(f) {#f, (void **)&rtr_dl.f},
		RTR_DL_FUNCS(RTR_DL_SYM)
#undef RTR_DL_SYM
	};

	return dynlib_load(&handle, PHAROS_LIBRTR, syms,
			   sizeof(syms) / sizeof(syms[0]), err, errlen);
}
