/*
 * mrt_glue.c - pharosd's MRT output (see mrt_glue.h): the periodic
 * TABLE_DUMP_V2 dump files (the dump itself is mrt/mrt_dump.c) and the
 * BGP4MP log of received UPDATEs.
 *
 * A dump is encoded in memory, then written to NAME.tmp a slice per loop
 * turn and renamed when complete, so readers never see half a file. The
 * update log is a buffer bounded at MRT_GLUE_UPD_BOUND: records that do
 * not fit are counted and dropped, never allowed to grow memory without
 * bound. Both are written by a check watcher (after each poll) while an
 * idle watcher keeps the loop turning until the work is done.
 *
 * Files in mrt_dir are never reached through a symbolic link, nor an
 * existing file taken over: a dump's .tmp is created with O_EXCL |
 * O_NOFOLLOW (a stale or planted one is unlinked first, which removes a
 * link, never its target) and renamed into place; the update log is
 * opened with O_NOFOLLOW and kept only when it is a regular file of
 * pharosd's own user with one link. Stale .tmp files of a dump that a
 * killed pharosd left behind are removed when the directory is set.
 */
#include "daemon/mrt_glue.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/peer.h"

struct mrt_glue {
	struct daemon *d;
	char *dir; /* copy of api.mrt_dir, NULL: no files */
	uint32_t conf_interval; /* api.mrt_interval as configured */
	bool conf_updates; /* api.mrt_updates as configured */
	uint32_t interval; /* RIB dump period, 0: none */
	uint32_t upd_interval; /* update file rotation */
	bool log_updates;
	ev_timer dump_timer;
	ev_check writer;
	ev_idle spin;

	/* The RIB dump being written: built MRT_GLUE_DUMP_STEP prefixes at
	 * a time into dump, written from dump_off. */
	struct mrt_dumper *dumper; /* NULL once the dump is fully built */
	struct mrt_wbuf dump;
	size_t dump_off, dump_bytes;
	int dump_fd;
	char dump_name[512];

	/* The update log. */
	struct mrt_wbuf upd;
	int upd_fd;
	time_t upd_period; /* start of the period of the open file */
	bool upd_full_warned;

	struct mrt_glue_stats st;
};

static void work_pending(struct mrt_glue *g)
{
	if (g->dump_fd >= 0 || g->upd.len)
		ev_idle_start(g->d->loop, &g->spin);
	else
		ev_idle_stop(g->d->loop, &g->spin);
}

static void write_error(struct mrt_glue *g, const char *what, const char *name)
{
	g->st.write_errors++;
	log_err(&g->d->log, NULL, "MRT: cannot %s %s: %s", what, name,
		strerror(errno));
}

static void dump_close(struct mrt_glue *g, bool ok)
{
	char final[512];
	size_t n = strlen(g->dump_name);

	if (close(g->dump_fd) < 0)
		ok = false;
	g->dump_fd = -1;
	snprintf(final, sizeof(final), "%.*s", (int)(n - 4), g->dump_name);
	if (ok && rename(g->dump_name, final) == 0) {
		g->st.rib_dumps++;
		log_info(&g->d->log, NULL, "MRT: wrote %s (%zu bytes)", final,
			 g->dump_bytes);
	} else {
		write_error(g, ok ? "rename" : "write", final);
		unlink(g->dump_name);
	}
	mrt_dumper_free(g->dumper);
	g->dumper = NULL;
	mrt_wbuf_free(&g->dump);
	g->dump_off = g->dump_bytes = 0;
}

/* One turn of the RIB dump: build more while less than a slice waits,
 * then write at most a slice. */
static void dump_slice(struct mrt_glue *g)
{
	size_t left;
	ssize_t n;

	if (g->dumper && g->dump.len - g->dump_off < MRT_GLUE_SLICE) {
		int rc;

		/* Drop what is written before appending more. */
		if (g->dump_off) {
			memmove(g->dump.p, g->dump.p + g->dump_off,
				g->dump.len - g->dump_off);
			g->dump.len -= g->dump_off;
			g->dump_off = 0;
		}
		rc = mrt_dumper_step(g->dumper, &g->dump, MRT_GLUE_DUMP_STEP);
		if (rc < 0) {
			errno = ENOMEM;
			dump_close(g, false);
			return;
		}
		if (rc == 0) {
			mrt_dumper_free(g->dumper);
			g->dumper = NULL;
		}
	}
	left = g->dump.len - g->dump_off;
	if (left > MRT_GLUE_SLICE)
		left = MRT_GLUE_SLICE;
	n = left ? write(g->dump_fd, g->dump.p + g->dump_off, left) : 0;
	if (n < 0 && errno == EINTR)
		return;
	if (n < 0 || (left && n == 0)) {
		dump_close(g, false);
		return;
	}
	g->dump_off += (size_t)n;
	g->dump_bytes += (size_t)n;
	if (!g->dumper && g->dump_off == g->dump.len)
		dump_close(g, true);
}

static void dump_start(struct mrt_glue *g, time_t now)
{
	char name[400];

	if (g->dump_fd >= 0) {
		log_warn(&g->d->log, NULL, "MRT: previous RIB dump still being "
			 "written, skipping this one");
		return;
	}
	mrt_file_name(name, sizeof(name), "rib", now);
	snprintf(g->dump_name, sizeof(g->dump_name), "%s/%s.tmp", g->dir, name);
	g->dumper = mrt_dumper_new(&g->d->sess, (uint32_t)now);
	if (!g->dumper) {
		errno = ENOMEM;
		write_error(g, "build", g->dump_name);
		return;
	}
	/* Never through a link, never into a file that exists. */
	if (unlink(g->dump_name) == 0)
		log_warn(&g->d->log, NULL, "MRT: removed a stale %s",
			 g->dump_name);
	g->dump_fd = open(g->dump_name, O_WRONLY | O_CREAT | O_EXCL |
			  O_NOFOLLOW | O_CLOEXEC, 0644);
	if (g->dump_fd < 0) {
		write_error(g, "open", g->dump_name);
		mrt_dumper_free(g->dumper);
		g->dumper = NULL;
		return;
	}
	g->dump_off = g->dump_bytes = 0;
	work_pending(g);
}

static double next_boundary(double now, uint32_t interval)
{
	double next = ((uint64_t)now / interval + 1) * (double)interval;

	return next - now;
}

static void dump_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mrt_glue *g = w->data;
	double now = ev_now(loop);

	/* Name the file after the boundary it is due at, even if the loop
	 * woke a little early or late. */
	dump_start(g, (time_t)(now + 0.5));
	ev_timer_set(w, next_boundary(now + 0.5, g->interval), 0);
	ev_timer_start(loop, w);
}

/* A regular file of this process's user, with no other name. */
static bool own_regular_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid() && st.st_nlink == 1;
}

/* Remove the .tmp files of dumps that a killed pharosd left in dir
 * (names rib.*.tmp only; unlink removes a link, never its target). */
static void clean_stale_tmp(struct mrt_glue *g)
{
	DIR *dir = opendir(g->dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);

		if (n < 9 || strncmp(de->d_name, "rib.", 4) ||
		    strcmp(de->d_name + n - 4, ".tmp"))
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
			log_warn(&g->d->log, NULL, "MRT: removed stale %s/%s "
				 "(a dump that did not finish)", g->dir,
				 de->d_name);
	}
	closedir(dir);
}

/* Open (append) the update file of the current period. */
static int upd_open(struct mrt_glue *g, time_t now)
{
	time_t period = now - now % g->upd_interval;
	char name[400], path[512];

	if (g->upd_fd >= 0 && period == g->upd_period)
		return 0;
	if (g->upd_fd >= 0)
		close(g->upd_fd);
	mrt_file_name(name, sizeof(name), "updates", period);
	snprintf(path, sizeof(path), "%s/%s", g->dir, name);
	g->upd_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
			 O_NONBLOCK | O_CLOEXEC, 0644);
	g->upd_period = period;
	if (g->upd_fd < 0) {
		write_error(g, "open", path);
		return -1;
	}
	if (!own_regular_file(g->upd_fd)) {
		close(g->upd_fd);
		g->upd_fd = -1;
		errno = EPERM;
		write_error(g, "append to (not a regular file of ours with "
			    "one link)", path);
		return -1;
	}
	return 0;
}

/* Write one slice of the update log. */
static void upd_slice(struct mrt_glue *g, time_t now)
{
	size_t n = g->upd.len < MRT_GLUE_SLICE ? g->upd.len : MRT_GLUE_SLICE;
	ssize_t k;

	if (upd_open(g, now) < 0) {
		g->upd.len = 0; /* nowhere to put them */
		return;
	}
	k = write(g->upd_fd, g->upd.p, n);
	if (k < 0 && errno == EINTR)
		return;
	if (k <= 0) {
		write_error(g, "write", "the update log");
		g->upd.len = 0;
		return;
	}
	/* A short write may cut a record: keep the rest for the next turn. */
	memmove(g->upd.p, g->upd.p + k, g->upd.len - (size_t)k);
	g->upd.len -= (size_t)k;
}

static bool conf_changed(const struct mrt_glue *g);
static void conf_apply(struct mrt_glue *g);

static void writer_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct mrt_glue *g = w->data;

	if (conf_changed(g))
		conf_apply(g);

	if (g->dump_fd >= 0)
		dump_slice(g);
	if (g->upd.len)
		upd_slice(g, (time_t)ev_now(loop));
	work_pending(g);
}

static void spin_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Nothing: keeps the loop from blocking while the writer has work. */
}

/* ------------------------------------------------------------ updates */

/* BGP4MP_MESSAGE (2-octet ASNs) for a session without 4-octet AS: its
 * UPDATEs carry 2-octet AS_PATHs, which BGP4MP_MESSAGE_AS4 would not
 * describe (RFC 6396 4.4.2). */
static int write_msg_as2(struct mrt_wbuf *w, uint32_t ts, uint32_t peer_as,
			 uint32_t local_as, const struct addr *peer,
			 const struct addr *local, const uint8_t *msg,
			 size_t len)
{
	size_t alen = peer->afi == AFI_IPV6 ? 16 : 4;
	size_t blen = 2 + 2 + 2 + 2 + 2 * alen + len;
	size_t need = MRT_HDR_LEN + blen;
	uint8_t *p;

	if (w->oom)
		return -1;
	if (w->cap - w->len < need) {
		size_t ncap = w->cap ? w->cap : 65536;
		while (ncap - w->len < need)
			ncap *= 2;
		p = realloc(w->p, ncap);
		if (!p) {
			w->oom = true;
			return -1;
		}
		w->p = p;
		w->cap = ncap;
	}
	p = w->p + w->len;
	peer_as = peer_as > 0xffff ? 23456 : peer_as;
	local_as = local_as > 0xffff ? 23456 : local_as;
	uint8_t h[MRT_HDR_LEN + 12] = {
		(uint8_t)(ts >> 24), (uint8_t)(ts >> 16), (uint8_t)(ts >> 8),
		(uint8_t)ts, 0, MRT_BGP4MP, 0, MRT_BGP4MP_MESSAGE,
		(uint8_t)(blen >> 24), (uint8_t)(blen >> 16), (uint8_t)(blen >> 8),
		(uint8_t)blen, (uint8_t)(peer_as >> 8), (uint8_t)peer_as,
		(uint8_t)(local_as >> 8), (uint8_t)local_as, 0, 0, 0,
		(uint8_t)(peer->afi == AFI_IPV6 ? 2 : 1)};
	memcpy(p, h, MRT_HDR_LEN + 8);
	p += MRT_HDR_LEN + 8;
	memcpy(p, peer->b, alen);
	memcpy(p + alen, local->b, alen);
	memcpy(p + 2 * alen, msg, len);
	w->len += need;
	return 0;
}

void mrt_glue_update(struct daemon *d, const struct conn *c,
		     const uint8_t *msg, size_t len)
{
	struct mrt_glue *g = d->mrt;
	const struct peer *p = c->peer;
	uint32_t ts = (uint32_t)ev_now(d->loop);
	int rc;

	if (!g || !g->log_updates || !p)
		return;
	if (g->upd.len + len + 64 > MRT_GLUE_UPD_BOUND) {
		g->st.updates_dropped++;
		if (!g->upd_full_warned)
			log_warn(&d->log, NULL, "MRT: update log buffer full "
				 "(writes too slow); dropping records");
		g->upd_full_warned = true;
		return;
	}
	g->upd_full_warned = false;
	/* NLRI with ADD-PATH path ids: the _ADDPATH subtypes (RFC 8050) */
	bool ap = c->caps.addpath_rx[AFI_IPV4] || c->caps.addpath_rx[AFI_IPV6];
	size_t at = g->upd.len;
	if (c->caps.as4)
		rc = mrt_write_bgp4mp_msg(&g->upd, ts, p->cf->asn,
					  d->conf->rs.asn, &c->remote,
					  &c->local, msg, len);
	else
		rc = write_msg_as2(&g->upd, ts, p->cf->asn, d->conf->rs.asn,
				   &c->remote, &c->local, msg, len);
	if (rc == 0 && ap && g->upd.len > at + 7)
		g->upd.p[at + 7] = c->caps.as4 ? MRT_BGP4MP_MESSAGE_AS4_ADDPATH
					       : MRT_BGP4MP_MESSAGE_ADDPATH;
	if (rc < 0 || g->upd.oom) {
		g->st.updates_dropped++;
		g->upd.oom = false;
		return;
	}
	g->st.updates_logged++;
	ev_idle_start(d->loop, &g->spin);
}

/* ------------------------------------------------------------ life */

static const char *conf_dir(const struct conf_api *a)
{
	return a->mrt_dir && *a->mrt_dir ? a->mrt_dir : NULL;
}

/* The configuration changed (a reload) since it was applied. */
static bool conf_changed(const struct mrt_glue *g)
{
	const struct conf_api *a = &g->d->conf->api;
	const char *dir = conf_dir(a);

	return (dir == NULL) != (g->dir == NULL) ||
	       (dir && strcmp(dir, g->dir)) ||
	       a->mrt_interval != g->conf_interval ||
	       a->mrt_updates != g->conf_updates;
}

/* (Re)read api.mrt_dir, mrt_interval and mrt_updates. A dump being
 * written finishes where it started; the update log reopens. */
static void conf_apply(struct mrt_glue *g)
{
	const struct conf_api *a = &g->d->conf->api;
	const char *dir = conf_dir(a);
	struct ev_loop *loop = g->d->loop;

	free(g->dir);
	g->dir = dir ? strdup(dir) : NULL;
	g->conf_interval = a->mrt_interval;
	g->conf_updates = a->mrt_updates;
	g->interval = g->dir ? a->mrt_interval : 0;
	g->log_updates = g->dir && a->mrt_updates;
	g->upd_interval = a->mrt_interval ? a->mrt_interval
					  : MRT_GLUE_UPD_DEFAULT_INTERVAL;
	if (g->upd_fd >= 0)
		close(g->upd_fd);
	g->upd_fd = -1;
	if (!g->log_updates)
		g->upd.len = 0;
	ev_timer_stop(loop, &g->dump_timer);
	if (g->interval) {
		ev_timer_set(&g->dump_timer,
			     next_boundary(ev_now(loop), g->interval), 0);
		ev_timer_start(loop, &g->dump_timer);
	}
	if (g->dir && g->dump_fd < 0)
		clean_stale_tmp(g);
	if (g->dir)
		log_info(&g->d->log, NULL, "MRT: %s%s%s in %s",
			 g->interval ? "RIB dumps" : "",
			 g->interval && g->log_updates ? " and " : "",
			 g->log_updates ? "update log" : "", g->dir);
}

struct mrt_glue *mrt_glue_new(struct daemon *d)
{
	struct mrt_glue *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->d = d;
	g->dump_fd = g->upd_fd = -1;
	ev_check_init(&g->writer, writer_cb);
	g->writer.data = g;
	ev_check_start(d->loop, &g->writer);
	ev_idle_init(&g->spin, spin_cb);
	g->spin.data = g;
	ev_set_priority(&g->spin, EV_MINPRI);
	ev_timer_init(&g->dump_timer, dump_timer_cb, 0, 0);
	g->dump_timer.data = g;
	conf_apply(g);
	return g;
}

void mrt_glue_reopen(struct mrt_glue *g)
{
	if (g && g->upd_fd >= 0) {
		close(g->upd_fd);
		g->upd_fd = -1;
	}
}

void mrt_glue_free(struct mrt_glue *g)
{
	if (!g)
		return;
	/* A RIB dump not finished is abandoned (its .tmp removed); the
	 * update log goes out whole: the loop is over. */
	if (g->dump_fd >= 0) {
		close(g->dump_fd);
		unlink(g->dump_name);
		log_warn(&g->d->log, NULL, "MRT: RIB dump %s abandoned at exit",
			 g->dump_name);
	}
	mrt_dumper_free(g->dumper);
	while (g->upd.len) {
		size_t before = g->upd.len;
		upd_slice(g, time(NULL));
		if (g->upd.len == before)
			break;
	}
	if (g->upd_fd >= 0)
		close(g->upd_fd);
	ev_timer_stop(g->d->loop, &g->dump_timer);
	ev_check_stop(g->d->loop, &g->writer);
	ev_idle_stop(g->d->loop, &g->spin);
	mrt_wbuf_free(&g->dump);
	mrt_wbuf_free(&g->upd);
	free(g->dir);
	free(g);
}

void mrt_glue_stats(const struct mrt_glue *g, struct mrt_glue_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!g)
		return;
	*st = g->st;
	st->buffered = g->upd.len + (g->dump.len - g->dump_off);
}

