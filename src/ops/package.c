/*
 * package.c — differential packages (ops.h): `record start|stop`,
 * `package`, and `import PACKAGE` (import's when the file is a package).
 *
 * record start/stop snapshot the jail's root (@ioc-record-start/-stop) and
 * note it in the read-only property `record`.  package clones both snapshots
 * read-only under R/packages (work-UUID-start, work-UUID-stop), compares
 * the trees (record.h), writes R/packages/TAG-DATE.iocpkg and its .sha256,
 * and destroys the clones; clones left by a killed run are destroyed by the
 * next record or package (both hold the root lock).
 */
#include "ops/ops.h"
#include "core/tagidx.h"
#include "image/record.h"
#include "core/props.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* R/jails/UUID/root@NAME */
static char *
ioc_rec_snap(const struct ioc_jail *j, const char *name)
{
	return ioc_xasprintf("%s/root@%s", j->dataset, name);
}

/* Destroys work clones left under R/packages by an interrupted package (root lock held). */
static int
ioc_rec_sweep(const struct ioc_root *root, struct ioc_error **err)
{
	return ioc_record_sweep(root, NULL, NULL, err);
}

/* Removes the partial archives (IOC_PKG_PARTIAL*) of killed runs from dir (root lock held). */
static void
ioc_rec_sweep_partial(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (ioc_startswith(e->d_name, IOC_PKG_PARTIAL))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* The id shift of a release (release_idmap "BASE:COUNT"; 0 when none). */
static int
ioc_rel_idmap(const struct ioc_root *root, const char *rel, unsigned long *base,
    unsigned long *count, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/releases/%s", root->name, rel);
	_cleanup_free_ char *v = NULL;
	long long b, c;
	char *colon;
	*base = 0;
	*count = 0;
	if (ioc_zfs_get1(ds, IOC_PROP_PREFIX "release_idmap", &v, err) != 0)
		return -1;
	if (v == NULL || strcmp(v, "-") == 0 || strcmp(v, "none") == 0)
		return 0;
	colon = strchr(v, ':');
	if (colon == NULL)
		return ioc_err(err, "release '%s' has an invalid release_idmap '%s'", rel, v);
	*colon = '\0';
	if (ioc_parse_ll(v, 0, 1LL << 32, &b) != 0 ||
	    ioc_parse_ll(colon + 1, 1, 1LL << 32, &c) != 0)
		return ioc_err(err, "release '%s' has an invalid release_idmap", rel);
	*base = (unsigned long)b;
	*count = (unsigned long)c;
	return 0;
}

int
ioc_jail_record(const struct ioc_root *root, struct ioc_jail *j, int start, int *discarded,
    struct ioc_error **err)
{
	_cleanup_free_ char *s1 = NULL;
	_cleanup_free_ char *s2 = NULL;
	_cleanup_free_ char *now = NULL;
	_cleanup_free_ char *note = NULL;
	const char *tag = ioc_jail_get(j, "tag");
	int rc = -1, lockfd = -1, has1, has2;

	*discarded = 0;
	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(
		    err, "'%s' is a template: record changes on a jail made from it", tag);
	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0)
		goto out;
	s1 = ioc_rec_snap(j, IOC_RECORD_START);
	s2 = ioc_rec_snap(j, IOC_RECORD_STOP);
	has1 = ioc_zfs_exists(s1);
	has2 = ioc_zfs_exists(s2);
	now = ioc_now_fmt("%Y-%m-%dT%H:%M:%SZ");
	if (start) {
		if (has1 && !has2) {
			ioc_err(err, "'%s' is already recording ('iocage record stop %s' ends it)",
			    tag, tag);
			goto out;
		}
		/* a finished recording is replaced: its snapshots go (and any clone of them) */
		if (ioc_rec_sweep(root, err) != 0 || (has2 && ioc_zfs_destroy(s2, 0, err) != 0) ||
		    (has1 && ioc_zfs_destroy(s1, 0, err) != 0))
			goto out;
		if (ioc_zfs_snapshot(s1, 0, err) != 0)
			goto out;
		note = ioc_xasprintf("started %s", now);
		if (ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "record", note, err) != 0)
			goto out;
		*discarded = has1;
	} else {
		if (!has1) {
			ioc_err(err, "'%s' is not recording ('iocage record start %s' begins)", tag,
			    tag);
			goto out;
		}
		if (has2) {
			ioc_err(err,
			    "the recording of '%s' is already stopped ('iocage package %s' writes "
			    "it; 'iocage record start %s' begins a new one)",
			    tag, tag, tag);
			goto out;
		}
		if (ioc_zfs_snapshot(s2, 0, err) != 0)
			goto out;
		note = ioc_xasprintf("stopped %s", now);
		if (ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "record", note, err) != 0)
			goto out;
	}
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* Clones snap read-only as R/packages/work-UUID-WHICH; *mnt gets its mountpoint. */
static int
ioc_rec_clone(const struct ioc_root *root, const struct ioc_jail *j, const char *snap,
    const char *which, char **ds, char **mnt, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT;
	_cleanup_free_ char *mounted = NULL;
	*ds = ioc_xasprintf("%s/packages/work-%s-%s", root->name, j->uuid, which);
	*mnt = NULL;
	ioc_strv_push(&props, "readonly=on");
	if (ioc_zfs_clone(snap, *ds, &props, err) != 0) {
		free(*ds);
		*ds = NULL;
		return -1;
	}
	if (ioc_zfs_get1(*ds, "mounted", &mounted, err) != 0)
		return -1;
	if (mounted == NULL || strcmp(mounted, "yes") != 0) {
		if (ioc_zfs_mount(*ds, err) != 0)
			return -1;
	}
	if (ioc_zfs_get1(*ds, "mountpoint", mnt, err) != 0)
		return -1;
	if (*mnt == NULL || (*mnt)[0] != '/')
		return ioc_err(err, "'%s' has no mountpoint", *ds);
	return 0;
}

void
ioc_package_result_release(struct ioc_package_result *r)
{
	free(r->path);
	memset(r, 0, sizeof(*r));
}

int
ioc_jail_package(const struct ioc_root *root, struct ioc_jail *j, struct ioc_package_result *res,
    struct ioc_error **err)
{
	struct ioc_tree_diff d;
	struct ioc_pkg_manifest m;
	_cleanup_free_ char *s1 = NULL;
	_cleanup_free_ char *s2 = NULL;
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *stamp = NULL;
	char *ds1 = NULL, *ds2 = NULL, *mnt1 = NULL, *mnt2 = NULL;
	unsigned long base, count;
	const char *tag, *rel;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	ioc_tree_diff_init(&d);
	ioc_pkg_manifest_init(&m);
	tag = ioc_jail_get(j, "tag");
	rel = ioc_jail_get(j, "release");
	s1 = ioc_rec_snap(j, IOC_RECORD_START);
	s2 = ioc_rec_snap(j, IOC_RECORD_STOP);
	if (!ioc_zfs_exists(s1)) {
		ioc_err(err,
		    "'%s' has no recording: 'iocage record start %s', change the jail, "
		    "'iocage record stop %s', then package it",
		    tag, tag, tag);
		goto out;
	}
	if (!ioc_zfs_exists(s2)) {
		ioc_err(err, "'%s' is still recording: 'iocage record stop %s' first", tag, tag);
		goto out;
	}
	if (strcmp(rel, "none") == 0) {
		ioc_err(err,
		    "'%s' has no release (an empty jail): a package deploys onto a jail of "
		    "the release it was recorded on",
		    tag);
		goto out;
	}
	if (ioc_rel_idmap(root, rel, &base, &count, err) != 0 ||
	    ioc_root_store_dir(root, "packages", &dir, err) != 0 || ioc_rec_sweep(root, err) != 0)
		goto out;
	ioc_rec_sweep_partial(dir);
	if (ioc_rec_clone(root, j, s1, "start", &ds1, &mnt1, err) != 0 ||
	    ioc_rec_clone(root, j, s2, "stop", &ds2, &mnt2, err) != 0)
		goto out;
	{
		_cleanup_free_ char *cr = NULL;
		long long since = 0;
		if (ioc_zfs_get1(s1, "creation", &cr, err) != 0)
			goto out;
		if (cr)
			ioc_parse_ll(cr, 0, 1LL << 40, &since);
		if (ioc_record_diff(mnt1, mnt2, (time_t)since, &d, err) != 0)
			goto out;
	}
	stamp = ioc_now_fmt("%Y%m%d-%H%M%S");
	name = ioc_xasprintf("%s-%s" IOC_PKG_SUFFIX, tag, stamp);
	m.release = ioc_xstrdup(rel);
	m.uuid = ioc_xstrdup(j->uuid);
	m.tag = ioc_xstrdup(tag);
	m.created = ioc_now_fmt("%Y-%m-%dT%H:%M:%SZ");
	if (ioc_record_write_package(mnt2, &d, &m, base, count, dir, name, res->sha256, err) != 0)
		goto out;
	res->path = ioc_xasprintf("%s/%s", dir, name);
	res->changed = d.changed.n;
	res->deleted = d.deleted.n;
	rc = 0;
out : {
	/* the work clones never outlive the command (a kill leaves them to the next sweep) */
	struct ioc_error *e2 = NULL;
	if (ds2 && ioc_zfs_destroy(ds2, 1, rc == 0 ? err : &e2) != 0)
		rc = -1;
	if (ds1 && ioc_zfs_destroy(ds1, 1, rc == 0 ? err : &e2) != 0)
		rc = -1;
	ioc_error_free(e2);
}
	free(ds1);
	free(ds2);
	free(mnt1);
	free(mnt2);
	ioc_tree_diff_release(&d);
	ioc_pkg_manifest_release(&m);
	return rc;
}

/* Mountpoint of a new jail's root dataset R/jails/UUID/root (mounted). */
static int
ioc_newjail_rootfs(
    const struct ioc_root *root, const char *uuid, char **mnt, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s/root", root->name, uuid);
	_cleanup_free_ char *mounted = NULL;
	*mnt = NULL;
	if (ioc_zfs_get1(ds, "mounted", &mounted, err) != 0)
		return -1;
	if ((mounted == NULL || strcmp(mounted, "yes") != 0) && ioc_zfs_mount(ds, err) != 0)
		return -1;
	if (ioc_zfs_get1(ds, "mountpoint", mnt, err) != 0)
		return -1;
	if (*mnt == NULL || (*mnt)[0] != '/') {
		free(*mnt);
		*mnt = NULL;
		return ioc_err(err, "the new jail's root '%s' is not mounted", ds);
	}
	return 0;
}

/* The command line of a package import checked (*tag: the last tag= given);
 * pkglist= other than none is refused. */
static int
ioc_package_import_args(int nprops, char **props, char **tag, struct ioc_error **err)
{
	int i;
	for (i = 0; i < nprops; i++) {
		const struct ioc_prop *p;
		_cleanup_free_ char *v = NULL;
		if (ioc_prop_parse_assign(props[i], 1, &p, &v, err) != 0)
			return -1;
		if (strcmp(p->name, "tag") == 0) {
			free(*tag);
			*tag = ioc_steal(&v);
		} else if (strcmp(p->name, "pkglist") == 0 && strcmp(v, "none") != 0) {
			return ioc_err(err,
			    "import of a package: pkglist= is not applied (the package "
			    "carries the jail's files): install packages in the new jail afterwards");
		}
	}
	return 0;
}

/*
 * import PACKAGE: everything is checked before anything is made; the thin jail
 * is created without its tag (debris that list never shows), the package is
 * deployed onto it, and setting the tag is the last step: a killed import
 * leaves no jail that list shows, only debris for the next import or clean.
 */
void
ioc_pkgimport_result_release(struct ioc_pkgimport_result *r)
{
	free(r->uuid);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

int
ioc_package_import(const struct ioc_root *root, const char *file, int nprops, char **props,
    struct ioc_pkgimport_result *res, struct ioc_error **err)
{
	struct ioc_pkg_manifest m;
	struct ioc_strv dels = IOC_STRV_INIT;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_assign *as = NULL;
	_cleanup_strv_ struct ioc_strv words = IOC_STRV_INIT;
	_cleanup_free_ char *uuid = NULL;
	size_t nas = 0;
	int legacy = 0;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_free_ char *mnt = NULL;
	_cleanup_free_ char *jailds = NULL;
	_cleanup_close_ int pkgfd = -1;
	unsigned long base, count;
	int i, rc = -1;
	size_t q;

	memset(res, 0, sizeof(*res));
	ioc_pkg_manifest_init(&m);
	/* 1. the command line, then the package (checksum first), before anything is created */
	if (ioc_package_import_args(nprops, props, &tag, err) != 0)
		return -1;
	/* one open file for verify and apply: what was checked is what is deployed */
	if ((pkgfd = ioc_record_open_package(file, err)) < 0 ||
	    ioc_record_verify_package(pkgfd, file, &m, &dels, err) != 0)
		goto out;
	/* test builds: another file put in its place after it was verified */
	if (ioc_fault_swap(file, err) != 0)
		goto out;
	for (i = 0; i < nprops; i++)
		if (strncmp(props[i], "release=", 8) == 0 && strcmp(props[i] + 8, m.release) != 0) {
			ioc_err(err,
			    "release mismatch: the package was recorded on release '%s', not "
			    "'%s' (a package deploys only onto its own release)",
			    m.release, props[i] + 8);
			goto out;
		}
	{
		struct ioc_error *e2 = NULL;
		ioc_release_snapshot(root, m.release, &snap, &e2);
		ioc_error_free(e2);
	}
	if (snap == NULL) {
		ioc_err(err,
		    "release mismatch: the package was recorded on release '%s', which is "
		    "not fetched here ('iocage fetch release=%s' first)",
		    m.release, m.release);
		goto out;
	}
	if (ioc_rel_idmap(root, m.release, &base, &count, err) != 0)
		goto out;
	if (tag == NULL)
		tag = ioc_xstrdup(m.tag);
	if (ioc_jails_load(root, (const char *const[]) { "tag", NULL }, &js, err) != 0)
		goto out;
	for (q = 0; q < js.n; q++)
		if (js.v[q].complete && ioc_streq(ioc_jail_get(&js.v[q], "tag"), tag)) {
			ioc_err(err,
			    "tag '%s' is already used by another jail: import with tag=NEWTAG",
			    tag);
			goto out;
		}
	/* the properties of the new jail, checked as create checks them */
	for (i = 0; i < nprops; i++)
		if (strncmp(props[i], "release=", 8) != 0 && strncmp(props[i], "tag=", 4) != 0)
			ioc_strv_push(&words, props[i]);
	if (ioc_assigns_parse(words.v, words.n, &as, &nas, err) != 0)
		goto out;
	/* 2. act: debris of interrupted commands goes first (root lock held) */
	if (ioc_debris_sweep(root, &js, NULL, err) != 0)
		goto out;
	legacy = js.legacy;
	ioc_jails_release(&js);
	/* a thin jail of the package's release, untagged until the files are in */
	if (ioc_jail_create_untagged(root, m.release, tag, as, nas, &uuid, err) != 0)
		goto out;
	jailds = ioc_xasprintf("%s/jails/%s", root->name, uuid);
	/* 3. deletions, then the files; the tag last */
	if (ioc_newjail_rootfs(root, uuid, &mnt, err) != 0 ||
	    ioc_record_apply_package(pkgfd, file, mnt, &dels, base, count, err) != 0 ||
	    ioc_tagidx_tag_jail(root, uuid, tag, err) != 0)
		goto out;
	/* the jail is complete: nothing below removes it */
	free(jailds);
	jailds = NULL;
	res->uuid = ioc_xstrdup(uuid);
	res->tag = ioc_xstrdup(tag);
	res->files = m.files;
	res->deletions = m.deletions;
	if (ioc_ops_tag_links(root, legacy, uuid, tag, err) != 0) {
		ioc_error_wrap(err, "jail '%s' (%s) imported, but", tag, uuid);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && jailds) {
		/* no half-deployed jails: the new one goes again (a kill leaves it untagged:
		 * debris) */
		struct ioc_error *e2 = NULL;
		if (ioc_zfs_destroy(jailds, 1, &e2) == 0)
			ioc_error_wrap(
			    err, "cannot deploy the package (the new jail was removed again)");
		else
			ioc_error_wrap(err,
			    "cannot deploy the package (the unfinished new jail '%s' is "
			    "debris that 'iocage clean' removes)",
			    jailds);
		ioc_error_free(e2);
	}
	ioc_assigns_free(as, nas);
	ioc_jails_release(&js);
	ioc_pkg_manifest_release(&m);
	ioc_strv_release(&dels);
	return rc;
}
