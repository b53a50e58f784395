/*
 * update.h — what `update` runs, as argv arrays (pure: the unit test
 * tests/unit/t_update.c compares them with tests/golden/freebsd/update.golden).
 *
 * Linux (Debian-like releases, inside the running jail through the engine's
 * exec): `apt-get update`, then `apt-get upgrade`, non-interactive, keeping
 * the jail's changed configuration files.
 * FreeBSD (on the host, against the jail's root, the jail need not run):
 * freebsd-update(8) with -b ROOT, its work directory inside the jail, the
 * jail's own configuration file and --currently-running RELEASE.
 */
#ifndef IOC_UPDATE_H
#define IOC_UPDATE_H

#include "util.h"

#define IOC_UPDATE_SNAP_PREFIX "ioc_update_"

/* The apt-get steps (n: 0 update, 1 upgrade) into argv. */
void ioc_update_apt_argv(int n, struct ioc_strv *argv);
#define IOC_UPDATE_APT_STEPS 2
/* freebsd-update -b ROOTFS ... fetch install. */
void ioc_update_freebsd_argv(const char *rootfs, const char *release, struct ioc_strv *argv);

#endif
