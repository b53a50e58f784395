/* fetch_http.c — FreeBSD distribution sets: download (libcurl), MANIFEST, SHA-256, extract. */
#include "fetch.h"
#include "sha256.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ioc_dl {
	FILE *f;
	const char *name;
	int progress;
	time_t start;
};

static int
ioc_dl_progress(void *p, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct ioc_dl *d = p;
	double secs = difftime(time(NULL), d->start);
	double rate = secs > 0 ? (double)now / secs : 0;
	(void)ut;
	(void)un;
	if (!d->progress)
		return 0;
	if (total > 0)
		fprintf(stderr, "\r%s: %lld/%lld KiB, %.0f KiB/s, ETA %.0fs   ", d->name,
		    (long long)now / 1024, (long long)total / 1024, rate / 1024,
		    rate > 0 ? (double)(total - now) / rate : 0.0);
	else
		fprintf(stderr, "\r%s: %lld KiB, %.0f KiB/s   ", d->name, (long long)now / 1024, rate / 1024);
	return 0;
}

/* Downloads url into path (temporary name, renamed on success). */
static int
ioc_download(const char *url, const char *path, const char *name, int progress,
    struct ioc_error **err)
{
	_cleanup_free_ char *tmp = ioc_xasprintf("%s.part", path);
	struct ioc_dl d = { NULL, name, progress, time(NULL) };
	CURL *c;
	CURLcode r;
	long code = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || (d.f = fdopen(fd, "wb")) == NULL)
		return ioc_err(err, "cannot create '%s': %s", tmp, strerror(errno));
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, d.f);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, progress ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ioc_dl_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
	r = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (progress)
		fprintf(stderr, "\n");
	if (fclose(d.f) != 0 && r == CURLE_OK)
		r = CURLE_WRITE_ERROR;
	if (r != CURLE_OK) {
		unlink(tmp);
		return ioc_err(err, "cannot download %s: %s (HTTP %ld)", url, curl_easy_strerror(r), code);
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return ioc_err(err, "cannot rename '%s': %s", tmp, strerror(errno));
	}
	return 0;
}

/*
 * MANIFEST lines: "NAME<TAB>SHA256<TAB>COUNT<TAB>...".  Finds the checksum of
 * name; -1 when absent or malformed.
 */
static int
ioc_manifest_sum(const char *manifest, const char *name, char sum[65])
{
	const char *line = manifest;
	size_t nl = strlen(name);
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > nl + 65 && strncmp(line, name, nl) == 0 && line[nl] == '\t') {
			const char *s = line + nl + 1;
			size_t i;
			for (i = 0; i < 64; i++)
				if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
					return -1;
			if (s[64] != '\t' && s[64] != '\n' && s[64] != '\0')
				return -1;
			memcpy(sum, s, 64);
			sum[64] = '\0';
			return 0;
		}
		line += len + (end != NULL);
	}
	return -1;
}

int
ioc_fetch_freebsd(const char *base_url, const char *files, const char *download_dir,
    const char *dest, int progress, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_free_ char *mpath = ioc_xasprintf("%s/MANIFEST", download_dir);
	_cleanup_free_ char *murl = ioc_xasprintf("%s/MANIFEST", base_url);
	_cleanup_free_ char *manifest = NULL;
	size_t i;

	{
		/* split ftpfiles on blanks */
		_cleanup_free_ char *copy = ioc_xstrdup(files);
		char *tok, *save = NULL;
		for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
			ioc_strv_push(&names, tok);
	}
	if (names.n == 0)
		return ioc_err(err, "fetch: ftpfiles names no file");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ioc_download(murl, mpath, "MANIFEST", 0, err) != 0)
		return -1;
	if (ioc_read_file(mpath, 1 << 20, &manifest, NULL, err) != 0)
		return -1;
	for (i = 0; i < names.n; i++) {
		_cleanup_free_ char *url = ioc_xasprintf("%s/%s", base_url, names.v[i]);
		_cleanup_free_ char *path = ioc_xasprintf("%s/%s", download_dir, names.v[i]);
		char want[65], got[65];
		if (ioc_manifest_sum(manifest, names.v[i], want) != 0)
			return ioc_err(err, "fetch: '%s' is not listed in the release's MANIFEST", names.v[i]);
		if (ioc_download(url, path, names.v[i], progress, err) != 0)
			return -1;
		if (ioc_sha256_file(path, got) != 0)
			return ioc_err(err, "cannot read '%s': %s", path, strerror(errno));
		if (strcmp(want, got) != 0) {
			unlink(path);
			return ioc_err(err, "checksum mismatch for %s: MANIFEST says %s, the download is %s",
			    names.v[i], want, got);
		}
	}
	/* every file verified before the first is extracted */
	for (i = 0; i < names.n; i++) {
		_cleanup_free_ char *path = ioc_xasprintf("%s/%s", download_dir, names.v[i]);
		if (ioc_fetch_extract(path, dest, progress, err) != 0)
			return -1;
	}
	return 0;
}
