/* core.c — root discovery and activation, the run directory and locks (the jail model: jails.c). */
#include "core/core.h"
#include "core/tagidx.h"

#include "core/legacy.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

void
ioc_root_release(struct ioc_root *root)
{
	free(root->name);
	free(root->mountpoint);
	root->name = root->mountpoint = NULL;
}

int
ioc_root_list_active(struct ioc_strv *out, struct ioc_error **err)
{
	struct ioc_zrows rows;
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(NULL, IOC_PROP_PREFIX "active", 0, -1, "local", 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++)
		if (ioc_parse_bool(rows.v[i].value) == 1)
			ioc_strv_push(out, rows.v[i].name);
	ioc_zrows_release(&rows);
	return 0;
}

/* A root's name: a dataset name, no snapshot, no option-like component ("pool/-rf"). */
static int
ioc_root_name_ok(const char *name)
{
	const char *c;
	if (!ioc_zfs_valid_name(name) || strchr(name, '@') || name[0] == '-')
		return 0;
	for (c = name; (c = strchr(c, '/')) != NULL; c++)
		if (c[1] == '-')
			return 0;
	return 1;
}

static int
ioc_root_fill(const char *name, struct ioc_root *root, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)name, NULL };
	const char *active = NULL, *mp = NULL;
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_PROP_PREFIX "active,mountpoint", 0, -1, NULL, 0, &rows, err) !=
	    0) {
		ioc_zrows_release(&rows);
		return ioc_error_wrap(err, "cannot read iocage root '%s'", name);
	}
	for (i = 0; i < rows.n; i++) {
		if (strcmp(rows.v[i].prop, "mountpoint") == 0)
			mp = rows.v[i].value;
		else if (strcmp(rows.v[i].source, "local") == 0)
			active = rows.v[i].value;
	}
	if (active == NULL || ioc_parse_bool(active) != 1) {
		ioc_zrows_release(&rows);
		return ioc_err(
		    err, "'%s' is not an active iocage root: run 'iocage activate %s'", name, name);
	}
	root->name = ioc_xstrdup(name);
	root->mountpoint = ioc_xstrdup(mp ? mp : "-");
	root->verified = 1;
	ioc_zrows_release(&rows);
	return 0;
}

int
ioc_root_lazy(const char *explicit_root, struct ioc_root *root, struct ioc_error **err)
{
	root->name = root->mountpoint = NULL;
	root->verified = 0;
	if (explicit_root == NULL || *explicit_root == '\0')
		return ioc_root_find(explicit_root, root, err);
	if (!ioc_root_name_ok(explicit_root))
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "invalid root dataset name '%s': expected "
		    "POOL/DATASET (letters, digits, '_', '-', '.', ':'; no component starting with '-')",
		    explicit_root);
	root->name = ioc_xstrdup(explicit_root);
	return 0;
}

int
ioc_root_row_active(const struct ioc_zrow *r, const char *inh_root)
{
	return r != NULL && strcmp(r->prop, IOC_PROP_PREFIX "active") == 0 &&
	    strcmp(r->source, inh_root) == 0 && ioc_parse_bool(r->value) == 1;
}

int
ioc_root_read(struct ioc_root *root, struct ioc_error **err)
{
	_cleanup_free_ char *name = NULL;
	if (root->verified)
		return 0;
	name = ioc_steal(&root->name);
	ioc_root_release(root);
	return ioc_root_find(name, root, err);
}

int
ioc_root_find(const char *explicit_root, struct ioc_root *root, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv act = IOC_STRV_INIT;
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;

	root->name = root->mountpoint = NULL;
	if (explicit_root && *explicit_root) {
		if (!ioc_root_name_ok(explicit_root))
			return ioc_fail(err, IOC_EXIT_USAGE,
			    "invalid root dataset name '%s': expected "
			    "POOL/DATASET (letters, digits, '_', '-', '.', ':'; no component starting "
			    "with '-')",
			    explicit_root);
		return ioc_root_fill(explicit_root, root, err);
	}
	if (ioc_root_list_active(&act, err) != 0)
		return -1;
	if (act.n == 0)
		return ioc_err(err, "no active iocage root: run 'iocage activate POOL/DATASET'");
	if (act.n > 1) {
		ioc_sb_init(&sb);
		for (i = 0; i < act.n; i++)
			ioc_sb_addf(&sb, "%s%s", i ? ", " : "", act.v[i]);
		ioc_err(err,
		    "several active iocage roots (%s): choose one with -r DATASET or IOCAGE_ROOT",
		    sb.buf);
		ioc_sb_release(&sb);
		return -1;
	}
	return ioc_root_fill(act.v[0], root, err);
}

static const char *const ioc_root_children[] = { "download", "releases", "jails", "images",
	"packages", NULL };

/*
 * The dataset that jail_zfs delegates to jail UUID (v: its jail_zfs_dataset,
 * relative to R or with R's name in front), as a full name.  It lies below R
 * and is neither one of iocage's own trees (ours, and the shell iocage's
 * templates, base, log and .defaults) nor below another jail, nor the jail's
 * own root: a jail is handed its own data, or a dataset the administrator
 * made for it beside iocage's trees.
 */
char *
ioc_jail_zfs_dataset(
    const struct ioc_root *root, const char *uuid, const char *v, struct ioc_error **err)
{
	/* ioc_root_children but jails (checked below), and the shell iocage's trees */
	static const char *const reserved[] = { "download", "releases", "images", "packages",
		"templates", "base", "log", ".defaults", ".tags", NULL };
	const char *rest;
	size_t rl = strlen(root->name), i, n;
	if (v == NULL || *v == '\0') {
		ioc_err(err, "jail_zfs_dataset is empty");
		return NULL;
	}
	if (strncmp(v, root->name, rl) == 0 && v[rl] == '/')
		v += rl + 1; /* written with the root's name in front */
	n = strcspn(v, "/");
	rest = v[n] == '/' ? v + n + 1 : "";
	for (i = 0; reserved[i]; i++)
		if (strlen(reserved[i]) == n && strncmp(v, reserved[i], n) == 0)
			goto refuse;
	if (n == 5 && strncmp(v, "jails", 5) == 0) {
		size_t ul = strlen(uuid);
		/* R/jails/UUID/X...: only this jail's, and never its root */
		if (strncmp(rest, uuid, ul) != 0 || rest[ul] != '/' ||
		    strcmp(rest + ul + 1, "root") == 0 || strncmp(rest + ul + 1, "root/", 5) == 0)
			goto refuse;
	}
	return ioc_xasprintf("%s/%s", root->name, v);
refuse:
	ioc_err(err,
	    "jail_zfs_dataset '%s' may not be delegated to this jail: it must be below "
	    "jails/%s/ (its root excepted) or outside iocage's own datasets (jails, releases, "
	    "images, packages, download, templates, .tags)",
	    v, uuid);
	return NULL;
}

int
ioc_root_activate(const char *dataset, struct ioc_error **err)
{
	_cleanup_free_ char *parent = NULL;
	char *names[2] = { NULL, NULL };
	struct ioc_zrows rows;
	const char *t;
	size_t i;
	int rc = -1;

	if (!ioc_root_name_ok(dataset))
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "invalid dataset name '%s': expected POOL/DATASET (letters, digits, '_', '-', '.', "
		    "':'; no component starting with '-')",
		    dataset);
	if (strchr(dataset, '/') == NULL)
		return ioc_err(err,
		    "refusing to activate the pool's top dataset '%s': the pool is shared; "
		    "name a dataset such as %s/iocage",
		    dataset, dataset);
	parent = ioc_xstrndup(dataset, (size_t)(strrchr(dataset, '/') - dataset));
	/* the root with its children in one zfs get (not with its parent's: a
	 * dataset listed twice is refused) */
	names[0] = (char *)dataset;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get_existing(names, "type", 1, 0, &rows, err) != 0)
		goto out;
	t = ioc_zrows_value(&rows, dataset, "type");
	if (t == NULL && !ioc_zfs_exists(parent)) {
		ioc_err(err,
		    "cannot activate '%s': parent dataset '%s' does not exist "
		    "(iocage creates nothing outside its root; create it with 'zfs create %s')",
		    dataset, parent, parent);
		goto out;
	}
	if (t != NULL && strcmp(t, "filesystem") != 0) {
		ioc_err(err, "cannot activate '%s': it is a %s, not a filesystem", dataset, t);
		goto out;
	}
	ioc_zfs_set_guard_root(dataset);
	if (t == NULL && ioc_zfs_create(dataset, NULL, 0, err) != 0)
		goto out;
	for (i = 0; ioc_root_children[i]; i++) {
		_cleanup_free_ char *c = ioc_xasprintf("%s/%s", dataset, ioc_root_children[i]);
		if (ioc_zrows_value(&rows, c, "type") != NULL)
			continue;
		if (ioc_zfs_create(c, NULL, 0, err) != 0)
			goto out;
		/* no jails yet: the tag index starts complete (tagidx.h) */
		if (strcmp(ioc_root_children[i], "jails") == 0) {
			struct ioc_root r = { (char *)dataset, NULL, 0 };
			if (ioc_tagidx_init(&r, err) != 0)
				goto out;
		}
	}
	rc = ioc_zfs_set(dataset, IOC_PROP_PREFIX "active", "yes", err);
out:
	ioc_zrows_release(&rows);
	return rc;
}

const char *
ioc_rundir(void)
{
	const char *d = getenv("IOCAGE_RUNDIR");
	return d && *d == '/' ? d : "/var/run/iocage";
}

char *
ioc_run_escape(const char *key)
{
	struct ioc_sb sb = IOC_SB_INIT;
	const char *p;
	ioc_sb_init(&sb);
	for (p = key; *p; p++)
		if (*p == '/')
			ioc_sb_adds(&sb, "%2F");
		else if (*p == '%')
			ioc_sb_adds(&sb, "%25");
		else
			ioc_sb_addc(&sb, *p);
	return ioc_sb_detach(&sb);
}

/* The lock file's path for key in the lock directory dir. */
static char *
ioc_lock_path(const char *dir, const char *key)
{
	_cleanup_free_ char *k = ioc_run_escape(key);
	return ioc_xasprintf("%s/%s.lock", dir, k);
}

/*
 * Opens (creating) and locks a file in the lock directory.  A lock file may
 * be removed by its holder (destroy: the jail is gone); whoever waited on
 * the removed file finds, once it has the lock, that the path names another
 * file or none, and starts over, so that one lock is never held twice.
 */
static int
ioc_lock_file(const char *key, struct ioc_error **err)
{
	_cleanup_free_ char *dir = ioc_xasprintf("%s/locks", ioc_rundir());
	_cleanup_free_ char *path = NULL;
	struct stat st, held;
	int fd;

	if (ioc_mkdir_p(dir, 0700, err) != 0)
		return -1;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)
		return ioc_err(
		    err, "lock directory '%s' must be a directory owned by us with mode 0700", dir);
	path = ioc_lock_path(dir, key);
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return ioc_err(
			    err, "cannot open lock file '%s': %s", path, strerror(errno));
		while (flock(fd, LOCK_EX) != 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return ioc_err(err, "cannot lock '%s': %s", path, strerror(errno));
		}
		if (fstat(fd, &held) == 0 && lstat(path, &st) == 0 && st.st_dev == held.st_dev &&
		    st.st_ino == held.st_ino)
			return fd;
		close(fd); /* removed (or replaced) while we waited: that lock is no more */
	}
}

void
ioc_lock_jail_remove(const struct ioc_root *root, const char *uuid)
{
	_cleanup_free_ char *dir = ioc_xasprintf("%s/locks", ioc_rundir());
	_cleanup_free_ char *k = ioc_xasprintf("%s@%s", root->name, uuid);
	_cleanup_free_ char *path = ioc_lock_path(dir, k);
	(void)unlink(path);
}

int
ioc_root_store_dir(
    const struct ioc_root *root, const char *child, char **dir, struct ioc_error **err)
{
	_cleanup_free_ char *ds = ioc_xasprintf("%s/%s", root->name, child);
	*dir = NULL;
	/* one read when it is there (a missing dataset reads as no value) */
	if (ioc_zfs_get1(ds, "mountpoint", dir, err) != 0)
		return -1;
	if (*dir == NULL &&
	    (ioc_zfs_create(ds, NULL, 0, err) != 0 ||
		ioc_zfs_get1(ds, "mountpoint", dir, err) != 0))
		return -1;
	if (*dir == NULL || (*dir)[0] != '/') {
		free(*dir);
		*dir = NULL;
		return ioc_err(err, "'%s' is not mounted: cannot store %s there", ds, child);
	}
	return 0;
}

int
ioc_lock_root(const struct ioc_root *root, struct ioc_error **err)
{
	return ioc_lock_file(root->name, err);
}

int
ioc_lock_jail(const struct ioc_root *root, const char *uuid, struct ioc_error **err)
{
	_cleanup_free_ char *k = ioc_xasprintf("%s@%s", root->name, uuid);
	return ioc_lock_file(k, err);
}
