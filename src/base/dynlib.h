/*
 * dynlib.h - load an optional shared library when a feature is used.
 *
 * pharosd links the RTR client (librtr) and the NATS client (libnats) at
 * run time, when route_server.rpki or fabric.publish is configured, not
 * at start: loading them pulls in OpenSSL, libssh and Kerberos, whose
 * start-up costs every pharosd about 3.5 MB of resident memory (measured:
 * an empty program linked with both is 3.5 MB larger) whether it uses
 * them or not. The callers keep calling the library's functions by name
 * (see policy/rtr_dl.h, daemon/nats_dl.h).
 */
#ifndef PHAROS_BASE_DYNLIB_H
#define PHAROS_BASE_DYNLIB_H

#include <stddef.h>

struct dynlib_sym {
	const char *name;
	void **slot; /* where the function's address goes */
};

/* Open soname (once: later calls return 0 at once) and resolve every
 * symbol of syms[0..n). 0, or -1 with the reason in err (when not NULL:
 * the library missing, or a symbol it lacks); nothing is resolved then. */
int dynlib_load(void **handle, const char *soname,
		const struct dynlib_sym *syms, size_t n, char *err,
		size_t errlen);

#endif
