/* legacy.c — recognising a shell iocage root at `activate` (see legacy.h). */
#include "core/legacy.h"

#include "core/core.h"
#include "zfs/zfs.h"

#include <string.h>

int
ioc_legacy_adopt(const char *root, struct ioc_sb *summary, struct ioc_error **err)
{
	_cleanup_free_ char *defaults = ioc_xasprintf("%s/" IOC_LEGACY_DEFAULTS, root);
	_cleanup_free_ char *jails = ioc_xasprintf("%s/jails", root);
	_cleanup_free_ char *rels = ioc_xasprintf("%s/releases", root);
	_cleanup_strv_ struct ioc_strv adopted = IOC_STRV_INIT;
	char *names[] = { defaults, jails, rels, NULL };
	struct ioc_zrows rows;
	size_t i, k, nj = 0, jl = strlen(jails), rl = strlen(rels);
	int has_defaults = 0, rc = 0;

	ioc_zrows_init(&rows);
	/* one read: .defaults, jails (depth 2), releases with their snapshots */
	if (ioc_zfs_get_existing(names, "canmount," IOC_PROP_PREFIX "release_source", 3, 1, &rows,
	    err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const struct ioc_zrow *r = &rows.v[i];
		const char *rest;
		if (strcmp(r->name, defaults) == 0) {
			has_defaults = 1;
			continue;
		}
		/* R/jails/UUID mounted and tagged: the shell iocage's jail */
		if (strncmp(r->name, jails, jl) == 0 && r->name[jl] == '/' && !strchr(r->name, '@') &&
		    !strchr(r->name + jl + 1, '/') && strcmp(r->prop, "canmount") == 0 &&
		    strcmp(r->value, "on") == 0)
			nj++;
		/* R/releases/REL/root without any @ioc-release snapshot */
		if (strncmp(r->name, rels, rl) == 0 && r->name[rl] == '/' && !strchr(r->name, '@') &&
		    strcmp(r->prop, "canmount") == 0) {
			rest = r->name + rl + 1;
			const char *sl = strchr(rest, '/');
			_cleanup_free_ char *pfx = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, r->name);
			_cleanup_free_ char *relds = NULL;
			int has = 0;
			if (sl == NULL || strcmp(sl, "/root") != 0)
				continue;
			/* ours record how they were fetched: one without a snapshot is an
			 * interrupted fetch, never to be adopted */
			relds = ioc_xstrndup(r->name, (size_t)(sl - r->name));
			for (k = 0; k < rows.n; k++)
				has |= strncmp(rows.v[k].name, pfx, strlen(pfx)) == 0 ||
				    (strcmp(rows.v[k].name, relds) == 0 &&
				    strcmp(rows.v[k].prop, IOC_PROP_PREFIX "release_source") == 0 &&
				    strcmp(rows.v[k].source, "local") == 0);
			if (!has)
				ioc_strv_push(&adopted, r->name);
		}
	}
	ioc_zrows_release(&rows);
	for (i = 0; i < adopted.n; i++) {
		_cleanup_free_ char *snap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, adopted.v[i]);
		if (ioc_zfs_snapshot(snap, 0, err) != 0)
			return -1;
	}
	if (has_defaults || nj || adopted.n) {
		ioc_sb_addf(summary, "recognised a shell iocage layout: %zu jail%s in place%s",
		    nj, nj == 1 ? "" : "s", has_defaults ? ", defaults from " IOC_LEGACY_DEFAULTS : "");
		for (i = 0; i < adopted.n; i++)
			ioc_sb_addf(summary, "%s release %.*s", i ? "," : "; snapshotted for new jails:",
			    (int)(strlen(adopted.v[i]) - rl - 6), adopted.v[i] + rl + 1);
	}
	return rc;
}
