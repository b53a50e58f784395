/*
 * export.c — export of a whole jail as an image (format: image.h,
 * docs/image-format.md; ops.h).
 *
 * The plan reads the jail's datasets (root, data, data/... and nothing else)
 * and its local properties into a manifest, checked as import would check
 * it.  The write takes the jail's lock, drops snapshots a dead export left,
 * snapshots the datasets (recursive, one name), streams each `zfs send`
 * through SHA-256 into 4 MiB tar members, writes SHA256SUMS and drops the
 * snapshot; the caller gets the SHA-256 of every byte written (NAME.sha256).
 */
#include "ops/ops.h"
#include "util/archive_dl.h"
#include "spawn/spawn.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ioc_awriter {
	int fd;
	struct ioc_sha256 whole; /* the whole file, for NAME.sha256 */
	void (*progress)(void *arg, size_t bytes, int final);
	void *parg;
	int failed_errno;
	off_t off, kicked; /* bytes written; those whose writeback was started */
};

/*
 * Starts the writeback of what was written so far, every 8 MiB: the disk
 * writes overlap the stream and the caller's final fsync waits for the last
 * few MiB only, not for the whole image.  Only a hint: a pipe (stdout) or a
 * system without sync_file_range ignores it.
 */
static void
ioc_aw_kick(struct ioc_awriter *w)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (w->off - w->kicked >= ((off_t)8 << 20)) {
		(void)sync_file_range(w->fd, w->kicked, w->off - w->kicked, SYNC_FILE_RANGE_WRITE);
		w->kicked = w->off;
	}
#else
	(void)w;
#endif
}

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
	w->off += (off_t)n;
	ioc_aw_kick(w);
	ioc_sha256_update(&w->whole, buf, n);
	if (w->progress)
		w->progress(w->parg, n, 0);
	return (la_ssize_t)n;
}

static int
ioc_aw_member(
    struct archive *a, const char *name, const void *buf, size_t n, struct ioc_error **err)
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

/*
 * The reading half of an export's stream: a thread fills two 4 MiB slots in
 * turn from the pipe while the caller hashes and writes the other, so `zfs
 * send` never waits for the hashing.  It only reads into its slots: no
 * allocation, no fork while it runs (zfs send was started before it).
 */
struct ioc_feed {
	int fd;
	unsigned char *buf[2];
	ssize_t len[2]; /* bytes read, 0 at the end, -1 on error (err[k]: errno) */
	int err[2];
	int full[2]; /* slot k holds what the caller has not taken yet */
	int stop; /* the caller is gone: stop reading */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *
ioc_feed_run(void *arg)
{
	struct ioc_feed *f = arg;
	int k = 0;
	for (;;) {
		ssize_t r;
		pthread_mutex_lock(&f->mu);
		while (f->full[k] && !f->stop)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			return NULL;
		}
		pthread_mutex_unlock(&f->mu);
		r = ioc_read_full(f->fd, f->buf[k], IOC_IMAGE_CHUNK);
		pthread_mutex_lock(&f->mu);
		f->len[k] = r;
		f->err[k] = r < 0 ? errno : 0;
		f->full[k] = 1;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (r <= 0)
			return NULL;
		k ^= 1;
	}
}

/* The next slot the thread filled (its length in *r, errno in *e). */
static unsigned char *
ioc_feed_take(struct ioc_feed *f, int k, ssize_t *r, int *e)
{
	pthread_mutex_lock(&f->mu);
	while (!f->full[k])
		pthread_cond_wait(&f->cv, &f->mu);
	*r = f->len[k];
	*e = f->err[k];
	pthread_mutex_unlock(&f->mu);
	return f->buf[k];
}

/* Slot k is free again (stop: the caller wants no more). */
static void
ioc_feed_give(struct ioc_feed *f, int k, int stop)
{
	pthread_mutex_lock(&f->mu);
	f->full[k] = 0;
	f->stop |= stop;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Streams `zfs send` of one dataset into chunk members; hex gets its SHA-256. */
static int
ioc_export_stream(struct archive *a, const char *name, const char *snap, const char *from,
    unsigned char *buf, char hex[65], struct ioc_error **err)
{
	struct ioc_async b;
	struct ioc_sha256 h;
	struct ioc_feed f;
	pthread_t th;
	int p[2], rc = 0, k = 0;
	unsigned n = 0;
	_cleanup_free_ char *what = ioc_xasprintf("zfs send %s", snap);
	_cleanup_free_ unsigned char *other = ioc_xmalloc(IOC_IMAGE_CHUNK);

	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	ioc_big_pipe(p[0]);
	if (ioc_zfs_send_async(snap, from, p[1], &b, err) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.fd = p[0];
	f.buf[0] = buf;
	f.buf[1] = other;
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	if (pthread_create(&th, NULL, ioc_feed_run, &f) != 0) {
		rc = ioc_err(err, "cannot start the reader of %s", what);
		close(p[0]);
		ioc_run_async_wait(&b, what, NULL);
		goto out;
	}
	ioc_sha256_init(&h);
	for (;;) {
		ssize_t r;
		int e, last;
		const unsigned char *chunk = ioc_feed_take(&f, k, &r, &e);
		_cleanup_free_ char *member = NULL;
		if (r < 0) {
			rc = ioc_err(err, "reading %s: %s", what, strerror(e));
			ioc_feed_give(&f, k, 1);
			break;
		}
		if (r == 0 && n > 0) {
			ioc_feed_give(&f, k, 1);
			break;
		}
		member = ioc_xasprintf("streams/%s.zfs.%06u", name, n++);
		ioc_sha256_update(&h, chunk, (size_t)r);
		if (ioc_aw_member(a, member, chunk, (size_t)r, err) != 0)
			rc = -1;
		else if (n > 999999)
			rc = ioc_err(err, "stream of '%s' is too large for the image format", name);
		last = rc != 0 || r == 0;
		ioc_feed_give(&f, k, last);
		if (last)
			break;
		k ^= 1;
	}
	/* the reader ends at the stream's end or at its next slot: a send still
	 * writing keeps it reading until then */
	pthread_join(th, NULL);
	close(p[0]); /* a send still writing gets EPIPE and ends */
	if (ioc_run_async_wait(&b, what, rc == 0 ? err : NULL) != 0)
		rc = -1;
	ioc_sha256_final_hex(&h, hex);
out:
	pthread_cond_destroy(&f.cv);
	pthread_mutex_destroy(&f.mu);
	return rc;
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
		if (at && strncmp(at + 1, "ioc-export-", 11) == 0 &&
		    !ioc_strv_contains(&snaps, at + 1))
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

void
ioc_export_plan_release(struct ioc_export_plan *p)
{
	ioc_manifest_release(&p->m);
	free(p->mtext);
	free(p->origin);
	p->mtext = NULL;
	p->origin = NULL;
}

int
ioc_export_plan_make(const struct ioc_root *root, const struct ioc_jail *j, const char *name,
    int incremental, struct ioc_export_plan *p, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	struct ioc_manifest *m = &p->m;
	size_t i, dl;

	memset(p, 0, sizeof(*p));
	ioc_manifest_init(m);
	/* the jail's datasets: root, data, data/... and nothing else */
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		return -1;
	dl = strlen(j->dataset);
	m->uuid = ioc_xstrdup(j->uuid);
	m->tag = ioc_xstrdup(ioc_jail_get(j, "tag"));
	m->release = ioc_xstrdup(ioc_jail_get(j, "release"));
	for (i = 0; i <= kids.n; i++) {
		/* root first, then data and its children in zfs's (parents first) order */
		size_t x = i == 0 ? kids.n : i - 1;
		const char *rel;
		if (i == 0) {
			for (x = 0; x < kids.n; x++)
				if (strncmp(kids.v[x], j->dataset, dl) == 0 &&
				    strcmp(kids.v[x] + dl, "/root") == 0)
					break;
			if (x == kids.n)
				break;
		} else if (strcmp(kids.v[x] + dl, "/root") == 0)
			continue;
		if (strcmp(kids.v[x], j->dataset) == 0)
			continue;
		rel = kids.v[x] + dl + 1;
		if (strcmp(rel, "root") != 0 && strcmp(rel, "data") != 0 &&
		    strncmp(rel, "data/", 5) != 0)
			return ioc_err(err,
			    "cannot export '%s': dataset '%s' is not one an image can carry (only root, data and data's children)",
			    name, kids.v[x]);
		if (strcmp(rel, "root") == 0 && incremental) {
			/* incremental from the release snapshot the jail was cloned from */
			_cleanup_free_ char *relpfx =
			    ioc_xasprintf("%s/releases/%s/root@", root->name, m->release);
			_cleanup_free_ char *guid = NULL;
			if (ioc_zfs_get1(kids.v[x], "origin", &p->origin, err) != 0)
				return -1;
			if (p->origin == NULL || strncmp(p->origin, relpfx, strlen(relpfx)) != 0)
				return ioc_err(err,
				    "export -i: jail '%s' is not a thin clone of release '%s': export it whole (without -i)",
				    name, m->release);
			if (ioc_zfs_get1(p->origin, "guid", &guid, err) != 0 || guid == NULL)
				return -1;
			ioc_manifest_add_ds(m, rel, 1, strtoull(guid, NULL, 10));
		} else
			ioc_manifest_add_ds(m, rel, 0, 0);
	}
	if (m->nds == 0 || strcmp(m->ds[0].name, "root") != 0)
		return ioc_err(err, "cannot export '%s': it has no root dataset", name);
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *pr = &ioc_props[i];
		if (j->srcs[i] != IOC_SRC_LOCAL || (pr->flags & (IOC_PF_NATIVE | IOC_PF_RUNTIME)) ||
		    strcmp(pr->name, "uuid") == 0 || strcmp(pr->name, "tag") == 0 ||
		    strcmp(pr->name, "release") == 0 || j->values[i] == NULL)
			continue;
		ioc_manifest_add_prop(m, pr->name, j->values[i]);
	}
	p->mtext = ioc_manifest_format(m);
	{
		/* what we write must be what import accepts */
		struct ioc_manifest chk;
		if (ioc_manifest_parse(p->mtext, strlen(p->mtext), &chk, err) != 0)
			return ioc_error_wrap(err, "cannot export '%s'", name);
		ioc_manifest_release(&chk);
	}
	return 0;
}

int
ioc_jail_export(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_export_plan *p, int outfd,
    void (*progress)(void *arg, size_t bytes, int final), void *parg, char whole_hex[65],
    struct ioc_error **err)
{
	_cleanup_free_ char *snapname = NULL;
	_cleanup_free_ unsigned char *buf = NULL;
	struct ioc_sb sums = IOC_SB_INIT;
	struct archive *a = NULL;
	struct ioc_awriter w;
	int rc = -1, lockfd, snapped = 0;
	size_t i;

	ioc_sb_init(&sums);
	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0)
		return -1;
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
	w.progress = progress;
	w.parg = parg;
	ioc_sha256_init(&w.whole);
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open(a, &w, NULL, ioc_aw_write, NULL) != ARCHIVE_OK) {
		ioc_err(err, "cannot write the image: %s", archive_error_string(a));
		goto out;
	}
	if (ioc_aw_member(a, "MANIFEST", p->mtext, strlen(p->mtext), err) != 0)
		goto out;
	{
		struct ioc_sha256 h;
		char hex[65];
		ioc_sha256_init(&h);
		ioc_sha256_update(&h, p->mtext, strlen(p->mtext));
		ioc_sha256_final_hex(&h, hex);
		ioc_sb_addf(&sums, "%s  MANIFEST\n", hex);
	}
	buf = ioc_xmalloc(IOC_IMAGE_CHUNK);
	for (i = 0; i < p->m.nds; i++) {
		_cleanup_free_ char *snap =
		    ioc_xasprintf("%s/%s@%s", j->dataset, p->m.ds[i].name, snapname);
		char hex[65];
		if (ioc_export_stream(a, p->m.ds[i].name, snap,
			p->m.ds[i].incremental ? p->origin : NULL, buf, hex, err) != 0)
			goto out;
		ioc_sb_addf(&sums, "%s  streams/%s.zfs\n", hex, p->m.ds[i].name);
	}
	if (ioc_aw_member(a, "SHA256SUMS", sums.buf, sums.len, err) != 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		ioc_err(err, "cannot write the image: %s", archive_error_string(a));
		goto out;
	}
	if (progress)
		progress(parg, 0, 1);
	ioc_sha256_final_hex(&w.whole, whole_hex);
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
	close(lockfd);
	ioc_sb_release(&sums);
	return rc;
}
