/*
 * runtime.c — what the operations need from the engine: states, property
 * checks, running a command inside a jail, installing packages; exec and
 * console's lookup (by run-time record, or by name), cap and uncap.
 */
#include "ops/ops.h"
#include "core/fstab.h"
#include "core/runrec.h"
#include "spawn/spawn.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
ioc_ops_prepare(struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	return e->prepare ? e->prepare(err) : 0;
}

int
ioc_ops_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	if (strcmp(p->name, "fstab") == 0) {
		struct ioc_fstab fs;
		if (ioc_fstab_parse(value, &fs, err) != 0)
			return ioc_error_wrap(err, "invalid value for property 'fstab'");
		ioc_fstab_release(&fs);
	}
	return e->check_prop ? e->check_prop(p, value, err) : 0;
}

int
ioc_ops_states(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	if (e->states == NULL)
		return 0;
	return e->states(root, js, st, err);
}

struct ioc_jstate *
ioc_ops_states_new(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_error **err)
{
	struct ioc_jstate *st = ioc_xcalloc(js->n ? js->n : 1, sizeof(*st));
	size_t i;
	for (i = 0; i < js->n; i++)
		snprintf(st[i].jid, sizeof(st[i].jid), "-");
	if (js->n && ioc_ops_states(root, js, st, err) != 0) {
		free(st);
		return NULL;
	}
	return st;
}

/* The running state of one jail (a one-element view for the engine). */
int
ioc_ops_state1(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_jstate *st,
    struct ioc_error **err)
{
	/* a view the engine only reads (ioc_ops_states takes it const) */
	struct ioc_jails one = { (struct ioc_jail *)j, 1, 0 };
	memset(st, 0, sizeof(*st));
	snprintf(st->jid, sizeof(st->jid), "-");
	return ioc_ops_states(root, &one, st, err);
}

int
ioc_ops_running(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_jstate st;
	if (ioc_ops_state1(root, j, &st, err) != 0)
		return -1;
	return st.running;
}

int
ioc_ops_exec_ok(
    const struct ioc_root *root, struct ioc_jail *j, char *const *argv, struct ioc_error **err)
{
	struct ioc_exec_opts xo;
	int status = 0;
	memset(&xo, 0, sizeof(xo));
	xo.argv = argv;
	/* the child writes to the same stdout: what we printed comes first */
	fflush(stdout);
	if (ioc_engine()->exec(root, j, &xo, &status, err) != 0)
		return -1;
	if (status != 0) {
		_cleanup_free_ char *s = ioc_argv_str(argv);
		return ioc_err(err, "'%s' failed inside the jail with status %d", s, status);
	}
	return 0;
}

int
ioc_ops_jail_has(const struct ioc_jail *j, const char *path)
{
	_cleanup_free_ char *p =
	    ioc_xasprintf("%s%s", j->rootfs ? j->rootfs : "/nonexistent", path);
	return faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The release's package manager: 1 apt-get, 2 pkg, 0 none. */
static int
ioc_ops_pkg_manager(const struct ioc_jail *j)
{
	if (ioc_ops_jail_has(j, "/usr/bin/apt-get"))
		return 1;
	return ioc_ops_jail_has(j, "/usr/sbin/pkg") ? 2 : 0;
}

static int
ioc_ops_no_pkg_manager(const struct ioc_jail *j, struct ioc_error **err)
{
	return ioc_err(err, "pkglist: release '%s' has no package manager (apt-get or pkg)",
	    ioc_jail_get(j, "release"));
}

int
ioc_ops_pkgs_in(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_strv *pkgs,
    struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	int mgr = ioc_ops_pkg_manager(j);
	size_t i;

	if (mgr == 0)
		return ioc_ops_no_pkg_manager(j, err);
	if (mgr == 1) {
		char *upd[] = { "/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q",
			"update", NULL };
		if (ioc_ops_exec_ok(root, j, upd, err) != 0)
			return -1;
		ioc_strv_push(&a, "/usr/bin/env");
		ioc_strv_push(&a, "DEBIAN_FRONTEND=noninteractive");
		ioc_strv_push(&a, "apt-get");
		ioc_strv_push(&a, "-q");
		ioc_strv_push(&a, "-y");
		ioc_strv_push(&a, "--no-install-recommends");
		ioc_strv_push(&a, "install");
		ioc_strv_push(&a, "--");
	} else {
		ioc_strv_push(&a, "/usr/sbin/pkg");
		ioc_strv_push(&a, "install");
		ioc_strv_push(&a, "-y");
	}
	for (i = 0; i < pkgs->n; i++)
		ioc_strv_push(&a, pkgs->v[i]);
	return ioc_ops_exec_ok(root, j, ioc_strv_argv(&a), err);
}

int
ioc_ops_install_pkgs(const struct ioc_root *root, const char *uuid, const struct ioc_strv *pkgs,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	char *const names[] = { (char *)uuid, NULL };
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_error *e2 = NULL;
	int rc = -1;

	if (ioc_engine_need((const void *)e->exec, "pkglist", err) != 0)
		return -1;
	if (ioc_jails_load_named(root, NULL, names, &js, err) != 0)
		return -1;
	if (ioc_jail_resolve(&js, uuid, &j, err) != 0)
		goto out;
	if (ioc_ops_pkg_manager(j) == 0) {
		ioc_ops_no_pkg_manager(j, err);
		goto out;
	}
	if (e->start(root, j, err) != 0)
		goto out;
	rc = ioc_ops_pkgs_in(root, j, pkgs, err);
	if (e->stop(root, j, 0, rc == 0 ? err : &e2) != 0)
		rc = -1;
	ioc_error_free(e2);
out:
	ioc_jails_release(&js);
	return rc;
}

int
ioc_jail_cap(const struct ioc_root *root, struct ioc_jail *j, int remove, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	int (*op)(const struct ioc_root *, struct ioc_jail *, struct ioc_error **) =
	    remove ? e->uncap : e->cap;
	int lockfd, rc;
	if (ioc_engine_need((const void *)op, remove ? "uncap" : "cap", err) != 0)
		return -1;
	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0)
		return -1;
	rc = op(root, j, err);
	close(lockfd);
	return rc;
}

int
ioc_jail_from_record(const struct ioc_root *root, const char *name, int full, struct ioc_jails *js,
    struct ioc_jail **j)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_runrec r;
	memset(js, 0, sizeof(*js));
	*j = NULL;
	if (e->running == NULL || root->name == NULL || !ioc_runrec_find(root->name, name, &r))
		return 0;
	*j = full ? ioc_runrec_jail_props(&r, root->name, js) : ioc_runrec_jail(&r, root->name, js);
	if (*j != NULL && !e->running(root, *j)) {
		/* stopped behind iocage's back (or the host rebooted): the record is stale */
		ioc_runrec_remove(root->name, r.uuid);
		ioc_jails_release(js);
		*j = NULL;
	}
	ioc_runrec_release(&r);
	return *j != NULL;
}

int
ioc_jail_exec(const struct ioc_root *root, const char *name, int use_record,
    struct ioc_exec_opts *xo, int *status, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_jails js;
	struct ioc_jail *j;
	int rc;
	*status = 0;
	if (ioc_engine_need((const void *)e->exec, "exec", err) != 0)
		return -1;
	if (ioc_ops_prepare(err) != 0)
		return -1;
	if ((!use_record || ioc_jail_from_record(root, name, 0, &js, &j) != 1) &&
	    ioc_jail_load_one(root, name, NULL, 0, &js, &j, err) != 0)
		return -1;
	rc = e->exec(root, j, xo, status, err);
	ioc_jails_release(&js);
	return rc;
}
