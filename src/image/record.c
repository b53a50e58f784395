/* record.c — tree comparison and package archives for differential packages (record.h). */
#include "image/record.h"
#include "core/props.h"
#include "util/sha256.h"

#include <archive.h>
#include <archive_entry.h>
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

/* ---- manifest, paths ---- */

void
ioc_pkg_manifest_init(struct ioc_pkg_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
ioc_pkg_manifest_release(struct ioc_pkg_manifest *m)
{
	free(m->release);
	free(m->uuid);
	free(m->tag);
	free(m->created);
	ioc_pkg_manifest_init(m);
}

char *
ioc_pkg_manifest_format(const struct ioc_pkg_manifest *m)
{
	return ioc_xasprintf(IOC_PKG_HEADER "\nrelease %s\nuuid %s\ntag %s\ncreated %s\nfiles %llu\n"
	    "deletions %llu\n", m->release, m->uuid, m->tag, m->created, m->files, m->deletions);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int
ioc_valid_stamp(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	if (strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
			return 0;
	return 1;
}

int
ioc_pkg_manifest_parse(const char *text, size_t len, struct ioc_pkg_manifest *m,
    struct ioc_error **err)
{
	static const char *const keys[] = { NULL, "release", "uuid", "tag", "created", "files",
		"deletions" };
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *t = NULL;
	size_t i;

	ioc_pkg_manifest_init(m);
	if (len > IOC_PKG_MANIFEST_MAX || memchr(text, '\0', len) != NULL)
		return ioc_err(err, "package manifest: too long or not text");
	t = ioc_xstrndup(text, len);
	if (len == 0 || t[len - 1] != '\n')
		return ioc_err(err, "package manifest: must end with a newline");
	t[len - 1] = '\0';
	ioc_strv_split(&lines, t, '\n');
	if (lines.n != 7)
		return ioc_err(err, "package manifest: expected 7 lines, found %zu", lines.n);
	if (strcmp(lines.v[0], IOC_PKG_HEADER) != 0)
		return ioc_err(err, "package manifest line 1: expected '" IOC_PKG_HEADER "'");
	for (i = 1; i < 7; i++) {
		const char *l = lines.v[i], *v;
		size_t kl = strlen(keys[i]);
		long long n;
		if (strncmp(l, keys[i], kl) != 0 || l[kl] != ' ' || ioc_has_ctrl(l)) {
			ioc_pkg_manifest_release(m);
			return ioc_err(err, "package manifest line %zu: expected '%s VALUE'", i + 1, keys[i]);
		}
		v = l + kl + 1;
		switch (i) {
		case 1:
			if (ioc_valid_release(v, err) != 0)
				goto bad;
			m->release = ioc_xstrdup(v);
			break;
		case 2:
			if (!ioc_is_uuid(v)) {
				ioc_err(err, "not a UUID");
				goto bad;
			}
			m->uuid = ioc_xstrdup(v);
			break;
		case 3:
			if (ioc_valid_tag(v, err) != 0)
				goto bad;
			m->tag = ioc_xstrdup(v);
			break;
		case 4:
			if (!ioc_valid_stamp(v)) {
				ioc_err(err, "expected YYYY-MM-DDTHH:MM:SSZ");
				goto bad;
			}
			m->created = ioc_xstrdup(v);
			break;
		default:
			if (ioc_parse_ll(v, 0, 1LL << 40, &n) != 0) {
				ioc_err(err, "expected a count");
				goto bad;
			}
			if (i == 5)
				m->files = (unsigned long long)n;
			else
				m->deletions = (unsigned long long)n;
		}
		continue;
bad:
		ioc_pkg_manifest_release(m);
		return ioc_error_wrap(err, "package manifest line %zu", i + 1);
	}
	return 0;
}

int
ioc_record_valid_relpath(const char *p, size_t len)
{
	size_t i = 0, start;
	if (len == 0 || len > IOC_PKG_PATH_MAX || p[0] == '/' || memchr(p, '\0', len) != NULL)
		return 0;
	while (i <= len) {
		start = i;
		while (i < len && p[i] != '/')
			i++;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
		i++;
	}
	return 1;
}

char *
ioc_record_escape(const char *p)
{
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\')
			ioc_sb_adds(&sb, "\\\\");
		else if (c == '\n')
			ioc_sb_adds(&sb, "\\n");
		else if (c == '\t')
			ioc_sb_adds(&sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			ioc_sb_addf(&sb, "\\x%02x", c);
		else
			ioc_sb_addc(&sb, (char)c);
	}
	return ioc_sb_detach(&sb);
}

static int
ioc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undoes ioc_record_escape on one line; -1 on a bad escape. */
static int
ioc_record_unescape(const char *s, size_t n, struct ioc_sb *out)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			ioc_sb_addc(out, s[i]);
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\': ioc_sb_addc(out, '\\'); break;
		case 'n': ioc_sb_addc(out, '\n'); break;
		case 't': ioc_sb_addc(out, '\t'); break;
		case 'x': {
			int a, b;
			if (i + 2 >= n)
				return -1;
			a = ioc_hexval(s[i + 1]);
			b = ioc_hexval(s[i + 2]);
			if (a < 0 || b < 0 || (a == 0 && b == 0))
				return -1;
			ioc_sb_addc(out, (char)(a * 16 + b));
			i += 2;
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

int
ioc_record_parse_deletions(const char *text, size_t len, struct ioc_strv *out,
    struct ioc_error **err)
{
	size_t pos = 0, line = 0;
	if (len > IOC_PKG_DELETIONS_MAX)
		return ioc_err(err, "package deletions list is too long");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		struct ioc_sb sb = IOC_SB_INIT;
		size_t n;
		line++;
		if (nl == NULL)
			return ioc_err(err, "package deletions line %zu: no final newline", line);
		n = (size_t)(nl - (text + pos));
		ioc_sb_init(&sb);
		if (ioc_record_unescape(text + pos, n, &sb) != 0 ||
		    !ioc_record_valid_relpath(sb.buf, sb.len) || ioc_strv_contains(out, sb.buf)) {
			ioc_sb_release(&sb);
			return ioc_err(err, "package deletions line %zu: not a valid relative path "
			    "(or given twice)", line);
		}
		ioc_strv_push_owned(out, ioc_sb_detach(&sb));
		pos += n + 1;
	}
	return 0;
}

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
				ssize_t la = readlink(of, a, sizeof(a)), lb = readlink(nf, b, sizeof(b));
				differs = la < 0 || la != lb || memcmp(a, b, (size_t)la) != 0;
			}
			if (!differs && S_ISREG(ns.st_mode) &&
			    (os.st_ino != ns.st_ino || os.st_ctim.tv_sec != ns.st_ctim.tv_sec ||
			    os.st_ctim.tv_nsec != ns.st_ctim.tv_nsec || ns.st_ctim.tv_sec + 2 >= w->since)) {
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
ioc_record_diff(const char *old, const char *new, time_t since, struct ioc_tree_diff *d,
    struct ioc_error **err)
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

static int
ioc_arch_err(struct archive *a, const char *what, struct ioc_error **err)
{
	return ioc_err(err, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : "error");
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
		return ioc_err(err, "'%s' is owned by host id %lu, outside the jail's id range %lu:%lu",
		    path, id, base, count);
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
		return ioc_err(err, "'%s' is a device node: packages carry files, directories, links "
		    "and FIFOs, never devices (remove it from the jail, or leave it out)", rel);
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
				ioc_err(err, "cannot read '%s': %s", full, n < 0 ? strerror(errno) : "file shrank");
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
ioc_record_write_package(const char *top, const struct ioc_tree_diff *d,
    struct ioc_pkg_manifest *m, unsigned long idbase, unsigned long idcount, const char *dir,
    const char *name, char hex[65], struct ioc_error **err)
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
	    archive_write_add_filter_xz(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
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
		return ioc_arch_err(a, "package is truncated or corrupt", err);
	}
	buf[sz] = '\0';
	*out = buf;
	*len = (size_t)sz;
	return 0;
}

/* Reads +PACKAGE and +DELETIONS, leaving a at the first root/ member. */
static int
ioc_pkg_head(struct archive *a, struct ioc_pkg_manifest *m, struct ioc_strv *dels,
    struct ioc_error **err)
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
		return ioc_err(err, "cannot read the checksum file '%s' (a package travels with its "
		    ".sha256)", sumf);
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
		ioc_err(err, "checksum mismatch for '%s': expected %s, got %s (the package is corrupt "
		    "or was changed)", path, want, got);
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
			ioc_err(err, "package member '%s' is a device node (refused: a package carries "
			    "files, directories, links and FIFOs)", name);
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
			int c = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (c < 0 || ioc_rm_below(c, label, err) != 0) {
				closedir(d);
				return c < 0 ? ioc_err(err, "cannot open below '%s': %s", label, strerror(errno)) : -1;
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
static int
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
			return ioc_err(err, "deletion '%s': cannot go through '%s' (%s)", rel, parts.v[i],
			    e == ELOOP || e == ENOTDIR ? "not a directory or a symlink" : strerror(e));
		}
	}
	if (fd < 0)
		return ioc_err(err, "deletion '%s': %s", rel, strerror(errno));
	if (fstatat(fd, parts.v[parts.n - 1], &st, AT_SYMLINK_NOFOLLOW) != 0) {
		close(fd);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		int c = openat(fd, parts.v[parts.n - 1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
		return ioc_err(err, "package member '%s': owner id %lld cannot be mapped into the jail",
		    name, (long long)id);
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
					ioc_err(err, "cannot write '%s': %s", rel, archive_error_string(w));
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
	if (archive_write_close(w) != ARCHIVE_OK) {
		ioc_err(err, "cannot finish extraction: %s", archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	if (cwd >= 0) {
		if (fchdir(cwd) != 0 && rc == 0)
			rc = ioc_err(err, "cannot return to the working directory");
		close(cwd);
	}
	if (w)
		archive_write_free(w);
	if (a)
		archive_read_free(a);
	if (topfd >= 0)
		close(topfd);
	ioc_pkg_manifest_release(&m);
	ioc_strv_release(&dels2);
	free(relc);
	return rc;
}

int
ioc_record_copy_tree(const char *src, const struct ioc_tree_diff *d, const char *dest,
    struct ioc_error **err)
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
	if (archive_write_close(w) != ARCHIVE_OK) {
		ioc_err(err, "cannot finish the copy: %s", archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
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
			rc = ioc_err(err, "'%s' is setuid/setgid and owned by host id %lu:%lu, outside "
			    "the jail's id range %lu:%lu", r, (unsigned long)st.st_uid,
			    (unsigned long)st.st_gid, base, count);
		} else if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int sub = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
ioc_tree_refuse_hostile(const char *top, unsigned long base, unsigned long count,
    struct ioc_error **err)
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
