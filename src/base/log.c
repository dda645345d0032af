/*
 * log.c - timestamped log lines, journal lines and syslog for pharosd
 * (see log.h). Every line is one line: control characters in a message
 * or a peer name, whatever their source (a peer's shutdown communication,
 * an API request, a file name), are written escaped (\n, \r, \t, \xHH),
 * so that no input can forge a line or send terminal escapes.
 */
#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
static const int level_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void log_init(struct log *l, int level, FILE *out)
{
	l->level = level;
	l->out = out ? out : stderr;
	l->target = PLOG_TEXT;
}

void log_set_target(struct log *l, int target, const char *ident)
{
	if (l->target == PLOG_SYSLOG && target != PLOG_SYSLOG)
		closelog();
	if (target == PLOG_SYSLOG && l->target != PLOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	l->target = target;
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
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

size_t log_escape(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return 0;
	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		char e[5];
		size_t n = 0;

		if (*s >= 0x20 && *s != 0x7f && *s != '\\') {
			e[n++] = (char)*s;
		} else if (*s == '\\') {
			e[n++] = '\\', e[n++] = '\\';
		} else if (*s == '\n' || *s == '\r' || *s == '\t') {
			e[n++] = '\\';
			e[n++] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
		} else {
			e[n++] = '\\', e[n++] = 'x';
			e[n++] = hex[*s >> 4], e[n++] = hex[*s & 15];
		}
		if (o + n >= len)
			break;
		memcpy(dst + o, e, n);
		o += n;
	}
	dst[o] = 0;
	return o;
}

void log_vmsg(const struct log *l, int level, const char *peer,
	      const char *fmt, va_list ap)
{
	char ts[40], raw[1024], msg[4096], pbuf[512];
	FILE *out;

	if (!l || level > l->level)
		return;
	out = l->out ? l->out : stderr;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(msg, sizeof(msg), raw);
	if (peer)
		peer = (log_escape(pbuf, sizeof(pbuf), peer), pbuf);
	log_time_iso(ts, sizeof(ts));
	if (level < 0 || level > PLOG_DEBUG)
		level = PLOG_INFO;
	if (l->target == PLOG_SYSLOG) {
		if (peer)
			syslog(level_prio[level], "[%s] %s", peer, msg);
		else
			syslog(level_prio[level], "%s", msg);
		return;
	}
	if (l->target == PLOG_JOURNAL) {
		if (peer)
			fprintf(out, "<%d>[%s] %s\n", level_prio[level], peer, msg);
		else
			fprintf(out, "<%d>%s\n", level_prio[level], msg);
		fflush(out);
		return;
	}
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
