/*
 * conf_bmp.c - route_server.bmp, the BMP collectors (RFC 7854): printed
 * back as YAML that conf_load reads into an equal list, and compared
 * (conf_equal). Loading is conf_load.c's table walk (bmp_fields).
 */
#include "conf/conf_priv.h"

#include <string.h>

void conf_print_bmp(FILE *o, const struct conf_rs *rs)
{
	char buf[ADDR_STRLEN];

	if (!rs->n_bmp)
		return; /* not configured: nothing printed (no collectors) */
	fputs("  bmp:\n", o);
	for (unsigned i = 0; i < rs->n_bmp; i++) {
		const struct conf_bmp *b = &rs->bmp[i];

		fprintf(o, "    - address: \"%s\"\n      port: %u\n"
			   "      stats_s: %u%s\n      max_queue_kb: %u\n",
			addr_fmt(&b->address, buf, sizeof(buf)), b->port,
			b->stats_s, b->stats_s ? "" : "  # 0: no statistics",
			b->max_queue_kb);
	}
}

bool conf_bmp_equal(const struct conf_rs *a, const struct conf_rs *b)
{
	if (a->n_bmp != b->n_bmp)
		return false;
	for (unsigned i = 0; i < a->n_bmp; i++) {
		const struct conf_bmp *x = &a->bmp[i], *y = &b->bmp[i];

		if (x->address.afi != y->address.afi ||
		    memcmp(x->address.b, y->address.b, 16) ||
		    x->port != y->port || x->stats_s != y->stats_s ||
		    x->max_queue_kb != y->max_queue_kb)
			return false;
	}
	return true;
}
