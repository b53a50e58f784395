/*
 * zfs_stream.c — zfs send and zfs receive through spawn: a stream to or from
 * a caller's pipe (export, import), piped from one to the other (package,
 * sync), into another program (a sync over ssh) or from this process's stdin
 * (the other side of that sync).  Targets are guarded as in zfs.c.
 */
#include "zfs/zfs.h"

#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/*
 * Copies from in to out (a receiver's stdin) telling pg each chunk; 0 at
 * the end of the stream, -1 when the receiver stopped reading (it failed: its
 * error says why) or the stream could not be read.
 */
static int
ioc_zfs_relay_copy(int in, int out, const struct ioc_zfs_progress *pg)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf)), w = 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		while (w < r) {
			ssize_t k = write(out, buf + w, (size_t)(r - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			w += k;
		}
		pg->fn(pg->arg, (size_t)r, 0);
	}
}

/*
 * `send | receive` through this process (pg): receive starts first (as in
 * ioc_run_pipe), each side in a thread; the stream is copied and counted
 * here.  SIGPIPE is ignored meanwhile: a receiver that dies ends the copy.
 */
static int
ioc_zfs_relay(struct ioc_strv *s, struct ioc_strv *r, const char *snap, const char *target,
    const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	struct ioc_async sa, rb;
	_cleanup_free_ char *sw = ioc_xasprintf("zfs send %s", snap);
	_cleanup_free_ char *rw = ioc_xasprintf("zfs receive %s", target);
	struct ioc_error *es = NULL;
	void (*old)(int);
	int p1[2], p2[2], rc, rr, rs;
	if (pipe2(p1, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	if (pipe2(p2, O_CLOEXEC) != 0) {
		close(p1[0]);
		close(p1[1]);
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	}
	if (ioc_run_async(&rb, r, p2[0], IOC_FD_NULL, p2[0], err) != 0) {
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
		return -1;
	}
	if (ioc_run_async(&sa, s, IOC_FD_NULL, p1[1], p1[1], err) != 0) {
		close(p1[0]);
		close(p1[1]);
		close(p2[1]); /* the receiver sees an empty stream and refuses it */
		ioc_run_async_wait(&rb, rw, NULL);
		return -1;
	}
	old = signal(SIGPIPE, SIG_IGN);
	rc = ioc_zfs_relay_copy(p1[0], p2[1], pg);
	close(p2[1]);
	close(p1[0]); /* a sender still writing gets EPIPE */
	signal(SIGPIPE, old);
	pg->fn(pg->arg, 0, 1);
	rr = ioc_run_async_wait(&rb, rw, err);
	rs = ioc_run_async_wait(&sa, sw, rr == 0 ? err : &es);
	ioc_error_free(es);
	if (rr != 0 || rs != 0)
		return -1;
	return rc == 0 ? 0 :
			 ioc_err(err, "cannot copy the stream of %s: %s", snap, strerror(errno));
}

/* Runs `send | receive` (argv s and r); an error names the side that failed. */
static int
ioc_zfs_pipe(struct ioc_strv *s, struct ioc_strv *r, const char *snap, const char *target,
    const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	struct ioc_run_opts oa, ob;
	struct ioc_run_result ra, rb;
	int rc = 0;
	if (pg && pg->fn)
		return ioc_zfs_relay(s, r, snap, target, pg, err);
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
	return ioc_zfs_pipe(&s, &r, snap, target, NULL, err);
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
ioc_zfs_replicate(const char *snap, const char *from, const char *target, int force,
    const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;

	if (ioc_zfs_guard(target, err) != 0 || ioc_zfs_replicate_send(&s, snap, from, err) != 0)
		return -1;
	ioc_zfs_replicate_recv(&r, target, force);
	return ioc_zfs_pipe(&s, &r, snap, target, pg, err);
}

/* The send argv s piped into a copy of receiver (ssh to the other side's receive). */
static int
ioc_zfs_pipe_to(struct ioc_strv *s, const struct ioc_strv *receiver, const char *snap,
    const char *what, const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;
	size_t i;
	for (i = 0; i < receiver->n; i++)
		ioc_strv_push(&r, receiver->v[i]);
	return ioc_zfs_pipe(s, &r, snap, what, pg, err);
}

int
ioc_zfs_replicate_to(const char *snap, const char *from, const struct ioc_strv *receiver,
    const char *what, const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;

	if (ioc_zfs_replicate_send(&s, snap, from, err) != 0)
		return -1;
	return ioc_zfs_pipe_to(&s, receiver, snap, what, pg, err);
}

/* `zfs send [-p] [-I origin] snap` into s; both checked as snapshot names. */
static int
ioc_zfs_send_one_argv(
    struct ioc_strv *s, const char *snap, const char *origin, int flags, struct ioc_error **err)
{
	if (!ioc_zfs_valid_name(snap) || strchr(snap, '@') == NULL ||
	    (origin && (!ioc_zfs_valid_name(origin) || strchr(origin, '@') == NULL)))
		return ioc_err(err, "refusing to send '%s': not a snapshot name", snap);
	ioc_strv_push(s, "zfs");
	ioc_strv_push(s, "send");
	if (flags & IOC_SEND_PROPS)
		ioc_strv_push(s, "-p");
	if (origin) {
		ioc_strv_push(s, "-I");
		ioc_strv_push(s, origin);
	}
	ioc_strv_push(s, snap);
	return 0;
}

int
ioc_zfs_send_one(const char *snap, const char *origin, const char *target, int flags,
    const struct ioc_zfs_progress *pg, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv r = IOC_STRV_INIT;

	if (ioc_zfs_guard(target, err) != 0 ||
	    ioc_zfs_send_one_argv(&s, snap, origin, flags, err) != 0)
		return -1;
	ioc_zfs_replicate_recv(&r, target, (flags & IOC_SEND_FORCE) != 0);
	return ioc_zfs_pipe(&s, &r, snap, target, pg, err);
}

int
ioc_zfs_send_one_to(const char *snap, const char *origin, int flags,
    const struct ioc_strv *receiver, const char *what, const struct ioc_zfs_progress *pg,
    struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv s = IOC_STRV_INIT;

	if (ioc_zfs_send_one_argv(&s, snap, origin, flags, err) != 0)
		return -1;
	return ioc_zfs_pipe_to(&s, receiver, snap, what, pg, err);
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
