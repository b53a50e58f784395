/*
 * sync.c — a warm copy of a jail in another iocage root (sync_target).
 *
 * A sync snapshots the jail's datasets as @ioc-sync-N (N one more than the
 * newest on the jail) and sends them with their properties (`zfs send -R`)
 * into TARGET/jails/UUID: the whole stream the first time, after that only
 * what came since the newest ioc-sync snapshot both sides hold (`-I`).  The
 * copy is marked replica=yes: its root lists it with state replica and never
 * starts it.  A receive rolls back (-F) only a dataset that is this jail's
 * replica; anything else at that name is refused.  After a sync both sides
 * keep their two newest ioc-sync snapshots: this side drops older ones
 * before it sends, and the receive of the -R increment with -F drops there
 * what this side no longer has (the parts of a clone jail, sync_thin.c,
 * prune there themselves).
 *
 * The target is an iocage root on this host (an active one, neither this
 * root nor inside it nor around it; every write there is guarded by that
 * root, as writes here are by this one) or on another host, reached with
 * ssh: the same iocage there answers what it holds (sync-info) and receives
 * the stream from its stdin (sync-receive), under the replica's lock and its
 * own guard: ioc_sync_target_state (a local sync calls it in-process) and
 * ioc_sync_target_receive (the first sync's staging shared with a local
 * one, ioc_sync_first).  A failure leaves the replica as the last
 * good sync made it (zfs receive is all or nothing) and the jail untouched
 * but for its new snapshot, which the next sync sends along.
 */
#include "ops/ops.h"
#include "ops/sync_int.h"
#include "core/props.h"
#include "core/tagidx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
ioc_sync_snaps_of(const struct ioc_zrows *rows, const char *ds, long long **out, size_t *n)
{
	size_t i, k, dl = strlen(ds);
	*out = NULL;
	*n = 0;
	for (i = 0; i < rows->n; i++) {
		const char *nm = rows->v[i].name;
		long long v;
		if (strncmp(nm, ds, dl) != 0 ||
		    strncmp(nm + dl, "@" IOC_SYNC_SNAP, 1 + strlen(IOC_SYNC_SNAP)) != 0 ||
		    ioc_parse_ll(nm + dl + 1 + strlen(IOC_SYNC_SNAP), 1, 1000000000LL, &v) != 0)
			continue;
		for (k = 0; k < *n && (*out)[k] != v; k++)
			;
		if (k < *n)
			continue; /* another property's row of the same snapshot */
		*out = ioc_xrealloc(*out, (*n + 1) * sizeof(**out));
		for (k = *n; k > 0 && (*out)[k - 1] > v; k--)
			(*out)[k] = (*out)[k - 1];
		(*out)[k] = v;
		(*n)++;
	}
}

int
ioc_sync_snaps(const char *ds, long long **out, size_t *n, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)ds, NULL };
	*out = NULL;
	*n = 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names, "type", 1, 1, &rows, err) != 0)
		return -1;
	ioc_sync_snaps_of(&rows, ds, out, n);
	ioc_zrows_release(&rows);
	return 0;
}

/*
 * j's target v (its sync_target when NULL) parsed: *host ([USER@]HOST, NULL:
 * this host) and *ds.  A local target is neither this root, inside it nor
 * around it.
 */
static int
ioc_sync_target(const struct ioc_root *root, const struct ioc_jail *j, const char *v, char **host,
    char **ds, struct ioc_error **err)
{
	const char *tag = ioc_jail_get(j, "tag");
	size_t rl = strlen(root->name), tl;
	if (strcmp(v, "none") == 0)
		return ioc_err(err,
		    "jail '%s' has no sync_target: set sync_target=POOL/DATASET (an "
		    "iocage root, activated there) first",
		    tag);
	if (ioc_sync_target_parse(v, host, ds) != 0)
		return ioc_err(err,
		    "jail '%s': invalid target '%s': expected [USER@]HOST:POOL/DATASET or "
		    "POOL/DATASET (an iocage root)",
		    tag, ioc_has_ctrl(v) ? "(unprintable)" : v);
	if (*host)
		return 0;
	tl = strlen(*ds);
	if (strcmp(*ds, root->name) == 0 ||
	    (tl > rl && strncmp(*ds, root->name, rl) == 0 && (*ds)[rl] == '/') ||
	    (rl > tl && strncmp(root->name, *ds, tl) == 0 && root->name[tl] == '/'))
		return ioc_err(err,
		    "jail '%s': target %s is this root %s, inside it or around "
		    "it: replicas go to another iocage root",
		    tag, *ds, root->name);
	return 0;
}

/* Housekeeping: a snapshot that cannot go (held, busy) is a note, not a
 * failed sync; the next sync tries again. */
void
ioc_sync_prune(const char *ds, const long long *v, size_t n, long long keep)
{
	size_t i;
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *s = NULL;
		struct ioc_error *e = NULL;
		if (v[i] >= keep)
			continue;
		s = ioc_xasprintf("%s@" IOC_SYNC_SNAP "%lld", ds, v[i]);
		if (ioc_zfs_destroy(s, 1, &e) != 0)
			ioc_note("sync: older snapshot %s kept (the next sync tries again): %s", s,
			    e->msg);
		ioc_error_free(e);
	}
}

/* The replica takes the jail's tag: no other jail of the target root may have it. */
static int
ioc_sync_tag_free(
    const struct ioc_root *t, const char *uuid, const char *tag, int *same, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	struct ioc_jails tj = { NULL, 0, 0 };
	size_t i;
	int rc = 0, all;
	*same = 0;
	/* the jails that may hold tag there: its entry's, or every jail without an index */
	ioc_strv_push(&tags, tag);
	if (ioc_jails_load_tags_for(t, NULL, &tags, &tj, NULL, &all, err) != 0)
		return -1;
	for (i = 0; i < tj.n && rc == 0; i++) {
		const char *other = ioc_jail_get(&tj.v[i], "tag");
		if (other && strcmp(other, tag) == 0 && strcmp(tj.v[i].uuid, uuid) == 0)
			*same = 1; /* the replica has it already, and its entry */
		else if (other && strcmp(other, tag) == 0)
			rc = ioc_err(err,
			    "jail '%s': the target root %s has another jail tagged '%s' "
			    "(%s): its replica would share that tag there; rename one of them "
			    "('iocage set tag=NEW ...')",
			    tag, t->name, tag, tj.v[i].uuid);
	}
	ioc_jails_release(&tj);
	return rc;
}

int
ioc_sync_stage(const struct ioc_root *t, const char *uuid, struct ioc_error **err)
{
	_cleanup_free_ char *pk = ioc_xasprintf("%s/packages", t->name);
	_cleanup_free_ char *tds = ioc_xasprintf("%s/jails/%s", t->name, uuid);
	_cleanup_free_ char *stage = ioc_xasprintf("%s/sync-%s", pk, uuid);
	_cleanup_free_ char *rstage = ioc_xasprintf("%s-release", stage);
	char *names[] = { pk, tds, stage, rstage, NULL };
	int there[4] = { 0 }, rc = 0;
	struct ioc_zrows rows;
	size_t k;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names, "type", -1, 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (k = 0; k < 4; k++)
		there[k] = ioc_zrows_find(&rows, names[k], "type") != NULL;
	ioc_zrows_release(&rows);
	if (!there[0])
		return ioc_err(err, "the target root %s has no %s: run 'iocage activate %s' there",
		    t->name, pk, t->name);
	if (there[1])
		return ioc_err(err, "%s exists: a first sync is refused there", tds);
	for (k = 2; k < 4 && rc == 0; k++)
		if (there[k] && ioc_zfs_destroy(names[k], 1, err) != 0)
			rc = ioc_error_wrap(
			    err, "cannot remove %s, left by an interrupted sync", names[k]);
	return rc;
}

/*
 * The first sync: the whole stream goes to T/packages/sync-UUID (beside
 * package's work clones; never a jail, never listed), is marked a replica
 * there, and only then takes its place T/jails/UUID in one rename (snap
 * NULL: the stream comes on stdin, from the other host).  A sync
 * killed on the way leaves no jail in the target root: the next one removes
 * the leftover and starts again.
 */
static int
ioc_sync_first(const struct ioc_root *t, const char *uuid, const char *snap, const char *tds,
    const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	_cleanup_free_ char *stage = ioc_xasprintf("%s/packages/sync-%s", t->name, uuid);
	if (ioc_sync_stage(t, uuid, err) != 0)
		return -1;
	if ((snap ? ioc_zfs_replicate(snap, NULL, stage, 0, pg, err) :
		    ioc_zfs_receive_stdin(stage, 0, err)) != 0 ||
	    ioc_zfs_set(stage, IOC_PROP_PREFIX "replica", "yes", err) != 0 ||
	    ioc_zfs_rename(stage, tds, err) != 0) {
		struct ioc_error *e2 = NULL;
		if (ioc_zfs_exists(stage))
			ioc_zfs_destroy(stage, 1, &e2);
		ioc_error_free(e2);
		return -1;
	}
	return 0;
}

/* The replica's entry in the target root's tag index, written under that root's guard. */
static int
ioc_sync_index(const struct ioc_root *t, const char *uuid, const char *tag, struct ioc_error **err)
{
	_cleanup_free_ char *was = ioc_zfs_guard_root() ? ioc_xstrdup(ioc_zfs_guard_root()) : NULL;
	int rc;
	ioc_zfs_set_guard_root(t->name);
	rc = ioc_tagidx_put(t, tag, uuid, err);
	ioc_zfs_set_guard_root(was);
	return rc;
}

/*
 * A target root named but not read yet (ioc_root_lazy): its replica's row
 * of `active`, inherited from it, says it is an active root; without a
 * replica there (a first sync), or without that row, the root is read.
 */
static int
ioc_sync_target_root(
    struct ioc_root *t, const struct ioc_zrows *rows, const char *tds, struct ioc_error **err)
{
	_cleanup_free_ char *from = ioc_xasprintf("inherited from %s", t->name);
	if (ioc_root_row_active(ioc_zrows_find(rows, tds, IOC_PROP_PREFIX "active"), from))
		return 0;
	return ioc_root_read(t, err);
}

int
ioc_sync_target_state(struct ioc_root *t, const char *uuid, const char *tag, int *exists,
    long long **tv, size_t *tn, struct ioc_error **err)
{
	_cleanup_free_ char *tds = ioc_xasprintf("%s/jails/%s", t->name, uuid);
	char *names[] = { tds, NULL };
	const char *rep, *had;
	struct ioc_zrows rows;
	int same = 0, rc = 0;
	*tv = NULL;
	*tn = 0;
	/* one read: the replica mark, its tag and its snapshots (and whether t is a root) */
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names,
		IOC_PROP_PREFIX "replica," IOC_PROP_PREFIX "tag," IOC_PROP_PREFIX "active", 1, 1,
		&rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	if (!t->verified && ioc_sync_target_root(t, &rows, tds, err) != 0) {
		ioc_zrows_release(&rows);
		return ioc_error_wrap(err, "jail '%s': target", tag);
	}
	rep = ioc_zrows_value(&rows, tds, IOC_PROP_PREFIX "replica");
	had = ioc_zrows_value(&rows, tds, IOC_PROP_PREFIX "tag");
	*exists = rep != NULL;
	if (*exists && strcmp(rep, "yes") != 0)
		rc = ioc_err(err,
		    "%s exists and is not a replica of jail '%s': refusing to overwrite it", tds,
		    tag);
	else if (*exists)
		ioc_sync_snaps_of(&rows, tds, tv, tn);
	/* the replica's tag (the stream may bring a new one) is in the target's tag
	 * index before the receive: a create there sees it (tagidx.h).  A replica
	 * holding it already has its entry (written before its first receive). */
	if (rc == 0 && !(*exists && had && strcmp(had, tag) == 0) &&
	    (ioc_sync_tag_free(t, uuid, tag, &same, err) != 0 ||
		(!same && ioc_sync_index(t, uuid, tag, err) != 0)))
		rc = -1;
	ioc_zrows_release(&rows);
	if (rc != 0) {
		free(*tv);
		*tv = NULL;
		*tn = 0;
	}
	return rc;
}

/* The newest ioc-sync number both sides hold (0: none). */
static long long
ioc_sync_common(const long long *sv, size_t sn, const long long *tv, size_t tn)
{
	long long base = 0;
	size_t i, k;
	for (i = 0; i < sn; i++)
		for (k = 0; k < tn; k++)
			if (sv[i] == tv[k] && sv[i] > base)
				base = sv[i];
	return base;
}

/* A replica that shares nothing with its jail cannot take an increment. */
static int
ioc_sync_no_base(
    const char *tds, const char *tag, const char *troot, const char *uuid, struct ioc_error **err)
{
	return ioc_err(err,
	    "the replica %s shares no ioc-sync snapshot with jail '%s': destroy it "
	    "there ('iocage -r %s destroy -f %s') and sync again",
	    tds, tag, troot, uuid);
}

/*
 * This side's part before the transfer: j's ioc-sync numbers (*sv), the base
 * both sides hold, the new snapshot taken (*snap) and the base's name (*from,
 * NULL for a whole stream).
 */
static int
ioc_sync_source(const struct ioc_jail *j, int exists, const long long *tv, size_t tn,
    const char *tds, const char *troot, struct ioc_sync_thin *th, long long **sv, size_t *sn,
    long long *base, char **snap, char **from, struct ioc_error **err)
{
	*sv = ioc_steal(&th->sv); /* read with the plan */
	*sn = th->sn;
	th->sn = 0;
	*base = ioc_sync_common(*sv, *sn, tv, tn);
	if (exists && *base == 0)
		return ioc_sync_no_base(tds, ioc_jail_get(j, "tag"), troot, j->uuid, err);
	/* older than the base go first: the -R -F receive then drops them there too */
	if (*base)
		ioc_sync_prune(j->dataset, *sv, *sn, *base);
	*snap = ioc_xasprintf("%s@" IOC_SYNC_SNAP "%lld", j->dataset, *sn ? (*sv)[*sn - 1] + 1 : 1);
	if (ioc_zfs_snapshot(*snap, 1, err) != 0)
		return -1;
	if (*base)
		*from = ioc_xasprintf(IOC_SYNC_SNAP "%lld", *base);
	return 0;
}

/* After the transfer: a first sync keeps only its new snapshot here. */
static void
ioc_sync_done(const struct ioc_jail *j, const long long *sv, size_t sn, long long base, char **snap,
    char *target, struct ioc_sync_result *res)
{
	if (base == 0)
		ioc_sync_prune(j->dataset, sv, sn, sn ? sv[sn - 1] + 1 : 1);
	res->snap = ioc_steal(snap);
	res->target = target;
	res->full = base == 0;
}

/* A part of a first sync into a root on this host: ioc_sync_part in this process. */
struct ioc_sync_here {
	const struct ioc_root *t;
	const char *uuid;
};

static int
ioc_sync_part_here(
    void *arg, char *const *words, const struct ioc_sync_src *src, struct ioc_error **err)
{
	const struct ioc_sync_here *h = arg;
	return ioc_sync_part(h->t, h->uuid, words, src, err);
}

/* The plan of a sync (sync_thin.c) with the target's answer about the release. */
static int
ioc_sync_plan(const struct ioc_root *root, const struct ioc_jail *j, int first,
    const struct ioc_root *t, struct ioc_sync_thin *th, struct ioc_error **err)
{
	int state = 0;
	if (ioc_sync_thin_plan(root, j, first, th, err) != 0)
		return -1;
	if (!first)
		return 0;
	if (th->split && th->rel &&
	    (state = ioc_sync_release_state(t, th->rel, th->snap, th->guid, err)) < 0)
		return -1;
	ioc_sync_thin_decide(th, state, ioc_jail_get(j, "tag"));
	return 0;
}

/* A sync into a root on this host, under the replica's lock there. */
static int
ioc_sync_local(const struct ioc_root *root, const struct ioc_jail *j, const char *ds,
    const struct ioc_zfs_progress *pg, struct ioc_sync_result *res, struct ioc_error **err)
{
	struct ioc_root t = { NULL, NULL, 0 };
	struct ioc_sync_thin th = { 0 };
	struct ioc_sync_here here = { NULL, j->uuid };
	_cleanup_free_ char *tds = NULL, *snap = NULL, *from = NULL;
	long long *sv = NULL, *tv = NULL, base = 0;
	size_t sn = 0, tn = 0;
	int rc = -1, exists = 0, r2, tlock = -1;

	/* the target root is checked in the read of its replica (ioc_sync_target_root) */
	if (ioc_root_lazy(ds, &t, err) != 0)
		return ioc_error_wrap(err, "jail '%s': target", ioc_jail_get(j, "tag"));
	/* the replica's lock in the target root: its destroy, promote-replica, another sync */
	tlock = ioc_lock_jail(&t, j->uuid, err);
	if (tlock < 0)
		goto out;
	tds = ioc_xasprintf("%s/jails/%s", t.name, j->uuid);
	if (ioc_sync_target_state(&t, j->uuid, ioc_jail_get(j, "tag"), &exists, &tv, &tn, err) !=
		0 ||
	    ioc_sync_plan(root, j, !exists, &t, &th, err) != 0 ||
	    ioc_sync_source(
		j, exists, tv, tn, tds, t.name, &th, &sv, &sn, &base, &snap, &from, err) != 0)
		goto out;
	ioc_zfs_set_guard_root(t.name);
	here.t = &t;
	r2 = th.split ? ioc_sync_parts(j, &th, snap, base, pg, ioc_sync_part_here, &here, err) :
	    exists    ? ioc_zfs_replicate(snap, from, tds, 1, pg, err) :
			ioc_sync_first(&t, j->uuid, snap, tds, pg, err);
	ioc_zfs_set_guard_root(root->name);
	if (r2 != 0)
		goto out;
	ioc_sync_done(j, sv, sn, base, &snap, ioc_steal(&tds), res);
	rc = 0;
out:
	ioc_sync_thin_release(&th);
	if (tlock >= 0)
		close(tlock);
	free(sv);
	free(tv);
	ioc_root_release(&t);
	return rc;
}

/*
 * `ssh [-F CONFIG] -o BatchMode=yes -- HOST IOCAGE -r DS VERB` into a: ssh
 * hands the words to the remote user's shell, so each is checked to be a
 * plain word (HOST and DS by the sync_target grammar, IOCAGE here).  CONFIG:
 * $IOCAGE_SSH_CONFIG (an absolute path), IOCAGE: $IOCAGE_REMOTE_BIN or
 * "iocage".
 */
static int
ioc_sync_ssh(
    struct ioc_strv *a, const char *host, const char *ds, const char *verb, struct ioc_error **err)
{
	const char *cfg = getenv("IOCAGE_SSH_CONFIG"), *bin = getenv("IOCAGE_REMOTE_BIN");
	if (bin == NULL || *bin == '\0')
		bin = "iocage";
	if (!ioc_plain_word(bin, 256, "/._-"))
		return ioc_err(err,
		    "IOCAGE_REMOTE_BIN: '%s' is not a program name or path (letters, digits, "
		    "'/', '.', '_', '-')",
		    ioc_has_ctrl(bin) ? "(unprintable)" : bin);
	if (cfg && *cfg && (cfg[0] != '/' || ioc_has_ctrl(cfg)))
		return ioc_err(err, "IOCAGE_SSH_CONFIG: expected an absolute path");
	ioc_strv_push(a, "ssh");
	if (cfg && *cfg) {
		ioc_strv_push(a, "-F");
		ioc_strv_push(a, cfg);
	}
	ioc_strv_push(a, "-o");
	ioc_strv_push(a, "BatchMode=yes");
	ioc_strv_push(a, "--");
	ioc_strv_push(a, host);
	ioc_strv_push(a, bin);
	ioc_strv_push(a, "-r");
	ioc_strv_push(a, ds);
	ioc_strv_push(a, verb);
	return 0;
}

int
ioc_remote_iocage(
    const char *host, const char *ds, const char *const *words, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	size_t i;
	if (ioc_sync_ssh(&a, host, ds, words[0], err) != 0)
		return -1;
	for (i = 1; words[i]; i++) {
		if (!ioc_plain_word(words[i], 256, "/._-") && strcmp(words[i], "-f") != 0)
			return ioc_err(err, "refusing to send '%s' to the other host's shell",
			    ioc_has_ctrl(words[i]) ? "(unprintable)" : words[i]);
		ioc_strv_push(&a, words[i]);
	}
	return ioc_run_ok(ioc_strv_argv(&a), NULL, err);
}

const char *
ioc_sync_release_word(int state)
{
	return state == 0 ? "absent" : state == 1 ? "same" : "other";
}

int
ioc_sync_info_parse(const char *out, int *exists, long long **tv, size_t *tn, int *rel)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
	size_t i;
	*tv = NULL;
	*tn = 0;
	*rel = -1;
	ioc_strv_split(&lines, out, '\n');
	/* a third line: the release asked of */
	if (lines.n == 4) {
		const char *v = strncmp(lines.v[2], "release ", 8) == 0 ? lines.v[2] + 8 : "";
		int k;
		for (k = 0; k < 3 && strcmp(v, ioc_sync_release_word(k)) != 0; k++)
			;
		if (k == 3)
			return -1;
		*rel = k;
	}
	/* exactly two lines (three), each ended by a newline */
	if ((lines.n != 3 && *rel < 0) || lines.v[lines.n - 1][0] != '\0' ||
	    (strcmp(lines.v[0], "replica yes") != 0 && strcmp(lines.v[0], "replica no") != 0) ||
	    (strcmp(lines.v[1], "snapshots") != 0 && strncmp(lines.v[1], "snapshots ", 10) != 0))
		return -1;
	*exists = strcmp(lines.v[0], "replica yes") == 0;
	ioc_strv_split(&w, lines.v[1], ' ');
	for (i = 1; i < w.n; i++) {
		long long v;
		if (ioc_parse_ll(w.v[i], 1, 1000000000LL, &v) != 0 ||
		    (*tn && v <= (*tv)[*tn - 1])) {
			free(*tv);
			*tv = NULL;
			*tn = 0;
			return -1;
		}
		*tv = ioc_xrealloc(*tv, (*tn + 1) * sizeof(**tv));
		(*tv)[(*tn)++] = v;
	}
	return 0;
}

/* A part of a first sync into a root on another host: its sync-receive over ssh. */
struct ioc_sync_there {
	const char *host, *ds, *uuid, *where;
};

static int
ioc_sync_part_there(
    void *arg, char *const *words, const struct ioc_sync_src *src, struct ioc_error **err)
{
	const struct ioc_sync_there *h = arg;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;
	_cleanup_free_ char *out = NULL;
	size_t i;
	if (ioc_sync_ssh(&r, h->host, h->ds, "sync-receive", err) != 0)
		return -1;
	ioc_strv_push(&r, h->uuid);
	ioc_strv_push(&r, "0");
	for (i = 0; words[i]; i++) {
		if (!ioc_plain_word(words[i], 256, "/._-:"))
			return ioc_err(err, "refusing to send '%s' to the other host's shell",
			    ioc_has_ctrl(words[i]) ? "(unprintable)" : words[i]);
		ioc_strv_push(&r, words[i]);
	}
	if (src == NULL) { /* finish: no stream; "again" asks for the root once more */
		if (ioc_run_ok(ioc_strv_argv(&r), &out, err) != 0)
			return ioc_error_wrap(err, "%s", h->where);
		return strcmp(out, "again\n") == 0 ? 1 : 0;
	}
	return src->recursive ?
	    ioc_zfs_replicate_to(src->snap, src->from, &r, h->where, src->pg, err) :
	    ioc_zfs_send_one_to(src->snap, src->origin, src->props ? IOC_SEND_PROPS : 0, &r,
		h->where, src->pg, err);
}

/*
 * A sync into a root on another host, over ssh: its state (sync-info, with
 * the state of the release of a thin jail), then the stream piped into its
 * sync-receive (or the parts of a first sync, each into one), which takes
 * the replica's lock there, checks again and receives.
 */
static int
ioc_sync_remote(const struct ioc_root *root, const struct ioc_jail *j, const char *host,
    const char *ds, const struct ioc_zfs_progress *pg, struct ioc_sync_result *res,
    struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;
	_cleanup_free_ char *out = NULL, *snap = NULL, *from = NULL, *where = NULL;
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_sync_thin th = { 0 };
	struct ioc_sync_there there = { host, ds, j->uuid, NULL };
	long long *sv = NULL, *tv = NULL, base = 0;
	size_t sn = 0, tn = 0;
	int rc = -1, exists = 0, rel = -1;

	where = ioc_xasprintf("%s:%s/jails/%s", host, ds, j->uuid);
	there.where = where;
	if (ioc_valid_tag(tag, err) != 0 || ioc_sync_ssh(&a, host, ds, "sync-info", err) != 0)
		return ioc_error_wrap(err, "jail '%s': cannot sync over ssh", tag);
	ioc_strv_push(&a, j->uuid);
	ioc_strv_push(&a, tag);
	if (ioc_sync_thin_plan(root, j, 1, &th, err) != 0)
		goto out;
	if (th.split && th.rel) {
		if (!ioc_plain_word(th.snap, 200, "._-:") || !ioc_plain_word(th.guid, 40, "")) {
			ioc_err(
			    err, "jail '%s': its origin %s is not a plain name", tag, th.origin);
			goto out;
		}
		ioc_strv_push(&a, th.rel);
		ioc_strv_push(&a, th.snap);
		ioc_strv_push(&a, th.guid);
	}
	if (ioc_run_ok(ioc_strv_argv(&a), &out, err) != 0) {
		ioc_error_wrap(err, "jail '%s': target %s:%s", tag, host, ds);
		goto out;
	}
	if (ioc_sync_info_parse(out, &exists, &tv, &tn, &rel) != 0 ||
	    (rel >= 0) != (th.split && th.rel != NULL)) {
		ioc_err(err, "jail '%s': target %s:%s: not an answer of iocage sync-info", tag,
		    host, ds);
		goto out;
	}
	if (!exists)
		ioc_sync_thin_decide(&th, rel < 0 ? 0 : rel, tag);
	if (ioc_sync_source(
		j, exists, tv, tn, where, ds, &th, &sv, &sn, &base, &snap, &from, err) != 0 ||
	    ioc_sync_ssh(&r, host, ds, "sync-receive", err) != 0)
		goto out;
	ioc_strv_push(&r, j->uuid);
	ioc_strv_pushf(&r, "%lld", base);
	if ((th.split ? ioc_sync_parts(j, &th, snap, base, pg, ioc_sync_part_there, &there, err) :
			ioc_zfs_replicate_to(snap, from, &r, where, pg, err)) != 0)
		goto out;
	ioc_sync_done(j, sv, sn, base, &snap, ioc_steal(&where), res);
	rc = 0;
out:
	ioc_sync_thin_release(&th);
	free(sv);
	free(tv);
	return rc;
}

int
ioc_jail_sync(const struct ioc_root *root, const struct ioc_jail *j, const char *target,
    const struct ioc_zfs_progress *pg, struct ioc_sync_result *res, struct ioc_error **err)
{
	int lock, rc;
	_cleanup_free_ char *host = NULL, *ds = NULL;

	memset(res, 0, sizeof(*res));
	if (ioc_jail_is_replica(j))
		return ioc_err(err, "jail '%s' is a replica: it is synced to, not from",
		    ioc_jail_get(j, "tag"));
	if (ioc_jail_is_migrated(j))
		return ioc_err(err, "jail '%s' was migrated to %s: it is kept here, never synced",
		    ioc_jail_get(j, "tag"), ioc_jail_get(j, "migrated"));
	if (ioc_sync_target(
		root, j, target ? target : ioc_jail_get(j, "sync_target"), &host, &ds, err) != 0)
		return -1;
	lock = ioc_lock_jail(root, j->uuid, err);
	if (lock < 0)
		return -1;
	rc = host ? ioc_sync_remote(root, j, host, ds, pg, res, err) :
		    ioc_sync_local(root, j, ds, pg, res, err);
	close(lock);
	return rc;
}

int
ioc_sync_target_receive(
    const struct ioc_root *t, const char *uuid, long long base, struct ioc_error **err)
{
	_cleanup_free_ char *tds = ioc_xasprintf("%s/jails/%s", t->name, uuid);
	_cleanup_free_ char *rep = NULL;
	long long *tv = NULL;
	size_t tn = 0, i;
	int rc = -1, lock = ioc_lock_jail(t, uuid, err);

	if (lock < 0)
		return -1;
	if (ioc_zfs_get1(tds, IOC_PROP_PREFIX "replica", &rep, err) != 0)
		goto out;
	if (base == 0) {
		/* the whole stream: nothing may be at that name */
		if (rep != NULL)
			ioc_err(err, "%s exists: a first sync is refused there", tds);
		else
			rc = ioc_sync_first(t, uuid, NULL, tds, NULL, err);
		goto out;
	}
	if (rep == NULL || strcmp(rep, "yes") != 0) {
		ioc_err(err, "%s is not a replica: refusing an incremental sync into it", tds);
		goto out;
	}
	if (ioc_sync_snaps(tds, &tv, &tn, err) != 0)
		goto out;
	for (i = 0; i < tn && tv[i] != base; i++)
		;
	if (i == tn) {
		ioc_err(err, "%s has no @" IOC_SYNC_SNAP "%lld to receive an increment onto", tds,
		    base);
		goto out;
	}
	if (ioc_zfs_receive_stdin(tds, 1, err) != 0)
		goto out;
	rc = 0;
out:
	close(lock);
	free(tv);
	return rc;
}

int
ioc_sync_target_part(
    const struct ioc_root *t, const char *uuid, char *const *words, struct ioc_error **err)
{
	int rc, lock = ioc_lock_jail(t, uuid, err);
	if (lock < 0)
		return -1;
	rc = ioc_sync_part(t, uuid, words, NULL, err);
	close(lock);
	return rc;
}

int
ioc_jail_mark_migrated(const struct ioc_jail *j, const char *target, struct ioc_error **err)
{
	if (target == NULL)
		return ioc_zfs_inherit(j->dataset, IOC_PROP_PREFIX "migrated", err);
	return ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "migrated", target, err);
}

/* Mounts ds and its children that may mount and are not (a replica is received unmounted). */
static int
ioc_sync_mount(const char *ds, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)ds, NULL };
	size_t i, k;
	int rc = 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "mounted,canmount", 1, -1, NULL, 0, &rows, err) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < rows.n; i++) {
		if (strcmp(rows.v[i].prop, "canmount") != 0 || strcmp(rows.v[i].value, "on") != 0)
			continue;
		for (k = 0; k < rows.n; k++)
			if (strcmp(rows.v[k].name, rows.v[i].name) == 0 &&
			    strcmp(rows.v[k].prop, "mounted") == 0 &&
			    strcmp(rows.v[k].value, "no") == 0 &&
			    ioc_zfs_mount(rows.v[i].name, err) != 0)
				rc = -1;
	}
	ioc_zrows_release(&rows);
	return rc;
}

int
ioc_replica_promote(
    const struct ioc_root *root, const struct ioc_jail *j, int force, struct ioc_error **err)
{
	_cleanup_free_ char *host = ioc_prop_builtin(ioc_prop_find("hostid"), NULL, NULL);
	const char *tag = ioc_jail_get(j, "tag");
	if (!ioc_jail_is_replica(j))
		return ioc_err(err, "jail '%s' is not a replica: there is nothing to promote", tag);
	if (!force && strcmp(ioc_jail_get(j, "hostid"), host) == 0)
		return ioc_err(err,
		    "the source of replica '%s' lives on this host (hostid %s): 'iocage migrate' "
		    "moves a jail between roots of one host and stops the source first; "
		    "'iocage promote-replica -f %s' promotes it anyway (stop the source first)",
		    tag, host, tag);
	(void)root;
	/* mounted first (received unmounted), the flag last: until then a replica */
	if (ioc_sync_mount(j->dataset, err) != 0)
		return ioc_error_wrap(err, "cannot mount replica '%s'", tag);
	if (ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "hostid", host, err) != 0 ||
	    ioc_zfs_inherit(j->dataset, IOC_PROP_PREFIX "sync_target", err) != 0 ||
	    ioc_zfs_inherit(j->dataset, IOC_PROP_PREFIX "sync_state", err) != 0 ||
	    ioc_zfs_inherit(j->dataset, IOC_PROP_PREFIX "replica", err) != 0)
		return ioc_error_wrap(err, "cannot promote replica '%s'", tag);
	return 0;
}

void
ioc_sync_result_release(struct ioc_sync_result *r)
{
	free(r->snap);
	free(r->target);
	memset(r, 0, sizeof(*r));
}
