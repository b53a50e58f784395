/*
 * legacy.h — roots laid out by the shell iocage, managed in place.
 *
 * The shell iocage kept, under its dataset R (usually POOL/iocage):
 *   R/.defaults            org.freebsd.iocage:* values, the root's defaults
 *   R/jails/UUID           a jail: every org.freebsd.iocage:* property set
 *                          locally (on/off written as on/off, 1/0 or yes/no),
 *                          mounted (canmount=on), with fstab files inside
 *   R/jails/UUID/root      the jail's filesystem (a clone of
 *                          R/releases/REL/root@UUID, or a full copy)
 *   R/releases/REL/root    a release, snapshotted once per thin jail
 * Our own layout differs only in details (R/jails/UUID has canmount=off;
 * releases carry @ioc-release), and the loader reads both: jails list, start
 * and are managed where they are, with no conversion step.
 *
 * R/.defaults is honoured by the loader (core.c) and `defaults`: a value set
 * locally there is a root default, below one set locally on R itself (what
 * `set ... default` writes) and above the built-in table.  Nothing is copied.
 */
#ifndef IOC_LEGACY_H
#define IOC_LEGACY_H

#include "util/util.h"

#define IOC_LEGACY_DEFAULTS ".defaults" /* R/.defaults */

struct ioc_jail;

/*
 * Called by `activate DATASET` once the root is marked: recognises a shell
 * iocage layout and makes its releases usable for new jails (a release
 * R/releases/REL/root with files but no @ioc-release snapshot gets one; the
 * shell iocage's own per-jail snapshots stay).  Appends a summary line to
 * summary when it recognised anything.  Changes nothing else.
 */
int ioc_legacy_adopt(const char *root, struct ioc_sb *summary, struct ioc_error **err);

/*
 * The shell iocage's tag links (v1.7.6 lib/ioc-common __link_tag and
 * __unlink_tag): a directory `tags` in R's mountpoint holding one symlink a
 * jail, TAG -> the mountpoint of R/jails/UUID (absolute, as `zfs get
 * mountpoint` prints it).  Kept only in legacy roots (struct
 * ioc_jails.legacy: R/.defaults exists), never made in others.
 *
 * ioc_legacy_mountpoints: the mountpoints of R and of R/jails/UUID, in one
 * `zfs get`; the caller frees both.
 *
 * ioc_legacy_tags_sync: removes every symlink in R/tags whose target is
 * jail_mp or below it (what __unlink_tag's find -lname did), then, when tag
 * is not NULL, makes tags/TAG -> jail_mp (tags is made 0755 when missing, as
 * __link_tag's mkdir -p; an old link of that name is replaced in one rename).
 * R/tags is opened without following a symlink; an entry that is not a
 * symlink is never removed or replaced (an error names it).
 */
int ioc_legacy_mountpoints(
    const char *root, const char *uuid, char **root_mp, char **jail_mp, struct ioc_error **err);
int ioc_legacy_tags_sync(
    const char *root_mp, const char *jail_mp, const char *tag, struct ioc_error **err);

/*
 * Before an engine starts or stops a jail of a legacy root (j->legacy), what
 * the shell iocage kept beside the jail, in R/jails/UUID's mountpoint, joins
 * the jail's values for this run (in memory; nothing is written):
 *
 *  - the hook scripts __findscript finds (1.7.6 lib/ioc-info): an executable
 *    regular file prestart, poststart, prestop or poststop there is run as
 *    that host hook instead of the exec_* property (the shell iocage's
 *    order: the script wins).  It must be owned by root and writable by
 *    nobody else; it counts as set on R/jails/UUID, so the delegation check
 *    of ioc_jail_check_delegation applies to it.
 *  - the fstab file (1.7.6 lib/ioc-rc: mount.fstab="${jail_path}/fstab"):
 *    fstab(5) lines "SRC DST nullfs ro|rw[,...] [DUMP [PASS]]", DST the host
 *    path inside the jail's root; becomes the `fstab` value "SRC /PATH ro|rw;
 *    ..." and is validated as strictly as the property.  A bad line refuses
 *    with its number.  When the fstab property has entries (set on the jail
 *    or as a default) the property wins and the file is not read.
 *
 * Files are opened without following symlinks, must be regular and at most
 * 64 KiB.  Jails of other roots are left as they are.  for_stop: a bad fstab
 * file is not an error (a stop must not be refused), its entries are skipped.
 */
int ioc_legacy_jail_prepare(struct ioc_jail *j, int for_stop, struct ioc_error **err);

#endif
