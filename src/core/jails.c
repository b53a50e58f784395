/* jails.c — the jail model: loading the jails of a root in one zfs get, releases, debris (names:
 * jailnames.c) (core.h). */
#include "core/core.h"

#include "core/legacy.h"
#include "core/jails_int.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void
ioc_jail_free(struct ioc_jail *j)
{
	size_t i;
	for (i = 0; i < ioc_nprops; i++) {
		free(j->values[i]);
		free(j->natsrc[i]);
		free(j->ignored_from[i]);
	}
	free(j->values);
	free(j->srcs);
	free(j->natsrc);
	free(j->ignored_from);
	free(j->uuid);
	free(j->dataset);
	free(j->rootfs);
}

void
ioc_jails_release(struct ioc_jails *js)
{
	size_t i;
	for (i = 0; i < js->n; i++)
		ioc_jail_free(&js->v[i]);
	free(js->v);
	js->v = NULL;
	js->n = 0;
}

struct ioc_jail *
ioc_jails_get_or_add(struct ioc_jails *js, const char *uuid, const char *dataset)
{
	size_t i;
	struct ioc_jail *j;
	/* rows come grouped by dataset: the last one is the usual hit */
	for (i = js->n; i > 0; i--)
		if (strcmp(js->v[i - 1].uuid, uuid) == 0)
			return &js->v[i - 1];
	js->v = ioc_xrealloc(js->v, (js->n + 1) * sizeof(*js->v));
	j = &js->v[js->n++];
	memset(j, 0, sizeof(*j));
	j->uuid = ioc_xstrdup(uuid);
	j->dataset = ioc_xstrdup(dataset);
	j->values = ioc_xcalloc(ioc_nprops, sizeof(char *));
	j->srcs = ioc_xcalloc(ioc_nprops, sizeof(enum ioc_src));
	j->natsrc = ioc_xcalloc(ioc_nprops, sizeof(char *));
	j->ignored_from = ioc_xcalloc(ioc_nprops, sizeof(char *));
	return j;
}

int
ioc_jails_load(const struct ioc_root *root, const char *const *props, struct ioc_jails *out,
    struct ioc_error **err)
{
	return ioc_jails_load_rel(root, props, NULL, out, NULL, err);
}

int
ioc_jails_load_rel(const struct ioc_root *root, const char *const *props, const char *release,
    struct ioc_jails *out, char **snap, struct ioc_error **err)
{
	return ioc_jails_load_depth(root, props, release, 2, NULL, out, snap, err);
}

int
ioc_jails_load_tags(const struct ioc_root *root, const char *release, struct ioc_jails *out,
    char **snap, struct ioc_error **err)
{
	static const char *const props[] = { "tag", NULL };
	return ioc_jails_load_depth(root, props, release, 1, NULL, out, snap, err);
}

/*
 * The shell iocage (1.6 to 1.7.6, lib/ioc-rc) named a jail's host name
 * `hostname` and wrote `host_hostname` too, always as the UUID, never using
 * it.  A jail it made keeps the name it ran with: a local `hostname` is the
 * jail's host_hostname while host_hostname is still that UUID (setting
 * host_hostname, or hostname, here writes host_hostname, which then wins).
 */
static void
ioc_legacy_hostname(const char *base, const struct ioc_zrows *rows, struct ioc_jails *js)
{
	size_t i, k, idx = (size_t)(ioc_prop_find("host_hostname") - ioc_props), bl = strlen(base);
	for (i = 0; i < rows->n; i++) {
		const struct ioc_zrow *r = &rows->v[i];
		_cleanup_free_ char *canon = NULL;
		if (strcmp(r->prop, IOC_PROP_PREFIX "hostname") != 0 ||
		    strcmp(r->source, "local") != 0 || strncmp(r->name, base, bl) != 0 ||
		    r->name[bl] != '/' || strchr(r->name + bl + 1, '/') != NULL ||
		    ioc_prop_validate(&ioc_props[idx], r->value, &canon, NULL) != 0)
			continue;
		for (k = 0; k < js->n; k++) {
			struct ioc_jail *j = &js->v[k];
			if (strcmp(j->dataset, r->name) != 0 || j->values[idx] == NULL ||
			    strcmp(j->values[idx], j->uuid) != 0)
				continue;
			free(j->values[idx]);
			j->values[idx] = ioc_xstrdup(canon);
			j->srcs[idx] = IOC_SRC_LOCAL;
		}
	}
}

/* What one load matches the rows against, and what it gathers besides the jails. */
struct ioc_jails_ctx {
	const struct ioc_root *root;
	const struct ioc_strv *only; /* these jails alone, or NULL for all */
	int depth;
	const char *base; /* R/jails */
	size_t bl; /* strlen(base) */
	const char *inh_root; /* "inherited from R" */
	const char *relroot; /* R/releases/REL/root, or NULL */
	const char *relsnap; /* R/releases/REL/root@ioc-release (a prefix), or NULL */
	const char *legacy; /* the shell iocage's R/.defaults */
	unsigned char *want; /* want[i]: ioc_props[i] is read */
	char **legacy_def; /* values set locally on R/.defaults */
	int root_ok; /* R is known to be an active root */
	long long best; /* the creation time of *snap */
};

/* The property list of the read, marking in c->want the table entries it covers. */
static void
ioc_jails_plist(struct ioc_jails_ctx *c, const char *const *props, struct ioc_sb *plist)
{
	size_t i, k;

	ioc_sb_adds(
	    plist, c->depth >= 2 ? "mountpoint," IOC_PROP_PREFIX "tag" : IOC_PROP_PREFIX "tag");
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		int w = props == NULL;
		for (k = 0; props && props[k]; k++)
			if (strcmp(props[k], p->name) == 0)
				w = 1;
		if (!w || (p->flags & IOC_PF_RUNTIME) || strcmp(p->name, "uuid") == 0)
			continue;
		c->want[i] = 1;
		if (strcmp(p->name, "mountpoint") == 0 || strcmp(p->name, "tag") == 0)
			continue;
		ioc_sb_addc(plist, ',');
		if (!(p->flags & IOC_PF_NATIVE))
			ioc_sb_adds(plist, IOC_PROP_PREFIX);
		ioc_sb_adds(plist, p->name);
	}
	if (c->want[ioc_prop_find("host_hostname") - ioc_props]) {
		/* a jail of the shell iocage may carry its own `hostname` (ioc_legacy_hostname) */
		ioc_sb_adds(plist, "," IOC_PROP_PREFIX "hostname");
	}
	if (!c->root->verified) {
		/*
		 * R/jails inherits `active` from R: its row says whether R is an
		 * active root ("inherited from R"), with no extra dataset to read.
		 */
		ioc_sb_adds(plist, "," IOC_PROP_PREFIX "active");
	}
}

/* Reads all the load needs in one zfs get: the jails, the release snapshots, R/.defaults. */
static int
ioc_jails_read(struct ioc_jails_ctx *c, const char *const *props, struct ioc_zrows *rows,
    struct ioc_error **err)
{
	_cleanup_sb_ struct ioc_sb plist = IOC_SB_INIT;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	size_t i;

	ioc_sb_init(&plist);
	ioc_jails_plist(c, props, &plist);
	if (c->only) {
		/* these jails alone (R/jails/UUID and its children: one level less) */
		for (i = 0; i < c->only->n; i++)
			ioc_strv_pushf(&names, "%s/%s", c->base, c->only->v[i]);
	} else
		ioc_strv_push(&names, c->base);
	if (c->relroot) {
		/* the release's snapshots are at depth 1 below its root dataset */
		ioc_sb_adds(&plist, ",creation");
		ioc_strv_push(&names, c->relroot);
	}
	/* the shell iocage's R/.defaults (legacy.h), in the same read */
	ioc_strv_push(&names, c->legacy);
	return ioc_zfs_get_existing(ioc_strv_argv(&names), plist.buf,
	    c->only ? c->depth - 1 : c->depth, c->relroot != NULL, rows, err);
}

/* Keeps in *snap the newest snapshot of the release's root (by its creation row). */
static void
ioc_jails_row_snap(struct ioc_jails_ctx *c, const struct ioc_zrow *r, char **snap)
{
	long long cr = 0;

	ioc_parse_ll(r->value, 0, 1LL << 62, &cr);
	if (cr >= c->best && snap) {
		c->best = cr;
		free(*snap);
		*snap = ioc_xstrdup(r->name);
	}
}

/* Takes a default set locally on the shell iocage's R/.defaults. */
static void
ioc_jails_row_legacy(struct ioc_jails_ctx *c, const struct ioc_zrow *r)
{
	const size_t pl = strlen(IOC_PROP_PREFIX);
	const struct ioc_prop *lp =
	    strncmp(r->prop, IOC_PROP_PREFIX, pl) == 0 ? ioc_prop_find(r->prop + pl) : NULL;

	if (lp && strcmp(r->source, "local") == 0 &&
	    !(lp->flags & (IOC_PF_NODEFAULT | IOC_PF_NATIVE | IOC_PF_RUNTIME))) {
		free(c->legacy_def[lp - ioc_props]);
		c->legacy_def[lp - ioc_props] = ioc_xstrdup(r->value);
	}
}

/* Sets the jail's native property idx to value, as zfs reported it (source src). */
static void
ioc_jail_set_native(struct ioc_jail *j, size_t idx, const char *value, const char *src)
{
	free(j->values[idx]);
	free(j->natsrc[idx]);
	j->values[idx] = ioc_xstrdup(value);
	j->natsrc[idx] = ioc_xstrdup(src);
	j->srcs[idx] = IOC_SRC_NATIVE;
}

/* Takes a row of a jail's child dataset (child: "root", "data", ...). */
static void
ioc_jail_row_child(struct ioc_jail *j, const char *child, const struct ioc_zrow *r)
{
	if (strcmp(child, "root") == 0) {
		j->complete |= 2;
		if (strcmp(r->prop, "mountpoint") == 0) {
			free(j->rootfs);
			j->rootfs = ioc_xstrdup(r->value);
		} else if (strcmp(r->prop, "origin") == 0 && strcmp(r->value, "-") != 0) {
			/* a thin jail's origin is its root's: the release or template snapshot */
			ioc_jail_set_native(
			    j, (size_t)(ioc_prop_find("origin") - ioc_props), r->value, "-");
		}
	} else if (strcmp(child, "data") == 0)
		j->has_data = 1;
}

/* Takes a row of the jail's own dataset: a property and where its value comes from. */
static void
ioc_jail_row_prop(struct ioc_jail *j, const struct ioc_zrow *r, const char *inh_root)
{
	const struct ioc_prop *p;
	size_t idx;
	int own;

	if (strcmp(r->prop, IOC_PROP_PREFIX "hostname") == 0)
		return; /* the legacy name: after the others (ioc_legacy_hostname) */
	if (strncmp(r->prop, IOC_PROP_PREFIX, strlen(IOC_PROP_PREFIX)) == 0)
		p = ioc_prop_find(r->prop + strlen(IOC_PROP_PREFIX));
	else
		p = ioc_prop_find(r->prop);
	if (p == NULL)
		return;
	idx = (size_t)(p - ioc_props);
	if (p->flags & IOC_PF_NATIVE) {
		if (strcmp(p->name, "origin") == 0 && j->values[idx] &&
		    strcmp(j->values[idx], "-") != 0)
			return; /* already the root's origin */
		ioc_jail_set_native(j, idx, r->value, r->source);
		return;
	}
	/* "received": set by a `zfs receive` of a replication stream (a replica, a
	 * root moved with zfs send -R): the jail's own value as much as "local" */
	own = strcmp(r->source, "local") == 0 || strcmp(r->source, "received") == 0;
	if (strcmp(p->name, "tag") == 0 && own)
		j->complete |= 1;
	free(j->values[idx]);
	j->values[idx] = NULL;
	if (own) {
		j->values[idx] = ioc_xstrdup(r->value);
		j->srcs[idx] = IOC_SRC_LOCAL;
	} else if (strcmp(r->source, inh_root) == 0 && !(p->flags & IOC_PF_NODEFAULT)) {
		j->values[idx] = ioc_xstrdup(r->value);
		j->srcs[idx] = IOC_SRC_DEFAULT;
	} else if (strncmp(r->source, "inherited from ", 15) == 0) {
		j->srcs[idx] = IOC_SRC_IGNORED;
		free(j->ignored_from[idx]);
		j->ignored_from[idx] = ioc_xstrdup(r->source + 15);
	} else
		j->srcs[idx] = IOC_SRC_BUILTIN;
}

/* Builds the jails from the rows, noting whether R is active, the release snapshot, R/.defaults. */
static void
ioc_jails_build(
    struct ioc_jails_ctx *c, const struct ioc_zrows *rows, struct ioc_jails *out, char **snap)
{
	size_t i, bl = c->bl;

	for (i = 0; i < rows->n; i++) {
		const struct ioc_zrow *r = &rows->v[i];
		_cleanup_free_ char *uuid = NULL;
		_cleanup_free_ char *ds = NULL;
		const char *rest, *slash;
		struct ioc_jail *j;

		/* R/jails, or a jail below it, inherits `active` from R */
		if (!c->root_ok && strncmp(r->name, c->base, bl) == 0 &&
		    (r->name[bl] == '\0' || (c->only && r->name[bl] == '/')) &&
		    ioc_root_row_active(r, c->inh_root))
			c->root_ok = 1;
		if (c->relsnap && strchr(r->name, '@') && strcmp(r->prop, "creation") == 0 &&
		    strncmp(r->name, c->relsnap, strlen(c->relsnap)) == 0)
			ioc_jails_row_snap(c, r, snap);
		if (strchr(r->name, '@'))
			continue;
		if (strcmp(r->name, c->legacy) == 0) {
			out->legacy = 1;
			ioc_jails_row_legacy(c, r);
			continue;
		}
		if (strncmp(r->name, c->base, bl) != 0 || r->name[bl] != '/')
			continue;
		rest = r->name + bl + 1;
		slash = strchr(rest, '/');
		uuid = slash ? ioc_xstrndup(rest, (size_t)(slash - rest)) : ioc_xstrdup(rest);
		ds = ioc_xasprintf("%s/%s", c->base, uuid);
		j = ioc_jails_get_or_add(out, uuid, ds);
		if (slash)
			ioc_jail_row_child(j, slash + 1, r);
		else
			ioc_jail_row_prop(j, r, c->inh_root);
	}
}

/* Fills what no row set: completeness, built-ins, R/.defaults; legacy on/off read canonically. */
static void
ioc_jails_fill(const struct ioc_jails_ctx *c, struct ioc_jails *out)
{
	size_t i, k;

	for (k = 0; k < out->n; k++) {
		struct ioc_jail *j = &out->v[k];
		/* shallow: every tagged jail counts (its root child is not looked at) */
		j->complete = c->depth >= 2 ? j->complete == 3 : (j->complete & 1);
		j->legacy = out->legacy;
		for (i = 0; i < ioc_nprops; i++) {
			const struct ioc_prop *p = &ioc_props[i];
			if (!c->want[i] && !(p->flags & IOC_PF_RUNTIME) &&
			    strcmp(p->name, "uuid") != 0)
				continue;
			if (strcmp(p->name, "uuid") == 0) {
				free(j->values[i]);
				j->values[i] = ioc_xstrdup(j->uuid);
				j->srcs[i] = IOC_SRC_LOCAL;
				continue;
			}
			if (j->values[i] == NULL && c->legacy_def[i] != NULL) {
				/* a default of the shell iocage's R/.defaults (below R's own) */
				j->values[i] = ioc_xstrdup(c->legacy_def[i]);
				j->srcs[i] = IOC_SRC_DEFAULT;
			}
			if (j->values[i] == NULL) {
				j->values[i] = ioc_prop_builtin(p, j->uuid, c->root->name);
				if (j->srcs[i] != IOC_SRC_IGNORED)
					j->srcs[i] = IOC_SRC_BUILTIN;
			} else if (p->type == IOC_PT_ONOFF || p->type == IOC_PT_YESNO ||
			    p->type == IOC_PT_BOOL01) {
				char *canon = NULL;
				if (ioc_prop_validate(p, j->values[i], &canon, NULL) == 0) {
					free(j->values[i]);
					j->values[i] = canon;
				}
			}
		}
	}
}

/*
 * Loads the jails in three parts: one zfs get reads every row (ioc_jails_read),
 * the rows become jails (ioc_jails_build), and what no row set is filled in
 * afterwards (ioc_jails_fill, ioc_legacy_hostname).  depth 2 sees each jail's
 * root child (completeness); depth 1 only the jails' own rows.
 */
int
ioc_jails_load_depth(const struct ioc_root *root, const char *const *props, const char *release,
    int depth, const struct ioc_strv *only, struct ioc_jails *out, char **snap,
    struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/jails", root->name);
	_cleanup_free_ char *inh_root = ioc_xasprintf("inherited from %s", root->name);
	_cleanup_free_ char *relroot =
	    release ? ioc_xasprintf("%s/releases/%s/root", root->name, release) : NULL;
	_cleanup_free_ char *relsnap =
	    release ? ioc_xasprintf("%s@" IOC_RELEASE_SNAP, relroot) : NULL;
	_cleanup_free_ char *legacy = ioc_xasprintf("%s/" IOC_LEGACY_DEFAULTS, root->name);
	struct ioc_jails_ctx c = {
		.root = root,
		.only = only,
		.depth = depth,
		.base = base,
		.bl = strlen(base),
		.inh_root = inh_root,
		.relroot = relroot,
		.relsnap = relsnap,
		.legacy = legacy,
		.want = ioc_xcalloc(ioc_nprops, 1),
		.legacy_def = ioc_xcalloc(ioc_nprops, sizeof(char *)),
		.root_ok = root->verified,
		.best = -1,
	};
	struct ioc_zrows rows;
	size_t i;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	out->legacy = 0;
	if (snap)
		*snap = NULL;
	ioc_zrows_init(&rows);
	if (ioc_jails_read(&c, props, &rows, err) != 0) {
		if (!root->verified)
			ioc_error_wrap(err, "cannot read iocage root '%s'", root->name);
		rc = -1;
		goto out;
	}
	ioc_jails_build(&c, &rows, out, snap);
	if (!c.root_ok && only && out->n == 0) {
		/* no such jail: nothing read says whether R is a root (the caller's tag read does) */
	} else if (!c.root_ok) {
		rc = ioc_err(err, "'%s' is not an active iocage root: run 'iocage activate %s'",
		    root->name, root->name);
		goto out;
	}
	ioc_jails_fill(&c, out);
	ioc_legacy_hostname(base, &rows, out);
out:
	for (i = 0; i < ioc_nprops; i++)
		free(c.legacy_def[i]);
	free(c.legacy_def);
	free(c.want);
	ioc_zrows_release(&rows);
	if (rc != 0) {
		ioc_jails_release(out);
		if (snap) {
			free(*snap);
			*snap = NULL;
		}
	}
	return rc;
}

const char *
ioc_jail_get(const struct ioc_jail *j, const char *prop)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	if (p == NULL)
		return NULL;
	return j->values[p - ioc_props];
}

int
ioc_jail_is_replica(const struct ioc_jail *j)
{
	const char *v = ioc_jail_get(j, "replica");
	return v != NULL && strcmp(v, "yes") == 0;
}

int
ioc_jail_is_migrated(const struct ioc_jail *j)
{
	const char *v = ioc_jail_get(j, "migrated");
	return v != NULL && strcmp(v, "no") != 0;
}

const char *
ioc_jail_source(const struct ioc_jail *j, const struct ioc_prop *p)
{
	size_t i = (size_t)(p - ioc_props);
	switch (j->srcs[i]) {
	case IOC_SRC_LOCAL: return "local";
	case IOC_SRC_DEFAULT: return "default";
	case IOC_SRC_IGNORED: return "built-in (ignored a value inherited from outside the root)";
	case IOC_SRC_NATIVE: return j->natsrc[i] ? j->natsrc[i] : "-";
	case IOC_SRC_BUILTIN: break;
	}
	if (p->flags & IOC_PF_RUNTIME)
		return "-";
	return "built-in";
}

char *
ioc_uuid_new(void)
{
	unsigned char b[16];
	if (getentropy(b, sizeof(b)) != 0) {
		/* getentropy of 16 bytes cannot fail on supported systems */
		abort();
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return ioc_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}

int
ioc_clean_debris(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_strv *removed,
    struct ioc_error **err)
{
	size_t i;
	(void)root;
	for (i = 0; i < js->n; i++) {
		if (js->v[i].complete)
			continue;
		if (ioc_zfs_destroy(js->v[i].dataset, 1, err) != 0)
			return ioc_error_wrap(err, "cannot remove debris '%s'", js->v[i].dataset);
		if (removed)
			ioc_strv_push(removed, js->v[i].dataset);
	}
	return 0;
}

int
ioc_hook_noop(const char *v)
{
	v += strspn(v, " \t");
	return v[0] == '\0' || strcmp(v, "/usr/bin/true") == 0 || strcmp(v, "none") == 0;
}

/* 1 when property name's value v (from a source other than built-in) reaches the host. */
static int
ioc_reaches_host(const struct ioc_jail *j, const char *name, const char *v)
{
	if (strncmp(name, "exec_pre", 8) == 0 || strncmp(name, "exec_post", 9) == 0)
		return !ioc_hook_noop(v);
	if (strcmp(name, "fstab") == 0)
		return strcmp(v, "none") != 0;
	if (strcmp(name, "resolver") == 0)
		return v[0] == '/';
	if (strcmp(name, "userns") == 0)
		return strcmp(v, "off") == 0;
	if (strcmp(name, "jail_zfs_dataset") == 0)
		return strcmp(ioc_jail_get(j, "jail_zfs"), "on") == 0;
	return 1; /* userns_idmap */
}

int
ioc_jail_check_delegation(
    const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err)
{
	static const char *const names[] = { "exec_prestart", "exec_poststart", "exec_prestop",
		"exec_poststop", "fstab", "resolver", "userns", "userns_idmap", "jail_zfs_dataset",
		NULL };
	const char *checked[2] = { NULL, NULL };
	size_t i;
	for (i = 0; names[i]; i++) {
		const struct ioc_prop *p = ioc_prop_find(names[i]);
		_cleanup_strv_ struct ioc_strv who = IOC_STRV_INIT;
		enum ioc_src src;
		const char *ds;
		if (p == NULL || j->values == NULL || j->values[p - ioc_props] == NULL)
			continue;
		src = j->srcs[p - ioc_props];
		if (src != IOC_SRC_LOCAL && src != IOC_SRC_DEFAULT)
			continue;
		if (!ioc_reaches_host(j, p->name, j->values[p - ioc_props]))
			continue;
		ds = src == IOC_SRC_LOCAL ? j->dataset : root->name;
		if (ds == NULL)
			continue;
		if ((checked[0] && strcmp(checked[0], ds) == 0) ||
		    (checked[1] && strcmp(checked[1], ds) == 0))
			continue; /* one `zfs allow` a dataset */
		checked[checked[0] ? 1 : 0] = ds;
		if (ioc_zfs_delegated(ds, &who, err) != 0)
			return -1;
		if (who.n > 0)
			return ioc_err(err,
			    "refusing to start '%s': %s is set on %s and acts on the "
			    "host as root, but %s may set user properties there: remove the "
			    "delegation (zfs unallow) or the value",
			    ioc_jail_get(j, "tag"), p->name, ds, who.v[0]);
	}
	return 0;
}
