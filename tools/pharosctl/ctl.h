/*
 * ctl.h - what the files of pharosctl share: the client state, the HTTP
 * request helper, aligned tables and JSON formatting helpers. Each area of
 * commands (peers and routes in pharosctl.c, the fabric, operations) lives
 * in its own file and is reached from main()/cmd_show() by its keyword.
 */
#ifndef PHAROS_CTL_H
#define PHAROS_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MAX_COLS 12

struct ctl {
	const char *url;
	bool json;
	char token[512];
	const char *cacert; /* --cacert or $PHAROS_CACERT: CAs for https:// */
};

/* An aligned text table: set ncols, add rows, print (frees the cells). */
struct table {
	unsigned ncols, nrows, cap;
	char **cells; /* nrows * ncols */
	size_t width[MAX_COLS];
};

/* Exit statuses (docs/cli.md). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1, /* the daemon refused or failed, or a local error */
	CTL_EXIT_USAGE = 2, /* the command line is wrong */
	CTL_EXIT_UNREACHABLE = 3, /* pharosd could not be reached */
};

/* Print "pharosctl: message" on stderr and exit with CTL_EXIT_FAILED,
 * CTL_EXIT_USAGE or CTL_EXIT_UNREACHABLE. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void unreachable_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* One HTTP request to the API (path under the base URL, body may be NULL);
 * returns the reply body (caller frees), or dies with a clear message when
 * the daemon is unreachable or answers with an error status. */
char *request(struct ctl *c, const char *method, const char *path,
	      const char *body);
/* The same with a time limit, giving the body's length (a binary body may
 * hold NUL bytes) in *len when len is not NULL. */
char *request_len(struct ctl *c, const char *method, const char *path,
		  const char *body, long timeout_s, size_t *len);
/* Run a GET and show it with fn (or print the raw JSON with -j). */
int do_get(struct ctl *c, const char *path, void (*fn)(json_t *));
void table_row(struct table *t, ...);
void table_print(struct table *t);
/* A JSON member as text (strings, numbers, booleans); "" when absent. */
const char *jstr(json_t *o, const char *key, char *buf, size_t len);
/* Seconds as HH:MM:SS, or 1d02h03m past a day; "-" when negative. */
void fmt_uptime(long s, char *buf, size_t len);
void show_kv(json_t *o, const char *indent);
/* URL-escape s (caller frees with curl_free). */
char *esc(const char *s);

#endif
