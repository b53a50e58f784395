/*
 * fetch.h — releases: local root-filesystem tarballs (file=), FreeBSD
 * distribution sets over HTTP(S) checked against MANIFEST, Debian suites via
 * debootstrap; hardened extraction; ownership shifting for Linux user
 * namespaces.
 *
 * A release is complete only once R/releases/REL/root@ioc-release exists: the
 * snapshot is taken last, so an interrupted fetch never leaves a release that
 * `create` would use; the next fetch destroys the incomplete one and restarts.
 */
#ifndef IOC_FETCH_H
#define IOC_FETCH_H

#include "util.h"

/*
 * Extracts an archive (any format libarchive reads, any compression) into
 * dest, preserving owners, modes, times, ACLs, xattrs and file flags, and
 * refusing absolute paths, '..' components, writes through symlinks, and
 * hard links whose target is outside the archive's own tree.  On error the
 * partial tree is left for the caller to discard.  progress: print bytes on
 * stderr (a TTY only).
 */
int ioc_fetch_extract(const char *archive, const char *dest, int progress,
    struct ioc_error **err);

/*
 * Adds base to the uid and gid of every file below path (lchown, without
 * following symlinks; set-id bits restored after chown).  Ids must be below
 * count.  Used so that Linux releases are stored already shifted for the
 * user namespace their jails run in, and thin clones stay thin.
 */
int ioc_fetch_shift_tree(const char *path, unsigned long base, unsigned long count,
    struct ioc_error **err);

/*
 * FreeBSD distribution sets: downloads base_url/MANIFEST and each of files
 * (blank-separated names) into download_dir, checks every SHA-256 against
 * the MANIFEST, and only then extracts them into dest.
 */
int ioc_fetch_freebsd(const char *base_url, const char *files, const char *download_dir,
    const char *dest, int progress, struct ioc_error **err);

#endif
