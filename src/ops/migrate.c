/*
 * migrate.c — a jail moved to another iocage root (ops.h, migrate.c): sync
 * while it runs, stop, a last incremental sync, the source marked
 * migrated, the replica promoted and started there (by the iocage there
 * over ssh for a root on another host).  A failure before the promotion
 * leaves the source as it was, running again if it ran.
 */
#include "ops/ops.h"
#include "core/props.h"

#include <string.h>
#include <unistd.h>

void
ioc_migrate_result_release(struct ioc_migrate_result *r)
{
	free(r->where);
	memset(r, 0, sizeof(*r));
}

/* One sync of j to target (under j's lock). */
static int
ioc_migrate_sync(
    const struct ioc_root *root, struct ioc_jail *j, const char *target, struct ioc_error **err)
{
	struct ioc_sync_result res;
	int rc = ioc_jail_sync(root, j, target, NULL, &res, err);
	if (rc == 0)
		ioc_sync_result_release(&res);
	return rc;
}

/* After a failure: the mark goes, and the source runs again if it ran; err keeps the cause. */
static int
ioc_migrate_undo(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_runreq *rq,
    int marked, int ran, struct ioc_error **err)
{
	struct ioc_error *e2 = NULL;
	if (marked && ioc_jail_mark_migrated(j, NULL, &e2) != 0)
		ioc_error_wrap(&e2, "and the migrated mark stays");
	if (e2 == NULL && ran && ioc_jail_run(root, j, rq, IOC_ACT_START, 0, 0, &e2) < 0)
		ioc_error_wrap(&e2, "and restarting it here failed");
	if (e2 != NULL) {
		ioc_error_wrap(err, "%s", e2->msg);
		ioc_error_free(e2);
		/* said only when it is so: the mark gone and the jail started again */
		return ioc_error_wrap(err, "jail '%s' not migrated", ioc_jail_get(j, "tag"));
	}
	return ioc_error_wrap(err, "jail '%s' not migrated%s", ioc_jail_get(j, "tag"),
	    ran ? " (running here again)" : "");
}

/* The jail uuid of root t, every property loaded, as it is now. */
static int
ioc_migrate_load(const struct ioc_root *t, const char *uuid, struct ioc_jails *js,
    struct ioc_jail **j, struct ioc_error **err)
{
	ioc_jails_release(js);
	return ioc_jail_load_one(t, uuid, NULL, 0, js, j, err);
}

/*
 * The replica in t: promoted under its lock there, then started when the
 * source ran.  -1: not promoted, 1: promoted but not started.
 */
static int
ioc_migrate_finish(const struct ioc_root *root, const struct ioc_root *t, const char *uuid,
    const struct ioc_runreq *rq, int ran, struct ioc_error **err)
{
	struct ioc_jails tj = { NULL, 0, 0 };
	struct ioc_jail *r = NULL;
	int rc = -1, lock;
	ioc_zfs_set_guard_root(t->name);
	if (ioc_migrate_load(t, uuid, &tj, &r, err) == 0 &&
	    (lock = ioc_lock_jail(t, r->uuid, err)) >= 0) {
		rc = ioc_replica_promote(t, r, 1, err);
		close(lock);
		/* the promoted jail as it is now (hostid, replica) */
		if (rc == 0 && ran &&
		    (ioc_migrate_load(t, uuid, &tj, &r, err) != 0 ||
			ioc_jail_run(t, r, rq, IOC_ACT_START, 0, 0, err) < 0))
			rc = 1;
	}
	ioc_zfs_set_guard_root(root->name);
	ioc_jails_release(&tj);
	return rc;
}

/*
 * The replica on another host: promote-replica -f, then start when the
 * source ran, both by the iocage there over ssh.  -1: not promoted, 1:
 * promoted but not started.
 */
static int
ioc_migrate_finish_remote(
    const char *host, const char *ds, const char *uuid, int ran, struct ioc_error **err)
{
	if (ioc_remote_iocage(
		host, ds, (const char *const[]) { "promote-replica", "-f", uuid, NULL }, err) != 0)
		return -1;
	if (ran &&
	    ioc_remote_iocage(host, ds, (const char *const[]) { "start", uuid, NULL }, err) != 0)
		return 1;
	return 0;
}

/* A template (its clones stay here) and a jail others depend on (depends=) stay. */
static int
ioc_migrate_check(const struct ioc_jails *js, const struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_sb names = IOC_SB_INIT;
	const char *tag = ioc_jail_get(j, "tag");
	int rc = 0;
	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(
		    err, "'%s' is a template: its clones stay in this root, so it stays too", tag);
	ioc_jails_dependents(js, j, &names);
	if (names.len)
		rc = ioc_err(err,
		    "cannot migrate '%s': jail(s) %s of this root depend on it (depends=): "
		    "change their depends first",
		    tag, names.buf);
	ioc_sb_release(&names);
	return rc;
}

/* The last steps, the jail stopped: last sync, mark, promotion and start there. */
static int
ioc_migrate_last(const struct ioc_root *root, struct ioc_jail *j, const char *target,
    const char *host, const char *ds, const struct ioc_runreq *rq, struct ioc_migrate_result *res,
    struct ioc_error **err)
{
	struct ioc_root t = { NULL, NULL, 0 };
	double t0 = ioc_trace_clock();
	int rc = -1;
	if (ioc_migrate_sync(root, j, target, err) != 0 ||
	    (host == NULL && ioc_root_find(target, &t, err) != 0) ||
	    ioc_jail_mark_migrated(j, host ? target : t.name, err) != 0) {
		ioc_migrate_undo(root, j, rq, 0, res->ran, err);
		goto out;
	}
	res->where = ioc_xstrdup(host ? target : t.name);
	rc = host ? ioc_migrate_finish_remote(host, ds, j->uuid, res->ran, err) :
		    ioc_migrate_finish(root, &t, j->uuid, rq, res->ran, err);
	if (rc < 0) {
		ioc_migrate_undo(root, j, rq, 1, res->ran, err);
		goto out;
	}
	if (rc > 0) {
		ioc_error_wrap(err,
		    "jail '%s' migrated to %s/jails/%s, but starting it there failed",
		    ioc_jail_get(j, "tag"), res->where, j->uuid);
		rc = -1;
		goto out;
	}
	res->down_ms = res->ran ? ioc_trace_clock() - t0 : -1;
out:
	ioc_root_release(&t);
	return rc;
}

int
ioc_jail_migrate(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jail *j,
    const char *target, const struct ioc_runreq *rq, struct ioc_migrate_result *res,
    struct ioc_error **err)
{
	_cleanup_free_ char *host = NULL, *ds = NULL;
	int ran;

	memset(res, 0, sizeof(*res));
	res->down_ms = -1;
	if (ioc_migrate_check(js, j, err) != 0)
		return -1;
	/* [USER@]HOST:POOL/DATASET: another host, over ssh (an invalid one: the sync says) */
	if (ioc_sync_target_parse(target, &host, &ds) != 0) {
		free(host);
		host = NULL;
	}
	/* the first sync (checks the target) while the jail still runs */
	if (ioc_migrate_sync(root, j, target, err) != 0)
		return -1;
	ran = ioc_jail_run(root, j, rq, IOC_ACT_STOP, 0, 0, err);
	if (ran < 0)
		return -1;
	res->ran = ran;
	if (ioc_migrate_last(root, j, target, host, ds, rq, res, err) != 0) {
		ioc_migrate_result_release(res);
		return -1;
	}
	return 0;
}
