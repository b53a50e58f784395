/*
 * cmd_update.c — `update UUID|TAG` and `update release=REL`.
 *
 * A jail: its datasets are snapshotted first (@ioc_update_DATE), then
 * updated — Linux: the release's apt-get inside the jail (started for the
 * update and stopped again if it was not running); FreeBSD: freebsd-update
 * on the host against the jail's root.  A failure rolls every dataset back
 * to the snapshot (stopping the jail for it, starting it again if it ran)
 * and says so; on success the snapshot is kept and named.
 *
 * A release (Linux): a temporary thin jail of its newest snapshot is
 * updated the same way, snapshotted as @ioc-release-DATE and received
 * incrementally into R/releases/REL/root, so new jails get the update while
 * existing thin jails keep the snapshot they were cloned from (their
 * `origin`).  The temporary jail is destroyed whatever happens.
 */
#include "commands.h"
#include "engine.h"
#include "spawn.h"
#include "update.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* 1 when the jail's root has apt-get (looked up without following a link out). */
static int
ioc_upd_has_apt(const char *rootfs)
{
	_cleanup_free_ char *p = ioc_xasprintf("%s/usr/bin/apt-get", rootfs ? rootfs : "/nonexistent");
	return faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Runs argv inside the running jail; 0 only when it exits 0. */
static int
ioc_upd_in(struct ioc_ctx *ctx, struct ioc_jail *j, char *const *argv, struct ioc_error **err)
{
	struct ioc_exec_opts xo;
	int status = 0;
	memset(&xo, 0, sizeof(xo));
	xo.argv = argv;
	fflush(stdout);
	if (ioc_engine()->exec(&ctx->root, j, &xo, &status, err) != 0)
		return -1;
	if (status != 0) {
		_cleanup_free_ char *s = ioc_argv_str(argv);
		return ioc_err(err, "'%s' failed inside the jail with status %d", s, status);
	}
	return 0;
}

/* The apt-get steps in a running jail. */
static int
ioc_upd_apt(struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_error **err)
{
	int n;
	for (n = 0; n < IOC_UPDATE_APT_STEPS; n++) {
		_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
		ioc_update_apt_argv(n, &a);
		if (ioc_upd_in(ctx, j, ioc_strv_argv(&a), err) != 0)
			return -1;
	}
	return 0;
}

/* freebsd-update on the host against the jail's root. */
static int
ioc_upd_freebsd(struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	struct ioc_run_opts o;
	struct ioc_run_result r;
	static const char *const env[] = { "PAGER=cat", NULL };
	int rc;
	ioc_update_freebsd_argv(j->rootfs, ioc_jail_get(j, "release"), &a);
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

/* Rolls each of the jail's datasets back to snap (the newest snapshot). */
static int
ioc_upd_rollback(struct ioc_jail *j, const char *snap, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	size_t i;
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		return -1;
	for (i = 0; i < kids.n; i++) {
		_cleanup_free_ char *s = ioc_xasprintf("%s@%s", kids.v[i], snap);
		if (ioc_zfs_exists(s) && ioc_zfs_rollback(s, 0, err) != 0)
			return -1;
	}
	return 0;
}

static int
ioc_upd_running(struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_jails one = { j, 1 };
	struct ioc_jstate st;
	memset(&st, 0, sizeof(st));
	if (ioc_run_states(ctx, &one, &st, err) != 0)
		return -1;
	return st.running;
}

/*
 * Updates a loaded jail (lock held); *snapname gets the snapshot taken.
 * keep_snap 0: the caller does not want the snapshot named (release path).
 */
static int
ioc_upd_jail(struct ioc_ctx *ctx, struct ioc_jail *j, char **snapname, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	int linux_engine = strcmp(e->name, "freebsd") != 0;
	_cleanup_free_ char *full = NULL;
	const char *tag = ioc_jail_get(j, "tag");
	int was_running, started = 0, rc = -1;
	struct ioc_error *why = NULL;

	*snapname = NULL;
	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err, "'%s' is a template: update a jail, or the release ('update release=REL')",
		    tag);
	if (strcmp(ioc_jail_get(j, "release"), "none") == 0)
		return ioc_err(err, "'%s' is an empty jail: it has no release to update", tag);
	if (j->rootfs == NULL)
		return ioc_err(err, "the root of '%s' is not mounted", tag);
	if (linux_engine && !ioc_upd_has_apt(j->rootfs))
		return ioc_err(err, "'%s' has no package manager this host can drive (apt-get)", tag);
	if (linux_engine && (e->exec == NULL || e->start == NULL))
		return ioc_err(err, "update: the %s engine cannot run commands in a jail", e->name);
	was_running = ioc_upd_running(ctx, j, err);
	if (was_running < 0)
		return -1;
	*snapname = ioc_now_fmt(IOC_UPDATE_SNAP_PREFIX "%Y-%m-%d_%H-%M-%S");
	full = ioc_xasprintf("%s@%s", j->dataset, *snapname);
	if (ioc_zfs_snapshot(full, 1, err) != 0) {
		free(*snapname);
		*snapname = NULL;
		return ioc_error_wrap(err, "cannot snapshot '%s' before the update", tag);
	}
	printf("%s: snapshot %s taken\n", tag, *snapname);
	fflush(stdout);
	if (linux_engine) {
		if (!was_running) {
			if (e->start(&ctx->root, j, &why) != 0)
				goto failed;
			started = 1;
		}
		if (ioc_upd_apt(ctx, j, &why) != 0)
			goto failed;
		if (started && e->stop(&ctx->root, j, 0, &why) != 0) {
			started = 0;
			goto failed;
		}
	} else if (ioc_upd_freebsd(j, &why) != 0)
		goto failed;
	return 0;

failed:
	/* back to the snapshot: the jail must be down for the rollback */
	{
		struct ioc_error *e2 = NULL;
		int down = 1;
		if (started || was_running)
			down = e->stop(&ctx->root, j, 1, &e2) == 0;
		if (down && ioc_upd_rollback(j, *snapname, &e2) == 0) {
			ioc_err(err, "update of '%s' failed: %s; rolled back to snapshot %s", tag,
			    why ? why->msg : "error", *snapname);
			if (was_running && e->start(&ctx->root, j, &e2) != 0)
				ioc_error_wrap(err, "and it did not start again (%s)", e2 ? e2->msg : "error");
		} else {
			ioc_err(err, "update of '%s' failed: %s; the rollback to snapshot %s failed too "
			    "(%s): 'iocage rollback %s@%s' when it is stopped", tag, why ? why->msg : "error",
			    *snapname, e2 ? e2->msg : "error", tag, *snapname);
		}
		ioc_error_free(e2);
	}
	ioc_error_free(why);
	return rc;
}

/* update release=REL: a temporary jail is updated, its root received into the release. */
static int
ioc_upd_release(struct ioc_ctx *ctx, const char *rel, struct ioc_error **err)
{
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *stamp = ioc_now_fmt("%Y%m%d-%H%M%S");
	_cleanup_free_ char *tmptag = NULL;
	_cleanup_free_ char *relroot = ioc_xasprintf("%s/releases/%s/root", ctx->root.name, rel);
	_cleanup_free_ char *newsnap = NULL;
	_cleanup_free_ char *upd = NULL;
	_cleanup_free_ char *tsnap = NULL;
	_cleanup_strv_ struct ioc_strv cargv = IOC_STRV_INIT;
	struct ioc_jails js = { NULL, 0 };
	struct ioc_jail *j = NULL;
	int rc = -1, lockfd = -1, made = 0;

	if (ioc_valid_release(rel, err) != 0)
		return -1;
	if (strcmp(ioc_engine()->name, "freebsd") == 0)
		return ioc_err(err, "update release=: on FreeBSD fetch the new patch level "
		    "('iocage fetch release=%s') instead", rel);
	if (ioc_release_snapshot(&ctx->root, rel, &snap, err) != 0)
		return -1;
	if (ioc_run_prepare_early(err) != 0)
		return -1;
	lockfd = ioc_lock_root(&ctx->root, err);
	if (lockfd < 0)
		return -1;
	tmptag = ioc_xasprintf("ioc-update-%s-%s", rel, stamp);
	ioc_strv_push(&cargv, "create");
	ioc_strv_push(&cargv, "-c");
	ioc_strv_pushf(&cargv, "release=%s", rel);
	ioc_strv_pushf(&cargv, "tag=%s", tmptag);
	/* the host's network, for the package mirror */
	ioc_strv_push(&cargv, "vnet=off");
	ioc_strv_push(&cargv, "ip4=inherit");
	ioc_strv_push(&cargv, "interfaces=none");
	if (ioc_cmd_create(ctx, (int)cargv.n, cargv.v, err) != 0)
		goto out;
	made = 1;
	if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0 ||
	    ioc_jail_resolve(&js, tmptag, &j, err) != 0)
		goto out;
	if (ioc_upd_jail(ctx, j, &upd, err) != 0)
		goto out;
	newsnap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP "-%s", relroot, stamp);
	tsnap = ioc_xasprintf("%s/root@" IOC_RELEASE_SNAP "-%s", j->dataset, stamp);
	if (ioc_zfs_snapshot(tsnap, 0, err) != 0 ||
	    ioc_zfs_send_recv_incr(snap, tsnap, relroot, err) != 0)
		goto out;
	printf("release %s updated: new jails are made from %s; existing jails keep the snapshot "
	    "they were cloned from ('iocage get origin TAG')\n", rel, newsnap);
	rc = 0;
out:
	if (made) {
		/* the temporary jail never stays */
		struct ioc_error *e2 = NULL;
		size_t n;
		ioc_jails_release(&js);
		if (ioc_jails_load(&ctx->root, (const char *const[]){ "tag", NULL }, &js, &e2) == 0)
			for (n = 0; n < js.n; n++)
				if (ioc_streq(ioc_jail_get(&js.v[n], "tag"), tmptag) &&
				    ioc_zfs_destroy(js.v[n].dataset, 1, &e2) != 0 && rc == 0) {
					rc = -1;
					ioc_err(err, "cannot remove the temporary jail '%s': %s", tmptag, e2->msg);
				}
		ioc_error_free(e2);
	}
	ioc_jails_release(&js);
	close(lockfd);
	return rc;
}

int
ioc_cmd_update(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *snap = NULL;
	int k = ioc_opts_parse(ctx, "update", "", argc - 1, argv + 1, &o, err);
	int rc, lockfd;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "update");
	if (strncmp(argv[0], "release=", 8) == 0)
		return ioc_upd_release(ctx, argv[0] + 8, err);
	if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0)
		return -1;
	/* running code in the jail may make the engine re-execute us: before any change */
	if (ioc_run_prepare_early(err) != 0) {
		ioc_jails_release(&js);
		return -1;
	}
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0) {
		ioc_jails_release(&js);
		return -1;
	}
	rc = ioc_upd_jail(ctx, j, &snap, err);
	if (rc == 0)
		printf("%s updated; snapshot %s kept ('iocage rollback %s@%s' undoes the update)\n",
		    ioc_jail_get(j, "tag"), snap, ioc_jail_get(j, "tag"), snap);
	close(lockfd);
	ioc_jails_release(&js);
	return rc;
}
