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
	return ioc_write_file_atomic(path, text, strlen(text), 0600, err);
}

void
ioc_runrec_remove(const char *rootname, const char *uuid)
{
	_cleanup_free_ char *dir = ioc_runrec_dir(rootname);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, uuid);
	(void)unlink(path);
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
 * Reads the record file name of dir: 0 with *r filled when it is ours (a
 * regular file owned by us, no group or other access, well formed, naming
 * its own UUID); -1 otherwise (a foreign or broken file is removed).
 */
static int
ioc_runrec_read(const char *dir, const char *name, struct ioc_runrec *r)
{
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", dir, name);
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	char buf[IOC_RUNREC_MAX];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	ioc_runrec_init(r);
	if (!ioc_is_uuid(name))
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size >= IOC_RUNREC_MAX) {
		close(fd);
		(void)unlink(path); /* not ours: never trusted, and gone */
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
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
