/*
 * record.h — differential packages (`record`, `package`, `import PACKAGE`):
 * the comparison of two file trees, and the package archive.
 *
 * `record start` snapshots a jail's root as @ioc-record-start, `record stop`
 * as @ioc-record-stop; `package` compares the two snapshots' trees (each
 * mounted through a temporary read-only clone: zfs-fuse has neither `zfs
 * diff` nor .zfs/snapshot) and writes what changed.  Nothing here touches
 * ZFS: ops/package.c makes and destroys the clones.
 *
 * A package ("NAME.iocpkg", SHA-256 in "NAME.iocpkg.sha256" beside it) is a
 * pax tar archive compressed with xz whose members come in this order:
 *   +PACKAGE     the manifest below
 *   +DELETIONS   paths that the deploy removes, one per line, escaped
 *   root/PATH    every added or changed file, directory, symlink, device
 *                node or FIFO, parents before children, with its mode,
 *                owner, times and extended attributes
 * Owners are stored relative to the release's id shift (release_idmap on
 * R/releases/REL): uid 0 inside the jail is stored as 0 whatever the host
 * maps it to, and a deploy adds the target release's own shift.
 *
 * Manifest: "\n"-terminated lines, in this order and no other:
 *   iocage-package 1
 *   release REL
 *   uuid UUID           the jail it was recorded on
 *   tag TAG
 *   created YYYY-MM-DDTHH:MM:SSZ
 *   files N             number of root/ members
 *   deletions N         number of +DELETIONS lines
 */
#ifndef IOC_RECORD_H
#define IOC_RECORD_H

#include "util/util.h"

#include <time.h>

#define IOC_RECORD_START "ioc-record-start"
#define IOC_RECORD_STOP "ioc-record-stop"
#define IOC_PKG_HEADER "iocage-package 1"
#define IOC_PKG_SUFFIX ".iocpkg"
/* the temporary name a package is written under before the rename (a killed
 * run's leftover is removed by the next package) */
#define IOC_PKG_PARTIAL ".iocpkg-partial-"
#define IOC_PKG_MANIFEST_MAX (64u << 10)
#define IOC_PKG_DELETIONS_MAX (16u << 20)
#define IOC_PKG_PATH_MAX 4096

struct ioc_pkg_manifest {
	char *release, *uuid, *tag, *created;
	unsigned long long files, deletions;
};
void ioc_pkg_manifest_init(struct ioc_pkg_manifest *m);
void ioc_pkg_manifest_release(struct ioc_pkg_manifest *m);
/* The manifest's text (caller frees). */
char *ioc_pkg_manifest_format(const struct ioc_pkg_manifest *m);
/* Parses and validates (order, header, release name, UUID, tag, counts); text
 * need not be NUL-terminated.  Errors name the line. */
int ioc_pkg_manifest_parse(
    const char *text, size_t len, struct ioc_pkg_manifest *m, struct ioc_error **err);

/* A relative path inside a tree: not empty, no leading '/', no empty, "." or
 * ".." component, no NUL, at most IOC_PKG_PATH_MAX bytes.  1 if valid. */
int ioc_record_valid_relpath(const char *p, size_t len);
/* Escapes a path for a +DELETIONS line (\\ \n \t \xHH); caller frees. */
char *ioc_record_escape(const char *p);
/* Parses +DELETIONS text into paths (each valid, each at most once). */
int ioc_record_parse_deletions(
    const char *text, size_t len, struct ioc_strv *out, struct ioc_error **err);

/*
 * Compares the trees at old and new (directories; walked without following
 * symlinks, never leaving the file system of each top).  changed: paths in
 * new that are new or differ (type, mode, owner, size, mtime, device, link
 * target, xattrs; a file whose only difference is its inode or ctime, or
 * whose ctime is not 2 s older than `since` — the old tree's snapshot time,
 * for the clock's granularity — is compared by content), parents first;
 * sockets are left out (no file to carry).  deleted: paths of old missing from new
 * or whose type changed (for a removed directory only the directory).
 */
struct ioc_tree_diff {
	struct ioc_strv changed;
	struct ioc_strv deleted;
};
void ioc_tree_diff_init(struct ioc_tree_diff *d);
void ioc_tree_diff_release(struct ioc_tree_diff *d);
int ioc_record_diff(const char *old, const char *new, time_t since, struct ioc_tree_diff *d,
    struct ioc_error **err);

/*
 * Writes the package of d (files read from the tree at top) to dir/NAME
 * through a temporary name, and dir/NAME.sha256; hex gets the digest.  Owners
 * are stored minus idbase (0: none); an owner outside [idbase, idbase+idcount)
 * fails.  m's counts are filled in.
 */
int ioc_record_write_package(const char *top, const struct ioc_tree_diff *d,
    struct ioc_pkg_manifest *m, unsigned long idbase, unsigned long idcount, const char *dir,
    const char *name, char hex[65], struct ioc_error **err);

/*
 * Verifies the package open at fd (named path, whose path.sha256 is read)
 * before anything is deployed: its SHA-256 (required), then every member
 * (order, names, types, the counts in the manifest, a complete archive).
 * Fills m and deletions.  The caller opens the package once and hands the
 * same fd to ioc_record_apply_package: what was verified is what is applied,
 * whatever is renamed onto path meanwhile.
 */
int ioc_record_verify_package(int fd, const char *path, struct ioc_pkg_manifest *m,
    struct ioc_strv *deletions, struct ioc_error **err);

/*
 * Deploys a verified package onto the tree at top: removes the deletions
 * (never following a symlink: a path through one is refused), then extracts
 * the root/ members with libarchive's SECURE_NODOTDOT, SECURE_SYMLINKS and
 * SECURE_NOABSOLUTEPATHS, keeping modes, times and xattrs, owners plus idbase
 * (a stored owner >= idcount fails when idbase is not 0).
 */
int ioc_record_apply_package(int fd, const char *path, const char *top,
    const struct ioc_strv *deletions, unsigned long idbase, unsigned long idcount,
    struct ioc_error **err);
/* Opens a package for verify and apply: a regular file, no symlink at the end. */
int ioc_record_open_package(const char *path, struct ioc_error **err);

/*
 * Makes the tree at dest like the tree at src, given d = the diff from dest
 * to src (ioc_record_diff(dest, src, ...)): removes d's deletions (never
 * through a symlink), then copies d's changed entries from src with their
 * mode, owner (unshifted), times and xattrs, the same hardened way a package
 * is extracted.  Hard links are copied as separate files.  update release=
 * uses it to carry an updated temporary jail into the release's root.
 */
int ioc_record_copy_tree(
    const char *src, const struct ioc_tree_diff *d, const char *dest, struct ioc_error **err);

/* True when path names a package: NAME.iocpkg, or an archive whose first
 * member is +PACKAGE. */
int ioc_record_is_package(const char *path);

/*
 * Walks a received tree (never following a link, never leaving its file
 * system) and refuses what would give the host's users more than the jail
 * has: a character or block device node, or a setuid/setgid file owned by an
 * id outside [base, base + count) — with count 0 (a privileged jail) only
 * device nodes.  The error names the first such file (relative to top).
 */
int ioc_tree_refuse_hostile(
    const char *top, unsigned long base, unsigned long count, struct ioc_error **err);

#endif
