/* jsonfmt.h - the one JSON vocabulary of pharos, in code: every JSON
 * document is dumped with PHAROS_JSON_DUMP (compact, keys in insertion
 * order, reals with at most 15 significant digits so that a value rounded
 * to milliseconds prints as 4.203 and not 4.2030000000000003), and every
 * duration in seconds goes through json_secs (three decimals). Times are
 * strings from log_time_iso (RFC 3339 UTC with milliseconds). */
#ifndef PHAROS_JSONFMT_H
#define PHAROS_JSONFMT_H

#include <jansson.h>
#include <math.h>

#define PHAROS_JSON_DUMP \
	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* A duration in seconds as a JSON number rounded to three decimals. */
static inline json_t *json_secs(double s)
{
	return json_real(round(s * 1000) / 1000);
}

#endif
