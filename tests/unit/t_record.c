/*
 * t_record.c — differential packages without ZFS: the manifest and path
 * parsers, the tree comparison, and a package written, verified and deployed
 * between real directories; hostile packages are refused.
 */
#include "image/record.h"
#include "util/sha256.h"

#include "util/archive_dl.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Verify and apply as the import does: one open file for both. */
static int
vpkg(const char *p, struct ioc_pkg_manifest *m, struct ioc_strv *d, struct ioc_error **e)
{
	int fd = ioc_record_open_package(p, e), rc;
	if (fd < 0) {
		ioc_pkg_manifest_init(m);
		return -1;
	}
	rc = ioc_record_verify_package(fd, p, m, d, e);
	close(fd);
	return rc;
}

static int
apkg(const char *p, const char *top, const struct ioc_strv *d, unsigned long b, unsigned long c,
    struct ioc_error **e)
{
	int fd = ioc_record_open_package(p, e), rc;
	if (fd < 0)
		return -1;
	rc = ioc_record_apply_package(fd, p, top, d, b, c, e);
	close(fd);
	return rc;
}

static int failures;

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                               \
		}                                                                 \
	} while (0)

static void
put(const char *dir, const char *rel, const char *data, int mode)
{
	char *p = ioc_xasprintf("%s/%s", dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror(p);
		exit(2);
	}
	close(fd);
	chmod(p, (mode_t)mode);
	utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
	free(p);
}

static void
mkd(const char *dir, const char *rel)
{
	char *p = ioc_xasprintf("%s/%s", dir, rel);
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		perror(p);
		exit(2);
	}
	free(p);
}

static void
lnk(const char *dir, const char *rel, const char *target)
{
	char *p = ioc_xasprintf("%s/%s", dir, rel);
	if (symlink(target, p) != 0) {
		perror(p);
		exit(2);
	}
	free(p);
}

static char *
slurp(const char *dir, const char *rel)
{
	char *p = ioc_xasprintf("%s/%s", dir, rel);
	char *out = NULL;
	size_t n;
	if (ioc_read_file(p, 1 << 20, &out, &n, NULL) != 0)
		out = NULL;
	free(p);
	return out;
}

/* The tree every test starts from. */
static void
build_old(const char *d)
{
	mkdir(d, 0755);
	mkd(d, "a");
	put(d, "a/keep", "keep\n", 0644);
	put(d, "a/mod", "1\n", 0644);
	put(d, "a/gone", "bye\n", 0644);
	mkd(d, "d");
	mkd(d, "d/sub");
	put(d, "d/sub/x", "x\n", 0644);
	lnk(d, "link", "a/keep");
	put(d, "t", "file then dir\n", 0644);
	put(d, "same", "unchanged\n", 0600);
}

static int
has(const struct ioc_strv *v, const char *s)
{
	return ioc_strv_contains(v, s);
}

static void
test_parsers(void)
{
	struct ioc_pkg_manifest m, m2;
	struct ioc_strv dels = IOC_STRV_INIT;
	struct ioc_error *e = NULL;
	char *t, *esc;
	ioc_pkg_manifest_init(&m);
	m.release = ioc_xstrdup("bookworm");
	m.uuid = ioc_xstrdup("0b6c2f1e-1111-4222-8333-444455556666");
	m.tag = ioc_xstrdup("web");
	m.created = ioc_xstrdup("2026-01-02T03:04:05Z");
	m.files = 3;
	m.deletions = 1;
	t = ioc_pkg_manifest_format(&m);
	CHECK(ioc_pkg_manifest_parse(t, strlen(t), &m2, NULL) == 0);
	CHECK(strcmp(m2.release, "bookworm") == 0 && m2.files == 3 && m2.deletions == 1);
	ioc_pkg_manifest_release(&m2);
	/* a changed header, a bad release, an extra line, a missing newline */
	t[0] = 'X';
	CHECK(ioc_pkg_manifest_parse(t, strlen(t), &m2, &e) != 0 && e && strstr(e->msg, "line 1"));
	ioc_error_free(e);
	e = NULL;
	free(t);
	t = ioc_xstrdup("iocage-package 1\nrelease ../x\nuuid 0b6c2f1e-1111-4222-8333-444455556666\n"
	    "tag web\ncreated 2026-01-02T03:04:05Z\nfiles 1\ndeletions 0\n");
	CHECK(ioc_pkg_manifest_parse(t, strlen(t), &m2, &e) != 0 && strstr(e->msg, "line 2"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_pkg_manifest_parse(t, strlen(t) - 1, &m2, NULL) != 0);
	free(t);
	ioc_pkg_manifest_release(&m);

	CHECK(ioc_record_valid_relpath("etc/hosts", 9));
	CHECK(!ioc_record_valid_relpath("/etc", 4));
	CHECK(!ioc_record_valid_relpath("a/../b", 6));
	CHECK(!ioc_record_valid_relpath("a//b", 4));
	CHECK(!ioc_record_valid_relpath("./a", 3));
	CHECK(!ioc_record_valid_relpath("..", 2));
	CHECK(!ioc_record_valid_relpath("", 0));
	CHECK(ioc_record_valid_relpath("a/..b/c", 7));

	esc = ioc_record_escape("we\\ird\nna\tme\x01");
	CHECK(strcmp(esc, "we\\\\ird\\nna\\tme\\x01") == 0);
	t = ioc_xasprintf("%s\netc/x\n", esc);
	CHECK(ioc_record_parse_deletions(t, strlen(t), &dels, NULL) == 0 && dels.n == 2 &&
	    strcmp(dels.v[0], "we\\ird\nna\tme\x01") == 0);
	free(t);
	free(esc);
	ioc_strv_release(&dels);
	t = ioc_xstrdup("etc/../../x\n");
	CHECK(ioc_record_parse_deletions(t, strlen(t), &dels, NULL) != 0);
	free(t);
	ioc_strv_release(&dels);
	t = ioc_xstrdup("a\na\n");
	CHECK(ioc_record_parse_deletions(t, strlen(t), &dels, NULL) != 0);
	free(t);
	ioc_strv_release(&dels);
	t = ioc_xstrdup("a\\x00b\n");
	CHECK(ioc_record_parse_deletions(t, strlen(t), &dels, NULL) != 0);
	free(t);
	ioc_strv_release(&dels);
}

/* Compares what a user sees: type, mode, owner, content, link target. */
static void
check_same(const char *a, const char *b, const char *rel)
{
	char *pa = ioc_xasprintf("%s/%s", a, rel), *pb = ioc_xasprintf("%s/%s", b, rel);
	struct stat sa, sb;
	int ok = lstat(pa, &sa) == 0 && lstat(pb, &sb) == 0 && sa.st_mode == sb.st_mode &&
	    sa.st_uid == sb.st_uid && sa.st_gid == sb.st_gid;
	if (ok && S_ISREG(sa.st_mode)) {
		char *x = slurp(a, rel), *y = slurp(b, rel);
		ok = x && y && strcmp(x, y) == 0 && sa.st_mtime == sb.st_mtime;
		free(x);
		free(y);
	}
	if (!ok) {
		fprintf(stderr, "differs: %s\n", rel);
		failures++;
	}
	free(pa);
	free(pb);
}

static void
test_roundtrip(const char *base)
{
	char *old = ioc_xasprintf("%s/old", base), *new = ioc_xasprintf("%s/new", base);
	char *tgt = ioc_xasprintf("%s/target", base), *out = ioc_xasprintf("%s/out", base);
	char *pkg = ioc_xasprintf("%s/pkg.iocpkg", out);
	struct ioc_tree_diff d;
	struct ioc_pkg_manifest m, m2;
	struct ioc_strv dels = IOC_STRV_INIT;
	struct ioc_error *e = NULL;
	char hex[65];
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char *p;
	int xattrs;

	build_old(old);
	build_old(new);
	build_old(tgt);
	mkdir(out, 0755);
	/* the changes */
	put(new, "a/mod", "2\n", 0644); /* same size, same mtime: only ctime and content differ */
	p = ioc_xasprintf("%s/a/gone", new);
	unlink(p);
	free(p);
	p = ioc_xasprintf("%s/d/sub/x", new);
	unlink(p);
	free(p);
	p = ioc_xasprintf("%s/d/sub", new);
	rmdir(p);
	free(p);
	p = ioc_xasprintf("%s/d", new);
	rmdir(p);
	free(p);
	mkd(new, "n");
	put(new, "n/new", "new file\n", 0640);
	p = ioc_xasprintf("%s/a/keep", new);
	chmod(p, 0600);
	xattrs = lsetxattr(p, "user.ioc", "v1", 2, 0) == 0;
	utimensat(AT_FDCWD, p, ts, 0);
	free(p);
	p = ioc_xasprintf("%s/link", new);
	unlink(p);
	free(p);
	lnk(new, "link", "a/mod");
	p = ioc_xasprintf("%s/t", new);
	unlink(p);
	free(p);
	mkd(new, "t");
	put(new, "t/in", "in\n", 0644);
	p = ioc_xasprintf("%s/same", new);
	chmod(p, 0644); /* touched and back: ctime differs, nothing else */
	chmod(p, 0600);
	free(p);

	ioc_tree_diff_init(&d);
	CHECK(ioc_record_diff(old, new, 0, &d, &e) == 0);

	CHECK(has(&d.changed, "a/mod") && has(&d.changed, "a/keep") && has(&d.changed, "link"));
	CHECK(has(&d.changed, "n") && has(&d.changed, "n/new") && has(&d.changed, "t") &&
	    has(&d.changed, "t/in"));
	CHECK(!has(&d.changed, "same") && !has(&d.changed, "a") && !has(&d.changed, "a/gone"));
	CHECK(d.changed.n == 7);
	CHECK(has(&d.deleted, "a/gone") && has(&d.deleted, "d") && has(&d.deleted, "t") &&
	    d.deleted.n == 3);
	/* parents before children */
	{
		size_t i, in = 0, inn = 0;
		for (i = 0; i < d.changed.n; i++) {
			if (strcmp(d.changed.v[i], "n") == 0)
				in = i;
			if (strcmp(d.changed.v[i], "n/new") == 0)
				inn = i;
		}
		CHECK(in < inn);
	}

	ioc_pkg_manifest_init(&m);
	m.release = ioc_xstrdup("bb");
	m.uuid = ioc_xstrdup("0b6c2f1e-1111-4222-8333-444455556666");
	m.tag = ioc_xstrdup("web");
	m.created = ioc_xstrdup("2026-01-02T03:04:05Z");
	CHECK(ioc_record_write_package(new, &d, &m, 0, 0, out, "pkg.iocpkg", hex, &e) == 0);
	if (e) {
		fprintf(stderr, "%s\n", e->msg);
		ioc_error_free(e);
		e = NULL;
	}
	{
		char h2[65];
		CHECK(ioc_sha256_file(pkg, h2) == 0 && strcmp(h2, hex) == 0);
	}
	CHECK(ioc_record_is_package(pkg));
	CHECK(vpkg(pkg, &m2, &dels, &e) == 0);
	if (e) {
		fprintf(stderr, "%s\n", e->msg);
		ioc_error_free(e);
		e = NULL;
	}
	CHECK(m2.files == 7 && m2.deletions == 3 && dels.n == 3);
	CHECK(apkg(pkg, tgt, &dels, 0, 0, &e) == 0);
	if (e) {
		fprintf(stderr, "%s\n", e->msg);
		ioc_error_free(e);
		e = NULL;
	}
	check_same(new, tgt, "a/keep");
	check_same(new, tgt, "a/mod");
	check_same(new, tgt, "n/new");
	check_same(new, tgt, "t/in");
	check_same(new, tgt, "same");
	{
		char buf[64];
		ssize_t n;
		p = ioc_xasprintf("%s/link", tgt);
		n = readlink(p, buf, sizeof(buf) - 1);
		CHECK(n == 5 && memcmp(buf, "a/mod", 5) == 0);
		free(p);
		p = ioc_xasprintf("%s/a/gone", tgt);
		CHECK(access(p, F_OK) != 0);
		free(p);
		p = ioc_xasprintf("%s/d", tgt);
		CHECK(access(p, F_OK) != 0);
		free(p);
		if (xattrs) {
			p = ioc_xasprintf("%s/a/keep", tgt);
			n = lgetxattr(p, "user.ioc", buf, sizeof(buf));
			CHECK(n == 2 && memcmp(buf, "v1", 2) == 0);
			free(p);
		}
	}
	/* owners: stored relative to the shift, deployed with the target's */
	{
		struct stat st;
		static const char *const shifted[] = { "a/keep", "a/mod", "link", "n", "t", "t/in", NULL };
		size_t q;
		for (q = 0; shifted[q]; q++) {
			p = ioc_xasprintf("%s/%s", new, shifted[q]);
			CHECK(lchown(p, 100000, 100000) == 0);
			free(p);
		}
		p = ioc_xasprintf("%s/n/new", new);
		CHECK(lchown(p, 100005, 100007) == 0);
		free(p);
		ioc_tree_diff_release(&d);
		ioc_tree_diff_init(&d);
		CHECK(ioc_record_diff(old, new, 0, &d, NULL) == 0);
		CHECK(ioc_record_write_package(new, &d, &m, 100000, 65536, out, "pkg2.iocpkg", hex, NULL) == 0);
		ioc_pkg_manifest_release(&m2);
		ioc_strv_release(&dels);
		p = ioc_xasprintf("%s/pkg2.iocpkg", out);
		CHECK(vpkg(p, &m2, &dels, NULL) == 0);
		free(p);
		p = ioc_xasprintf("%s/a/keep", new);
		lchown(p, 5, 5); /* outside the range: refused */
		free(p);
		ioc_tree_diff_release(&d);
		ioc_tree_diff_init(&d);
		CHECK(ioc_record_diff(old, new, 0, &d, NULL) == 0);
		CHECK(ioc_record_write_package(new, &d, &m, 100000, 65536, out, "pkg3.iocpkg", hex, &e) != 0);
		CHECK(e && strstr(e->msg, "outside the jail's id range"));
		ioc_error_free(e);
		e = NULL;
		p = ioc_xasprintf("%s/pkg2.iocpkg", out);
		CHECK(apkg(p, tgt, &dels, 200000, 65536, NULL) == 0);
		free(p);
		p = ioc_xasprintf("%s/n/new", tgt);
		CHECK(lstat(p, &st) == 0 && st.st_uid == 200005 && st.st_gid == 200007);
		free(p);
	}
	ioc_pkg_manifest_release(&m);
	ioc_pkg_manifest_release(&m2);
	ioc_strv_release(&dels);
	ioc_tree_diff_release(&d);
	free(old);
	free(new);
	free(tgt);
	free(out);
	free(pkg);
}

/* Writes a package by hand: members as given, and its .sha256. */
static void
forge(const char *path, const char *const *names, const char *const *data, int n)
{
	struct archive *a = archive_write_new();
	char hex[65], *sum, *line;
	int i;
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_xz(a);
	archive_write_open_filename(a, path);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		if (data[i] && strncmp(data[i], "->", 2) == 0) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, data[i] + 2);
			archive_entry_set_perm(e, 0777);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, data[i] ? (la_int64_t)strlen(data[i]) : 0);
		}
		archive_write_header(a, e);
		if (data[i] && strncmp(data[i], "->", 2) != 0)
			archive_write_data(a, data[i], strlen(data[i]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	ioc_sha256_file(path, hex);
	sum = ioc_xasprintf("%s.sha256", path);
	line = ioc_xasprintf("%s  x\n", hex);
	ioc_write_file_atomic(sum, line, strlen(line), 0644, NULL);
	free(sum);
	free(line);
}

static const char *const MAN =
    "iocage-package 1\nrelease bb\nuuid 0b6c2f1e-1111-4222-8333-444455556666\ntag web\n"
    "created 2026-01-02T03:04:05Z\nfiles 1\ndeletions %d\n";

static void
test_hostile(const char *base)
{
	char *dir = ioc_xasprintf("%s/hostile", base), *tgt = ioc_xasprintf("%s/htarget", base);
	char *outside = ioc_xasprintf("%s/outside", base);
	char *p = ioc_xasprintf("%s/h.iocpkg", dir);
	char *m0 = ioc_xasprintf(MAN, 0), *m1 = ioc_xasprintf(MAN, 1);
	struct ioc_pkg_manifest m;
	struct ioc_strv dels = IOC_STRV_INIT;
	struct ioc_error *e = NULL;
	mkdir(dir, 0755);
	mkdir(outside, 0755);
	put(outside, "precious", "keep me\n", 0644);
	build_old(tgt);
	lnk(tgt, "esc", outside);

	{ /* '..' in a member */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/../evil" };
		const char *d[] = { m0, "", "x" };
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, &e) != 0 && strstr(e->msg, "below root/"));
		ioc_error_free(e);
		e = NULL;
	}
	{ /* absolute path */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "/etc/evil" };
		const char *d[] = { m0, "", "x" };
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, NULL) != 0);
	}
	{ /* count mismatch (a member dropped) */
		const char *n[] = { "+PACKAGE", "+DELETIONS" };
		const char *d[] = { m0, "" };
		forge(p, n, d, 2);
		CHECK(vpkg(p, &m, &dels, &e) != 0 && strstr(e->msg, "manifest says"));
		ioc_error_free(e);
		e = NULL;
	}
	{ /* tampered after its checksum: refused before anything is read */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/ok" };
		const char *d[] = { m0, "", "fine" };
		int fd;
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, NULL) == 0);
		ioc_pkg_manifest_release(&m);
		ioc_strv_release(&dels);
		fd = open(p, O_WRONLY | O_APPEND);
		CHECK(write(fd, "x", 1) == 1);
		close(fd);
		CHECK(vpkg(p, &m, &dels, &e) != 0 && strstr(e->msg, "checksum mismatch"));
		ioc_error_free(e);
		e = NULL;
	}
	{ /* a file written through a symlink the target has: refused, outside untouched */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/esc/precious" };
		const char *d[] = { m0, "", "owned\n" };
		char *s;
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, NULL) == 0);
		CHECK(apkg(p, tgt, &dels, 0, 0, NULL) != 0);
		s = slurp(outside, "precious");
		CHECK(s && strcmp(s, "keep me\n") == 0);
		free(s);
		ioc_pkg_manifest_release(&m);
		ioc_strv_release(&dels);
	}
	{ /* a deletion through a symlink: refused, outside untouched */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/ok" };
		const char *d[] = { m1, "esc/precious\n", "fine" };
		char *s;
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, NULL) == 0);
		CHECK(apkg(p, tgt, &dels, 0, 0, &e) != 0);
		CHECK(e && strstr(e->msg, "esc"));
		ioc_error_free(e);
		e = NULL;
		s = slurp(outside, "precious");
		CHECK(s && strcmp(s, "keep me\n") == 0);
		free(s);
		ioc_pkg_manifest_release(&m);
		ioc_strv_release(&dels);
	}
	{ /* deleting the symlink itself removes the link, not what it points to */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/ok" };
		const char *d[] = { m1, "esc\n", "fine" };
		char *s;
		forge(p, n, d, 3);
		CHECK(vpkg(p, &m, &dels, NULL) == 0);
		CHECK(apkg(p, tgt, &dels, 0, 0, NULL) == 0);
		s = slurp(outside, "precious");
		CHECK(s && strcmp(s, "keep me\n") == 0);
		free(s);
		s = ioc_xasprintf("%s/esc", tgt);
		CHECK(access(s, F_OK) != 0);
		free(s);
		ioc_pkg_manifest_release(&m);
		ioc_strv_release(&dels);
	}
	{ /* a symlink member pointing out, then a file through it in the same package */
		const char *n[] = { "+PACKAGE", "+DELETIONS", "root/lnk", "root/lnk/precious" };
		char *m2 = ioc_xasprintf(MAN, 0);
		const char *d[] = { NULL, "", NULL, "owned\n" };
		char *s, *tgt2 = ioc_xstrdup(m2);
		char *target = ioc_xasprintf("->%s", outside);
		d[0] = tgt2;
		/* files 2 */
		tgt2[strlen(tgt2) - strlen("files 1\ndeletions 0\n")] = '\0';
		free(m2);
		m2 = ioc_xasprintf("%sfiles 2\ndeletions 0\n", tgt2);
		d[0] = m2;
		d[2] = target;
		forge(p, n, d, 4);
		CHECK(vpkg(p, &m, &dels, NULL) == 0);
		CHECK(apkg(p, tgt, &dels, 0, 0, NULL) != 0);
		s = slurp(outside, "precious");
		CHECK(s && strcmp(s, "keep me\n") == 0);
		free(s);
		free(m2);
		free(tgt2);
		free(target);
		ioc_pkg_manifest_release(&m);
		ioc_strv_release(&dels);
	}
	CHECK(!ioc_record_is_package(outside));
	free(dir);
	free(tgt);
	free(outside);
	free(p);
	free(m0);
	free(m1);
}

int
main(void)
{
	char tmpl[] = "/tmp/t_record.XXXXXX";
	char *base = mkdtemp(tmpl);
	char *argv[] = { "rm", "-rf", NULL, NULL };
	if (base == NULL)
		return 2;
	test_parsers();
	test_roundtrip(base);
	test_hostile(base);
	/* clean up (a test program may start rm; the product never runs a shell) */
	argv[2] = base;
	if (fork() == 0) {
		execv("/bin/rm", argv);
		_exit(127);
	}
	wait(NULL);
	if (failures) {
		fprintf(stderr, "t_record: %d failures\n", failures);
		return 1;
	}
	printf("t_record: ok\n");
	return 0;
}
