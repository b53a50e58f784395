/*
 * fetch_release.c — `iocage fetch` (ops.h): FreeBSD distribution files over HTTP(S), a
 * local root-filesystem archive (file=), or a Debian suite (debootstrap).
 *
 * Plan, then act: every argument and default is checked and the request is
 * resolved (URL, files, mirror, id map) before the first ZFS write.  Under a
 * per-release lock: a complete release (R/releases/REL/root@ioc-release) is
 * left alone; an incomplete one (no snapshot: an interrupted fetch) is
 * destroyed and made again.  Downloads land in R/download/REL and are checked
 * against the MANIFEST before anything is extracted.  The snapshot is made
 * last: it is the one mark of a complete release, so a failure or a kill at
 * any point leaves nothing that create would use; a failure removes
 * R/releases/REL itself, a kill leaves it for the next fetch to remove.
 *
 * On FreeBSD a FreeBSD release (its root has /bin/freebsd-version) is
 * brought up to date before its snapshot, as the shell iocage's
 * __fetch_release did (1.7.6 lib/ioc-common: "* Updating base jail..",
 * freebsd-update fetch, install), but with the host's configuration and a
 * work directory outside the release's root (ops/update.c); `fetch -n`
 * leaves the release as the distribution files have it.
 */
#include "ops/ops.h"
#include "engine/engine.h"
#include "fetch/fetch.h"
#include "core/props.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/mount.h>
#endif

enum ioc_fetch_how { IOC_FETCH_URL, IOC_FETCH_FILE, IOC_FETCH_DEBOOTSTRAP };

struct ioc_fetch_req {
	enum ioc_fetch_how how;
	const char *release;
	const char *file; /* file= as given */
	int file_fd;
	char *base_url; /* URL mode: ".../" */
	struct ioc_strv files; /* URL mode: distribution files */
	char *mirror; /* debootstrap mode */
	int shift; /* Linux: shift owners for the user namespace */
	int no_update; /* -n: no freebsd-update of a FreeBSD release */
	const struct ioc_fetch_spec *spec; /* its say: the lines fetch shows as it goes */
	unsigned long idbase, idcount;
	char *idmap_value; /* release_idmap: "HOSTID:COUNT" or "none" */
	/* datasets */
	char *rel_ds, *root_ds, *snap, *dl_ds;
};

static void
ioc_fetch_req_release(struct ioc_fetch_req *r)
{
	if (r->file_fd >= 0)
		close(r->file_fd);
	free(r->base_url);
	ioc_strv_release(&r->files);
	free(r->mirror);
	free(r->idmap_value);
	free(r->rel_ds);
	free(r->root_ds);
	free(r->snap);
	free(r->dl_ds);
}

/* The root's local defaults for the given properties (built-in where not set). */
static int
ioc_fetch_defaults(
    const struct ioc_root *root, const char *const *names, char **vals, struct ioc_error **err)
{
	struct ioc_zrows rows;
	_cleanup_sb_ struct ioc_sb props = IOC_SB_INIT;
	char *dsn[] = { root->name, NULL };
	size_t i, k;
	ioc_sb_init(&props);
	for (i = 0; names[i]; i++)
		ioc_sb_addf(&props, "%s" IOC_PROP_PREFIX "%s", i ? "," : "", names[i]);
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(dsn, props.buf, 0, -1, "local", 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; names[i]; i++) {
		const struct ioc_prop *p = ioc_prop_find(names[i]);
		_cleanup_free_ char *zn = ioc_xasprintf(IOC_PROP_PREFIX "%s", names[i]);
		vals[i] = NULL;
		for (k = 0; k < rows.n; k++)
			if (strcmp(rows.v[k].prop, zn) == 0 &&
			    strcmp(rows.v[k].name, root->name) == 0)
				vals[i] = ioc_xstrdup(rows.v[k].value);
		if (vals[i] == NULL)
			vals[i] = ioc_xstrdup(p ? p->builtin : "");
	}
	ioc_zrows_release(&rows);
	return 0;
}

/* Parses "HOSTID:COUNT". */
static int
ioc_fetch_idmap(const char *v, unsigned long *base, unsigned long *count, struct ioc_error **err)
{
	const char *c = strchr(v, ':');
	_cleanup_free_ char *a = c ? ioc_xstrndup(v, (size_t)(c - v)) : NULL;
	long long h, n;
	if (!c || ioc_parse_ll(a, 1, 4294967295LL, &h) != 0 ||
	    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0 || h + n > 4294967296LL)
		return ioc_err(
		    err, "invalid userns_idmap '%s' on the root: expected HOSTID:COUNT", v);
	*base = (unsigned long)h;
	*count = (unsigned long)n;
	return 0;
}

/* file= mode: opens the archive (kept open in r->file_fd) and checks that it is one. */
static int
ioc_fetch_plan_file(struct ioc_fetch_req *r, struct ioc_error **err)
{
	struct stat st;
	r->how = IOC_FETCH_FILE;
	if (*r->file == '\0' || ioc_has_ctrl(r->file))
		return ioc_fail(err, IOC_EXIT_USAGE, "fetch: file= needs the path of an archive");
	r->file_fd = open(r->file, O_RDONLY | O_CLOEXEC);
	if (r->file_fd < 0)
		return ioc_err(err, "file=: cannot open '%s': %s", r->file, strerror(errno));
	if (fstat(r->file_fd, &st) != 0 || !S_ISREG(st.st_mode))
		return ioc_err(err,
		    "'%s' is not a regular file (file= takes an archive of a root "
		    "filesystem)",
		    r->file);
	return ioc_fetch_probe_archive(r->file_fd, r->file, err);
}

/* Debian suite: debootstrap (Linux only) and the mirror, mirror= or the host's apt mirror. */
static int
ioc_fetch_plan_debootstrap(struct ioc_fetch_req *r, const char *mirror, struct ioc_error **err)
{
#ifdef __linux__
	r->how = IOC_FETCH_DEBOOTSTRAP;
	if (ioc_prog_path("debootstrap") == NULL)
		return ioc_err(err,
		    "release '%s' is a Debian suite, but debootstrap is not "
		    "installed",
		    r->release);
	if (mirror) {
		if (ioc_fetch_valid_mirror(mirror, err) != 0)
			return -1;
		r->mirror = ioc_xstrdup(mirror);
		return 0;
	}
	return ioc_fetch_apt_mirror(&r->mirror, err);
#else
	return ioc_err(err,
	    "release '%s' is a Debian suite: debootstrap releases are made on "
	    "Linux hosts only",
	    r->release);
#endif
}

/* The distribution files of fl, a space-separated list (ftpfiles), into r->files once each. */
static int
ioc_fetch_plan_files(struct ioc_fetch_req *r, const char *fl, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv words = IOC_STRV_INIT;
	size_t k;
	ioc_strv_split(&words, fl, ' ');
	for (k = 0; k < words.n; k++) {
		if (*words.v[k] == '\0')
			continue;
		if (ioc_fetch_valid_file_name(words.v[k], err) != 0)
			return ioc_error_wrap(err, "ftpfiles");
		if (strcmp(words.v[k], "MANIFEST") == 0)
			return ioc_err(err,
			    "ftpfiles: MANIFEST is always fetched; list the "
			    "distribution files (e.g. base.txz)");
		if (!ioc_strv_contains(&r->files, words.v[k]))
			ioc_strv_push(&r->files, words.v[k]);
	}
	if (r->files.n == 0)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "fetch: ftpfiles names no file (e.g. "
		    "ftpfiles=\"base.txz lib32.txz\")");
	return 0;
}

/* URL mode: the base URL (ftphost=, ftpdir= or the root's defaults dv) and the files. */
static int
ioc_fetch_plan_url(struct ioc_fetch_req *r, const struct ioc_fetch_spec *a, char *const *dv,
    struct ioc_error **err)
{
	_cleanup_free_ char *dir = NULL;
	const char *ftpdir = a->ftpdir;
	r->how = IOC_FETCH_URL;
	if (a->mirror)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "fetch: mirror= is for Debian suites "
		    "(debootstrap); FreeBSD releases use ftphost= and ftpdir=");
	if (ftpdir == NULL && strcmp(dv[1], "none") != 0)
		ftpdir = dv[1];
	if (ftpdir == NULL || strcmp(ftpdir, "none") == 0)
		dir = ioc_xasprintf("releases/%s/%s", ioc_fetch_arch(), r->release);
	else
		dir = ioc_xstrdup(ftpdir);
	if (ioc_fetch_base_url(a->ftphost ? a->ftphost : dv[0], dir, &r->base_url, err) != 0)
		return -1;
	ioc_strv_init(&r->files);
	return ioc_fetch_plan_files(r, a->ftpfiles ? a->ftpfiles : dv[2], err);
}

#ifdef __linux__
/* The id range a release's owners are shifted into: the root's userns and userns_idmap. */
static int
ioc_fetch_plan_userns(struct ioc_fetch_req *r, char *const *dv, struct ioc_error **err)
{
	int on = ioc_parse_bool(dv[3]);
	if (on < 0)
		return ioc_err(err, "invalid userns '%s' on the root: expected on|off", dv[3]);
	r->shift = on;
	if (on && ioc_fetch_idmap(dv[4], &r->idbase, &r->idcount, err) != 0)
		return -1;
	r->idmap_value = on ? ioc_xasprintf("%lu:%lu", r->idbase, r->idcount) : ioc_xstrdup("none");
	return 0;
}
#endif

/* Parses and validates the whole request; nothing is written. */
static int
ioc_fetch_plan(const struct ioc_root *root, const struct ioc_fetch_spec *a, struct ioc_fetch_req *r,
    struct ioc_error **err)
{
	static const char *const defs[] = { "ftphost", "ftpdir", "ftpfiles", "userns",
		"userns_idmap", NULL };
	char *dv[6] = { NULL };
	int i, rc = -1;

	r->spec = a;
	r->release = a->release;
	r->file = a->file;
	r->no_update = a->no_update;
	if (r->release == NULL && r->file)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "fetch: file=PATH needs release=NAME (the name "
		    "the archive's root filesystem gets)");
	if (r->release == NULL) {
		/* the host's own release, as the shell iocage fetched by default */
		if ((r->release = ioc_host_release(err)) == NULL)
			return -1;
		ioc_sayf(
		    r->spec->say, r->spec->say_arg, "fetch: release=%s (the host's)", r->release);
	}
	if (ioc_valid_release(r->release, err) != 0)
		return -1;
	if (r->file && (a->ftphost || a->ftpdir || a->ftpfiles || a->mirror))
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "fetch: file= imports a local archive; it "
		    "excludes ftphost=, ftpdir=, ftpfiles= and mirror=");
	if (ioc_fetch_defaults(root, defs, dv, err) != 0)
		goto out;

	r->rel_ds = ioc_xasprintf("%s/releases/%s", root->name, r->release);
	r->root_ds = ioc_xasprintf("%s/root", r->rel_ds);
	r->snap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, r->root_ds);
	r->dl_ds = ioc_xasprintf("%s/download/%s", root->name, r->release);

	if (r->file)
		rc = ioc_fetch_plan_file(r, err);
	else if (!a->ftphost && !a->ftpdir && !a->ftpfiles &&
	    ioc_fetch_debootstrap_suite(r->release))
		rc = ioc_fetch_plan_debootstrap(r, a->mirror, err);
	else
		rc = ioc_fetch_plan_url(r, a, dv, err);
#ifdef __linux__
	if (rc == 0)
		rc = ioc_fetch_plan_userns(r, dv, err);
#endif
out:
	for (i = 0; i < 6; i++)
		free(dv[i]);
	return rc;
}

/* Mountpoint of a mounted dataset. */
static int
ioc_fetch_mountpoint(const char *ds, char **mp, struct ioc_error **err)
{
	_cleanup_free_ char *mounted = NULL;
	if (ioc_zfs_get1(ds, "mountpoint", mp, err) != 0)
		return -1;
	if (*mp == NULL || (*mp)[0] != '/') {
		free(*mp);
		*mp = NULL;
		return ioc_err(err, "dataset %s has no mountpoint", ds);
	}
	if (ioc_zfs_get1(ds, "mounted", &mounted, err) != 0)
		return -1;
	if (mounted == NULL || strcmp(mounted, "yes") != 0)
		return ioc_err(err, "dataset %s is not mounted", ds);
	return 0;
}

/* Downloads MANIFEST and the files into R/download/REL, each checked against it. */
static int
ioc_fetch_download_all(struct ioc_fetch_req *r, struct ioc_error **err)
{
	_cleanup_free_ char *mp = NULL, *text = NULL, *murl = NULL;
	struct ioc_fetch_manifest m;
	size_t len, i;
	int dfd, rc = -1;

	if (!ioc_zfs_exists(r->dl_ds) && ioc_zfs_create(r->dl_ds, NULL, 1, err) != 0)
		return -1;
	if (ioc_fetch_mountpoint(r->dl_ds, &mp, err) != 0)
		return -1;
	dfd = open(mp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return ioc_err(err, "cannot open '%s': %s", mp, strerror(errno));
	ioc_fetch_manifest_init(&m);
	murl = ioc_xasprintf("%sMANIFEST", r->base_url);
	if (ioc_fetch_download(murl, dfd, "MANIFEST", IOC_MANIFEST_MAX, NULL, err) != 0)
		goto out;
	{
		_cleanup_free_ char *mpath = ioc_xasprintf("%s/MANIFEST", mp);
		if (ioc_read_file(mpath, IOC_MANIFEST_MAX, &text, &len, err) != 0)
			goto out;
	}
	if (ioc_fetch_manifest_parse(text, len, &m, err) != 0) {
		ioc_error_wrap(err, "%sMANIFEST", r->base_url);
		goto out;
	}
	for (i = 0; i < r->files.n; i++) {
		const char *name = r->files.v[i];
		const struct ioc_fetch_manifest_ent *e = ioc_fetch_manifest_find(&m, name);
		_cleanup_free_ char *url = ioc_xasprintf("%s%s", r->base_url, name);
		char hex[IOC_SHA256_HEX] = "";
		int fd;
		if (e == NULL) {
			ioc_err(err,
			    "the MANIFEST of release '%s' does not list '%s' (it lists the files "
			    "that ftpfiles= may name)",
			    r->release, name);
			goto out;
		}
		/* a file kept from an earlier, interrupted fetch is reused when it checks out */
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			struct ioc_error *e2 = NULL;
			struct stat st;
			if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			    ioc_fetch_sha256_fd(fd, hex, &e2) != 0)
				hex[0] = '\0';
			ioc_error_free(e2);
			close(fd);
			if (strcmp(hex, e->sha256) == 0)
				continue;
			unlinkat(dfd, name, 0);
		}
		if (ioc_fetch_download(url, dfd, name, 0, hex, err) != 0)
			goto out;
		if (strcmp(hex, e->sha256) != 0) {
			unlinkat(dfd, name, 0);
			ioc_err(err,
			    "checksum mismatch for %s: the MANIFEST says SHA-256 %s, the "
			    "download has %s; nothing was extracted",
			    url, e->sha256, hex);
			goto out;
		}
	}
	rc = 0;
out:
	ioc_fetch_manifest_release(&m);
	close(dfd);
	return rc;
}

#ifdef __linux__
/* Detaches anything still mounted below dir (a failed debootstrap leaves /proc, /sys). */
static void
ioc_fetch_umount_below(const char *dir)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *prefix = ioc_xasprintf("%s/", dir);
	struct ioc_error *e = NULL;
	size_t len, i;
	if (ioc_read_file("/proc/self/mounts", 1 << 22, &text, &len, &e) != 0) {
		ioc_error_free(e);
		return;
	}
	ioc_strv_split(&lines, text, '\n');
	for (i = lines.n; i > 0; i--) {
		char *l = lines.v[i - 1], *sp = strchr(l, ' '), *mp, *end;
		if (sp == NULL)
			continue;
		mp = sp + 1;
		end = strchr(mp, ' ');
		if (end)
			*end = '\0';
		/* mount points with blanks are octal-escaped in /proc/self/mounts: ours have none */
		if (strncmp(mp, prefix, strlen(prefix)) == 0)
			umount2(mp,
			    MNT_DETACH |
				UMOUNT_NOFOLLOW); /* a link planted there is not followed */
	}
}
#endif

/* Runs debootstrap into dest. */
static int
ioc_fetch_debootstrap(struct ioc_fetch_req *r, const char *dest, struct ioc_error **err)
{
	struct ioc_run_opts o;
	struct ioc_run_result res;
	_cleanup_free_ char *variant = ioc_xstrdup("--variant=minbase");
	char *argv[] = { "debootstrap", variant, (char *)r->release, (char *)dest, r->mirror,
		NULL };
	int tty = isatty(2), rc;

	ioc_run_opts_init(&o);
	if (tty) {
		o.out_fd = IOC_FD_INHERIT;
		o.err_fd = IOC_FD_INHERIT;
	}
	ioc_run_result_init(&res);
	rc = ioc_run(argv, &o, &res, err);
	if (rc == 0 && res.status != 0) {
		/* the last line debootstrap printed says why */
		const char *text = res.err.len ? res.err.buf : res.out.buf;
		size_t n = strlen(text);
		const char *s;
		while (n && text[n - 1] == '\n')
			n--;
		s = text + n;
		while (s > text && s[-1] != '\n')
			s--;
		rc = ioc_err(err, "debootstrap of '%s' failed (status %d)%s%.*s", r->release,
		    res.status, n ? ": " : "", (int)(text + n - s), s);
	}
	ioc_run_result_release(&res);
#ifdef __linux__
	ioc_fetch_umount_below(dest);
#endif
	return rc;
}

/*
 * FreeBSD engine, a FreeBSD release, no -n: freebsd-update fetch install
 * against the new release's root before its snapshot; a failure fails the
 * fetch (the unfinished release is removed, and the next fetch starts again).
 */
static int
ioc_fetch_update(const struct ioc_fetch_req *r, const char *mp, struct ioc_error **err)
{
	_cleanup_free_ char *ver = ioc_xasprintf("%s/bin/freebsd-version", mp);
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	if (r->no_update || strcmp(ioc_engine()->name, "freebsd") != 0 || lstat(ver, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (ioc_fetch_mountpoint(r->rel_ds, &dir, err) != 0)
		return -1;
	ioc_sayf(r->spec->say, r->spec->say_arg, "* Updating base jail..");
	if (ioc_freebsd_update(mp, dir, r->release, err) != 0)
		return ioc_error_wrap(err, "release '%s' (fetch -n skips the update)", r->release);
	return 0;
}

/* Makes R/releases/REL/root, fills it, shifts it, updates it, snapshots it. */
static int
ioc_fetch_build(struct ioc_fetch_req *r, const char *dl_mp, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT;
	_cleanup_free_ char *mp = NULL;
	size_t i;

	ioc_strv_pushf(&props, IOC_PROP_PREFIX "release_source=%s",
	    r->how == IOC_FETCH_URL	 ? "url" :
		r->how == IOC_FETCH_FILE ? "file" :
					   "debootstrap");
	if (r->idmap_value)
		ioc_strv_pushf(&props, IOC_PROP_PREFIX "release_idmap=%s", r->idmap_value);
	if (ioc_zfs_create(r->rel_ds, &props, 0, err) != 0)
		return -1;
	if (ioc_zfs_create(r->root_ds, NULL, 0, err) != 0)
		return -1;
	if (ioc_fetch_mountpoint(r->root_ds, &mp, err) != 0)
		return -1;
	switch (r->how) {
	case IOC_FETCH_FILE:
		if (ioc_fetch_extract_fd(r->file_fd, r->file, mp, err) != 0)
			return -1;
		break;
	case IOC_FETCH_URL:
		for (i = 0; i < r->files.n; i++) {
			_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dl_mp, r->files.v[i]);
			int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
			if (fd < 0)
				return ioc_err(err, "cannot open '%s': %s", path, strerror(errno));
			rc = ioc_fetch_extract_fd(fd, r->files.v[i], mp, err);
			close(fd);
			if (rc != 0)
				return -1;
		}
		break;
	case IOC_FETCH_DEBOOTSTRAP:
		if (ioc_fetch_debootstrap(r, mp, err) != 0)
			return -1;
		break;
	}
	if (r->shift && ioc_fetch_shift_tree(mp, r->idbase, r->idcount, err) != 0)
		return ioc_error_wrap(err,
		    "release '%s': cannot shift owners for userns_idmap=%s "
		    "(set userns=off on the root to store it unshifted)",
		    r->release, r->idmap_value);
	if (ioc_fetch_update(r, mp, err) != 0)
		return -1;
	return ioc_zfs_snapshot(r->snap, 0, err);
}

void
ioc_fetch_result_release(struct ioc_fetch_result *res)
{
	free(res->release);
	memset(res, 0, sizeof(*res));
}

int
ioc_release_fetch(const struct ioc_root *root, const struct ioc_fetch_spec *spec,
    struct ioc_fetch_result *res, struct ioc_error **err)
{
	struct ioc_fetch_req r;
	_cleanup_free_ char *snap = NULL, *dl_mp = NULL, *key = NULL;
	struct ioc_error *e2 = NULL;
	int lock = -1, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.file_fd = -1;
	ioc_strv_init(&r.files);
	if (ioc_fetch_plan(root, spec, &r, err) != 0)
		goto out;
	res->release = ioc_xstrdup(r.release);

	key = ioc_xasprintf("release:%s", r.release);
	lock = ioc_lock_jail(root, key, err);
	if (lock < 0)
		goto out;
	if (ioc_release_snapshot(root, r.release, &snap, &e2) == 0) {
		res->already = 1;
		rc = 0;
		goto out;
	}
	ioc_error_free(e2);
	e2 = NULL;
	if (ioc_zfs_exists(r.rel_ds)) {
		ioc_sayf(r.spec->say, r.spec->say_arg,
		    "removing the unfinished release %s of an earlier fetch", r.release);
		if (ioc_zfs_destroy(r.rel_ds, 1, err) != 0) {
			ioc_error_wrap(err, "cannot remove the unfinished release '%s'", r.release);
			goto out;
		}
	}
	if (r.how == IOC_FETCH_URL) {
		if (ioc_fetch_download_all(&r, err) != 0)
			goto out;
		if (ioc_fetch_mountpoint(r.dl_ds, &dl_mp, err) != 0)
			goto out;
	}
	if (ioc_fetch_build(&r, dl_mp, err) != 0) {
		if (ioc_zfs_exists(r.rel_ds) && ioc_zfs_destroy(r.rel_ds, 1, &e2) != 0) {
			if (err && *err) {
				char *m = ioc_xasprintf(
				    "%s (the unfinished release could not be removed: "
				    "%s; the next fetch removes it)",
				    (*err)->msg, e2->msg);
				free((*err)->msg);
				(*err)->msg = m;
			}
			ioc_error_free(e2);
		}
		goto out;
	}
	res->shifted = r.shift;
	rc = 0;
out:
	if (lock >= 0)
		close(lock);
	ioc_fetch_req_release(&r);
	return rc;
}
