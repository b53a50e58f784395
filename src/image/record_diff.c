/* record_diff.c — tree comparison for differential packages, and the refusal of hostile trees
 * (record.h). */
#include "image/record.h"
#include "util/archive_dl.h"
#include "image/record_int.h"
#include "core/props.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

/* ---- tree comparison ---- */

void
ioc_tree_diff_init(struct ioc_tree_diff *d)
{
	ioc_strv_init(&d->changed);
	ioc_strv_init(&d->deleted);
}

void
ioc_tree_diff_release(struct ioc_tree_diff *d)
{
	ioc_strv_release(&d->changed);
	ioc_strv_release(&d->deleted);
}

static int
ioc_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory's entries (without . and ..). */
static int
ioc_dir_names(const char *path, struct ioc_strv *out, struct ioc_error **err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e2 = errno;
		if (fd >= 0)
			close(fd);
		return ioc_err(err, "cannot read directory '%s': %s", path, strerror(e2));
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ioc_strv_push(out, e->d_name);
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(char *), ioc_cmp_str);
	return 0;
}

/* Extended attributes of path (not followed) as "name\0value-hex\0..." for comparison. */
static char *
ioc_xattr_sig(const char *path)
{
	struct ioc_sb sb = IOC_SB_INIT;
	ssize_t n = llistxattr(path, NULL, 0);
	char *names, *p;
	ioc_sb_init(&sb);
	if (n <= 0)
		return ioc_sb_detach(&sb);
	names = ioc_xmalloc((size_t)n + 1);
	n = llistxattr(path, names, (size_t)n);
	for (p = names; n > 0 && p < names + n; p += strlen(p) + 1) {
		ssize_t vl = lgetxattr(path, p, NULL, 0);
		ioc_sb_adds(&sb, p);
		ioc_sb_addc(&sb, '=');
		if (vl > 0) {
			unsigned char *v = ioc_xmalloc((size_t)vl);
			ssize_t k, got = lgetxattr(path, p, v, (size_t)vl);
			for (k = 0; k < got; k++)
				ioc_sb_addf(&sb, "%02x", v[k]);
			free(v);
		}
		ioc_sb_addc(&sb, ';');
	}
	free(names);
	return ioc_sb_detach(&sb);
}

/* 1 when the two regular files' contents are equal. */
static int
ioc_same_content(const char *a, const char *b, struct ioc_error **err)
{
	int fa = open(a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int fb = open(b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *ba = NULL, *bb = NULL;
	int same = -1;
	if (fa < 0 || fb < 0) {
		ioc_err(err, "cannot open '%s': %s", fa < 0 ? a : b, strerror(errno));
		goto out;
	}
	ba = ioc_xmalloc(1 << 16);
	bb = ioc_xmalloc(1 << 16);
	for (;;) {
		ssize_t na = read(fa, ba, 1 << 16), nb, got = 0;
		if (na < 0) {
			ioc_err(err, "cannot read '%s': %s", a, strerror(errno));
			goto out;
		}
		while (got < na) {
			nb = read(fb, bb + got, (size_t)(na - got));
			if (nb < 0) {
				ioc_err(err, "cannot read '%s': %s", b, strerror(errno));
				goto out;
			}
			if (nb == 0)
				break;
			got += nb;
		}
		if (got != na || memcmp(ba, bb, (size_t)na) != 0) {
			same = 0;
			goto out;
		}
		if (na == 0) {
			same = read(fb, bb, 1) == 0;
			goto out;
		}
	}
out:
	free(ba);
	free(bb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

struct ioc_walk {
	const char *old, *new;
	dev_t odev, ndev;
	time_t since;
	struct ioc_tree_diff *d;
};

static char *
ioc_join(const char *a, const char *b)
{
	return *a ? ioc_xasprintf("%s/%s", a, b) : ioc_xstrdup(b);
}

/* Adds rel and (for a directory) everything below it in new to changed. */
static int
ioc_walk_added(struct ioc_walk *w, const char *rel, const struct stat *st, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_free_ char *full = ioc_xasprintf("%s/%s", w->new, rel);
	size_t i;
	if (S_ISSOCK(st->st_mode))
		return 0; /* a socket is no file to carry: never packaged */
	ioc_strv_push(&w->d->changed, rel);
	if (!S_ISDIR(st->st_mode) || st->st_dev != w->ndev)
		return 0;
	if (ioc_dir_names(full, &names, err) != 0)
		return -1;
	for (i = 0; i < names.n; i++) {
		_cleanup_free_ char *r = ioc_join(rel, names.v[i]);
		_cleanup_free_ char *f = ioc_xasprintf("%s/%s", w->new, r);
		struct stat s;
		if (lstat(f, &s) != 0)
			return ioc_err(err, "cannot stat '%s': %s", f, strerror(errno));
		if (s.st_dev != w->ndev)
			continue; /* a mount point below: not ours */
		if (ioc_walk_added(w, r, &s, err) != 0)
			return -1;
	}
	return 0;
}

/* Compares directory rel of both trees. */
static int
ioc_walk_dir(struct ioc_walk *w, const char *rel, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv on = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv nn = IOC_STRV_INIT;
	_cleanup_free_ char *od = *rel ? ioc_xasprintf("%s/%s", w->old, rel) : ioc_xstrdup(w->old);
	_cleanup_free_ char *nd = *rel ? ioc_xasprintf("%s/%s", w->new, rel) : ioc_xstrdup(w->new);
	size_t i = 0, k = 0;

	if (ioc_dir_names(od, &on, err) != 0 || ioc_dir_names(nd, &nn, err) != 0)
		return -1;
	while (i < on.n || k < nn.n) {
		int c = i >= on.n ? 1 : k >= nn.n ? -1 : strcmp(on.v[i], nn.v[k]);
		const char *name = c < 0 ? on.v[i] : nn.v[k];
		_cleanup_free_ char *r = ioc_join(rel, name);
		_cleanup_free_ char *of = ioc_xasprintf("%s/%s", w->old, r);
		_cleanup_free_ char *nf = ioc_xasprintf("%s/%s", w->new, r);
		struct stat os, ns;
		if (c < 0) { /* gone */
			if (lstat(of, &os) == 0 && os.st_dev == w->odev)
				ioc_strv_push(&w->d->deleted, r);
			i++;
			continue;
		}
		if (lstat(nf, &ns) != 0)
			return ioc_err(err, "cannot stat '%s': %s", nf, strerror(errno));
		if (ns.st_dev != w->ndev) { /* a mount point: not part of the jail's dataset */
			i += c == 0;
			k++;
			continue;
		}
		if (c > 0) { /* new */
			if (ioc_walk_added(w, r, &ns, err) != 0)
				return -1;
			k++;
			continue;
		}
		i++;
		k++;
		if (lstat(of, &os) != 0)
			return ioc_err(err, "cannot stat '%s': %s", of, strerror(errno));
		if ((os.st_mode & S_IFMT) != (ns.st_mode & S_IFMT)) {
			ioc_strv_push(&w->d->deleted, r);
			if (ioc_walk_added(w, r, &ns, err) != 0)
				return -1;
			continue;
		}
		{
			int differs = os.st_mode != ns.st_mode || os.st_uid != ns.st_uid ||
			    os.st_gid != ns.st_gid;
			if (!differs) {
				_cleanup_free_ char *xa = ioc_xattr_sig(of);
				_cleanup_free_ char *xb = ioc_xattr_sig(nf);
				differs = strcmp(xa, xb) != 0;
			}
			if (!differs && !S_ISDIR(ns.st_mode))
				differs = os.st_size != ns.st_size || os.st_rdev != ns.st_rdev ||
				    os.st_mtim.tv_sec != ns.st_mtim.tv_sec ||
				    os.st_mtim.tv_nsec != ns.st_mtim.tv_nsec;
			if (!differs && S_ISLNK(ns.st_mode)) {
				char a[IOC_PKG_PATH_MAX + 1], b[IOC_PKG_PATH_MAX + 1];
				ssize_t la = readlink(of, a, sizeof(a)),
					lb = readlink(nf, b, sizeof(b));
				differs = la < 0 || la != lb || memcmp(a, b, (size_t)la) != 0;
			}
			if (!differs && S_ISREG(ns.st_mode) &&
			    (os.st_ino != ns.st_ino || os.st_ctim.tv_sec != ns.st_ctim.tv_sec ||
				os.st_ctim.tv_nsec != ns.st_ctim.tv_nsec ||
				ns.st_ctim.tv_sec + 2 >= w->since)) {
				/* same size and mtime, but another inode or touched since (or too
				 * close to the first snapshot for the clock's granularity): the
				 * content decides.  ctime cannot be set back, so an inode whose
				 * ctime is unchanged and older than the snapshot is untouched */
				int same = ioc_same_content(of, nf, err);
				if (same < 0)
					return -1;
				differs = !same;
			}
			if (differs && !S_ISSOCK(ns.st_mode))
				ioc_strv_push(&w->d->changed, r);
		}
		if (S_ISDIR(ns.st_mode) && os.st_dev == w->odev && ioc_walk_dir(w, r, err) != 0)
			return -1;
	}
	return 0;
}

int
ioc_record_diff(
    const char *old, const char *new, time_t since, struct ioc_tree_diff *d, struct ioc_error **err)
{
	struct ioc_walk w;
	struct stat a, b;
	if (lstat(old, &a) != 0 || !S_ISDIR(a.st_mode))
		return ioc_err(err, "'%s' is not a directory", old);
	if (lstat(new, &b) != 0 || !S_ISDIR(b.st_mode))
		return ioc_err(err, "'%s' is not a directory", new);
	w.old = old;
	w.new = new;
	w.odev = a.st_dev;
	w.ndev = b.st_dev;
	w.since = since;
	w.d = d;
	return ioc_walk_dir(&w, "", err);
}

/* One directory of ioc_tree_refuse_hostile (dfd is consumed). */
static int
ioc_tree_scan_dir(int dfd, const char *rel, dev_t dev, unsigned long base, unsigned long count,
    int depth, struct ioc_error **err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;
	if (d == NULL) {
		close(dfd);
		return ioc_err(err, "cannot read '%s': %s", *rel ? rel : ".", strerror(errno));
	}
	if (depth > 4096) {
		closedir(d);
		return ioc_err(err, "'%s' is nested too deep", rel);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		_cleanup_free_ char *r = NULL;
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = *rel ? ioc_xasprintf("%s/%s", rel, de->d_name) : ioc_xstrdup(de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ioc_err(err, "cannot stat '%s': %s", r, strerror(errno));
			break;
		}
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			rc = ioc_err(err, "'%s' is a device node (%u:%u): an image carries none", r,
			    major(st.st_rdev), minor(st.st_rdev));
		} else if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) && count &&
		    (st.st_uid < base || st.st_uid - base >= count || st.st_gid < base ||
			st.st_gid - base >= count)) {
			rc = ioc_err(err,
			    "'%s' is setuid/setgid and owned by host id %lu:%lu, outside "
			    "the jail's id range %lu:%lu",
			    r, (unsigned long)st.st_uid, (unsigned long)st.st_gid, base, count);
		} else if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int sub = openat(
			    dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				rc = ioc_err(err, "cannot open '%s': %s", r, strerror(errno));
			else
				rc = ioc_tree_scan_dir(sub, r, dev, base, count, depth + 1, err);
		}
	}
	closedir(d);
	return rc;
}

int
ioc_tree_refuse_hostile(
    const char *top, unsigned long base, unsigned long count, struct ioc_error **err)
{
	struct stat st;
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return ioc_err(err, "cannot open '%s': %s", top, strerror(errno));
	}
	return ioc_tree_scan_dir(fd, "", st.st_dev, base, count, 0, err);
}
