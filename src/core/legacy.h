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

/*
 * Called by `activate DATASET` once the root is marked: recognises a shell
 * iocage layout and makes its releases usable for new jails (a release
 * R/releases/REL/root with files but no @ioc-release snapshot gets one; the
 * shell iocage's own per-jail snapshots stay).  Appends a summary line to
 * summary when it recognised anything.  Changes nothing else.
 */
int ioc_legacy_adopt(const char *root, struct ioc_sb *summary, struct ioc_error **err);

#endif
