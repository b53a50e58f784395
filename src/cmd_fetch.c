/* cmd_fetch.c — `fetch`: releases from a local tarball, a FreeBSD mirror, or debootstrap. */
#include "commands.h"
#include "fetch.h"
#include "spawn.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

struct ioc_fetch_req {
	const char *release;
	const char *file;
	const char *ftphost;
	const char *ftpdir;
	const char *ftpfiles;
	const char *mirror;
};

/* Root defaults that fetch needs (value set locally on R, else built-in). */
static char *
ioc_root_default(struct ioc_ctx *ctx, const struct ioc_zrows *rows, const char *name)
{
	const struct ioc_prop *p = ioc_prop_find(name);
	_cleanup_free_ char *zn = ioc_prop_zfs_name(p);
	size_t i;
	for (i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].prop, zn) == 0 && strcmp(rows->v[i].source, "local") == 0)
			return ioc_xstrdup(rows->v[i].value);
	return ioc_prop_builtin(p, NULL, ctx->root.name);
}

static int
ioc_fetch_parse(int argc, char **argv, struct ioc_fetch_req *q, struct ioc_error **err)
{
	int i;
	memset(q, 0, sizeof(*q));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		const char **slot = NULL;
		if (eq == NULL)
			return ioc_fail(err, IOC_EXIT_USAGE, "fetch: expected NAME=VALUE, got '%s'", a);
		if (strncmp(a, "release=", 8) == 0)
			slot = &q->release;
		else if (strncmp(a, "file=", 5) == 0)
			slot = &q->file;
		else if (strncmp(a, "ftphost=", 8) == 0)
			slot = &q->ftphost;
		else if (strncmp(a, "ftpdir=", 7) == 0)
			slot = &q->ftpdir;
		else if (strncmp(a, "ftpfiles=", 9) == 0)
			slot = &q->ftpfiles;
		else if (strncmp(a, "mirror=", 7) == 0)
			slot = &q->mirror;
		else
			return ioc_fail(err, IOC_EXIT_USAGE,
			    "fetch: unknown argument '%.*s': expected release=, file=, ftphost=, ftpdir=, ftpfiles= or mirror=",
			    (int)(eq - a > 40 ? 40 : eq - a), a);
		*slot = eq + 1;
		if (ioc_has_ctrl(*slot))
			return ioc_err(err, "fetch: value of '%.*s' contains a control character",
			    (int)(eq - a), a);
	}
	if (q->release == NULL)
		return ioc_fail(err, IOC_EXIT_USAGE, "fetch: release=NAME is required");
	if (ioc_valid_release(q->release, err) != 0)
		return -1;
	if (q->file && (q->ftphost || q->ftpdir || q->ftpfiles || q->mirror))
		return ioc_fail(err, IOC_EXIT_USAGE, "fetch: file= cannot be combined with ftphost=, ftpdir=, ftpfiles= or mirror=");
	return 0;
}

/* Is REL a Debian suite name (fetched with debootstrap on Linux)? */
static int
ioc_fetch_is_debian(const char *rel)
{
	static const char *const suites[] = { "buster", "bullseye", "bookworm", "trixie", "forky",
		"sid", "stable", "testing", "unstable", "oldstable", NULL };
	size_t i;
	for (i = 0; suites[i]; i++)
		if (strcmp(rel, suites[i]) == 0)
			return 1;
	return 0;
}

/* The first "deb" mirror of the host's apt configuration (one-line or deb822 format). */
static char *
ioc_fetch_apt_mirror(void)
{
	static const char *const files[] = { "/etc/apt/sources.list",
		"/etc/apt/sources.list.d/debian.sources", NULL };
	size_t i;
	for (i = 0; files[i]; i++) {
		_cleanup_free_ char *text = NULL;
		char *line, *save = NULL;
		if (ioc_read_file(files[i], 1 << 20, &text, NULL, NULL) != 0)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *p = line, *url, *end;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, "URIs:", 5) == 0)
				url = p + 5;
			else if (strncmp(p, "deb ", 4) == 0)
				url = p + 4;
			else
				continue;
			while (*url == ' ' || *url == '\t')
				url++;
			if (*url == '[') {
				url = strchr(url, ']');
				if (url == NULL)
					continue;
				url++;
				while (*url == ' ')
					url++;
			}
			end = url + strcspn(url, " \t");
			*end = '\0';
			if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0 ||
			    strncmp(url, "file:/", 6) == 0)
				return ioc_xstrdup(url);
		}
	}
	return NULL;
}

/* Runs debootstrap --variant=minbase SUITE TARGET MIRROR. */
static int
ioc_fetch_debootstrap(const char *suite, const char *target, const char *mirror,
    struct ioc_error **err)
{
	char *argv[] = { "debootstrap", "--variant=minbase", (char *)suite, (char *)target,
		(char *)mirror, NULL };
	struct ioc_run_opts o;
	struct ioc_run_result r;
	int rc = 0;
	ioc_run_opts_init(&o);
	o.out_fd = isatty(2) ? IOC_FD_INHERIT : IOC_FD_CAPTURE;
	o.timeout_ms = 3600 * 1000;
	ioc_run_result_init(&r);
	if (ioc_run(argv, &o, &r, err) != 0)
		rc = -1;
	else if (r.status != 0) {
		const char *tail = r.err.len ? r.err.buf : r.out.buf;
		size_t n = strlen(tail);
		rc = ioc_err(err, "debootstrap %s failed with status %d: %s", suite, r.status,
		    n > 400 ? tail + n - 400 : tail);
	}
	ioc_run_result_release(&r);
	return rc;
}

int
ioc_cmd_fetch(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_fetch_req q;
	struct ioc_zrows rows;
	char *names[] = { ctx->root.name, NULL };
	_cleanup_free_ char *relds = NULL;
	_cleanup_free_ char *rootds = NULL;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *mp = NULL;
	_cleanup_free_ char *userns = NULL;
	_cleanup_free_ char *idmap = NULL;
	_cleanup_free_ char *ftphost = NULL;
	_cleanup_free_ char *ftpfiles = NULL;
	_cleanup_free_ char *mirror = NULL;
	_cleanup_free_ char *url = NULL;
	_cleanup_free_ char *dldir = NULL;
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT;
	struct stat st;
	const char *source;
	int lockfd = -1, rc = -1, linux_host;
	struct utsname un;
	unsigned long base = 0, count = 0;

	if (ioc_fetch_parse(argc - 1, argv + 1, &q, err) != 0)
		return -1;
	if (q.file && (stat(q.file, &st) != 0 || !S_ISREG(st.st_mode)))
		return ioc_err(err, "fetch: '%s' is not a readable file", q.file);
	uname(&un);
	linux_host = strcmp(un.sysname, "Linux") == 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_PROP_PREFIX "userns," IOC_PROP_PREFIX "userns_idmap,"
	    IOC_PROP_PREFIX "ftphost," IOC_PROP_PREFIX "ftpfiles", 0, -1, NULL, 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	userns = ioc_root_default(ctx, &rows, "userns");
	idmap = ioc_root_default(ctx, &rows, "userns_idmap");
	ftphost = ioc_xstrdup(q.ftphost ? q.ftphost : "");
	if (!q.ftphost) {
		free(ftphost);
		ftphost = ioc_root_default(ctx, &rows, "ftphost");
	}
	ftpfiles = q.ftpfiles ? ioc_xstrdup(q.ftpfiles) : ioc_root_default(ctx, &rows, "ftpfiles");
	ioc_zrows_release(&rows);
	if (linux_host && strcmp(userns, "on") == 0) {
		long long b, c;
		const char *colon = strchr(idmap, ':');
		_cleanup_free_ char *first = colon ? ioc_xstrndup(idmap, (size_t)(colon - idmap)) : NULL;
		if (!colon || ioc_parse_ll(first, 1, 4294967295LL, &b) != 0 ||
		    ioc_parse_ll(colon + 1, 1, 4294967295LL, &c) != 0)
			return ioc_err(err, "the root's userns_idmap '%s' is not HOSTID:COUNT", idmap);
		base = (unsigned long)b;
		count = (unsigned long)c;
	}
	/* choose the source, validating it completely before any write */
	if (q.file) {
		source = "file";
	} else if (linux_host && ioc_fetch_is_debian(q.release)) {
		source = "debootstrap";
		mirror = q.mirror ? ioc_xstrdup(q.mirror) : ioc_fetch_apt_mirror();
		if (mirror == NULL)
			return ioc_err(err, "fetch: no Debian mirror in the host's apt configuration; give mirror=URL");
		if (strncmp(mirror, "http://", 7) != 0 && strncmp(mirror, "https://", 8) != 0 &&
		    strncmp(mirror, "file:/", 6) != 0)
			return ioc_err(err, "fetch: mirror '%s' is not an http://, https:// or file:/ URL",
			    mirror);
		if (ioc_prog_path("debootstrap") == NULL)
			return ioc_err(err, "fetch: debootstrap is not installed (apt-get install debootstrap)");
	} else {
		const char *p;
		source = "url";
		for (p = ftpfiles; *p; p++)
			if (*p == '/' || *p == '\\' || (p[0] == '.' && p[1] == '.'))
				return ioc_err(err, "fetch: ftpfiles must be plain file names, got '%s'", ftpfiles);
		if (strpbrk(ftphost, " \"'<>\\") || *ftphost == '\0')
			return ioc_err(err, "fetch: invalid ftphost '%s'", ftphost);
		if (q.ftpdir) {
			if (strstr(q.ftpdir, "..") || strpbrk(q.ftpdir, " \"'<>\\?#"))
				return ioc_err(err, "fetch: invalid ftpdir '%s'", q.ftpdir);
			url = ioc_xasprintf("%s%s/%s", strstr(ftphost, "://") ? "" : "https://", ftphost,
			    q.ftpdir[0] == '/' ? q.ftpdir + 1 : q.ftpdir);
		} else {
			const char *arch = strcmp(un.machine, "x86_64") == 0 ? "amd64" : un.machine;
			url = ioc_xasprintf("%s%s/pub/FreeBSD/releases/%s/%s/%s",
			    strstr(ftphost, "://") ? "" : "https://", ftphost, arch, arch, q.release);
		}
	}
	relds = ioc_xasprintf("%s/releases/%s", ctx->root.name, q.release);
	rootds = ioc_xasprintf("%s/root", relds);
	{
		_cleanup_free_ char *key = ioc_xasprintf("release:%s", q.release);
		lockfd = ioc_lock_jail(&ctx->root, key, err);
		if (lockfd < 0)
			return -1;
	}
	if (ioc_release_snapshot(&ctx->root, q.release, &snap, NULL) == 0) {
		printf("release %s already fetched\n", q.release);
		rc = 0;
		goto out;
	}
	/* an interrupted fetch left an incomplete release: start over */
	if (ioc_zfs_exists(relds)) {
		if (ioc_zfs_destroy(relds, 1, err) != 0)
			goto out;
		printf("removed the incomplete release %s of an earlier fetch\n", q.release);
	}
	ioc_strv_pushf(&props, IOC_PROP_PREFIX "release_source=%s", source);
	if (ioc_zfs_create(relds, &props, 0, err) != 0 || ioc_zfs_create(rootds, NULL, 0, err) != 0)
		goto undo;
	if (ioc_zfs_get1(rootds, "mountpoint", &mp, err) != 0 || mp == NULL)
		goto undo;
	if (q.file) {
		if (ioc_fetch_extract(q.file, mp, isatty(2), err) != 0)
			goto undo;
	} else if (strcmp(source, "debootstrap") == 0) {
		if (ioc_fetch_debootstrap(q.release, mp, mirror, err) != 0)
			goto undo;
	} else {
		_cleanup_free_ char *dl = ioc_xasprintf("%s/download/%s", ctx->root.name, q.release);
		if (!ioc_zfs_exists(dl) && ioc_zfs_create(dl, NULL, 0, err) != 0)
			goto undo;
		if (ioc_zfs_get1(dl, "mountpoint", &dldir, err) != 0 || dldir == NULL)
			goto undo;
		if (ioc_fetch_freebsd(url, ftpfiles, dldir, mp, isatty(2), err) != 0)
			goto undo;
	}
	if (count) {
		if (ioc_fetch_shift_tree(mp, base, count, err) != 0)
			goto undo;
		if (ioc_zfs_set(relds, IOC_PROP_PREFIX "release_idmap", idmap, err) != 0)
			goto undo;
	} else if (ioc_zfs_set(relds, IOC_PROP_PREFIX "release_idmap", "none", err) != 0)
		goto undo;
	/* the snapshot is the completeness marker: taken last */
	free(snap);
	snap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, rootds);
	if (ioc_zfs_snapshot(snap, 0, err) != 0)
		goto undo;
	printf("release %s fetched (%s)\n", q.release, source);
	rc = 0;
	goto out;
undo:
	{
		struct ioc_error *e2 = NULL;
		if (ioc_zfs_exists(relds) && ioc_zfs_destroy(relds, 1, &e2) != 0)
			ioc_error_wrap(err, "and the incomplete release could not be removed (%s)",
			    e2 ? e2->msg : "?");
		ioc_error_free(e2);
		ioc_error_wrap(err, "fetch %s failed, nothing kept", q.release);
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
