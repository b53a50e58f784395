/*
 * fstab.h — the `fstab` property: host paths mounted into a jail at start.
 *
 * Format: entries separated by ';', each "SRC DST [ro|rw]" (words separated
 * by blanks; default rw).  SRC is an absolute host path, DST an absolute
 * path inside the jail; neither may contain "..", a backslash or control
 * characters, and DST may not be "/".  "none" (or empty) means no entries.
 * Portable: both engines use the parsed form (bind mounts on Linux, nullfs
 * on FreeBSD).
 */
#ifndef IOC_FSTAB_H
#define IOC_FSTAB_H

#include "util/util.h"

struct ioc_fstab_ent {
	char *src;
	char *dst;
	int ro;
};

struct ioc_fstab {
	struct ioc_fstab_ent *v;
	size_t n;
};

/* Parses value into fs (empty on "none"); -1 with a message naming the entry. */
int ioc_fstab_parse(const char *value, struct ioc_fstab *fs, struct ioc_error **err);
void ioc_fstab_release(struct ioc_fstab *fs);

/*
 * A path as one field of an fstab(5)-style mount entry (liblxc's
 * lxc.mount.entry is read with getmntent(3)): blank, tab, newline and
 * backslash become the octal escapes \040 \011 \012 \134 that getmntent
 * decodes, so no path can split into more fields or lines.  Other control
 * characters are the caller's to refuse.  Caller frees.
 */
char *ioc_fstab_escape(const char *path);

#endif
