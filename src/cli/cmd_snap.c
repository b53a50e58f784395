/* cmd_snap.c — snapshot, snaplist, snapremove, rollback, promote: parsed and printed
 * here; the operations are ops/snap.c. */
#include "cli/commands.h"

#include <string.h>
#include <time.h>

int
ioc_cmd_snapshot(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_snap_req req;
	struct ioc_snap_result res;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *snap = NULL;
	int k = ioc_opts_parse(ctx, "snapshot", "n:", argc - 1, argv + 1, &o, err);
	int rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "snapshot");
	if (ioc_snap_split(argv[0], &name, &snap, err) != 0)
		return -1;
	if (snap == NULL && o.seen['n']) {
		_cleanup_free_ char *n2 = NULL;
		_cleanup_free_ char *a = ioc_xasprintf("x@%s", o.val['n']);
		if (ioc_snap_split(a, &n2, &snap, err) != 0)
			return -1;
	}
	if (strcmp(name, "ALL") == 0 && ioc_root_verify(ctx, err) != 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.name = name;
	req.snap = snap;
	rc = ioc_jail_snapshot(&ctx->root, &req, &res, err);
	if (rc == 0)
		printf("snapshot %s@%s created\n", res.tag, res.snap);
	ioc_snap_result_release(&res);
	return rc;
}

/* A snapshot's creation time as snaplist shows it: legacy, as `zfs get creation` does
 * (libzfs's format, local time), else ISO in UTC; raw (-p) or unparsable: as it is. */
static void
ioc_snap_when(const char *created, int raw, int legacy, char *when, size_t size)
{
	long long ts;
	if (!raw && ioc_parse_ll(created, 0, 1LL << 40, &ts) == 0) {
		time_t tt = (time_t)ts;
		struct tm tm;
		if (legacy) {
			localtime_r(&tt, &tm);
			strftime(when, size, "%a %b %e %k:%M %Y", &tm);
		} else {
			gmtime_r(&tt, &tm);
			strftime(when, size, "%Y-%m-%d %H:%M:%S", &tm);
		}
	} else
		snprintf(when, size, "%s", created);
}

int
ioc_cmd_snaplist(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "NAME", "CREATED", "RSIZE", "USED", NULL };
	struct ioc_opts o;
	struct ioc_snaps ss;
	struct ioc_table t;
	size_t i;
	/* 1.7.6 lib/ioc-snapshot: "%-36s  %-21s  %s   %s\n", rows "%-36s  %-21s  %s    %s\n" */
	static const struct ioc_colfmt lhead[] = { { 36, 0, "  " }, { 21, 0, "  " },
		{ 0, 0, "   " }, { 0, 0, "\n" } };
	static const struct ioc_colfmt lrow[] = { { 36, 0, "  " }, { 21, 0, "  " },
		{ 0, 0, "    " }, { 0, 0, "\n" } };
	int k = ioc_opts_parse(ctx, "snaplist", "pl", argc - 1, argv + 1, &o, err);
	int legacy;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "snaplist");
	legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	if (ioc_jail_snaplist(&ctx->root, argv[0], &ss, err) != 0)
		return -1;
	ioc_table_init(&t, cols);
	for (i = 0; i < ss.n; i++) {
		char when[64] = "-";
		char *rs = ioc_fmt_size(ss.v[i].referenced, o.seen['p']);
		char *us = ioc_fmt_size(ss.v[i].used, o.seen['p']);
		const char *c[] = { ss.v[i].name, when, rs, us };
		ioc_snap_when(ss.v[i].creation, o.seen['p'], legacy, when, sizeof(when));
		ioc_table_add(&t, c);
		free(rs);
		free(us);
	}
	if (legacy)
		ioc_table_print_fixed(&t, lhead, lrow, stdout);
	else
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_snaps_release(&ss);
	return 0;
}

typedef int (*ioc_snap_op)(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err);

/* snapremove and rollback: parses [-f] UUID|TAG@SNAPSHOT and runs the operation into res
 * (released by the caller, also after -1). */
static int
ioc_snap_cmd(struct ioc_ctx *ctx, int argc, char **argv, const char *cmd, const char *spec,
    ioc_snap_op op, struct ioc_snap_result *res, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_snap_req req;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *snap = NULL;
	int k = ioc_opts_parse(ctx, cmd, spec, argc - 1, argv + 1, &o, err);

	memset(res, 0, sizeof(*res));
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, cmd);
	if (ioc_snap_split(argv[0], &name, &snap, err) != 0)
		return -1;
	if (snap == NULL)
		return ioc_fail(
		    err, IOC_EXIT_USAGE, "expected UUID|TAG@SNAPSHOT, got '%s'", argv[0]);
	memset(&req, 0, sizeof(req));
	req.name = name;
	req.snap = snap;
	req.force = o.seen['f'];
	return op(&ctx->root, &req, res, err);
}

int
ioc_cmd_snapremove(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_snap_result res;
	int rc = ioc_snap_cmd(ctx, argc, argv, "snapremove", "", ioc_jail_snapremove, &res, err);
	if (rc == 0)
		printf("snapshot %s@%s removed\n", res.tag, res.snap);
	ioc_snap_result_release(&res);
	return rc;
}

int
ioc_cmd_rollback(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_snap_result res;
	int rc = ioc_snap_cmd(ctx, argc, argv, "rollback", "f", ioc_jail_rollback, &res, err);
	if (rc == 0 && res.newer)
		printf("destroyed newer snapshots: %s\n", res.newer);
	if (rc == 0)
		printf("%s rolled back to %s\n", res.tag, res.snap);
	ioc_snap_result_release(&res);
	return rc;
}

int
ioc_cmd_promote(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *origin = NULL;
	int k = ioc_opts_parse(ctx, "promote", "", argc - 1, argv + 1, &o, err), rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "promote");
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]) { "tag", NULL }, &js, &j, err) != 0)
		return -1;
	rc = ioc_jail_promote(j, argv[0], &origin, err);
	if (rc == 0)
		printf("%s promoted (was a clone of %s)\n", ioc_jail_get(j, "tag"), origin);
	ioc_jails_release(&js);
	return rc;
}
