/* runrec.c — run-time records of running jails (runrec.h). */
#include "core/runrec.h"
#include "core/props.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IOC_RUNREC_MAX 8192
#define IOC_RUNREC_PROPS_MAX 262144 /* 256 KiB */

void
ioc_runrec_init(struct ioc_runrec *r)
{
	*r = (struct ioc_runrec) { 0 };
}

void
ioc_runrec_release(struct ioc_runrec *r)
{
	free(r->uuid);
	free(r->tag);
	free(r->dataset);
	free(r->rootfs);
	ioc_runrec_init(r);
}

/* RUNDIR/running/ROOT (caller frees). */
static char *
ioc_runrec_dir(const char *rootname)
{
	_cleanup_free_ char *k = ioc_run_escape(rootname);
	return ioc_xasprintf("%s/running/%s", ioc_rundir(), k);
}

/* A directory of ours: root's own, 0700, not a link. */
static int
ioc_runrec_dir_ok(const char *dir)
{
	struct stat st;
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0;
}

static int
ioc_runrec_value_ok(const char *v)
{
	return v && *v && !ioc_has_ctrl(v);
}

/* A saved property: not a native ZFS one, not computed at read time. */
static int
ioc_runrec_prop_kept(const struct ioc_prop *p)
{
	return (p->flags & (IOC_PF_NATIVE | IOC_PF_RUNTIME)) == 0;
}

/*
 * Saves j's properties beside its record in dir (runrec.h).  Best effort:
 * without the file, stop reads ZFS as before.
 */
static void
ioc_runrec_write_props(const char *dir, const struct ioc_jail *j)
{
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s.props", dir, j->uuid);
	_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
	struct ioc_error *e = NULL;
	size_t i;

	(void)unlink(path);
	ioc_sb_init(&sb);
	ioc_sb_addf(&sb, "props=%zu\nlegacy=%d\nhas_data=%d\n", ioc_nprops, j->legacy ? 1 : 0,
	    j->has_data ? 1 : 0);
	for (i = 0; i < ioc_nprops; i++) {
		const char *v = j->values[i];
		enum ioc_src src = j->srcs[i];
		if (!ioc_runrec_prop_kept(&ioc_props[i]) || v == NULL)
			continue;
		if (ioc_has_ctrl(v))
			return; /* a line could not hold it: no file */
		if (src != IOC_SRC_LOCAL && src != IOC_SRC_DEFAULT)
			src = IOC_SRC_BUILTIN; /* the value in use; where it was ignored from is not
						  kept */
		ioc_sb_addf(&sb, "%s=%d:%s\n", ioc_props[i].name, (int)src, v);
	}
	if (sb.len >= IOC_RUNREC_PROPS_MAX ||
	    ioc_write_file_atomic(path, sb.buf, sb.len, 0600, &e) != 0)
		(void)unlink(path);
	ioc_error_free(e);
}

void
ioc_runrec_forget_props(const char *rootname, const char *uuid)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	struct dirent *d;
	DIR *dh;
	if (uuid != NULL) {
		_cleanup_free_ char *path = ioc_xasprintf("%s/%s.props", dir, uuid);
		(void)unlink(path);
		return;
	}
	dh = opendir(dir);
	while (dh && (d = readdir(dh)) != NULL) {
		size_t n = strlen(d->d_name);
		if (n > 6 && strcmp(d->d_name + n - 6, ".props") == 0)
			(void)unlinkat(dirfd(dh), d->d_name, 0);
	}
	if (dh)
		closedir(dh);
}

int
ioc_runrec_write(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/running", ioc_rundir());
	_cleanup_free_ char *dir = ioc_runrec_dir(root->name);
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	const char *tag = ioc_jail_get(j, "tag");

	if (!ioc_runrec_value_ok(tag) || !ioc_runrec_value_ok(j->dataset) ||
	    !ioc_runrec_value_ok(j->rootfs))
		return 0; /* nothing a record can hold: the ordinary path serves this jail */
	if (ioc_mkdir_p(dir, 0700, err) != 0)
		return -1;
	if (!ioc_runrec_dir_ok(top) || !ioc_runrec_dir_ok(dir))
		return ioc_err(err,
		    "run-time record directory '%s' must be a directory owned by us "
		    "with mode 0700",
		    dir);
	path = ioc_xasprintf("%s/%s", dir, j->uuid);
	text = ioc_xasprintf(
	    "uuid=%s\ntag=%s\ndataset=%s\nrootfs=%s\n", j->uuid, tag, j->dataset, j->rootfs);
	if (ioc_write_file_atomic(path, text, strlen(text), 0600, err) != 0)
		return -1;
	ioc_runrec_write_props(dir, j);
	return 0;
}

void
ioc_runrec_remove(const char *rootname, const char *uuid)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, uuid);
	_cleanup_free_ char *props = ioc_xasprintf("%s.props", path);
	(void)unlink(props);
	(void)unlink(path);
}

int
ioc_runrec_present(const char *rootname, const char *uuid)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, uuid);
	struct stat st;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

int
ioc_runrec_elsewhere(const char *rootname, const char *uuid)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/running", ioc_rundir());
	_cleanup_free_ char *mine = ioc_run_escape(rootname);
	struct dirent *d;
	struct stat st;
	int other = 0, own = 0;
	DIR *dh = opendir(top);
	if (dh == NULL)
		return 0;
	while ((d = readdir(dh)) != NULL) {
		if (d->d_name[0] == '.' ||
		    fstatat(dirfd(dh), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		_cleanup_free_ char *rel = ioc_xasprintf("%s/%s", d->d_name, uuid);
		if (fstatat(dirfd(dh), rel, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (strcmp(d->d_name, mine) == 0)
			own = 1;
		else
			other = 1;
	}
	closedir(dh);
	return other && !own;
}

/*
 * The whole of a record file of ours (a regular file owned by us, no group
 * or other access, under max bytes), NUL-terminated; NULL otherwise.  A file
 * that is not ours is removed: never trusted, and gone.
 */
static char *
ioc_runrec_slurp(const char *path, size_t max)
{
	struct stat st;
	ssize_t n;
	char *buf;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size < 0 || (size_t)st.st_size >= max) {
		close(fd);
		(void)unlink(path);
		return NULL;
	}
	buf = ioc_xmalloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n <= 0 || n != (ssize_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Reads the record file name of dir: 0 with *r filled when it is ours (a
 * regular file owned by us, no group or other access, well formed, naming
 * its own UUID); -1 otherwise (a foreign or broken file is removed).
 */
static int
ioc_runrec_read(const char *dir, const char *name, struct ioc_runrec *r)
{
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, name);
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *buf = NULL;
	size_t i;

	ioc_runrec_init(r);
	if (!ioc_is_uuid(name) || (buf = ioc_runrec_slurp(path, IOC_RUNREC_MAX)) == NULL)
		return -1;
	ioc_strv_split(&lines, buf, '\n');
	for (i = 0; i < lines.n; i++) {
		char *eq = strchr(lines.v[i], '='), **dst = NULL;
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(lines.v[i], "uuid") == 0)
			dst = &r->uuid;
		else if (strcmp(lines.v[i], "tag") == 0)
			dst = &r->tag;
		else if (strcmp(lines.v[i], "dataset") == 0)
			dst = &r->dataset;
		else if (strcmp(lines.v[i], "rootfs") == 0)
			dst = &r->rootfs;
		if (dst && *dst == NULL && ioc_runrec_value_ok(eq + 1))
			*dst = ioc_xstrdup(eq + 1);
	}
	if (r->uuid == NULL || strcmp(r->uuid, name) != 0 || r->tag == NULL || r->dataset == NULL ||
	    r->rootfs == NULL || r->rootfs[0] != '/') {
		ioc_runrec_release(r);
		(void)unlink(path);
		return -1;
	}
	return 0;
}

int
ioc_runrec_find(const char *rootname, const char *name, struct ioc_runrec *r)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	struct ioc_runrec cand;
	struct dirent *e;
	DIR *d;
	int found = 0;

	ioc_runrec_init(r);
	if (!ioc_runrec_dir_ok(dir))
		return 0;
	if (ioc_is_uuid(name)) {
		if (ioc_runrec_read(dir, name, r) != 0)
			return 0;
		return 1;
	}
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || ioc_runrec_read(dir, e->d_name, &cand) != 0)
			continue;
		if (strcmp(cand.tag, name) != 0) {
			ioc_runrec_release(&cand);
			continue;
		}
		if (found++) {
			/* two records of one tag: one is stale; the ordinary path decides */
			ioc_runrec_release(&cand);
			ioc_runrec_release(r);
			break;
		}
		*r = cand;
	}
	if (d)
		closedir(d);
	return found == 1;
}

int
ioc_runrec_retag(const char *rootname, const char *uuid, const char *tag, struct ioc_error **err)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, uuid);
	_cleanup_free_ char *text = NULL;
	struct ioc_runrec r;
	int rc;
	if (!ioc_runrec_dir_ok(dir) || ioc_runrec_read(dir, uuid, &r) != 0)
		return 0;
	if (!ioc_runrec_value_ok(tag)) {
		ioc_runrec_release(&r);
		(void)unlink(path);
		return 0;
	}
	text = ioc_xasprintf(
	    "uuid=%s\ntag=%s\ndataset=%s\nrootfs=%s\n", r.uuid, tag, r.dataset, r.rootfs);
	ioc_runrec_release(&r);
	rc = ioc_write_file_atomic(path, text, strlen(text), 0600, err);
	if (rc != 0)
		(void)unlink(path); /* a record with the old tag must not stay */
	return rc;
}

struct ioc_jail *
ioc_runrec_jail(const struct ioc_runrec *r, const char *rootname, struct ioc_jails *js)
{
	struct ioc_jail *j = ioc_jails_get_or_add(js, r->uuid, r->dataset);
	size_t i;
	for (i = 0; i < ioc_nprops; i++) {
		free(j->values[i]);
		j->values[i] = strcmp(ioc_props[i].name, "tag") == 0 ?
		    ioc_xstrdup(r->tag) :
		    ioc_prop_builtin(&ioc_props[i], r->uuid, rootname);
		j->srcs[i] = IOC_SRC_BUILTIN;
	}
	free(j->rootfs);
	j->rootfs = ioc_xstrdup(r->rootfs);
	j->complete = 1;
	return j;
}

/*
 * Reads a property line "NAME=S:VALUE" into j: 0, or -1 for a line that is
 * not one (an unknown or native name, a bad source).
 */
static int
ioc_runrec_prop_line(struct ioc_jail *j, char *line)
{
	char *eq = strchr(line, '='), *v;
	const struct ioc_prop *p;
	if (eq == NULL)
		return -1;
	*eq = '\0';
	v = eq + 1;
	if (strcmp(line, "legacy") == 0 || strcmp(line, "has_data") == 0) {
		int on = strcmp(v, "1") == 0;
		if (!on && strcmp(v, "0") != 0)
			return -1;
		*(line[0] == 'l' ? &j->legacy : &j->has_data) = on;
		return 0;
	}
	p = ioc_prop_find(line);
	if (p == NULL || !ioc_runrec_prop_kept(p) || v[0] < '0' + IOC_SRC_BUILTIN ||
	    v[0] > '0' + IOC_SRC_DEFAULT || v[1] != ':')
		return -1;
	free(j->values[p - ioc_props]);
	j->values[p - ioc_props] = ioc_xstrdup(v + 2);
	j->srcs[p - ioc_props] = (enum ioc_src)(v[0] - '0');
	return 0;
}

struct ioc_jail *
ioc_runrec_jail_props(const struct ioc_runrec *r, const char *rootname, struct ioc_jails *js)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s.props", dir, r->uuid);
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *want = ioc_xasprintf("props=%zu", ioc_nprops);
	struct ioc_jails tmp = { NULL, 0, 0 };
	struct ioc_jail *j;
	size_t i;
	int ok = 1;

	if ((buf = ioc_runrec_slurp(path, IOC_RUNREC_PROPS_MAX)) == NULL)
		return NULL;
	ioc_strv_split(&lines, buf, '\n');
	/* a file of another binary's property table is not this one's to read */
	if (lines.n == 0 || strcmp(lines.v[0], want) != 0)
		return NULL;
	j = ioc_runrec_jail(r, rootname, &tmp);
	for (i = 1; i < lines.n && ok; i++)
		ok = lines.v[i][0] == '\0' || ioc_runrec_prop_line(j, lines.v[i]) == 0;
	if (!ok || strcmp(ioc_jail_get(j, "tag"), r->tag) != 0) {
		ioc_jails_release(&tmp); /* a broken file, or one of before a rename */
		return NULL;
	}
	j->recorded = 1;
	/* move it into js */
	js->v = ioc_xrealloc(js->v, (js->n + 1) * sizeof(*js->v));
	js->v[js->n] = *j;
	free(tmp.v);
	return &js->v[js->n++];
}

/* RUNDIR/names/ROOT (caller frees); its file for tag in *path. */
static char *
ioc_runrec_names_dir(const char *rootname, const char *tag, char **path)
{
	_cleanup_free_ char *k = ioc_run_escape(rootname);
	_cleanup_free_ char *t = ioc_run_escape(tag);
	char *dir = ioc_xasprintf("%s/names/%s", ioc_rundir(), k);
	*path = ioc_xasprintf("%s/%s", dir, t);
	return dir;
}

char *
ioc_runrec_name_hint(const char *rootname, const char *tag)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *dir = ioc_runrec_names_dir(rootname, tag, &path);
	char *text;
	size_t n;
	if (!ioc_runrec_dir_ok(dir) || (text = ioc_runrec_slurp(path, 64)) == NULL)
		return NULL;
	n = strlen(text);
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	if (!ioc_is_uuid(text)) {
		free(text);
		(void)unlink(path);
		return NULL;
	}
	return text;
}

void
ioc_runrec_name_note(const char *rootname, const char *tag, const char *uuid)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/names", ioc_rundir());
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *dir = ioc_runrec_names_dir(rootname, tag, &path);
	_cleanup_free_ char *text = ioc_xasprintf("%s\n", uuid);
	struct ioc_error *e = NULL;
	/* a hint only: when it cannot be written, the next start asks the index */
	if (ioc_mkdir_p(dir, 0700, &e) == 0 && ioc_runrec_dir_ok(top) && ioc_runrec_dir_ok(dir))
		ioc_write_file_atomic(path, text, strlen(text), 0600, &e);
	ioc_error_free(e);
}

void
ioc_runrec_name_forget(const char *rootname, const char *tag, const char *uuid)
{
	_cleanup_free_ char *hint = ioc_runrec_name_hint(rootname, tag);
	char *path = NULL;
	if (hint == NULL || strcmp(hint, uuid) != 0)
		return;
	free(ioc_runrec_names_dir(rootname, tag, &path));
	(void)unlink(path);
	free(path);
}
