/*
 * sync_thin.c — the first sync of a jail whose root is a clone.
 *
 * `zfs send -R` of such a jail sends its root as a clone stream: receive
 * looks for the origin by guid in the target's pool.  Another pool without
 * it refuses the stream; the same pool finds the jail's own release and the
 * replica would depend on a dataset of another root.  So that first sync goes
 * in parts, each a stream into the staging dataset T/packages/sync-UUID that
 * ioc_sync_first (sync.c) also uses:
 *
 *   release  zfs send -p R/releases/REL/root@SNAP     (when T has no REL)
 *   parent   zfs send -p J@ioc-sync-N
 *   child    zfs send -R J/CHILD@ioc-sync-N           (data, ...)
 *   root     zfs send -p [-I ORIGIN] J/root@ioc-sync-N
 *   finish   the root's origin checked, replica=yes, one rename to T/jails/UUID
 *
 * The root is thin (-I: a clone of T's copy of the release's snapshot) when
 * the origin is a release's snapshot and T holds that very snapshot (the
 * same guid), or holds no REL at all: the release then goes first, staged in
 * T/packages/sync-UUID-release with its own properties and put in place as
 * T/releases/REL with one rename (created canmount=noauto: never mounted, so
 * never busy for zfs-fuse's rename).  Otherwise (T's REL is another fetch, the
 * origin a template's or a jail's) the root goes whole.  When the receive
 * took another copy of the origin than T's (a pool holding it twice),
 * finish removes the root and it goes again, whole.  Each part is one
 * function on T's side, ioc_sync_part, run in this process for a local
 * target and by `iocage sync-receive UUID 0 PART...` over ssh for another
 * host.  A sync killed on the way leaves only staging datasets, which the
 * next one removes.  Later syncs send each dataset's increment ("inc"),
 * never -R: zfs-fuse's receive fails an -R or -p increment of a clone
 * whose replica is not a clone of the same origin.
 */
#include "ops/ops.h"
#include "ops/sync_int.h"
#include "core/props.h"

#include <stdio.h>
#include <string.h>

/* j's sync snapshots, its root's origin (th->origin, unset when none), its other direct children. */
static int
ioc_thin_children(const struct ioc_jail *j, struct ioc_sync_thin *th, struct ioc_error **err)
{
	char *names[] = { (char *)j->dataset, NULL };
	_cleanup_free_ char *rootds = ioc_xasprintf("%s/root", j->dataset);
	struct ioc_zrows rows;
	size_t i, dl = strlen(j->dataset), rl = strlen(rootds);
	int deep = 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "origin", 1, -1, NULL, 1, &rows, err) != 0)
		return -1;
	ioc_sync_snaps_of(&rows, j->dataset, &th->sv, &th->sn);
	for (i = 0; i < rows.n; i++) {
		const char *n = rows.v[i].name;
		if (strchr(n, '@'))
			continue;
		if (strcmp(n, rootds) == 0 && strcmp(rows.v[i].value, "-") != 0)
			th->origin = ioc_xstrdup(rows.v[i].value);
		else if (strncmp(n, rootds, rl) == 0 && n[rl] == '/')
			deep = 1;
		else if (strncmp(n, j->dataset, dl) == 0 && n[dl] == '/' &&
		    strcmp(n, rootds) != 0 && strchr(n + dl + 1, '/') == NULL)
			ioc_strv_push(&th->others, n + dl + 1);
	}
	ioc_zrows_release(&rows);
	if (deep && th->origin)
		return ioc_err(err,
		    "jail '%s': its root is a clone with datasets of its own below it: a sync "
		    "cannot copy that",
		    ioc_jail_get(j, "tag"));
	return 0;
}

/* REL and SNAP of origin when it is R/releases/REL/root@SNAP, else -1. */
static int
ioc_thin_release_of(const struct ioc_root *root, const char *origin, char **rel, char **snap)
{
	size_t rl = strlen(root->name), pl = strlen("/releases/");
	const char *r, *e, *at;
	if (strncmp(origin, root->name, rl) != 0 || strncmp(origin + rl, "/releases/", pl) != 0)
		return -1;
	r = origin + rl + pl;
	e = strchr(r, '/');
	at = strchr(r, '@');
	if (e == NULL || at == NULL || e > at || e == r || strncmp(e, "/root@", 6) != 0 ||
	    at[1] == '\0')
		return -1;
	*rel = ioc_xstrndup(r, (size_t)(e - r));
	*snap = ioc_xstrdup(at + 1);
	return 0;
}

int
ioc_sync_thin_plan(const struct ioc_root *root, const struct ioc_jail *j, int first,
    struct ioc_sync_thin *th, struct ioc_error **err)
{
	_cleanup_free_ char *srel = NULL;
	char *names[3] = { NULL };
	struct ioc_zrows rows;
	const char *v;

	memset(th, 0, sizeof(*th));
	if (ioc_thin_children(j, th, err) != 0)
		return -1;
	th->split = th->origin != NULL;
	if (!first || !th->split || ioc_thin_release_of(root, th->origin, &th->rel, &th->snap) != 0)
		return 0;
	srel = ioc_xasprintf("%s/releases/%s", root->name, th->rel);
	names[0] = th->origin;
	names[1] = srel;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names,
		"guid," IOC_PROP_PREFIX "release_source," IOC_PROP_PREFIX "release_idmap", -1, 1,
		&rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	v = ioc_zrows_value(&rows, th->origin, "guid");
	th->guid = v ? ioc_xstrdup(v) : NULL;
	v = ioc_zrows_value(&rows, srel, IOC_PROP_PREFIX "release_source");
	th->source = ioc_xstrdup(v && strcmp(v, "-") != 0 ? v : ".");
	v = ioc_zrows_value(&rows, srel, IOC_PROP_PREFIX "release_idmap");
	th->idmap = ioc_xstrdup(v && strcmp(v, "-") != 0 ? v : ".");
	ioc_zrows_release(&rows);
	if (th->guid == NULL)
		return ioc_err(
		    err, "jail '%s': its origin %s is gone", ioc_jail_get(j, "tag"), th->origin);
	return 0;
}

int
ioc_sync_release_state(const struct ioc_root *t, const char *rel, const char *snap,
    const char *guid, struct ioc_error **err)
{
	_cleanup_free_ char *trel = ioc_xasprintf("%s/releases/%s", t->name, rel);
	_cleanup_free_ char *tsnap = ioc_xasprintf("%s/root@%s", trel, snap);
	char *names[] = { trel, tsnap, NULL };
	struct ioc_zrows rows;
	const char *g;
	int state;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names, "guid", -1, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	g = ioc_zrows_value(&rows, tsnap, "guid");
	state = ioc_zrows_value(&rows, trel, "guid") == NULL ? 0 :
	    g && strcmp(g, guid) == 0			     ? 1 :
							       2;
	ioc_zrows_release(&rows);
	return state;
}

void
ioc_sync_thin_decide(struct ioc_sync_thin *th, int state, const char *tag)
{
	th->thin = th->rel != NULL && state != 2;
	th->send_release = th->rel != NULL && state == 0;
	if (th->split && th->rel == NULL)
		ioc_note("sync: jail '%s' is a clone of %s, not of a release: its replica's root "
			 "is a whole copy",
		    tag, th->origin);
	else if (th->split && !th->thin)
		ioc_note("sync: the target root's release %s is not this root's (another fetch, or "
			 "no @%s): the replica of '%s' is a whole copy",
		    th->rel, th->snap, tag);
}

void
ioc_sync_thin_release(struct ioc_sync_thin *th)
{
	free(th->origin);
	free(th->rel);
	free(th->snap);
	free(th->guid);
	free(th->source);
	free(th->idmap);
	free(th->sv);
	ioc_strv_release(&th->others);
	memset(th, 0, sizeof(*th));
}

/* A part's stream into target (-F: force): from this host's send, or from stdin. */
static int
ioc_part_recv(const struct ioc_sync_src *src, const char *target, int force, struct ioc_error **err)
{
	if (src == NULL || src->snap == NULL)
		return ioc_zfs_receive_stdin(target, force, err);
	if (src->recursive)
		return ioc_zfs_replicate(src->snap, src->from, target, force, src->pg, err);
	return ioc_zfs_send_one(src->snap, src->origin, target,
	    (src->props ? IOC_SEND_PROPS : 0) | (force ? IOC_SEND_FORCE : 0), src->pg, err);
}

/*
 * "inc WHICH BASE": an increment into one dataset of the replica, which must
 * hold @ioc-sync-BASE; sync snapshots after it (a sync killed between its
 * parts) go first.  The jail's own dataset (.) comes last: its snapshots are
 * what the next sync reads, and older ones are pruned after.
 */
static int
ioc_part_inc(const struct ioc_root *t, const char *uuid, char *const *w,
    const struct ioc_sync_src *src, struct ioc_error **err)
{
	_cleanup_free_ char *tds = ioc_xasprintf("%s/jails/%s", t->name, uuid);
	_cleanup_free_ char *rep = NULL, *ds = NULL, *at = NULL;
	long long base, *v = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (ioc_parse_ll(w[2], 1, 1000000000LL, &base) != 0 ||
	    (strcmp(w[1], ".") != 0 && (!ioc_plain_word(w[1], 200, "._-:") || w[1][0] == '.')))
		return ioc_err(err, "sync-receive: not a part of a sync");
	ds = strcmp(w[1], ".") == 0 ? ioc_xstrdup(tds) : ioc_xasprintf("%s/%s", tds, w[1]);
	if (ioc_zfs_get1(tds, IOC_PROP_PREFIX "replica", &rep, err) != 0)
		return -1;
	if (rep == NULL || strcmp(rep, "yes") != 0)
		return ioc_err(
		    err, "%s is not a replica: refusing an incremental sync into it", tds);
	if (ioc_sync_snaps(ds, &v, &n, err) != 0)
		return -1;
	for (i = 0; i < n && v[i] != base; i++)
		;
	if (i == n) {
		ioc_err(
		    err, "%s has no @" IOC_SYNC_SNAP "%lld to receive an increment onto", ds, base);
		goto out;
	}
	at = ioc_xasprintf("%s@" IOC_SYNC_SNAP "%lld", ds, base);
	if (v[n - 1] > base && ioc_zfs_rollback(at, 1, err) != 0)
		goto out;
	if (ioc_part_recv(src, ds, 1, err) != 0)
		goto out;
	if (strcmp(w[1], ".") == 0)
		ioc_sync_prune(tds, v, n, base);
	rc = 0;
out:
	free(v);
	return rc;
}

/* "release REL SOURCE IDMAP": the release's snapshot, staged, then T/releases/REL. */
static int
ioc_part_release(const struct ioc_root *t, const char *uuid, char *const *w,
    const struct ioc_sync_src *src, struct ioc_error **err)
{
	_cleanup_free_ char *stage = ioc_xasprintf("%s/packages/sync-%s-release", t->name, uuid);
	_cleanup_free_ char *sroot = ioc_xasprintf("%s/root", stage);
	_cleanup_free_ char *trel = NULL;
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT;
	struct ioc_error *e2 = NULL;

	if (ioc_valid_release(w[1], err) != 0)
		return -1;
	if ((strcmp(w[2], ".") != 0 && strcmp(w[2], "url") != 0 && strcmp(w[2], "file") != 0 &&
		strcmp(w[2], "debootstrap") != 0) ||
	    (strcmp(w[3], ".") != 0 && strcmp(w[3], "none") != 0 &&
		(strspn(w[3], "0123456789:") != strlen(w[3]) || strchr(w[3], ':') == NULL ||
		    strchr(w[3], ':') != strrchr(w[3], ':') || strlen(w[3]) > 21)))
		return ioc_err(err, "sync-receive: bad release properties '%s' '%s'",
		    ioc_has_ctrl(w[2]) ? "(unprintable)" : w[2],
		    ioc_has_ctrl(w[3]) ? "(unprintable)" : w[3]);
	trel = ioc_xasprintf("%s/releases/%s", t->name, w[1]);
	if (ioc_zfs_exists(trel))
		return ioc_err(err, "%s appeared meanwhile: sync again", trel);
	if (strcmp(w[2], ".") != 0)
		ioc_strv_pushf(&props, IOC_PROP_PREFIX "release_source=%s", w[2]);
	if (strcmp(w[3], ".") != 0)
		ioc_strv_pushf(&props, IOC_PROP_PREFIX "release_idmap=%s", w[3]);
	/* T/packages there, no jail UUID, leftovers of an interrupted sync gone */
	if (ioc_sync_stage(t, uuid, err) != 0)
		return -1;
	/* never mounted (zfs-fuse renames only unmounted datasets, and an unmount
	 * just before a rename could still leave it busy there) */
	ioc_strv_push(&props, "canmount=noauto");
	if (ioc_zfs_create(stage, &props, 0, err) == 0 && ioc_part_recv(src, sroot, 0, err) == 0 &&
	    ioc_zfs_rename(stage, trel, err) == 0)
		return 0;
	if (ioc_zfs_exists(stage))
		ioc_zfs_destroy(stage, 1, &e2);
	ioc_error_free(e2);
	return -1;
}

/* "finish ." or "finish REL SNAP": the root's origin checked, then the replica in place. */
static int
ioc_part_finish(const struct ioc_root *t, const char *uuid, char *const *w, const char *stage,
    struct ioc_error **err)
{
	_cleanup_free_ char *rstage = ioc_xasprintf("%s/root", stage);
	_cleanup_free_ char *tds = ioc_xasprintf("%s/jails/%s", t->name, uuid);
	_cleanup_free_ char *got = NULL, *want = NULL;

	if (strcmp(w[1], ".") != 0) {
		if (w[2] == NULL || ioc_valid_release(w[1], err) != 0 ||
		    !ioc_plain_word(w[2], 200, "._-:"))
			return ioc_err(err, "sync-receive: bad finish");
		want = ioc_xasprintf("%s/releases/%s/root@%s", t->name, w[1], w[2]);
		if (ioc_zfs_get1(rstage, "origin", &got, err) != 0)
			return -1;
		if (got == NULL)
			return ioc_err(err, "%s: no root was received", stage);
		if (strcmp(got, want) != 0) {
			ioc_note(
			    "sync: zfs receive made the replica's root a clone of %s, not of %s: "
			    "it goes again, whole",
			    got, want);
			return ioc_zfs_destroy(rstage, 1, err) == 0 ? 1 : -1;
		}
	}
	if (ioc_zfs_set(stage, IOC_PROP_PREFIX "replica", "yes", err) != 0 ||
	    ioc_zfs_rename(stage, tds, err) != 0)
		return -1;
	return 0;
}

int
ioc_sync_part(const struct ioc_root *t, const char *uuid, char *const *w,
    const struct ioc_sync_src *src, struct ioc_error **err)
{
	_cleanup_free_ char *stage = ioc_xasprintf("%s/packages/sync-%s", t->name, uuid);
	_cleanup_free_ char *to = NULL;
	size_t n = 0;

	while (w[n])
		n++;
	if (n == 4 && strcmp(w[0], "release") == 0)
		return ioc_part_release(t, uuid, w, src, err);
	if (n == 3 && strcmp(w[0], "inc") == 0)
		return ioc_part_inc(t, uuid, w, src, err);
	if (n == 1 && strcmp(w[0], "parent") == 0)
		return ioc_sync_stage(t, uuid, err) == 0 ? ioc_part_recv(src, stage, 0, err) : -1;
	if ((n == 2 || n == 3) && strcmp(w[0], "finish") == 0)
		return ioc_zfs_exists(stage) ? ioc_part_finish(t, uuid, w, stage, err) :
					       ioc_err(err, "%s: no first sync under way", stage);
	if (n == 1 && strcmp(w[0], "root") == 0)
		to = ioc_xasprintf("%s/root", stage);
	else if (n == 2 && strcmp(w[0], "child") == 0 && strcmp(w[1], "root") != 0 &&
	    ioc_plain_word(w[1], 200, "._-:") && w[1][0] != '.')
		to = ioc_xasprintf("%s/%s", stage, w[1]);
	else
		return ioc_err(err, "sync-receive: not a part of a sync");
	if (!ioc_zfs_exists(stage))
		return ioc_err(err, "%s: no first sync under way", stage);
	return ioc_part_recv(src, to, 0, err);
}

/* The parts of an increment from @ioc-sync-BASE: children, root, then the jail's dataset. */
static int
ioc_sync_inc_parts(const struct ioc_sync_thin *th, const char *jds, const char *at, long long base,
    const struct ioc_zfs_progress *pg, ioc_sync_part_fn send, void *arg, struct ioc_error **err)
{
	_cleanup_free_ char *b = ioc_xasprintf("%lld", base);
	_cleanup_free_ char *from = ioc_xasprintf(IOC_SYNC_SNAP "%lld", base);
	size_t i, n = th->others.n + 2;

	for (i = 0; i < n; i++) {
		const char *which = i < th->others.n ? th->others.v[i] : i == n - 2 ? "root" : ".";
		_cleanup_free_ char *ds =
		    strcmp(which, ".") == 0 ? ioc_xstrdup(jds) : ioc_xasprintf("%s/%s", jds, which);
		_cleanup_free_ char *snap = ioc_xasprintf("%s%s", ds, at);
		_cleanup_free_ char *prev = ioc_xasprintf("%s@%s", ds, from);
		char *w[] = { "inc", (char *)which, b, NULL };
		int rec = i < th->others.n;
		struct ioc_sync_src src = { snap, rec ? NULL : prev, rec ? from : NULL, rec, pg,
			strcmp(which, ".") == 0 };
		if (send(arg, w, &src, err) != 0)
			return -1;
	}
	return 0;
}

int
ioc_sync_parts(const struct ioc_jail *j, const struct ioc_sync_thin *th, const char *snap,
    long long base, const struct ioc_zfs_progress *pg, ioc_sync_part_fn send, void *arg,
    struct ioc_error **err)
{
	const char *at = strchr(snap, '@');
	_cleanup_free_ char *jds = ioc_xstrndup(snap, (size_t)(at - snap));
	_cleanup_free_ char *rsnap = ioc_xasprintf("%s/root%s", jds, at);
	struct ioc_sync_src src = { NULL, NULL, NULL, 0, pg, 1 };
	char *w[5] = { NULL };
	int thin = th->thin, rc;
	size_t i;

	if (base)
		return ioc_sync_inc_parts(th, jds, at, base, pg, send, arg, err);

	if (th->send_release) {
		char *rw[] = { "release", th->rel, th->source, th->idmap, NULL };
		src.snap = th->origin;
		if (send(arg, rw, &src, err) != 0)
			return -1;
	}
	w[0] = "parent";
	src.snap = snap;
	if (send(arg, w, &src, err) != 0)
		return -1;
	for (i = 0; i < th->others.n; i++) {
		_cleanup_free_ char *cs = ioc_xasprintf("%s/%s%s", jds, th->others.v[i], at);
		char *cw[] = { "child", th->others.v[i], NULL };
		struct ioc_sync_src c = { cs, NULL, NULL, 1, pg, 0 };
		if (send(arg, cw, &c, err) != 0)
			return -1;
	}
	for (;;) {
		char *rw[] = { "root", NULL };
		char *fw[] = { "finish", thin ? th->rel : ".", thin ? th->snap : NULL, NULL };
		struct ioc_sync_src r = { rsnap, thin ? th->origin : NULL, NULL, 0, pg, 1 };
		if (send(arg, rw, &r, err) != 0)
			return -1;
		rc = send(arg, fw, NULL, err);
		if (rc != 1)
			return rc;
		if (!thin)
			return ioc_err(err, "jail '%s': the target asked for its root again",
			    ioc_jail_get(j, "tag"));
		thin = 0;
	}
}
