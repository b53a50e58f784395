/*
 * set.c — `set PROPERTY=VALUE ... UUID|TAG|default` (ops.h): the checks that
 * look at the other jails (a tag free, depends= without a cycle or a
 * missing jail, a template conversion allowed), under the root's lock when
 * they do and the jail's, then the writes.
 */
#include "ops/ops.h"
#include "core/tagidx.h"
#include "core/props.h"
#include "core/runrec.h"

#include <string.h>
#include <unistd.h>

/*
 * A new tag or depends= at set: a new tag for a jail others depend on would
 * leave them a missing dependency; then the jail's dependencies, as they
 * will be, are checked (ioc_jails_depends_check).
 */
static int
ioc_set_check_depends(const struct ioc_jails *js, const struct ioc_jail *j, const char *newtag,
    const char *newdep, struct ioc_error **err)
{
	_cleanup_sb_ struct ioc_sb names = IOC_SB_INIT;
	const char *old = ioc_jail_get(j, "tag");
	if (newtag && strcmp(old, newtag) != 0) {
		ioc_sb_init(&names);
		ioc_jails_dependents(js, j, &names);
		if (names.len)
			return ioc_err(err,
			    "cannot rename '%s' to '%s': jail(s) %s depend on it "
			    "(depends=): change their depends first",
			    old, newtag, names.buf);
	}
	if (newtag == NULL && newdep == NULL)
		return 0;
	return ioc_jails_depends_check(
	    js, j->uuid, newtag ? newtag : old, newdep ? newdep : ioc_jail_get(j, "depends"), err);
}

/*
 * The checked assignments written to dataset: the jail j's (NULL: the root's
 * defaults), template= excepted for a jail (its conversion is apart); a new
 * tag goes in the tag index first (js: every jail, loaded for a new tag),
 * then moves the running jail's run-time record and then its tag links.
 */
static int
ioc_set_write(const struct ioc_root *root, const char *dataset, const struct ioc_jail *j,
    const struct ioc_jails *js, const struct ioc_assign *as, size_t n, struct ioc_error **err)
{
	size_t i;
	/* stop no longer takes the properties start saved (runrec.h): it reads them */
	if (root->name)
		ioc_runrec_forget_props(root->name, j ? j->uuid : NULL);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *zn = ioc_prop_zfs_name(as[i].p);
		int retag = j && strcmp(as[i].p->name, "tag") == 0;
		if (strcmp(as[i].p->name, "template") == 0 && j)
			continue;
		/* the tag index learns a new tag before the jail holds it (tagidx.h) */
		if (retag && ioc_tagidx_put(root, as[i].value, j->uuid, err) != 0)
			return ioc_error_wrap(err, "cannot set tag");
		if (ioc_zfs_set(dataset, zn, as[i].value, err) != 0)
			return ioc_error_wrap(err, "cannot set %s", as[i].p->name);
		/* the old name's entry goes (the root lock is held for a new tag) */
		if (retag && strcmp(ioc_jail_get(j, "tag"), as[i].value) != 0 &&
		    ioc_tagidx_release(root, js, ioc_jail_get(j, "tag"), j->uuid, err) != 0)
			return ioc_error_wrap(err, "tag set to '%s', but", as[i].value);
		/* a running jail's run-time record follows its tag (under the jail's lock) */
		if (j && strcmp(as[i].p->name, "tag") == 0 &&
		    ioc_runrec_retag(root->name, j->uuid, as[i].value, err) != 0)
			return -1;
	}
	for (i = 0; i < n && j; i++)
		if (strcmp(as[i].p->name, "tag") == 0 &&
		    ioc_ops_tag_links(root, js->legacy, j->uuid, as[i].value, err) != 0)
			return ioc_error_wrap(err, "tag set to '%s', but", as[i].value);
	return 0;
}

/*
 * The jail set names, for a new tag, dependencies or a template conversion
 * (others: every jail is read, under the root's lock) or a name only every
 * jail's tags resolve; then locked (*lockfd) and checked to be there still.
 * A conversion to what the jail is already sets *tmpl to -1 (nothing to do).
 */
static int
ioc_set_load_jail(const struct ioc_root *root, const char *target, const struct ioc_assign *as,
    size_t n, int others, int *tmpl, struct ioc_jails *js, struct ioc_jail **jp, int *lockfd,
    int *rootlock, struct ioc_error **err)
{
	const char *newtag = NULL, *newdep = NULL;
	struct ioc_jail *j;
	size_t i;

	if (others && (*rootlock = ioc_lock_root(root, err)) < 0)
		return -1;
	/* a new tag, dependencies or a template conversion look at the other jails */
	if (ioc_jail_load_one(root, target, NULL, others, js, jp, err) != 0)
		return -1;
	j = *jp;
	for (i = 0; i < n; i++) {
		if (strcmp(as[i].p->name, "tag") == 0 &&
		    ioc_jails_tag_taken(js, as[i].value, j->uuid))
			return ioc_err(
			    err, "tag '%s' is already used by another jail", as[i].value);
		if (strcmp(as[i].p->name, "tag") == 0)
			newtag = as[i].value;
		if (strcmp(as[i].p->name, "depends") == 0)
			newdep = as[i].value;
	}
	if (ioc_set_check_depends(js, j, newtag, newdep, err) != 0)
		return -1;
	*lockfd = ioc_lock_jail(root, j->uuid, err);
	if (*lockfd < 0)
		return -1;
	/* the jail may have been destroyed while we waited for its lock */
	if (!ioc_zfs_exists(j->dataset))
		return ioc_err(err, "jail '%s' was destroyed meanwhile", target);
	/* template=yes|no converts the jail (template.c); same value: nothing to do */
	if (*tmpl >= 0 && *tmpl == (strcmp(ioc_jail_get(j, "template"), "yes") == 0))
		*tmpl = -1;
	return *tmpl >= 0 ? ioc_template_check(root, js, j, *tmpl, err) : 0;
}

int
ioc_props_set(struct ioc_root *root, const char *target, const struct ioc_assign *as, size_t n,
    struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j = NULL;
	_cleanup_free_ char *dataset = NULL;
	int rc = -1, lockfd = -1, rootlock = -1, is_default = target == NULL, has_tag = 0,
	    has_dep = 0, tmpl = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(as[i].p->name, "tag") == 0)
			has_tag = 1;
		if (strcmp(as[i].p->name, "depends") == 0)
			has_dep = 1;
		if (strcmp(as[i].p->name, "template") == 0)
			tmpl = strcmp(as[i].value, "yes") == 0;
	}
	/* a lazily named root: read first unless the jail's read checks it */
	if ((is_default || has_tag || has_dep || tmpl >= 0) && ioc_root_read(root, err) != 0)
		goto out;
	if (is_default) {
		dataset = ioc_xstrdup(root->name);
	} else {
		int others = has_tag || has_dep || tmpl >= 0;
		/* one jail alone: locked, then read once (its tag through the name hint
		 * or the index); a UUID prefix, or a name neither knows, takes the
		 * path below, which says what it is */
		int r = others ? 0 : ioc_jail_load_locked(root, target, &js, &j, &lockfd, err);
		if (r < 0)
			goto out;
		if (r == 0 &&
		    ioc_set_load_jail(
			root, target, as, n, others, &tmpl, &js, &j, &lockfd, &rootlock, err) != 0)
			goto out;
		dataset = ioc_xstrdup(j->dataset);
	}
	if (ioc_set_write(root, dataset, is_default ? NULL : j, &js, as, n, err) != 0)
		goto out;
	if (tmpl >= 0 && ioc_template_apply(root, j, tmpl, err) != 0)
		goto out;
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (rootlock >= 0)
		close(rootlock);
	ioc_jails_release(&js);
	return rc;
}
