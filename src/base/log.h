/*
 * log.h - the daemon's log: one line per message on stderr, in the form
 * "TIME LEVEL [peer] message"; or, when stderr is the systemd journal,
 * "<PRIORITY>[peer] message" (sd-daemon(3) prefixes, so that the journal
 * records each line's severity); or syslog(3) with facility daemon. The
 * logger is a small value owned by the daemon context (no global state);
 * components receive a pointer to it.
 */
#ifndef PHAROS_CORE_LOG_H
#define PHAROS_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { PLOG_ERR = 0, PLOG_WARN = 1, PLOG_INFO = 2, PLOG_DEBUG = 3 };

enum log_target { PLOG_TEXT = 0, PLOG_JOURNAL = 1, PLOG_SYSLOG = 2 };

struct log {
	int level; /* messages above this level are dropped */
	FILE *out; /* stderr unless set */
	int target; /* enum log_target; PLOG_TEXT after log_init */
};

void log_init(struct log *l, int level, FILE *out);
/* Switch to another target; PLOG_SYSLOG opens syslog with ident. */
void log_set_target(struct log *l, int target, const char *ident);
/* true when stderr is the systemd journal's stream ($JOURNAL_STREAM names
 * the device and inode of fd 2). */
bool log_stderr_is_journal(void);
/* peer may be NULL (no "[peer]" part). */
void log_msg(const struct log *l, int level, const char *peer,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(const struct log *l, int level, const char *peer,
	      const char *fmt, va_list ap);
/* src with every control character and backslash escaped (\n, \r, \t,
 * \\, \xHH) into dst (len bytes, always terminated, cut at a whole
 * escape). Returns the length written. log_msg applies it to every line. */
size_t log_escape(char *dst, size_t len, const char *src);
/* "2026-01-02T03:04:05.678Z" into buf (at least 32 bytes). */
char *log_time_iso(char *buf, size_t len);

#define log_err(l, peer, ...) log_msg(l, PLOG_ERR, peer, __VA_ARGS__)
#define log_warn(l, peer, ...) log_msg(l, PLOG_WARN, peer, __VA_ARGS__)
#define log_info(l, peer, ...) log_msg(l, PLOG_INFO, peer, __VA_ARGS__)
#define log_debug(l, peer, ...) log_msg(l, PLOG_DEBUG, peer, __VA_ARGS__)

#endif
