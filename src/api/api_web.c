/*
 * api_web.c - serving the web console (api_web.h): the page at /, its
 * scripts, style sheet and icon under /ui/. Only the names of the table
 * in api_web_files.c are served, compared whole, so no path can reach
 * anything else. Every reply carries the file's type, an ETag (a hash
 * of its bytes) with Cache-Control: no-cache (the browser keeps a copy
 * and asks again with If-None-Match: 304 while pharosd is the same
 * build), and a Content-Security-Policy that allows scripts, styles,
 * images and connections from this origin only, no inline script or
 * style, no frames and no plugins.
 */
#include "api/api_web.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define WEB_CSP                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; "          \
	"img-src 'self'; connect-src 'self'; font-src 'self'; "              \
	"object-src 'none'; base-uri 'none'; form-action 'none'; "           \
	"frame-ancestors 'none'"

bool api_web_match(const char *url)
{
	return !strcmp(url, "/") || !strncmp(url, "/ui/", 4) ||
	       !strcmp(url, "/ui");
}

/* FNV-1a, 64 bits: the ETag of a file. */
static uint64_t web_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h;
}

static void web_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
}

/* An If-None-Match header that names etag (or is "*"). */
static bool etag_matches(struct MHD_Connection *con, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
						      "If-None-Match");

	return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

enum MHD_Result api_web_reply(struct api *api, struct MHD_Connection *con,
			      const char *url, bool post)
{
	const struct web_file *f;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char etag[24];
	size_t len;

	for (f = web_files(); f->path; f++)
		if (!strcmp(f->path, url))
			break;
	if (!f->path)
		return reply_error(con, 404, "unknown path");
	if (post)
		return reply_error(con, 405, "method not allowed");
	len = (size_t)(f->end - f->start);
	snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"",
		 web_hash(f->start, len));
	if (etag_matches(con, etag)) {
		r = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
		web_headers(r);
		MHD_add_response_header(r, "ETag", etag);
		ret = MHD_queue_response(con, MHD_HTTP_NOT_MODIFIED, r);
	} else {
		r = MHD_create_response_from_buffer(len, (void *)f->start,
						    MHD_RESPMEM_PERSISTENT);
		web_headers(r);
		MHD_add_response_header(r, "Content-Type", f->type);
		MHD_add_response_header(r, "ETag", etag);
		ret = MHD_queue_response(con, MHD_HTTP_OK, r);
	}
	MHD_destroy_response(r);
	return ret;
}
