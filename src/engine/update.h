/*
 * update.h — what `update` runs, as argv arrays (pure: the unit test
 * tests/unit/t_update.c compares them with tests/golden/freebsd/update.golden).
 *
 * Linux (Debian-like releases, inside the running jail through the engine's
 * exec): `apt-get update`, then `apt-get upgrade`, non-interactive, keeping
 * the jail's changed configuration files.
 * FreeBSD (on the host, against the jail's root, the jail need not run):
 * freebsd-update(8) with -b ROOT and --currently-running RELEASE, but the
 * host's configuration file (/etc/freebsd-update.conf: the server and the key
 * that host root trusts) and a work directory outside the jail's root
 * (R/jails/UUID/freebsd-update, made by the caller: root-only).  The shell
 * iocage took both from inside the jail, so the jail's root chose the update
 * server and key, and could pre-seed the work directory, of a program that
 * runs as host root.
 */
#ifndef IOC_UPDATE_H
#define IOC_UPDATE_H

#include "util/util.h"

#define IOC_UPDATE_SNAP_PREFIX "ioc_update_"

/* The apt-get steps (n: 0 update, 1 upgrade) into argv. */
void ioc_update_apt_argv(int n, struct ioc_strv *argv);
#define IOC_UPDATE_APT_STEPS 2
#define IOC_UPDATE_FREEBSD_CONF "/etc/freebsd-update.conf"
/* The work directory's name beside the jail's root (in R/jails/UUID). */
#define IOC_UPDATE_FREEBSD_WORKDIR "freebsd-update"
/* freebsd-update -b ROOTFS -d WORKDIR -f the host's conf ... fetch install. */
void ioc_update_freebsd_argv(
    const char *rootfs, const char *workdir, const char *release, struct ioc_strv *argv);

/*
 * upgrade (a jail to another release).  Linux: the jail's apt sources switch
 * suite (sed inside the jail on the files named: every whole word OLD, so
 * OLD-updates and OLD-security follow), then apt-get update and full-upgrade
 * (n: 0 update, 1 full-upgrade), keeping changed configuration files.
 * FreeBSD (1.7.6 lib/ioc-upgrade __upgrade): freebsd-update -r NEW upgrade,
 * then install until it has nothing left to install (step 0 upgrade, 1
 * install), with the update's host configuration and work directory, and
 * UNAME_r=OLD in the environment as the shell iocage set it.
 */
#define IOC_UPGRADE_SNAP_PREFIX "ioc_upgrade_"
void ioc_upgrade_sources_argv(
    const char *old, const char *new, const struct ioc_strv *files, struct ioc_strv *argv);
void ioc_upgrade_apt_argv(int n, struct ioc_strv *argv);
void ioc_upgrade_freebsd_argv(const char *rootfs, const char *workdir, const char *old,
    const char *new, int step, struct ioc_strv *argv);

#endif
