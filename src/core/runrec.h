/*
 * runrec.h — the run-time record of a running jail: what `exec` and
 * `console` need to reach it without a ZFS round trip.
 *
 * `start` writes it under the jail's lock once the engine has started the
 * jail; `stop` removes it; `set tag=` rewrites it under the same lock.  It
 * lives in the run directory, never on the pool:
 *   RUNDIR/running/ROOT/UUID   (ROOT with '/' as %2F; directories 0700,
 *                               files 0600, all owned by root)
 * holding "uuid=", "tag=", "dataset=" and "rootfs=" lines.  A record is only
 * a hint: its reader checks ownership and modes (a record planted by another
 * user is ignored and removed), the caller asks the engine whether the
 * jail's container runs (a record left by a host reboot or a container
 * killed behind iocage's back is removed), and anything it cannot use sends
 * the command down the ordinary path, which reads ZFS.
 */
#ifndef IOC_RUNREC_H
#define IOC_RUNREC_H

#include "core/core.h"

struct ioc_runrec {
	char *uuid;
	char *tag;
	char *dataset;
	char *rootfs;
};

void ioc_runrec_init(struct ioc_runrec *r);
void ioc_runrec_release(struct ioc_runrec *r);

/* Writes j's record for root (caller holds the jail's lock); 0 or -1 with *err. */
int ioc_runrec_write(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err);
/* Removes uuid's record for root, if any (caller holds the jail's lock). */
void ioc_runrec_remove(const char *rootname, const char *uuid);
/* Rewrites uuid's record with a new tag when there is one (set tag= of a running jail). */
int ioc_runrec_retag(
    const char *rootname, const char *uuid, const char *tag, struct ioc_error **err);
/*
 * 1 when the container of uuid belongs to another root of this host: one of
 * its records names uuid and rootname's does not (a replica or an imported
 * copy keeps its source's UUID, and the container's name is ioc-UUID).
 * 0 otherwise, also when no root has a record for it.  Reads no ZFS.
 */
int ioc_runrec_elsewhere(const char *rootname, const char *uuid);
/*
 * Finds the record of name (a full UUID or a tag) under rootname: 1 with *r
 * filled, 0 when there is none, or more than one, or it is not ours (such a
 * file is removed).  Reads no ZFS.
 */
int ioc_runrec_find(const char *rootname, const char *name, struct ioc_runrec *r);
/*
 * Adds to js a jail made from r: its tag, dataset and root path as
 * recorded, every other property its built-in value.  Enough for the
 * engine's exec; nothing else may use it.
 */
struct ioc_jail *ioc_runrec_jail(
    const struct ioc_runrec *r, const char *rootname, struct ioc_jails *js);

/*
 * The jail's properties as start saw them, beside its record in
 * RUNDIR/running/ROOT/UUID.props (same owner and modes): what `stop` needs
 * (its hooks, their user and time limits) without a ZFS read.  Lines
 * "props=N", "legacy=0|1", "has_data=0|1", then "NAME=S:VALUE" (S the
 * source, a digit); native ZFS properties are not kept.  ioc_runrec_write
 * writes it after the record; a value with a control character means no
 * file (stop reads ZFS).  Every iocage command that changes a property of
 * the jail, or a default of its root, forgets it first: after that, or
 * after a `zfs set` behind iocage's back, the record path is not taken
 * (the latter is not noticed: stop then runs the hooks as they were when
 * the jail started, documented in docs/runtime-record.md).
 */
/* Forgets the saved properties of uuid (NULL: of every jail of rootname). */
void ioc_runrec_forget_props(const char *rootname, const char *uuid);
/*
 * Adds to js the jail of r with every property as saved: NULL when there is
 * no usable file (missing, foreign, of another property table), js untouched.
 * The jail is marked `recorded`.
 */
struct ioc_jail *ioc_runrec_jail_props(
    const struct ioc_runrec *r, const char *rootname, struct ioc_jails *js);
/* 1 when uuid's record is still there (its jail was neither stopped nor destroyed). */
int ioc_runrec_present(const char *rootname, const char *uuid);

/*
 * Name hints for a command naming one tag: RUNDIR/names/ROOT/TAG (both
 * escaped as the records' ROOT) holds the UUID the tag named when the tag
 * index last answered for it.  Only a hint, like the record: the caller
 * loads that jail (start: under its lock) and uses it only when it still
 * holds the tag; anything else (no file, not ours, not a UUID) is NULL and
 * the index is asked as before.  _forget removes the hint of tag when it
 * names uuid (a destroyed jail).
 */
char *ioc_runrec_name_hint(const char *rootname, const char *tag);
void ioc_runrec_name_note(const char *rootname, const char *tag, const char *uuid);
void ioc_runrec_name_forget(const char *rootname, const char *tag, const char *uuid);

#endif
