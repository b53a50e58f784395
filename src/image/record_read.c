/* record_read.c — reading, verifying and applying package archives (record.h). */
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

/* ---- reading ---- */

static struct archive *
ioc_pkg_open(int fd, struct ioc_error **err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_xz(a);
	archive_read_support_format_tar(a);
	if (lseek(fd, 0, SEEK_SET) != 0 || archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		ioc_arch_err(a, "package is truncated or corrupt", err);
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Reads the current member (at most max bytes) as text. */
static int
ioc_pkg_text(struct archive *a, struct archive_entry *e, size_t max, char **out, size_t *len,
    struct ioc_error **err)
{
	la_int64_t sz = archive_entry_size(e);
	char *buf;
	la_ssize_t n;
	if (archive_entry_filetype(e) != AE_IFREG || sz < 0 || (unsigned long long)sz > max)
		return ioc_err(err, "package member '%s' is not a text file of at most %zu bytes",
		    archive_entry_pathname(e), max);
	buf = ioc_xmalloc((size_t)sz + 1);
	n = archive_read_data(a, buf, (size_t)sz);
	if (n != (la_ssize_t)sz) {
		free(buf);
		ioc_arch_err(a, "package is truncated or corrupt", err);
		return -1;
	}
	buf[sz] = '\0';
	*out = buf;
	*len = (size_t)sz;
	return 0;
}

/* Reads +PACKAGE and +DELETIONS, leaving a at the first root/ member. */
static int
ioc_pkg_head(
    struct archive *a, struct ioc_pkg_manifest *m, struct ioc_strv *dels, struct ioc_error **err)
{
	struct archive_entry *e;
	_cleanup_free_ char *t = NULL;
	size_t n;
	if (archive_read_next_header(a, &e) != ARCHIVE_OK ||
	    strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", "+PACKAGE") != 0)
		return ioc_err(err, "not an iocage package: the first member must be +PACKAGE");
	if (ioc_pkg_text(a, e, IOC_PKG_MANIFEST_MAX, &t, &n, err) != 0 ||
	    ioc_pkg_manifest_parse(t, n, m, err) != 0)
		return -1;
	free(t);
	t = NULL;
	if (archive_read_next_header(a, &e) != ARCHIVE_OK ||
	    strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", "+DELETIONS") != 0) {
		ioc_pkg_manifest_release(m);
		return ioc_err(err, "package: the second member must be +DELETIONS");
	}
	if (ioc_pkg_text(a, e, IOC_PKG_DELETIONS_MAX, &t, &n, err) != 0 ||
	    ioc_record_parse_deletions(t, n, dels, err) != 0 || dels->n != m->deletions) {
		ioc_pkg_manifest_release(m);
		return ioc_err(err, "package: +DELETIONS does not match the manifest");
	}
	return 0;
}

/* The path below root/ of a member name, or NULL when it is not one. */
static const char *
ioc_pkg_rel(const char *name)
{
	if (name == NULL || strncmp(name, "root/", 5) != 0)
		return NULL;
	name += 5;
	{
		size_t n = strlen(name);
		while (n > 0 && name[n - 1] == '/')
			n--; /* directories may end with '/' */
		if (!ioc_record_valid_relpath(name, n))
			return NULL;
	}
	return name;
}

static int
ioc_read_hex_sum(const char *path, char hex[65], struct ioc_error **err)
{
	_cleanup_free_ char *sumf = ioc_xasprintf("%s.sha256", path);
	_cleanup_free_ char *text = NULL;
	size_t len, i;
	if (ioc_read_file(sumf, 4096, &text, &len, NULL) != 0)
		return ioc_err(err,
		    "cannot read the checksum file '%s' (a package travels with its "
		    ".sha256)",
		    sumf);
	for (i = 0; i < 64; i++) {
		char c = i < len ? text[i] : '\0';
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (ioc_hexval(c) < 0)
			return ioc_err(err, "'%s' does not start with a SHA-256 in hex", sumf);
		hex[i] = c;
	}
	hex[64] = '\0';
	if (len > 64 && !(text[64] == ' ' || text[64] == '\n' || text[64] == '\t'))
		return ioc_err(err, "'%s' does not start with a SHA-256 in hex", sumf);
	return 0;
}

int
ioc_record_open_package(const char *path, struct ioc_error **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ioc_err(err, "'%s' is not a regular file", path);
	}
	return fd;
}

int
ioc_record_verify_package(int fd, const char *path, struct ioc_pkg_manifest *m,
    struct ioc_strv *deletions, struct ioc_error **err)
{
	char want[65], got[65];
	struct ioc_sha256 s;
	struct archive *a = NULL;
	struct archive_entry *e;
	unsigned long long files = 0;
	int r, rc = -1;

	ioc_pkg_manifest_init(m);
	if (ioc_read_hex_sum(path, want, err) != 0)
		return -1;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return ioc_err(err, "cannot read '%s': %s", path, strerror(errno));
	ioc_sha256_init(&s);
	for (;;) {
		char buf[1 << 16];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			ioc_err(err, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		ioc_sha256_update(&s, buf, (size_t)n);
	}
	ioc_sha256_final_hex(&s, got);
	if (strcmp(want, got) != 0) {
		ioc_err(err,
		    "checksum mismatch for '%s': expected %s, got %s (the package is corrupt "
		    "or was changed)",
		    path, want, got);
		goto out;
	}
	if ((a = ioc_pkg_open(fd, err)) == NULL || ioc_pkg_head(a, m, deletions, err) != 0)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *hl = archive_entry_hardlink(e);
		unsigned ft = archive_entry_filetype(e);
		if (ioc_pkg_rel(name) == NULL || (hl && ioc_pkg_rel(hl) == NULL)) {
			ioc_err(err, "package member '%s' is not a valid path below root/",
			    name && !ioc_has_ctrl(name) ? name : "(unprintable)");
			goto out;
		}
		if (ft == AE_IFCHR || ft == AE_IFBLK) {
			/* a device node would give the host's users the device (issue 10) */
			ioc_err(err,
			    "package member '%s' is a device node (refused: a package carries "
			    "files, directories, links and FIFOs)",
			    name);
			goto out;
		}
		if (!(ft == AE_IFREG || ft == AE_IFDIR || ft == AE_IFLNK || ft == AE_IFIFO)) {
			ioc_err(err, "package member '%s' has an unsupported type", name);
			goto out;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			ioc_arch_err(a, "package is truncated or corrupt", err);
			goto out;
		}
		files++;
	}
	if (r != ARCHIVE_EOF) {
		ioc_arch_err(a, "package is truncated or corrupt", err);
		goto out;
	}
	if (files != m->files) {
		ioc_err(err, "package has %llu files, its manifest says %llu", files, m->files);
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_read_free(a);
	if (rc != 0) {
		ioc_pkg_manifest_release(m);
		ioc_strv_release(deletions);
	}
	return rc;
}

/* Removes everything below the directory fd (not following links). */
static int
ioc_rm_below(int dfd, const char *label, struct ioc_error **err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	if (d == NULL) {
		close(dfd);
		return ioc_err(err, "cannot read '%s': %s", label, strerror(errno));
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int c = openat(
			    dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (c < 0 || ioc_rm_below(c, label, err) != 0) {
				closedir(d);
				return c < 0 ? ioc_err(err, "cannot open below '%s': %s", label,
						   strerror(errno)) :
					       -1;
			}
		}
		if (unlinkat(dirfd(d), e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
			closedir(d);
			return ioc_err(err, "cannot remove below '%s': %s", label, strerror(errno));
		}
	}
	closedir(d);
	return 0;
}

/* Removes top/rel without following a symlink anywhere on the way. */
int
ioc_remove_rel(int topfd, const char *rel, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	struct stat st;
	int fd = dup(topfd);
	size_t i;
	ioc_strv_split(&parts, rel, '/');
	for (i = 0; fd >= 0 && i + 1 < parts.n; i++) {
		int nfd = openat(fd, parts.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		fd = nfd;
		if (fd < 0) {
			if (e == ENOENT)
				return 0; /* already gone */
			return ioc_err(err, "deletion '%s': cannot go through '%s' (%s)", rel,
			    parts.v[i],
			    e == ELOOP || e == ENOTDIR ? "not a directory or a symlink" :
							 strerror(e));
		}
	}
	if (fd < 0)
		return ioc_err(err, "deletion '%s': %s", rel, strerror(errno));
	if (fstatat(fd, parts.v[parts.n - 1], &st, AT_SYMLINK_NOFOLLOW) != 0) {
		close(fd);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		int c = openat(
		    fd, parts.v[parts.n - 1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (c < 0 || ioc_rm_below(c, rel, err) != 0) {
			close(fd);
			return c < 0 ? ioc_err(err, "deletion '%s': %s", rel, strerror(errno)) : -1;
		}
	}
	if (unlinkat(fd, parts.v[parts.n - 1], S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
		int e = errno;
		close(fd);
		return ioc_err(err, "deletion '%s': %s", rel, strerror(e));
	}
	close(fd);
	return 0;
}

static int
ioc_id_load(la_int64_t id, unsigned long base, unsigned long count, const char *name,
    la_int64_t *out, struct ioc_error **err)
{
	if (id < 0 || (base && (unsigned long long)id >= count))
		return ioc_err(err,
		    "package member '%s': owner id %lld cannot be mapped into the jail", name,
		    (long long)id);
	*out = id + (la_int64_t)base;
	return 0;
}

int
ioc_record_apply_package(int fd, const char *path, const char *top,
    const struct ioc_strv *deletions, unsigned long idbase, unsigned long idcount,
    struct ioc_error **err)
{
	const int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct ioc_pkg_manifest m;
	struct ioc_strv dels2 = IOC_STRV_INIT;
	struct archive *a = NULL, *w = NULL;
	struct archive_entry *e;
	char *relc = NULL;
	int topfd = -1, cwd = -1, rc = -1, r;
	size_t i;

	ioc_pkg_manifest_init(&m);
	topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (topfd < 0 || cwd < 0) {
		ioc_err(err, "cannot open '%s': %s", top, strerror(errno));
		goto out;
	}
	for (i = 0; i < deletions->n; i++)
		if (ioc_remove_rel(topfd, deletions->v[i], err) != 0)
			goto out;
	(void)path;
	if ((a = ioc_pkg_open(fd, err)) == NULL || ioc_pkg_head(a, &m, &dels2, err) != 0)
		goto out;
	/* libarchive extracts relative to the working directory: the jail's root */
	if (fchdir(topfd) != 0) {
		ioc_err(err, "cannot enter '%s': %s", top, strerror(errno));
		goto out;
	}
	w = archive_write_disk_new();
	archive_write_disk_set_options(w, flags);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *hl = archive_entry_hardlink(e);
		const char *rel;
		la_int64_t uid = 0, gid = 0;
		/* our own copy: the entry's name is replaced below, and messages name it */
		free(relc);
		relc = NULL;
		rel = ioc_pkg_rel(archive_entry_pathname(e));
		if (rel == NULL || (hl && ioc_pkg_rel(hl) == NULL)) {
			ioc_err(err, "package member is not a valid path below root/");
			goto out;
		}
		rel = relc = ioc_xstrdup(rel);
		if (ioc_id_load(archive_entry_uid(e), idbase, idcount, rel, &uid, err) != 0 ||
		    ioc_id_load(archive_entry_gid(e), idbase, idcount, rel, &gid, err) != 0)
			goto out;
		archive_entry_set_uid(e, uid);
		archive_entry_set_gid(e, gid);
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		archive_entry_copy_pathname(e, rel);
		if (hl) {
			_cleanup_free_ char *h = ioc_xstrdup(ioc_pkg_rel(hl));
			archive_entry_copy_hardlink(e, h);
		}
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			ioc_err(err, "cannot extract '%s': %s", rel, archive_error_string(w));
			goto out;
		}
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t len;
			la_int64_t off;
			while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK) {
					ioc_err(err, "cannot write '%s': %s", rel,
					    archive_error_string(w));
					goto out;
				}
			if (r != ARCHIVE_EOF) {
				ioc_arch_err(a, "package is truncated or corrupt", err);
				goto out;
			}
		}
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			ioc_err(err, "cannot finish '%s': %s", rel, archive_error_string(w));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		ioc_arch_err(a, "package is truncated or corrupt", err);
		goto out;
	}
	rc = 0;
out:
	rc = ioc_disk_writer_end(w, rc, "extraction", cwd, topfd, err);
	if (a)
		archive_read_free(a);
	ioc_pkg_manifest_release(&m);
	ioc_strv_release(&dels2);
	free(relc);
	return rc;
}

int
ioc_record_is_package(const char *path)
{
	size_t n = strlen(path), sl = strlen(IOC_PKG_SUFFIX);
	struct archive *a;
	struct archive_entry *e;
	struct stat st;
	int fd, yes = 0;
	if (n > sl && strcmp(path + n - sl, IOC_PKG_SUFFIX) == 0)
		return 1;
	/* only a regular file is opened: a FIFO's writer must not lose its reader */
	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		a = archive_read_new();
		archive_read_support_filter_xz(a);
		archive_read_support_format_tar(a);
		if (archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK &&
		    archive_read_next_header(a, &e) == ARCHIVE_OK && archive_entry_pathname(e) &&
		    strcmp(archive_entry_pathname(e), "+PACKAGE") == 0)
			yes = 1;
		archive_read_free(a);
	}
	close(fd);
	return yes;
}
