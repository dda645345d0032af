/*
 * nats_dl.c - the table of libnats's functions (see nats_dl.h).
 */
#define NATS_DL_SELF
#include "daemon/nats_dl.h"

#include "base/dynlib.h"

struct nats_dl nats_dl;

int nats_dl_load(char *err, size_t errlen)
{
	static void *handle;
	static const struct dynlib_sym syms[] = {
#define NATS_DL_SYM(f) {#f, (void **)&nats_dl.f},
		NATS_DL_FUNCS(NATS_DL_SYM)
#undef NATS_DL_SYM
	};

	return dynlib_load(&handle, PHAROS_LIBNATS, syms,
			   sizeof(syms) / sizeof(syms[0]), err, errlen);
}
