/*
 * template.c — turning a jail into a template and back (`set template=yes|no`, ops.h).
 *
 * A template is a stopped jail with template=yes and the snapshot
 * R/jails/UUID/root@ioc-template, which `clone TEMPLATE` and `create -t`
 * clone (thin) or copy (thick).  It is never started (ops/run.c refuses).
 *
 * Order, so that kill -9 at any point leaves the jail as it was or complete:
 *   yes: (re)take the snapshot, then set the property.  Killed in between,
 *        the jail is still an ordinary jail with a spare snapshot that the
 *        next `set template=yes` takes again.
 *   no:  refuse while any jail is cloned from the jail's snapshots; set the
 *        property, then drop the snapshot.  Killed in between, the jail is an
 *        ordinary jail with a spare snapshot (harmless, as above).
 * Both run with the root lock held (no clone can start from the template
 * while it changes) and the jail's lock.
 */
#include "ops/ops.h"
#include "core/props.h"

#include <string.h>

int
ioc_template_check(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jail *j,
    int yes, struct ioc_error **err)
{
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_jails one = { j, 1, 0 };
	struct ioc_jstate st;

	if (yes) {
		memset(&st, 0, sizeof(st));
		if (ioc_ops_states(root, &one, &st, err) != 0)
			return -1;
		if (st.running)
			return ioc_err(
			    err, "jail '%s' is running: stop it before making it a template", tag);
		return 0;
	} else {
		struct ioc_sb deps = IOC_SB_INIT;
		int rc = 0;
		ioc_sb_init(&deps);
		if (ioc_jail_clone_users(root, js, j, &deps, err) != 0)
			rc = -1;
		else if (deps.len)
			rc = ioc_err(err,
			    "cannot turn template '%s' back into a jail: jails are cloned from it: %s "
			    "(destroy them or 'iocage promote' them first)",
			    tag, deps.buf);
		ioc_sb_release(&deps);
		return rc;
	}
}

int
ioc_template_apply(const struct ioc_root *root, struct ioc_jail *j, int yes, struct ioc_error **err)
{
	_cleanup_free_ char *snap = ioc_xasprintf("%s/root@" IOC_TEMPLATE_SNAP, j->dataset);
	const char *prop = IOC_PROP_PREFIX "template";
	(void)root;
	if (yes) {
		/* a spare snapshot from an interrupted conversion is taken again: the
		 * template must be the jail as it is now (nothing can be cloned from it
		 * while the jail is not a template) */
		if (ioc_zfs_exists(snap) && ioc_zfs_destroy(snap, 0, err) != 0)
			return -1;
		if (ioc_zfs_snapshot(snap, 0, err) != 0)
			return -1;
		return ioc_zfs_set(j->dataset, prop, "yes", err);
	}
	if (ioc_zfs_set(j->dataset, prop, "no", err) != 0)
		return -1;
	if (ioc_zfs_exists(snap) && ioc_zfs_destroy(snap, 0, err) != 0)
		return ioc_error_wrap(err, "'%s' is no longer a template, but its snapshot stays",
		    ioc_jail_get(j, "tag"));
	return 0;
}
