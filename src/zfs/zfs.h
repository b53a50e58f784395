/*
 * zfs.h — every zfs(8)/zpool(8) call, as argv arrays through spawn.
 *
 * Only the subset that OpenZFS (FreeBSD 13+, Linux 2.x) and zfs-fuse 0.7
 * share is used: `zfs get -H -p` (never `zfs list -p`), no `-t` on get, one
 * property per `zfs set`, datasets unmounted before rename and destroy.
 *
 * The guard: every function here that changes a dataset first asks
 * ioc_zfs_guard(), which allows only the root set by ioc_zfs_set_guard_root()
 * and datasets below it.  Nothing outside the root is ever created, changed,
 * mounted or destroyed, whatever a caller passes.
 */
#ifndef IOC_ZFS_H
#define IOC_ZFS_H

#include "spawn/spawn.h"
#include "util/util.h"

struct ioc_zrow {
	char *name;
	char *prop;
	char *value;
	char *source; /* "local", "default", "-", "inherited from X", "received" */
};

struct ioc_zrows {
	struct ioc_zrow *v;
	size_t n, cap;
};
void ioc_zrows_init(struct ioc_zrows *r);
void ioc_zrows_release(struct ioc_zrows *r);
/* The row of name's prop, or NULL; its value, or NULL. */
const struct ioc_zrow *ioc_zrows_find(
    const struct ioc_zrows *r, const char *name, const char *prop);
const char *ioc_zrows_value(const struct ioc_zrows *r, const char *name, const char *prop);

/*
 * Parses `zfs get -H -p -o name,property,value,source` output.  A value may
 * contain tabs: the first two fields are name and property, the last is the
 * source, and everything between is the value.  A line with fewer than four
 * fields, or whose name is not a dataset name, fails the whole parse; so do
 * rows of one dataset that are not in one block and a property listed twice
 * for one dataset (zfs prints each dataset's properties together, once: a
 * value with a newline could otherwise forge a row of another dataset).
 * Snapshot rows (name with '@') are kept only when want_snaps is set.
 */
int ioc_zfs_parse_get(
    const char *text, int want_snaps, struct ioc_zrows *rows, struct ioc_error **err);

/*
 * Delegation (`zfs allow DATASET` as OpenZFS prints it: a "---- Permissions
 * on DS ----" block for the dataset and each ancestor with permissions, with
 * "Permission sets:", "Local permissions:", "Descendent permissions:" and
 * "Local+Descendent permissions:" sections of "\tuser|group NAME PERMS" and
 * "\teveryone PERMS" lines).  Appends to `who` one "user alice (userprop on
 * tank/x)" entry for each grant, other than to root, that applies to
 * `dataset` and lets someone set user properties there: `userprop`, `allow`
 * (it grants further what its holder has) or a @set holding either.  Local
 * permissions of an ancestor do not apply to its descendants and are left
 * out.  Lines it does not understand are skipped, never trusted: a grant on
 * an unknown line cannot hide a known one.  Returns the number appended.
 */
size_t ioc_zfs_parse_allow(const char *text, const char *dataset, struct ioc_strv *who);
/*
 * Runs `zfs allow DATASET` and parses it (above).  A ZFS without delegation
 * (zfs-fuse prints "pyzfs.py not found": it has no `zfs allow` at all, so
 * nobody can hold one) yields no entries; any other failure is an error.
 */
int ioc_zfs_delegated(const char *dataset, struct ioc_strv *who, struct ioc_error **err);

/* Sets the dataset all writes must stay within.  NULL: no writes allowed. */
void ioc_zfs_set_guard_root(const char *root);
const char *ioc_zfs_guard_root(void);
/* 0 if name (dataset or snapshot) is the guard root or below it; else -1. */
int ioc_zfs_guard(const char *name, struct ioc_error **err);
/* Checks a dataset or snapshot name's syntax (no "..", no empty components). */
int ioc_zfs_valid_name(const char *name);

/*
 * `zfs get -H -p -o name,property,value,source PROPS NAMES...`, optionally
 * -r (recursive) or -d DEPTH (depth >= 0), -s SOURCES.  props is a comma list.
 */
int ioc_zfs_get(char *const *names, const char *props, int recursive, int depth,
    const char *sources, int want_snaps, struct ioc_zrows *rows, struct ioc_error **err);
/*
 * Like ioc_zfs_get, but a name that does not exist is not an error: its rows
 * are simply missing (zfs still prints the others').  Any other failure is.
 */
int ioc_zfs_get_existing(char *const *names, const char *props, int depth, int want_snaps,
    struct ioc_zrows *rows, struct ioc_error **err);
/* One property of one dataset; *value NULL when the dataset does not exist. */
int ioc_zfs_get1(const char *name, const char *prop, char **value, struct ioc_error **err);
int ioc_zfs_exists(const char *name);

/* Writes (all guarded).  props: "name=value" strings, may be NULL. */
/* Appends "-o PROP=VALUE" for each entry of props (NULL: none) to argv a. */
void ioc_zfs_push_props(struct ioc_strv *a, const struct ioc_strv *props);
int ioc_zfs_create(
    const char *name, const struct ioc_strv *props, int parents, struct ioc_error **err);
int ioc_zfs_clone(
    const char *snap, const char *name, const struct ioc_strv *props, struct ioc_error **err);
int ioc_zfs_snapshot(const char *snap, int recursive, struct ioc_error **err);
/* The same with "name=value" properties set on the snapshot(s) in the same
 * transaction (`zfs snapshot -o`). */
int ioc_zfs_snapshot_props(
    const char *snap, int recursive, const struct ioc_strv *props, struct ioc_error **err);
/* Unmounts (children first) and destroys; recursive destroys children and
 * snapshots.  Snapshots: recursive means `-r` over the same name below. */
int ioc_zfs_destroy(const char *name, int recursive, struct ioc_error **err);
int ioc_zfs_set(const char *name, const char *prop, const char *value, struct ioc_error **err);
int ioc_zfs_inherit(const char *name, const char *prop, struct ioc_error **err);
int ioc_zfs_rollback(const char *snap, int destroy_newer, struct ioc_error **err);
int ioc_zfs_promote(const char *name, struct ioc_error **err);
int ioc_zfs_rename(const char *from, const char *to, struct ioc_error **err);
int ioc_zfs_mount(const char *name, struct ioc_error **err);
int ioc_zfs_unmount(const char *name, struct ioc_error **err);
/*
 * `zfs send [-i from] snap` in a thread, its stream written to out_fd (the
 * write end of the caller's pipe, closed when send ends): the caller reads
 * the other end, then waits with ioc_run_async_wait.  snap is guarded.
 */
int ioc_zfs_send_async(
    const char *snap, const char *from, int out_fd, struct ioc_async *b, struct ioc_error **err);
/*
 * `zfs receive target` in a thread reading in_fd (the read end of the
 * caller's pipe, closed when receive ends): the caller writes the stream to
 * the other end, closes it, and waits.  target is guarded and must not exist.
 */
int ioc_zfs_receive_async(
    const char *target, int in_fd, struct ioc_async *b, struct ioc_error **err);
/* `zfs send [-I from] snap | zfs receive [-u] target` (target guarded). */
int ioc_zfs_send_recv(const char *snap, const char *target, const struct ioc_strv *recv_props,
    struct ioc_error **err);

/*
 * `zfs send -R [-I @from] snap | zfs receive -u [-F] target` (sync): the
 * dataset, its children, their snapshots and properties, incremental from
 * the snapshot from (a bare snapshot name) when given.  force (-F) rolls the
 * target back to the stream's base first: only for a replica the caller has
 * checked is its own.  target is guarded; snap is only read.
 */
struct ioc_zfs_progress {
	/* the bytes of the stream as they pass; final: the end (bytes 0) */
	void (*fn)(void *arg, size_t bytes, int final);
	void *arg;
};
/*
 * pg (NULL: none) has the stream relayed through this process to count it:
 * a progress bar on a terminal; without it send writes into receive.
 */
int ioc_zfs_replicate(const char *snap, const char *from, const char *target, int force,
    const struct ioc_zfs_progress *pg, struct ioc_error **err);

/*
 * `zfs send -R [-I @from] snap | RECEIVER...` (a sync to another host:
 * receiver is the ssh argv of the other side's receive); what names the
 * receiving side in messages.
 */
int ioc_zfs_replicate_to(const char *snap, const char *from, const struct ioc_strv *receiver,
    const char *what, const struct ioc_zfs_progress *pg, struct ioc_error **err);
/*
 * `zfs send [-p] [-I origin] snap | zfs receive -u [-F] target`: one
 * dataset, no children.  origin is a full snapshot name: an earlier
 * snapshot of snap's dataset (an increment), or the clone's origin, whose
 * copy the target's pool must hold (target becomes a clone of that copy,
 * with every snapshot since: a thin replica).  IOC_SEND_PROPS: with its
 * properties (-p; zfs-fuse's receive fails an increment of a clone sent
 * so), IOC_SEND_FORCE: -F.
 */
#define IOC_SEND_PROPS 1
#define IOC_SEND_FORCE 2
int ioc_zfs_send_one(const char *snap, const char *origin, const char *target, int flags,
    const struct ioc_zfs_progress *pg, struct ioc_error **err);
/* The same stream into RECEIVER... (ssh to the other side's receive; FORCE is its own). */
int ioc_zfs_send_one_to(const char *snap, const char *origin, int flags,
    const struct ioc_strv *receiver, const char *what, const struct ioc_zfs_progress *pg,
    struct ioc_error **err);
/* `zfs receive -u [-F] target` reading this process's stdin (target guarded). */
int ioc_zfs_receive_stdin(const char *target, int force, struct ioc_error **err);

/* Children names of a dataset (recursive, filesystems only), parents first. */
int ioc_zfs_list_children(const char *name, struct ioc_strv *out, struct ioc_error **err);

#endif
