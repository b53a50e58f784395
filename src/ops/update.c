/*
 * update.c — interrupted updates (see ops/update_jail.c for the whole story).
 *
 * An update snapshots the jail's datasets carrying IOC_UPDATE_MARK in the
 * same transaction and clears the mark when it has finished or rolled back.
 * A mark found later is an update that was killed: the next update of the
 * jail and `clean` roll the jail back to that snapshot and put it back in
 * its state, so a killed update leaves the jail as it was, or complete.
 */
#include "ops/ops.h"
#include "engine/update.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ioc_upd_each { IOC_UPD_ROLLBACK, IOC_UPD_UNMARK };

/*
 * For each of the jail's datasets that has @snap: roll it back to it (the
 * newest snapshot), or clear the interrupted-update mark on it.
 */
static int
ioc_upd_each(struct ioc_jail *j, const char *snap, enum ioc_upd_each what, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	size_t i;
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		return -1;
	for (i = 0; i < kids.n; i++) {
		/* unmarking: children first, the jail's own snapshot last: its mark
		 * is what clean and the next update look for (a run killed between
		 * two unmarks is then still seen and rolled back) */
		size_t k = what == IOC_UPD_UNMARK ? kids.n - 1 - i : i;
		_cleanup_free_ char *s = ioc_xasprintf("%s@%s", kids.v[k], snap);
		if (!ioc_zfs_exists(s))
			continue;
		if ((what == IOC_UPD_ROLLBACK ? ioc_zfs_rollback(s, 0, err) :
						ioc_zfs_inherit(s, IOC_UPDATE_MARK, err)) != 0)
			return -1;
	}
	return 0;
}

int
ioc_update_unmark(struct ioc_jail *j, const char *snap, struct ioc_error **err)
{
	return ioc_upd_each(j, snap, IOC_UPD_UNMARK, err);
}

int
ioc_update_back(const struct ioc_root *root, struct ioc_jail *j, const char *snap, int run_after,
    struct ioc_error **err, struct ioc_error **err_start)
{
	const struct ioc_engine_ops *e = ioc_engine();
	int running = ioc_ops_running(root, j, err);
	if (running < 0)
		return -1;
	if (running && e->stop(root, j, 1, err) != 0)
		return -1;
	if (ioc_upd_each(j, snap, IOC_UPD_ROLLBACK, err) != 0)
		return -1;
	if (run_after)
		e->start(root, j, err_start); /* a failure is the caller's to report */
	return 0;
}

int
ioc_update_mark_up(const char *mark)
{
	return strncmp(mark, "up", 2) == 0 && (mark[2] == '\0' || mark[2] == ' ');
}

int
ioc_update_mark_release(struct ioc_jail *j, const char *mark, struct ioc_error **err)
{
	const char *rel = strstr(mark, " release=");
	if (rel == NULL)
		return 0;
	rel += 9;
	if (ioc_valid_release(rel, err) != 0)
		return ioc_error_wrap(err, "the upgrade mark names no release");
	return ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "release", rel, err);
}

/* Rolls back the interrupted update found on j (snap, its mark); lock held. */
static int
ioc_upd_recover_one(const struct ioc_root *root, struct ioc_jail *j, const char *name,
    const char *snap, const char *was, struct ioc_strv *notes, struct ioc_error **err)
{
	struct ioc_error *es = NULL;
	/* an upgrade's jail gets its release back with its files */
	if (ioc_update_back(root, j, snap, ioc_update_mark_up(was), err, &es) != 0 ||
	    ioc_update_mark_release(j, was, err) != 0 ||
	    ioc_upd_each(j, snap, IOC_UPD_UNMARK, err) != 0) {
		ioc_error_free(es);
		return ioc_error_wrap(err,
		    "cannot roll back the interrupted update of '%s' to "
		    "snapshot %s",
		    name, snap);
	}
	ioc_strv_pushf(notes, "%s: an interrupted update was rolled back to snapshot %s%s%s", name,
	    snap, es ? "; it did not start again: " : "", es ? es->msg : "");
	ioc_error_free(es);
	return 0;
}

/* The interrupted-update marks below base (depth): rows of snapshots. */
static int
ioc_upd_marks(const char *base, int depth, struct ioc_zrows *rows, struct ioc_error **err)
{
	char *names[] = { (char *)base, NULL };
	ioc_zrows_init(rows);
	if (!ioc_zfs_exists(base))
		return 0;
	return ioc_zfs_get(names, IOC_UPDATE_MARK, 0, depth, "local", 1, rows, err);
}

/* The mark of one jail's own dataset (its newest interrupted update), if any. */
static int
ioc_upd_find_mark(struct ioc_jail *j, char **snap, char **was, struct ioc_error **err)
{
	struct ioc_zrows rows;
	size_t i, dl = strlen(j->dataset);
	*snap = *was = NULL;
	if (ioc_upd_marks(j->dataset, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++)
		if (strncmp(rows.v[i].name, j->dataset, dl) == 0 && rows.v[i].name[dl] == '@') {
			free(*snap);
			free(*was);
			*snap = ioc_xstrdup(rows.v[i].name + dl + 1);
			*was = ioc_xstrdup(rows.v[i].value);
		}
	ioc_zrows_release(&rows);
	return 0;
}

int
ioc_update_recover(const struct ioc_root *root, struct ioc_jail *j, const char *name,
    struct ioc_strv *notes, struct ioc_error **err)
{
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *was = NULL;
	if (ioc_upd_find_mark(j, &snap, &was, err) != 0)
		return -1;
	return snap ? ioc_upd_recover_one(root, j, name, snap, was, notes, err) : 0;
}

int
ioc_update_recover_all(const struct ioc_root *root, struct ioc_strv *notes, struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/jails", root->name);
	struct ioc_zrows rows;
	struct ioc_jails js = { NULL, 0, 0 };
	size_t i, q, bl = strlen(base);
	int rc = 0;

	if (ioc_upd_marks(base, 2, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	/* rolling back starts and stops jails: the engine may re-execute us first (clean
	 * is idempotent, so what it did before is done again harmlessly) */
	if (rows.n && (ioc_ops_prepare(err) != 0 || ioc_jails_load(root, NULL, &js, err) != 0))
		rc = -1;
	for (i = 0; rc == 0 && i < rows.n; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		size_t dl = at ? (size_t)(at - rows.v[i].name) : 0;
		for (q = 0; at && q < js.n; q++) {
			struct ioc_jail *j = &js.v[q];
			const char *name = j->complete ? ioc_jail_get(j, "tag") : j->uuid;
			int lockfd;
			if (strlen(j->dataset) != dl ||
			    strncmp(j->dataset, rows.v[i].name, dl) != 0 ||
			    strncmp(j->dataset, base, bl) != 0)
				continue;
			/* an update still running holds the jail's lock: wait, then look again */
			lockfd = ioc_lock_jail(root, j->uuid, err);
			if (lockfd < 0) {
				rc = -1;
				break;
			}
			if (ioc_update_recover(root, j, name, notes, err) != 0)
				rc = -1;
			close(lockfd);
			break;
		}
	}
	ioc_zrows_release(&rows);
	ioc_jails_release(&js);
	return rc;
}

/*
 * freebsd-update's work directory: DIR/freebsd-update, beside the root it
 * updates and out of its reach, a root-owned 0700 directory (made here; one
 * that is anything else is refused, never followed).
 */
static int
ioc_upd_workdir(const char *dir, char **out, struct ioc_error **err)
{
	_cleanup_free_ char *wd = ioc_xasprintf("%s/" IOC_UPDATE_FREEBSD_WORKDIR, dir);
	_cleanup_close_ int fd = -1;
	struct stat st;
	if (mkdir(wd, 0700) != 0 && errno != EEXIST)
		return ioc_err(err, "cannot make '%s': %s", wd, strerror(errno));
	fd = open(wd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		return ioc_err(err, "'%s' is not a directory (refused): %s", wd, strerror(errno));
	if (st.st_uid != 0 || (st.st_mode & 077) != 0)
		return ioc_err(err, "'%s' is not a root-only directory (refused)", wd);
	*out = ioc_steal(&wd);
	return 0;
}

int
ioc_freebsd_update(const char *rootfs, const char *dir, const char *release, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	_cleanup_free_ char *workdir = NULL;
	struct ioc_run_opts o;
	struct ioc_run_result r;
	static const char *const env[] = { "PAGER=cat", NULL };
	int rc;
	if (ioc_upd_workdir(dir, &workdir, err) != 0)
		return -1;
	ioc_update_freebsd_argv(rootfs, workdir, release, &a);
	ioc_run_opts_init(&o);
	o.out_fd = IOC_FD_INHERIT;
	o.err_fd = IOC_FD_INHERIT;
	o.env = env;
	ioc_run_result_init(&r);
	fflush(stdout);
	rc = ioc_run(ioc_strv_argv(&a), &o, &r, err);
	if (rc == 0 && r.status != 0)
		rc = ioc_err(err, "freebsd-update failed with status %d", r.status);
	ioc_run_result_release(&r);
	return rc;
}

int
ioc_freebsd_upgrade(
    const char *rootfs, const char *dir, const char *old, const char *new, struct ioc_error **err)
{
	_cleanup_free_ char *workdir = NULL;
	struct ioc_run_opts o;
	int step, st, rc = 0;
	if (ioc_upd_workdir(dir, &workdir, err) != 0)
		return -1;
	ioc_run_opts_init(&o);
	o.out_fd = IOC_FD_INHERIT;
	o.err_fd = IOC_FD_INHERIT;
	/* upgrade asks "Does this look reasonable (y/n)?" for each list it shows */
	o.in_fd = IOC_FD_CAPTURE;
	o.in_data = "y\ny\ny\ny\n";
	o.in_len = 8;
	/* upgrade, then install until there is nothing left (at most 4 rounds) */
	for (step = 0; step < 5 && rc == 0; step++) {
		_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
		struct ioc_run_result r;
		ioc_upgrade_freebsd_argv(rootfs, workdir, old, new, step > 0, &a);
		ioc_run_result_init(&r);
		fflush(stdout);
		rc = ioc_run(ioc_strv_argv(&a), &o, &r, err);
		if (rc == 0 && r.status != 0 && step < 2)
			rc = ioc_err(err, "freebsd-update %s failed with status %d",
			    step == 0 ? "upgrade" : "install", r.status);
		st = r.status;
		ioc_run_result_release(&r);
		if (rc == 0 && st != 0)
			break; /* a later install with nothing to install: done */
	}
	return rc;
}
