/*
 * fetch_extract.c — hardened extraction with libarchive, and the id shift of
 * Linux releases for user namespaces.
 *
 * Extraction runs with the working directory set to the destination (the
 * SECURE_NOABSOLUTEPATHS check needs relative names), so every entry name is
 * resolved below it; libarchive's SECURE_* flags refuse '..', absolute names
 * and writes through symlinks, and hard-link targets are checked here as
 * well.  The mtree format is not read: an mtree "archive" names host files
 * as contents, which would copy them into the release.
 */
#include "fetch/fetch.h"
#include "util/archive_dl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A reader for every archive format worth a root filesystem, except mtree (see above). */
static struct archive *
ioc_ar_reader(void)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_xar(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_cab(a);
	return a;
}

static const char *
ioc_ar_msg(struct archive *a)
{
	const char *m = archive_error_string(a);
	return m && *m ? m : "unknown error";
}

int
ioc_fetch_probe_archive(int fd, const char *label, struct ioc_error **err)
{
	struct archive *a = ioc_ar_reader();
	struct archive_entry *e;
	int r, rc = 0;
	if (lseek(fd, 0, SEEK_SET) != 0) {
		archive_read_free(a);
		return ioc_err(err, "'%s' is not a regular file", label);
	}
	r = archive_read_open_fd(a, fd, 1 << 16);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF)
		rc = ioc_err(err, "'%s' is an empty archive", label);
	else if (r < ARCHIVE_WARN)
		rc = ioc_err(err,
		    "'%s' is not an archive that can be read (tar, cpio, zip, ... with "
		    "any compression): %s",
		    label, ioc_ar_msg(a));
	archive_read_free(a);
	if (lseek(fd, 0, SEEK_SET) != 0 && rc == 0)
		rc = ioc_err(err, "cannot rewind '%s': %s", label, strerror(errno));
	return rc;
}

/* 0 when name is relative and has no ".." component. */
static int
ioc_rel_name_ok(const char *name)
{
	const char *p = name;
	if (*name == '\0' || *name == '/')
		return -1;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/*
 * 0 when every directory component of name (relative to the cwd) is a real
 * directory, not a symlink; a component that does not exist yet is fine.
 */
static int
ioc_no_symlink_dirs(const char *name)
{
	_cleanup_free_ char *copy = ioc_xstrdup(name);
	char *p = copy, *slash;
	int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	if (dfd < 0)
		return -1;
	while ((slash = strchr(p, '/')) != NULL) {
		int nfd;
		*slash = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0) {
			p = slash + 1;
			continue;
		}
		nfd = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			rc = errno == ENOENT ? 0 : -1;
			break;
		}
		close(dfd);
		dfd = nfd;
		p = slash + 1;
	}
	close(dfd);
	return rc;
}

/* Copies one entry's data from the reader to the disk writer. */
static int
ioc_ar_copy(struct archive *a, struct archive *w, const char *label, const char *path,
    struct ioc_error **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	for (;;) {
		r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return ioc_err(err,
			    "cannot read '%s' from %s (truncated or corrupt archive?): %s", path,
			    label, ioc_ar_msg(a));
		if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN)
			return ioc_err(
			    err, "cannot write '%s' from %s: %s", path, label, ioc_ar_msg(w));
	}
}

/* The extraction loop, run with the cwd at the destination. */
static int
ioc_ar_extract_here(struct archive *a, struct archive *w, const char *label, struct ioc_error **err)
{
	struct archive_entry *e;
	unsigned long n = 0, devs = 0;
	int r;
	for (;;) {
		const char *path, *link;
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return ioc_err(err, "cannot read %s (truncated or corrupt archive?): %s",
			    label, ioc_ar_msg(a));
		path = archive_entry_pathname(e);
		if (path == NULL || ioc_rel_name_ok(path) != 0)
			return ioc_err(err,
			    "refusing %s: entry '%s' has an absolute name or a '..' "
			    "component",
			    label, path ? path : "(no name)");
		link = archive_entry_hardlink(e);
		if (link && (ioc_rel_name_ok(link) != 0 || ioc_no_symlink_dirs(link) != 0))
			return ioc_err(err,
			    "refusing %s: hard link '%s' points outside the release ('%s')", label,
			    path, link);
		/* a device node on disk would reach a host device from inside; a jail's
		 * devices come from the engine (devfs rules, LXC's autodev) */
		if (archive_entry_filetype(e) == AE_IFCHR ||
		    archive_entry_filetype(e) == AE_IFBLK) {
			devs++;
			continue;
		}
		r = archive_write_header(w, e);
		if (r < ARCHIVE_WARN)
			return ioc_err(err, "refusing %s: cannot extract '%s': %s", label, path,
			    ioc_ar_msg(w));
		if (archive_entry_size(e) > 0 && ioc_ar_copy(a, w, label, path, err) != 0)
			return -1;
		if (archive_write_finish_entry(w) < ARCHIVE_WARN)
			return ioc_err(
			    err, "cannot finish '%s' from %s: %s", path, label, ioc_ar_msg(w));
		n++;
	}
	if (archive_write_close(w) < ARCHIVE_WARN)
		return ioc_err(err, "cannot finish extracting %s: %s", label, ioc_ar_msg(w));
	if (n == 0)
		return ioc_err(err, "%s is an empty archive", label);
	if (devs)
		ioc_note("%s: left out %lu device node%s (a jail's devices come from the engine, "
			 "never from its files)",
		    label, devs, devs == 1 ? "" : "s");
	return 0;
}

int
ioc_fetch_extract_fd(int fd, const char *label, const char *dest, struct ioc_error **err)
{
	const int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *a, *w;
	int cwd, dfd, rc;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return ioc_err(err, "cannot rewind %s: %s", label, strerror(errno));
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return ioc_err(err, "cannot open the current directory: %s", strerror(errno));
	dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fchdir(dfd) != 0) {
		rc = ioc_err(err, "cannot enter '%s': %s", dest, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		close(cwd);
		return rc;
	}
	close(dfd);
	a = ioc_ar_reader();
	w = archive_write_disk_new();
	if (w == NULL)
		abort();
	/* no archive_write_disk_set_standard_lookup: owners stay numeric, as the archive says */
	archive_write_disk_set_options(w, flags);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		rc = ioc_err(err, "cannot read %s: %s", label, ioc_ar_msg(a));
	else
		rc = ioc_ar_extract_here(a, w, label, err);
	archive_write_free(w);
	archive_read_free(a);
	if (fchdir(cwd) != 0 && rc == 0)
		rc = ioc_err(err, "cannot return to the working directory: %s", strerror(errno));
	close(cwd);
	return rc;
}

int
ioc_fetch_extract(const char *archive, const char *dest, int progress, struct ioc_error **err)
{
	struct stat st;
	int fd = open(archive, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
	(void)progress;
	if (fd < 0)
		return ioc_err(err, "cannot open '%s': %s", archive, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ioc_err(err, "'%s' is not a regular file", archive);
	}
	rc = ioc_fetch_extract_fd(fd, archive, dest, err);
	close(fd);
	return rc;
}

/* ---- id shift ---- */

struct ioc_inode {
	dev_t dev;
	ino_t ino;
	int used;
};

struct ioc_shift {
	unsigned long base, count;
	dev_t dev; /* the tree's file system: mount points are not crossed */
	struct ioc_inode *seen; /* hard-linked inodes already shifted (open addressing) */
	size_t cap, n;
	unsigned long bad;
	char *first_bad;
	struct ioc_error **err;
};

/* Marks (dev, ino); returns 1 if it was already marked. */
static int
ioc_seen(struct ioc_shift *s, dev_t dev, ino_t ino)
{
	size_t i;
	if (2 * (s->n + 1) > s->cap) {
		struct ioc_inode *old = s->seen;
		size_t oc = s->cap, k;
		s->cap = oc ? 2 * oc : 256;
		s->seen = ioc_xcalloc(s->cap, sizeof(*s->seen));
		s->n = 0;
		for (k = 0; k < oc; k++)
			if (old[k].used)
				ioc_seen(s, old[k].dev, old[k].ino);
		free(old);
	}
	i = ((size_t)ino * 2654435761u ^ (size_t)dev) & (s->cap - 1);
	while (s->seen[i].used) {
		if (s->seen[i].dev == dev && s->seen[i].ino == ino)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	s->seen[i].dev = dev;
	s->seen[i].ino = ino;
	s->seen[i].used = 1;
	s->n++;
	return 0;
}

/* Shifts the owner of dfd/name (never following a symlink); path is for messages. */
static int
ioc_shift_one(struct ioc_shift *s, int dfd, const char *name, const char *path)
{
	struct stat st;
	uid_t u;
	gid_t g;
#ifdef O_PATH
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return ioc_err(s->err, "cannot open '%s': %s", path, strerror(errno));
	}
#else
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return ioc_err(s->err, "cannot stat '%s': %s", path, strerror(errno));
#endif
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && ioc_seen(s, st.st_dev, st.st_ino))
		goto done;
	if ((unsigned long)st.st_uid >= s->count || (unsigned long)st.st_gid >= s->count) {
		if (s->bad++ == 0)
			s->first_bad = ioc_xasprintf("%s (uid %lu, gid %lu)", path,
			    (unsigned long)st.st_uid, (unsigned long)st.st_gid);
		goto done;
	}
	u = (uid_t)(s->base + st.st_uid);
	g = (gid_t)(s->base + st.st_gid);
#ifdef O_PATH
	if (fchownat(fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
		close(fd);
		return ioc_err(
		    s->err, "cannot change the owner of '%s': %s", path, strerror(errno));
	}
	if (!S_ISLNK(st.st_mode)) {
		/* chown cleared setuid/setgid: put the mode back, on this very inode */
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, st.st_mode & 07777) != 0) {
			close(fd);
			return ioc_err(
			    s->err, "cannot restore the mode of '%s': %s", path, strerror(errno));
		}
	}
#else
	if (fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW) != 0)
		return ioc_err(
		    s->err, "cannot change the owner of '%s': %s", path, strerror(errno));
	if (!S_ISLNK(st.st_mode) &&
	    fchmodat(dfd, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) != 0)
		return ioc_err(
		    s->err, "cannot restore the mode of '%s': %s", path, strerror(errno));
#endif
done:
#ifdef O_PATH
	close(fd);
#endif
	return 0;
}

/* Shifts everything inside the directory dfd (path for messages). */
static int
ioc_shift_dir(struct ioc_shift *s, int dfd, const char *path, int depth)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;
	if (depth > 512) {
		close(dfd);
		return ioc_err(s->err, "'%s': directories nested too deep (more than 512)", path);
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return ioc_err(s->err, "cannot read directory '%s': %s", path, strerror(errno));
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		_cleanup_free_ char *sub = NULL;
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = ioc_xasprintf("%s/%s", path, e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ioc_err(s->err, "cannot stat '%s': %s", sub, strerror(errno));
			break;
		}
		if (st.st_dev != s->dev)
			continue; /* a mount point: not ours to shift */
		rc = ioc_shift_one(s, dirfd(d), e->d_name, sub);
		if (rc == 0 && S_ISDIR(st.st_mode)) {
			int nfd = openat(
			    dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0)
				rc = ioc_err(
				    s->err, "cannot open directory '%s': %s", sub, strerror(errno));
			else
				rc = ioc_shift_dir(s, nfd, sub, depth + 1);
		}
	}
	if (rc == 0 && errno != 0)
		rc = ioc_err(s->err, "cannot read directory '%s': %s", path, strerror(errno));
	closedir(d);
	return rc;
}

int
ioc_fetch_shift_tree(
    const char *path, unsigned long base, unsigned long count, struct ioc_error **err)
{
	struct ioc_shift s;
	struct stat st;
	int fd, rc;
	if (base + count < base || base + count - 1 > 0xfffffffeUL)
		return ioc_err(err, "id map %lu:%lu goes beyond the largest id", base, count);
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.count = count;
	s.err = err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return ioc_err(err, "cannot open directory '%s': %s", path, strerror(errno));
	}
	s.dev = st.st_dev;
	rc = ioc_shift_dir(&s, fd, path, 0);
	if (rc == 0) {
		/* the top directory last: an interrupted shift is visible as an unshifted root */
		int pfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (pfd < 0)
			rc = ioc_err(err, "cannot open directory '%s': %s", path, strerror(errno));
		else {
			rc = ioc_shift_one(&s, pfd, ".", path);
			close(pfd);
		}
	}
	if (rc == 0 && s.bad)
		rc = ioc_err(err,
		    "cannot shift %lu file(s) into the id map %lu:%lu: their ids are "
		    "%lu or more, e.g. %s",
		    s.bad, base, count, count, s.first_bad);
	free(s.first_bad);
	free(s.seen);
	return rc;
}
