/*
 * snap.c — a jail's snapshots: taking them (every dataset of the jail, or of
 * every jail at once), listing them (its root dataset's), removing one that
 * no jail is cloned from, and rolling the jail back to one.  Snapshot names
 * are checked here.  Locks are taken here: the root's for snapshot ALL, the
 * jail's for a rollback; the others take none.
 */
#include "ops/ops.h"

#include <string.h>
#include <unistd.h>

int
ioc_snap_split(const char *arg, char **name, char **snap, struct ioc_error **err)
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
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_-.:", *p)))
			goto bad;
	return 0;
bad:
	free(*name);
	free(*snap);
	*name = *snap = NULL;
	return ioc_err(err,
	    "invalid snapshot name in '%s': allowed letters, digits, '_', '-', "
	    "'.', ':' (not first: '-', '.')",
	    ioc_has_ctrl(arg) ? "(unprintable)" : arg);
}

int
ioc_jails_origins(const struct ioc_root *root, struct ioc_zrows *rows, struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/jails", root->name);
	char *names[] = { base, NULL };
	ioc_zrows_init(rows);
	if (ioc_zfs_get(names, "origin", 0, 3, NULL, 0, rows, err) != 0) {
		ioc_zrows_release(rows);
		return -1;
	}
	return 0;
}

int
ioc_jail_clone_users(const struct ioc_root *root, const struct ioc_jails *js,
    const struct ioc_jail *j, struct ioc_sb *names, struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/jails", root->name);
	_cleanup_strv_ struct ioc_strv seen = IOC_STRV_INIT;
	struct ioc_zrows rows;
	size_t i, k, dl = strlen(j->dataset), bl = strlen(base);
	if (ioc_jails_origins(root, &rows, err) != 0)
		return -1;
	for (i = 0; i < rows.n; i++) {
		const char *org = rows.v[i].value, *n = rows.v[i].name;
		const char *label = n;
		if (strncmp(org, j->dataset, dl) != 0 || (org[dl] != '/' && org[dl] != '@'))
			continue;
		if (strncmp(n, j->dataset, dl) == 0 && (n[dl] == '/' || n[dl] == '\0'))
			continue;
		/* name the owning jail by its tag when it is a complete one */
		for (k = 0; k < js->n; k++) {
			size_t ul = strlen(js->v[k].uuid);
			if (strncmp(n, base, bl) == 0 && n[bl] == '/' &&
			    strncmp(n + bl + 1, js->v[k].uuid, ul) == 0 &&
			    (n[bl + 1 + ul] == '/' || n[bl + 1 + ul] == '\0') &&
			    js->v[k].complete) {
				label = ioc_jail_get(&js->v[k], "tag");
				break;
			}
		}
		if (!ioc_strv_contains(&seen, label))
			ioc_strv_push(&seen, label);
	}
	for (k = 0; k < seen.n; k++)
		ioc_sb_addf(names, "%s%s", names->len ? ", " : "", seen.v[k]);
	ioc_zrows_release(&rows);
	return 0;
}

void
ioc_snap_result_release(struct ioc_snap_result *r)
{
	free(r->tag);
	free(r->snap);
	free(r->newer);
	memset(r, 0, sizeof(*r));
}

/* Loads the jails req->name may mean, with their tags, and resolves one. */
static int
ioc_snap_jail(const struct ioc_root *root, const char *name, struct ioc_jails *js,
    struct ioc_jail **j, struct ioc_error **err)
{
	static const char *const props[] = { "tag", NULL };
	char *const names[] = { (char *)name, NULL };
	if (ioc_jails_load_named(root, props, names, js, err) != 0)
		return -1;
	if (ioc_jail_resolve(js, name, j, err) != 0) {
		ioc_jails_release(js);
		return -1;
	}
	return 0;
}

/* The snapshots of j's root dataset (one `zfs get`); *out needs no release after -1. */
static int
ioc_jail_snaps(const struct ioc_jail *j, struct ioc_snaps *out, struct ioc_error **err)
{
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", j->dataset);
	char *names[] = { rootds, NULL };
	size_t i, m;
	memset(out, 0, sizeof(*out));
	ioc_zrows_init(&out->rows);
	if (ioc_zfs_get(names, "creation,referenced,used", 0, 1, NULL, 1, &out->rows, err) != 0) {
		ioc_snaps_release(out);
		return -1;
	}
	out->v = ioc_xcalloc(out->rows.n + 1, sizeof(*out->v));
	for (i = 0; i < out->rows.n; i++) {
		const struct ioc_zrow *r = &out->rows.v[i];
		const char *at = strchr(r->name, '@');
		struct ioc_snap *s = &out->v[out->n];
		if (at == NULL || strcmp(r->prop, "creation") != 0)
			continue;
		s->name = at + 1;
		s->creation = r->value;
		s->referenced = s->used = "-";
		for (m = 0; m < out->rows.n; m++) {
			if (strcmp(out->rows.v[m].name, r->name) != 0)
				continue;
			if (strcmp(out->rows.v[m].prop, "referenced") == 0)
				s->referenced = out->rows.v[m].value;
			else if (strcmp(out->rows.v[m].prop, "used") == 0)
				s->used = out->rows.v[m].value;
		}
		out->n++;
	}
	return 0;
}

void
ioc_snaps_release(struct ioc_snaps *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	ioc_zrows_release(&s->rows);
}

int
ioc_jail_snaplist(
    const struct ioc_root *root, const char *name, struct ioc_snaps *out, struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	int rc;
	if (ioc_snap_jail(root, name, &js, &j, err) != 0)
		return -1;
	rc = ioc_jail_snaps(j, out, err);
	ioc_jails_release(&js);
	return rc;
}

/*
 * `snapshot ALL[@NAME]`: every jail at the same instant — one recursive
 * snapshot of R/jails (atomic in ZFS), then R/jails' own snapshot, which no
 * jail owns, is dropped.  A run killed in between leaves only that one
 * snapshot of R/jails, which `clean` removes.
 */
static int
ioc_snapshot_every(const struct ioc_root *root, const char *snap, struct ioc_error **err)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/jails@%s", root->name, snap);
	int lk, rc = -1;
	if ((lk = ioc_lock_root(root, err)) < 0)
		return -1;
	if (ioc_zfs_snapshot(top, 1, err) != 0)
		ioc_error_wrap(err, "cannot snapshot every jail");
	else if (ioc_zfs_destroy(top, 0, err) != 0)
		ioc_error_wrap(err,
		    "every jail has snapshot '%s', but '%s' stays ('clean' removes "
		    "it)",
		    snap, top);
	else
		rc = 0;
	close(lk);
	return rc;
}

int
ioc_jail_snapshot(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_free_ char *full = NULL;
	int rc;
	memset(res, 0, sizeof(*res));
	res->snap = req->snap ? ioc_xstrdup(req->snap) : ioc_now_fmt("ioc-%Y-%m-%d_%H:%M:%S");
	if (strcmp(req->name, "ALL") == 0) {
		res->tag = ioc_xstrdup("ALL");
		return ioc_snapshot_every(root, res->snap, err);
	}
	if (ioc_snap_jail(root, req->name, &js, &j, err) != 0)
		return -1;
	full = ioc_xasprintf("%s@%s", j->dataset, res->snap);
	rc = ioc_zfs_snapshot(full, 1, err);
	if (rc == 0)
		res->tag = ioc_xstrdup(ioc_jail_get(j, "tag"));
	else
		ioc_error_wrap(err, "cannot snapshot '%s'", req->name);
	ioc_jails_release(&js);
	return rc;
}

/* Resolves req->name to the jail and checks that it has snapshot req->snap;
 * names gets the names of its snapshots, oldest first. */
static int
ioc_snap_target(const struct ioc_root *root, const struct ioc_snap_req *req, struct ioc_jails *js,
    struct ioc_jail **j, struct ioc_strv *names, struct ioc_error **err)
{
	struct ioc_snaps ss;
	size_t i;
	int rc;
	if (ioc_snap_jail(root, req->name, js, j, err) != 0)
		return -1;
	rc = ioc_jail_snaps(*j, &ss, err);
	for (i = 0; rc == 0 && i < ss.n; i++)
		ioc_strv_push(names, ss.v[i].name);
	ioc_snaps_release(&ss);
	if (rc != 0 || !ioc_strv_contains(names, req->snap)) {
		ioc_err(err, "jail '%s' has no snapshot '%s' ('iocage snaplist %s' lists them)",
		    req->name, req->snap, req->name);
		ioc_jails_release(js);
		return -1;
	}
	return 0;
}

/* Refuses to remove R/jails/UUID/root@snap when a dataset is cloned from it. */
static int
ioc_snap_check_clones(
    const struct ioc_root *root, const struct ioc_jail *j, const char *snap, struct ioc_error **err)
{
	_cleanup_free_ char *full = ioc_xasprintf("%s/root@%s", j->dataset, snap);
	struct ioc_zrows rows;
	size_t i;
	int rc = 0;
	if (ioc_jails_origins(root, &rows, err) != 0)
		return -1;
	for (i = 0; i < rows.n && rc == 0; i++)
		if (strcmp(rows.v[i].value, full) == 0)
			rc = ioc_err(err, "cannot remove snapshot '%s': '%s' is cloned from it",
			    snap, rows.v[i].name);
	ioc_zrows_release(&rows);
	return rc;
}

int
ioc_jail_snapremove(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_free_ char *full = NULL;
	int rc = -1;
	memset(res, 0, sizeof(*res));
	if (ioc_snap_target(root, req, &js, &j, &names, err) != 0)
		return -1;
	/* a snapshot that jails were cloned from cannot go */
	if (ioc_snap_check_clones(root, j, req->snap, err) != 0)
		goto out;
	full = ioc_xasprintf("%s@%s", j->dataset, req->snap);
	rc = ioc_zfs_destroy(full, 1, err);
	if (rc == 0) {
		res->tag = ioc_xstrdup(ioc_jail_get(j, "tag"));
		res->snap = ioc_xstrdup(req->snap);
	}
out:
	ioc_jails_release(&js);
	return rc;
}

/* Rolls every dataset of j that has @snap back to it (jail lock held);
 * destroy: newer snapshots are destroyed (zfs rollback -r). */
static int
ioc_rollback_datasets(
    const struct ioc_jail *j, const char *snap, int destroy, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	size_t i;
	if (ioc_zfs_list_children(j->dataset, &kids, err) != 0)
		return -1;
	for (i = 0; i < kids.n; i++) {
		_cleanup_free_ char *s = ioc_xasprintf("%s@%s", kids.v[i], snap);
		if (!ioc_zfs_exists(s))
			continue;
		if (ioc_zfs_rollback(s, destroy, err) != 0)
			return -1;
	}
	return 0;
}

int
ioc_jail_rollback(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_jstate *st = NULL;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_sb_ struct ioc_sb newer = IOC_SB_INIT;
	int rc = -1, lockfd = -1;
	size_t i, pos = 0;

	memset(res, 0, sizeof(*res));
	if (ioc_snap_target(root, req, &js, &j, &names, err) != 0)
		return -1;
	st = ioc_ops_states_new(root, &js, err);
	if (st == NULL)
		goto out;
	if (st[j - js.v].running) {
		ioc_err(err, "jail '%s' is running: stop it before rolling back",
		    ioc_jail_get(j, "tag"));
		goto out;
	}
	for (i = 0; i < names.n; i++)
		if (strcmp(names.v[i], req->snap) == 0)
			pos = i;
	ioc_sb_init(&newer);
	for (i = pos + 1; i < names.n; i++)
		ioc_sb_addf(&newer, "%s%s", newer.len ? ", " : "", names.v[i]);
	if (newer.len && !req->force) {
		ioc_err(err,
		    "'%s' is not the newest snapshot; newer ones: %s (rollback -f "
		    "destroys them)",
		    req->snap, newer.buf);
		goto out;
	}
	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0 || ioc_rollback_datasets(j, req->snap, newer.len > 0, err) != 0)
		goto out;
	res->tag = ioc_xstrdup(ioc_jail_get(j, "tag"));
	res->snap = ioc_xstrdup(req->snap);
	res->newer = newer.len ? ioc_xstrdup(newer.buf) : NULL;
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	free(st);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_jail_promote(const struct ioc_jail *j, const char *name, char **origin, struct ioc_error **err)
{
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", j->dataset);
	*origin = NULL;
	if (ioc_zfs_get1(rootds, "origin", origin, err) != 0)
		return -1;
	if (*origin == NULL || strcmp(*origin, "-") == 0)
		return ioc_err(err, "jail '%s' is not a clone: nothing to promote", name);
	if (ioc_zfs_guard(*origin, NULL) != 0)
		return ioc_err(err,
		    "jail '%s' is cloned from '%s', outside the root: refusing to promote", name,
		    *origin);
	return ioc_zfs_promote(rootds, err);
}
