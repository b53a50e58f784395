/* cmd_snap.c — snapshot, snaplist, snapremove, rollback, promote. */
#include "cli/commands.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* Splits "NAME@SNAP"; *snap NULL when there is no '@'.  Validates SNAP. */
static int
ioc_split_at(const char *arg, char **name, char **snap, struct ioc_error **err)
{
	/* the last '@': a snapshot name has none, a legacy date tag (%F@%T) has one */
	const char *at = strrchr(arg, '@');
	const char *p;
	*name = at ? ioc_xstrndup(arg, (size_t)(at - arg)) : ioc_xstrdup(arg);
	*snap = NULL;
	if (at == NULL)
		return 0;
	*snap = ioc_xstrdup(at + 1);
	/* no option-like or dot names ("-rf", ".."): they confuse every tool after us */
	if (**snap == '\0' || strlen(*snap) > 200 || **snap == '-' || **snap == '.')
		goto bad;
	for (p = *snap; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("_-.:", *p)))
			goto bad;
	return 0;
bad:
	free(*name);
	free(*snap);
	*name = *snap = NULL;
	return ioc_err(err, "invalid snapshot name in '%s': allowed letters, digits, '_', '-', '.', ':' "
	    "(not first: '-', '.')", ioc_has_ctrl(arg) ? "(unprintable)" : arg);
}

/* Snapshot rows (name@snap, creation, referenced, used) of a jail's root dataset. */
static int
ioc_jail_snaps(const struct ioc_jail *j, struct ioc_zrows *rows, struct ioc_error **err)
{
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", j->dataset);
	char *names[] = { rootds, NULL };
	ioc_zrows_init(rows);
	return ioc_zfs_get(names, "creation,referenced,used", 0, 1, NULL, 1, rows, err);
}

/* Names (after '@') of the jail's root snapshots, oldest first. */
static int
ioc_snap_names(const struct ioc_jail *j, struct ioc_strv *out, struct ioc_error **err)
{
	struct ioc_zrows rows;
	size_t i;
	if (ioc_jail_snaps(j, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		if (at && strcmp(rows.v[i].prop, "creation") == 0)
			ioc_strv_push(out, at + 1);
	}
	ioc_zrows_release(&rows);
	return 0;
}

/*
 * `snapshot ALL[@NAME]`: every jail at the same instant — one recursive
 * snapshot of R/jails (atomic in ZFS), then R/jails' own snapshot, which no
 * jail owns, is dropped.  A run killed in between leaves only that one
 * snapshot of R/jails, which `clean` removes.
 */
static int
ioc_snapshot_every(struct ioc_ctx *ctx, const char *snap, struct ioc_error **err)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/jails@%s", ctx->root.name, snap);
	int lk, rc = -1;
	if (ioc_root_verify(ctx, err) != 0 || (lk = ioc_lock_root(&ctx->root, err)) < 0)
		return -1;
	if (ioc_zfs_snapshot(top, 1, err) != 0)
		ioc_error_wrap(err, "cannot snapshot every jail");
	else if (ioc_zfs_destroy(top, 0, err) != 0)
		ioc_error_wrap(err, "every jail has snapshot '%s', but '%s' stays ('clean' removes it)",
		    snap, top);
	else {
		printf("snapshot ALL@%s created\n", snap);
		rc = 0;
	}
	close(lk);
	return rc;
}

int
ioc_cmd_snapshot(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *full = NULL;
	int k = ioc_opts_parse(ctx, "snapshot", "n:", argc - 1, argv + 1, &o, err);
	int rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "snapshot");
	if (ioc_split_at(argv[0], &name, &snap, err) != 0)
		return -1;
	if (snap == NULL && o.seen['n']) {
		_cleanup_free_ char *n2 = NULL;
		_cleanup_free_ char *a = ioc_xasprintf("x@%s", o.val['n']);
		if (ioc_split_at(a, &n2, &snap, err) != 0)
			return -1;
	}
	if (snap == NULL)
		snap = ioc_now_fmt("ioc-%Y-%m-%d_%H:%M:%S");
	if (strcmp(name, "ALL") == 0)
		return ioc_snapshot_every(ctx, snap, err);
	if (ioc_ctx_jail(ctx, name, (const char *const[]){ "tag", NULL }, &js, &j, err) != 0)
		return -1;
	full = ioc_xasprintf("%s@%s", j->dataset, snap);
	rc = ioc_zfs_snapshot(full, 1, err);
	if (rc == 0)
		printf("snapshot %s@%s created\n", ioc_jail_get(j, "tag"), snap);
	else
		ioc_error_wrap(err, "cannot snapshot '%s'", name);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_snaplist(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "NAME", "CREATED", "RSIZE", "USED", NULL };
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_zrows rows;
	struct ioc_table t;
	size_t i;
	/* 1.7.6 lib/ioc-snapshot: "%-36s  %-21s  %s   %s\n", rows "%-36s  %-21s  %s    %s\n" */
	static const struct ioc_colfmt lhead[] = { { 36, 0, "  " }, { 21, 0, "  " }, { 0, 0, "   " },
		{ 0, 0, "\n" } };
	static const struct ioc_colfmt lrow[] = { { 36, 0, "  " }, { 21, 0, "  " }, { 0, 0, "    " },
		{ 0, 0, "\n" } };
	int k = ioc_opts_parse(ctx, "snaplist", "pl", argc - 1, argv + 1, &o, err);
	int legacy;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "snaplist");
	legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]){ "tag", NULL }, &js, &j, err) != 0)
		return -1;
	if (ioc_jail_snaps(j, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		ioc_jails_release(&js);
		return -1;
	}
	ioc_table_init(&t, cols);
	for (i = 0; i < rows.n; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		const char *created = NULL, *rsize = "-", *used = "-";
		size_t m;
		char when[64] = "-";
		if (at == NULL || strcmp(rows.v[i].prop, "creation") != 0)
			continue;
		created = rows.v[i].value;
		for (m = 0; m < rows.n; m++) {
			if (strcmp(rows.v[m].name, rows.v[i].name) != 0)
				continue;
			if (strcmp(rows.v[m].prop, "referenced") == 0)
				rsize = rows.v[m].value;
			else if (strcmp(rows.v[m].prop, "used") == 0)
				used = rows.v[m].value;
		}
		{
			long long ts;
			if (!o.seen['p'] && ioc_parse_ll(created, 0, 1LL << 40, &ts) == 0) {
				time_t tt = (time_t)ts;
				struct tm tm;
				if (legacy) {
					/* what `zfs get creation` shows (libzfs's format, local time) */
					localtime_r(&tt, &tm);
					strftime(when, sizeof(when), "%a %b %e %k:%M %Y", &tm);
				} else {
					gmtime_r(&tt, &tm);
					strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
				}
			} else
				snprintf(when, sizeof(when), "%s", created);
		}
		{
			char *rs = ioc_fmt_size(rsize, o.seen['p']);
			char *us = ioc_fmt_size(used, o.seen['p']);
			const char *c[] = { at + 1, when, rs, us };
			ioc_table_add(&t, c);
			free(rs);
			free(us);
		}
	}
	if (legacy)
		ioc_table_print_fixed(&t, lhead, lrow, stdout);
	else
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_zrows_release(&rows);
	ioc_jails_release(&js);
	return 0;
}

/* Resolves "NAME@SNAP" to the jail and checks that the snapshot exists. */
static int
ioc_snap_target(struct ioc_ctx *ctx, const char *arg, struct ioc_jails *js, struct ioc_jail **j,
    char **snap, struct ioc_strv *names, struct ioc_error **err)
{
	_cleanup_free_ char *name = NULL;
	if (ioc_split_at(arg, &name, snap, err) != 0)
		return -1;
	if (*snap == NULL)
		return ioc_fail(err, IOC_EXIT_USAGE, "expected UUID|TAG@SNAPSHOT, got '%s'", arg);
	if (ioc_ctx_jail(ctx, name, (const char *const[]){ "tag", NULL }, js, j, err) != 0)
		return -1;
	if (ioc_snap_names(*j, names, err) != 0 || !ioc_strv_contains(names, *snap)) {
		ioc_err(err, "jail '%s' has no snapshot '%s' ('iocage snaplist %s' lists them)", name,
		    *snap, name);
		ioc_jails_release(js);
		return -1;
	}
	return 0;
}

int
ioc_cmd_snapremove(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *full = NULL;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	int k = ioc_opts_parse(ctx, "snapremove", "", argc - 1, argv + 1, &o, err);
	int rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "snapremove");
	if (ioc_snap_target(ctx, argv[0], &js, &j, &snap, &names, err) != 0)
		return -1;
	full = ioc_xasprintf("%s/root@%s", j->dataset, snap);
	{
		/* a snapshot that jails were cloned from cannot go */
		_cleanup_free_ char *base = ioc_xasprintf("%s/jails", ctx->root.name);
		char *nm[] = { base, NULL };
		struct ioc_zrows rows;
		size_t i;
		ioc_zrows_init(&rows);
		if (ioc_zfs_get(nm, "origin", 0, 2, NULL, 0, &rows, err) != 0) {
			ioc_zrows_release(&rows);
			ioc_jails_release(&js);
			return -1;
		}
		for (i = 0; i < rows.n; i++)
			if (strcmp(rows.v[i].value, full) == 0) {
				ioc_err(err, "cannot remove snapshot '%s': '%s' is cloned from it", snap,
				    rows.v[i].name);
				ioc_zrows_release(&rows);
				ioc_jails_release(&js);
				return -1;
			}
		ioc_zrows_release(&rows);
	}
	free(full);
	full = ioc_xasprintf("%s@%s", j->dataset, snap);
	rc = ioc_zfs_destroy(full, 1, err);
	if (rc == 0)
		printf("snapshot %s@%s removed\n", ioc_jail_get(j, "tag"), snap);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_rollback(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_jstate *st;
	_cleanup_free_ char *snap = NULL;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	struct ioc_sb newer = IOC_SB_INIT;
	int k = ioc_opts_parse(ctx, "rollback", "f", argc - 1, argv + 1, &o, err);
	int rc = -1, lockfd = -1;
	size_t i, pos = 0;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "rollback");
	if (ioc_snap_target(ctx, argv[0], &js, &j, &snap, &names, err) != 0)
		return -1;
	st = ioc_xcalloc(js.n, sizeof(*st));
	if (ioc_run_states(ctx, &js, st, err) != 0)
		goto out;
	if (st[j - js.v].running) {
		ioc_err(err, "jail '%s' is running: stop it before rolling back", ioc_jail_get(j, "tag"));
		goto out;
	}
	for (i = 0; i < names.n; i++)
		if (strcmp(names.v[i], snap) == 0)
			pos = i;
	ioc_sb_init(&newer);
	for (i = pos + 1; i < names.n; i++)
		ioc_sb_addf(&newer, "%s%s", newer.len ? ", " : "", names.v[i]);
	if (newer.len && !o.seen['f']) {
		ioc_err(err, "'%s' is not the newest snapshot; newer ones: %s (rollback -f destroys them)",
		    snap, newer.buf);
		goto out;
	}
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0)
		goto out;
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		goto out;
	for (i = 0; i < kids.n; i++) {
		_cleanup_free_ char *s = ioc_xasprintf("%s@%s", kids.v[i], snap);
		if (strcmp(kids.v[i], j->dataset) != 0 && !ioc_zfs_exists(s))
			continue;
		if (strcmp(kids.v[i], j->dataset) == 0 && !ioc_zfs_exists(s))
			continue;
		if (ioc_zfs_rollback(s, newer.len > 0, err) != 0)
			goto out;
	}
	if (newer.len)
		printf("destroyed newer snapshots: %s\n", newer.buf);
	printf("%s rolled back to %s\n", ioc_jail_get(j, "tag"), snap);
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	ioc_sb_release(&newer);
	free(st);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_promote(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *rootds = NULL;
	_cleanup_free_ char *origin = NULL;
	int k = ioc_opts_parse(ctx, "promote", "", argc - 1, argv + 1, &o, err);
	int rc = -1;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "promote");
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]){ "tag", NULL }, &js, &j, err) != 0)
		return -1;
	rootds = ioc_xasprintf("%s/root", j->dataset);
	if (ioc_zfs_get1(rootds, "origin", &origin, err) != 0)
		goto out;
	if (origin == NULL || strcmp(origin, "-") == 0) {
		ioc_err(err, "jail '%s' is not a clone: nothing to promote", argv[0]);
		goto out;
	}
	if (ioc_zfs_guard(origin, NULL) != 0) {
		ioc_err(err, "jail '%s' is cloned from '%s', outside the root: refusing to promote", argv[0],
		    origin);
		goto out;
	}
	if (ioc_zfs_promote(rootds, err) != 0)
		goto out;
	printf("%s promoted (was a clone of %s)\n", ioc_jail_get(j, "tag"), origin);
	rc = 0;
out:
	ioc_jails_release(&js);
	return rc;
}
