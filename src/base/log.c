/*
 * log.c - timestamped log lines for pharosd (see log.h).
 */
#include "base/log.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_init(struct log *l, int level, FILE *out)
{
	l->level = level;
	l->out = out ? out : stderr;
}

char *log_time_iso(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char tmp[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", tmp, (long)(tv.tv_usec / 1000));
	return buf;
}

void log_vmsg(const struct log *l, int level, const char *peer,
	      const char *fmt, va_list ap)
{
	char ts[40], msg[1024];
	FILE *out;

	if (!l || level > l->level)
		return;
	out = l->out ? l->out : stderr;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_time_iso(ts, sizeof(ts));
	if (level < 0 || level > PLOG_DEBUG)
		level = PLOG_INFO;
	if (peer)
		fprintf(out, "%s %s [%s] %s\n", ts, level_names[level], peer,
			msg);
	else
		fprintf(out, "%s %s %s\n", ts, level_names[level], msg);
	fflush(out);
}

void log_msg(const struct log *l, int level, const char *peer,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(l, level, peer, fmt, ap);
	va_end(ap);
}
