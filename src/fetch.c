/* fetch.c — hardened archive extraction and id shifting for releases. */
#include "fetch.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refuses entry names that could leave dest: absolute, or with a '..' component. */
static int
ioc_fetch_name_ok(const char *name)
{
	const char *p = name;
	if (name == NULL || *name == '\0' || name[0] == '/')
		return 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 1;
}

/* True when a directory component of name (relative to the cwd) is a symlink. */
static int
ioc_fetch_through_symlink(const char *name)
{
	_cleanup_free_ char *p = ioc_xstrdup(name);
	char *s;
	struct stat st;
	for (s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			return 1;
		*s = '/';
	}
	return 0;
}

int
ioc_fetch_extract(const char *archive, const char *dest, int progress,
    struct ioc_error **err)
{
	struct archive *a = archive_read_new();
	struct archive *w = archive_write_disk_new();
	struct archive_entry *ent;
	int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK;
	int rc = 0, r, cwd;
	unsigned long long files = 0;

	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(dest) != 0) {
		rc = ioc_err(err, "cannot enter '%s': %s", dest, strerror(errno));
		goto out;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_write_disk_set_options(w, flags);
	archive_write_disk_set_standard_lookup(w);
	if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
		rc = ioc_err(err, "cannot read archive '%s': %s", archive, archive_error_string(a));
		goto out;
	}
	for (;;) {
		const char *name, *hl;
		r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = ioc_err(err, "broken archive '%s': %s", archive, archive_error_string(a));
			goto out;
		}
		name = archive_entry_pathname(ent);
		/* "./" prefixes are fine; the root entry itself is skipped */
		while (name && name[0] == '.' && name[1] == '/')
			name += 2;
		if (name && (strcmp(name, ".") == 0 || *name == '\0'))
			continue;
		if (!ioc_fetch_name_ok(name)) {
			rc = ioc_err(err, "refusing archive '%s': entry '%s' would land outside the release",
			    archive, ioc_has_ctrl(name ? name : "") ? "(unprintable)" : name);
			goto out;
		}
		if (ioc_fetch_through_symlink(name)) {
			rc = ioc_err(err, "refusing archive '%s': entry '%s' would be written through a symbolic link",
			    archive, name);
			goto out;
		}
		archive_entry_set_pathname(ent, name);
		hl = archive_entry_hardlink(ent);
		if (hl) {
			while (hl[0] == '.' && hl[1] == '/')
				hl += 2;
			if (!ioc_fetch_name_ok(hl)) {
				rc = ioc_err(err, "refusing archive '%s': hard link '%s' points outside the release",
				    archive, name);
				goto out;
			}
			archive_entry_set_hardlink(ent, hl);
		}
		r = archive_read_extract2(a, ent, w);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = ioc_err(err, "cannot extract '%s' from '%s': %s", name, archive,
			    archive_error_string(w) ? archive_error_string(w) : archive_error_string(a));
			goto out;
		}
		files++;
		if (progress && files % 500 == 0)
			fprintf(stderr, "\rextracting: %llu files", files);
	}
	if (progress)
		fprintf(stderr, "\rextracting: %llu files, done\n", files);
	if (files == 0)
		rc = ioc_err(err, "archive '%s' holds no files", archive);
out:
	archive_read_free(a);
	archive_write_free(w);
	if (cwd >= 0) {
		if (fchdir(cwd) != 0 && rc == 0)
			rc = ioc_err(err, "cannot return to the working directory");
		close(cwd);
	}
	return rc;
}

static unsigned long ioc_shift_base, ioc_shift_count;
static struct ioc_error **ioc_shift_err;
/* inodes with several names, shifted once only */
static struct { dev_t dev; ino_t ino; } *ioc_shift_seen;
static size_t ioc_shift_nseen;

static int
ioc_shift_once(const struct stat *st)
{
	size_t i;
	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return 1;
	for (i = 0; i < ioc_shift_nseen; i++)
		if (ioc_shift_seen[i].dev == st->st_dev && ioc_shift_seen[i].ino == st->st_ino)
			return 0;
	ioc_shift_seen = ioc_xrealloc(ioc_shift_seen, (ioc_shift_nseen + 1) * sizeof(*ioc_shift_seen));
	ioc_shift_seen[ioc_shift_nseen].dev = st->st_dev;
	ioc_shift_seen[ioc_shift_nseen++].ino = st->st_ino;
	return 1;
}

static int
ioc_shift_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)type;
	(void)f;
	if (!ioc_shift_once(st))
		return 0;
	if (st->st_uid >= ioc_shift_count || st->st_gid >= ioc_shift_count) {
		ioc_err(ioc_shift_err, "cannot shift '%s': owner %u:%u is outside the id range 0-%lu",
		    path, (unsigned)st->st_uid, (unsigned)st->st_gid, ioc_shift_count - 1);
		return 1;
	}
	if (lchown(path, (uid_t)(st->st_uid + ioc_shift_base), (gid_t)(st->st_gid + ioc_shift_base)) != 0) {
		ioc_err(ioc_shift_err, "cannot change the owner of '%s': %s", path, strerror(errno));
		return 1;
	}
	/* chown clears set-id bits: put them back (never on symlinks) */
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    chmod(path, st->st_mode & 07777) != 0) {
		ioc_err(ioc_shift_err, "cannot restore the mode of '%s': %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int
ioc_fetch_shift_tree(const char *path, unsigned long base, unsigned long count,
    struct ioc_error **err)
{
	int r;
	ioc_shift_base = base;
	ioc_shift_count = count;
	ioc_shift_err = err;
	ioc_shift_nseen = 0;
	r = nftw(path, ioc_shift_one, 64, FTW_PHYS | FTW_MOUNT);
	free(ioc_shift_seen);
	ioc_shift_seen = NULL;
	ioc_shift_nseen = 0;
	if (r != 0)
		return err && *err ? -1 : ioc_err(err, "cannot walk '%s': %s", path, strerror(errno));
	return 0;
}
