/*
 * api_mrt.c - GET /api/v1/mrt/rib (see api_mrt.h): the loc-RIB's paths,
 * each one peer's accepted route, as a TABLE_DUMP_V2 dump built by
 * mrt/mrt_dump.c. The body is streamed: each time the client's socket
 * can take more, the next API_MRT_STEP prefixes are encoded, so a large
 * RIB never holds up the event loop for long nor sits whole in memory.
 * Each dump holds a slot like every other large reply (api_stream.h):
 * their number, per client and in all, and their memory are bounded.
 */
#include "api/api_mrt.h"
#include "api/api_int.h"
#include "api/api_stream.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mrt/mrt_dump.h"

#define API_MRT_STEP 500 /* prefixes encoded per read of the body */
/* What one dump holds: its queue of prefixes and about a step of
 * records (mrt_dump.c). */
#define API_MRT_BYTES (MRT_DUMP_QUEUE * sizeof(struct prefix) + (1u << 20))

struct rib_stream {
	struct api_slot *slot;
	struct mrt_dumper *x;
	struct mrt_wbuf w;
	size_t off;
	bool done;
};

static void stream_free(void *cls)
{
	struct rib_stream *s = cls;

	mrt_dumper_free(s->x);
	mrt_wbuf_free(&s->w);
	api_slot_release(s->slot);
	free(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct rib_stream *s = cls;
	size_t n;

	while (s->off == s->w.len) {
		int rc;

		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		s->w.len = s->off = 0;
		rc = mrt_dumper_step(s->x, &s->w, API_MRT_STEP);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->done = rc == 0;
	}
	n = s->w.len - s->off < max ? s->w.len - s->off : max;
	memcpy(buf, s->w.p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static enum MHD_Result reply_rib(struct api *api, struct MHD_Connection *con)
{
	struct rib_stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *r;
	enum MHD_Result ret;
	time_t now = time(NULL);
	char disp[96], name[48];
	int rc;

	if (!s || !(s->x = mrt_dumper_new(api->d->sess, (uint32_t)now))) {
		free(s);
		return reply_error(con, 500, "out of memory");
	}
	s->slot = api_slot_take(api, con, API_MRT_BYTES, &ret);
	if (!s->slot) {
		stream_free(s);
		return ret;
	}
	/* The first step (peer table and first prefixes) here, so that a
	 * failure can still be an error reply. */
	rc = mrt_dumper_step(s->x, &s->w, API_MRT_STEP);
	if (rc < 0) {
		stream_free(s);
		return reply_error(con, 500, "out of memory building the MRT dump");
	}
	s->done = rc == 0;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
					      stream_read, s, stream_free);
	if (!r) {
		stream_free(s);
		return reply_error(con, 500, "cannot create the reply");
	}
	mrt_file_name(name, sizeof(name), "rib", now);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	MHD_add_response_header(r, "Content-Disposition", disp);
	api_slot_timeout(con);
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result api_mrt_route(struct api *api, struct MHD_Connection *con,
			      const char *rest, bool post)
{
	if (!strcmp(rest, "/rib")) {
		if (post)
			return reply_error(con, 405, "use GET for the MRT dump");
		return reply_rib(api, con);
	}
	return reply_error(con, 404, "unknown MRT resource (try mrt/rib)");
}
