/*
 * cmd_image.c — `export` and `import` of whole jails (format: image.h,
 * docs/image-format.md), and import of the shell iocage's UUID_DATE.tar.xz
 * images.
 *
 * export: snapshot the jail's datasets (recursive, one name), stream each
 * `zfs send` through SHA-256 into tar members, drop the snapshot.  A file is
 * written under a temporary name (locked, so a later export can tell a dead
 * one's leftover from a running one's) and renamed when complete.
 *
 * import: everything is verified first — the manifest, the property policy,
 * every member's name and order, every stream's BEGIN record, every SHA-256 —
 * and only then is anything created.  Standard input is spooled to an
 * unlinked file under R/images (nothing to clean up after a kill).  The jail
 * is built without its tag (debris, never listed, swept by the next
 * create/import/clean) and tagged last, after its received datasets were
 * checked (origin, no local properties); any failure destroys it.
 *
 * zfs-fuse's `zfs receive` knows only -v -n -F -d, so the import cannot use
 * -u, -o or -x: it accepts only plain (non-compound) streams, which carry no
 * properties, and names every target itself (never -d, never -F).
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

/* Reads until n bytes or EOF; returns bytes read or -1. */
static ssize_t
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

static int
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
/*
 * A pipe to or from zfs as large as the system allows (Linux: 1 MiB by
 * default instead of 64 KiB), so that zfs send/receive keeps streaming while
 * this side hashes and writes a chunk.  Best effort.
 */
static void
ioc_big_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
	(void)fd;
#endif
}

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

/* ---- import ---- */

/* What the one pass over an image found, and where its streams go. */
struct ioc_walk {
	struct ioc_manifest m;
	char *mtext;
	size_t mlen;
	char mhex[65];
	char (*shex)[65];	/* per dataset */
	unsigned long long total;
	/* called once the manifest is parsed, before any stream is read */
	int (*manifest)(void *cb, struct ioc_error **err);
	int (*feed)(void *cb, size_t ds, const void *buf, size_t n, struct ioc_error **err);
	int (*start)(void *cb, size_t ds, struct ioc_error **err);
	int (*end)(void *cb, size_t ds, struct ioc_error **err);
	void *cb;
	struct ioc_progress prog;
};

static void
ioc_walk_release(struct ioc_walk *w)
{
	ioc_manifest_release(&w->m);
	free(w->mtext);
	free(w->shex);
	w->mtext = NULL;
	w->shex = NULL;
}

/* Parses SHA256SUMS and compares it with what the pass computed. */
static int
ioc_walk_check_sums(struct ioc_walk *w, const char *text, size_t len, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *t = ioc_xstrndup(text, len);
	size_t i, k, want = 1 + w->m.nds;
	if (strlen(t) != len || len == 0 || t[len - 1] != '\n')
		return ioc_err(err, "image is corrupt: SHA256SUMS is malformed");
	t[len - 1] = '\0';
	ioc_strv_split(&lines, t, '\n');
	if (lines.n != want)
		return ioc_err(err, "image is corrupt: SHA256SUMS lists %zu members, expected %zu", lines.n, want);
	for (i = 0; i < lines.n; i++) {
		const char *l = lines.v[i];
		_cleanup_free_ char *name = NULL;
		const char *hex;
		if (strlen(l) < 67 || l[64] != ' ' || l[65] != ' ')
			return ioc_err(err, "image is corrupt: SHA256SUMS line %zu is malformed", i + 1);
		name = ioc_xstrdup(l + 66);
		if (i == 0) {
			hex = w->mhex;
			if (strcmp(name, "MANIFEST") != 0)
				return ioc_err(err, "image is corrupt: SHA256SUMS must list MANIFEST first");
		} else {
			_cleanup_free_ char *exp = ioc_xasprintf("streams/%s.zfs", w->m.ds[i - 1].name);
			if (strcmp(name, exp) != 0)
				return ioc_err(err, "image is corrupt: SHA256SUMS line %zu names the wrong member", i + 1);
			hex = w->shex[i - 1];
		}
		for (k = 0; k < 64; k++)
			if (!((l[k] >= '0' && l[k] <= '9') || (l[k] >= 'a' && l[k] <= 'f')))
				return ioc_err(err, "image is corrupt: SHA256SUMS line %zu is malformed", i + 1);
		if (strncmp(l, hex, 64) != 0)
			return ioc_err(err, "image is corrupt: checksum mismatch for %s", name);
	}
	return 0;
}

/*
 * One pass over an image read from fd (a file or a pipe, read once, in
 * order).  Verifies member names, order and types, the manifest, every
 * stream's BEGIN record before a byte of that stream is fed on, and every
 * checksum while the streams go to w->feed (hashed as they pass): a
 * mismatch is known at SHA256SUMS, the end, and the caller then undoes what
 * the receives made.
 */
static int
ioc_walk_image(int fd, struct ioc_walk *w, struct ioc_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	_cleanup_free_ unsigned char *buf = ioc_xmalloc(1 << 16);
	struct ioc_sha256 h;
	size_t cur = (size_t)-1, chunk = 0;
	int rc = -1, r, have_sums = 0, in_stream = 0;
	unsigned long long sofar = 0;

	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		ioc_err(err, "not an iocage image, or a corrupt one: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		const char *name;
		la_int64_t size;
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			ioc_err(err, "image is corrupt or truncated: %s", archive_error_string(a));
			goto out;
		}
		name = archive_entry_pathname(e);
		size = archive_entry_size(e);
		if (name == NULL || archive_entry_filetype(e) != AE_IFREG || !archive_entry_size_is_set(e) ||
		    size < 0 || (unsigned long long)size > IOC_IMAGE_CHUNK_MAX) {
			ioc_err(err, "image is corrupt: unexpected member '%s'",
			    name && !ioc_has_ctrl(name) && strlen(name) < 200 ? name : "(unprintable)");
			goto out;
		}
		if (have_sums) {
			ioc_err(err, "image is corrupt: members after SHA256SUMS");
			goto out;
		}
		if (w->mtext == NULL) {
			/* the manifest comes first */
			la_ssize_t n;
			if (strcmp(name, "MANIFEST") != 0 || (size_t)size > IOC_IMAGE_MANIFEST_MAX) {
				ioc_err(err, "not an iocage image: it does not start with a MANIFEST");
				goto out;
			}
			w->mtext = ioc_xmalloc((size_t)size + 1);
			n = size ? archive_read_data(a, w->mtext, (size_t)size) : 0;
			if (n != size) {
				ioc_err(err, "image is corrupt or truncated: %s", n < 0 ? archive_error_string(a) : "short manifest");
				goto out;
			}
			w->mtext[size] = '\0';
			w->mlen = (size_t)size;
			ioc_sha256_init(&h);
			ioc_sha256_update(&h, w->mtext, w->mlen);
			ioc_sha256_final_hex(&h, w->mhex);
			if (ioc_manifest_parse(w->mtext, w->mlen, &w->m, err) != 0)
				goto out;
			w->shex = ioc_xcalloc(w->m.nds, sizeof(*w->shex));
			if (w->manifest && w->manifest(w->cb, err) != 0)
				goto out;
			continue;
		}
		if (strcmp(name, "SHA256SUMS") == 0) {
			_cleanup_free_ char *t = NULL;
			la_ssize_t n;
			if (in_stream) {
				ioc_sha256_final_hex(&h, w->shex[cur]);
				if (w->end && w->end(w->cb, cur, err) != 0)
					goto out;
				in_stream = 0;
			}
			if (cur + 1 != w->m.nds) {
				ioc_err(err, "image is corrupt or truncated: streams are missing");
				goto out;
			}
			if (size > 65536) {
				ioc_err(err, "image is corrupt: SHA256SUMS is too large");
				goto out;
			}
			t = ioc_xmalloc((size_t)size + 1);
			n = size ? archive_read_data(a, t, (size_t)size) : 0;
			if (n != size) {
				ioc_err(err, "image is corrupt or truncated: short SHA256SUMS");
				goto out;
			}
			if (ioc_walk_check_sums(w, t, (size_t)size, err) != 0)
				goto out;
			have_sums = 1;
			continue;
		}
		{
			/* streams/NAME.zfs.NNNNNN: the current dataset's next chunk, or the next's first */
			_cleanup_free_ char *same = NULL;
			_cleanup_free_ char *next = NULL;
			la_ssize_t n;
			int first = 0;
			if (in_stream)
				same = ioc_xasprintf("streams/%s.zfs.%06zu", w->m.ds[cur].name, chunk);
			if (cur + 1 < w->m.nds)
				next = ioc_xasprintf("streams/%s.zfs.000000", w->m.ds[cur + 1].name);
			if (same && strcmp(name, same) == 0) {
				chunk++;
			} else if (next && strcmp(name, next) == 0) {
				if (in_stream) {
					ioc_sha256_final_hex(&h, w->shex[cur]);
					if (w->end && w->end(w->cb, cur, err) != 0)
						goto out;
				}
				cur++;
				chunk = 1;
				in_stream = 1;
				first = 1;
				ioc_sha256_init(&h);
				if (w->start && w->start(w->cb, cur, err) != 0)
					goto out;
			} else {
				ioc_err(err, "image is corrupt: unexpected member '%s'",
				    !ioc_has_ctrl(name) && strlen(name) < 200 ? name : "(unprintable)");
				goto out;
			}
			if (first && size < IOC_DRR_BEGIN_LEN) {
				ioc_err(err, "image is corrupt: the stream of '%s' is too short", w->m.ds[cur].name);
				goto out;
			}
			while ((n = archive_read_data(a, buf, 1 << 16)) > 0) {
				if (first) {
					/* the first read of a chunk of >= 312 bytes returns them all
					 * unless the archive is broken: insist */
					if ((size_t)n < IOC_DRR_BEGIN_LEN) {
						ioc_err(err, "image is corrupt: short read of the stream of '%s'", w->m.ds[cur].name);
						goto out;
					}
					if (ioc_image_check_begin(buf, (size_t)n, &w->m.ds[cur], err) != 0)
						goto out;
					first = 0;
				}
				ioc_sha256_update(&h, buf, (size_t)n);
				sofar += (unsigned long long)n;
				if (w->feed && w->feed(w->cb, cur, buf, (size_t)n, err) != 0)
					goto out;
				ioc_progress_add(&w->prog, (size_t)n, 0);
			}
			if (n < 0) {
				ioc_err(err, "image is corrupt or truncated: %s", archive_error_string(a));
				goto out;
			}
		}
	}
	if (w->mtext == NULL) {
		ioc_err(err, "not an iocage image: it is empty");
		goto out;
	}
	if (!have_sums) {
		ioc_err(err, "image is truncated: SHA256SUMS is missing");
		goto out;
	}
	w->total = sofar;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

struct ioc_import {
	struct ioc_walk w;
	char *jailds;
	int pipefd;
	int running;
	struct ioc_async b;
	size_t cur;
};

static int
ioc_imp_start(void *cb, size_t ds, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	_cleanup_free_ char *target = ioc_xasprintf("%s/%s", im->jailds, im->w.m.ds[ds].name);
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	ioc_big_pipe(p[1]);
	if (ioc_zfs_receive_async(target, p[0], &im->b, err) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	im->pipefd = p[1];
	im->running = 1;
	im->cur = ds;
	return 0;
}

static int
ioc_imp_end(void *cb, size_t ds, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	_cleanup_free_ char *what = ioc_xasprintf("zfs receive of '%s'", im->w.m.ds[ds].name);
	if (!im->running)
		return 0;
	close(im->pipefd);
	im->pipefd = -1;
	im->running = 0;
	/* the stream's checksum is compared when SHA256SUMS is read; a receive
	 * that took a bad stream is undone with the whole jail */
	return ioc_run_async_wait(&im->b, what, err);
}

static int
ioc_imp_feed(void *cb, size_t ds, const void *buf, size_t n, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	(void)ds;
	if (ioc_write_full(im->pipefd, buf, n) != 0)
		return ioc_err(err, "zfs receive of '%s' stopped reading its stream (%s)",
		    im->w.m.ds[im->cur].name, strerror(errno));
	return 0;
}

/*
 * Checks what the receives made: no origin but the expected, no local
 * properties.  rows keeps what the one `zfs get -r all` read (the scan, the
 * values below and the snapshot cleanup use it: no second read).
 */
static int
ioc_import_postcheck(struct ioc_import *im, const char *relsnap, struct ioc_zrows *rows,
    struct ioc_error **err)
{
	char *names[] = { im->jailds, NULL };
	size_t i, jl = strlen(im->jailds);
	int rc = 0, origin_seen = 0;
	if (ioc_zfs_get(names, "all", 1, -1, NULL, 1, rows, err) != 0)
		return -1;
	for (i = 0; i < rows->n && rc == 0; i++) {
		const struct ioc_zrow *r = &rows->v[i];
		const char *rel = r->name + jl;
		if (strcmp(r->name, im->jailds) == 0 || strchr(r->name, '@'))
			continue;
		if (strcmp(r->prop, "origin") == 0) {
			int root = strcmp(rel, "/root") == 0;
			int inc = root && im->w.m.ds[0].incremental;
			if (inc ? relsnap == NULL || strcmp(r->value, relsnap) != 0 : strcmp(r->value, "-") != 0)
				rc = ioc_err(err, "received dataset '%s' has the unexpected origin '%s'", r->name,
				    r->value);
			origin_seen |= inc;
		} else if (strcmp(r->source, "local") == 0 || strcmp(r->source, "received") == 0) {
			rc = ioc_err(err, "received dataset '%s' carries the property %s: refused", r->name,
			    r->prop);
		}
	}
	return rc;
}

/* The value of prop on dataset ds in rows, or NULL. */
static const struct ioc_zrow *
ioc_import_row(const struct ioc_zrows *rows, const char *ds, const char *prop)
{
	size_t i;
	for (i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].name, ds) == 0 && strcmp(rows->v[i].prop, prop) == 0)
			return &rows->v[i];
	return NULL;
}

/*
 * A value the imported jail gets: from its planned properties, else R's own
 * (seen on the jail's dataset as inherited from R: a value from above R does
 * not count), else built in.
 */
static char *
ioc_import_value(struct ioc_ctx *ctx, const struct ioc_strv *zprops, const struct ioc_zrows *rows,
    const char *jailds, const char *name)
{
	_cleanup_free_ char *prop = ioc_xasprintf(IOC_PROP_PREFIX "%s", name);
	_cleanup_free_ char *key = ioc_xasprintf("%s=", prop);
	_cleanup_free_ char *from_root = ioc_xasprintf("inherited from %s", ctx->root.name);
	const struct ioc_zrow *r = ioc_import_row(rows, jailds, prop);
	size_t i;
	for (i = 0; i < zprops->n; i++)
		if (strncmp(zprops->v[i], key, strlen(key)) == 0)
			return ioc_xstrdup(zprops->v[i] + strlen(key));
	if (r && strcmp(r->source, from_root) == 0)
		return ioc_xstrdup(r->value);
	return ioc_xstrdup(ioc_prop_find(name)->builtin);
}

/*
 * The received datasets are still a quarantine (untagged: list never shows
 * them).  Their trees may hold what no jail of ours would: device nodes, and
 * setuid files of ids outside the jail's range (a uid-0 setuid shell for an
 * unprivileged jail gives every host user root).  Refused, and the caller
 * destroys the quarantine.
 */
static int
ioc_import_scan(struct ioc_ctx *ctx, struct ioc_import *im, const struct ioc_strv *zprops,
    const struct ioc_zrows *rows, struct ioc_error **err)
{
	static const char *const parts[] = { "root", "data", NULL };
	unsigned long base = 0, count = 0;
	size_t i;
#ifdef __linux__
	_cleanup_free_ char *userns = ioc_import_value(ctx, zprops, rows, im->jailds, "userns");
	_cleanup_free_ char *map = ioc_import_value(ctx, zprops, rows, im->jailds, "userns_idmap");
	if (ioc_parse_bool(userns) == 1) {
		const char *c = strchr(map, ':');
		long long h, n;
		_cleanup_free_ char *a = c ? ioc_xstrndup(map, (size_t)(c - map)) : NULL;
		if (c == NULL || ioc_parse_ll(a, 0, 4294967295LL, &h) != 0 ||
		    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0)
			return ioc_err(err, "invalid userns_idmap '%s'", map);
		base = (unsigned long)h;
		count = (unsigned long)n;
	}
#else
	(void)ctx;
	(void)zprops;
#endif
	for (i = 0; parts[i]; i++) {
		_cleanup_free_ char *ds = ioc_xasprintf("%s/%s", im->jailds, parts[i]);
		const struct ioc_zrow *r = ioc_import_row(rows, ds, "mountpoint");
		const char *mp = r ? r->value : NULL;
		if (mp == NULL || mp[0] != '/')
			continue; /* no such dataset, or not mounted */
		if (ioc_tree_refuse_hostile(mp, base, count, err) != 0)
			return ioc_error_wrap(err, "the image's %s is refused", parts[i]);
	}
	return 0;
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

static int ioc_import_legacy(struct ioc_ctx *ctx, const char *file, struct ioc_assign_list *ov,
    struct ioc_error **err);

static const char *
ioc_override(const struct ioc_assign_list *l, const char *name)
{
	size_t i;
	for (i = l->n; i > 0; i--)
		if (strcmp(l->p[i - 1]->name, name) == 0)
			return l->v[i - 1];
	return NULL;
}

static int
ioc_tag_used(const struct ioc_jails *js, const char *tag)
{
	size_t i;
	for (i = 0; i < js->n; i++)
		if (js->v[i].complete && strcmp(ioc_jail_get(&js->v[i], "tag"), tag) == 0)
			return 1;
	return 0;
}

/* The jail's UUID: the image's unless this root has it already. */
static char *
ioc_import_uuid(struct ioc_ctx *ctx, const struct ioc_jails *js, const char *want)
{
	size_t i;
	_cleanup_free_ char *ds = NULL;
	if (want == NULL)
		return ioc_uuid_new();
	for (i = 0; i < js->n; i++)
		if (strcmp(js->v[i].uuid, want) == 0)
			return ioc_uuid_new();
	ds = ioc_xasprintf("%s/jails/%s", ctx->root.name, want);
	if (ioc_zfs_exists(ds))
		return ioc_uuid_new();
	return ioc_xstrdup(want);
}

/* Finds R/releases/REL/root@* whose guid is g. */
static int
ioc_release_by_guid(struct ioc_ctx *ctx, const char *rel, unsigned long long g, char **snap,
    struct ioc_error **err)
{
	_cleanup_free_ char *rr = ioc_xasprintf("%s/releases/%s/root", ctx->root.name, rel);
	char *names[] = { rr, NULL };
	struct ioc_zrows rows;
	size_t i;
	*snap = NULL;
	if (!ioc_zfs_exists(rr))
		return 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "guid", 0, 1, NULL, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++)
		if (strchr(rows.v[i].name, '@') && strtoull(rows.v[i].value, NULL, 10) == g) {
			*snap = ioc_xstrdup(rows.v[i].name);
			break;
		}
	ioc_zrows_release(&rows);
	return 0;
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

/*
 * The manifest hook of import: every check the manifest allows (tag, release
 * snapshot of an incremental image, properties), then the quarantine: the
 * jail's dataset made untagged (list never shows it; debris to the next
 * command if this one dies), into which the streams are received.
 */
struct ioc_import_req {
	struct ioc_import im;
	struct ioc_ctx *ctx;
	const struct ioc_assign_list *ov;
	struct ioc_jails *js;
	struct ioc_strv zprops;
	char *relsnap, *uuid, *tag;
	int created;
};

static int
ioc_imp_manifest(void *cb, struct ioc_error **err)
{
	struct ioc_import_req *q = cb;
	struct ioc_manifest *m = &q->im.w.m;
	_cleanup_strv_ struct ioc_strv cp = IOC_STRV_INIT;
	_cleanup_free_ char *now = NULL;
	const char *tag = ioc_override(q->ov, "tag");
	size_t d;

	q->tag = ioc_xstrdup(tag ? tag : m->tag);
	if (ioc_tag_used(q->js, q->tag))
		return ioc_err(err, "tag '%s' is already used by another jail: import with tag=NEWTAG",
		    q->tag);
	if (m->ds[0].incremental) {
		if (ioc_release_by_guid(q->ctx, m->release, m->ds[0].from_guid, &q->relsnap, err) != 0)
			return -1;
		if (q->relsnap == NULL)
			return ioc_err(err, "the image is incremental from release '%s' (snapshot guid "
			    "%llu), which this root does not have (a release fetched separately differs): "
			    "export the jail without -i", m->release, m->ds[0].from_guid);
	}
	if (ioc_image_plan_props(m, q->ov->p, q->ov->v, q->ov->n, &q->zprops, err) != 0)
		return -1;
	q->uuid = ioc_import_uuid(q->ctx, q->js, m->uuid);
	/* act */
	if (ioc_clean_debris(&q->ctx->root, q->js, NULL, err) != 0)
		return -1;
	q->im.jailds = ioc_xasprintf("%s/jails/%s", q->ctx->root.name, q->uuid);
	now = ioc_now_fmt("%Y-%m-%d %H:%M:%S");
	ioc_strv_push(&cp, "canmount=off");
	ioc_strv_push(&cp, "devices=off");
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "type=%s", m->ds[0].incremental ? "clonejail" : "jail");
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "release=%s", m->release);
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "created=%s", now);
	for (d = 0; d < q->zprops.n; d++)
		ioc_strv_push(&cp, q->zprops.v[d]);
	if (ioc_zfs_create(q->im.jailds, &cp, 0, err) != 0)
		return -1;
	q->created = 1;
	return 0;
}

/* Opens the image to import: a regular file, or standard input read as it comes. */
static int
ioc_import_open(const char *file, struct ioc_error **err)
{
	struct stat st;
	int fd;
	if (strcmp(file, "-") == 0) {
		if (isatty(0))
			return ioc_err(err, "import: standard input is a terminal: pipe an image into it");
		return fcntl(0, F_DUPFD_CLOEXEC, 3);
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "cannot open '%s': %s", ioc_has_ctrl(file) ? "(unprintable)" : file,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ioc_err(err, "'%s' is not a regular file", file);
	}
	return fd;
}

int
ioc_cmd_import(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign_list ov = { NULL, NULL, 0 };
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_import_req q;
	struct ioc_import *im = &q.im;
	struct ioc_zrows rows;
	_cleanup_free_ char *found = NULL;
	const char *file;
	int k = ioc_opts_parse(ctx, "import", "", argc - 1, argv + 1, &o, err);
	int rc = -1, fd = -1, i;
	size_t d;

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
	memset(&q, 0, sizeof(q));
	ioc_strv_init(&q.zprops);
	ioc_zrows_init(&rows);
	im->pipefd = -1;
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
	{
		size_t fl = strlen(file);
		if (fl > 7 && strcmp(file + fl - 7, ".tar.xz") == 0) {
			rc = ioc_import_legacy(ctx, file, &ov, err);
			goto out;
		}
	}
	if (ioc_override(&ov, "release") != NULL) {
		ioc_fail(err, IOC_EXIT_USAGE, "import: the release comes from the image and cannot be given");
		goto out;
	}
	if (ioc_jails_load(&ctx->root, (const char *const[]){ "tag", NULL }, &js, err) != 0)
		goto out;
	fd = ioc_import_open(file, err);
	if (fd < 0)
		goto out;
	/* one pass: the manifest is checked and the quarantine made before the
	   first stream; the streams are hashed as they go to zfs receive */
	q.ctx = ctx;
	q.ov = &ov;
	q.js = &js;
	signal(SIGPIPE, SIG_IGN);
	im->w.manifest = ioc_imp_manifest;
	im->w.feed = ioc_imp_feed;
	im->w.start = ioc_imp_start;
	im->w.end = ioc_imp_end;
	im->w.cb = &q; /* q.im is its first member: the stream callbacks take it as their ioc_import */
	ioc_progress_init(&im->w.prog, "import");
	if (ioc_walk_image(fd, &im->w, err) != 0) {
		if (im->running)
			ioc_imp_end(im, im->cur, NULL);
		goto out;
	}
	ioc_progress_add(&im->w.prog, 0, 1);
	if (ioc_import_postcheck(im, q.relsnap, &rows, err) != 0 ||
	    ioc_import_scan(ctx, im, &q.zprops, &rows, err) != 0)
		goto out;
	/* the streams' snapshots are not the user's (their type rows, one each) */
	for (d = 0; d < rows.n; d++)
		if (strchr(rows.v[d].name, '@') && strcmp(rows.v[d].prop, "type") == 0 &&
		    ioc_zfs_destroy(rows.v[d].name, 0, err) != 0)
			goto out;
	if (ioc_zfs_set(im->jailds, IOC_PROP_PREFIX "tag", q.tag, err) != 0)
		goto out;
	q.created = 0; /* the jail is complete: nothing below removes it */
	printf("%s %s\n", q.uuid, q.tag);
	if (ioc_ops_tag_links(&ctx->root, js.legacy, q.uuid, q.tag, err) != 0) {
		ioc_error_wrap(err, "jail '%s' (%s) imported, but", q.tag, q.uuid);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && q.created) {
		struct ioc_error *e2 = NULL;
		ioc_zfs_destroy(im->jailds, 1, &e2);
		ioc_error_free(e2);
	}
	if (fd >= 0)
		close(fd);
	if (im->pipefd >= 0)
		close(im->pipefd);
	free(im->jailds);
	free(q.relsnap);
	free(q.uuid);
	free(q.tag);
	ioc_strv_release(&q.zprops);
	ioc_zrows_release(&rows);
	ioc_walk_release(&im->w);
	ioc_assign_list_release(&ov);
	ioc_jails_release(&js);
	return rc;
}

/* ---- the shell iocage's images: UUID_DATE.tar.xz + UUID_DATE.sha256 ---- */

/* Entry names of an archive open on fd (read from its start), "./" stripped. */
static int
ioc_archive_names(int fd, const char *file, struct ioc_strv *out, struct ioc_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, rc = 0;
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	if (lseek(fd, 0, SEEK_SET) != 0 || archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		rc = ioc_err(err, "cannot read '%s': %s", file, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *n = archive_entry_pathname(e);
		if (n == NULL)
			continue;
		while (n[0] == '.' && n[1] == '/')
			n += 2;
		if (*n && strcmp(n, ".") != 0)
			ioc_strv_push(out, n);
		if (out->n > 10000000) {
			rc = ioc_err(err, "'%s' has too many entries", file);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = ioc_err(err, "'%s' is corrupt or truncated: %s", file, archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

/* 1: the tarball is a jail directory (root/ plus top-level files such as fstab). */
static int
ioc_legacy_is_jaildir(const struct ioc_strv *names)
{
	size_t i;
	int root = 0;
	for (i = 0; i < names->n; i++) {
		const char *n = names->v[i];
		if (strcmp(n, "root") == 0 || strcmp(n, "root/") == 0 || strncmp(n, "root/", 5) == 0)
			root = 1;
		else if (strchr(n, '/') != NULL && strchr(n, '/')[1] != '\0')
			return 0;
	}
	return root;
}

/* The idmap base a new jail's files are shifted by (Linux user namespaces), or 0. */
static unsigned long
ioc_legacy_shift(struct ioc_ctx *ctx, const char *jailds, unsigned long *count)
{
#ifdef __linux__
	char *names[] = { (char *)jailds, NULL };
	struct ioc_zrows rows;
	_cleanup_free_ char *inh = ioc_xasprintf("inherited from %s", ctx->root.name);
	const char *userns = "on", *map = "100000:65536";
	unsigned long base = 0;
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_PROP_PREFIX "userns," IOC_PROP_PREFIX "userns_idmap", 0, -1, NULL, 0,
	    &rows, NULL) == 0) {
		for (i = 0; i < rows.n; i++) {
			if (strcmp(rows.v[i].source, "local") != 0 && strcmp(rows.v[i].source, inh) != 0)
				continue;
			if (strcmp(rows.v[i].prop, IOC_PROP_PREFIX "userns") == 0)
				userns = rows.v[i].value;
			else
				map = rows.v[i].value;
		}
	}
	if (ioc_parse_bool(userns) == 1) {
		const char *colon = strchr(map, ':');
		_cleanup_free_ char *b = colon ? ioc_xstrndup(map, (size_t)(colon - map)) : NULL;
		long long lb, lc;
		if (b && ioc_parse_ll(b, 0, 1LL << 32, &lb) == 0 &&
		    ioc_parse_ll(colon + 1, 1, 1LL << 32, &lc) == 0) {
			base = (unsigned long)lb;
			*count = (unsigned long)lc;
		}
	}
	ioc_zrows_release(&rows);
	return base;
#else
	(void)ctx;
	(void)jailds;
	*count = 0;
	return 0;
#endif
}

static int
ioc_import_legacy(struct ioc_ctx *ctx, const char *file, struct ioc_assign_list *ov,
    struct ioc_error **err)
{
	_cleanup_free_ char *sumfile = ioc_xasprintf("%.*s.sha256", (int)(strlen(file) - 7), file);
	_cleanup_free_ char *sumtext = NULL;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_free_ char *jailds = NULL;
	_cleanup_free_ char *rootds = NULL;
	_cleanup_free_ char *mp = NULL;
	_cleanup_free_ char *stage = NULL;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv zprops = IOC_STRV_INIT;
	struct ioc_manifest none;
	struct ioc_jails js = { NULL, 0, 0 };
	const char *base, *rel;
	char hex[65];
	size_t sl = 0, i;
	int rc = -1, created = 0, jaildir, fd = -1;
	struct stat st;

	ioc_manifest_init(&none);
	/* verify first: checksum file, checksum, archive listing, request; one open file for
	   the checksum, the listing and the extraction: what was verified is what lands */
	if (ioc_read_file(sumfile, 4096, &sumtext, &sl, NULL) != 0) {
		ioc_err(err, "missing checksum file '%s' (the shell iocage wrote one beside each image)",
		    ioc_has_ctrl(sumfile) ? "(unprintable)" : sumfile);
		goto out;
	}
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		ioc_err(err, "'%s' is not a regular file", ioc_has_ctrl(file) ? "(unprintable)" : file);
		goto out;
	}
	if (fd < 0 || ioc_sha256_fd(fd, hex) != 0) {
		ioc_err(err, "cannot read '%s': %s", ioc_has_ctrl(file) ? "(unprintable)" : file, strerror(errno));
		goto out;
	}
	if (sl < 64 || strncmp(sumtext, hex, 64) != 0 || (sl > 64 && sumtext[64] != '\n' &&
	    sumtext[64] != ' ' && sumtext[64] != '\t')) {
		ioc_err(err, "checksum mismatch: '%s' does not match '%s'", file, sumfile);
		goto out;
	}
	if (ioc_archive_names(fd, file, &names, err) != 0)
		goto out;
#ifdef IOC_FAULT_INJECT
	{
		/* test builds: another file renamed onto the image after it was verified */
		const char *swap = getenv("IOC_FAULT_SWAP");
		if (swap && rename(swap, file) != 0) {
			ioc_err(err, "IOC_FAULT_SWAP: %s", strerror(errno));
			goto out;
		}
	}
#endif
	jaildir = ioc_legacy_is_jaildir(&names);
	if (ioc_jails_load(&ctx->root, (const char *const[]){ "tag", NULL }, &js, err) != 0)
		goto out;
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	{
		/* UUID_DATE.tar.xz: keep the UUID when this root does not have it */
		_cleanup_free_ char *u = ioc_xstrndup(base, strcspn(base, "_"));
		uuid = ioc_is_uuid(u) ? ioc_import_uuid(ctx, &js, u) : ioc_uuid_new();
	}
	if (ioc_override(ov, "tag"))
		tag = ioc_xstrdup(ioc_override(ov, "tag"));
	else
		tag = strspn(uuid, "0123456789") >= 8 ? ioc_xasprintf("j%.8s", uuid) : ioc_xstrndup(uuid, 8);
	if (ioc_tag_used(&js, tag)) {
		ioc_err(err, "tag '%s' is already used by another jail: import with tag=NEWTAG", tag);
		goto out;
	}
	rel = ioc_override(ov, "release");
	none.uuid = ioc_xstrdup(uuid);
	if (ioc_image_plan_props(&none, ov->p, ov->v, ov->n, &zprops, err) != 0)
		goto out;
	/* act */
	if (ioc_clean_debris(&ctx->root, &js, NULL, err) != 0)
		goto out;
	jailds = ioc_xasprintf("%s/jails/%s", ctx->root.name, uuid);
	rootds = ioc_xasprintf("%s/root", jailds);
	{
		_cleanup_strv_ struct ioc_strv cp = IOC_STRV_INIT;
		_cleanup_free_ char *now = ioc_now_fmt("%Y-%m-%d %H:%M:%S");
		ioc_strv_push(&cp, "canmount=off");
		ioc_strv_push(&cp, "devices=off");
		ioc_strv_push(&cp, IOC_PROP_PREFIX "type=jail");
		ioc_strv_pushf(&cp, IOC_PROP_PREFIX "release=%s", rel ? rel : "none");
		ioc_strv_pushf(&cp, IOC_PROP_PREFIX "created=%s", now);
		for (i = 0; i < zprops.n; i++)
			ioc_strv_push(&cp, zprops.v[i]);
		if (ioc_zfs_create(jailds, &cp, 0, err) != 0)
			goto out;
		created = 1;
	}
	if (ioc_zfs_create(rootds, NULL, 0, err) != 0 || ioc_zfs_get1(rootds, "mountpoint", &mp, err) != 0)
		goto out;
	if (mp == NULL || mp[0] != '/') {
		ioc_err(err, "'%s' is not mounted", rootds);
		goto out;
	}
	stage = jaildir ? ioc_xasprintf("%s/.ioc-legacy-import", mp) : ioc_xstrdup(mp);
	if (jaildir && mkdir(stage, 0700) != 0) {
		ioc_err(err, "cannot create '%s': %s", stage, strerror(errno));
		goto out;
	}
	if (ioc_fetch_extract_fd(fd, file, stage, err) != 0)
		goto out;
	if (jaildir) {
		/* move root/'s entries up into the dataset; other files (fstab) are not imported */
		_cleanup_free_ char *src = ioc_xasprintf("%s/root", stage);
		DIR *d = opendir(src);
		struct dirent *de;
		if (d == NULL) {
			ioc_err(err, "'%s' has no root directory", file);
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			_cleanup_free_ char *from = NULL;
			_cleanup_free_ char *to = NULL;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			from = ioc_xasprintf("%s/%s", src, de->d_name);
			to = ioc_xasprintf("%s/%s", mp, de->d_name);
			/* the dataset is new: nothing but the staging directory is there */
			if (strcmp(de->d_name, ".ioc-legacy-import") == 0 || rename(from, to) != 0) {
				ioc_err(err, "cannot move '%s' into place: %s", de->d_name, strerror(errno));
				closedir(d);
				goto out;
			}
		}
		closedir(d);
		{
			/* what is left of the staging tree goes */
			_cleanup_strv_ struct ioc_strv rm = IOC_STRV_INIT;
			ioc_strv_push(&rm, "rm");
			ioc_strv_push(&rm, "-rf");
			ioc_strv_push(&rm, "--");
			ioc_strv_push(&rm, stage);
			if (ioc_run_ok(ioc_strv_argv(&rm), NULL, err) != 0)
				goto out;
		}
	}
	{
		unsigned long count = 0, shift = ioc_legacy_shift(ctx, jailds, &count);
		if (shift && ioc_fetch_shift_tree(mp, shift, count, err) != 0)
			goto out;
	}
	if (ioc_zfs_set(jailds, IOC_PROP_PREFIX "tag", tag, err) != 0)
		goto out;
	created = 0; /* the jail is complete: nothing below removes it */
	printf("%s %s\n", uuid, tag);
	if (ioc_ops_tag_links(&ctx->root, js.legacy, uuid, tag, err) != 0) {
		ioc_error_wrap(err, "jail '%s' (%s) imported, but", tag, uuid);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && created) {
		struct ioc_error *e2 = NULL;
		ioc_zfs_destroy(jailds, 1, &e2);
		ioc_error_free(e2);
	}
	if (fd >= 0)
		close(fd);
	ioc_manifest_release(&none);
	ioc_jails_release(&js);
	return rc;
}
