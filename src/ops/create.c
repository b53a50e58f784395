/*
 * create.c — making jails: the operation behind create, create -t, clone,
 * and the untagged jails that package import and update release= finish.
 *
 * Every check that reads the pool comes before the first write; each jail
 * is one `zfs create -o ...` carrying all its properties (tag included,
 * unless untagged), then its root (clone, copy or empty dataset).  A jail
 * whose root or packages fail is destroyed again; a kill leaves a dataset
 * without a root, which is debris the next create or clean removes.
 */
#include "ops/ops.h"

#include "core/depends.h"
#include "core/legacy.h"
#include "core/tagidx.h"

#include <ctype.h>
#include <string.h>

void
ioc_assigns_free(struct ioc_assign *a, size_t n)
{
	size_t i;
	for (i = 0; a && i < n; i++)
		free(a[i].value);
	free(a);
}

int
ioc_assigns_parse(
    char *const *words, size_t n, struct ioc_assign **out, size_t *nout, struct ioc_error **err)
{
	struct ioc_assign *as = ioc_xcalloc(n + 1, sizeof(*as));
	size_t i;
	*out = as;
	*nout = 0;
	for (i = 0; i < n; i++) {
		if (ioc_prop_parse_assign(words[i], 1, &as[i].p, &as[i].value, err) != 0)
			return -1;
		*nout = i + 1;
		if (ioc_ops_check_prop(as[i].p, as[i].value, err) != 0)
			return -1;
	}
	return 0;
}

int
ioc_jails_tag_taken(const struct ioc_jails *js, const char *tag, const char *self)
{
	return ioc_jails_tag_holder(js, tag, self) != NULL;
}

int
ioc_jails_depends_check(const struct ioc_jails *js, const char *uuid, const char *tag,
    const char *value, struct ioc_error **err)
{
	struct ioc_dep_node *nodes = ioc_xcalloc(js->n + 2, sizeof(*nodes));
	struct ioc_depgraph g;
	size_t i, n = 0, self = (size_t)-1;
	int rc;
	for (i = 0; i < js->n; i++) {
		if (!js->v[i].complete)
			continue;
		if (uuid && strcmp(js->v[i].uuid, uuid) == 0) {
			self = n;
			nodes[n].tag = tag;
			nodes[n++].depends = value;
			continue;
		}
		nodes[n].tag = ioc_jail_get(&js->v[i], "tag");
		nodes[n++].depends = ioc_jail_get(&js->v[i], "depends");
	}
	if (self == (size_t)-1) {
		self = n;
		nodes[n].tag = tag;
		nodes[n++].depends = value;
	}
	ioc_depgraph_build(&g, nodes, n);
	rc = ioc_depgraph_check(&g, self, err);
	ioc_depgraph_release(&g);
	free(nodes);
	if (rc != 0)
		return ioc_error_wrap(
		    err, "invalid value '%s' for property 'depends' of '%s'", value, tag);
	return 0;
}

int
ioc_ops_tag_links(const struct ioc_root *root, int legacy, const char *uuid, const char *tag,
    struct ioc_error **err)
{
	_cleanup_free_ char *rmp = NULL, *jmp = NULL;
	if (!legacy)
		return 0;
	if (ioc_legacy_mountpoints(root->name, uuid, &rmp, &jmp, err) != 0 ||
	    ioc_legacy_tags_sync(rmp, jmp, tag, err) != 0)
		return -1;
	return 0;
}

/* One jail to make: its dataset properties and how its root is made. */
struct ioc_newjail {
	char *uuid;
	char *tag;
	struct ioc_strv props; /* -o name=value for R/jails/UUID */
};

/*
 * Builds the `zfs create -o` list for a new jail from validated assignments.
 * Native properties keep their names; iocage ones get the prefix.
 */
static void
ioc_newjail_props(struct ioc_newjail *nj, const struct ioc_assign *as, size_t n, const char *type,
    const char *release, const char *extra, int untagged)
{
	size_t i;
	_cleanup_free_ char *now = ioc_now_fmt("%Y-%m-%d %H:%M:%S");
	ioc_strv_init(&nj->props);
	ioc_strv_push(&nj->props, "canmount=off");
	/* no device node in a jail's files is ever a device (mounted nodev) */
	ioc_strv_push(&nj->props, "devices=off");
	if (!untagged)
		ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "tag=%s", nj->tag);
	ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "type=%s", type);
	ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "release=%s", release);
	ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "created=%s", now);
	if (extra)
		ioc_strv_push(&nj->props, extra);
	for (i = 0; i < n && strcmp(as[i].p->name, "hostid") != 0; i++)
		;
	if (i == n) {
		/* the host the jail is made on, as the shell iocage recorded it (start checks it) */
		_cleanup_free_ char *h = ioc_prop_builtin(ioc_prop_find("hostid"), NULL, NULL);
		ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "hostid=%s", h);
	}
	for (i = 0; i < n; i++) {
		const char *name = as[i].p->name;
		if (strcmp(name, "tag") == 0 || strcmp(name, "release") == 0)
			continue;
		if (as[i].p->flags & IOC_PF_NATIVE)
			ioc_strv_pushf(&nj->props, "%s=%s", name, as[i].value);
		else
			ioc_strv_pushf(&nj->props, IOC_PROP_PREFIX "%s=%s", name, as[i].value);
	}
}

char *
ioc_jail_default_tag(const char *uuid)
{
	char *t = ioc_xstrndup(uuid, 8);
	const char *p;
	for (p = t; *p; p++)
		if (!isdigit((unsigned char)*p))
			return t;
	free(t);
	return ioc_xasprintf("j%.8s", uuid);
}

/* Properties a clone does not inherit from its source jail (hostid: it is made on this host). */
static int
ioc_clone_skips(const char *name)
{
	static const char *const skip[] = { "tag", "uuid", "host_hostuuid", "host_hostname",
		"vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "created", "last_started",
		"jail_zfs_dataset", "template", "source_template", "type", "release", "hostid",
		NULL };
	size_t i;
	for (i = 0; skip[i]; i++)
		if (strcmp(skip[i], name) == 0)
			return 1;
	return 0;
}

/* The source jail's own settings that the request did not override (clone, create -t). */
static void
ioc_carry_props(
    const struct ioc_jail *src, const struct ioc_assign *as, size_t n, struct ioc_strv *out)
{
	size_t p, i;
	for (p = 0; p < ioc_nprops; p++) {
		const struct ioc_prop *q = &ioc_props[p];
		int given = 0;
		for (i = 0; i < n; i++)
			if (as[i].p == q)
				given = 1;
		if (given || src->srcs[p] != IOC_SRC_LOCAL ||
		    (q->flags & (IOC_PF_NATIVE | IOC_PF_RO)) || ioc_clone_skips(q->name))
			continue;
		ioc_strv_pushf(out, IOC_PROP_PREFIX "%s=%s", q->name, src->values[p]);
	}
}

/* Creates one jail: the properties dataset, then its root (clone, copy or empty). */
static int
ioc_make_jail(const struct ioc_root *root, struct ioc_newjail *nj, enum ioc_create_how how,
    const char *snap, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s", root->name, nj->uuid);
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", ds);
	if (ioc_zfs_create(ds, &nj->props, 0, err) != 0)
		return -1;
	switch (how) {
	case IOC_CREATE_THIN:
		if (ioc_zfs_clone(snap, rootds, NULL, err) != 0)
			goto undo;
		break;
	case IOC_CREATE_THICK: {
		const char *at = strchr(snap, '@');
		_cleanup_free_ char *copy = ioc_xasprintf("%s%s", rootds, at);
		if (ioc_zfs_send_recv(snap, rootds, NULL, err) != 0)
			goto undo;
		/*
		 * The received snapshot is not the user's: drop it.  The jail is
		 * complete already, so failing here (or being killed) only leaves
		 * a harmless snapshot that snaplist shows; it is not a failed create.
		 */
		{
			struct ioc_error *e2 = NULL;
			ioc_zfs_destroy(copy, 0, &e2);
			ioc_error_free(e2);
		}
		break;
	}
	case IOC_CREATE_EMPTY:
		if (ioc_zfs_create(rootds, NULL, 0, err) != 0)
			goto undo;
		break;
	}
	return 0;
undo : {
	struct ioc_error *e2 = NULL;
	/* best effort: what is left is debris the next create or clean removes */
	ioc_zfs_destroy(ds, 1, &e2);
	ioc_error_free(e2);
}
	return -1;
}

/* The source of the new jails: the template's snapshot, release and settings (create -t). */
static int
ioc_create_from_template(const struct ioc_root *root, const struct ioc_create_req *req, char **snap,
    char **release, char **extra, struct ioc_strv *carry, struct ioc_error **err)
{
	char *const names[] = { (char *)req->template_name, NULL };
	struct ioc_jails tjs;
	struct ioc_jail *t;
	int rc = -1;
	if (ioc_jails_load_named(root, NULL, names, &tjs, err) != 0)
		return -1;
	if (ioc_jail_resolve(&tjs, req->template_name, &t, err) != 0)
		goto out;
	if (strcmp(ioc_jail_get(t, "template"), "yes") != 0) {
		ioc_err(err, "'%s' is not a template (set template=yes on a stopped jail first)",
		    req->template_name);
		goto out;
	}
	*snap = ioc_xasprintf("%s/root@" IOC_TEMPLATE_SNAP, t->dataset);
	free(*release);
	*release = ioc_xstrdup(ioc_jail_get(t, "release"));
	*extra = ioc_xasprintf(IOC_PROP_PREFIX "source_template=%s", ioc_jail_get(t, "tag"));
	ioc_carry_props(t, req->props, req->nprops, carry);
	rc = 0;
out:
	ioc_jails_release(&tjs);
	if (rc == 0 && !ioc_zfs_exists(*snap))
		rc = ioc_err(err,
		    "template '%s' has no template snapshot; set template=no, then "
		    "template=yes again",
		    req->template_name);
	return rc;
}

static void
ioc_newjails_free(struct ioc_newjail *nj, long long count)
{
	long long c;
	for (c = 0; nj && c < count; c++) {
		free(nj[c].uuid);
		free(nj[c].tag);
		ioc_strv_release(&nj[c].props);
	}
	free(nj);
}

/*
 * Where the new jails come from: a snapshot (with the settings of carry_from
 * in carry), a template (create -t), or a release: release=, else the host's
 * for jails that need one, else "none".
 */
static int
ioc_create_source(const struct ioc_root *root, const struct ioc_create_req *req, char **snap,
    char **release, char **extra, struct ioc_strv *carry, struct ioc_error **err)
{
	if (req->snapshot) {
		if (req->carry_from)
			ioc_carry_props(req->carry_from, req->props, req->nprops, carry);
	} else if (req->template_name) {
		if (ioc_create_from_template(root, req, snap, release, extra, carry, err) != 0)
			return -1;
	} else if (req->how != IOC_CREATE_EMPTY && *release == NULL) {
		/* the host's own release, as the shell iocage created by default */
		const char *host = ioc_host_release(err);
		if (host == NULL)
			return -1;
		*release = ioc_xstrdup(host);
	}
	if (*release == NULL)
		*release = ioc_xstrdup("none");
	return 0;
}

/* The tag of new jail c (from 0) of count: TAG, or TAG_1..TAG_count; NULL without tag=. */
static char *
ioc_create_nth_tag(const char *tag, long long count, long long c)
{
	if (tag == NULL)
		return NULL;
	return count > 1 ? ioc_xasprintf("%s_%lld", tag, c + 1) : ioc_xstrdup(tag);
}

/*
 * Makes one planned jail: its datasets, its packages (removed again when
 * they do not install), its tag links; then reports it (uuids_out, made).
 */
static int
ioc_create_one(const struct ioc_root *root, const struct ioc_create_req *req, int legacy,
    struct ioc_newjail *nj, const char *snap, struct ioc_strv *uuids_out, struct ioc_error **err)
{
	if (ioc_make_jail(root, nj, req->how, snap, err) != 0)
		return ioc_error_wrap(err, "cannot create jail '%s'", nj->tag);
	if (req->pkgs && req->pkgs->n &&
	    ioc_ops_install_pkgs(root, nj->uuid, req->pkgs, err) != 0) {
		/* no half-made jails: one whose packages did not install goes */
		struct ioc_error *e2 = NULL;
		_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s", root->name, nj->uuid);
		ioc_zfs_destroy(ds, 1, &e2);
		ioc_error_free(e2);
		return ioc_error_wrap(err, "cannot create jail '%s' (removed again)", nj->tag);
	}
	if (uuids_out)
		ioc_strv_push(uuids_out, nj->uuid);
	if (!req->untagged && ioc_ops_tag_links(root, legacy, nj->uuid, nj->tag, err) != 0)
		return ioc_error_wrap(err, "jail '%s' (%s) created, but", nj->tag, nj->uuid);
	if (req->made)
		req->made(req->made_arg, nj->uuid, nj->tag);
	return 0;
}

/*
 * The new tags in the tag index before any is written (tagidx.h): each its
 * entry, or, after a read of every jail (all), the whole index completed.
 */
static int
ioc_create_index(const struct ioc_root *root, const struct ioc_jails *js, int all,
    const struct ioc_newjail *nj, long long count, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv pairs = IOC_STRV_INIT;
	long long c;
	if (!all) {
		for (c = 0; c < count; c++)
			if (ioc_tagidx_put(root, nj[c].tag, nj[c].uuid, err) != 0)
				return -1;
		return 0;
	}
	for (c = 0; c < count; c++) {
		ioc_strv_push(&pairs, nj[c].tag);
		ioc_strv_push(&pairs, nj[c].uuid);
	}
	return ioc_tagidx_build(root, js, &pairs, all == 2, err);
}

/* A failed create's entry goes again when its jail was not made. */
static void
ioc_create_unindex(const struct ioc_root *root, const struct ioc_newjail *nj)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s", root->name, nj->uuid);
	struct ioc_error *e = NULL;
	if (!ioc_zfs_exists(ds))
		ioc_tagidx_drop(root, nj->tag, nj->uuid, &e);
	ioc_error_free(e);
}

int
ioc_jail_create(const struct ioc_root *root, const struct ioc_create_req *req,
    struct ioc_strv *uuids_out, struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_newjail *nj = NULL;
	const char *dep = NULL;
	_cleanup_free_ char *snap = req->snapshot ? ioc_xstrdup(req->snapshot) : NULL;
	_cleanup_free_ char *release = req->release ? ioc_xstrdup(req->release) : NULL;
	_cleanup_free_ char *extra = req->source_template ?
	    ioc_xasprintf(IOC_PROP_PREFIX "source_template=%s", req->source_template) :
	    NULL;
	_cleanup_strv_ struct ioc_strv carry = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	const char *type, *tag = req->tag;
	long long count = req->count > 0 ? req->count : 1, c;
	int full = 0, all = 0, indexed = 0, rc = -1, want_rel;
	size_t i;

	if (tag && ioc_valid_tag(tag, err) != 0)
		return -1;
	if (ioc_create_source(root, req, &snap, &release, &extra, &carry, err) != 0)
		return -1;
	/* running code in the jail may make the engine re-execute us: before any change */
	if (req->pkgs && req->pkgs->n && ioc_ops_prepare(err) != 0)
		return -1;
	for (i = 0; i < req->nprops; i++)
		if (strcmp(req->props[i].p->name, "depends") == 0 &&
		    strcmp(req->props[i].value, "none") != 0)
			dep = req->props[i].value;
	type = req->how == IOC_CREATE_EMPTY ? "emptyjail" :
	    req->how == IOC_CREATE_THIN	    ? "clonejail" :
					      "jail";
	/* the new jails' names first: their tags are what the index is asked */
	nj = ioc_xcalloc((size_t)count, sizeof(*nj));
	for (c = 0; c < count; c++) {
		nj[c].uuid = req->uuid && count == 1 ? ioc_xstrdup(req->uuid) : ioc_uuid_new();
		nj[c].tag = ioc_create_nth_tag(tag, count, c);
		if (nj[c].tag == NULL)
			nj[c].tag = ioc_jail_default_tag(nj[c].uuid);
		if (ioc_valid_tag(nj[c].tag, err) != 0)
			goto out;
		ioc_strv_push(&tags, nj[c].tag);
	}
	/* tags: unique among complete jails (root lock held by the caller); one read
	 * of the tag index that also finds the release's snapshot when that is the source */
	want_rel = snap == NULL && req->how != IOC_CREATE_EMPTY;
	if (ioc_jails_load_tags_for(root, want_rel ? release : NULL, &tags, &js,
		want_rel ? &snap : NULL, &all, err) != 0)
		goto out;
	for (c = 0; c < count && !full; c++)
		if (ioc_jails_tag_taken(&js, nj[c].tag, NULL))
			full = 1;
	if (full || dep) {
		/* a tag is in use, maybe only by debris: look closer, and sweep debris;
		 * new dependencies may not close a cycle: every jail's */
		ioc_jails_release(&js);
		all = all ? all : 1;
		if (ioc_jails_load(
			root, (const char *const[]) { "tag", "depends", NULL }, &js, err) != 0 ||
		    (full && ioc_debris_sweep(root, &js, NULL, err) != 0))
			goto out;
	}
	if (snap == NULL && req->how != IOC_CREATE_EMPTY) {
		ioc_err(err,
		    "release '%s' is not fetched (or its fetch did not finish): run 'iocage "
		    "fetch release=%s'",
		    release, release);
		goto out;
	}
	for (c = 0; c < count; c++) {
		if (ioc_jails_tag_taken(&js, nj[c].tag, NULL)) {
			ioc_err(err, "tag '%s' is already used by another jail (tags are unique)",
			    nj[c].tag);
			goto out;
		}
		if (dep && ioc_jails_depends_check(&js, NULL, nj[c].tag, dep, err) != 0)
			goto out;
		ioc_newjail_props(
		    &nj[c], req->props, req->nprops, type, release, extra, req->untagged);
		for (i = 0; i < carry.n; i++)
			ioc_strv_push(&nj[c].props, carry.v[i]);
	}
	if (!req->untagged && ioc_create_index(root, &js, all, nj, count, err) != 0)
		goto out;
	indexed = !req->untagged;
	for (c = 0; c < count; c++)
		if (ioc_create_one(root, req, js.legacy, &nj[c], snap, uuids_out, err) != 0)
			goto out;
	rc = 0;
out:
	for (c = 0; rc != 0 && indexed && c < count; c++)
		ioc_create_unindex(root, &nj[c]);
	ioc_newjails_free(nj, count);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_jail_create_untagged(const struct ioc_root *root, const char *release, const char *tag,
    const struct ioc_assign *props, size_t nprops, char **uuid, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv made = IOC_STRV_INIT;
	struct ioc_create_req req;
	*uuid = NULL;
	memset(&req, 0, sizeof(req));
	req.how = IOC_CREATE_THIN;
	req.release = release;
	req.tag = tag;
	req.count = 1;
	req.untagged = 1;
	req.props = props;
	req.nprops = nprops;
	if (ioc_jail_create(root, &req, &made, err) != 0)
		return -1;
	if (made.n != 1)
		return ioc_err(err, "the new jail of release '%s' was not made", release);
	*uuid = ioc_xstrdup(made.v[0]);
	return 0;
}

int
ioc_jail_clone(const struct ioc_root *root, const struct ioc_jails *js, const struct ioc_jail *src,
    const char *srcname, const char *snapname, struct ioc_create_req *req, struct ioc_error **err)
{
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *made = NULL;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *deftag = NULL;
	const char *tmpl = NULL;
	int rc;

	if (snapname) {
		if (!ioc_zfs_valid_name(snapname) || strchr(snapname, '@') || strchr(snapname, '/'))
			return ioc_err(err, "invalid snapshot name '%s'", snapname);
		snap = ioc_xasprintf("%s/root@%s", src->dataset, snapname);
		if (!ioc_zfs_exists(snap))
			return ioc_err(err,
			    "jail '%s' has no snapshot '%s' ('iocage snaplist %s' lists them)",
			    srcname, snapname, srcname);
	} else if (strcmp(ioc_jail_get(src, "template"), "yes") == 0) {
		snap = ioc_xasprintf("%s/root@" IOC_TEMPLATE_SNAP, src->dataset);
		tmpl = ioc_jail_get(src, "tag");
	}
	uuid = ioc_uuid_new();
	if (req->tag == NULL) {
		deftag = ioc_jail_default_tag(uuid);
		req->tag = deftag;
	}
	/* before the snapshot below: a taken tag changes nothing */
	if (ioc_jails_tag_taken(js, req->tag, NULL))
		return ioc_err(
		    err, "tag '%s' is already used by another jail (tags are unique)", req->tag);
	if (snap == NULL) {
		/*
		 * A jail without @SNAPSHOT: snapshot it now, named for the new jail, as
		 * the shell iocage did (1.7.6 lib/ioc-zfs __clone_jail: zfs snapshot -r
		 * DATASET@UUID); the clone keeps it as its origin.
		 */
		_cleanup_free_ char *all = ioc_xasprintf("%s@%s", src->dataset, uuid);
		if (ioc_zfs_snapshot(all, 1, err) != 0)
			return -1;
		snap = ioc_xasprintf("%s/root@%s", src->dataset, uuid);
		made = ioc_steal(&all);
	}
	req->how = IOC_CREATE_THIN;
	req->snapshot = snap;
	req->carry_from = src; /* the source's own settings that the user did not override */
	req->source_template = tmpl;
	req->release = ioc_jail_get(src, "release");
	req->uuid = uuid;
	req->count = 1;
	rc = ioc_jail_create(root, req, NULL, err);
	if (rc != 0 && made)
		ioc_zfs_destroy(made, 1, NULL); /* the snapshot this clone took, undone */
	req->tag = req->snapshot = req->uuid = NULL; /* they were this call's */
	return rc;
}
