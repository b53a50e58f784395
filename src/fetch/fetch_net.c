/* fetch_net.c — downloads with libcurl: .part file, SHA-256 on the fly, progress on a TTY. */
#include "fetch/fetch.h"

/* the library's functions are called through the pointers below, not its
   type-checking macros */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct ioc_dl {
	int fd;
	struct ioc_sha256 sha;
	unsigned long long got, max;
	int write_errno; /* set when writing the file failed */
	int too_big;
	/* progress */
	int tty;
	const char *name;
	struct timespec t0;
	double last;
	int drawn;
};

static double
ioc_now(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t
ioc_dl_write(char *p, size_t size, size_t n, void *arg)
{
	struct ioc_dl *d = arg;
	size_t len = size * n, off = 0;
	if (d->max && d->got + len > d->max) {
		d->too_big = 1;
		return 0;
	}
	while (off < len) {
		ssize_t w = write(d->fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			d->write_errno = w < 0 ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	ioc_sha256_update(&d->sha, p, len);
	d->got += len;
	return len;
}

/* Human size into buf: "12.3 MiB". */
static void
ioc_hsize(char *buf, size_t n, double v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

/* Draws "NAME  got / total  rate/s  ETA m:ss" on stderr (a TTY), at most 5 times a second. */
static void
ioc_dl_draw(struct ioc_dl *d, curl_off_t total, curl_off_t now, int final)
{
	double t = ioc_now(&d->t0), rate;
	char a[32], b[32], r[32], eta[32];
	if (!final && t - d->last < 0.2)
		return;
	d->last = t;
	rate = t > 0 ? (double)now / t : 0;
	ioc_hsize(a, sizeof(a), (double)now);
	ioc_hsize(r, sizeof(r), rate);
	if (total > 0) {
		ioc_hsize(b, sizeof(b), (double)total);
		if (rate > 0 && total >= now) {
			long s = (long)((double)(total - now) / rate);
			snprintf(eta, sizeof(eta), "ETA %ld:%02ld", s / 60, s % 60);
		} else {
			snprintf(eta, sizeof(eta), "ETA -:--");
		}
		fprintf(stderr, "\r%-16.16s %10s / %-10s %3d%%  %10s/s  %s\033[K", d->name, a, b,
		    (int)(100.0 * (double)now / (double)total), r, eta);
	} else {
		fprintf(stderr, "\r%-16.16s %10s  %10s/s\033[K", d->name, a, r);
	}
	d->drawn = 1;
	fflush(stderr);
}

static int
ioc_dl_progress(
    void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ultotal;
	(void)ulnow;
	ioc_dl_draw(arg, dltotal, dlnow, 0);
	return 0;
}

/*
 * libcurl is opened when the first download starts, not linked: it and the
 * libraries it pulls in (TLS, HTTP/2, IDN, Kerberos, LDAP, SSH...) cost about
 * 9 ms at every start of every iocage process, and exec pays a start twice
 * (its re-execution from a sealed copy), while only fetch downloads.  Its
 * soname has been libcurl.so.4 since 2006 on Linux and FreeBSD alike.
 */
#ifndef IOC_CURL_SONAME
#define IOC_CURL_SONAME "libcurl.so.4"
#endif
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
} ioc_curl;
static int ioc_curl_ready;

static int
ioc_curl_load(struct ioc_error **err)
{
	void *h;
	if (ioc_curl_ready)
		return 0;
	h = dlopen(IOC_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return ioc_err(err, "cannot load libcurl (%s), which downloads need: %s",
		    IOC_CURL_SONAME, dlerror());
		/* POSIX: a function's address from dlsym, converted through a union-free cast */
#define IOC_CURL_SYM(field, name) \
	*(void **)(&ioc_curl.field) = dlsym(h, name); \
	if (ioc_curl.field == NULL) \
	return ioc_err(err, "libcurl (%s) lacks %s", IOC_CURL_SONAME, name)
	IOC_CURL_SYM(global_init, "curl_global_init");
	IOC_CURL_SYM(easy_init, "curl_easy_init");
	IOC_CURL_SYM(easy_setopt, "curl_easy_setopt");
	IOC_CURL_SYM(easy_perform, "curl_easy_perform");
	IOC_CURL_SYM(easy_getinfo, "curl_easy_getinfo");
	IOC_CURL_SYM(easy_strerror, "curl_easy_strerror");
	IOC_CURL_SYM(easy_cleanup, "curl_easy_cleanup");
#undef IOC_CURL_SYM
	if (ioc_curl.global_init(CURL_GLOBAL_DEFAULT) != 0)
		return ioc_err(err, "cannot initialise libcurl");
	ioc_curl_ready = 1; /* the handle stays open for the process's life */
	return 0;
}

/* curl.h may define these two as macros of its own */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_init ioc_curl.easy_init
#define curl_easy_setopt ioc_curl.easy_setopt
#define curl_easy_perform ioc_curl.easy_perform
#define curl_easy_getinfo ioc_curl.easy_getinfo
#define curl_easy_strerror ioc_curl.easy_strerror
#define curl_easy_cleanup ioc_curl.easy_cleanup

int
ioc_fetch_download(const char *url, int dirfd, const char *name, unsigned long long max,
    char hex[IOC_SHA256_HEX], struct ioc_error **err)
{
	_cleanup_free_ char *part = ioc_xasprintf("%s.part", name);
	char ebuf[CURL_ERROR_SIZE] = "";
	struct ioc_dl d;
	CURL *c;
	CURLcode rc;
	long code = 0;
	int ok = -1;

	if (ioc_fetch_valid_file_name(name, err) != 0)
		return -1;
	if (ioc_curl_load(err) != 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.max = max;
	d.name = name;
	d.tty = isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	ioc_sha256_init(&d.sha);
	unlinkat(dirfd, part, 0);
	d.fd = openat(dirfd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (d.fd < 0)
		return ioc_err(err, "cannot create '%s': %s", part, strerror(errno));
	c = curl_easy_init();
	if (c == NULL) {
		close(d.fd);
		unlinkat(dirfd, part, 0);
		return ioc_err(err, "cannot initialise libcurl");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "iocage-pool-party");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ioc_dl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	if (d.tty) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ioc_dl_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (d.tty && d.drawn) {
		if (rc == CURLE_OK)
			ioc_dl_draw(&d, (curl_off_t)d.got, (curl_off_t)d.got, 1);
		fputc('\n', stderr);
	}
	if (d.too_big)
		ioc_err(err, "cannot download %s: larger than %llu bytes", url, max);
	else if (d.write_errno)
		ioc_err(err, "cannot write '%s': %s", part, strerror(d.write_errno));
	else if (rc == CURLE_HTTP_RETURNED_ERROR)
		ioc_err(err, "cannot download %s: server answered HTTP %ld", url, code);
	else if (rc != CURLE_OK)
		ioc_err(err, "cannot download %s: %s", url, *ebuf ? ebuf : curl_easy_strerror(rc));
	else if (fsync(d.fd) != 0)
		ioc_err(err, "cannot write '%s': %s", part, strerror(errno));
	else
		ok = 0;
	curl_easy_cleanup(c);
	if (close(d.fd) != 0 && ok == 0)
		ok = ioc_err(err, "cannot write '%s': %s", part, strerror(errno));
	if (ok == 0 && renameat(dirfd, part, dirfd, name) != 0)
		ok = ioc_err(err, "cannot rename '%s' to '%s': %s", part, name, strerror(errno));
	if (ok != 0) {
		unlinkat(dirfd, part, 0);
		return -1;
	}
	if (hex)
		ioc_sha256_final_hex(&d.sha, hex);
	return 0;
}
