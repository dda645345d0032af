/*
 * ctl.c - what the commands of pharosctl share (ctl.h): the HTTP request
 * to the API (libcurl) with its error messages, aligned text tables, and
 * small JSON formatting helpers.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct buf {
	char *p;
	size_t len;
};

static void vexit(int status, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0), noreturn));
static void vexit(int status, const char *fmt, va_list ap)
{
	fprintf(stderr, "pharosctl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(status);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit(CTL_EXIT_FAILED, fmt, ap);
}

void usage_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit(CTL_EXIT_USAGE, fmt, ap);
}

void unreachable_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit(CTL_EXIT_UNREACHABLE, fmt, ap);
}

/* ------------------------------------------------------ HTTP */

static size_t write_cb(char *data, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *np = realloc(b->p, b->len + sz * n + 1);

	if (!np)
		return 0;
	memcpy(np + b->len, data, sz * n);
	b->p = np;
	b->len += sz * n;
	b->p[b->len] = 0;
	return sz * n;
}

static void http_error(long status, const char *body)
{
	json_t *o = json_loads(body ? body : "", 0, NULL);
	const char *msg = json_string_value(json_object_get(o, "error"));
	char m[512];

	snprintf(m, sizeof(m), "%s", msg ? msg : (body && *body ? body : "error"));
	json_decref(o);
	if (status == 401)
		die("wrong or missing API token (HTTP 401): %s; use -t FILE or "
		    "$PHAROS_TOKEN", m);
	if (status == 403)
		die("change refused (HTTP 403): %s", m);
	if (status == 404)
		die("%s (HTTP 404)", m);
	die("request failed (HTTP %ld): %s", status, m);
}

char *request(struct ctl *c, const char *method, const char *path,
	      const char *body)
{
	return request_len(c, method, path, body, 30, NULL);
}

/* Perform the request; returns the body (caller frees), its length in
 * *len when len is not NULL (the body may hold NUL bytes). */
char *request_len(struct ctl *c, const char *method, const char *path,
		  const char *body, long timeout_s, size_t *len)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct buf b = {0};
	char url[2048], auth[600];
	CURLcode rc;
	long status = 0;

	if (!h)
		die("cannot initialise libcurl");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (c->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		unreachable_die("cannot reach pharosd at %s: %s", c->url,
				curl_easy_strerror(rc));
	if (status >= 400)
		http_error(status, b.p);
	if (!b.p)
		b.p = strdup("");
	if (!b.p)
		die("out of memory");
	if (len)
		*len = b.len;
	return b.p;
}

/* ------------------------------------------------------ tables */


void table_row(struct table *t, ...)
{
	va_list ap;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = realloc(t->cells, (size_t)t->cap * t->ncols * sizeof(char *));
		if (!t->cells)
			die("out of memory");
	}
	va_start(ap, t);
	for (unsigned i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		char *d = strdup(s ? s : "");
		t->cells[t->nrows * t->ncols + i] = d;
		if (strlen(d) > t->width[i])
			t->width[i] = strlen(d);
	}
	va_end(ap);
	t->nrows++;
}

void table_print(struct table *t)
{
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];
			if (i + 1 == t->ncols)
				printf("%s", s);
			else
				printf("%-*s  ", (int)t->width[i], s);
			free((void *)s);
		}
		putchar('\n');
	}
	free(t->cells);
}

/* ------------------------------------------------------ formatting */

const char *jstr(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v)) {
		size_t i, off = 0;
		json_t *e;
		buf[0] = 0;
		json_array_foreach(v, i, e) {
			char tmp[64];
			const char *s = json_is_string(e) ? json_string_value(e) : tmp;
			if (json_is_integer(e))
				snprintf(tmp, sizeof(tmp), "%lld",
					 (long long)json_integer_value(e));
			else if (!json_is_string(e))
				snprintf(tmp, sizeof(tmp), "?");
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						"%s%s", i ? " " : "", s);
			if (off >= len)
				break;
		}
	} else
		snprintf(buf, len, "-");
	return buf;
}

void fmt_uptime(long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 86400)
		snprintf(buf, len, "%02ld:%02ld:%02ld", s / 3600, (s / 60) % 60,
			 s % 60);
	else
		snprintf(buf, len, "%ldd%02ldh%02ldm", s / 86400,
			 (s / 3600) % 24, (s / 60) % 60);
}


void show_kv(json_t *o, const char *indent)
{
	const char *k;
	json_t *v;
	char buf[1024];

	json_object_foreach(o, k, v) {
		if (json_is_object(v)) {
			printf("%s%s:\n", indent, k);
			show_kv(v, "  ");
			continue;
		}
		printf("%s%-24s %s\n", indent, k, jstr(o, k, buf, sizeof(buf)));
	}
}

char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);

	if (!e)
		die("out of memory");
	return e;
}

/* Run a GET and show it with fn (or raw with -j). */
int do_get(struct ctl *c, const char *path, void (*fn)(json_t *))
{
	char *body = request(c, "GET", path, NULL);
	json_t *o;

	if (c->json) {
		printf("%s\n", body);
		free(body);
		return 0;
	}
	o = json_loads(body, 0, NULL);
	free(body);
	if (!o)
		die("the reply is not JSON");
	fn(o);
	json_decref(o);
	return 0;
}
