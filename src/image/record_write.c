/* record_write.c — writing package archives and copying trees (record.h). */
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

/* ---- writing ---- */

/* Adds the xattrs of path (not followed) to entry. */
static void
ioc_entry_xattrs(struct archive_entry *e, const char *path)
{
	ssize_t n = llistxattr(path, NULL, 0);
	char *names, *p;
	if (n <= 0)
		return;
	names = ioc_xmalloc((size_t)n + 1);
	n = llistxattr(path, names, (size_t)n);
	for (p = names; n > 0 && p < names + n; p += strlen(p) + 1) {
		ssize_t vl = lgetxattr(path, p, NULL, 0);
		void *v;
		if (vl < 0)
			continue;
		v = ioc_xmalloc(vl ? (size_t)vl : 1);
		vl = lgetxattr(path, p, v, (size_t)vl);
		if (vl >= 0)
			archive_entry_xattr_add_entry(e, p, v, (size_t)vl);
		free(v);
	}
	free(names);
}

int
ioc_arch_err(struct archive *a, const char *what, struct ioc_error **err)
{
	return ioc_err(
	    err, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : "error");
}

/* Writes one text member. */
static int
ioc_put_text(struct archive *a, const char *name, const char *text, struct ioc_error **err)
{
	struct archive_entry *e = archive_entry_new();
	size_t n = strlen(text);
	int rc = 0;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (n && archive_write_data(a, text, n) != (la_ssize_t)n))
		rc = ioc_arch_err(a, name, err);
	archive_entry_free(e);
	return rc;
}

/* Maps a host id to the stored one (minus the shift). */
static int
ioc_id_store(unsigned long id, unsigned long base, unsigned long count, const char *path,
    la_int64_t *out, struct ioc_error **err)
{
	if (base == 0) {
		*out = (la_int64_t)id;
		return 0;
	}
	if (id < base || id - base >= count)
		return ioc_err(err,
		    "'%s' is owned by host id %lu, outside the jail's id range %lu:%lu", path, id,
		    base, count);
	*out = (la_int64_t)(id - base);
	return 0;
}

/* Writes the entry PREFIX+REL from top/REL (to a tar writer or a disk writer). */
static int
ioc_put_file(struct archive *a, const char *top, const char *rel, const char *prefix,
    unsigned long base, unsigned long count, struct ioc_error **err)
{
	_cleanup_free_ char *full = ioc_xasprintf("%s/%s", top, rel);
	_cleanup_free_ char *name = ioc_xasprintf("%s%s", prefix, rel);
	struct archive_entry *e;
	struct stat st;
	la_int64_t uid = 0, gid = 0;
	int fd = -1, rc = -1;

	if (lstat(full, &st) != 0)
		return ioc_err(err, "cannot stat '%s': %s", full, strerror(errno));
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return ioc_err(err,
		    "'%s' is a device node: packages carry files, directories, links "
		    "and FIFOs, never devices (remove it from the jail, or leave it out)",
		    rel);
	if (ioc_id_store(st.st_uid, base, count, rel, &uid, err) != 0 ||
	    ioc_id_store(st.st_gid, base, count, rel, &gid, err) != 0)
		return -1;
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_nlink(e, 1); /* every file is written whole (hard links are not kept) */
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, gid);
	if (S_ISLNK(st.st_mode)) {
		char t[IOC_PKG_PATH_MAX + 1];
		ssize_t n = readlink(full, t, sizeof(t) - 1);
		if (n < 0 || n >= (ssize_t)sizeof(t) - 1) {
			ioc_err(err, "cannot read link '%s'", full);
			goto out;
		}
		t[n] = '\0';
		archive_entry_set_symlink(e, t);
	} else if (S_ISREG(st.st_mode)) {
		fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			ioc_err(err, "cannot open '%s': %s", full, strerror(errno));
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* the diff leaves sockets out; anything else here would break the manifest's count */
		ioc_err(err, "'%s' changed into a socket while it was being packaged", rel);
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		archive_entry_set_size(e, 0);
	ioc_entry_xattrs(e, full);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		ioc_arch_err(a, name, err);
		goto out;
	}
	if (fd >= 0) {
		char buf[1 << 16];
		la_int64_t left = st.st_size;
		while (left > 0) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				ioc_err(err, "cannot read '%s': %s", full,
				    n < 0 ? strerror(errno) : "file shrank");
				goto out;
			}
			if (n > left)
				n = (ssize_t)left;
			if (archive_write_data(a, buf, (size_t)n) != n) {
				ioc_arch_err(a, name, err);
				goto out;
			}
			left -= n;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	return rc;
}

int
ioc_record_write_package(const char *top, const struct ioc_tree_diff *d, struct ioc_pkg_manifest *m,
    unsigned long idbase, unsigned long idcount, const char *dir, const char *name, char hex[65],
    struct ioc_error **err)
{
	_cleanup_free_ char *tmp = ioc_xasprintf("%s/" IOC_PKG_PARTIAL "XXXXXX", dir);
	_cleanup_free_ char *final = ioc_xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *sumf = ioc_xasprintf("%s/%s.sha256", dir, name);
	_cleanup_free_ char *mtext = NULL;
	_cleanup_free_ char *sumline = NULL;
	struct ioc_sb dels = IOC_SB_INIT;
	struct archive *a = NULL;
	size_t i;
	int fd, rc = -1;

	m->files = d->changed.n;
	m->deletions = d->deleted.n;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "cannot create a file in '%s': %s", dir, strerror(errno));
	ioc_sb_init(&dels);
	for (i = 0; i < d->deleted.n; i++) {
		_cleanup_free_ char *esc = ioc_record_escape(d->deleted.v[i]);
		ioc_sb_addf(&dels, "%s\n", esc);
	}
	mtext = ioc_pkg_manifest_format(m);
	a = archive_write_new();
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_xz(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		ioc_arch_err(a, "cannot write a package", err);
		goto out;
	}
	if (ioc_put_text(a, "+PACKAGE", mtext, err) != 0 ||
	    ioc_put_text(a, "+DELETIONS", dels.buf, err) != 0)
		goto out;
	for (i = 0; i < d->changed.n; i++)
		if (ioc_put_file(a, top, d->changed.v[i], "root/", idbase, idcount, err) != 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		ioc_arch_err(a, "cannot finish the package", err);
		goto out;
	}
	if (fsync(fd) != 0) {
		ioc_err(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (ioc_sha256_file(tmp, hex) != 0) {
		ioc_err(err, "cannot read back '%s': %s", tmp, strerror(errno));
		goto out;
	}
	sumline = ioc_xasprintf("%s  %s\n", hex, name);
	if (ioc_write_file_atomic(sumf, sumline, strlen(sumline), 0644, err) != 0)
		goto out;
	if (fchmod(fd, 0644) != 0 || rename(tmp, final) != 0) {
		ioc_err(err, "cannot rename '%s' to '%s': %s", tmp, final, strerror(errno));
		unlink(sumf);
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	close(fd);
	if (rc != 0)
		unlink(tmp);
	ioc_sb_release(&dels);
	return rc;
}

int
ioc_record_copy_tree(
    const char *src, const struct ioc_tree_diff *d, const char *dest, struct ioc_error **err)
{
	const int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *w = NULL;
	int topfd = -1, cwd = -1, rc = -1;
	size_t i;

	topfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (topfd < 0 || cwd < 0) {
		ioc_err(err, "cannot open '%s': %s", dest, strerror(errno));
		goto out;
	}
	for (i = 0; i < d->deleted.n; i++)
		if (ioc_remove_rel(topfd, d->deleted.v[i], err) != 0)
			goto out;
	/* the disk writer works relative to the working directory: the destination */
	if (fchdir(topfd) != 0) {
		ioc_err(err, "cannot enter '%s': %s", dest, strerror(errno));
		goto out;
	}
	w = archive_write_disk_new();
	archive_write_disk_set_options(w, flags);
	for (i = 0; i < d->changed.n; i++) {
		if (ioc_put_file(w, src, d->changed.v[i], "", 0, 0, err) != 0)
			goto out;
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			ioc_err(err, "cannot finish '%s': %s", d->changed.v[i],
			    archive_error_string(w));
			goto out;
		}
	}
	rc = 0;
out:
	return ioc_disk_writer_end(w, rc, "the copy", cwd, topfd, err);
}

int
ioc_disk_writer_end(
    struct archive *w, int rc, const char *what, int cwd, int topfd, struct ioc_error **err)
{
	if (rc == 0 && w && archive_write_close(w) != ARCHIVE_OK)
		rc = ioc_err(err, "cannot finish %s: %s", what, archive_error_string(w));
	if (cwd >= 0) {
		if (fchdir(cwd) != 0 && rc == 0)
			rc = ioc_err(err, "cannot return to the working directory");
		close(cwd);
	}
	if (w)
		archive_write_free(w);
	if (topfd >= 0)
		close(topfd);
	return rc;
}
