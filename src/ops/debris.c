/*
 * debris.c — removing what interrupted commands left behind: jail datasets
 * that never got their tag or root (their container stopped first), and the
 * work clones of a killed `package`.  Callers hold the root lock.
 */
#include "ops/ops.h"

#include <string.h>

/* Stops containers still running on debris (a killed update release='s temporary jail). */
static int
ioc_debris_stop(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_jails all = { NULL, 0, 0 };
	struct ioc_jstate *st = NULL;
	size_t i;
	int any = 0, rc = 0;
	for (i = 0; i < js->n; i++)
		if (!js->v[i].complete)
			any = 1;
	if (!any)
		return 0;
	/* the engine needs every property of the entry to stop it */
	if (ioc_jails_load(root, NULL, &all, err) != 0)
		return -1;
	st = ioc_ops_states_new(root, &all, err);
	if (st == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < all.n; i++) {
		if (all.v[i].complete || !st[i].running)
			continue;
		/* callers have only read so far: re-executing here is safe */
		if (ioc_engine_need((const void *)e->stop, "clean", err) != 0 ||
		    ioc_ops_prepare(err) != 0 || e->stop(root, &all.v[i], 1, err) != 0)
			rc = -1;
		if (rc != 0)
			ioc_error_wrap(
			    err, "cannot stop the container of debris '%s'", all.v[i].dataset);
	}
	free(st);
	ioc_jails_release(&all);
	return rc;
}

int
ioc_debris_sweep(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_strv *removed,
    struct ioc_error **err)
{
	if (ioc_debris_stop(root, js, err) != 0)
		return -1;
	return ioc_clean_debris(root, js, removed, err);
}

int
ioc_record_sweep(
    const struct ioc_root *root, const char *uuid, struct ioc_strv *removed, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/packages", root->name);
	_cleanup_free_ char *prefix =
	    uuid ? ioc_xasprintf("%s/work-%s-", ds, uuid) : ioc_xasprintf("%s/work-", ds);
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	size_t i;
	if (!ioc_zfs_exists(ds))
		return 0;
	if (ioc_zfs_list_children(ds, &kids, err) != 0)
		return -1;
	for (i = 0; i < kids.n; i++) {
		if (!ioc_startswith(kids.v[i], prefix) || strchr(kids.v[i] + strlen(prefix), '/'))
			continue;
		if (ioc_zfs_destroy(kids.v[i], 1, err) != 0)
			return ioc_error_wrap(err,
			    "cannot remove the work clone '%s' of an interrupted "
			    "package",
			    kids.v[i]);
		if (removed)
			ioc_strv_push(removed, kids.v[i]);
	}
	return 0;
}

/* Snapshots of R/jails itself (no jail owns them): left by a killed `snapshot ALL`. */
int
ioc_snapshot_debris_sweep(
    const struct ioc_root *root, struct ioc_strv *removed, struct ioc_error **err)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/jails", root->name);
	char *names[] = { top, NULL };
	struct ioc_zrows rows;
	size_t i;
	int rc = 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "type", 0, 1, NULL, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n && rc == 0; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		if (at == NULL || (size_t)(at - rows.v[i].name) != strlen(top) ||
		    strncmp(rows.v[i].name, top, strlen(top)) != 0)
			continue;
		rc = ioc_zfs_destroy(rows.v[i].name, 0, err);
		if (rc == 0 && removed)
			ioc_strv_push(removed, rows.v[i].name);
	}
	ioc_zrows_release(&rows);
	return rc;
}
