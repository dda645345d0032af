/*
 * server.c - pharos-agent's view of one route server.
 *
 * Each server runs its own small cycle over libcurl's multi interface, so
 * two route servers are followed at the same time from one thread:
 * fetch the subnet table, then long-poll its deltas; a 410 (version too
 * old or unknown) or any lost answer sends it back to a table fetch, after
 * an exponential backoff when the server did not answer. After a lost
 * connection the table is always fetched again, so a restarted route
 * server (whose versions start over) is never followed with deltas of
 * another history. The entries of a server that went away are kept
 * (stale) until the agent decides they expired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "agent.h"

#define AG_BODY_MAX (64u << 20) /* refuse answers above 64 MiB */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

/* The URL's host when it is an address literal ("[2001:db8::1]" too). */
static void url_addr(struct ag_server *s, const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		size_t n = strlen(host);
		if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = 0;
		}
		s->has_ip = addr_parse(host, &s->ip) == 0;
	}
	curl_free(host);
	curl_url_cleanup(u);
}

int ag_srv_init(struct ag_server *s, int index, const char *url,
		const char *vnet, const char *subnet, const char *token,
		double now)
{
	memset(s, 0, sizeof(*s));
	url_addr(s, url);
	s->index = index;
	s->url = xstrdup(url);
	char *v = curl_easy_escape(NULL, vnet, 0);
	char *n = curl_easy_escape(NULL, subnet, 0);
	size_t ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		ul--;
	if (!v || !n || asprintf(&s->base, "%.*s/api/v1/fabric/subnets/%s/%s",
				 (int)ul, url, v, n) < 0) {
		curl_free(v);
		curl_free(n);
		return -1;
	}
	curl_free(v);
	curl_free(n);
	if (token && *token && asprintf(&s->auth, "Authorization: Bearer %s",
					token) < 0)
		return -1;
	s->need_table = true;
	s->lost_at = now;
	s->backoff = AG_BACKOFF_MIN;
	return 0;
}

static void drop_handle(void *multi, void **h)
{
	if (!*h)
		return;
	curl_multi_remove_handle(multi, *h);
	curl_easy_cleanup(*h);
	*h = NULL;
}

void ag_srv_free(struct ag_server *s, void *multi)
{
	drop_handle(multi, &s->req);
	drop_handle(multi, &s->ack);
	curl_slist_free_all(s->hdrs);
	free(s->ack_body);
	free(s->body);
	free(s->url);
	free(s->base);
	free(s->auth);
	ag_entries_free(&s->entries);
	ag_rset_free(&s->desired);
	memset(s, 0, sizeof(*s));
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct ag_server *s = arg;
	size_t len = size * n;
	if (s->blen + len > AG_BODY_MAX)
		return 0; /* aborts the transfer */
	if (s->blen + len + 1 > s->bcap) { /* grow geometrically */
		size_t cap = s->bcap ? s->bcap : 65536;
		while (cap < s->blen + len + 1)
			cap *= 2;
		char *b = realloc(s->body, cap);
		if (!b)
			return 0;
		s->body = b;
		s->bcap = cap;
	}
	memcpy(s->body + s->blen, p, len);
	s->blen += len;
	s->body[s->blen] = 0;
	return len;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static CURL *new_easy(const struct ag_server *s, const char *url,
		      long timeout)
{
	CURL *h = curl_easy_init();
	if (!h)
		abort();
	/* TLS: verify the server against --cacert (or the system's CAs),
	 * or pin its public key; never fall back to an unverified peer */
	bool pin_only = s->tls && s->tls->pin && !s->tls->cacert;
	/* a pinned key alone authenticates the server (a self-signed
	 * certificate is fine then); otherwise the chain and the name */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, pin_only ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, pin_only ? 0L : 2L);
	if (s->tls && s->tls->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->tls->cacert);
	if (s->tls && s->tls->pin)
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, s->tls->pin);
	if (s->tls && s->tls->https_only)
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	else
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pharos-agent");
	return h;
}

void ag_srv_kick(struct ag_server *s, void *multi, double now, int wait_s)
{
	char *url = NULL;
	if (s->req || now < s->next_try)
		return;
	s->req_table = s->need_table;
	int rc = s->req_table
		 ? asprintf(&url, "%s/table", s->base)
		 : asprintf(&url, "%s/deltas?after=%llu&wait=%d", s->base,
			    (unsigned long long)s->version, wait_s);
	if (rc < 0)
		abort();
	/* room for a large answer (100,000 routes are ~15 MB) after the wait */
	s->req = new_easy(s, url, s->req_table ? 120L : (long)wait_s + 120L);
	free(url);
	free(s->body);
	s->body = NULL;
	s->blen = s->bcap = 0;
	curl_easy_setopt(s->req, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->req, CURLOPT_WRITEDATA, s);
	curl_multi_add_handle(multi, s->req);
}

void ag_srv_lost(struct ag_server *s, double now)
{
	if (s->up)
		s->lost_at = now;
	s->up = false;
	s->stale = s->has_table;
	s->need_table = true;
	s->next_try = now + s->backoff;
	s->backoff = s->backoff * 2 > AG_BACKOFF_MAX ? AG_BACKOFF_MAX
						      : s->backoff * 2;
}

static void mark_up(struct ag_server *s, struct ag_srv_result *res)
{
	if (!s->up)
		res->went_up = true;
	s->up = s->was_up = true;
	s->stale = false;
	s->backoff = AG_BACKOFF_MIN;
}

/* A 200 answer of a table fetch. */
static void got_table(struct ag_server *s, struct ag_srv_result *res)
{
	uint64_t v;
	struct ag_entries t = { 0 };
	if (ag_parse_table(s->body, s->blen, &t, &v, res->err,
			   sizeof(res->err)) != 0) {
		ag_entries_free(&t);
		res->outcome = AG_SRV_FAILED;
		return;
	}
	ag_entries_free(&s->entries);
	s->entries = t;
	s->version = v;
	s->has_table = true;
	s->need_table = false;
	s->tables++;
	res->table = true;
	ag_desired(&s->entries, &s->desired);
	res->outcome = AG_SRV_CHANGED;
}

/* A 200 answer of a deltas poll. */
static void got_deltas(struct ag_server *s, struct ag_srv_result *res)
{
	struct ag_deltas d = { 0 };
	size_t misses = 0;
	s->deltas_polls++;
	if (ag_parse_deltas(s->body, s->blen, &d, res->err,
			    sizeof(res->err)) != 0) {
		res->outcome = AG_SRV_FAILED;
		s->need_table = true;
	} else if (d.n == 0 && d.version == s->version) {
		res->outcome = AG_SRV_NONE;
	} else {
		ag_entries_apply(&s->entries, &d, &misses);
		s->version = d.version;
		res->items = d.n;
		if (misses) { /* out of step: take the full table next */
			snprintf(res->err, sizeof(res->err),
				 "%zu delta items did not match the table",
				 misses);
			s->need_table = true;
		}
		ag_desired(&s->entries, &s->desired);
		res->outcome = AG_SRV_CHANGED;
	}
	ag_deltas_free(&d);
}

/* The address the request went to: the guard keeps routes off it. */
static void note_ip(struct ag_server *s, CURL *h)
{
	char *ip = NULL;
	if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip &&
	    *ip && addr_parse(ip, &s->ip) == 0)
		s->has_ip = true;
}

static void req_done(struct ag_server *s, int code, double now,
		     struct ag_srv_result *res)
{
	curl_easy_getinfo(s->req, CURLINFO_RESPONSE_CODE, &res->status);
	note_ip(s, s->req);
	if (code != CURLE_OK || res->status == 0) {
		snprintf(res->err, sizeof(res->err), "%s",
			 curl_easy_strerror((CURLcode)code));
		res->outcome = AG_SRV_FAILED;
	} else if (res->status == 410) {
		mark_up(s, res);
		res->resync = true;
		s->need_table = true; /* at once, no backoff */
		return;
	} else if (res->status != 200) {
		snprintf(res->err, sizeof(res->err), "HTTP %ld: %.160s",
			 res->status, s->body ? s->body : "");
		res->outcome = AG_SRV_FAILED;
	} else if (s->req_table) {
		got_table(s, res);
	} else {
		got_deltas(s, res);
	}
	if (res->outcome == AG_SRV_FAILED) {
		s->failures++;
		res->went_down = s->up;
		ag_srv_lost(s, now);
		return;
	}
	mark_up(s, res);
}

bool ag_srv_done(struct ag_server *s, void *multi, void *easy, int code,
		 double now, struct ag_srv_result *res)
{
	memset(res, 0, sizeof(*res));
	if (easy && easy == s->ack) {
		long st = 0;
		curl_easy_getinfo(s->ack, CURLINFO_RESPONSE_CODE, &st);
		res->ack_done = true;
		res->ack_version = s->ack_pending;
		res->status = st;
		res->ack_ok = code == CURLE_OK && st == 200;
		if (res->ack_ok && s->ack_pending > s->acked)
			s->acked = s->ack_pending;
		if (!res->ack_ok)
			snprintf(res->err, sizeof(res->err), "%s",
				 code != CURLE_OK
					 ? curl_easy_strerror((CURLcode)code)
					 : "unexpected HTTP status");
		s->ack_pending = 0;
		drop_handle(multi, &s->ack);
		return true;
	}
	if (!easy || easy != s->req)
		return false;
	req_done(s, code, now, res);
	drop_handle(multi, &s->req);
	return true;
}

void ag_srv_ack(struct ag_server *s, void *multi, const char *agent,
		long failed, const char *error)
{
	char *url = NULL;
	if (s->ack || !s->has_table || s->stale || s->version <= s->acked)
		return;
	if (asprintf(&url, "%s/ack", s->base) < 0)
		abort();
	free(s->ack_body);
	s->ack_body = NULL;
	json_t *o = json_pack("{s:s, s:I, s:I}", "agent", agent, "version",
			      (json_int_t)s->version, "failed",
			      (json_int_t)failed);
	if (o && error && *error)
		json_object_set_new(o, "error", json_string(error));
	s->ack_body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s->ack_body)
		abort();
	s->ack = new_easy(s, url, 10L);
	free(url);
	curl_slist_free_all(s->hdrs);
	s->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (s->auth)
		s->hdrs = curl_slist_append(s->hdrs, s->auth);
	curl_easy_setopt(s->ack, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->ack, CURLOPT_POSTFIELDS, s->ack_body);
	curl_easy_setopt(s->ack, CURLOPT_WRITEFUNCTION, discard_cb);
	s->ack_pending = s->version;
	curl_multi_add_handle(multi, s->ack);
}
