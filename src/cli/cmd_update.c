/*
 * cmd_update.c — `update UUID|TAG`, `upgrade UUID|TAG release=NEW` and
 * `update release=REL`: parsed and printed here; the snapshot, the update
 * inside the jail, the rollback on failure and the release's copy are
 * ops/update_jail.c's (an interrupted update: ops/update.c).
 */
#include "cli/commands.h"

#include <string.h>

/* update release=REL */
static int
ioc_upd_release(struct ioc_ctx *ctx, const char *rel, struct ioc_error **err)
{
	struct ioc_update_req req = { NULL, ioc_print_line, NULL };
	struct ioc_release_update_result res;
	if (ioc_release_update(&ctx->root, rel, &req, &res, err) != 0)
		return -1;
	printf("release %s updated: %zu files added or changed, %zu deleted; new jails are made "
	       "from %s; existing jails keep the snapshot they were cloned from ('iocage get "
	       "origin TAG')\n",
	    rel, res.changed, res.deleted, res.snapshot);
	ioc_release_update_result_release(&res);
	return 0;
}

/* update (to NULL) or upgrade one jail by name. */
static int
ioc_upd_named(struct ioc_ctx *ctx, const char *name, const char *to, struct ioc_error **err)
{
	struct ioc_update_req req = { to, ioc_print_line, NULL };
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *snap = NULL;
	const char *tag;
	int rc;

	if (ioc_ctx_jail(ctx, name, NULL, &js, &j, err) != 0)
		return -1;
	/* running code in the jail may make the engine re-execute us: before any change */
	if (ioc_ops_prepare(err) != 0) {
		ioc_jails_release(&js);
		return -1;
	}
	tag = ioc_jail_get(j, "tag");
	rc = ioc_jail_update(&ctx->root, j, &req, &snap, err);
	if (rc == 0 && to)
		printf("%s upgraded to %s; snapshot %s kept ('iocage rollback %s@%s' and 'iocage "
		       "set' of release= undo it)\n",
		    tag, to, snap, tag, snap);
	else if (rc == 0)
		printf("%s updated; snapshot %s kept ('iocage rollback %s@%s' undoes the update)\n",
		    tag, snap, tag, snap);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_update(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "update", "", argc - 1, argv + 1, &o, err);

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "update");
	if (strncmp(argv[0], "release=", 8) == 0)
		return ioc_upd_release(ctx, argv[0] + 8, err);
	return ioc_upd_named(ctx, argv[0], NULL, err);
}

/* upgrade UUID|TAG release=NEW (either order). */
int
ioc_cmd_upgrade(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "upgrade", "", argc - 1, argv + 1, &o, err), r;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 2)
		return ioc_usage(err, "upgrade");
	r = strncmp(argv[0], "release=", 8) == 0 ? 0 : 1;
	if (strncmp(argv[r], "release=", 8) != 0 || strncmp(argv[1 - r], "release=", 8) == 0)
		return ioc_usage(err, "upgrade");
	return ioc_upd_named(ctx, argv[1 - r], argv[r] + 8, err);
}
