/*
 * zfs_stream.c — zfs send and zfs receive through spawn: a stream to or from
 * a caller's pipe (export, import), piped from one to the other (package,
 * sync), into another program (a sync over ssh) or from this process's stdin
 * (the other side of that sync).  Targets are guarded as in zfs.c.
 */
#include "zfs/zfs.h"

#include "spawn/spawn.h"

#include <string.h>
#include <unistd.h>

int
ioc_zfs_send_async(
    const char *snap, const char *from, int out_fd, struct ioc_async *b, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv av = IOC_STRV_INIT;
	if (ioc_zfs_guard(snap, err) != 0 || (from && ioc_zfs_guard(from, err) != 0))
		return -1;
	ioc_strv_push(&av, "zfs");
	ioc_strv_push(&av, "send");
	if (from) {
		ioc_strv_push(&av, "-i");
		ioc_strv_push(&av, from);
	}
	ioc_strv_push(&av, snap);
	return ioc_run_async(b, &av, IOC_FD_NULL, out_fd, out_fd, err);
}

int
ioc_zfs_receive_async(const char *target, int in_fd, struct ioc_async *b, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv av = IOC_STRV_INIT;
	if (ioc_zfs_guard(target, err) != 0)
		return -1;
	if (ioc_zfs_exists(target))
		return ioc_err(err, "refusing to receive over the existing dataset '%s'", target);
	ioc_strv_push(&av, "zfs");
	ioc_strv_push(&av, "receive");
	ioc_strv_push(&av, target);
	return ioc_run_async(b, &av, in_fd, IOC_FD_NULL, in_fd, err);
}

/* Runs `send | receive` (argv s and r); an error names the side that failed. */
static int
ioc_zfs_pipe(struct ioc_strv *s, struct ioc_strv *r, const char *snap, const char *target,
    struct ioc_error **err)
{
	struct ioc_run_opts oa, ob;
	struct ioc_run_result ra, rb;
	int rc = 0;
	ioc_run_opts_init(&oa);
	ioc_run_opts_init(&ob);
	ioc_run_result_init(&ra);
	ioc_run_result_init(&rb);
	if (ioc_run_pipe(ioc_strv_argv(s), &oa, &ra, ioc_strv_argv(r), &ob, &rb, err) != 0)
		rc = -1;
	else if (rb.status != 0)
		rc = ioc_err(err, "zfs receive %s failed: %s", target, rb.err.buf);
	else if (ra.status != 0)
		rc = ioc_err(err, "zfs send %s failed: %s", snap, ra.err.buf);
	ioc_run_result_release(&ra);
	ioc_run_result_release(&rb);
	return rc;
}

int
ioc_zfs_send_recv(
    const char *snap, const char *target, const struct ioc_strv *recv_props, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;

	if (ioc_zfs_guard(target, err) != 0 || ioc_zfs_guard(snap, err) != 0)
		return -1;
	ioc_strv_push(&s, "zfs");
	ioc_strv_push(&s, "send");
	ioc_strv_push(&s, snap);
	ioc_strv_push(&r, "zfs");
	ioc_strv_push(&r, "receive");
	ioc_zfs_push_props(&r, recv_props);
	ioc_strv_push(&r, target);
	return ioc_zfs_pipe(&s, &r, snap, target, err);
}

/* `zfs send -R [-I @from] snap` into s; snap and from checked as snapshot names. */
static int
ioc_zfs_replicate_send(
    struct ioc_strv *s, const char *snap, const char *from, struct ioc_error **err)
{
	if (!ioc_zfs_valid_name(snap) || strchr(snap, '@') == NULL ||
	    (from && (!ioc_zfs_valid_name(from) || strchr(from, '@') || strchr(from, '/'))))
		return ioc_err(err, "refusing to send '%s': not a snapshot name", snap);
	ioc_strv_push(s, "zfs");
	ioc_strv_push(s, "send");
	ioc_strv_push(s, "-R");
	if (from) {
		ioc_strv_push(s, "-I");
		ioc_strv_pushf(s, "@%s", from);
	}
	ioc_strv_push(s, snap);
	return 0;
}

/* `zfs receive -u [-F] target` into r. */
static void
ioc_zfs_replicate_recv(struct ioc_strv *r, const char *target, int force)
{
	ioc_strv_push(r, "zfs");
	ioc_strv_push(r, "receive");
	ioc_strv_push(r, "-u");
	if (force)
		ioc_strv_push(r, "-F");
	ioc_strv_push(r, target);
}

int
ioc_zfs_replicate(
    const char *snap, const char *from, const char *target, int force, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;

	if (ioc_zfs_guard(target, err) != 0 || ioc_zfs_replicate_send(&s, snap, from, err) != 0)
		return -1;
	ioc_zfs_replicate_recv(&r, target, force);
	return ioc_zfs_pipe(&s, &r, snap, target, err);
}

int
ioc_zfs_replicate_to(const char *snap, const char *from, const struct ioc_strv *receiver,
    const char *what, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;
	size_t i;

	if (ioc_zfs_replicate_send(&s, snap, from, err) != 0)
		return -1;
	for (i = 0; i < receiver->n; i++)
		ioc_strv_push(&r, receiver->v[i]);
	return ioc_zfs_pipe(&s, &r, snap, what, err);
}

int
ioc_zfs_receive_stdin(const char *target, int force, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;
	struct ioc_run_opts o;
	struct ioc_run_result res;
	int rc = 0;

	if (ioc_zfs_guard(target, err) != 0)
		return -1;
	ioc_zfs_replicate_recv(&r, target, force);
	ioc_run_opts_init(&o);
	o.in_fd = IOC_FD_INHERIT;
	ioc_run_result_init(&res);
	if (ioc_run(ioc_strv_argv(&r), &o, &res, err) != 0)
		rc = -1;
	else if (res.status != 0)
		rc = ioc_err(err, "zfs receive %s failed: %s", target, res.err.buf);
	ioc_run_result_release(&res);
	return rc;
}
