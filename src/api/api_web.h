/*
 * api_web.h - the web console: the page's files, built into pharosd
 * (api_web_files.c), served at / and /ui/NAME on the API address with
 * their type, an ETag, Cache-Control and a strict Content-Security-Policy.
 */
#ifndef PHAROS_API_API_WEB_H
#define PHAROS_API_API_WEB_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api_int.h"

/* One file of the console. */
struct web_file {
	const char *path; /* "/" or "/ui/NAME" */
	const char *type; /* Content-Type */
	const unsigned char *start, *end; /* the bytes */
};

/* The console's files (api_web_files.c), ending with a NULL path. */
const struct web_file *web_files(void);

/* The URL is the console's (/ or under /ui/). */
bool api_web_match(const char *url);
/* Serve it: 200 (or 304 for a matching If-None-Match), 404 for a name
 * that is not one of the files, 405 for a POST. */
enum MHD_Result api_web_reply(struct api *api, struct MHD_Connection *con,
			      const char *url, bool post);

#endif
