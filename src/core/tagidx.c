/* tagidx.c — the root's tag index, R/.tags (tagidx.h, docs/tag-index.md). */
#include "core/tagidx.h"

#include "core/legacy.h"

#include <stdlib.h>
#include <string.h>

/* ZFS refuses a property name of ZAP_MAXNAMELEN (256) bytes or more */
#define IOC_TAGIDX_NAME_MAX 255

char *
ioc_tagidx_prop(const char *tag)
{
	struct ioc_sb sb = IOC_SB_INIT;
	const char *p;
	ioc_sb_init(&sb);
	ioc_sb_adds(&sb, IOC_TAGIDX_ENTRY);
	for (p = tag; *p; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			ioc_sb_addc(&sb, ':');
			ioc_sb_addc(&sb, (char)(*p - 'A' + 'a'));
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '_' || *p == '-') {
			ioc_sb_addc(&sb, *p);
		} else {
			break; /* no valid tag has it: never indexed */
		}
	}
	if (*p != '\0' || *tag == '\0' || sb.len > IOC_TAGIDX_NAME_MAX) {
		ioc_sb_release(&sb);
		return NULL;
	}
	return ioc_sb_detach(&sb);
}

char *
ioc_tagidx_dataset(const struct ioc_root *root)
{
	return ioc_xasprintf("%s/" IOC_TAGIDX_CHILD, root->name);
}

/* R/.tags made with props ("name=value"), never mounted. */
static int
ioc_tagidx_create(const char *ds, const struct ioc_strv *props, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv all = IOC_STRV_INIT;
	size_t i;
	ioc_strv_push(&all, "canmount=off");
	for (i = 0; props && i < props->n; i++)
		ioc_strv_push(&all, props->v[i]);
	return ioc_zfs_create(ds, &all, 0, err);
}

int
ioc_tagidx_put(
    const struct ioc_root *root, const char *tag, const char *uuid, struct ioc_error **err)
{
	_cleanup_free_ char *prop = ioc_tagidx_prop(tag);
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_strv_ struct ioc_strv one = IOC_STRV_INIT;
	struct ioc_error *e = NULL;

	if (prop == NULL)
		return 0;
	if (ioc_zfs_set(ds, prop, uuid, &e) == 0)
		return 0;
	if (ioc_zfs_exists(ds)) {
		if (err)
			*err = e;
		else
			ioc_error_free(e);
		return -1;
	}
	ioc_error_free(e);
	e = NULL;
	/* no index yet: made with this entry and no mark (the next create completes it) */
	ioc_strv_pushf(&one, "%s=%s", prop, uuid);
	if (ioc_tagidx_create(ds, &one, &e) == 0)
		return 0;
	ioc_error_free(e);
	/* made meanwhile by another command */
	return ioc_zfs_set(ds, prop, uuid, err);
}

int
ioc_tagidx_drop(
    const struct ioc_root *root, const char *tag, const char *uuid, struct ioc_error **err)
{
	_cleanup_free_ char *prop = tag ? ioc_tagidx_prop(tag) : NULL;
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_free_ char *v = NULL;
	if (prop == NULL || ioc_zfs_get1(ds, prop, &v, err) != 0)
		return prop == NULL ? 0 : -1;
	/* no index, or the entry names another jail (that one still holds the tag) */
	if (v == NULL || strcmp(v, uuid) != 0)
		return 0;
	return ioc_zfs_inherit(ds, prop, err);
}

int
ioc_tagidx_invalidate(const struct ioc_root *root, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_free_ char *mark = NULL;
	if (ioc_zfs_get1(ds, IOC_TAGIDX_MARK, &mark, err) != 0)
		return -1;
	if (mark == NULL || strcmp(mark, "-") == 0)
		return 0;
	return ioc_zfs_inherit(ds, IOC_TAGIDX_MARK, err);
}

/* Adds "PROP=UUID" for tag to want unless tag is unindexable or already there. */
static void
ioc_tagidx_want(struct ioc_strv *want, const char *tag, const char *uuid)
{
	_cleanup_free_ char *prop = tag ? ioc_tagidx_prop(tag) : NULL;
	size_t i, pl;
	if (prop == NULL)
		return;
	pl = strlen(prop);
	for (i = 0; i < want->n; i++)
		if (strncmp(want->v[i], prop, pl) == 0 && want->v[i][pl] == '=')
			return; /* a tag held twice (written behind our back): the first holder */
	ioc_strv_pushf(want, "%s=%s", prop, uuid);
}

/* 1 when rows hold "prop=value" (a "P=V" string) as a local value of ds. */
static int
ioc_tagidx_has(const struct ioc_zrows *rows, const char *ds, const char *pv)
{
	size_t i;
	for (i = 0; i < rows->n; i++) {
		const struct ioc_zrow *r = &rows->v[i];
		size_t pl = strlen(r->prop);
		if (strcmp(r->name, ds) == 0 && strcmp(r->source, "local") == 0 &&
		    strncmp(pv, r->prop, pl) == 0 && pv[pl] == '=' &&
		    strcmp(pv + pl + 1, r->value) == 0)
			return 1;
	}
	return 0;
}

int
ioc_tagidx_build(const struct ioc_root *root, const struct ioc_jails *js,
    const struct ioc_strv *pairs, int missing, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_strv_ struct ioc_strv want = IOC_STRV_INIT;
	char *names[] = { ds, NULL };
	struct ioc_zrows rows;
	size_t i;
	int rc = -1;

	for (i = 0; pairs && i + 1 < pairs->n; i += 2)
		ioc_tagidx_want(&want, pairs->v[i], pairs->v[i + 1]);
	for (i = 0; i < js->n; i++)
		ioc_tagidx_want(&want, ioc_jail_get(&js->v[i], "tag"), js->v[i].uuid);
	ioc_zrows_init(&rows);
	if (!missing && ioc_zfs_get_existing(names, "all", -1, 0, &rows, err) != 0)
		goto out;
	if (rows.n == 0) {
		/* none yet: made whole, mark and entries in one transaction */
		ioc_strv_push(&want, IOC_TAGIDX_MARK "=1");
		rc = ioc_tagidx_create(ds, &want, err);
		goto out;
	}
	for (i = 0; i < want.n; i++) {
		_cleanup_free_ char *prop = NULL;
		const char *eq = strchr(want.v[i], '=');
		if (ioc_tagidx_has(&rows, ds, want.v[i]))
			continue;
		prop = ioc_xstrndup(want.v[i], (size_t)(eq - want.v[i]));
		if (ioc_zfs_set(ds, prop, eq + 1, err) != 0)
			goto out;
	}
	rc = ioc_tagidx_has(&rows, ds, IOC_TAGIDX_MARK "=1") ?
	    0 :
	    ioc_zfs_set(ds, IOC_TAGIDX_MARK, "1", err);
out:
	ioc_zrows_release(&rows);
	return rc;
}

static int
ioc_tagidx_rows_have(const struct ioc_zrows *rows, const char *ds)
{
	size_t i;
	for (i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].name, ds) == 0)
			return 1;
	return 0;
}

/* What one read of R/.tags (with the release's snapshots and R/.defaults) found. */
struct ioc_tagidx_seen {
	int marked; /* the mark is there: a tag without an entry is free */
	int active; /* R/.tags inherits active=yes from R */
	long long best; /* the creation time of *snap */
	size_t found; /* entries read */
};

static void
ioc_tagidx_row(const struct ioc_zrow *r, const char *ds, const char *inh, const char *relsnap,
    struct ioc_tagidx_seen *s, struct ioc_strv *uuids, char **snap)
{
	long long cr = 0;
	if (relsnap && strcmp(r->prop, "creation") == 0 &&
	    strncmp(r->name, relsnap, strlen(relsnap)) == 0 &&
	    ioc_parse_ll(r->value, 0, 1LL << 62, &cr) == 0 && cr >= s->best && snap) {
		s->best = cr;
		free(*snap);
		*snap = ioc_xstrdup(r->name);
	}
	if (strcmp(r->name, ds) != 0)
		return;
	if (strcmp(r->prop, IOC_TAGIDX_MARK) == 0)
		s->marked = strcmp(r->source, "local") == 0 && strcmp(r->value, "1") == 0;
	else if (strcmp(r->prop, IOC_PROP_PREFIX "active") == 0)
		s->active = ioc_root_row_active(r, inh);
	else if (strncmp(r->prop, IOC_TAGIDX_ENTRY, strlen(IOC_TAGIDX_ENTRY)) == 0 &&
	    strcmp(r->source, "local") == 0 && ioc_is_uuid(r->value)) {
		s->found++;
		if (!ioc_strv_contains(uuids, r->value))
			ioc_strv_push(uuids, r->value);
	}
}

int
ioc_tagidx_lookup(const struct ioc_root *root, const char *release, const struct ioc_strv *tags,
    struct ioc_tagidx_hit *hit, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_free_ char *inh = ioc_xasprintf("inherited from %s", root->name);
	_cleanup_free_ char *legacy = ioc_xasprintf("%s/" IOC_LEGACY_DEFAULTS, root->name);
	_cleanup_free_ char *relroot =
	    release ? ioc_xasprintf("%s/releases/%s/root", root->name, release) : NULL;
	_cleanup_free_ char *relsnap =
	    release ? ioc_xasprintf("%s@" IOC_RELEASE_SNAP, relroot) : NULL;
	_cleanup_sb_ struct ioc_sb plist = IOC_SB_INIT;
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT;
	struct ioc_tagidx_seen s = { 0, 0, -1, 0 };
	struct ioc_zrows rows;
	size_t i;

	memset(hit, 0, sizeof(*hit));
	ioc_strv_init(&hit->uuids);
	ioc_sb_init(&plist);
	ioc_sb_adds(&plist, IOC_TAGIDX_MARK "," IOC_PROP_PREFIX "active");
	if (release)
		ioc_sb_adds(&plist, ",creation");
	for (i = 0; i < tags->n; i++) {
		_cleanup_free_ char *prop = ioc_tagidx_prop(tags->v[i]);
		if (prop == NULL) {
			hit->exists = 1; /* not known: the build looks */
			return 0; /* not in the index: the caller reads every jail */
		}
		if (!ioc_strv_contains(&props, prop)) {
			ioc_sb_addf(&plist, ",%s", prop);
			ioc_strv_push(&props, prop);
		}
	}
	ioc_strv_push(&names, ds);
	if (relroot)
		ioc_strv_push(&names, relroot);
	ioc_strv_push(&names, legacy);
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(ioc_strv_argv(&names), plist.buf, release ? 1 : 0, release != NULL,
		&rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		ioc_tagidx_row(&rows.v[i], ds, inh, relsnap, &s, &hit->uuids, &hit->snap);
		if (strcmp(rows.v[i].name, legacy) == 0)
			hit->legacy = 1;
	}
	hit->exists = ioc_tagidx_rows_have(&rows, ds);
	ioc_zrows_release(&rows);
	hit->usable = s.marked && s.active;
	hit->missing = props.n - s.found;
	return 0;
}

void
ioc_tagidx_hit_release(struct ioc_tagidx_hit *hit)
{
	ioc_strv_release(&hit->uuids);
	free(hit->snap);
	hit->snap = NULL;
}

int
ioc_tagidx_tag_jail(
    const struct ioc_root *root, const char *uuid, const char *tag, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s", root->name, uuid);
	if (ioc_tagidx_put(root, tag, uuid, err) != 0)
		return -1;
	return ioc_zfs_set(ds, IOC_PROP_PREFIX "tag", tag, err);
}

static int
ioc_tagidx_cmp(const void *a, const void *b)
{
	const struct ioc_jail *const *x = a, *const *y = b;
	int c = strcmp(ioc_jail_get(*x, "tag"), ioc_jail_get(*y, "tag"));
	return c ? c : strcmp((*x)->uuid, (*y)->uuid);
}

size_t
ioc_tagidx_dups(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_strv *said)
{
	const struct ioc_jail **v = ioc_xcalloc(js->n + 1, sizeof(*v));
	size_t i, k, m, n = 0, found = 0;
	for (i = 0; i < js->n; i++)
		if (js->v[i].complete && ioc_jail_get(&js->v[i], "tag"))
			v[n++] = &js->v[i];
	qsort(v, n, sizeof(*v), ioc_tagidx_cmp);
	for (i = 0; i < n; i = k) {
		struct ioc_sb sb = IOC_SB_INIT;
		const char *t = ioc_jail_get(v[i], "tag");
		for (k = i + 1; k < n && strcmp(ioc_jail_get(v[k], "tag"), t) == 0; k++)
			;
		if (k - i < 2)
			continue;
		ioc_sb_init(&sb);
		for (m = i; m < k; m++)
			ioc_sb_addf(&sb, "%s%s", m > i ? ", " : "", v[m]->uuid);
		ioc_strv_pushf(said,
		    "tag '%s' is held by %zu jails (%s), written behind iocage's back: rename all "
		    "but one ('iocage set tag=NEW UUID')",
		    t, k - i, sb.buf);
		ioc_sb_release(&sb);
		found++;
	}
	free(v);
	if (found) {
		/* the index may miss such tags: the next create reads every jail */
		struct ioc_error *e = NULL;
		ioc_tagidx_invalidate(root, &e);
		ioc_error_free(e);
	}
	return found;
}

int
ioc_tagidx_init(const struct ioc_root *root, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_tagidx_dataset(root);
	_cleanup_strv_ struct ioc_strv mark = IOC_STRV_INIT;
	ioc_strv_push(&mark, IOC_TAGIDX_MARK "=1");
	return ioc_zfs_exists(ds) ? 0 : ioc_tagidx_create(ds, &mark, err);
}

int
ioc_tagidx_release(const struct ioc_root *root, const struct ioc_jails *js, const char *tag,
    const char *uuid, struct ioc_error **err)
{
	const struct ioc_jail *other;
	if (tag == NULL)
		return 0;
	/* a tag two jails hold (written behind our back): the other keeps it */
	other = ioc_jails_tag_holder(js, tag, uuid);
	if (other)
		return ioc_tagidx_put(root, tag, other->uuid, err);
	return ioc_tagidx_drop(root, tag, uuid, err);
}
