/*
 * cmd_sync.c — `iocage sync TAG|ALL`: a warm copy of jails in the iocage
 * root their sync_target names (ops/sync.c).  ALL: every jail with
 * sync_state=on.  One jail failing does not stop the others; each synced
 * jail is a row (TAG, TARGET, SNAPSHOT, KIND: full or incremental), and
 * --json gives the rows as objects.
 *
 * `promote-replica` makes a replica a jail of its root (the source is gone);
 * `migrate` moves a jail to another root: sync while it runs, stop, a last
 * incremental sync, mark the source migrated, promote the replica, start it
 * there.  A failure before the promotion leaves the source as it was,
 * running again if it ran.
 */
#include "cli/commands.h"
#include "cli/runplan.h"
#include "core/props.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
ioc_cmd_sync(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "TARGET", "SNAPSHOT", "KIND", NULL };
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *one = NULL, **v = NULL;
	struct ioc_table t;
	size_t i, n = 0, failed = 0;
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "sync", "", argc - 1, argv + 1, &o, err), rc = 0;

	if (k < 0)
		return -1;
	if (argc - k - 1 != 1)
		return ioc_usage(err, "sync");
	if (strcmp(argv[k + 1], "ALL") == 0) {
		if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
			return -1;
		v = ioc_xcalloc(js.n + 1, sizeof(*v));
		for (i = 0; i < js.n; i++)
			if (js.v[i].complete && !ioc_jail_is_replica(&js.v[i]) &&
			    ioc_parse_bool(ioc_jail_get(&js.v[i], "sync_state")) == 1)
				v[n++] = &js.v[i];
		if (n == 0)
			printf("sync: no jails with sync_state=on\n");
	} else {
		if (ioc_ctx_jail(ctx, argv[k + 1], NULL, &js, &one, err) != 0)
			return -1;
		v = ioc_xcalloc(2, sizeof(*v));
		v[n++] = one;
	}
	ioc_table_init(&t, cols);
	for (i = 0; i < n; i++) {
		struct ioc_sync_result res;
		struct ioc_error *e = NULL;
		const char *tag = ioc_jail_get(v[i], "tag");
		int lock = ioc_lock_jail(&ctx->root, v[i]->uuid, &e);
		if (lock >= 0) {
			if (ioc_jail_sync(&ctx->root, v[i], NULL, &res, &e) == 0) {
				const char *c[] = { tag, res.target, strchr(res.snap, '@') + 1,
					res.full ? "full" : "incremental" };
				ioc_table_add(&t, c);
				ioc_sync_result_release(&res);
			}
			close(lock);
		}
		if (e == NULL)
			continue;
		failed++;
		if (n == 1) {
			*err = e;
			rc = -1;
		} else {
			fprintf(stderr, "iocage: sync %s: %s\n", tag, e->msg);
			ioc_error_free(e);
		}
	}
	if (t.nrows)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	if (rc == 0 && failed)
		rc = ioc_err(err, "sync: %zu of %zu jails failed", failed, n);
	free(v);
	ioc_jails_release(&js);
	return rc;
}

/*
 * What promote-replica and migrate did: a sentence, or with --json (and -H)
 * one row: tag, uuid, root (where the jail is now), state (up, down) and
 * downtime_ms (migrate of a running jail; else empty).
 */
static void
ioc_moved_report(const struct ioc_ctx *ctx, const char *line, const struct ioc_jail *j,
    const char *root, int up, double ms)
{
	static const char *const cols[] = { "TAG", "UUID", "ROOT", "STATE", "DOWNTIME_MS", NULL };
	struct ioc_table t;
	char buf[32] = "";

	if (ctx->fmt == IOC_FMT_TABLE) {
		fputs(line, stdout);
		return;
	}
	if (ms >= 0)
		snprintf(buf, sizeof(buf), "%.0f", ms);
	const char *c[] = { ioc_jail_get(j, "tag"), j->uuid, root, up ? "up" : "down", buf };
	ioc_table_init(&t, cols);
	ioc_table_add(&t, c);
	ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
}

int
ioc_cmd_promote_replica(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j = NULL;
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "promote-replica", "f", argc - 1, argv + 1, &o, err), lock,
	    rc = -1;

	if (k < 0)
		return -1;
	if (argc - k - 1 != 1)
		return ioc_usage(err, "promote-replica");
	if (ioc_ctx_jail(ctx, argv[k + 1], NULL, &js, &j, err) != 0)
		return -1;
	lock = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lock >= 0) {
		rc = ioc_replica_promote(&ctx->root, j, o.seen['f'], err);
		close(lock);
	}
	if (rc == 0) {
		_cleanup_free_ char *line =
		    ioc_xasprintf("%s (%s) promoted: a jail of %s now, with this host's hostid\n",
			ioc_jail_get(j, "tag"), j->uuid, ctx->root.name);
		ioc_moved_report(ctx, line, j, ctx->root.name, 0, -1);
	}
	ioc_jails_release(&js);
	return rc;
}

/* migrate's stop and start say what they did, but not in --json (-H) output */
#define IOC_MIGRATE_QUIET(ctx) ((ctx)->fmt == IOC_FMT_TABLE ? 1 : 2)

/* One sync of j to target under j's lock. */
static int
ioc_migrate_sync(
    struct ioc_ctx *ctx, struct ioc_jail *j, const char *target, struct ioc_error **err)
{
	struct ioc_sync_result res;
	int rc, lock = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lock < 0)
		return -1;
	rc = ioc_jail_sync(&ctx->root, j, target, &res, err);
	close(lock);
	if (rc == 0)
		ioc_sync_result_release(&res);
	return rc;
}

/* After a failure: the mark goes, and the source runs again if it ran; err keeps the cause. */
static int
ioc_migrate_undo(
    struct ioc_ctx *ctx, struct ioc_jail *j, int marked, int ran, struct ioc_error **err)
{
	struct ioc_error *e2 = NULL;
	if (marked && ioc_jail_mark_migrated(j, NULL, &e2) != 0)
		ioc_error_wrap(&e2, "and the migrated mark stays");
	if (e2 == NULL && ran &&
	    ioc_run_one(ctx, j, IOC_ACT_START, 0, IOC_MIGRATE_QUIET(ctx), &e2) < 0)
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

/* Promotes r, the replica in t, under its lock there. */
static int
ioc_migrate_promote(struct ioc_root *t, struct ioc_jail *r, struct ioc_error **err)
{
	int rc = -1, lock = ioc_lock_jail(t, r->uuid, err);
	if (lock >= 0) {
		rc = ioc_replica_promote(t, r, 1, err);
		close(lock);
	}
	return rc;
}

/* The replica in t: promoted, then started when the source ran. */
static int
ioc_migrate_finish(
    struct ioc_ctx *ctx, struct ioc_root *t, const char *uuid, int ran, struct ioc_error **err)
{
	struct ioc_ctx tc = *ctx;
	struct ioc_jails tj = { NULL, 0, 0 };
	struct ioc_jail *r = NULL;
	int rc = -1;
	tc.root = *t;
	ioc_zfs_set_guard_root(t->name);
	if (ioc_ctx_jail(&tc, uuid, NULL, &tj, &r, err) == 0 &&
	    ioc_migrate_promote(t, r, err) == 0) {
		ioc_jails_release(&tj);
		rc = 0;
		/* the promoted jail as it is now (hostid, replica) */
		if (ran &&
		    (ioc_ctx_jail(&tc, uuid, NULL, &tj, &r, err) != 0 ||
			ioc_run_one(&tc, r, IOC_ACT_START, 0, IOC_MIGRATE_QUIET(ctx), err) < 0))
			rc = 1;
	}
	ioc_zfs_set_guard_root(ctx->root.name);
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

int
ioc_cmd_migrate(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_root t = { NULL, NULL, 0 };
	struct ioc_jail *j = NULL;
	struct ioc_opts o;
	const char *target;
	_cleanup_free_ char *line = NULL, *host = NULL, *ds = NULL;
	const char *where;
	double t0, ms;
	int k = ioc_opts_parse(ctx, "migrate", "", argc - 1, argv + 1, &o, err), ran, rc = -1;

	if (k < 0)
		return -1;
	if (argc - k - 1 != 2)
		return ioc_usage(err, "migrate");
	target = argv[k + 2];
	if (ioc_run_prepare_early(err) != 0 ||
	    ioc_ctx_jail_all(ctx, argv[k + 1], NULL, &js, &j, err) != 0)
		return -1;
	if (ioc_migrate_check(&js, j, err) != 0)
		goto out;
	/* [USER@]HOST:POOL/DATASET: another host, over ssh (an invalid one: the sync says) */
	if (ioc_sync_target_parse(target, &host, &ds) != 0) {
		free(host);
		host = NULL;
	}
	/* the first sync (checks the target) while the jail still runs */
	if (ioc_migrate_sync(ctx, j, target, err) != 0)
		goto out;
	ran = ioc_run_one(ctx, j, IOC_ACT_STOP, 0, IOC_MIGRATE_QUIET(ctx), err);
	if (ran < 0)
		goto out;
	t0 = ioc_trace_clock();
	if (ioc_migrate_sync(ctx, j, target, err) != 0 ||
	    (host == NULL && ioc_root_find(target, &t, err) != 0) ||
	    ioc_jail_mark_migrated(j, host ? target : t.name, err) != 0) {
		ioc_migrate_undo(ctx, j, 0, ran, err);
		goto out;
	}
	where = host ? target : t.name;
	rc = host ? ioc_migrate_finish_remote(host, ds, j->uuid, ran, err) :
		    ioc_migrate_finish(ctx, &t, j->uuid, ran, err);
	if (rc < 0) {
		ioc_migrate_undo(ctx, j, 1, ran, err);
		goto out;
	}
	if (rc > 0) {
		ioc_error_wrap(err,
		    "jail '%s' migrated to %s/jails/%s, but starting it there failed",
		    ioc_jail_get(j, "tag"), where, j->uuid);
		rc = -1;
		goto out;
	}
	ms = ran ? ioc_trace_clock() - t0 : -1;
	line = ran ?
	    ioc_xasprintf("%s (%s) migrated to %s/jails/%s: running there, down for %.0f ms\n",
		ioc_jail_get(j, "tag"), j->uuid, where, j->uuid, ms) :
	    ioc_xasprintf("%s (%s) migrated to %s/jails/%s (stopped, as it was here)\n",
		ioc_jail_get(j, "tag"), j->uuid, where, j->uuid);
	ioc_moved_report(ctx, line, j, where, ran, ms);
out:
	ioc_root_release(&t);
	ioc_jails_release(&js);
	return rc;
}

/*
 * sync-info UUID TAG (run over ssh by a sync from another host): "replica
 * yes|no" and "snapshots N..." of UUID's replica in this root.
 */
int
ioc_cmd_sync_info(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	long long *tv = NULL;
	size_t tn = 0, i;
	int exists = 0;

	if (argc != 3)
		return ioc_usage(err, "sync-info");
	if (!ioc_is_uuid(argv[1]))
		return ioc_err(err, "sync-info: '%s' is not a UUID",
		    ioc_has_ctrl(argv[1]) ? "(unprintable)" : argv[1]);
	if (ioc_valid_tag(argv[2], err) != 0 ||
	    ioc_sync_target_state(&ctx->root, argv[1], argv[2], &exists, &tv, &tn, err) != 0) {
		free(tv);
		return -1;
	}
	printf("replica %s\nsnapshots", exists ? "yes" : "no");
	for (i = 0; i < tn; i++)
		printf(" %lld", tv[i]);
	printf("\n");
	free(tv);
	return 0;
}

/* sync-receive UUID BASE (over ssh): the stream on stdin into UUID's replica here. */
int
ioc_cmd_sync_receive(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	long long base;

	if (argc != 3)
		return ioc_usage(err, "sync-receive");
	if (!ioc_is_uuid(argv[1]))
		return ioc_err(err, "sync-receive: '%s' is not a UUID",
		    ioc_has_ctrl(argv[1]) ? "(unprintable)" : argv[1]);
	if (ioc_parse_ll(argv[2], 0, 1000000000LL, &base) != 0)
		return ioc_err(err, "sync-receive: '%s' is not a snapshot number",
		    ioc_has_ctrl(argv[2]) ? "(unprintable)" : argv[2]);
	return ioc_sync_target_receive(&ctx->root, argv[1], base, err);
}
