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
		struct ioc_progress prog;
		struct ioc_zfs_progress pg = { ioc_progress_cb, &prog };
		/* a progress line on a terminal, not among --json or -H rows */
		ioc_progress_init(&prog, tag);
		if (ioc_jail_sync(&ctx->root, v[i], NULL,
			prog.on && ctx->fmt == IOC_FMT_TABLE ? &pg : NULL, &res, &e) == 0) {
			const char *c[] = { tag, res.target, strchr(res.snap, '@') + 1,
				res.full ? "full" : "incremental" };
			ioc_table_add(&t, c);
			ioc_sync_result_release(&res);
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

int
ioc_cmd_migrate(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j = NULL;
	struct ioc_opts o;
	struct ioc_runreq rq;
	struct ioc_migrate_result res;
	_cleanup_free_ char *line = NULL;
	int k = ioc_opts_parse(ctx, "migrate", "", argc - 1, argv + 1, &o, err), rc;

	if (k < 0)
		return -1;
	if (argc - k - 1 != 2)
		return ioc_usage(err, "migrate");
	if (ioc_ops_prepare(err) != 0 ||
	    ioc_ctx_jail_all(ctx, argv[k + 1], NULL, &js, &j, err) != 0)
		return -1;
	memset(&rq, 0, sizeof(rq));
	rq.cmd = "migrate";
	/* its stop and start say what they did, but not in --json (-H) output */
	rq.report = ctx->fmt == IOC_FMT_TABLE ? ioc_run_print : NULL;
	rc = ioc_jail_migrate(&ctx->root, &js, j, argv[k + 2], &rq, &res, err);
	if (rc == 0) {
		line = res.ran ?
		    ioc_xasprintf(
			"%s (%s) migrated to %s/jails/%s: running there, down for %.0f ms\n",
			ioc_jail_get(j, "tag"), j->uuid, res.where, j->uuid, res.down_ms) :
		    ioc_xasprintf("%s (%s) migrated to %s/jails/%s (stopped, as it was here)\n",
			ioc_jail_get(j, "tag"), j->uuid, res.where, j->uuid);
		ioc_moved_report(ctx, line, j, res.where, res.ran, res.down_ms);
		ioc_migrate_result_release(&res);
	}
	ioc_jails_release(&js);
	return rc;
}

/*
 * sync-info UUID TAG [REL SNAP GUID] (run over ssh by a sync from another
 * host): "replica yes|no" and "snapshots N..." of UUID's replica in this
 * root; with REL, "release absent|same|other": this root's copy of
 * releases/REL/root@SNAP (a thin jail's origin, of that guid).  The root
 * (lazy) is checked by ioc_sync_target_state before anything is printed.
 */
int
ioc_cmd_sync_info(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	long long *tv = NULL;
	size_t tn = 0, i;
	int exists = 0, rel = -1;

	if (argc != 3 && argc != 6)
		return ioc_usage(err, "sync-info");
	if (argc == 6) {
		if (ioc_valid_release(argv[3], err) != 0)
			return -1;
		if (!ioc_plain_word(argv[4], 200, "._-:") || !ioc_plain_word(argv[5], 40, ""))
			return ioc_err(err, "sync-info: bad snapshot or guid");
		rel = ioc_sync_release_state(&ctx->root, argv[3], argv[4], argv[5], err);
		if (rel < 0)
			return -1;
	}
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
	if (rel >= 0)
		printf("release %s\n", ioc_sync_release_word(rel));
	free(tv);
	return 0;
}

/*
 * sync-receive UUID BASE (over ssh): the stream on stdin into UUID's replica
 * here.  sync-receive UUID 0 PART...: one part of a first sync in parts;
 * "again" on stdout when the root must come once more, whole.
 */
int
ioc_cmd_sync_receive(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	long long base;
	int rc;

	if (argc > 3 && strcmp(argv[2], "0") == 0 && ioc_is_uuid(argv[1])) {
		rc = ioc_sync_target_part(&ctx->root, argv[1], argv + 3, err);
		if (rc == 1)
			printf("again\n");
		return rc < 0 ? -1 : 0;
	}
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
