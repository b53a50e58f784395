/* legacy.c — recognising a shell iocage root at `activate` (see legacy.h). */
#include "core/legacy.h"

#include "core/core.h"
#include "core/fstab.h"
#include "core/props.h"
#include "zfs/zfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
ioc_legacy_adopt(const char *root, struct ioc_sb *summary, struct ioc_error **err)
{
	_cleanup_free_ char *defaults = ioc_xasprintf("%s/" IOC_LEGACY_DEFAULTS, root);
	_cleanup_free_ char *jails = ioc_xasprintf("%s/jails", root);
	_cleanup_free_ char *rels = ioc_xasprintf("%s/releases", root);
	_cleanup_strv_ struct ioc_strv adopted = IOC_STRV_INIT;
	char *names[] = { defaults, jails, rels, NULL };
	struct ioc_zrows rows;
	size_t i, k, nj = 0, jl = strlen(jails), rl = strlen(rels);
	int has_defaults = 0, rc = 0;

	ioc_zrows_init(&rows);
	/* one read: .defaults, jails (depth 2), releases with their snapshots */
	if (ioc_zfs_get_existing(
		names, "canmount," IOC_PROP_PREFIX "release_source", 3, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const struct ioc_zrow *r = &rows.v[i];
		const char *rest;
		if (strcmp(r->name, defaults) == 0) {
			has_defaults = 1;
			continue;
		}
		/* R/jails/UUID mounted and tagged: the shell iocage's jail */
		if (strncmp(r->name, jails, jl) == 0 && r->name[jl] == '/' &&
		    !strchr(r->name, '@') && !strchr(r->name + jl + 1, '/') &&
		    strcmp(r->prop, "canmount") == 0 && strcmp(r->value, "on") == 0)
			nj++;
		/* R/releases/REL/root without any @ioc-release snapshot */
		if (strncmp(r->name, rels, rl) == 0 && r->name[rl] == '/' &&
		    !strchr(r->name, '@') && strcmp(r->prop, "canmount") == 0) {
			rest = r->name + rl + 1;
			const char *sl = strchr(rest, '/');
			_cleanup_free_ char *pfx = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, r->name);
			_cleanup_free_ char *relds = NULL;
			int has = 0;
			if (sl == NULL || strcmp(sl, "/root") != 0)
				continue;
			/* ours record how they were fetched: one without a snapshot is an
			 * interrupted fetch, never to be adopted */
			relds = ioc_xstrndup(r->name, (size_t)(sl - r->name));
			for (k = 0; k < rows.n; k++)
				has |= strncmp(rows.v[k].name, pfx, strlen(pfx)) == 0 ||
				    (strcmp(rows.v[k].name, relds) == 0 &&
					strcmp(rows.v[k].prop, IOC_PROP_PREFIX "release_source") ==
					    0 &&
					strcmp(rows.v[k].source, "local") == 0);
			if (!has)
				ioc_strv_push(&adopted, r->name);
		}
	}
	ioc_zrows_release(&rows);
	for (i = 0; i < adopted.n; i++) {
		_cleanup_free_ char *snap = ioc_xasprintf("%s@" IOC_RELEASE_SNAP, adopted.v[i]);
		if (ioc_zfs_snapshot(snap, 0, err) != 0)
			return -1;
	}
	if (has_defaults || nj || adopted.n) {
		ioc_sb_addf(summary, "recognised a shell iocage layout: %zu jail%s in place%s", nj,
		    nj == 1 ? "" : "s", has_defaults ? ", defaults from " IOC_LEGACY_DEFAULTS : "");
		for (i = 0; i < adopted.n; i++)
			ioc_sb_addf(summary, "%s release %.*s",
			    i ? "," : "; snapshotted for new jails:",
			    (int)(strlen(adopted.v[i]) - rl - 6), adopted.v[i] + rl + 1);
	}
	return rc;
}

int
ioc_legacy_mountpoints(
    const char *root, const char *uuid, char **root_mp, char **jail_mp, struct ioc_error **err)
{
	_cleanup_free_ char *jds = ioc_xasprintf("%s/jails/%s", root, uuid);
	char *names[] = { (char *)root, jds, NULL };
	struct ioc_zrows rows;
	size_t i;

	*root_mp = *jail_mp = NULL;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "mountpoint", 0, -1, NULL, 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		char **to = strcmp(rows.v[i].name, root) == 0 ? root_mp :
		    strcmp(rows.v[i].name, jds) == 0	      ? jail_mp :
								NULL;
		if (to && *to == NULL && rows.v[i].value[0] == '/')
			*to = ioc_xstrdup(rows.v[i].value);
	}
	ioc_zrows_release(&rows);
	if (*root_mp == NULL || *jail_mp == NULL) {
		free(*root_mp);
		free(*jail_mp);
		*root_mp = *jail_mp = NULL;
		return ioc_err(
		    err, "cannot keep the tags links: '%s' or '%s' has no mountpoint", root, jds);
	}
	return 0;
}

/* Opens (making it when mk) R's tags directory without following symlinks; -2 when
 * it is missing and !mk, -1 with *err on failure. */
static int
ioc_legacy_tags_open(const char *root_mp, int mk, struct ioc_error **err)
{
	_cleanup_close_ int rfd = open(root_mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd;
	if (rfd < 0)
		return ioc_err(err, "cannot open '%s': %s", root_mp, strerror(errno));
	fd = openat(rfd, "tags", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mk) {
		if (mkdirat(rfd, "tags", 0755) != 0 && errno != EEXIST)
			return ioc_err(err, "cannot make '%s/tags': %s", root_mp, strerror(errno));
		fd = openat(rfd, "tags", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 && errno == ENOENT && !mk)
		return -2;
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return ioc_err(
		    err, "'%s/tags' is not a directory (a symlink is not followed)", root_mp);
	if (fd < 0)
		return ioc_err(err, "cannot open '%s/tags': %s", root_mp, strerror(errno));
	return fd;
}

int
ioc_legacy_tags_sync(
    const char *root_mp, const char *jail_mp, const char *tag, struct ioc_error **err)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *tmp = NULL;
	size_t ml = strlen(jail_mp);
	struct dirent *de;
	struct stat st;
	DIR *d;

	dfd = ioc_legacy_tags_open(root_mp, tag != NULL, err);
	if (dfd < 0)
		return dfd == -2 ? 0 : -1;
	/* __unlink_tag: every link to the jail, whatever its name */
	d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 0));
	if (d == NULL)
		return ioc_err(err, "cannot read '%s/tags': %s", root_mp, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char target[4096];
		ssize_t n;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
			continue;
		n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, jail_mp, ml) != 0 || (target[ml] != '\0' && target[ml] != '/'))
			continue;
		if (unlinkat(dfd, de->d_name, 0) != 0 && errno != ENOENT) {
			int e = errno;
			closedir(d);
			return ioc_err(err, "cannot remove '%s/tags/%s': %s", root_mp, de->d_name,
			    strerror(e));
		}
	}
	closedir(d);
	if (tag == NULL)
		return 0;
	/* __link_tag: tags/TAG -> the jail's mountpoint, replacing a stale link */
	if (fstatat(dfd, tag, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
		return ioc_err(err,
		    "cannot link tag '%s': '%s/tags/%s' exists and is not a symlink", tag, root_mp,
		    tag);
	tmp = ioc_xasprintf(".ioc-tag-%ld", (long)getpid());
	unlinkat(dfd, tmp, 0);
	if (symlinkat(jail_mp, dfd, tmp) != 0)
		return ioc_err(
		    err, "cannot link tag '%s' in '%s/tags': %s", tag, root_mp, strerror(errno));
	if (renameat(dfd, tmp, dfd, tag) != 0) {
		int e = errno;
		unlinkat(dfd, tmp, 0);
		return ioc_err(
		    err, "cannot link tag '%s' in '%s/tags': %s", tag, root_mp, strerror(e));
	}
	return 0;
}

#define IOC_LEGACY_FILE_MAX 65536

/* Reads name in dfd: no symlink, a regular file, at most IOC_LEGACY_FILE_MAX bytes;
 * 1 when missing. */
static int
ioc_legacy_read(int dfd, const char *dir, const char *name, char **out, struct ioc_error **err)
{
	_cleanup_close_ int fd =
	    openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct ioc_sb sb = IOC_SB_INIT;
	struct stat st;
	char buf[4096];
	ssize_t n;
	*out = NULL;
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return ioc_err(err, "cannot read '%s/%s' (a symlink is not followed): %s", dir,
		    name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return ioc_err(err, "'%s/%s' is not a regular file (refused)", dir, name);
	if (st.st_size > IOC_LEGACY_FILE_MAX)
		return ioc_err(err, "'%s/%s' is larger than %d bytes (refused)", dir, name,
		    IOC_LEGACY_FILE_MAX);
	ioc_sb_init(&sb);
	while (sb.len <= IOC_LEGACY_FILE_MAX && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ioc_sb_release(&sb);
			return ioc_err(err, "cannot read '%s/%s': %s", dir, name, strerror(errno));
		}
		ioc_sb_add(&sb, buf, (size_t)n);
	}
	if (sb.len > IOC_LEGACY_FILE_MAX) {
		ioc_sb_release(&sb);
		return ioc_err(err, "'%s/%s' is larger than %d bytes (refused)", dir, name,
		    IOC_LEGACY_FILE_MAX);
	}
	*out = ioc_sb_detach(&sb);
	return 0;
}

/* One line of a legacy fstab file as an entry of the fstab property ("SRC DST ro|rw"), or
 * NULL for a blank or comment line; -1 with a message. */
static int
ioc_legacy_fstab_line(const char *line, const char *rootfs, char **ent, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv opts = IOC_STRV_INIT;
	_cleanup_free_ char *copy = ioc_xstrdup(line);
	struct ioc_fstab fs;
	char *tok, *save = NULL;
	size_t i, rl = strlen(rootfs);
	int ro = 0;

	*ent = NULL;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		ioc_strv_push(&w, tok);
	if (w.n == 0 || w.v[0][0] == '#')
		return 0;
	for (i = 0; line[i]; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return ioc_err(err, "a control character");
	if (w.n < 4 || w.n > 6)
		return ioc_err(err, "expected 'SRC DST nullfs ro|rw [DUMP [PASS]]'");
	if (strcmp(w.v[2], "nullfs") != 0)
		return ioc_err(err, "file system type '%s': only nullfs is mounted", w.v[2]);
	ioc_strv_split(&opts, w.v[3], ',');
	for (i = 0; i < opts.n; i++) {
		if (strcmp(opts.v[i], "ro") == 0)
			ro = 1;
		else if (strcmp(opts.v[i], "rw") == 0)
			ro = 0;
		else if (strcmp(opts.v[i], "late") != 0)
			return ioc_err(err, "mount option '%s': allowed ro, rw, late", opts.v[i]);
	}
	for (i = 4; i < w.n; i++)
		if (strcmp(w.v[i], "0") != 0)
			return ioc_err(err, "dump and pass fields must be 0");
	/* the target is a host path inside the jail's root, as jail(8) mount.fstab reads it */
	if (strncmp(w.v[1], rootfs, rl) != 0 || (w.v[1][rl] != '/' && w.v[1][rl] != '\0'))
		return ioc_err(err, "target '%s' is not inside the jail's root %s", w.v[1], rootfs);
	if (strchr(w.v[0], ';') || strchr(w.v[1], ';'))
		return ioc_err(err, "a path contains ';'");
	*ent = ioc_xasprintf("%s %s %s", w.v[0], w.v[1][rl] ? w.v[1] + rl : "/", ro ? "ro" : "rw");
	/* the property's own rules: absolute, no "..", no backslash, not the root */
	if (ioc_fstab_parse(*ent, &fs, err) != 0) {
		free(*ent);
		*ent = NULL;
		return -1;
	}
	ioc_fstab_release(&fs);
	return 0;
}

/* The legacy fstab file as an fstab value (see legacy.h); out NULL when there is none. */
static int
ioc_legacy_fstab(int dfd, const char *dir, const char *rootfs, char **out, struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;
	int r = ioc_legacy_read(dfd, dir, "fstab", &text, err);
	*out = NULL;
	if (r != 0)
		return r > 0 ? 0 : -1;
	ioc_strv_split(&lines, text, '\n');
	ioc_sb_init(&sb);
	for (i = 0; i < lines.n; i++) {
		_cleanup_free_ char *ent = NULL;
		if (ioc_legacy_fstab_line(lines.v[i], rootfs, &ent, err) != 0) {
			ioc_sb_release(&sb);
			return ioc_error_wrap(err, "%s/fstab, line %zu", dir, i + 1);
		}
		if (ent)
			ioc_sb_addf(&sb, "%s%s", sb.len ? ";" : "", ent);
	}
	if (sb.len == 0) {
		ioc_sb_release(&sb);
		return 0;
	}
	*out = ioc_sb_detach(&sb);
	return 0;
}

int
ioc_legacy_jail_prepare(struct ioc_jail *j, int for_stop, struct ioc_error **err)
{
	static const char *const hooks[] = { "prestart", "poststart", "prestop", "poststop", NULL };
	const char *mp = j->values ? ioc_jail_get(j, "mountpoint") : NULL;
	const struct ioc_prop *fp = ioc_prop_find("fstab");
	_cleanup_close_ int dfd = -1;
	size_t i;

	if (!j->legacy || mp == NULL || mp[0] != '/' || j->rootfs == NULL || fp == NULL)
		return 0;
	dfd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* not mounted: nothing kept beside the jail */
	for (i = 0; hooks[i]; i++) {
		_cleanup_free_ char *prop = ioc_xasprintf("exec_%s", hooks[i]);
		const struct ioc_prop *hp = ioc_prop_find(prop);
		struct stat st;
		size_t idx;
		if (hp == NULL || fstatat(dfd, hooks[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		/* __findscript: [ -x "${jail_path}/${type}" ] */
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		if (st.st_uid != 0 || (st.st_mode & 022))
			return ioc_err(err,
			    "refusing the hook script '%s/%s': it must be owned by root "
			    "and writable by nobody else",
			    mp, hooks[i]);
		if (strpbrk(mp, " \t\\\"'") != NULL)
			return ioc_err(err,
			    "refusing the hook script '%s/%s': its path has a blank or "
			    "quote",
			    mp, hooks[i]);
		idx = (size_t)(hp - ioc_props);
		free(j->values[idx]);
		j->values[idx] = ioc_xasprintf("%s/%s", mp, hooks[i]);
		j->srcs[idx] =
		    IOC_SRC_LOCAL; /* read from R/jails/UUID: its delegation is checked */
	}
	{
		size_t fi = (size_t)(fp - ioc_props);
		const char *cur = j->values[fi];
		struct ioc_error *e2 = NULL;
		char *v = NULL;
		if (cur && strcmp(cur, "none") != 0 && *cur)
			return 0; /* the property wins (legacy.h) */
		if (ioc_legacy_fstab(dfd, mp, j->rootfs, &v, for_stop ? &e2 : err) != 0) {
			ioc_error_free(e2);
			return for_stop ? 0 : -1;
		}
		if (v) {
			free(j->values[fi]);
			j->values[fi] = v;
			j->srcs[fi] = IOC_SRC_LOCAL;
		}
	}
	return 0;
}
