/* import_legacy.c — import of the shell iocage's UUID_DATE.tar.xz images and packages onto a jail
 * of this root (ops.h). */
#include "ops/ops.h"
#include "util/archive_dl.h"
#include "core/tagidx.h"
#include "ops/import_int.h"
#include "fetch/fetch.h"
#include "image/image.h"
#include "image/record.h"
#include "spawn/spawn.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		rc =
		    ioc_err(err, "'%s' is corrupt or truncated: %s", file, archive_error_string(a));
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
		if (strcmp(n, "root") == 0 || strcmp(n, "root/") == 0 ||
		    strncmp(n, "root/", 5) == 0)
			root = 1;
		else if (strchr(n, '/') != NULL && strchr(n, '/')[1] != '\0')
			return 0;
	}
	return root;
}

/* The idmap base a new jail's files are shifted by (Linux user namespaces), or 0. */
static unsigned long
ioc_legacy_shift(const struct ioc_root *root, const char *jailds, unsigned long *count)
{
#ifdef __linux__
	char *names[] = { (char *)jailds, NULL };
	struct ioc_zrows rows;
	_cleanup_free_ char *inh = ioc_xasprintf("inherited from %s", root->name);
	const char *userns = "on", *map = "100000:65536";
	unsigned long base = 0;
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_PROP_PREFIX "userns," IOC_PROP_PREFIX "userns_idmap", 0, -1,
		NULL, 0, &rows, NULL) == 0) {
		for (i = 0; i < rows.n; i++) {
			if (strcmp(rows.v[i].source, "local") != 0 &&
			    strcmp(rows.v[i].source, inh) != 0)
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
	(void)root;
	(void)jailds;
	*count = 0;
	return 0;
#endif
}

/* Removes a staging directory of an import (rm -rf -- DIR, argv). */
static int
ioc_rm_stage(const char *stage, struct ioc_error **err)
{
	char *const argv[] = { "rm", "-rf", "--", (char *)stage, NULL };
	return ioc_run_ok(argv, NULL, err);
}

/*
 * Moves the staged tree in sfd into dfd (the new jail's root, a clone of its
 * release), never through a symbolic link of the jail's tree: a directory
 * enters the directory of its name, anything else replaces what has its name
 * (a file, a link: rename(2) replaces the link itself), and an entry that
 * would replace a directory, or a directory that meets a non-directory, is
 * refused.  What is left in sfd is the emptied directories.
 */
static int
ioc_merge_tree(int sfd, int dfd, const char *path, int depth, struct ioc_error **err)
{
	DIR *d;
	struct dirent *e;
	int rc = 0, fd;
	if (depth > 512)
		return ioc_err(err, "'%s': directories nested too deep (more than 512)", path);
	fd = dup(sfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return ioc_err(err, "cannot read the staged '%s': %s", path, strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		_cleanup_free_ char *sub = NULL;
		struct stat ss, ds;
		int have;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = ioc_xasprintf("%s/%s", path, e->d_name);
		if (fstatat(sfd, e->d_name, &ss, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ioc_err(err, "cannot stat the staged '%s': %s", sub, strerror(errno));
			break;
		}
		have = fstatat(dfd, e->d_name, &ds, AT_SYMLINK_NOFOLLOW) == 0;
		if (S_ISDIR(ss.st_mode) && have && S_ISDIR(ds.st_mode)) {
			int a =
			    openat(sfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int b =
			    openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (a < 0 || b < 0)
				rc = ioc_err(err, "cannot open '%s': %s", sub, strerror(errno));
			else
				rc = ioc_merge_tree(a, b, sub, depth + 1, err);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
			continue;
		}
		if (have && (S_ISDIR(ds.st_mode) || S_ISDIR(ss.st_mode)))
			rc = ioc_err(err,
			    "the package's '%s' would replace a %s of the release (refused)", sub,
			    S_ISDIR(ds.st_mode) ? "directory" : "file or link with a directory");
		else if (renameat(sfd, e->d_name, dfd, e->d_name) != 0)
			rc = ioc_err(err, "cannot move '%s' into place: %s", sub, strerror(errno));
	}
	closedir(d);
	return rc;
}

/* The validated overrides but tag and release, for the jail a package is deployed on. */
static struct ioc_assign *
ioc_import_assigns(const struct ioc_import_req *req, size_t *n)
{
	struct ioc_assign *a = ioc_xcalloc(req->n + 1, sizeof(*a));
	size_t i;
	*n = 0;
	for (i = 0; i < req->n; i++) {
		if (strcmp(req->p[i]->name, "tag") == 0 || strcmp(req->p[i]->name, "release") == 0)
			continue;
		a[*n].p = req->p[i];
		a[(*n)++].value = ioc_xstrdup(req->v[i]);
	}
	return a;
}

/*
 * A package of the shell iocage (R/packages/UUID.tar.xz, 1.7.6 lib/ioc-image
 * __package: the recorded files of a jail, root-relative), verified by the
 * caller, deployed as 1.7.6 __import did: onto a new thin jail of the
 * release, the files extracted over it.  Here they are extracted into a
 * staging directory of the new root, shifted into the jail's id range there,
 * and moved into place without following the release's links; the jail is
 * tagged last.  *uuid gets the new jail's UUID.
 */
static int
ioc_import_legacy_pkg(const struct ioc_root *root, const struct ioc_import_req *req,
    const char *rel, const char *tag, int fd, char **uuid, struct ioc_error **err)
{
	_cleanup_free_ char *jailds = NULL;
	_cleanup_free_ char *rootds = NULL;
	_cleanup_free_ char *mounted = NULL;
	_cleanup_free_ char *mp = NULL;
	_cleanup_free_ char *stage = NULL;
	struct ioc_assign *as;
	size_t nas;
	int rc = -1, sfd = -1, dfd = -1;

	free(*uuid);
	*uuid = NULL;
	as = ioc_import_assigns(req, &nas);
	rc = ioc_jail_create_untagged(root, rel, tag, as, nas, uuid, err);
	ioc_assigns_free(as, nas);
	if (rc != 0)
		return -1;
	rc = -1;
	jailds = ioc_xasprintf("%s/jails/%s", root->name, *uuid);
	rootds = ioc_xasprintf("%s/root", jailds);
	if (ioc_zfs_get1(rootds, "mounted", &mounted, err) != 0 ||
	    ((mounted == NULL || strcmp(mounted, "yes") != 0) && ioc_zfs_mount(rootds, err) != 0) ||
	    ioc_zfs_get1(rootds, "mountpoint", &mp, err) != 0)
		goto out;
	if (mp == NULL || mp[0] != '/') {
		ioc_err(err, "'%s' is not mounted", rootds);
		goto out;
	}
	stage = ioc_xasprintf("%s/.ioc-legacy-package", mp);
	if (mkdir(stage, 0700) != 0) {
		ioc_err(err, "cannot create '%s': %s", stage, strerror(errno));
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || ioc_fetch_extract_fd(fd, req->file, stage, err) != 0)
		goto out;
	{
		unsigned long count = 0, shift = ioc_legacy_shift(root, jailds, &count);
		if (shift && ioc_fetch_shift_tree(stage, shift, count, err) != 0)
			goto out;
	}
	sfd = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dfd = open(mp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || dfd < 0) {
		ioc_err(err, "cannot open '%s': %s", mp, strerror(errno));
		goto out;
	}
	if (ioc_merge_tree(sfd, dfd, "", 0, err) != 0)
		goto out;
	/* what is left of the staging tree (emptied directories) goes */
	if (ioc_rm_stage(stage, err) != 0)
		goto out;
	if (ioc_tagidx_tag_jail(root, *uuid, tag, err) != 0)
		goto out;
	rc = 0;
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	if (rc != 0) {
		struct ioc_error *e2 = NULL;
		if (ioc_zfs_destroy(jailds, 1, &e2) == 0)
			ioc_error_wrap(
			    err, "cannot deploy the package (the new jail was removed again)");
		ioc_error_free(e2);
	}
	return rc;
}

/*
 * Opens the shell iocage's image file and checks it against the checksum
 * file beside it (UUID_DATE.sha256); the open file, or -1.
 */
static int
ioc_legacy_open_verified(const char *file, struct ioc_error **err)
{
	_cleanup_free_ char *sumfile = ioc_xasprintf("%.*s.sha256", (int)(strlen(file) - 7), file);
	_cleanup_free_ char *sumtext = NULL;
	char hex[65];
	size_t sl = 0;
	struct stat st;
	int fd;

	if (ioc_read_file(sumfile, 4096, &sumtext, &sl, NULL) != 0)
		return ioc_err(err,
		    "missing checksum file '%s' (the shell iocage wrote one beside "
		    "each image)",
		    ioc_has_ctrl(sumfile) ? "(unprintable)" : sumfile);
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		ioc_err(
		    err, "'%s' is not a regular file", ioc_has_ctrl(file) ? "(unprintable)" : file);
		goto fail;
	}
	if (fd < 0 || ioc_sha256_fd(fd, hex) != 0) {
		ioc_err(err, "cannot read '%s': %s", ioc_has_ctrl(file) ? "(unprintable)" : file,
		    strerror(errno));
		goto fail;
	}
	if (sl < 64 || strncmp(sumtext, hex, 64) != 0 ||
	    (sl > 64 && sumtext[64] != '\n' && sumtext[64] != ' ' && sumtext[64] != '\t')) {
		ioc_err(err, "checksum mismatch: '%s' does not match '%s'", file, sumfile);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * The new jail's UUID (the image's, when this root does not have it) and tag
 * (tag=, else one made of the UUID), which no complete jail may have.
 */
static int
ioc_legacy_identity(const struct ioc_root *root, const struct ioc_import_req *ov,
    const struct ioc_jails *js, const char *base, char **uuid, char **tag, struct ioc_error **err)
{
	const char *want = ioc_override(ov, "tag");
	{
		/* UUID_DATE.tar.xz: keep the UUID when this root does not have it */
		_cleanup_free_ char *u = ioc_xstrndup(base, strcspn(base, "_"));
		*uuid = ioc_is_uuid(u) ? ioc_import_uuid(root, js, u) : ioc_uuid_new();
	}
	if (want)
		*tag = ioc_xstrdup(want);
	else if (strspn(*uuid, "0123456789") >= 8)
		*tag = ioc_xasprintf("j%.8s", *uuid);
	else
		*tag = ioc_xstrndup(*uuid, 8);
	if (ioc_tag_used(js, *tag))
		return ioc_err(err,
		    "tag '%s' is already used by another jail: import with "
		    "tag=NEWTAG",
		    *tag);
	return 0;
}

/*
 * Moves the entries of a jail directory's root/, extracted into stage, up
 * into mp, the new root dataset's mountpoint, then removes the staging tree.
 */
static int
ioc_legacy_lift_root(const char *stage, const char *mp, const char *file, struct ioc_error **err)
{
	/* move root/'s entries up into the dataset; other files (fstab) are not imported */
	_cleanup_free_ char *src = ioc_xasprintf("%s/root", stage);
	DIR *d = opendir(src);
	struct dirent *de;
	if (d == NULL)
		return ioc_err(err, "'%s' has no root directory", file);
	while ((de = readdir(d)) != NULL) {
		_cleanup_free_ char *from = NULL;
		_cleanup_free_ char *to = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		from = ioc_xasprintf("%s/%s", src, de->d_name);
		to = ioc_xasprintf("%s/%s", mp, de->d_name);
		/* the dataset is new: nothing but the staging directory is there */
		if (strcmp(de->d_name, ".ioc-legacy-import") == 0 || rename(from, to) != 0) {
			ioc_err(
			    err, "cannot move '%s' into place: %s", de->d_name, strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	/* what is left of the staging tree goes */
	return ioc_rm_stage(stage, err);
}

/*
 * Makes the jail of a shell iocage image (a jail directory, or a bare root
 * tree) from the verified archive open on fd: R/jails/UUID untagged, its
 * root, the tree extracted and shifted into the jail's id range, the tag set
 * last.  A failure removes the jail again.
 */
static int
ioc_legacy_deploy(const struct ioc_root *root, const char *uuid, const char *tag, const char *rel,
    const struct ioc_strv *zprops, int fd, const char *file, int jaildir, struct ioc_error **err)
{
	_cleanup_free_ char *jailds = ioc_xasprintf("%s/jails/%s", root->name, uuid);
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", jailds);
	_cleanup_free_ char *mp = NULL;
	_cleanup_free_ char *stage = NULL;
	int rc = -1;

	if (ioc_import_quarantine(jailds, "jail", rel ? rel : "none", zprops, err) != 0)
		return -1;
	if (ioc_zfs_create(rootds, NULL, 0, err) != 0 ||
	    ioc_zfs_get1(rootds, "mountpoint", &mp, err) != 0)
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
	if (jaildir && ioc_legacy_lift_root(stage, mp, file, err) != 0)
		goto out;
	{
		unsigned long count = 0, shift = ioc_legacy_shift(root, jailds, &count);
		if (shift && ioc_fetch_shift_tree(mp, shift, count, err) != 0)
			goto out;
	}
	if (ioc_tagidx_tag_jail(root, uuid, tag, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		struct ioc_error *e2 = NULL;
		ioc_zfs_destroy(jailds, 1, &e2);
		ioc_error_free(e2);
	}
	return rc;
}

int
ioc_jail_import_legacy(const struct ioc_root *root, const struct ioc_import_req *ov,
    char **uuid_out, char **tag_out, struct ioc_error **err)
{
	const char *file = ov->file;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv zprops = IOC_STRV_INIT;
	struct ioc_manifest none;
	struct ioc_jails js = { NULL, 0, 0 };
	const char *base, *rel;
	int rc = -1, jaildir, fd;

	ioc_manifest_init(&none);
	/* verify first: checksum file, checksum, archive listing, request; one open file for
	   the checksum, the listing and the extraction: what was verified is what lands */
	fd = ioc_legacy_open_verified(file, err);
	if (fd < 0 || ioc_archive_names(fd, file, &names, err) != 0)
		goto out;
	/* test builds: another file put in its place after it was verified */
	if (ioc_fault_swap(file, err) != 0)
		goto out;
	jaildir = ioc_legacy_is_jaildir(&names);
	if (ioc_jails_load(root, (const char *const[]) { "tag", NULL }, &js, err) != 0)
		goto out;
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	if (ioc_legacy_identity(root, ov, &js, base, &uuid, &tag, err) != 0)
		goto out;
	rel = ioc_override(ov, "release");
	if (ov->legacy_package) {
		/* 1.7.6 __import deployed a package onto a new jail of the default release */
		_cleanup_free_ char *snap = NULL;
		if (rel == NULL) {
			ioc_err(err,
			    "'%s' is a package of the shell iocage, which does not say "
			    "its release: import it with release=REL (the release it was recorded "
			    "on, fetched here)",
			    base);
			goto out;
		}
		if (ioc_release_snapshot(root, rel, &snap, err) != 0)
			goto out;
	}
	none.uuid = ioc_xstrdup(uuid);
	if (ioc_image_plan_props(&none, ov->p, ov->v, ov->n, &zprops, err) != 0)
		goto out;
	/* act */
	if (ioc_clean_debris(root, &js, NULL, err) != 0)
		goto out;
	if (ov->legacy_package)
		rc = ioc_import_legacy_pkg(root, ov, rel, tag, fd, &uuid, err);
	else
		rc = ioc_legacy_deploy(root, uuid, tag, rel, &zprops, fd, file, jaildir, err);
	/* the jail is complete: nothing below removes it */
	if (rc == 0)
		rc = ioc_import_publish(root, &js, uuid, tag, uuid_out, tag_out, err);
out:
	if (fd >= 0)
		close(fd);
	ioc_manifest_release(&none);
	ioc_jails_release(&js);
	return rc;
}
