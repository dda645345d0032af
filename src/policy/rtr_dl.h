/*
 * rtr_dl.h - librtr, loaded when RPKI is configured (see base/dynlib.h).
 *
 * Include it after <rtrlib/rtrlib.h> where librtr's functions are called:
 * each name below then calls through the table rtr_dl_load() fills, so
 * pharosd does not load librtr (nor libssh and OpenSSL with it) unless it
 * validates routes.
 */
#ifndef PHAROS_POLICY_RTR_DL_H
#define PHAROS_POLICY_RTR_DL_H

#include <stddef.h>

#include <rtrlib/rtrlib.h>

#ifndef PHAROS_LIBRTR
#define PHAROS_LIBRTR "librtr.so.0"
#endif

#define RTR_DL_FUNCS(X)                                                        \
	X(pfx_table_validate)                                                  \
	X(rtr_mgr_init)                                                        \
	X(rtr_mgr_start)                                                       \
	X(rtr_mgr_stop)                                                        \
	X(rtr_mgr_free)                                                        \
	X(rtr_mgr_status_to_str)                                               \
	X(tr_tcp_init)

struct rtr_dl {
#define RTR_DL_FIELD(f) __typeof__(&f) f;
	RTR_DL_FUNCS(RTR_DL_FIELD)
#undef RTR_DL_FIELD
};
extern struct rtr_dl rtr_dl;

/* Load librtr once; 0, or -1 with the reason in err. */
int rtr_dl_load(char *err, size_t errlen);

#ifndef RTR_DL_SELF
#define pfx_table_validate rtr_dl.pfx_table_validate
#define rtr_mgr_init rtr_dl.rtr_mgr_init
#define rtr_mgr_start rtr_dl.rtr_mgr_start
#define rtr_mgr_stop rtr_dl.rtr_mgr_stop
#define rtr_mgr_free rtr_dl.rtr_mgr_free
#define rtr_mgr_status_to_str rtr_dl.rtr_mgr_status_to_str
#define tr_tcp_init rtr_dl.tr_tcp_init
#endif

#endif
