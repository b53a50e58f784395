/*
 * update_jail.c — `update UUID|TAG`, `upgrade UUID|TAG release=NEW` and
 * `update release=REL` (ops.h); the lines they show go to the request's say.
 *
 * A jail: its datasets are snapshotted first (@ioc_update_DATE), then
 * updated — Linux: the release's apt-get inside the jail (started for the
 * update and stopped again if it was not running); FreeBSD: freebsd-update
 * on the host against the jail's root.  A failure rolls every dataset back
 * to the snapshot (stopping the jail for it, starting it again if it ran)
 * and says so; on success the snapshot is kept and named.
 *
 * The snapshot is made carrying IOC_UPDATE_MARK ("up" or "down": whether the
 * jail ran) in the same transaction, and the mark is cleared when the update
 * has finished or has been rolled back.  A mark found later is an update
 * that was interrupted (kill, power loss; the jail lock it held is gone):
 * the next `update` of the jail and `clean` roll the jail back to that
 * snapshot and put it back in its state, so a killed update leaves the jail
 * as it was before, or complete (ops/update.c: the mark, the rollback and
 * the recovery, which clean calls too).
 *
 * A release (Linux): a temporary thin jail of its newest snapshot, made
 * untagged by the create operation (debris that list never shows, swept by
 * the next update release= or clean), is updated the same way; the changes
 * between the release's root and the updated jail's root are copied into
 * the release's root
 * (record.h ioc_record_copy_tree: a clone's incremental stream cannot be
 * received into its origin) and snapshotted as @ioc-release-DATE, so new
 * jails get the update while existing thin jails keep the snapshot they
 * were cloned from (their `origin`).  The release's root is rolled back to
 * its newest snapshot first (a killed run's half copy goes), and the
 * temporary jail is destroyed whatever happens.
 */
#include "ops/ops.h"
#include "engine/engine.h"
#include "image/record.h"
#include "spawn/spawn.h"
#include "engine/update.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The apt-get steps in a running jail. */
static int
ioc_upd_apt(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	int n;
	for (n = 0; n < IOC_UPDATE_APT_STEPS; n++) {
		_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
		ioc_update_apt_argv(n, &a);
		if (ioc_ops_exec_ok(root, j, ioc_strv_argv(&a), err) != 0)
			return -1;
	}
	return 0;
}

/* freebsd-update on the host against the jail's root (ops/update.c); to: upgrade. */
static int
ioc_upd_freebsd(struct ioc_jail *j, const char *to, struct ioc_error **err)
{
	const char *slash = j->rootfs ? strrchr(j->rootfs, '/') : NULL;
	_cleanup_free_ char *dir = NULL;
	if (slash == NULL || slash == j->rootfs)
		return ioc_err(err, "jail '%s' has no mounted root", j->uuid);
	dir = ioc_xstrndup(j->rootfs, (size_t)(slash - j->rootfs));
	if (to)
		return ioc_freebsd_upgrade(j->rootfs, dir, ioc_jail_get(j, "release"), to, err);
	return ioc_freebsd_update(j->rootfs, dir, ioc_jail_get(j, "release"), err);
}

/* Tells req's say the lines an operation collected (a rolled-back interrupted update). */
static void
ioc_upd_notes(const struct ioc_update_req *req, const struct ioc_strv *notes)
{
	size_t i;
	for (i = 0; i < notes->n && req->say; i++)
		req->say(req->say_arg, notes->v[i]);
}

/* A Debian suite's codename (bookworm, trixie): what upgrade switches apt's sources between. */
static int
ioc_upg_codename(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	return n > 0 && n <= 32 && s[n] == '\0';
}

/* The jail's apt source files, as paths inside it (listed without following a link). */
static int
ioc_upg_sources(const char *rootfs, struct ioc_strv *files, struct ioc_error **err)
{
	_cleanup_free_ char *list = ioc_xasprintf("%s/etc/apt/sources.list", rootfs);
	_cleanup_free_ char *dir = ioc_xasprintf("%s/etc/apt/sources.list.d", rootfs);
	struct stat st;
	int fd;
	if (lstat(list, &st) == 0 && S_ISREG(st.st_mode))
		ioc_strv_push(files, "/etc/apt/sources.list");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);
			if (ioc_has_ctrl(de->d_name) || de->d_name[0] == '.' ||
			    !((n > 5 && strcmp(de->d_name + n - 5, ".list") == 0) ||
				(n > 8 && strcmp(de->d_name + n - 8, ".sources") == 0)))
				continue;
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode))
				ioc_strv_pushf(files, "/etc/apt/sources.list.d/%s", de->d_name);
		}
		if (d)
			closedir(d);
		else
			close(fd);
	}
	if (files->n == 0)
		return ioc_err(err,
		    "the jail has no apt sources (/etc/apt/sources.list or "
		    "sources.list.d/*.list, *.sources) to switch to the new suite");
	return 0;
}

/* upgrade in a running Linux jail: the sources switch suite, then apt-get full-upgrade. */
static int
ioc_upg_apt(const struct ioc_root *root, struct ioc_jail *j, const char *to, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv files = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	int n;
	if (ioc_upg_sources(j->rootfs, &files, err) != 0)
		return -1;
	ioc_upgrade_sources_argv(ioc_jail_get(j, "release"), to, &files, &a);
	if (ioc_ops_exec_ok(root, j, ioc_strv_argv(&a), err) != 0)
		return -1;
	for (n = 0; n < IOC_UPDATE_APT_STEPS; n++) {
		_cleanup_strv_ struct ioc_strv b = IOC_STRV_INIT;
		ioc_upgrade_apt_argv(n, &b);
		if (ioc_ops_exec_ok(root, j, ioc_strv_argv(&b), err) != 0)
			return -1;
	}
	return 0;
}

/* What upgrade refuses before it changes anything. */
static int
ioc_upg_check(
    struct ioc_jail *j, const char *name, const char *to, int linux_engine, struct ioc_error **err)
{
	const char *from = ioc_jail_get(j, "release");
	if (ioc_valid_release(to, err) != 0)
		return -1;
	if (strcmp(from, to) == 0)
		return ioc_err(err,
		    "'%s' is of release %s already ('iocage update %s' brings it "
		    "up to date)",
		    name, to, name);
	if (linux_engine && (!ioc_upg_codename(from) || !ioc_upg_codename(to)))
		return ioc_err(err,
		    "upgrade moves a Debian jail from one suite to another by "
		    "their codenames (bookworm to trixie): '%s' to '%s' is not that",
		    from, to);
	return 0;
}

/*
 * Updates a loaded jail (lock held) shown as name, or upgrades it to release
 * to (not NULL); *snapname gets the snapshot taken.  An interrupted earlier
 * update or upgrade is rolled back first.
 */
static int
ioc_upd_jail(const struct ioc_root *root, struct ioc_jail *j, const char *name,
    const struct ioc_update_req *req, char **snapname, struct ioc_error **err)
{
	const char *to = req->to;
	const struct ioc_engine_ops *e = ioc_engine();
	int linux_engine = strcmp(e->name, "freebsd") != 0;
	_cleanup_free_ char *full = NULL;
	_cleanup_strv_ struct ioc_strv sprops = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv notes = IOC_STRV_INIT;
	_cleanup_free_ char *mark = NULL;
	int was_running, started = 0, rc = -1;
	struct ioc_error *why = NULL;

	*snapname = NULL;
	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err,
		    "'%s' is a template: update a jail, or the release ('update release=REL')",
		    name);
	if (strcmp(ioc_jail_get(j, "release"), "none") == 0)
		return ioc_err(err, "'%s' is an empty jail: it has no release to update", name);
	if (j->rootfs == NULL)
		return ioc_err(err, "the root of '%s' is not mounted", name);
	if (linux_engine && !ioc_ops_jail_has(j, "/usr/bin/apt-get"))
		return ioc_err(
		    err, "'%s' has no package manager this host can drive (apt-get)", name);
	if (linux_engine && (e->exec == NULL || e->start == NULL))
		return ioc_err(err, "update: the %s engine cannot run commands in a jail", e->name);
	if (to && ioc_upg_check(j, name, to, linux_engine, err) != 0)
		return -1;
	rc = ioc_update_recover(root, j, name, &notes, err);
	ioc_upd_notes(req, &notes);
	if (rc != 0)
		return -1;
	rc = -1;
	was_running = ioc_ops_running(root, j, err);
	if (was_running < 0)
		return -1;
	*snapname = ioc_now_fmt(to ? IOC_UPGRADE_SNAP_PREFIX "%Y-%m-%d_%H-%M-%S" :
				     IOC_UPDATE_SNAP_PREFIX "%Y-%m-%d_%H-%M-%S");
	full = ioc_xasprintf("%s@%s", j->dataset, *snapname);
	{
		/* a second update within the same second gets its own name */
		_cleanup_free_ char *stem = ioc_xstrdup(*snapname);
		int k;
		for (k = 2; ioc_zfs_exists(full) && k < 100; k++) {
			free(*snapname);
			free(full);
			*snapname = ioc_xasprintf("%s_%d", stem, k);
			full = ioc_xasprintf("%s@%s", j->dataset, *snapname);
		}
	}
	/* the snapshot carries the mark from its first moment: no window without it */
	/* an upgrade's mark names the release the jail goes back to */
	ioc_strv_pushf(&sprops, IOC_UPDATE_MARK "=%s%s%s", was_running ? "up" : "down",
	    to ? " release=" : "", to ? ioc_jail_get(j, "release") : "");
	mark = ioc_xstrdup(strchr(sprops.v[0], '=') + 1);
	if (ioc_zfs_snapshot_props(full, 1, &sprops, err) != 0) {
		free(*snapname);
		*snapname = NULL;
		return ioc_error_wrap(err, "cannot snapshot '%s' before the update", name);
	}
	ioc_sayf(req->say, req->say_arg, "%s: snapshot %s taken", name, *snapname);
	if (linux_engine) {
		if (!was_running) {
			if (e->start(root, j, &why) != 0)
				goto failed;
			started = 1;
		}
		if ((to ? ioc_upg_apt(root, j, to, &why) : ioc_upd_apt(root, j, &why)) != 0)
			goto failed;
		if (started && e->stop(root, j, 0, &why) != 0)
			goto failed;
	} else if (ioc_upd_freebsd(j, to, &why) != 0)
		goto failed;
	/* an upgraded jail names its new release before the mark goes */
	if (to && ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "release", to, &why) != 0)
		goto failed;
	/* done: the mark goes (an update whose mark cannot go is not confirmed) */
	if (ioc_update_unmark(j, *snapname, &why) != 0)
		goto failed;
	return 0;

failed:
	/* back to the snapshot: the jail must be down for the rollback */
	{
		struct ioc_error *e2 = NULL, *es = NULL;
		if (ioc_update_back(root, j, *snapname, was_running, &e2, &es) == 0 &&
		    ioc_update_mark_release(j, mark, &e2) == 0 &&
		    ioc_update_unmark(j, *snapname, &e2) == 0) {
			ioc_err(err, "%s of '%s' failed: %s; rolled back to snapshot %s%s%s",
			    to ? "upgrade" : "update", name, why ? why->msg : "error", *snapname,
			    to ? ", release " : "", to ? ioc_jail_get(j, "release") : "");
			if (es)
				ioc_error_wrap(err, "and it did not start again (%s)", es->msg);
		} else {
			ioc_err(err,
			    "update of '%s' failed: %s; the rollback to snapshot %s failed too "
			    "(%s): 'iocage clean' or the next 'iocage update %s' retries it",
			    name, why ? why->msg : "error", *snapname, e2 ? e2->msg : "error",
			    name);
		}
		ioc_error_free(e2);
		ioc_error_free(es);
	}
	ioc_error_free(why);
	return rc;
}

void
ioc_release_update_result_release(struct ioc_release_update_result *r)
{
	free(r->snapshot);
	memset(r, 0, sizeof(*r));
}

int
ioc_release_update(const struct ioc_root *root, const char *rel, const struct ioc_update_req *req,
    struct ioc_release_update_result *res, struct ioc_error **err)
{
	struct ioc_update_req tmp = *req;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *stamp = ioc_now_fmt("%Y%m%d-%H%M%S");
	_cleanup_free_ char *tmptag = NULL;
	_cleanup_free_ char *relroot = ioc_xasprintf("%s/releases/%s/root", root->name, rel);
	_cleanup_free_ char *relmnt = NULL;
	_cleanup_free_ char *newsnap = NULL;
	_cleanup_free_ char *upd = NULL;
	_cleanup_free_ char *tmpds = NULL;
	_cleanup_free_ char *made = NULL;
	/* the host's network, for the package mirror */
	static char *const net[] = { "vnet=off", "ip4=inherit", "interfaces=none" };
	struct ioc_assign *as = NULL;
	size_t nas = 0;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j = NULL;
	struct ioc_tree_diff d;
	size_t q;
	int rc = -1, lockfd = -1;

	memset(res, 0, sizeof(*res));
	tmp.to = NULL;
	if (ioc_valid_release(rel, err) != 0)
		return -1;
	if (strcmp(ioc_engine()->name, "freebsd") == 0)
		return ioc_err(err,
		    "update release=: on FreeBSD fetch the new patch level "
		    "('iocage fetch release=%s') instead",
		    rel);
	if (ioc_release_snapshot(root, rel, &snap, err) != 0)
		return -1;
	if (ioc_ops_prepare(err) != 0)
		return -1;
	if (ioc_assigns_parse(net, sizeof(net) / sizeof(net[0]), &as, &nas, err) != 0) {
		ioc_assigns_free(as, nas);
		return -1;
	}
	lockfd = ioc_lock_root(root, err);
	if (lockfd < 0) {
		ioc_assigns_free(as, nas);
		return -1;
	}
	ioc_tree_diff_init(&d);
	/* a killed run's temporary jail is debris; its half copy into the release goes */
	if (ioc_jails_load(root, (const char *const[]) { "tag", NULL }, &js, err) != 0 ||
	    ioc_debris_sweep(root, &js, NULL, err) != 0 || ioc_zfs_rollback(snap, 0, err) != 0)
		goto out;
	ioc_jails_release(&js);
	if (ioc_zfs_get1(relroot, "mountpoint", &relmnt, err) != 0)
		goto out;
	if (relmnt == NULL || relmnt[0] != '/') {
		ioc_err(err, "the root of release '%s' is not mounted", rel);
		goto out;
	}
	tmptag = ioc_xasprintf("ioc-update-%s", stamp);
	if (ioc_jail_create_untagged(root, rel, tmptag, as, nas, &made, err) != 0)
		goto out;
	tmpds = ioc_xasprintf("%s/jails/%s", root->name, made);
	if (ioc_jails_load(root, NULL, &js, err) != 0)
		goto out;
	for (q = 0; q < js.n && j == NULL; q++)
		if (strcmp(js.v[q].uuid, made) == 0)
			j = &js.v[q];
	if (j == NULL) {
		ioc_err(err, "update release=: the temporary jail '%s' is gone", tmpds);
		goto out;
	}
	if (ioc_upd_jail(root, j, tmptag, &tmp, &upd, err) != 0)
		goto out;
	/* the release's root is its newest snapshot (rolled back above): copy what changed */
	if (ioc_record_diff(relmnt, j->rootfs, 0, &d, err) != 0 ||
	    ioc_record_copy_tree(j->rootfs, &d, relmnt, err) != 0)
		goto out;
	newsnap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP "-%s", relroot, stamp);
	if (ioc_zfs_snapshot(newsnap, 0, err) != 0)
		goto out;
	res->changed = d.changed.n;
	res->deleted = d.deleted.n;
	res->snapshot = ioc_xstrdup(newsnap);
	rc = 0;
out:
	if (tmpds) {
		/* the temporary jail never stays (stopped already: ioc_upd_jail) */
		struct ioc_error *e2 = NULL;
		if (ioc_zfs_destroy(tmpds, 1, &e2) != 0 && rc == 0) {
			rc = -1;
			ioc_err(err, "cannot remove the temporary jail '%s': %s", tmpds, e2->msg);
		}
		ioc_error_free(e2);
	}
	if (rc != 0 && newsnap == NULL) {
		/* a half copy never stays in the release's root */
		struct ioc_error *e2 = NULL;
		ioc_zfs_rollback(snap, 0, &e2);
		ioc_error_free(e2);
	}
	ioc_assigns_free(as, nas);
	ioc_tree_diff_release(&d);
	ioc_jails_release(&js);
	close(lockfd);
	return rc;
}

int
ioc_jail_update(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_update_req *req,
    char **snapname, struct ioc_error **err)
{
	int rc, lockfd = ioc_lock_jail(root, j->uuid, err);
	*snapname = NULL;
	if (lockfd < 0)
		return -1;
	rc = ioc_upd_jail(root, j, ioc_jail_get(j, "tag"), req, snapname, err);
	close(lockfd);
	return rc;
}
