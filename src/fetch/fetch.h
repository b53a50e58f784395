/*
 * fetch.h — releases: the FreeBSD MANIFEST, downloads (libcurl),
 * hardened extraction (libarchive), the Linux id shift, the host's apt mirror.
 *
 * The pieces are independent so the fetch operation (ops/fetch_release.c), the engines and
 * the tests can use them one by one.  Nothing here touches ZFS: the caller
 * creates, snapshots and (on failure) destroys the datasets through zfs.c.
 * Errors follow util.h: 0 or -1 with *err; nothing prints, except the
 * download progress bar, which goes to stderr only when stderr is a TTY.
 */
#ifndef IOC_FETCH_H
#define IOC_FETCH_H

#include "util/sha256.h"
#include "util/util.h"

/* SHA-256 is sha256.h's; digests travel as 64 hex digits and a NUL. */
#define IOC_SHA256_HEX 65
/* Digest of everything readable from fd (from its current offset). */
int ioc_fetch_sha256_fd(int fd, char hex[IOC_SHA256_HEX], struct ioc_error **err);

/* ---- MANIFEST, fetch.c ---- */

/*
 * FreeBSD's distribution MANIFEST: one line per file,
 * "NAME<TAB>SHA256<TAB>COUNT<TAB>DIST<TAB>DESCRIPTION<TAB>DEFAULT"; only the
 * first three fields are required (COUNT: the number of entries, decimal).
 * Blank lines are skipped; anything else malformed, a name that is not a
 * plain file name, a hash that is not 64 hex digits, or a name given twice
 * fails the whole parse with the line number.  Hashes are stored lower-case.
 */
struct ioc_fetch_manifest_ent {
	char *name;
	char sha256[IOC_SHA256_HEX];
	unsigned long long count;
};
struct ioc_fetch_manifest {
	struct ioc_fetch_manifest_ent *v;
	size_t n, cap;
};
#define IOC_MANIFEST_MAX (1 << 20) /* largest MANIFEST accepted, bytes */
void ioc_fetch_manifest_init(struct ioc_fetch_manifest *m);
void ioc_fetch_manifest_release(struct ioc_fetch_manifest *m);
int ioc_fetch_manifest_parse(
    const char *text, size_t len, struct ioc_fetch_manifest *m, struct ioc_error **err);
const struct ioc_fetch_manifest_ent *ioc_fetch_manifest_find(
    const struct ioc_fetch_manifest *m, const char *name);

/* ---- names and URLs, fetch.c ---- */

/* A distribution file name: [A-Za-z0-9._+-], 1-255 bytes, no '/', not starting with '.'. */
int ioc_fetch_valid_file_name(const char *s, struct ioc_error **err);
/*
 * Builds the base URL of a release's files from ftphost (a host name, or a
 * URL "http://HOST[:PORT][/PATH]" / "https://..."; a bare host means https)
 * and ftpdir (a relative path, may be empty): "SCHEME://HOST[:PORT]/PATH/DIR/"
 * with exactly one '/' between parts and at the end.  Refuses anything but
 * http and https, user info ('@'), queries and fragments, '..' components,
 * spaces and control characters.
 */
int ioc_fetch_base_url(const char *ftphost, const char *ftpdir, char **url, struct ioc_error **err);
/* A mirror URL for debootstrap: http(s)://HOST[:PORT][/PATH], same rules. */
int ioc_fetch_valid_mirror(const char *url, struct ioc_error **err);
/* FreeBSD's name for this machine's architecture (x86_64 -> amd64, aarch64 -> arm64, ...). */
const char *ioc_fetch_arch(void);

/* ---- the host's apt configuration, fetch.c ---- */

/*
 * Picks a Debian mirror from apt sources text: one-line format
 * ("deb [opts] URI SUITE COMPONENT...") when deb822 is 0, deb822 stanzas
 * ("Types:", "URIs:", "Suites:", "Enabled:") when 1.  The first enabled
 * "deb" entry with an http(s) URI for which known_suite(SUITE) is true for
 * one of its suites wins.  *mirror is NULL when nothing qualifies.
 */
int ioc_fetch_apt_mirror_parse(const char *text, int deb822,
    int (*known_suite)(const char *suite, void *arg), void *arg, char **mirror);
/*
 * The mirror for debootstrap from /etc/apt/sources.list, then
 * /etc/apt/sources.list.d/ *.list and *.sources (sorted), a suite counting as
 * known when debootstrap has a script for it.  Fails when none is found.
 */
int ioc_fetch_apt_mirror(char **mirror, struct ioc_error **err);
/* True when debootstrap knows the suite (a script in its scripts directory). */
int ioc_fetch_debootstrap_suite(const char *suite);

/* ---- downloads, fetch_net.c ---- */

/*
 * Downloads url into dirfd/NAME: written to NAME.part (O_NOFOLLOW), synced,
 * then renamed, so NAME is either absent or complete.  http and https only,
 * redirects followed (to http/https only), a stall of 60 s fails.  hex
 * (may be NULL) receives the SHA-256 of the bytes received.  More than max
 * bytes (0: no limit) fails.  A progress bar (bytes, rate, ETA) goes to
 * stderr when stderr is a TTY.
 */
int ioc_fetch_download(const char *url, int dirfd, const char *name, unsigned long long max,
    char hex[IOC_SHA256_HEX], struct ioc_error **err);

/* ---- extraction and id shift, fetch_extract.c ---- */

/*
 * Checks that fd (a regular file, offset 0) is an archive libarchive reads
 * (any format, any compression) by reading its first header; rewinds it.
 */
int ioc_fetch_probe_archive(int fd, const char *label, struct ioc_error **err);

/*
 * Extracts the archive at fd (offset 0) into the existing directory dest,
 * which must be empty or hold only earlier extractions of the same release.
 * Keeps numeric owners (no name lookup on the host), modes (setuid/setgid
 * included), times, ACLs, xattrs and file flags exactly as the archive says;
 * device nodes and FIFOs are made as the archive says too (a release's /dev
 * entries).  Refuses (and fails the whole extraction): absolute paths, '..'
 * components, writes through a symlink, hard links whose target is absolute
 * or has '..'.  A truncated or corrupt archive fails.  `label` names the
 * archive in errors.  The caller discards dest on failure.
 */
int ioc_fetch_extract_fd(int fd, const char *label, const char *dest, struct ioc_error **err);
/*
 * The same for the archive file at path (opened O_NOFOLLOW; must be a
 * regular file).  progress is accepted for callers that pass isatty(2) and
 * is not used: extraction prints nothing.
 */
int ioc_fetch_extract(const char *archive, const char *dest, int progress, struct ioc_error **err);

/*
 * Shifts the owner of every file below and including path by base (uid u
 * becomes base+u, gid likewise), for Linux user namespaces.  Symlinks are
 * changed themselves (never followed); mount points below path are not
 * crossed; a hard-linked inode is shifted once.  Because chown(2) clears
 * setuid/setgid, the mode is set again afterwards.  An id >= count cannot be
 * mapped: that file is left alone, the walk goes on, and the call fails at
 * the end naming the first such file and how many there were.  POSIX ACL
 * entries naming users or groups and file capabilities are not shifted.
 */
int ioc_fetch_shift_tree(
    const char *path, unsigned long base, unsigned long count, struct ioc_error **err);

#endif
