/*
 * core.h — the root dataset, jails, releases and their properties.
 *
 * Layout under the root R (see DESIGN.md):
 *   R/download/REL, R/releases/REL/root (@ioc-release*), R/jails/UUID
 *   (properties; canmount=off), R/jails/UUID/root (the filesystem),
 *   R/jails/UUID/data (jail_zfs), R/images, R/packages, R/.tags (the tag
 *   index, tagidx.h).
 *
 * A jail is complete when R/jails/UUID carries the tag property and has its
 * root child; anything else under R/jails is debris of an interrupted
 * command, never listed, removed by the next create/destroy or by `clean`.
 */
#ifndef IOC_CORE_H
#define IOC_CORE_H

#include "core/props.h"
#include "util/util.h"
#include "zfs/zfs.h"

#define IOC_RELEASE_SNAP "ioc-release"
#define IOC_UUID_PREFIX_MIN 4 /* shortest UUID prefix that names a jail */

enum ioc_src {
	IOC_SRC_BUILTIN = 0, /* set nowhere: the table's default */
	IOC_SRC_LOCAL, /* set on the jail */
	IOC_SRC_DEFAULT, /* set on the root R, inherited */
	IOC_SRC_IGNORED, /* inherited from outside R: ignored, built-in used */
	IOC_SRC_NATIVE, /* a native ZFS property (source as zfs says) */
};

struct ioc_root {
	char *name; /* the root dataset, e.g. tank/virt/iocage */
	char *mountpoint; /* its mountpoint; NULL while not verified */
	int verified; /* 0: named by -r/IOCAGE_ROOT and not checked yet (see below) */
};

struct ioc_jail {
	char *uuid;
	char *dataset; /* R/jails/UUID */
	char *rootfs; /* mountpoint of R/jails/UUID/root (may be NULL) */
	int complete; /* has tag and root child */
	int has_data; /* R/jails/UUID/data exists */
	char **values; /* per ioc_props index; NULL where not loaded */
	enum ioc_src *srcs;
	char **natsrc; /* native ZFS source strings */
	char **ignored_from; /* for IOC_SRC_IGNORED: where the value came from */
	int legacy; /* of a root laid out by the shell iocage (struct ioc_jails.legacy) */
	int recorded; /* made from its run-time record's saved properties (runrec.h) */
};

struct ioc_jails {
	struct ioc_jail *v;
	size_t n;
	int legacy; /* the root has R/.defaults: laid out by the shell iocage (legacy.h) */
};

/* Root discovery: explicit (-r / IOCAGE_ROOT) or the one active dataset.  */
int ioc_root_find(const char *explicit_root, struct ioc_root *root, struct ioc_error **err);
/*
 * Hot paths (list, get, df, create, clone) skip the separate check of an
 * explicitly named root: ioc_root_lazy() only checks the name's syntax and
 * leaves root->verified = 0; the first ioc_jails_load() then reads the root's
 * `active` property in the same `zfs get` as the jails and fails if it is not
 * an active root.  Such commands must load jails before any write.
 */
int ioc_root_lazy(const char *explicit_root, struct ioc_root *root, struct ioc_error **err);
/*
 * 1 when r (may be NULL) is an `active` row of a dataset below the root
 * that inherits it from the root ("inherited from R", inh_root) with a true
 * value: the root is an active one, seen with no read of its own.
 */
int ioc_root_row_active(const struct ioc_zrow *r, const char *inh_root);
/* A root named but not verified (ioc_root_lazy) read whole as ioc_root_find does; else 0. */
int ioc_root_read(struct ioc_root *root, struct ioc_error **err);
/* Lists every dataset with org.freebsd.iocage:active=yes set locally. */
int ioc_root_list_active(struct ioc_strv *out, struct ioc_error **err);
/* Marks DATASET as a root (creating it and its iocage children). */
int ioc_root_activate(const char *dataset, struct ioc_error **err);
void ioc_root_release(struct ioc_root *root);

/*
 * The mountpoint of R/CHILD ("images", "packages"), the dataset created when
 * missing; *dir (caller frees) is an absolute path, else -1 with *err.
 */
int ioc_root_store_dir(
    const struct ioc_root *root, const char *child, char **dir, struct ioc_error **err);

/*
 * Locks: flock(2) on files in /var/run/iocage/locks (0700, root-only),
 * opened O_NOFOLLOW.  A lock dies with its holder, so a killed command never
 * blocks the next one.  Returns an fd to close (or -1 with *err).
 */
int ioc_lock_root(const struct ioc_root *root, struct ioc_error **err);
int ioc_lock_jail(const struct ioc_root *root, const char *uuid, struct ioc_error **err);
/*
 * Removes the lock file of a jail that is gone; the caller holds its lock
 * (ioc_lock_jail) and closes it afterwards.  Waiters start over on a new
 * file, so the run directory does not keep one file per jail ever made.
 */
void ioc_lock_jail_remove(const struct ioc_root *root, const char *uuid);
/* The run-time directory (/var/run/iocage, or IOCAGE_RUNDIR in tests). */
const char *ioc_rundir(void);
/* key as one file name of the run directory: "/" as %2F, "%" as %25 (caller frees). */
char *ioc_run_escape(const char *key);
/* The jail of js with this UUID, or a new empty one (values all NULL) added to js. */
struct ioc_jail *ioc_jails_get_or_add(struct ioc_jails *js, const char *uuid, const char *dataset);

/*
 * Loads jails with one `zfs get` of R/jails (depth 2).  props: NULL for
 * every table property, else a NULL-terminated list of names to load.
 * Debris entries are included with complete = 0.
 */
int ioc_jails_load(const struct ioc_root *root, const char *const *props, struct ioc_jails *out,
    struct ioc_error **err);
/*
 * The same, and in the same `zfs get`: when release is not NULL, *snap gets
 * the newest complete snapshot of that release (NULL if none).
 */
int ioc_jails_load_rel(const struct ioc_root *root, const char *const *props, const char *release,
    struct ioc_jails *out, char **snap, struct ioc_error **err);
/*
 * The cheap read for create: only the tags of the jails (half the datasets:
 * no root children), the root check and the release snapshot.  Completeness
 * is not known: every tagged entry, debris included, counts as a jail.
 */
int ioc_jails_load_tags(const struct ioc_root *root, const char *release, struct ioc_jails *out,
    char **snap, struct ioc_error **err);
/*
 * create's read, through the tag index (tagidx.h): the jails that hold or
 * may hold one of tags (an entry's jail, its tag read: it may be stale),
 * the root check and the release snapshot, in one `zfs get` when no entry
 * names a jail.  Without a complete index it is ioc_jails_load_tags (every
 * jail) and *all is set (2: there is no R/.tags at all): the caller,
 * under the root lock, completes the index with ioc_tagidx_build before it
 * writes the new tags.
 */
int ioc_jails_load_tags_for(const struct ioc_root *root, const char *release,
    const struct ioc_strv *tags, struct ioc_jails *out, char **snap, int *all,
    struct ioc_error **err);
/*
 * Only the jails that names (tags, UUIDs, UUID prefixes; NULL-terminated)
 * may mean, with props as for ioc_jails_load: a first `zfs get` reads the
 * names' entries in the tag index (tagidx.h), or every jail's tag when the
 * index cannot answer (skipped when every name is a full UUID: tags never
 * look like one), a second reads the candidates alone.  ioc_jail_resolve() on the
 * result answers as it would on every jail; many jails cost one cheap read,
 * not a read of all their properties.
 */
int ioc_jails_load_named(const struct ioc_root *root, const char *const *props, char *const *names,
    struct ioc_jails *out, struct ioc_error **err);
/* A complete jail of js other than self (a UUID, or NULL) that has tag, or NULL. */
const struct ioc_jail *ioc_jails_tag_holder(
    const struct ioc_jails *js, const char *tag, const char *self);
void ioc_jails_release(struct ioc_jails *js);
/* The loaded value of a property (built-in when not set); never NULL if loaded. */
/* 1 when j is a replica (replica=yes, ops/sync.c); 0 also when that was not loaded. */
int ioc_jail_is_replica(const struct ioc_jail *j);
/* 1 when j was moved to another root by migrate (migrated=ROOT, ops/sync.c). */
int ioc_jail_is_migrated(const struct ioc_jail *j);
const char *ioc_jail_get(const struct ioc_jail *j, const char *prop);
/* Source label for `get all`: local, default, built-in, ... (static string or j-owned). */
const char *ioc_jail_source(const struct ioc_jail *j, const struct ioc_prop *p);

/*
 * Is a host hook's value (exec_prestart, exec_poststart, exec_prestop,
 * exec_poststop) the no-op default: /usr/bin/true, "none" or empty?  Such a
 * hook is not run at all: no process for nothing.
 */
int ioc_hook_noop(const char *v);
/*
 * Before a start: the jail's values that reach the host (host hooks
 * exec_pre/poststart/stop, fstab sources, a resolver file, userns=off, a
 * userns_idmap or jail_zfs_dataset of its own) are honoured only when
 * nobody but root may write them.  For each such value set on the jail or on
 * R (never the built-in ones), the delegation of the dataset it was read from
 * is checked (`zfs allow`); a grant of userprop (or allow) to anyone else
 * there is an error naming the property, the dataset and the grant.  A jail
 * with no such value costs no process.
 */
int ioc_jail_check_delegation(
    const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err);

/*
 * Finds one complete jail by tag, full UUID or unique UUID prefix (at least
 * IOC_UUID_PREFIX_MIN lower-case hex characters).  Errors:
 * "no jail named 'x'", "'ab' is ambiguous: matches UUID (tag), ...".
 */
int ioc_jail_resolve(
    const struct ioc_jails *js, const char *name, struct ioc_jail **out, struct ioc_error **err);
/*
 * One jail named by UUID or by a tag its index entry gives, its lock taken
 * (*lockfd, the caller closes it) before its properties are read: nothing
 * can destroy it between the read and the lock (start).  1: *j in *js (the
 * caller releases it); 0: nothing held, the name needs the ordinary lookup
 * (a UUID prefix, no usable entry, a stale one, no such jail); -1: error.
 */
int ioc_jail_load_locked(const struct ioc_root *root, const char *name, struct ioc_jails *js,
    struct ioc_jail **j, int *lockfd, struct ioc_error **err);
/*
 * Loads the jails name may mean (all: every jail of the root, for a command
 * that looks at the others too) with props (NULL: all), and resolves name
 * into *j (in *js, released by the caller; nothing to release after -1).
 */
int ioc_jail_load_one(const struct ioc_root *root, const char *name, const char *const *props,
    int all, struct ioc_jails *js, struct ioc_jail **j, struct ioc_error **err);

/*
 * The host's own release, the default of `fetch` and `create` without
 * release= as in the shell iocage (1.7.6 lib/ioc-globals: `uname -r | cut -f
 * 1,2 -d-`, so 14.1-RELEASE-p3 is 14.1-RELEASE); on Linux the Debian-style
 * suite of /etc/os-release (VERSION_CODENAME, e.g. bookworm).  Read once;
 * NULL with an error when there is none.
 */
const char *ioc_host_release(struct ioc_error **err);

/* A new random UUID (v4). */
char *ioc_uuid_new(void);
/* Full name of the dataset jail_zfs delegates to jail uuid (value: its
 * jail_zfs_dataset); NULL (*err) when it would be iocage's own, another
 * jail's or the jail's root. */
char *ioc_jail_zfs_dataset(
    const struct ioc_root *root, const char *uuid, const char *value, struct ioc_error **err);

/* Releases: R/releases/REL/root@ioc-release* newest complete snapshot. */
int ioc_release_snapshot(
    const struct ioc_root *root, const char *rel, char **snap, struct ioc_error **err);
/* Names of complete releases (sorted). */
int ioc_release_list(const struct ioc_root *root, struct ioc_strv *out, struct ioc_error **err);

/* Removes debris under R/jails (caller holds the root lock); reports names. */
int ioc_clean_debris(const struct ioc_root *root, const struct ioc_jails *js,
    struct ioc_strv *removed, struct ioc_error **err);

#endif
