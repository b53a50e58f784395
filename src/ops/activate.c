/*
 * activate.c — activate, deactivate and subids (ops.h): making a dataset an
 * iocage root (with its pool on a new file, --file) and undoing exactly
 * that, and the subordinate id range unprivileged jails need, granted by
 * activate and make install and taken back only by what granted it
 * (core/subid.h).
 */
#include "ops/ops.h"
#include "core/props.h"
#include "core/legacy.h"
#include "core/subid.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The root's default idmap: userns_idmap set locally on R, else the built-in one. */
static int
ioc_root_idmap(const char *ds, unsigned long *host, unsigned long *count, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)ds, NULL };
	const char *v = ioc_prop_find("userns_idmap")->builtin, *c;
	long long h, n;
	int rc = -1;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_PROP_PREFIX "userns_idmap", 0, 0, "local", 0, &rows, err) != 0)
		goto out;
	if (rows.n == 1)
		v = rows.v[0].value;
	c = strchr(v, ':');
	{
		_cleanup_free_ char *a = c ? ioc_xstrndup(v, (size_t)(c - v)) : NULL;
		if (c == NULL || ioc_parse_ll(a, 0, 4294967295LL, &h) != 0 ||
		    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0) {
			ioc_err(
			    err, "invalid userns_idmap '%s' on %s: expected HOSTID:COUNT", v, ds);
			goto out;
		}
	}
	*host = (unsigned long)h;
	*count = (unsigned long)n;
	rc = 0;
out:
	ioc_zrows_release(&rows);
	return rc;
}

/*
 * On a host whose newuidmap/newgidmap need it (subid.h): adds root:HOST:COUNT
 * to /etc/subuid and /etc/subgid where no line covers it and says so; *rec
 * (caller frees) gets "root:HOST:COUNT FILE[,FILE]" when a line was added,
 * NULL when nothing was.  A range another user holds is never granted.
 * Unprivileged jails (the default) then start on the first try.
 */
static int
ioc_subid_grant(unsigned long host, unsigned long count, const char *undo, char **rec,
    struct ioc_strv *said, struct ioc_error **err)
{
	static const char *const files[] = { IOC_SUBUID, IOC_SUBGID };
	struct ioc_sb added = IOC_SB_INIT;
	size_t i;
	int rc = -1;
	*rec = NULL;
	if (access(IOC_NEWUIDMAP, X_OK) != 0)
		return 0; /* liblxc writes the maps itself: nothing to grant */
	ioc_sb_init(&added);
	for (i = 0; i < 2; i++) {
		/* ids a user already holds would make that user's containers our jails' root */
		_cleanup_free_ char *text = NULL, *other = NULL;
		size_t len;
		if (ioc_subid_file_covers(files[i], host, count, NULL) == 0 &&
		    ioc_read_file(files[i], 1 << 20, &text, &len, NULL) == 0 &&
		    (other = ioc_subid_overlap(text, host, count)) != NULL) {
			ioc_strv_pushf(said,
			    "not adding 'root:%lu:%lu' to %s and %s: it overlaps '%s' in %s; give "
			    "the root a free range first (e.g. 'iocage set userns_idmap=1000000:65536 "
			    "default', before fetching releases)",
			    host, count, IOC_SUBUID, IOC_SUBGID, other, files[i]);
			rc = 0;
			goto out;
		}
	}
	for (i = 0; i < 2; i++) {
		int c = ioc_subid_file_covers(files[i], host, count, err);
		if (c < 0)
			goto out;
		if (c > 0)
			continue;
		if (ioc_subid_add(files[i], host, count, err) != 0)
			goto out;
		ioc_sb_addf(&added, "%s%s", added.len ? "," : "", files[i]);
	}
	rc = 0;
	if (added.len) {
		*rec = ioc_xasprintf("root:%lu:%lu %s", host, count, added.buf);
		ioc_strv_pushf(said,
		    "added 'root:%lu:%lu' to %s (the id range of unprivileged jails; "
		    "'%s' removes it)",
		    host, count, added.buf, undo);
	}
out:
	ioc_sb_release(&added);
	return rc;
}

/* activate: the root's default range granted, and recorded on R for deactivate. */
static int
ioc_subid_activate(const char *ds, struct ioc_strv *said, struct ioc_error **err)
{
	_cleanup_free_ char *rec = NULL;
	unsigned long host, count;
	if (access(IOC_NEWUIDMAP, X_OK) != 0)
		return 0;
	if (ioc_root_idmap(ds, &host, &count, err) != 0 ||
	    ioc_subid_grant(host, count, "iocage deactivate", &rec, said, err) != 0)
		return -1;
	return rec ? ioc_zfs_set(ds, IOC_SUBID_PROP, rec, err) : 0;
}

int
ioc_activate(const char *ds, const char *file, struct ioc_strv *said, struct ioc_error **err)
{
	struct ioc_sb sum = IOC_SB_INIT;
	int rc;
	if (ioc_root_activate(ds, err) != 0 ||
	    (file && ioc_zfs_set(ds, IOC_FILEPOOL_PROP, file, err) != 0) ||
	    ioc_subid_activate(ds, said, err) != 0)
		return -1;
	/* a shell iocage root is managed in place (legacy.h) */
	ioc_sb_init(&sum);
	rc = ioc_legacy_adopt(ds, &sum, err);
	ioc_strv_pushf(said, "iocage root activated on %s", ds);
	if (sum.len)
		ioc_strv_push(said, sum.buf);
	ioc_sb_release(&sum);
	return rc;
}

/*
 * Parses a grant record "root:HOST:COUNT FILE[,FILE]" (ioc_subid_grant);
 * *line gets "root:HOST:COUNT", files the files.  where names the record's
 * place in errors.
 */
static int
ioc_subid_record(const char *rec, const char *where, unsigned long *host, unsigned long *count,
    char **line, struct ioc_strv *files, struct ioc_error **err)
{
	const char *sp = strchr(rec, ' ');
	size_t i;
	if (sp == NULL || ioc_subid_parse(rec, (size_t)(sp - rec), host, count) != 0)
		return ioc_err(err, "%s is '%s', not what iocage writes: left alone", where, rec);
	ioc_strv_split(files, sp + 1, ',');
	for (i = 0; i < files->n; i++)
		if (strcmp(files->v[i], IOC_SUBUID) != 0 && strcmp(files->v[i], IOC_SUBGID) != 0)
			return ioc_err(err, "%s names '%s', not a subordinate id file: left alone",
			    where, files->v[i]);
	*line = ioc_xstrndup(rec, (size_t)(sp - rec));
	return 0;
}

/*
 * deactivate: undoes what activate made and nothing else.  The subordinate id
 * line it added goes (or, while another active root remains, stays, and the
 * record moves to that root), then the `active` mark; every dataset is kept.
 */
static int
ioc_subid_deactivate(const struct ioc_root *root, struct ioc_strv *said, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv act = IOC_STRV_INIT, files = IOC_STRV_INIT;
	_cleanup_free_ char *rec = NULL, *line = NULL, *where = NULL;
	struct ioc_zrows rows;
	char *names[] = { root->name, NULL };
	unsigned long host, count;
	const char *other = NULL, *sp;
	size_t i;
	int rc = -1;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, IOC_SUBID_PROP, 0, 0, "local", 0, &rows, err) != 0)
		goto out;
	if (rows.n != 1) {
		rc = 0; /* activate added nothing here */
		goto out;
	}
	rec = ioc_xstrdup(rows.v[0].value);
	sp = strchr(rec, ' ');
	where = ioc_xasprintf("%s on %s", IOC_SUBID_PROP, root->name);
	if (ioc_subid_record(rec, where, &host, &count, &line, &files, err) != 0) {
		ioc_error_wrap(
		    err, "remove it with 'zfs inherit %s %s'", IOC_SUBID_PROP, root->name);
		goto out;
	}
	if (ioc_root_list_active(&act, err) != 0)
		goto out;
	for (i = 0; i < act.n && other == NULL; i++)
		if (strcmp(act.v[i], root->name) != 0)
			other = act.v[i];
	if (other) {
		/* the other root's jails use the same range: it keeps the line and the record */
		ioc_zfs_set_guard_root(other);
		rc = ioc_zfs_set(other, IOC_SUBID_PROP, rec, err);
		ioc_zfs_set_guard_root(root->name);
		if (rc != 0)
			goto out;
		ioc_strv_pushf(said,
		    "kept '%s' in %s: the active root %s uses it too (its record moves there)",
		    line, sp + 1, other);
	} else {
		for (i = 0; i < files.n; i++)
			if (ioc_subid_remove(files.v[i], host, count, err) != 0)
				goto out;
		ioc_strv_pushf(said, "removed '%s' from %s (activate had added it)", line, sp + 1);
	}
	rc = ioc_zfs_inherit(root->name, IOC_SUBID_PROP, err);
out:
	ioc_zrows_release(&rows);
	return rc;
}

/*
 * subids add FILE | remove FILE: what `make install` and `make uninstall`
 * run (as Incus and LXD packages do): add grants the built-in userns_idmap
 * range to root where no line covers it and records what it added in FILE
 * (install metadata, beside the man page); remove takes exactly that out
 * again and deletes FILE.  No FILE: nothing was added, nothing is removed.
 */
int
ioc_subids_install(const char *path, int add, struct ioc_strv *said, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv files = IOC_STRV_INIT;
	_cleanup_free_ char *rec = NULL, *line = NULL, *text = NULL;
	const char *v = ioc_prop_find("userns_idmap")->builtin;
	unsigned long host, count;
	size_t len, i;
	if (add) {
		text = ioc_xasprintf("root:%s", v);
		if (ioc_subid_parse(text, strlen(text), &host, &count) != 0)
			return ioc_err(err, "built-in userns_idmap '%s' is not HOSTID:COUNT", v);
		if (ioc_subid_grant(host, count, "make uninstall", &rec, said, err) != 0)
			return -1;
		if (rec == NULL)
			return 0;
		free(text);
		text = ioc_xasprintf("%s\n", rec);
		return ioc_write_file_atomic(path, text, strlen(text), 0644, err);
	}
	if (ioc_read_file(path, 4096, &text, &len, NULL) != 0)
		return 0; /* install added nothing */
	text[strcspn(text, "\n")] = '\0';
	if (ioc_subid_record(text, path, &host, &count, &line, &files, err) != 0)
		return -1;
	for (i = 0; i < files.n; i++)
		if (ioc_subid_remove(files.v[i], host, count, err) != 0)
			return -1;
	if (unlink(path) != 0)
		return ioc_err(err, "cannot remove %s: %s", path, strerror(errno));
	ioc_strv_pushf(said, "removed '%s' from %s (make install had added it)", line,
	    text + strlen(line) + 1);
	return 0;
}

int
ioc_deactivate(const struct ioc_root *root, struct ioc_strv *said, struct ioc_error **err)
{
	static const char *const props[] = { "tag", NULL };
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jstate *st = NULL;
	_cleanup_free_ char *file = NULL;
	size_t k;
	int lock, rc = -1;
	lock = ioc_lock_root(root, err);
	if (lock < 0)
		return -1;
	if (ioc_jails_load(root, props, &js, err) != 0 ||
	    (st = ioc_ops_states_new(root, &js, err)) == NULL)
		goto out;
	for (k = 0; k < js.n; k++) {
		if (st[k].running) {
			ioc_err(err,
			    "jail '%s' of %s is running: stop it first ('iocage stop ALL')",
			    ioc_jail_get(&js.v[k], "tag"), root->name);
			goto out;
		}
	}
	if (ioc_zfs_get1(root->name, IOC_FILEPOOL_PROP, &file, err) != 0)
		goto out;
	if (file && (strcmp(file, "-") == 0 || *file != '/')) {
		free(file);
		file = NULL;
	}
	if (ioc_subid_deactivate(root, said, err) != 0 ||
	    ioc_zfs_inherit(root->name, IOC_PROP_PREFIX "active", err) != 0)
		goto out;
	if (file && ioc_zfs_inherit(root->name, IOC_FILEPOOL_PROP, err) != 0)
		goto out;
	ioc_strv_pushf(said,
	    "iocage root deactivated on %s (every dataset is kept; 'iocage activate %s' manages "
	    "it again)",
	    root->name, root->name);
	/* activate --file made the pool: its boot unit goes, the pool is exported */
	if (file && ioc_filepool_unmake(root->name, file, said, err) != 0)
		goto out;
	rc = 0;
out:
	free(st);
	ioc_jails_release(&js);
	close(lock);
	return rc;
}
