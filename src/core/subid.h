/*
 * subid.h — the host's subordinate id files, /etc/subuid and /etc/subgid.
 *
 * Unprivileged Linux jails map their root to a host id range (userns_idmap,
 * 100000:65536 by default).  Where shadow's newuidmap/newgidmap are
 * installed, liblxc goes through them, and they grant root only the ranges
 * these files list.  This is the one host file iocage writes (DESIGN.md):
 * `activate` adds "root:HOST:COUNT" when no root line covers the root's
 * idmap, records that on the root (IOC_SUBID_PROP), and `deactivate` removes
 * exactly that line again, and only when it added it.  Files are rewritten
 * whole, atomically (temporary name, rename), keeping their mode.
 */
#ifndef IOC_SUBID_H
#define IOC_SUBID_H

#include "util/util.h"

#define IOC_SUBUID "/etc/subuid"
#define IOC_SUBGID "/etc/subgid"
#define IOC_NEWUIDMAP "/usr/bin/newuidmap"
/* On the root, local: "root:HOST:COUNT FILE[,FILE]", the line activate added and where. */
#define IOC_SUBID_PROP "org.freebsd.iocage:subid_added"

/* 1 when text has a "root:" (or "0:") line whose range covers [host, host + count). */
int ioc_subid_covers(const char *text, unsigned long host, unsigned long count);
/* The same for a file; a missing file covers nothing.  -1 only on a read error. */
int ioc_subid_file_covers(
    const char *file, unsigned long host, unsigned long count, struct ioc_error **err);
/*
 * The first line of text giving a user other than root ids that overlap
 * [host, host + count) (Debian's adduser hands 100000:65536 to the first
 * user): NULL when none, else the line (caller frees).
 */
char *ioc_subid_overlap(const char *text, unsigned long host, unsigned long count);
/* Parses the first len bytes of s as "root:HOST:COUNT"; 0 on success. */
int ioc_subid_parse(const char *s, size_t len, unsigned long *host, unsigned long *count);
/* Appends "root:HOST:COUNT" to file (made 0644 when missing). */
int ioc_subid_add(
    const char *file, unsigned long host, unsigned long count, struct ioc_error **err);
/* Removes one line that is exactly "root:HOST:COUNT"; none there is not an error. */
int ioc_subid_remove(
    const char *file, unsigned long host, unsigned long count, struct ioc_error **err);

#endif
