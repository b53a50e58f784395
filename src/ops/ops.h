/*
 * ops.h — operations as library calls (docs/ARCHITECTURE.md, the ops layer).
 *
 * An operation takes the root and a request, returns 0 or -1 with *err and
 * hands its results back (UUIDs, names removed, notes); it never parses an
 * argv, never calls a command's handler and never prints.  The caller (a
 * command in cli, or another operation) holds the locks the contract names.
 *
 *   runtime.c  the engine's answers the operations need (states, property
 *              checks, running a command inside a jail, package installation)
 *   create.c   making jails: create, create -t, clone, and the untagged jails
 *              of package import and update release=
 *   destroy.c  destroying a jail: the check, then the destroy
 *   snap.c     a jail's snapshots: snapshot (also of every jail), snaplist,
 *              snapremove, rollback
 *   debris.c   removing what interrupted commands left (jails, work clones)
 *   update.c   finding and rolling back interrupted updates
 *   update_jail.c  update and upgrade of a jail, update of a release
 *   template.c the checks and steps of set template=yes|no
 *   set.c      set: the checks against the other jails, the locks, the writes
 *   activate.c activate, deactivate (exactly what activate made), and the
 *              subordinate ids make install grants (subids)
 *   fetch_release.c  fetch: a release from distribution files, a local
 *              archive or debootstrap, complete or not there at all
 *   export.c   exporting a jail as an image
 *   import.c   importing images (one pass into a quarantine) and the shell
 *              iocage's UUID_DATE.tar.xz images
 *   apply.c    recipes (core/recipe.h): a jail made or brought to what its
 *              recipe says, changing only what differs, undone on failure
 *   run.c      start, stop, restart of one jail or several (their
 *   runplan.c  dependencies first, -j workers), rcboot and rcshutdown,
 *              the --dry-run plans
 *   migrate.c  a jail moved to another root: sync, stop, last sync, mark,
 *              promotion and start there
 *   package.c  differential packages: record start|stop, package, and the
 *              import of a package onto a new thin jail
 *
 * The declarations of a jail's life are here; those that move jails
 * between roots, hosts and files (sync, migrate, package, export, import)
 * are in ops_transfer.h, those of the root itself (fetch, activate, a pool
 * on a file) in ops_root.h; this header includes both.
 */
#ifndef IOC_OPS_H
#define IOC_OPS_H

#include "core/core.h"
#include "engine/engine.h"
#include "image/image.h"
#include "core/recipe.h"

/* ---- runtime.c ---------------------------------------------------------- */

/* Lets the engine re-execute (engine.h prepare) before a caller that will run
 * code in a jail changes anything; 0 when the engine has nothing to do. */
int ioc_ops_prepare(struct ioc_error **err);
/* The engine's (and fstab's) refusal of a property value; 0 when acceptable. */
int ioc_ops_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err);
/* The running state of every jail in js, into st (js->n entries, filled by the caller
 * with "-" and down); no process per jail.  0 when the engine has no states op. */
int ioc_ops_states(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err);
/* The same, allocated (caller frees) and preset to down and "-"; NULL with *err. */
struct ioc_jstate *ioc_ops_states_new(
    const struct ioc_root *root, const struct ioc_jails *js, struct ioc_error **err);
/* The state of one jail. */
int ioc_ops_state1(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_jstate *st,
    struct ioc_error **err);
/* cap (remove 0) or uncap of the running jail j under its lock: its limits
 * applied or removed by the engine. */
int ioc_jail_cap(
    const struct ioc_root *root, struct ioc_jail *j, int remove, struct ioc_error **err);
/*
 * exec and console: runs xo's command in the running jail named (tag, UUID
 * or prefix); *status is its exit status.  use_record (the root was named):
 * a running jail is found by its run-time record, reading no ZFS.  Runs
 * ioc_ops_prepare first (the engine may re-execute).
 */
int ioc_jail_exec(const struct ioc_root *root, const char *name, int use_record,
    struct ioc_exec_opts *xo, int *status, struct ioc_error **err);
/*
 * A running jail named by its UUID or tag, from its run-time record
 * (core/runrec.h): 1 with *js and *j filled, reading no ZFS, when the root
 * was named, the engine can tell whether the container runs, and it does;
 * full: with every property as start saw them (none saved: 0).  0 to take
 * the ordinary path (a record of a container that no longer runs is removed).
 */
int ioc_jail_from_record(const struct ioc_root *root, const char *name, int full,
    struct ioc_jails *js, struct ioc_jail **j);
/* 1 when j runs, 0 when not, -1 with *err. */
int ioc_ops_running(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
/* Runs argv inside the running jail j (its output is the caller's stdout and
 * stderr); 0 only when it exits 0. */
int ioc_ops_exec_ok(
    const struct ioc_root *root, struct ioc_jail *j, char *const *argv, struct ioc_error **err);
/*
 * pkglist: starts the jail uuid, installs pkgs with the release's own package
 * manager inside (apt-get on Debian-like releases, pkg on FreeBSD), stops it.
 * -1 with *err when there is no package manager or the installation fails.
 */
int ioc_ops_install_pkgs(const struct ioc_root *root, const char *uuid, const struct ioc_strv *pkgs,
    struct ioc_error **err);
/* Installs pkgs in the running jail j with its package manager (as pkglist). */
int ioc_ops_pkgs_in(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_strv *pkgs,
    struct ioc_error **err);
/* 1 when the jail's root has PATH (absolute inside the jail): a program
 * looked for before it is run there; the last component is not followed. */
int ioc_ops_jail_has(const struct ioc_jail *j, const char *path);

/* ---- run.c, runplan.c ----------------------------------------------------- */

enum ioc_act { IOC_ACT_START, IOC_ACT_STOP, IOC_ACT_RESTART };

/* What happened to one jail of a start or stop, told as it happens. */
enum ioc_run_event {
	IOC_RUN_ALREADY, /* start: it runs already (jid) */
	IOC_RUN_IDLE, /* stop: it was not running (what a killed start left is removed) */
	IOC_RUN_STOPPED,
	IOC_RUN_STARTED, /* jid */
	IOC_RUN_FAILED, /* one jail of several failed, or a pulled-in one (msg) */
	IOC_RUN_REFUSED, /* a target of several refused before anything ran (msg names it) */
};
struct ioc_run_note {
	enum ioc_run_event ev;
	const char *tag, *uuid;
	const char *jid; /* ALREADY, STARTED */
	const char *msg; /* FAILED, REFUSED */
	int pulled; /* a jail the request pulled in: a dependency or a running dependent */
};
struct ioc_runreq;
/* Called in the process that acts on the jail (a -j worker's output is relayed whole). */
typedef void (*ioc_run_report_fn)(
    void *arg, const struct ioc_runreq *rq, const struct ioc_run_note *n);

/* What a command asks of start and stop. */
struct ioc_runreq {
	const char *cmd; /* start, stop, restart, rcboot, rcshutdown, migrate: in messages */
	enum ioc_act act; /* for the targets; pulled-in jails are started or stopped */
	int force; /* -f: the targets' own meaning (hostid at start, no hooks at stop) */
	int cascade; /* stop: running dependents are stopped first (stop -f, rcshutdown) */
	int keep_going; /* ALL, rcboot, rcshutdown: a target that cannot be planned fails alone */
	int rc; /* rcboot/rcshutdown: every jail counts in the summary */
	unsigned jobs; /* -j: at most this many jails at once; 1: one after the other */
	ioc_run_report_fn report; /* NULL: nothing is told */
	void *arg;
};
/* How many jails were acted on, done (1), failed; summary: a summary line is due. */
struct ioc_run_tally {
	size_t total, done, failed;
	int summary;
};

/*
 * One jail, under its lock: looks at its state and acts.  1: done, 0:
 * nothing to do, -1 with *err.  A template, a replica and a migrated jail
 * never start, nor one of another host's hostid without force.  pulled: a
 * jail the request pulled in (told as such).  The caller ran ioc_ops_prepare.
 */
int ioc_jail_run(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_runreq *rq,
    enum ioc_act act, int force, int pulled, struct ioc_error **err);
/*
 * The jails v (n of them, every property loaded) as rq asks: stop after the
 * running jails that depend on them (refused without rq->cascade), start
 * after their dependencies, rq->jobs at once.  One failing does not stop the
 * others; one jail named: its error is *err as is.  -1 when any failed.
 */
int ioc_jails_run(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err);
/*
 * start NAME (rq->act START, one worker) of a jail without depends, named by
 * UUID or by a tag with an index entry: its lock taken before its
 * properties are read (ioc_jail_load_locked), so no second look at ZFS for
 * a destroy in between.  1 when it acted (*rc its result, as
 * ioc_jails_run's; *rc -1 with 1 also when the lookup failed), 0 to take
 * the ordinary path.
 */
int ioc_jail_start_locked(const struct ioc_root *root, const char *name,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, int *rc, struct ioc_error **err);
/*
 * stop NAME (rq->act STOP, one worker) of a jail that runs alone on the host,
 * from its run-time record and saved properties: no ZFS read.  1 when it
 * acted (*rc its result, as ioc_jails_run's), 0 to take the ordinary path.
 */
int ioc_jail_stop_recorded(const struct ioc_root *root, const char *name,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, int *rc, struct ioc_error **err);
/* rcboot (rq->act START) and rcshutdown (STOP): the jails with boot=on by
 * priority (shutdown: backwards), dependencies honoured; t->total 0: none. */
int ioc_jails_rc(const struct ioc_root *root, const struct ioc_runreq *rq, struct ioc_run_tally *t,
    struct ioc_error **err);
/*
 * --dry-run: the engine's plan of each step for each jail, as the command
 * lines it would run, appended to out; nothing is locked or changed.  The
 * Linux engine drives liblxc directly and has none (an error says so).
 */
int ioc_jails_dry(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const char *const *steps, struct ioc_sb *out, struct ioc_error **err);
/* The same for start and restart: the jails they depend on first, marked as such. */
int ioc_jails_dry_start(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const char *const *steps, struct ioc_sb *out, struct ioc_error **err);

/* ---- create.c ------------------------------------------------------------ */

/* A validated PROPERTY=VALUE (ioc_prop_parse_assign, then ioc_ops_check_prop). */
struct ioc_assign {
	const struct ioc_prop *p;
	char *value;
};
void ioc_assigns_free(struct ioc_assign *a, size_t n);
/*
 * Parses and checks n words PROPERTY=VALUE for a new jail into *out (caller
 * frees with ioc_assigns_free(*out, *nout), also on error).
 */
int ioc_assigns_parse(
    char *const *words, size_t n, struct ioc_assign **out, size_t *nout, struct ioc_error **err);
/* The tag of a jail made without one: the UUID's first 8 characters (never all digits). */
char *ioc_jail_default_tag(const char *uuid);
/* 1 when a complete jail in js other than self (a UUID, or NULL) has tag. */
int ioc_jails_tag_taken(const struct ioc_jails *js, const char *tag, const char *self);
/*
 * depends= at set and create: the jail (uuid NULL for a new one) with tag and
 * the depends value given may not name itself, every tag it names must be a
 * jail's, and no cycle may be reachable from it.  js: every jail with tag and
 * depends loaded.
 */
int ioc_jails_depends_check(const struct ioc_jails *js, const char *uuid, const char *tag,
    const char *value, struct ioc_error **err);
/*
 * In a legacy root (legacy: struct ioc_jails.legacy of a load), the shell
 * iocage's tags/TAG links follow the jail's tag (core/legacy.h; 1.7.6
 * lib/ioc-common __link_tag, __unlink_tag); tag NULL removes them.  Nothing
 * happens in other roots.
 */
int ioc_ops_tag_links(const struct ioc_root *root, int legacy, const char *uuid, const char *tag,
    struct ioc_error **err);

enum ioc_create_how {
	IOC_CREATE_THICK, /* a copy of the source snapshot (zfs send | zfs receive) */
	IOC_CREATE_THIN, /* a clone of the source snapshot */
	IOC_CREATE_EMPTY, /* an empty root: no release */
};

/*
 * What to make.  The source is, in this order: a snapshot the caller chose
 * (clone), a template by name (create -t: its snapshot, release and own
 * settings), else the newest snapshot of the release (none for EMPTY).
 */
struct ioc_create_req {
	enum ioc_create_how how;
	const char *snapshot; /* DATASET@SNAP to clone, or NULL */
	const struct ioc_jail *carry_from; /* with snapshot: its own settings carry over */
	const char *template_name; /* -t TEMPLATE (tag, UUID or prefix), or NULL */
	const char *source_template; /* with snapshot: recorded as source_template */
	const char *release; /* NULL: the template's, the host's, or none (EMPTY) */
	const char *uuid; /* with count 1: this UUID instead of a new one */
	const char *tag; /* NULL: one from each UUID; count > 1: TAG_1..TAG_count */
	long long count; /* jails to make, 1..1000 */
	int untagged; /* make them without their tag property: debris that
		       * list never shows and clean removes, until the
		       * caller sets the tag as its last step */
	const struct ioc_assign *props; /* validated; tag= and release= in it are ignored */
	size_t nprops;
	const struct ioc_strv *pkgs; /* installed in each new jail (pkglist), or NULL */
	/* called after each jail is complete (tag: the tag it has or will get) */
	void (*made)(void *arg, const char *uuid, const char *tag);
	void *made_arg;
};

/*
 * Makes req->count jails (root lock held by the caller): checks what needs a
 * read of the pool (template, release snapshot, tags unique among complete
 * jails; a tag held by debris sweeps the debris), then creates each jail's
 * dataset with every property in one step and its root, and installs the
 * packages; a jail that fails half-way is destroyed again.  uuids_out (may
 * be NULL) gets the UUID of every jail made, also of those made before a
 * failure (they stay).
 */
int ioc_jail_create(const struct ioc_root *root, const struct ioc_create_req *req,
    struct ioc_strv *uuids_out, struct ioc_error **err);

/*
 * One untagged thin jail of release (tag: the one it will get, checked
 * unique) for a caller that finishes it and sets the tag last (package
 * import, update release=): ioc_jail_create with the request they share.
 * *uuid (caller frees) gets the new jail's UUID.
 */
int ioc_jail_create_untagged(const struct ioc_root *root, const char *release, const char *tag,
    const struct ioc_assign *props, size_t nprops, char **uuid, struct ioc_error **err);
/*
 * clone SRC[@SNAPNAME]: a thin jail of src's root snapshot snapname; without
 * one, a template's own snapshot, or else a snapshot of src taken now named
 * for the new jail (as the shell iocage did), removed again when the create
 * fails.  req: tag (NULL: from the UUID), props, made; the rest is set here
 * (and the pointers into this call cleared on return).  js: the root's jails
 * (the tag must be free); srcname as messages say it.  Root lock held.
 */
int ioc_jail_clone(const struct ioc_root *root, const struct ioc_jails *js,
    const struct ioc_jail *src, const char *srcname, const char *snapname,
    struct ioc_create_req *req, struct ioc_error **err);

/* ---- destroy.c ----------------------------------------------------------- */

/* The tags of the complete jails other than j whose depends= names j's tag,
 * appended to names ("'a', 'b'"); js: the jails loaded with tag and depends.
 * destroy refuses such a jail, set its new tag. */
void ioc_jails_dependents(
    const struct ioc_jails *js, const struct ioc_jail *j, struct ioc_sb *names);

struct ioc_destroy_req {
	const char *name; /* the jail: tag, UUID or prefix, as messages name it */
	int force; /* -f: a running jail is stopped, not refused */
	/* called with what happened to the jail: "stopped" (it ran), then "destroyed" */
	void (*did)(void *arg, const char *uuid, const char *tag, const char *what);
	void *did_arg;
};

/* The jail a check found, for the destroy (release with ioc_destroy_target_release). */
struct ioc_destroy_target {
	struct ioc_jails js; /* every jail, with tag, template and depends */
	struct ioc_jail *j; /* the one named, in js */
	int running;
};

/*
 * Loads every jail and resolves req->name into *d; refuses (changing
 * nothing) when a jail depends on it (depends=) or is a clone of one of its
 * snapshots, or when it runs and req->force is not set.  d needs no release
 * after -1.  The caller holds the root lock.
 */
int ioc_destroy_check(const struct ioc_root *root, const struct ioc_destroy_req *req,
    struct ioc_destroy_target *d, struct ioc_error **err);
void ioc_destroy_target_release(struct ioc_destroy_target *d);
/*
 * Destroys the jail d checked (root lock held; takes the jail's): stops it
 * when it ran, removes a killed package's work clones, destroys its datasets
 * (zfs destroy -r), its run-time record and its lock file, then in a legacy
 * root the tags links that pointed at it.  req->did hears of each step.
 */
int ioc_jail_destroy(const struct ioc_root *root, const struct ioc_destroy_req *req,
    const struct ioc_destroy_target *d, struct ioc_error **err);

/* ---- snap.c -------------------------------------------------------------- */

/*
 * Splits "NAME@SNAP" at its last '@' into *name and *snap (caller frees
 * both); *snap NULL when there is no '@'.  SNAP must be letters, digits,
 * '_', '-', '.', ':', not starting with '-' or '.', at most 200 characters.
 */
int ioc_snap_split(const char *arg, char **name, char **snap, struct ioc_error **err);

/* One snapshot of a jail's root dataset; the strings point into its ioc_snaps. */
struct ioc_snap {
	const char *name; /* after the '@' */
	const char *creation; /* as zfs get gives it: seconds since the epoch */
	const char *referenced; /* bytes, or "-" */
	const char *used; /* bytes, or "-" */
};
struct ioc_snaps {
	struct ioc_snap *v; /* oldest first */
	size_t n;
	struct ioc_zrows rows; /* what v points into */
};
void ioc_snaps_release(struct ioc_snaps *s);
/* snaplist: the snapshots of the root dataset of the jail name means (tag, UUID or
 * prefix), in one `zfs get`; *out needs no release after -1. */
int ioc_jail_snaplist(
    const struct ioc_root *root, const char *name, struct ioc_snaps *out, struct ioc_error **err);
/* The origin of every dataset under R/jails, three levels deep ("-": not a clone);
 * rows needs no release after -1. */
int ioc_jails_origins(const struct ioc_root *root, struct ioc_zrows *rows, struct ioc_error **err);
/*
 * The jails (other than j) with a dataset cloned from a snapshot of j's,
 * appended to names ", "-joined, each once: a complete jail by its tag,
 * another by the dataset's name.  js: the root's jails, with tag.  destroy,
 * snapremove and set template=no refuse while there are any.
 */
int ioc_jail_clone_users(const struct ioc_root *root, const struct ioc_jails *js,
    const struct ioc_jail *j, struct ioc_sb *names, struct ioc_error **err);
/*
 * promote: j's root, a clone, becomes independent of its origin (zfs
 * promote; the origin's snapshots move to it); *origin (caller frees) gets
 * what it was cloned from.  Refused when it is not a clone or its origin is
 * outside the root.  name: as messages say it.
 */
int ioc_jail_promote(
    const struct ioc_jail *j, const char *name, char **origin, struct ioc_error **err);

struct ioc_snap_req {
	const char *name; /* the jail (tag, UUID or prefix) as messages name it; snapshot: or ALL */
	const char *snap; /* checked (ioc_snap_split); snapshot: NULL for ioc-YYYY-MM-DD_HH:MM:SS */
	int force; /* rollback: past newer snapshots, destroying them */
};
/* What was done, for the caller to say (release with ioc_snap_result_release). */
struct ioc_snap_result {
	char *tag; /* the jail's tag; "ALL" for snapshot ALL */
	char *snap; /* the snapshot's name */
	char *newer; /* rollback: the newer snapshots destroyed ("a, b"), or NULL */
};
void ioc_snap_result_release(struct ioc_snap_result *r);
/*
 * snapshot: every dataset of the jail (zfs snapshot -r R/jails/UUID@SNAP);
 * for ALL every jail at one instant, under the root lock taken here (the
 * caller verifies a lazily named root first).
 */
int ioc_jail_snapshot(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err);
/* snapremove: the snapshot of every dataset of the jail, refused while a
 * dataset is cloned from its root's. */
int ioc_jail_snapremove(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err);
/*
 * rollback: the stopped jail's datasets that have the snapshot, rolled back
 * to it under the jail's lock (taken here); a snapshot that is not the
 * newest only with force, the newer ones destroyed.
 */
int ioc_jail_rollback(const struct ioc_root *root, const struct ioc_snap_req *req,
    struct ioc_snap_result *res, struct ioc_error **err);

/* ---- debris.c ------------------------------------------------------------ */

/*
 * Removes debris under R/jails (root lock held; js: the jails loaded with at
 * least their tags), a debris entry's running container stopped first; before
 * the caller's first change.  removed (may be NULL) gets the names removed.
 */
int ioc_debris_sweep(const struct ioc_root *root, const struct ioc_jails *js,
    struct ioc_strv *removed, struct ioc_error **err);
/*
 * Destroys the work clones a killed `package` left under R/packages
 * (work-UUID-start, work-UUID-stop): those of one jail, or all when uuid is
 * NULL; removed (may be NULL) gets their names.  Root lock held: destroy
 * calls it first (the clones hang on the jail's snapshots), clean for all.
 */
int ioc_record_sweep(const struct ioc_root *root, const char *uuid, struct ioc_strv *removed,
    struct ioc_error **err);

/* Destroys snapshots of R/jails itself (no jail owns them; a killed `snapshot
 * ALL` leaves them), their names appended to removed (may be NULL). */
int ioc_snapshot_debris_sweep(
    const struct ioc_root *root, struct ioc_strv *removed, struct ioc_error **err);

/* ---- update.c ------------------------------------------------------------ */

/* A snapshot of an update in flight carries this ("up"|"down": whether the jail ran). */
#define IOC_UPDATE_MARK IOC_PROP_PREFIX "update_inflight"

/* Clears the in-flight mark from every dataset of j that has @snap (children
 * first, the jail's own last: its mark is what recovery looks for). */
int ioc_update_unmark(struct ioc_jail *j, const char *snap, struct ioc_error **err);
/*
 * Puts j back to @snap: stopped for the rollback, started again when
 * run_after.  0 when rolled back (a failed restart is reported in *err_start).
 */
int ioc_update_back(const struct ioc_root *root, struct ioc_jail *j, const char *snap,
    int run_after, struct ioc_error **err, struct ioc_error **err_start);
/*
 * Rolls back an interrupted update of j (jail lock held), shown as name, if
 * its dataset carries a mark; notes gets a line saying so.
 */
int ioc_update_recover(const struct ioc_root *root, struct ioc_jail *j, const char *name,
    struct ioc_strv *notes, struct ioc_error **err);
/* Rolls back every interrupted update under R/jails and puts each jail back
 * in its state (root lock held; takes each jail's lock); notes gets a line a jail. */
int ioc_update_recover_all(
    const struct ioc_root *root, struct ioc_strv *notes, struct ioc_error **err);

/*
 * freebsd-update fetch install on the host against rootfs (a jail's or a
 * release's root) of release, with the host's configuration; its work
 * directory is DIR/freebsd-update (dir: the dataset above rootfs, out of
 * the root's reach), made root-only here.
 */
int ioc_freebsd_update(
    const char *rootfs, const char *dir, const char *release, struct ioc_error **err);
/*
 * freebsd-update -r new upgrade, then install until nothing is left, on the
 * host against rootfs (as ioc_freebsd_update; engine/update.h's argv).
 */
int ioc_freebsd_upgrade(
    const char *rootfs, const char *dir, const char *old, const char *new, struct ioc_error **err);
/* An update mark: 1 when the jail ran ("up", "up release=OLD"). */
int ioc_update_mark_up(const char *mark);
/* An upgrade's mark ("... release=OLD"): sets j's release back to OLD; 0 when none. */
int ioc_update_mark_release(struct ioc_jail *j, const char *mark, struct ioc_error **err);

/* ---- set.c --------------------------------------------------------------- */

/*
 * set of the checked assignments as (n) on the jail named target (tag, UUID
 * or prefix), or on the root's defaults (target NULL).  A new tag must be
 * free and not named by another jail's depends=, depends= may not make a
 * cycle or name a missing jail (the root lock held for those), template=
 * converts the jail (template.c); the jail's lock is held for the writes.
 * A running jail's run-time record and a legacy root's tag links follow a
 * new tag.  Everything is checked before the first write.  A root named but
 * not read yet (ioc_root_lazy) is checked by the read of the jail, or read
 * first (ioc_root_read) for defaults and for what looks at other jails.
 */
int ioc_props_set(struct ioc_root *root, const char *target, const struct ioc_assign *as, size_t n,
    struct ioc_error **err);

/* ---- template.c ---------------------------------------------------------- */

#define IOC_TEMPLATE_SNAP "ioc-template" /* R/jails/UUID/root@ioc-template */

/*
 * set template=yes (yes 1) or no of j: refused while j runs (yes) or while
 * jails are cloned from it (no); js: the root's jails, with tag.
 */
int ioc_template_check(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jail *j,
    int yes, struct ioc_error **err);
/*
 * The conversion, root lock and j's lock held: yes (re)takes
 * R/jails/UUID/root@ioc-template then sets the property; no sets it then
 * drops the snapshot.  A kill in between leaves an ordinary jail.
 */
int ioc_template_apply(
    const struct ioc_root *root, struct ioc_jail *j, int yes, struct ioc_error **err);

/* ---- update_jail.c ------------------------------------------------------- */

struct ioc_update_req {
	const char *to; /* upgrade: the release it goes to; NULL: update */
	/* a line to show as it goes (a rolled-back interrupted update, the snapshot taken) */
	ioc_say_fn say;
	void *say_arg;
};
/*
 * update (req->to NULL) or upgrade of j under its lock: its datasets
 * snapshotted (*snapname, caller frees) with the in-flight mark, then apt-get
 * in the jail (started for it when down; Linux) or freebsd-update against its
 * root (FreeBSD); a failure rolls back to the snapshot and says so.  An
 * earlier interrupted update is rolled back first.  The caller ran
 * ioc_ops_prepare.
 */
int ioc_jail_update(const struct ioc_root *root, struct ioc_jail *j,
    const struct ioc_update_req *req, char **snapname, struct ioc_error **err);
struct ioc_release_update_result {
	size_t changed, deleted; /* files copied into the release, deleted there */
	char *snapshot; /* the release's new snapshot, new jails' source */
};
void ioc_release_update_result_release(struct ioc_release_update_result *r);
/*
 * update release=REL (Linux), under the root lock: a temporary untagged thin
 * jail of the release is updated, what changed is copied into the release's
 * root and snapshotted; the temporary jail never stays.
 */
int ioc_release_update(const struct ioc_root *root, const char *rel,
    const struct ioc_update_req *req, struct ioc_release_update_result *res,
    struct ioc_error **err);

/* ---- apply.c ------------------------------------------------------------- */

struct ioc_apply_req {
	const struct ioc_recipe *r;
	int dirfd; /* the recipe's folder: copy and mount sources are beneath it */
	const char *dirpath; /* its absolute path, without links (mount sources) */
	const char *tag; /* the jail's tag */
	int dry_run; /* plan only */
	/* each line of the plan, then of what was done */
	ioc_say_fn say;
	void *say_arg;
};

/*
 * Brings the jail tag to what the recipe says (root lock held by the caller):
 * reads every copy source and checks every property value and the jail
 * (release, type, tag) first; plans what differs (a new jail: everything)
 * and says the plan; then, unless dry_run, snapshots an existing jail
 * (@ioc-apply-TIME, kept), sets the properties that differ, starts the jail
 * (restarts it when it ran and properties changed), does the steps not
 * recorded as done, and records them (recipe_done).  On a failure the jail
 * is put back: a new one destroyed, an existing one rolled back to the
 * snapshot with its properties and running state as before; *err says so.
 */
int ioc_jail_apply(
    const struct ioc_root *root, const struct ioc_apply_req *req, struct ioc_error **err);

#include "ops/ops_transfer.h"
#include "ops/ops_root.h"

#endif
