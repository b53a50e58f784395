/*
 * ops_transfer.h — operations that move jails between roots, hosts and
 * files: sync and migrate, differential packages, export and import.
 * Included by ops/ops.h (its types: struct ioc_runreq, struct ioc_assign).
 */
#ifndef IOC_OPS_TRANSFER_H
#define IOC_OPS_TRANSFER_H

#include "ops/ops.h"

/* ---- sync.c -------------------------------------------------------------- */

/* Snapshots of a sync: @ioc-sync-N, N counting up per jail. */
#define IOC_SYNC_SNAP "ioc-sync-"

struct ioc_sync_result {
	char *snap; /* R/jails/UUID@ioc-sync-N, the snapshot sent */
	char *target; /* TARGET/jails/UUID, the replica */
	int full; /* the whole stream (first sync), else incremental */
};
/*
 * Replicates j into the iocage root target names (NULL: its sync_target; see
 * sync.c): snapshot, send -R (incremental from the newest snapshot both
 * sides hold), the copy marked replica=yes before it appears in the target's
 * jails, two sync snapshots kept a side.  pg (NULL: none) is told the bytes
 * of the stream as they pass (zfs.h).  Takes j's lock (and the replica's in
 * the target root).
 */
int ioc_jail_sync(const struct ioc_root *root, const struct ioc_jail *j, const char *target,
    const struct ioc_zfs_progress *pg, struct ioc_sync_result *res, struct ioc_error **err);
/* Marks j moved to target (migrated=TARGET: never started again), or clears the mark (NULL). */
int ioc_jail_mark_migrated(const struct ioc_jail *j, const char *target, struct ioc_error **err);
/*
 * Makes the replica j a jail of root: this host's hostid, sync_target and
 * sync_state back to the root's defaults, replica cleared last.  Refused
 * without force when the replica's hostid is this host's (its source lives
 * here: migrate is the way).  The guard must be root's.
 */
int ioc_replica_promote(
    const struct ioc_root *root, const struct ioc_jail *j, int force, struct ioc_error **err);
void ioc_sync_result_release(struct ioc_sync_result *r);
/*
 * sync-info's answer, read from the other host: "replica yes|no\n" and
 * "snapshots[ N]...\n" (ascending numbers 1..10^9), then, when asked of a
 * release, "release absent|same|other\n" (*rel 0, 1, 2; -1 when not there).
 * -1: anything else (*tv NULL).  The caller frees *tv.
 */
int ioc_sync_info_parse(const char *out, int *exists, long long **tv, size_t *tn, int *rel);
/* The release line of sync-info for state (ioc_sync_release_state's 0, 1, 2). */
const char *ioc_sync_release_word(int state);
/*
 * Runs `iocage -r DS WORDS...` on host ([USER@]HOST) over ssh, as a sync
 * does (IOCAGE_SSH_CONFIG, IOCAGE_REMOTE_BIN); every word must be a plain
 * one (the remote shell reads them).  Its stderr's first line is the error.
 */
int ioc_remote_iocage(
    const char *host, const char *ds, const char *const *words, struct ioc_error **err);
/*
 * The target side of a sync, in its root t (sync-info over ssh; a local sync
 * too): whether t/jails/UUID is there (*exists; refused when it is not a
 * replica), its ioc-sync numbers, and no other jail of t tagged tag.  A t
 * named but not verified (ioc_root_lazy) is checked in the same read, or
 * read whole (ioc_root_find) when it has no such replica, before any write.
 */
int ioc_sync_target_state(struct ioc_root *t, const char *uuid, const char *tag, int *exists,
    long long **tv, size_t *tn, struct ioc_error **err);
/*
 * The target side's receive (sync-receive over ssh), the stream on stdin,
 * under the replica's lock in t: base 0, a whole stream (staged, marked,
 * renamed into place; nothing may be at the name); else an increment onto
 * the replica, which must hold @ioc-sync-BASE, older ones pruned after.
 */
int ioc_sync_target_receive(
    const struct ioc_root *t, const char *uuid, long long base, struct ioc_error **err);
/*
 * One part of a first sync in parts (sync_thin.c: a jail whose root is a
 * clone), the stream on stdin, under the replica's lock in t: words as
 * sync-receive got them after "UUID 0".  1: the root must come again, whole.
 */
int ioc_sync_target_part(
    const struct ioc_root *t, const char *uuid, char *const *words, struct ioc_error **err);
/*
 * The state of t's copy of release rel's snapshot snap of that guid: 0 no
 * rel, 1 the same snapshot, 2 another one (sync-info's release line).
 */
int ioc_sync_release_state(const struct ioc_root *t, const char *rel, const char *snap,
    const char *guid, struct ioc_error **err);

/* ---- migrate.c ----------------------------------------------------------- */

struct ioc_migrate_result {
	char *where; /* the root it went to: POOL/DATASET or USER@HOST:POOL/DATASET */
	int ran; /* it ran here, so it runs there now */
	double down_ms; /* from its stop here to its start there; -1 when it did not run */
};
void ioc_migrate_result_release(struct ioc_migrate_result *r);
/*
 * migrate: j (of js, every jail of root) moved to the iocage root target
 * ([USER@HOST:]POOL/DATASET): synced while it runs, stopped, synced once
 * more, marked migrated here, its replica promoted there (and started when
 * it ran).  Before the promotion a failure leaves it as it was (running
 * again); after it, *err says what is where.  A template and a jail others
 * depend on stay.  rq tells its stop and start (rq->report may be NULL).
 * The caller ran ioc_ops_prepare; the locks are taken here, step by step.
 */
int ioc_jail_migrate(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jail *j,
    const char *target, const struct ioc_runreq *rq, struct ioc_migrate_result *res,
    struct ioc_error **err);

/* ---- package.c ----------------------------------------------------------- */

/*
 * record start|stop of j under its lock: @ioc-record-start (a finished
 * recording is replaced: *discarded 1) or @ioc-record-stop, noted in the
 * read-only property record.  A template is refused.  Root lock held.
 */
int ioc_jail_record(const struct ioc_root *root, struct ioc_jail *j, int start, int *discarded,
    struct ioc_error **err);
struct ioc_package_result {
	char *path; /* R/packages/TAG-DATE.iocpkg (its .sha256 beside it) */
	size_t changed, deleted; /* files added or changed, deleted */
	char sha256[65];
};
void ioc_package_result_release(struct ioc_package_result *r);
/*
 * package: both recording snapshots cloned read-only under R/packages, the
 * trees compared (image/record.h), the package written, the clones
 * destroyed (a killed run's are swept by the next record or package).
 * Root lock held.
 */
int ioc_jail_package(const struct ioc_root *root, struct ioc_jail *j,
    struct ioc_package_result *res, struct ioc_error **err);
struct ioc_pkgimport_result {
	char *uuid,
	    *tag; /* the new jail, set once it is complete (also when a later step failed) */
	unsigned long long files, deletions;
};
void ioc_pkgimport_result_release(struct ioc_pkgimport_result *r);
/*
 * import PACKAGE [PROPERTY=VALUE ...]: everything checked before anything is
 * made (the package's checksum, its release fetched here, the tag free, the
 * properties as create checks them); a thin jail made untagged, the package
 * deployed onto it, the tag set last.  A failure removes the new jail.  Root
 * lock held.
 */
int ioc_package_import(const struct ioc_root *root, const char *file, int nprops, char **props,
    struct ioc_pkgimport_result *res, struct ioc_error **err);

/* ---- export.c ------------------------------------------------------------ */

/* What an export writes: the manifest (its text checked as import checks it)
 * and, for -i, the release snapshot the root dataset is sent from. */
struct ioc_export_plan {
	struct ioc_manifest m;
	char *mtext;
	char *origin;
};
/* Plans the export of j (every property loaded); name is how the user named it
 * (messages); incremental: -i. */
int ioc_export_plan_make(const struct ioc_root *root, const struct ioc_jail *j, const char *name,
    int incremental, struct ioc_export_plan *p, struct ioc_error **err);
void ioc_export_plan_release(struct ioc_export_plan *p);
/*
 * Writes the image of plan p to outfd under the jail's lock (a snapshot taken
 * and dropped); progress, when set, gets the bytes written and a final call;
 * whole_hex gets the SHA-256 of every byte written.
 */
int ioc_jail_export(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_export_plan *p, int outfd,
    void (*progress)(void *arg, size_t bytes, int final), void *parg, char whole_hex[65],
    struct ioc_error **err);

/* ---- import.c ------------------------------------------------------------ */

/* What to import and how: the file ("-": standard input, read once) and the
 * validated PROPERTY=VALUE overrides of the command line (ioc_prop_parse_assign,
 * then ioc_ops_check_prop); progress, when set, gets the bytes as they are
 * read and a final call. */
struct ioc_import_req {
	const char *file;
	const struct ioc_prop **p;
	char **v;
	size_t n;
	void (*progress)(void *arg, size_t bytes, int final);
	void *progress_arg;
	/* ioc_jail_import_legacy: the file is a package of the shell iocage (it
	 * lives in R/packages): deployed onto a new thin jail of release= */
	int legacy_package;
};
/*
 * Imports an image (image.h) as a new jail: *uuid and *tag (caller frees)
 * are set once the jail is complete, also when a later step (the legacy
 * tags/ link) fails and -1 is returned.  The caller holds the root lock.
 */
int ioc_jail_import(const struct ioc_root *root, const struct ioc_import_req *req, char **uuid,
    char **tag, struct ioc_error **err);
/* The same for the shell iocage's UUID_DATE.tar.xz + UUID_DATE.sha256: an image
 * becomes a thick jail, a package (legacy_package) a thin jail of release= with
 * the package's files over the release's. */
int ioc_jail_import_legacy(const struct ioc_root *root, const struct ioc_import_req *req,
    char **uuid, char **tag, struct ioc_error **err);

#endif
