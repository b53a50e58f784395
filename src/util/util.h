/*
 * util.h — errors, string builder, string vector, small helpers.
 *
 * Errors: functions below the CLI return 0 on success and -1 on failure,
 * filling *err (when err is not NULL) with a newly allocated ioc_error that
 * the caller owns and frees with ioc_error_free().  Only main() prints.
 *
 * ioc_sb (string builder) and ioc_strv (NULL-terminated vector of owned
 * strings) follow git's init/release convention: _init makes an empty,
 * usable object; _release frees what it owns and leaves it re-initialised.
 * Allocation failure aborts (there is nothing sensible to do on a jail host).
 */
#ifndef IOC_UTIL_H
#define IOC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define IOC_EXIT_FAIL 1
#define IOC_EXIT_USAGE 2

/*
 * The interactive program started when none is named: `chroot JAIL` with no
 * command, and a jail user whose passwd entry names no shell.  It is always
 * argv[0] of an argv array with no further words -- never handed a command
 * string to parse.
 */
#define IOC_DEFAULT_SHELL "/bin/sh"

struct ioc_error {
	int code; /* exit status main() uses: 1 failure, 2 usage */
	char *msg;
};

#define IOC_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Sets *err (if err != NULL and *err == NULL) with exit code `code`; returns -1. */
int ioc_fail(struct ioc_error **err, int code, const char *fmt, ...) IOC_PRINTF(3, 4);
/* Shorthand: code 1. */
int ioc_err(struct ioc_error **err, const char *fmt, ...) IOC_PRINTF(2, 3);
/* Prefixes an existing error message with "context: "; returns -1. */
int ioc_error_wrap(struct ioc_error **err, const char *fmt, ...) IOC_PRINTF(2, 3);
void ioc_error_free(struct ioc_error *e);
#ifdef __clang_analyzer__
/* The contract above ("returns -1"), spelled out for the static analyzer,
 * which does not look into other translation units (make lint). */
#define ioc_fail(...) (ioc_fail(__VA_ARGS__), -1)
#define ioc_err(...) (ioc_err(__VA_ARGS__), -1)
#define ioc_error_wrap(...) (ioc_error_wrap(__VA_ARGS__), -1)
#endif

/*
 * The one warning sink: a note is what a command says that does not fail it
 * (a setting the engine cannot apply, device nodes left out of an archive).
 * Every layer below cli calls ioc_note() instead of printing; it writes one
 * line on stderr, made printable: "iocage: note: MSG", or with --json
 * {"note": "MSG"} (ioc_note_json(1), set once by main), as errors are
 * written.  An optional capture (ioc_note_capture) collects the lines
 * instead, for a caller that prints them later in one piece.
 */
struct ioc_sb;
void ioc_note(const char *fmt, ...) IOC_PRINTF(1, 2);
/* A line an operation shows as it goes (its caller prints it: a say callback). */
typedef void (*ioc_say_fn)(void *arg, const char *line);
/* Formats a line for say (NULL: nobody listens, nothing is formatted). */
void ioc_sayf(ioc_say_fn say, void *arg, const char *fmt, ...) IOC_PRINTF(3, 4);
void ioc_note_json(int on);
/* Notes go into sb (lines as they would be printed) until called with NULL. */
void ioc_note_capture(struct ioc_sb *sb);

/*
 * IOC_TRACE=1 in the environment: timing lines on stderr, "iocage: trace:
 * T ms  WHAT (D ms)", T counted from the process's first trace clock read
 * (main reads it first), D from since.  For finding where a command's time
 * goes (bench/, an administrator's question); silent otherwise, and cheap:
 * callers take a clock only when ioc_trace_on().
 */
int ioc_trace_on(void);
double ioc_trace_clock(void); /* ms, monotonic */
void ioc_trace(double since, const char *fmt, ...) IOC_PRINTF(2, 3);

/* Reads until n bytes or EOF (EINTR retried); bytes read, or -1. */
ssize_t ioc_read_full(int fd, void *buf, size_t n);
/* Writes all n bytes (EINTR retried); 0, or -1 with errno. */
int ioc_write_full(int fd, const void *buf, size_t n);
/* Makes a pipe as large as the system allows (Linux: 1 MiB instead of 64 KiB), so
 * that zfs send/receive keeps streaming while this side works; best effort. */
void ioc_big_pipe(int fd);

void *ioc_xmalloc(size_t n);
void *ioc_xcalloc(size_t n, size_t m);
void *ioc_xrealloc(void *p, size_t n);
char *ioc_xstrdup(const char *s);
char *ioc_xstrndup(const char *s, size_t n);
char *ioc_xasprintf(const char *fmt, ...) IOC_PRINTF(1, 2);

struct ioc_sb {
	char *buf; /* always NUL-terminated, never NULL after init */
	size_t len;
	size_t cap;
};
#define IOC_SB_INIT \
	{ \
		NULL, 0, 0 \
	}
void ioc_sb_init(struct ioc_sb *sb);
void ioc_sb_release(struct ioc_sb *sb);
void ioc_sb_add(struct ioc_sb *sb, const char *s, size_t n);
void ioc_sb_adds(struct ioc_sb *sb, const char *s);
void ioc_sb_addc(struct ioc_sb *sb, char c);
void ioc_sb_addf(struct ioc_sb *sb, const char *fmt, ...) IOC_PRINTF(2, 3);
void ioc_sb_vaddf(struct ioc_sb *sb, const char *fmt, va_list ap) IOC_PRINTF(2, 0);
/* Appends s as a JSON string literal, quotes included. */
void ioc_sb_add_json(struct ioc_sb *sb, const char *s);
/* Returns the buffer (caller frees) and re-initialises sb. */
char *ioc_sb_detach(struct ioc_sb *sb);
const char *ioc_sb_str(struct ioc_sb *sb);

struct ioc_strv {
	char **v; /* NULL-terminated once anything was pushed; see ioc_strv_argv */
	size_t n;
	size_t cap;
};
#define IOC_STRV_INIT \
	{ \
		NULL, 0, 0 \
	}
void ioc_strv_init(struct ioc_strv *sv);
void ioc_strv_release(struct ioc_strv *sv);
void ioc_strv_push(struct ioc_strv *sv, const char *s);
void ioc_strv_pushf(struct ioc_strv *sv, const char *fmt, ...) IOC_PRINTF(2, 3);
void ioc_strv_push_owned(struct ioc_strv *sv, char *s);
/* A NULL-terminated view (valid until the vector changes). */
char *const *ioc_strv_argv(struct ioc_strv *sv);
int ioc_strv_contains(const struct ioc_strv *sv, const char *s);
/* Splits s at every `sep` into sv (empty fields kept). */
void ioc_strv_split(struct ioc_strv *sv, const char *s, char sep);

/* Cleanup attributes: functions read as early returns. */
static inline void
ioc_freep(void *p)
{
	void **pp = p;
	free(*pp);
}
static inline void
ioc_sb_releasep(struct ioc_sb *sb)
{
	ioc_sb_release(sb);
}
static inline void
ioc_strv_releasep(struct ioc_strv *sv)
{
	ioc_strv_release(sv);
}
static inline void ioc_closep(int *fd);
#define _cleanup_free_ __attribute__((cleanup(ioc_freep)))
#define _cleanup_sb_ __attribute__((cleanup(ioc_sb_releasep)))
#define _cleanup_strv_ __attribute__((cleanup(ioc_strv_releasep)))
#define _cleanup_close_ __attribute__((cleanup(ioc_closep)))

/* Hands a pointer over: returns *pp and sets *pp to NULL. */
static inline void *
ioc_steal(void *pp)
{
	void **p = pp;
	void *r = *p;
	*p = NULL;
	return r;
}

int ioc_streq(const char *a, const char *b);
int ioc_startswith(const char *s, const char *prefix);
/* Parses a whole decimal integer in [min, max]; 0 on success. */
int ioc_parse_ll(const char *s, long long min, long long max, long long *out);
/* Levenshtein distance, capped (for "did you mean"). */
size_t ioc_edit_distance(const char *a, const char *b);
/* Writes data to path atomically (temporary name in the same directory, rename). */
int ioc_write_file_atomic(
    const char *path, const char *data, size_t len, int mode, struct ioc_error **err);
/* Reads a whole file (up to max bytes). */
int ioc_read_file(const char *path, size_t max, char **out, size_t *outlen, struct ioc_error **err);
/* Makes every directory of path (mode for new ones). */
int ioc_mkdir_p(const char *path, int mode, struct ioc_error **err);
/*
 * Marks every open fd from `from` up close-on-exec: fds a caller handed us
 * (a shell's 5</etc, a leaky parent) never reach a program we start or a
 * process that enters a jail.
 */
void ioc_fds_cloexec(int from);
/*
 * Closes every fd from `from` up, but `keep` (-1: none), with one
 * close_range(2) (Linux 5.9+; closefrom(2) on FreeBSD): no limit such as
 * 4096 that a high fd escapes, and safe between fork and exec (no malloc).
 * Returns -1 where the kernel has neither (the caller walks /proc/self/fd).
 */
int ioc_close_from(int from, int keep);
/*
 * A message made safe to print as one line: control characters shown as
 * \n, \t or \xNN, and a message longer than 1000 bytes cut in the middle
 * (an echoed 64 KiB value) keeping its start and its end (what is
 * allowed).  Caller frees.
 */
char *ioc_msg_printable(const char *msg);
/* True when s contains a byte < 0x20 or 0x7f. */
int ioc_has_ctrl(const char *s);
/*
 * A plain word: 1 to max bytes of letters, digits and the characters in
 * extra, not starting with '-' (never an option).
 */
int ioc_plain_word(const char *s, size_t max, const char *extra);
/* Current time formatted with strftime in UTC. */
char *ioc_now_fmt(const char *fmt);

#include <stdlib.h>
#include <unistd.h>
static inline void
ioc_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#endif
