/*
 * sync_int.h — what sync.c shares with sync_thin.c (the first sync of a jail
 * whose root is a clone, in parts).  Only these two include it; everyone
 * else uses ops.h.
 */
#ifndef IOC_SYNC_INT_H
#define IOC_SYNC_INT_H

#include "ops/ops.h"

/* The ioc-sync-N numbers of ds's snapshots, ascending (*out NULL when ds does not exist). */
int ioc_sync_snaps(const char *ds, long long **out, size_t *n, struct ioc_error **err);
/* The same from rows of a `zfs get` that listed ds's snapshots. */
void ioc_sync_snaps_of(const struct ioc_zrows *rows, const char *ds, long long **out, size_t *n);
/*
 * Destroys ds@ioc-sync-K (recursively) for every K in v[0 .. n) below keep
 * (guard: ds's root).
 */
void ioc_sync_prune(const char *ds, const long long *v, size_t n, long long keep);

/*
 * Before a first sync into t, in one read: t has its packages dataset, no
 * jail UUID, and what an interrupted sync left in packages (sync-UUID,
 * sync-UUID-release) is removed.
 */
int ioc_sync_stage(const struct ioc_root *t, const char *uuid, struct ioc_error **err);

/* The first sync of a jail, as planned on the jail's side. */
struct ioc_sync_thin {
	int split; /* its root is a clone: the first sync goes in parts */
	int thin; /* its replica's root a clone of the target's copy of the origin */
	int send_release; /* that copy is not there yet: it goes first */
	char *origin; /* the root's origin, a full snapshot name */
	char *rel, *snap, *guid; /* R/releases/REL/root@SNAP and its guid (NULL: another origin) */
	char *source, *idmap; /* R/releases/REL's release_source, release_idmap (".": unset) */
	struct ioc_strv others; /* the jail's direct children but root ("data") */
	long long *sv; /* the jail's ioc-sync numbers, ascending (read with the rest) */
	size_t sn;
};

/*
 * Reads what the jail's side knows (sync_thin.c), in one `zfs get` but for
 * a release's details: its sync snapshots, th->split when j's root is a
 * clone, its other children, and (first: for a first sync) for a
 * release's snapshot its name, guid and properties.  th->thin and
 * th->send_release wait for the target's answer (ioc_sync_thin_decide).
 * The caller releases th.
 */
int ioc_sync_thin_plan(const struct ioc_root *root, const struct ioc_jail *j, int first,
    struct ioc_sync_thin *th, struct ioc_error **err);
/* Sets th->thin and th->send_release from state (the above); a note when thick. */
void ioc_sync_thin_decide(struct ioc_sync_thin *th, int state, const char *tag);
void ioc_sync_thin_release(struct ioc_sync_thin *th);

/*
 * Where the stream of a part comes from: this host's `zfs send` (snap; -p
 * and -I origin, a full snapshot name; or -R and -I @from when recursive),
 * or this process's stdin (NULL: the other host's send, over ssh).
 */
struct ioc_sync_src {
	const char *snap, *origin, *from;
	int recursive;
	const struct ioc_zfs_progress *pg;
	int props; /* -p: the jail's dataset and a release's (a clone's increment fails so) */
};
/*
 * One part of a sync in parts into t (its guard set, the replica's lock
 * held).  A first sync: "release REL SOURCE IDMAP", "parent", "child NAME",
 * "root", then "finish ." or "finish REL SNAP".  An increment: "inc WHICH
 * BASE" for each dataset (WHICH: a child's name, root, then . for the
 * jail's own dataset, which prunes older sync snapshots after).  Returns 0;
 * 1 when finish found the root a clone of another copy of its origin than
 * t's (a pool holding it twice: it is removed, the caller sends it whole and
 * finishes again); -1.
 */
int ioc_sync_part(const struct ioc_root *t, const char *uuid, char *const *words,
    const struct ioc_sync_src *src, struct ioc_error **err);

/* Sends one part: words as above, the stream from src (finish: no stream). */
typedef int (*ioc_sync_part_fn)(
    void *arg, char *const *words, const struct ioc_sync_src *src, struct ioc_error **err);
/*
 * The parts of j's sync of snap (J@ioc-sync-N) in order, through send: a
 * first sync (base 0) or an increment from @ioc-sync-BASE.
 */
int ioc_sync_parts(const struct ioc_jail *j, const struct ioc_sync_thin *th, const char *snap,
    long long base, const struct ioc_zfs_progress *pg, ioc_sync_part_fn send, void *arg,
    struct ioc_error **err);

#endif
