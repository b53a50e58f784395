/*
 * cmd_image.c — `export` and `import` of whole jails (format: image.h,
 * docs/image-format.md); the import itself is an operation (ops/import.c).
 *
 * export: snapshot the jail's datasets (recursive, one name), stream each
 * `zfs send` through SHA-256 into tar members, drop the snapshot.  A file is
 * written under a temporary name (locked, so a later export can tell a dead
 * one's leftover from a running one's) and renamed when complete.
 *
 * import: the command finds the file (a path, or a name in R/images and
 * R/packages as the shell iocage did), validates the overrides, hands
 * differential packages to cmd_record.c and the rest to ioc_jail_import or
 * ioc_jail_import_legacy, draws the progress bar and prints the new jail.
 */
#include "cli/commands.h"
#include "image/record.h"
#include "fetch/fetch.h"
#include "image/image.h"
#include "util/sha256.h"
#include "spawn/spawn.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

/* ---- progress on a terminal ---- */

struct ioc_progress {
	int on;
	const char *what;
	unsigned long long bytes;
	struct timespec start, last;
};

static void
ioc_progress_init(struct ioc_progress *p, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(2);
	p->what = what;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static double
ioc_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
ioc_progress_add(struct ioc_progress *p, size_t n, int final)
{
	struct timespec now;
	double t;
	p->bytes += n;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && ioc_secs(&p->last, &now) < 0.5)
		return;
	p->last = now;
	t = ioc_secs(&p->start, &now);
	fprintf(stderr, "\r%s: %.1f MiB, %.1f MiB/s%s", p->what, (double)p->bytes / 1048576.0,
	    t > 0 ? (double)p->bytes / 1048576.0 / t : 0.0, final ? "\n" : "   ");
}

/* ---- export ---- */

struct ioc_awriter {
	int fd;
	struct ioc_sha256 whole; /* the whole file, for NAME.sha256 */
	struct ioc_progress prog;
	int failed_errno;
};

static la_ssize_t
ioc_aw_write(struct archive *a, void *data, const void *buf, size_t n)
{
	struct ioc_awriter *w = data;
	(void)a;
	if (ioc_write_full(w->fd, buf, n) != 0) {
		w->failed_errno = errno ? errno : EIO;
		archive_set_error(a, w->failed_errno, "write: %s", strerror(w->failed_errno));
		return -1;
	}
	ioc_sha256_update(&w->whole, buf, n);
	ioc_progress_add(&w->prog, n, 0);
	return (la_ssize_t)n;
}

static int
ioc_aw_member(struct archive *a, const char *name, const void *buf, size_t n,
    struct ioc_error **err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (n && archive_write_data(a, buf, n) != (la_ssize_t)n))
		rc = ioc_err(err, "cannot write the image: %s", archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

/* Streams `zfs send` of one dataset into chunk members; hex gets its SHA-256. */
static int
ioc_export_stream(struct archive *a, const char *name, const char *snap, const char *from,
    unsigned char *buf, char hex[65], struct ioc_error **err)
{
	struct ioc_async b;
	struct ioc_sha256 h;
	int p[2], rc = 0;
	unsigned n = 0;
	_cleanup_free_ char *what = ioc_xasprintf("zfs send %s", snap);

	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	ioc_big_pipe(p[0]);
	if (ioc_zfs_send_async(snap, from, p[1], &b, err) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	ioc_sha256_init(&h);
	for (;;) {
		ssize_t r = ioc_read_full(p[0], buf, IOC_IMAGE_CHUNK);
		_cleanup_free_ char *member = NULL;
		if (r < 0) {
			rc = ioc_err(err, "reading %s: %s", what, strerror(errno));
			break;
		}
		if (r == 0 && n > 0)
			break;
		member = ioc_xasprintf("streams/%s.zfs.%06u", name, n++);
		ioc_sha256_update(&h, buf, (size_t)r);
		if (ioc_aw_member(a, member, buf, (size_t)r, err) != 0) {
			rc = -1;
			break;
		}
		if (r == 0 || n > 999999) {
			if (n > 999999)
				rc = ioc_err(err, "stream of '%s' is too large for the image format", name);
			break;
		}
	}
	close(p[0]); /* a send still writing gets EPIPE and ends */
	if (ioc_run_async_wait(&b, what, rc == 0 ? err : NULL) != 0)
		rc = -1;
	ioc_sha256_final_hex(&h, hex);
	return rc;
}

/* Partial files of exports that died (their lock is free) are removed. */
static void
ioc_sweep_partials(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd;
		_cleanup_free_ char *p = NULL;
		if (strncmp(de->d_name, ".ioc-partial-", 13) != 0)
			continue;
		p = ioc_xasprintf("%s/%s", dir, de->d_name);
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(p);
		close(fd);
	}
	closedir(d);
}

/* Destroys leftover ioc-export-* snapshots of the jail (an export that died). */
static int
ioc_export_drop_snaps(const struct ioc_jail *j, struct ioc_error **err)
{
	char *names[] = { j->dataset, NULL };
	struct ioc_zrows rows;
	_cleanup_strv_ struct ioc_strv snaps = IOC_STRV_INIT;
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "type", 1, -1, NULL, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		if (at && strncmp(at + 1, "ioc-export-", 11) == 0 && !ioc_strv_contains(&snaps, at + 1))
			ioc_strv_push(&snaps, at + 1);
	}
	ioc_zrows_release(&rows);
	for (i = 0; i < snaps.n; i++) {
		_cleanup_free_ char *s = ioc_xasprintf("%s@%s", j->dataset, snaps.v[i]);
		if (ioc_zfs_destroy(s, 1, err) != 0)
			return -1;
	}
	return 0;
}

int
ioc_cmd_export(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j;
	struct ioc_manifest m;
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *final = NULL;
	_cleanup_free_ char *partial = NULL;
	_cleanup_free_ char *snapname = NULL;
	_cleanup_free_ char *origin = NULL;
	_cleanup_free_ char *mtext = NULL;
	_cleanup_free_ unsigned char *buf = NULL;
	struct ioc_sb sums = IOC_SB_INIT;
	struct archive *a = NULL;
	struct ioc_awriter w;
	int k = ioc_opts_parse(ctx, "export", "i", argc - 1, argv + 1, &o, err);
	int rc = -1, lockfd = -1, outfd = -1, to_stdout, snapped = 0;
	size_t i, dl;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1 || argc > 2)
		return ioc_usage(err, "export");
	to_stdout = argc == 2 && strcmp(argv[1], "-") == 0;
	if (to_stdout && isatty(1))
		return ioc_err(err, "export: refusing to write an image to a terminal: redirect it or name a FILE");
	if (argc == 2 && !to_stdout && (argv[1][0] == '\0' || ioc_has_ctrl(argv[1])))
		return ioc_fail(err, IOC_EXIT_USAGE, "export: invalid file name");
	ioc_manifest_init(&m);
	ioc_sb_init(&sums);
	if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0)
		goto out;
	/* the jail's datasets: root, data, data/... and nothing else */
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		goto out;
	dl = strlen(j->dataset);
	m.uuid = ioc_xstrdup(j->uuid);
	m.tag = ioc_xstrdup(ioc_jail_get(j, "tag"));
	m.release = ioc_xstrdup(ioc_jail_get(j, "release"));
	for (i = 0; i <= kids.n; i++) {
		/* root first, then data and its children in zfs's (parents first) order */
		size_t x = i == 0 ? kids.n : i - 1;
		const char *rel;
		if (i == 0) {
			for (x = 0; x < kids.n; x++)
				if (strncmp(kids.v[x], j->dataset, dl) == 0 && strcmp(kids.v[x] + dl, "/root") == 0)
					break;
			if (x == kids.n)
				break;
		} else if (strcmp(kids.v[x] + dl, "/root") == 0)
			continue;
		if (strcmp(kids.v[x], j->dataset) == 0)
			continue;
		rel = kids.v[x] + dl + 1;
		if (strcmp(rel, "root") != 0 && strcmp(rel, "data") != 0 && strncmp(rel, "data/", 5) != 0) {
			ioc_err(err, "cannot export '%s': dataset '%s' is not one an image can carry (only root, data and data's children)",
			    argv[0], kids.v[x]);
			goto out;
		}
		if (strcmp(rel, "root") == 0 && o.seen['i']) {
			/* incremental from the release snapshot the jail was cloned from */
			_cleanup_free_ char *relpfx = ioc_xasprintf("%s/releases/%s/root@", ctx->root.name,
			    m.release);
			_cleanup_free_ char *guid = NULL;
			unsigned long long g = 0;
			if (ioc_zfs_get1(kids.v[x], "origin", &origin, err) != 0)
				goto out;
			if (origin == NULL || strncmp(origin, relpfx, strlen(relpfx)) != 0) {
				ioc_err(err, "export -i: jail '%s' is not a thin clone of release '%s': export it whole (without -i)",
				    argv[0], m.release);
				goto out;
			}
			if (ioc_zfs_get1(origin, "guid", &guid, err) != 0 || guid == NULL)
				goto out;
			g = strtoull(guid, NULL, 10);
			ioc_manifest_add_ds(&m, rel, 1, g);
		} else
			ioc_manifest_add_ds(&m, rel, 0, 0);
	}
	if (m.nds == 0 || strcmp(m.ds[0].name, "root") != 0) {
		ioc_err(err, "cannot export '%s': it has no root dataset", argv[0]);
		goto out;
	}
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		if (j->srcs[i] != IOC_SRC_LOCAL || (p->flags & (IOC_PF_NATIVE | IOC_PF_RUNTIME)) ||
		    strcmp(p->name, "uuid") == 0 || strcmp(p->name, "tag") == 0 ||
		    strcmp(p->name, "release") == 0 || j->values[i] == NULL)
			continue;
		ioc_manifest_add_prop(&m, p->name, j->values[i]);
	}
	mtext = ioc_manifest_format(&m);
	{
		/* what we write must be what import accepts */
		struct ioc_manifest chk;
		if (ioc_manifest_parse(mtext, strlen(mtext), &chk, err) != 0) {
			ioc_error_wrap(err, "cannot export '%s'", argv[0]);
			goto out;
		}
		ioc_manifest_release(&chk);
	}
	/* where to */
	if (to_stdout) {
		outfd = 1;
	} else {
		_cleanup_free_ char *stamp = ioc_now_fmt("%Y%m%d-%H%M%S");
		_cleanup_free_ char *pdir = NULL;
		if (argc == 2) {
			const char *sl = strrchr(argv[1], '/');
			final = ioc_xstrdup(argv[1]);
			pdir = sl == NULL ? ioc_xstrdup(".") : sl == argv[1] ? ioc_xstrdup("/") :
			    ioc_xstrndup(argv[1], (size_t)(sl - argv[1]));
		} else {
			if (ioc_root_store_dir(&ctx->root, "images", &dir, err) != 0)
				goto out;
			final = ioc_xasprintf("%s/%s-%s.ioc", dir, m.tag, stamp);
			pdir = ioc_xstrdup(dir);
		}
		ioc_sweep_partials(pdir);
		partial = ioc_xasprintf("%s/.ioc-partial-XXXXXX", pdir);
		outfd = mkostemp(partial, O_CLOEXEC);
		if (outfd < 0) {
			ioc_err(err, "cannot create a file in '%s': %s", pdir, strerror(errno));
			free(partial);
			partial = NULL;
			goto out;
		}
		flock(outfd, LOCK_EX);
	}
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0)
		goto out;
	if (ioc_export_drop_snaps(j, err) != 0)
		goto out;
	{
		_cleanup_free_ char *stamp = ioc_now_fmt("%Y%m%d%H%M%S");
		_cleanup_free_ char *full = NULL;
		snapname = ioc_xasprintf("ioc-export-%s", stamp);
		full = ioc_xasprintf("%s@%s", j->dataset, snapname);
		if (ioc_zfs_snapshot(full, 1, err) != 0)
			goto out;
		snapped = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&w, 0, sizeof(w));
	w.fd = outfd;
	ioc_sha256_init(&w.whole);
	ioc_progress_init(&w.prog, "export");
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open(a, &w, NULL, ioc_aw_write, NULL) != ARCHIVE_OK) {
		ioc_err(err, "cannot write the image: %s", archive_error_string(a));
		goto out;
	}
	if (ioc_aw_member(a, "MANIFEST", mtext, strlen(mtext), err) != 0)
		goto out;
	{
		struct ioc_sha256 h;
		char hex[65];
		ioc_sha256_init(&h);
		ioc_sha256_update(&h, mtext, strlen(mtext));
		ioc_sha256_final_hex(&h, hex);
		ioc_sb_addf(&sums, "%s  MANIFEST\n", hex);
	}
	buf = ioc_xmalloc(IOC_IMAGE_CHUNK);
	for (i = 0; i < m.nds; i++) {
		_cleanup_free_ char *snap = ioc_xasprintf("%s/%s@%s", j->dataset, m.ds[i].name, snapname);
		char hex[65];
		if (ioc_export_stream(a, m.ds[i].name, snap, m.ds[i].incremental ? origin : NULL, buf, hex,
		    err) != 0)
			goto out;
		ioc_sb_addf(&sums, "%s  streams/%s.zfs\n", hex, m.ds[i].name);
	}
	if (ioc_aw_member(a, "SHA256SUMS", sums.buf, sums.len, err) != 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		ioc_err(err, "cannot write the image: %s", archive_error_string(a));
		goto out;
	}
	ioc_progress_add(&w.prog, 0, 1);
	if (!to_stdout) {
		char hex[65];
		_cleanup_free_ char *sumpath = ioc_xasprintf("%s.sha256", final);
		_cleanup_free_ char *line = NULL;
		ioc_sha256_final_hex(&w.whole, hex);
		line = ioc_xasprintf("%s\n", hex);
		if (fsync(outfd) != 0) {
			ioc_err(err, "cannot write '%s': %s", final, strerror(errno));
			goto out;
		}
		if (argc == 2) {
			if (rename(partial, final) != 0) {
				ioc_err(err, "cannot write '%s': %s", final, strerror(errno));
				goto out;
			}
		} else {
			/* R/images: never replace an image; a second one in the same second gets -2, -3 ... */
			unsigned n = 1;
			_cleanup_free_ char *stem = ioc_xstrndup(final, strlen(final) - 4);
			while (link(partial, final) != 0) {
				if (errno != EEXIST || ++n > 1000) {
					ioc_err(err, "cannot write '%s': %s", final, strerror(errno));
					goto out;
				}
				free(final);
				final = ioc_xasprintf("%s-%u.ioc", stem, n);
			}
			unlink(partial);
		}
		free(partial);
		partial = NULL;
		if (ioc_write_file_atomic(sumpath, line, strlen(line), 0600, err) != 0)
			goto out;
		printf("%s exported to %s\n", m.tag, final);
	}
	rc = 0;
out:
	if (a != NULL)
		archive_write_free(a);
	if (snapped) {
		struct ioc_error *e2 = NULL;
		_cleanup_free_ char *full = ioc_xasprintf("%s@%s", j->dataset, snapname);
		if (ioc_zfs_destroy(full, 1, &e2) != 0 && rc == 0) {
			*err = e2;
			e2 = NULL;
			rc = -1;
		}
		ioc_error_free(e2);
	}
	if (partial != NULL)
		unlink(partial);
	if (outfd > 1)
		close(outfd);
	if (lockfd >= 0)
		close(lockfd);
	ioc_sb_release(&sums);
	ioc_manifest_release(&m);
	ioc_jails_release(&js);
	return rc;
}

/* Validated command-line overrides. */
struct ioc_assign_list {
	const struct ioc_prop **p;
	char **v;
	size_t n;
};

static void
ioc_assign_list_release(struct ioc_assign_list *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->p);
	free(l->v);
}

/* Files in dir whose names start with name and end with one of the suffixes (regular files). */
static void
ioc_import_matches(const char *dir, const char *name, const char *const *suffixes,
    struct ioc_strv *out)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	size_t nl = strlen(name), i;
	while (d && (e = readdir(d)) != NULL) {
		size_t el = strlen(e->d_name);
		struct stat st;
		if (strncmp(e->d_name, name, nl) != 0)
			continue;
		for (i = 0; suffixes[i]; i++) {
			size_t sl = strlen(suffixes[i]);
			if (el > nl && el >= sl && strcmp(e->d_name + el - sl, suffixes[i]) == 0 &&
			    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode)) {
				ioc_strv_pushf(out, "%s/%s", dir, e->d_name);
				break;
			}
		}
	}
	if (d)
		closedir(d);
}

/*
 * import UUID|PREFIX|TAG: as the shell iocage (1.7.6 lib/ioc-image __import:
 * find $iocroot/packages/ and $iocroot/images/ -name NAME*.tar.xz), the one
 * image or package of R/images or R/packages whose file name starts with
 * name: the shell iocage's UUID_DATE.tar.xz and this project's TAG-DATE.ioc
 * and TAG-DATE.iocpkg.  Only for a name with no '/' that is no file here.
 * *path NULL: not such a name (take it as a path).
 */
static int
ioc_import_find(struct ioc_ctx *ctx, const char *name, char **path, struct ioc_error **err)
{
	static const char *const isuf[] = { ".tar.xz", ".ioc", NULL };
	static const char *const psuf[] = { ".tar.xz", ".iocpkg", NULL };
	_cleanup_strv_ struct ioc_strv imgs = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv pkgs = IOC_STRV_INIT;
	_cleanup_free_ char *ids = ioc_xasprintf("%s/images", ctx->root.name);
	_cleanup_free_ char *pds = ioc_xasprintf("%s/packages", ctx->root.name);
	_cleanup_free_ char *idir = NULL, *pdir = NULL;
	struct stat st;

	*path = NULL;
	if (strcmp(name, "-") == 0 || strchr(name, '/') != NULL || *name == '\0' || *name == '.' ||
	    ioc_has_ctrl(name) || lstat(name, &st) == 0 || errno != ENOENT)
		return 0;
	if (ioc_zfs_get1(ids, "mountpoint", &idir, err) != 0 ||
	    ioc_zfs_get1(pds, "mountpoint", &pdir, err) != 0)
		return -1;
	ioc_import_matches(idir && idir[0] == '/' ? idir : NULL, name, isuf, &imgs);
	ioc_import_matches(pdir && pdir[0] == '/' ? pdir : NULL, name, psuf, &pkgs);
	if (imgs.n > 1 || pkgs.n > 1) {
		const struct ioc_strv *many = imgs.n > 1 ? &imgs : &pkgs;
		struct ioc_sb list = IOC_SB_INIT;
		size_t i;
		int rc;
		ioc_sb_init(&list);
		for (i = 0; i < many->n; i++)
			ioc_sb_addf(&list, "%s%s", i ? ", " : "", many->v[i]);
		rc = ioc_err(err, "'%s' matches several %s (%s): give more of the name", name,
		    imgs.n > 1 ? "images" : "packages", list.buf);
		ioc_sb_release(&list);
		return rc;
	}
	if (imgs.n && pkgs.n)
		return ioc_err(err, "'%s' matches both an image (%s) and a package (%s): give more of "
		    "the name or the path", name, imgs.v[0], pkgs.v[0]);
	if (imgs.n + pkgs.n == 0)
		return ioc_err(err, "no file, image or package named '%s' (looked for %s* in %s and %s)",
		    name, name, idir ? idir : ids, pdir ? pdir : pds);
	*path = ioc_xstrdup(imgs.n ? imgs.v[0] : pkgs.v[0]);
	return 0;
}

/* The progress bar of import (a terminal only). */
static void
ioc_import_progress(void *arg, size_t bytes, int final)
{
	ioc_progress_add(arg, bytes, final);
}

int
ioc_cmd_import(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign_list ov = { NULL, NULL, 0 };
	struct ioc_import_req req;
	struct ioc_progress prog;
	_cleanup_free_ char *found = NULL;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *tag = NULL;
	const char *file;
	int k = ioc_opts_parse(ctx, "import", "", argc - 1, argv + 1, &o, err);
	int rc = -1, i;
	size_t fl;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, "import");
	if (ioc_import_find(ctx, argv[0], &found, err) != 0)
		return -1;
	file = found ? found : argv[0];
	if (ioc_record_is_package(file)) /* a differential package (cmd_record.c) */
		return ioc_package_import(ctx, file, argc - 1, argv + 1, err);
	ov.p = ioc_xcalloc((size_t)argc, sizeof(*ov.p));
	ov.v = ioc_xcalloc((size_t)argc, sizeof(*ov.v));
	for (i = 1; i < argc; i++) {
		if (ioc_prop_parse_assign(argv[i], 1, &ov.p[ov.n], &ov.v[ov.n], err) != 0)
			goto out;
		ov.n++;
		if (ioc_ops_check_prop(ov.p[ov.n - 1], ov.v[ov.n - 1], err) != 0)
			goto out;
		if (strcmp(ov.p[ov.n - 1]->name, "template") == 0 && strcmp(ov.v[ov.n - 1], "yes") == 0) {
			ioc_err(err, "import: template=yes is set afterwards ('iocage set template=yes TAG')");
			goto out;
		}
	}
	memset(&req, 0, sizeof(req));
	req.file = file;
	req.p = ov.p;
	req.v = ov.v;
	req.n = ov.n;
	ioc_progress_init(&prog, "import");
	req.progress = ioc_import_progress;
	req.progress_arg = &prog;
	fl = strlen(file);
	if (fl > 7 && strcmp(file + fl - 7, ".tar.xz") == 0)
		rc = ioc_jail_import_legacy(&ctx->root, &req, &uuid, &tag, err);
	else
		rc = ioc_jail_import(&ctx->root, &req, &uuid, &tag, err);
	/* a complete jail is named, also when a last step (a tags/ link) failed */
	if (uuid != NULL)
		printf("%s %s\n", uuid, tag);
out:
	ioc_assign_list_release(&ov);
	return rc;
}
