/*
 * destroy.c — destroying a jail in two steps: the check (no jail depends on
 * it, by depends= or as a clone of its snapshots; a running jail only with
 * force), then, under the jail's lock, the destroy: the jail stopped when it
 * runs, the work clones of a killed `package`, its datasets, the shell
 * iocage's tags links in a legacy root, its run-time record and lock file.
 * The caller holds the root lock and asks the user, if at all, in between.
 */
#include "ops/ops.h"
#include "core/tagidx.h"
#include "core/depends.h"
#include "core/legacy.h"
#include "core/runrec.h"

#include <string.h>
#include <unistd.h>

void
ioc_jails_dependents(const struct ioc_jails *js, const struct ioc_jail *j, struct ioc_sb *names)
{
	const char *tag = ioc_jail_get(j, "tag");
	size_t i;
	for (i = 0; i < js->n; i++) {
		_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
		struct ioc_error *e = NULL;
		if (!js->v[i].complete || &js->v[i] == j)
			continue;
		if (ioc_depends_parse(ioc_jail_get(&js->v[i], "depends"), &tags, NULL, &e) == 0 &&
		    ioc_strv_contains(&tags, tag))
			ioc_sb_addf(names, "%s'%s'", names->len ? ", " : "",
			    ioc_jail_get(&js->v[i], "tag"));
		ioc_error_free(e);
	}
}

/* Refuses when jails are clones of j's snapshots, naming complete ones by their tag. */
static int
ioc_destroy_check_clones(const struct ioc_root *root, const char *name, const struct ioc_jails *js,
    const struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	if (ioc_jail_clone_users(root, js, j, &sb, err) != 0)
		return -1;
	if (sb.len == 0)
		return 0;
	return ioc_err(err,
	    "cannot destroy '%s': jails depend on it: %s (destroy them or "
	    "'iocage promote' them first)",
	    name, sb.buf);
}

/* A running jail without -f: refused (checked before asking, and again under its lock). */
static void
ioc_destroy_running(const struct ioc_destroy_req *req, struct ioc_error **err)
{
	ioc_err(err, "jail '%s' is running: stop it first, or use destroy -f", req->name);
}

int
ioc_destroy_check(const struct ioc_root *root, const struct ioc_destroy_req *req,
    struct ioc_destroy_target *d, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "template", "depends", NULL };
	_cleanup_sb_ struct ioc_sb names = IOC_SB_INIT;
	struct ioc_jstate *st;

	memset(d, 0, sizeof(*d));
	if (ioc_jails_load(root, props, &d->js, err) != 0)
		return -1;
	if (ioc_jail_resolve(&d->js, req->name, &d->j, err) != 0)
		goto fail;
	/* a jail others start after (depends=) would leave them a missing dependency */
	ioc_sb_init(&names);
	ioc_jails_dependents(&d->js, d->j, &names);
	if (names.len) {
		ioc_err(err,
		    "cannot destroy '%s': jail(s) %s depend on it (depends=): change "
		    "their depends first",
		    req->name, names.buf);
		goto fail;
	}
	if (ioc_destroy_check_clones(root, req->name, &d->js, d->j, err) != 0)
		goto fail;
	st = ioc_ops_states_new(root, &d->js, err);
	if (st == NULL)
		goto fail;
	d->running = st[d->j - d->js.v].running;
	free(st);
	if (d->running && !req->force) {
		ioc_destroy_running(req, err);
		goto fail;
	}
	return 0;
fail:
	ioc_destroy_target_release(d);
	return -1;
}

void
ioc_destroy_target_release(struct ioc_destroy_target *d)
{
	ioc_jails_release(&d->js);
	d->j = NULL;
}

/* Stops the running jail j (its lock held) with every property loaded, as the engine needs. */
static int
ioc_destroy_stop(const struct ioc_root *root, const struct ioc_destroy_req *req,
    const struct ioc_jail *j, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	char *const names[] = { j->uuid, NULL };
	struct ioc_jails js;
	struct ioc_jail *full;
	int rc;
	if (ioc_engine_need((const void *)e->stop, "destroy -f", err) != 0)
		return -1;
	/* everything before this point only read: re-executing here is safe */
	if (ioc_ops_prepare(err) != 0)
		return -1;
	/* the check loaded only a few properties */
	if (ioc_jails_load_named(root, NULL, names, &js, err) != 0)
		return -1;
	if (ioc_jail_resolve(&js, j->uuid, &full, err) != 0) {
		ioc_jails_release(&js);
		return -1;
	}
	rc = e->stop(root, full, 0, err);
	if (rc == 0 && req->did)
		req->did(req->did_arg, full->uuid, ioc_jail_get(full, "tag"), "stopped");
	ioc_jails_release(&js);
	return rc;
}

int
ioc_jail_destroy(const struct ioc_root *root, const struct ioc_destroy_req *req,
    const struct ioc_destroy_target *d, struct ioc_error **err)
{
	const struct ioc_jail *j = d->j;
	_cleanup_free_ char *rmp = NULL, *jmp = NULL;
	struct ioc_jstate st;
	int rc = -1, lockfd;

	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0)
		return -1;
	/* under the lock again: a start may have come between the check and here */
	if (ioc_ops_state1(root, j, &st, err) != 0)
		goto out;
	if (st.running && !req->force) {
		ioc_destroy_running(req, err);
		goto out;
	}
	if (st.running && ioc_destroy_stop(root, req, j, err) != 0)
		goto out;
	/* a killed package's work clones hang on the jail's snapshots */
	if (ioc_record_sweep(root, j->uuid, NULL, err) != 0)
		goto out;
	/* the shell iocage's tags links (legacy roots): found by the jail's mountpoint */
	if (d->js.legacy && ioc_legacy_mountpoints(root->name, j->uuid, &rmp, &jmp, err) != 0)
		goto out;
	if (ioc_zfs_destroy(j->dataset, 1, err) != 0) {
		ioc_error_wrap(err, "cannot destroy '%s'", req->name);
		goto out;
	}
	ioc_runrec_remove(root->name, j->uuid);
	ioc_runrec_name_forget(root->name, ioc_jail_get(j, "tag"), j->uuid);
	ioc_lock_jail_remove(root, j->uuid);
	{
		/* its tag index entry (the caller holds the root lock: no create can have
		 * taken the tag meanwhile); one left behind is stale, never wrong */
		struct ioc_error *e2 = NULL;
		ioc_tagidx_release(root, &d->js, ioc_jail_get(j, "tag"), j->uuid, &e2);
		ioc_error_free(e2);
	}
	if (req->did)
		req->did(req->did_arg, j->uuid, ioc_jail_get(j, "tag"), "destroyed");
	if (d->js.legacy && ioc_legacy_tags_sync(rmp, jmp, NULL, err) != 0) {
		ioc_error_wrap(err, "jail '%s' destroyed, but", req->name);
		goto out;
	}
	rc = 0;
out:
	close(lockfd);
	return rc;
}
