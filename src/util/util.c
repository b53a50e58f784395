/* util.c — errors, string builder, string vector, small helpers. */
#include "util/util.h"
#include <ctype.h>
#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <linux/close_range.h>
#include <sys/syscall.h>
#endif
#include <time.h>
#include <unistd.h>

static void
ioc_oom(void)
{
	static const char m[] = "iocage: out of memory\n";
	ssize_t r = write(2, m, sizeof(m) - 1);
	(void)r;
	abort();
}

void *
ioc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		ioc_oom();
	return p;
}

void *
ioc_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (p == NULL)
		ioc_oom();
	return p;
}

void *
ioc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		ioc_oom();
	return q;
}

char *
ioc_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		ioc_oom();
	return p;
}

char *
ioc_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		ioc_oom();
	return p;
}

char *
ioc_xasprintf(const char *fmt, ...)
{
	struct ioc_sb sb = IOC_SB_INIT;
	va_list ap;
	va_start(ap, fmt);
	ioc_sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	return ioc_sb_detach(&sb);
}

static int ioc_notes_json;
static struct ioc_sb *ioc_notes_sb;

void
ioc_note_json(int on)
{
	ioc_notes_json = on;
}

void
ioc_note_capture(struct ioc_sb *sb)
{
	ioc_notes_sb = sb;
}

static double ioc_trace_t0 = -1;

int
ioc_trace_on(void)
{
	static int on = -1;
	if (on < 0) {
		const char *v = getenv("IOC_TRACE");
		on = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
	}
	return on;
}

double
ioc_trace_clock(void)
{
	struct timespec ts;
	double now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
	if (ioc_trace_t0 < 0)
		ioc_trace_t0 = now;
	return now;
}

void
ioc_trace(double since, const char *fmt, ...)
{
	struct ioc_sb m = IOC_SB_INIT;
	double now;
	char *p;
	va_list ap;
	if (!ioc_trace_on())
		return;
	now = ioc_trace_clock();
	va_start(ap, fmt);
	ioc_sb_vaddf(&m, fmt, ap);
	va_end(ap);
	p = ioc_msg_printable(m.buf ? m.buf : "");
	ioc_sb_release(&m);
	fprintf(
	    stderr, "iocage: trace: %8.1f ms  %s (%.1f ms)\n", now - ioc_trace_t0, p, now - since);
	free(p);
}

void
ioc_sayf(ioc_say_fn say, void *arg, const char *fmt, ...)
{
	_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
	va_list ap;
	if (say == NULL)
		return;
	ioc_sb_init(&sb);
	va_start(ap, fmt);
	ioc_sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	say(arg, sb.buf ? sb.buf : "");
}

void
ioc_note(const char *fmt, ...)
{
	struct ioc_sb m = IOC_SB_INIT, line = IOC_SB_INIT;
	char *p;
	va_list ap;
	va_start(ap, fmt);
	ioc_sb_vaddf(&m, fmt, ap);
	va_end(ap);
	p = ioc_msg_printable(m.buf ? m.buf : "");
	ioc_sb_release(&m);
	if (ioc_notes_json) {
		ioc_sb_adds(&line, "{\"note\": ");
		ioc_sb_add_json(&line, p);
		ioc_sb_adds(&line, "}\n");
	} else {
		ioc_sb_addf(&line, "iocage: note: %s\n", p);
	}
	if (ioc_notes_sb)
		ioc_sb_adds(ioc_notes_sb, line.buf);
	else
		fputs(line.buf, stderr);
	ioc_sb_release(&line);
	free(p);
}

static int ioc_verror(struct ioc_error **err, int code, const char *fmt, va_list ap)
    IOC_PRINTF(3, 0);

static int
ioc_verror(struct ioc_error **err, int code, const char *fmt, va_list ap)
{
	struct ioc_sb sb = IOC_SB_INIT;
	if (err == NULL || *err != NULL)
		return -1;
	ioc_sb_vaddf(&sb, fmt, ap);
	*err = ioc_xcalloc(1, sizeof(**err));
	(*err)->code = code;
	(*err)->msg = ioc_sb_detach(&sb);
	return -1;
}

#ifdef __clang_analyzer__
#undef ioc_fail
#undef ioc_err
#undef ioc_error_wrap
#endif

int
ioc_fail(struct ioc_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ioc_verror(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
ioc_err(struct ioc_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ioc_verror(err, IOC_EXIT_FAIL, fmt, ap);
	va_end(ap);
	return -1;
}

int
ioc_error_wrap(struct ioc_error **err, const char *fmt, ...)
{
	struct ioc_sb sb = IOC_SB_INIT;
	va_list ap;
	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ioc_sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	ioc_sb_addf(&sb, ": %s", (*err)->msg);
	free((*err)->msg);
	(*err)->msg = ioc_sb_detach(&sb);
	return -1;
}

void
ioc_error_free(struct ioc_error *e)
{
	if (e == NULL)
		return;
	free(e->msg);
	free(e);
}

void
ioc_sb_init(struct ioc_sb *sb)
{
	sb->cap = 64;
	sb->buf = ioc_xmalloc(sb->cap);
	sb->buf[0] = '\0';
	sb->len = 0;
}

void
ioc_sb_release(struct ioc_sb *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

static void
ioc_sb_grow(struct ioc_sb *sb, size_t extra)
{
	if (sb->buf == NULL)
		ioc_sb_init(sb);
	if (sb->len + extra + 1 <= sb->cap)
		return;
	while (sb->len + extra + 1 > sb->cap)
		sb->cap *= 2;
	sb->buf = ioc_xrealloc(sb->buf, sb->cap);
}

void
ioc_sb_add(struct ioc_sb *sb, const char *s, size_t n)
{
	ioc_sb_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
ioc_sb_adds(struct ioc_sb *sb, const char *s)
{
	ioc_sb_add(sb, s, strlen(s));
}

void
ioc_sb_addc(struct ioc_sb *sb, char c)
{
	ioc_sb_add(sb, &c, 1);
}

void
ioc_sb_vaddf(struct ioc_sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	ioc_sb_grow(sb, 0);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n + 1 > sb->cap - sb->len) {
		ioc_sb_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void
ioc_sb_addf(struct ioc_sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ioc_sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
ioc_sb_add_json(struct ioc_sb *sb, const char *s)
{
	const unsigned char *p;
	ioc_sb_addc(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': ioc_sb_adds(sb, "\\\""); break;
		case '\\': ioc_sb_adds(sb, "\\\\"); break;
		case '\n': ioc_sb_adds(sb, "\\n"); break;
		case '\t': ioc_sb_adds(sb, "\\t"); break;
		case '\r': ioc_sb_adds(sb, "\\r"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				ioc_sb_addf(sb, "\\u%04x", *p);
			else
				ioc_sb_addc(sb, (char)*p);
		}
	}
	ioc_sb_addc(sb, '"');
}

char *
ioc_sb_detach(struct ioc_sb *sb)
{
	char *r;
	if (sb->buf == NULL)
		ioc_sb_init(sb);
	r = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return r;
}

const char *
ioc_sb_str(struct ioc_sb *sb)
{
	if (sb->buf == NULL)
		ioc_sb_init(sb);
	return sb->buf;
}

void
ioc_strv_init(struct ioc_strv *sv)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void
ioc_strv_release(struct ioc_strv *sv)
{
	size_t i;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	ioc_strv_init(sv);
}

void
ioc_strv_push_owned(struct ioc_strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = ioc_xrealloc(sv->v, sv->cap * sizeof(char *));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
ioc_strv_push(struct ioc_strv *sv, const char *s)
{
	ioc_strv_push_owned(sv, ioc_xstrdup(s));
}

void
ioc_strv_pushf(struct ioc_strv *sv, const char *fmt, ...)
{
	struct ioc_sb sb = IOC_SB_INIT;
	va_list ap;
	va_start(ap, fmt);
	ioc_sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	ioc_strv_push_owned(sv, ioc_sb_detach(&sb));
}

char *const *
ioc_strv_argv(struct ioc_strv *sv)
{
	if (sv->v == NULL) {
		sv->cap = 8;
		sv->v = ioc_xcalloc(sv->cap, sizeof(char *));
	}
	return sv->v;
}

int
ioc_strv_contains(const struct ioc_strv *sv, const char *s)
{
	size_t i;
	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
ioc_strv_split(struct ioc_strv *sv, const char *s, char sep)
{
	const char *p;
	for (;;) {
		p = strchr(s, sep);
		if (p == NULL) {
			ioc_strv_push(sv, s);
			return;
		}
		ioc_strv_push_owned(sv, ioc_xstrndup(s, (size_t)(p - s)));
		s = p + 1;
	}
}

int
ioc_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
ioc_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
ioc_parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

size_t
ioc_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row, prev, tmp, r;
	if (la > 64 || lb > 64)
		return 99;
	row = ioc_xcalloc(lb + 1, sizeof(size_t));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			r = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < r)
				r = row[j] + 1;
			if (row[j - 1] + 1 < r)
				r = row[j - 1] + 1;
			row[j] = r;
			prev = tmp;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

int
ioc_write_file_atomic(
    const char *path, const char *data, size_t len, int mode, struct ioc_error **err)
{
	_cleanup_free_ char *tmp = ioc_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd;
	size_t off = 0;
	ssize_t w;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return ioc_err(err, "cannot create '%s': %s", tmp, strerror(errno));
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ioc_err(err, "cannot write '%s': %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return ioc_err(err, "cannot write '%s': %s", tmp, strerror(errno));
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return ioc_err(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
	}
	return 0;
}

int
ioc_read_file(const char *path, size_t max, char **out, size_t *outlen, struct ioc_error **err)
{
	struct ioc_sb sb = IOC_SB_INIT;
	char buf[8192];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "cannot open '%s': %s", path, strerror(errno));
	ioc_sb_init(&sb);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ioc_err(err, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			ioc_sb_release(&sb);
			return -1;
		}
		if (r == 0)
			break;
		if (sb.len + (size_t)r > max) {
			ioc_err(err, "file '%s' is larger than %zu bytes", path, max);
			close(fd);
			ioc_sb_release(&sb);
			return -1;
		}
		ioc_sb_add(&sb, buf, (size_t)r);
	}
	close(fd);
	if (outlen)
		*outlen = sb.len;
	*out = ioc_sb_detach(&sb);
	return 0;
}

int
ioc_mkdir_p(const char *path, int mode, struct ioc_error **err)
{
	_cleanup_free_ char *p = ioc_xstrdup(path);
	char *s;
	for (s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
				return ioc_err(
				    err, "cannot create directory '%s': %s", p, strerror(errno));
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return 0; /* NOLINT(clang-analyzer-unix.Malloc): p is freed by _cleanup_free_ */
}

int
ioc_close_from(int from, int keep)
{
#if defined(__linux__) && defined(SYS_close_range)
	if (keep >= from) {
		if (keep > from &&
		    syscall(SYS_close_range, (unsigned)from, (unsigned)keep - 1, 0) != 0)
			return -1;
		return syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0 ? 0 : -1;
	}
	return syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0 ? 0 : -1;
#elif defined(__FreeBSD__)
	if (keep >= from) {
		int fd;
		for (fd = from; fd < keep; fd++)
			close(fd);
		closefrom(keep + 1);
	} else
		closefrom(from);
	return 0;
#else
	(void)from;
	(void)keep;
	return -1;
#endif
}

void
ioc_fds_cloexec(int from)
{
#if defined(__linux__) && defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	/* /proc/self/fd on Linux, /dev/fd (fdescfs) on FreeBSD: the open fds only */
	static const char *const dirs[] = { "/proc/self/fd", "/dev/fd", NULL };
	size_t i;
	int fd;
	for (i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		int n = 0;
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char *end;
			long v = strtol(de->d_name, &end, 10);
			if (*end != '\0' || end == de->d_name || v < from || v == dirfd(d))
				continue;
			fd = fcntl((int)v, F_GETFD);
			if (fd >= 0 && !(fd & FD_CLOEXEC))
				fcntl((int)v, F_SETFD, fd | FD_CLOEXEC);
			n++;
		}
		closedir(d);
		if (n > 0 || i == 0)
			return;
	}
	for (fd = from; fd < 4096; fd++) {
		int f = fcntl(fd, F_GETFD);
		if (f >= 0 && !(f & FD_CLOEXEC))
			fcntl(fd, F_SETFD, f | FD_CLOEXEC);
	}
}

char *
ioc_msg_printable(const char *msg)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t len = strlen(msg), i;
	ioc_sb_init(&sb);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (len > 1000 && i == 400) {
			/* keep the last 500 bytes: the end says what is allowed */
			ioc_sb_addf(&sb, "...(%zu bytes)...", len - 900);
			i = len - 500 - 1;
			continue;
		}
		if (c == '\n')
			ioc_sb_adds(&sb, "\\n");
		else if (c == '\t')
			ioc_sb_adds(&sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			ioc_sb_addf(&sb, "\\x%02x", c);
		else
			ioc_sb_addc(&sb, (char)c);
	}
	return ioc_sb_detach(&sb);
}

int
ioc_has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
char *
ioc_now_fmt(const char *fmt)
{
	char buf[128];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (strftime(buf, sizeof(buf), fmt, &tm) == 0)
		buf[0] = '\0';
	return ioc_xstrdup(buf);
}
#pragma GCC diagnostic pop

ssize_t
ioc_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
ioc_write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

void
ioc_big_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
	(void)fd;
#endif
}

int
ioc_plain_word(const char *s, size_t max, const char *extra)
{
	const char *p;
	if (*s == '\0' || *s == '-' || strlen(s) > max)
		return 0;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr(extra, *p)))
			return 0;
	return 1;
}
