/*
 * cmd_run.c — the commands that run jails: start, stop, restart, rcboot,
 * rcshutdown, exec, console, chroot, runtime, cap, limits, uncap, inuse;
 * and the runtime hooks of the core commands (commands.h).
 *
 * Every handler: parse, resolve every name (an unknown one changes
 * nothing), then act jail by jail under the jail's lock.  One jail failing
 * does not stop the others; a command naming one jail reports that jail's
 * error as is, several get a line each and a summary.  With -j N (the
 * default for ALL, rcboot and rcshutdown) up to N jails are acted on at once,
 * each by a forked worker (ioc_plan_parallel).
 */
#include "cli/commands.h"
#include "engine/engine.h"
#include "core/depends.h"
#include "core/runrec.h"
#include "ops/ops.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
ioc_run_need(const struct ioc_engine_ops *e, const void *op, const char *what,
    struct ioc_error **err)
{
	if (op == NULL)
		return ioc_err(err, "%s: not supported by the %s engine", what, e->name);
	return 0;
}

/* Re-executes before anything changes when the engine asks for it. */
static int
ioc_run_prepare(struct ioc_error **err)
{
	return ioc_ops_prepare(err);
}

int
ioc_run_prepare_early(struct ioc_error **err)
{
	return ioc_ops_prepare(err);
}

int
ioc_run_states(struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	return ioc_ops_states(&ctx->root, js, st, err);
}

int
ioc_run_state1(struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_jstate *st,
    struct ioc_error **err)
{
	return ioc_ops_state1(&ctx->root, j, st, err);
}

/* Loads the jails named (all properties; every jail for ALL) and resolves
 * the names: UUID|TAG|ALL. */
static int
ioc_run_targets(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_jails *js,
    struct ioc_jail ***out, size_t *n, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	int i, all = 0;
	size_t k;
	*out = NULL;
	*n = 0;
	for (i = 0; i < argc; i++) {
		all |= strcmp(argv[i], "ALL") == 0;
		ioc_strv_push(&names, argv[i]);
	}
	if ((all ? ioc_jails_load(&ctx->root, NULL, js, err) :
	    ioc_jails_load_named(&ctx->root, NULL, ioc_strv_argv(&names), js, err)) != 0)
		return -1;
	*out = ioc_xcalloc(js->n + 1, sizeof(**out));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "ALL") == 0) {
			for (k = 0; k < js->n; k++) {
				size_t q;
				int dup = 0;
				if (!js->v[k].complete ||
				    strcmp(ioc_jail_get(&js->v[k], "template"), "yes") == 0)
					continue;
				for (q = 0; q < *n; q++)
					dup |= (*out)[q] == &js->v[k];
				if (!dup)
					(*out)[(*n)++] = &js->v[k];
			}
			continue;
		}
		{
			struct ioc_jail *j;
			size_t q;
			int dup = 0;
			if (ioc_jail_resolve(js, argv[i], &j, err) != 0)
				goto fail;
			for (q = 0; q < *n; q++)
				dup |= (*out)[q] == j;
			if (!dup)
				(*out)[(*n)++] = j;
		}
	}
	return 0;
fail:
	free(*out);
	*out = NULL;
	ioc_jails_release(js);
	return -1;
}

enum ioc_act { IOC_ACT_START, IOC_ACT_STOP, IOC_ACT_RESTART };

#define IOC_RUN_JOBS_MAX 256 /* -j: workers at once */

/*
 * The shell iocage's guard (1.7.6 lib/ioc-rc __start_jail: "hostid mismatch,
 * start failed!"): a jail records the host it was made on; a pool imported on
 * a second host must not start the same jails twice.  start -f overrides.
 */
static int
ioc_run_hostid_check(const struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_free_ char *host = ioc_prop_builtin(ioc_prop_find("hostid"), NULL, NULL);
	const char *mine = ioc_jail_get(j, "hostid"), *tag = ioc_jail_get(j, "tag");
	if (strcmp(mine, host) == 0)
		return 0;
	return ioc_err(err, "hostid mismatch, start failed: jail '%s' has hostid %s, this host's is "
	    "%s (a jail replicated to another host must not run twice): 'iocage set hostid=%s %s' "
	    "adopts it here, 'iocage start -f %s' starts it once", tag, mine, host, host, tag, tag);
}

/*
 * One jail: lock, look at its state, act.  1: done, 0: nothing to do, -1:
 * failed.  quiet: a dependency started on the way says nothing when it runs.
 */
static int
ioc_run_one(struct ioc_ctx *ctx, struct ioc_jail *j, enum ioc_act act, int force, int quiet,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_jstate st;
	int lockfd, rc = -1;

	if (act != IOC_ACT_STOP && strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err, "'%s' is a template (template=yes) and is never started: "
		    "clone a jail from it ('iocage create -t %s')", tag, tag);
	if (act != IOC_ACT_STOP && !force && ioc_run_hostid_check(j, err) != 0)
		return -1;
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0)
		return -1;
	if (!ioc_zfs_exists(j->dataset)) {
		ioc_err(err, "jail '%s' was destroyed meanwhile", tag);
		goto out;
	}
	if (ioc_run_state1(ctx, j, &st, err) != 0)
		goto out;
	if (act == IOC_ACT_START && st.running) {
		if (!quiet)
			printf("%s (%s) is already running (JID %s)\n", tag, j->uuid, st.jid);
		rc = 0;
		goto out;
	}
	if (act == IOC_ACT_STOP && !st.running) {
		/* the engine still removes what an interrupted start or stop left */
		rc = e->stop(&ctx->root, j, force, err) == 0 ? 0 : -1;
		if (rc == 0) {
			ioc_runrec_remove(ctx->root.name, j->uuid);
			printf("%s (%s) is not running\n", tag, j->uuid);
		}
		goto out;
	}
	if ((act == IOC_ACT_STOP || act == IOC_ACT_RESTART) && st.running) {
		if (e->stop(&ctx->root, j, force, err) != 0)
			goto out;
		ioc_runrec_remove(ctx->root.name, j->uuid);
		printf("%s (%s) stopped\n", tag, j->uuid);
	}
	if (act == IOC_ACT_START || act == IOC_ACT_RESTART) {
		struct ioc_error *e2 = NULL;
		if (e->start(&ctx->root, j, err) != 0)
			goto out;
		/* a hint for exec and console; without it they read ZFS as before */
		if (e->running && ioc_runrec_write(&ctx->root, j, &e2) != 0) {
			fprintf(stderr, "iocage: note: %s: %s\n", tag, e2->msg);
			ioc_error_free(e2);
		}
		if (ioc_run_state1(ctx, j, &st, err) != 0)
			goto out;
		printf("%s (%s) started, JID %s\n", tag, j->uuid, st.jid);
	}
	rc = 1;
out:
	fflush(stdout);
	close(lockfd);
	return rc;
}

/* Acts on a list of jails; one failing does not stop the others. */
static int
ioc_run_many(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, enum ioc_act act, int force,
    const char *verb, struct ioc_error **err)
{
	size_t i, failed = 0, done = 0;
	for (i = 0; i < n; i++) {
		struct ioc_error *e1 = NULL;
		int r = ioc_run_one(ctx, v[i], act, force, 0, &e1);
		if (r < 0) {
			failed++;
			if (n == 1) {
				*err = e1;
				return -1;
			}
			_cleanup_free_ char *m = ioc_msg_printable(e1 ? e1->msg : "failed");
			fprintf(stderr, "iocage: cannot %s %s: %s\n", verb, ioc_jail_get(v[i], "tag"), m);
			fflush(stderr);
			ioc_error_free(e1);
		} else if (r > 0)
			done++;
	}
	if (n > 1)
		printf("%s: %zu of %zu jails done, %zu failed, %zu had nothing to do\n", verb, done, n,
		    failed, n - done - failed);
	if (failed)
		return ioc_err(err, "%s: %zu of %zu jails failed", verb, failed, n);
	return 0;
}

/*
 * Dependencies (the depends property, core/depends.h).  The view holds every
 * complete jail's tag and depends, read with one `zfs get`; a plan is the
 * list of jails to act on in order: the ones named (targets) and the ones
 * pulled in (dependencies started first, running dependents stopped first).
 */
struct ioc_depview {
	struct ioc_jails all; /* tag and depends of every jail */
	struct ioc_dep_node *nodes;
	struct ioc_jail **jail; /* node -> its entry in all */
	size_t n;
	struct ioc_depgraph g;
};

static void
ioc_depview_release(struct ioc_depview *d)
{
	ioc_depgraph_release(&d->g);
	free(d->nodes);
	free(d->jail);
	ioc_jails_release(&d->all);
	memset(d, 0, sizeof(*d));
}

static int
ioc_depview_load(struct ioc_ctx *ctx, struct ioc_depview *d, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "depends", NULL };
	size_t i;
	memset(d, 0, sizeof(*d));
	if (ioc_jails_load(&ctx->root, props, &d->all, err) != 0)
		return -1;
	d->nodes = ioc_xcalloc(d->all.n + 1, sizeof(*d->nodes));
	d->jail = ioc_xcalloc(d->all.n + 1, sizeof(*d->jail));
	for (i = 0; i < d->all.n; i++) {
		if (!d->all.v[i].complete)
			continue;
		d->nodes[d->n].tag = ioc_jail_get(&d->all.v[i], "tag");
		d->nodes[d->n].depends = ioc_jail_get(&d->all.v[i], "depends");
		d->jail[d->n++] = &d->all.v[i];
	}
	ioc_depgraph_build(&d->g, d->nodes, d->n);
	return 0;
}

static int
ioc_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The node of the jail with this UUID, or (size_t)-1. */
static size_t
ioc_depview_node(const struct ioc_depview *d, const char *uuid)
{
	size_t i;
	for (i = 0; i < d->n; i++)
		if (strcmp(d->jail[i]->uuid, uuid) == 0)
			return i;
	return (size_t)-1;
}

/* What a command asks of the plan runner. */
struct ioc_runreq {
	const char *cmd;  /* start, stop, restart, rcboot, rcshutdown */
	enum ioc_act act; /* for the targets; pulled-in jails are started or stopped */
	int force;	  /* -f: the targets' own meaning (hostid at start, no hooks at stop) */
	int cascade;	  /* stop: running dependents are stopped first (stop -f, rcshutdown) */
	int keep_going;	  /* ALL, rcboot, rcshutdown: a target that cannot be planned fails alone */
	int rc;		  /* rcboot/rcshutdown: their messages and summary */
	unsigned jobs;	  /* -j: at most this many jails at once; 1: one after the other */
};

/* One jail of a plan. */
struct ioc_runitem {
	struct ioc_jail *j; /* every property loaded */
	size_t node;	    /* in the view */
	int target;
};

/*
 * The full jails of the nodes the targets pulled in: one more read of those
 * alone (by UUID).  Targets keep their loaded entries.
 */
static int
ioc_plan_fill(struct ioc_ctx *ctx, const struct ioc_depview *d, struct ioc_runitem *items,
    size_t n, struct ioc_jails *extra, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv uuids = IOC_STRV_INIT;
	size_t i;
	for (i = 0; i < n; i++)
		if (items[i].j == NULL)
			ioc_strv_push(&uuids, d->jail[items[i].node]->uuid);
	if (uuids.n == 0)
		return 0;
	if (ioc_jails_load_named(&ctx->root, NULL, ioc_strv_argv(&uuids), extra, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (items[i].j == NULL &&
		    ioc_jail_resolve(extra, d->jail[items[i].node]->uuid, &items[i].j, err) != 0)
			return ioc_error_wrap(err, "jail '%s' was destroyed meanwhile",
			    d->nodes[items[i].node].tag);
	return 0;
}

/* A failure line (several jails, or a pulled-in one of rcboot/rcshutdown). */
static void
ioc_plan_report(const struct ioc_runreq *rq, const char *tag, const char *msg)
{
	_cleanup_free_ char *m = ioc_msg_printable(msg ? msg : "failed");
	if (rq->rc)
		fprintf(stderr, "iocage: %s: %s: %s\n", rq->cmd, tag, m);
	else
		fprintf(stderr, "iocage: cannot %s %s: %s\n", rq->cmd, tag, m);
	fflush(stderr);
}

/*
 * Why a jail of a plan may not run: starting, a dependency that failed;
 * stopping, a dependent of the plan that did not stop.  NULL: it may.
 */
static struct ioc_error *
ioc_plan_blocked(const struct ioc_depview *d, int stopping, char *const *why,
    const unsigned char *inplan, size_t node)
{
	struct ioc_error *e1 = NULL;
	size_t k;
	for (k = 0; k < d->n && e1 == NULL; k++) {
		if (!stopping && why[k] && ioc_depgraph_has(&d->g, node, k))
			ioc_err(&e1, "its dependency '%s' failed: %s", d->nodes[k].tag, why[k]);
		else if (stopping && why[k] && inplan[k] && ioc_depgraph_has(&d->g, k, node))
			ioc_err(&e1, "its dependent '%s' did not stop: %s", d->nodes[k].tag, why[k]);
	}
	return e1;
}

/* One jail of a plan, in this process: targets get the request's action, the
 * jails pulled in are started (or stopped) quietly. */
static int
ioc_plan_one(struct ioc_ctx *ctx, const struct ioc_runreq *rq, const struct ioc_runitem *it,
    struct ioc_error **err)
{
	int stopping = rq->act == IOC_ACT_STOP;
	return ioc_run_one(ctx, it->j, it->target ? rq->act : stopping ? IOC_ACT_STOP :
	    IOC_ACT_START, (it->target || stopping) ? rq->force : 0, !it->target, err);
}

/*
 * Parallel runs (-j N).  Each jail of the plan is started or stopped by a
 * forked worker through the same one-jail path (its lock, the engine, its
 * run-time record); the engine's prepare (the re-execution from a sealed
 * copy) ran in this process before anything was planned, so a worker never
 * re-executes.  A worker's standard output and error go to temporary files
 * that this process prints whole when the worker ends, so no two jails'
 * lines mix; its error message comes back through a pipe, its result as its
 * exit status (0 nothing to do, 1 done, 2 failed).  No threads: each worker
 * has liblxc to itself.
 */
struct ioc_worker {
	pid_t pid;
	size_t item; /* its index in the plan */
	FILE *out;   /* its standard output */
	FILE *errs;  /* its standard error */
	int res;     /* read end of the pipe its error message comes through */
};

#define IOC_WORKER_MSG_MAX 4000 /* under any pipe's capacity: the write never blocks */

static void
ioc_worker_release(struct ioc_worker *w)
{
	if (w->out)
		fclose(w->out);
	if (w->errs)
		fclose(w->errs);
	if (w->res >= 0)
		close(w->res);
	w->out = w->errs = NULL;
	w->res = -1;
}

/* The worker's side: one jail, its output to outfd and errfd, never returns. */
static void __attribute__((noreturn))
ioc_worker_main(struct ioc_ctx *ctx, const struct ioc_runreq *rq, const struct ioc_runitem *it,
    int outfd, int errfd, int resfd)
{
	struct ioc_error *e1 = NULL;
	int r = -1;
	if (dup2(outfd, STDOUT_FILENO) >= 0 && dup2(errfd, STDERR_FILENO) >= 0)
		r = ioc_plan_one(ctx, rq, it, &e1);
	else
		ioc_err(&e1, "cannot redirect the output of its worker: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if (r < 0) {
		const char *m = e1 && e1->msg ? e1->msg : "failed";
		if (write(resfd, m, strnlen(m, IOC_WORKER_MSG_MAX)) < 0) {
			/* the parent reports "failed" without the reason */
		}
	}
	/* _exit: the parent's memory and buffers are the parent's to release */
	_exit(r < 0 ? 2 : r);
}

/* Forks the worker of plan item `item`; the others' fds are closed in it. */
static int
ioc_worker_start(struct ioc_ctx *ctx, const struct ioc_runreq *rq, const struct ioc_runitem *it,
    size_t item, struct ioc_worker *w, const struct ioc_worker *others, size_t nothers,
    struct ioc_error **err)
{
	int p[2] = { -1, -1 };
	size_t k;
	memset(w, 0, sizeof(*w));
	w->res = -1;
	w->item = item;
	w->out = tmpfile();
	w->errs = tmpfile();
	if (w->out == NULL || w->errs == NULL || pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		ioc_err(err, "cannot prepare a worker: %s", strerror(errno));
		ioc_worker_release(w);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	w->pid = fork();
	if (w->pid < 0) {
		ioc_err(err, "cannot fork a worker: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		ioc_worker_release(w);
		return -1;
	}
	if (w->pid == 0) {
		close(p[0]);
		for (k = 0; k < nothers; k++) {
			close(fileno(others[k].out));
			close(fileno(others[k].errs));
			close(others[k].res);
		}
		ioc_worker_main(ctx, rq, it, fileno(w->out), fileno(w->errs), p[1]);
	}
	close(p[1]);
	w->res = p[0];
	return 0;
}

/* Prints what a worker wrote to f onto to, whole. */
static void
ioc_worker_copy(FILE *f, FILE *to)
{
	char buf[8192];
	size_t l;
	rewind(f);
	while ((l = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, l, to);
	fflush(to);
}

/*
 * A worker that ended with status: its output printed, its fds closed.  1:
 * done, 0: nothing to do, -1: failed, *msg (caller frees) says why.
 */
static int
ioc_worker_end(struct ioc_worker *w, int status, char **msg)
{
	char buf[IOC_WORKER_MSG_MAX + 1];
	ssize_t l = read(w->res, buf, sizeof(buf) - 1);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ioc_worker_copy(w->out, stdout);
	ioc_worker_copy(w->errs, stderr);
	ioc_worker_release(w);
	*msg = NULL;
	if (code == 0 || code == 1)
		return code;
	if (code == 2)
		*msg = l > 0 ? ioc_xstrndup(buf, (size_t)l) : ioc_xstrdup("failed");
	else if (WIFSIGNALED(status))
		*msg = ioc_xasprintf("its worker was killed by signal %d", WTERMSIG(status));
	else
		*msg = ioc_xasprintf("its worker exited with status %d", code);
	return -1;
}

/*
 * Runs a plan with at most rq->jobs workers (core/depends.h ioc_depsched:
 * priority groups in turn, within one the jails whose dependencies are up
 * together).  Every outcome is counted in *done and *failed and each
 * failure reported, as the serial run does.
 */
static void
ioc_plan_parallel(struct ioc_ctx *ctx, const struct ioc_depview *d, const struct ioc_runreq *rq,
    struct ioc_runitem *items, size_t n, char **why, const unsigned char *inplan, size_t *done,
    size_t *failed)
{
	int stopping = rq->act == IOC_ACT_STOP;
	_cleanup_free_ size_t *order = ioc_xcalloc(n + 1, sizeof(*order));
	_cleanup_free_ long long *prio = ioc_xcalloc(n + 1, sizeof(*prio));
	_cleanup_free_ struct ioc_worker *w = ioc_xcalloc(rq->jobs + 1, sizeof(*w));
	struct ioc_depsched s;
	size_t nw = 0, i, k;

	for (i = 0; i < n; i++) {
		order[i] = items[i].node;
		prio[i] = -1; /* pulled in: the scheduler puts it with what needs it */
		if (items[i].target && ioc_parse_ll(ioc_jail_get(items[i].j, "priority"), 0, 999,
		    &prio[i]) != 0)
			prio[i] = 99;
	}
	ioc_depsched_init(&s, &d->g, order, n, prio, stopping);
	while (s.left > 0) {
		size_t it;
		int status = 0;
		char *msg = NULL;
		pid_t pid;
		int r;
		while (nw < rq->jobs && (it = ioc_depsched_next(&s)) != (size_t)-1) {
			size_t node = items[it].node;
			struct ioc_error *e1 = ioc_plan_blocked(d, stopping, why, inplan, node);
			if (e1 == NULL && ioc_worker_start(ctx, rq, &items[it], it, &w[nw], w, nw,
			    &e1) == 0) {
				nw++;
				continue;
			}
			(*failed)++;
			why[node] = ioc_xstrdup(e1 && e1->msg ? e1->msg : "failed");
			ioc_plan_report(rq, d->nodes[node].tag, why[node]);
			ioc_error_free(e1);
			ioc_depsched_done(&s, it);
		}
		if (nw == 0)
			break; /* not reached: with nothing running, something is ready */
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			/* our workers are gone without a trace: each counts as failed */
			for (k = 0; k < nw; k++) {
				size_t node = items[w[k].item].node;
				(*failed)++;
				why[node] = ioc_xasprintf("its worker was lost: %s", strerror(errno));
				ioc_plan_report(rq, d->nodes[node].tag, why[node]);
				ioc_worker_release(&w[k]);
				ioc_depsched_done(&s, w[k].item);
			}
			nw = 0;
			continue;
		}
		for (k = 0; k < nw && w[k].pid != pid; k++)
			;
		if (k == nw)
			continue; /* not a worker */
		r = ioc_worker_end(&w[k], status, &msg);
		if (r > 0)
			(*done)++;
		if (r < 0) {
			size_t node = items[w[k].item].node;
			(*failed)++;
			why[node] = msg;
			ioc_plan_report(rq, d->nodes[node].tag, msg);
		}
		ioc_depsched_done(&s, w[k].item);
		w[k] = w[--nw];
	}
	ioc_depsched_release(&s);
}

/*
 * Runs a plan: in order, or with rq->jobs > 1 in parallel (one named jail
 * is always run here).  A jail whose dependency failed to start is not
 * started, a jail whose running dependent did not stop is not stopped: the
 * error names the chain.  One named jail (not rcboot/rcshutdown): its error
 * is the command's, and nothing else is reported apart; otherwise each
 * failure gets a line and the summary follows.  planned_failed counts targets
 * refused before the run (already reported).
 */
static int
ioc_plan_run(struct ioc_ctx *ctx, const struct ioc_depview *d, const struct ioc_runreq *rq,
    struct ioc_runitem *items, size_t n, size_t ntargets, size_t planned_failed,
    struct ioc_error **err)
{
	int stopping = rq->act == IOC_ACT_STOP;
	int single = ntargets == 1 && !rq->rc;
	char **why = ioc_xcalloc(d->n + 1, sizeof(*why)); /* node -> why it failed */
	unsigned char *inplan = ioc_xcalloc(d->n + 1, 1);
	size_t i, failed = planned_failed, done = 0, total = n + planned_failed;
	int rc = 0;

	for (i = 0; i < n; i++)
		inplan[items[i].node] = 1;
	if (rq->jobs > 1 && !single) {
		ioc_plan_parallel(ctx, d, rq, items, n, why, inplan, &done, &failed);
		goto summary;
	}
	for (i = 0; i < n; i++) {
		size_t node = items[i].node;
		const char *tag = d->nodes[node].tag;
		struct ioc_error *e1 = ioc_plan_blocked(d, stopping, why, inplan, node);
		int r = -1;
		if (e1 == NULL)
			r = ioc_plan_one(ctx, rq, &items[i], &e1);
		if (r > 0)
			done++;
		if (r >= 0) {
			ioc_error_free(e1);
			continue;
		}
		failed++;
		why[node] = ioc_xstrdup(e1 && e1->msg ? e1->msg : "failed");
		if (single && items[i].target) {
			/* the one jail named: its own failure as is, a dependency's with the chain */
			if (e1 && strncmp(e1->msg, "its depend", 10) == 0)
				ioc_error_wrap(&e1, "cannot %s '%s'", rq->cmd, tag);
			*err = e1;
			rc = -1;
			goto out;
		}
		if (!single)
			ioc_plan_report(rq, tag, e1 ? e1->msg : NULL);
		ioc_error_free(e1);
	}
summary:
	if (rq->rc)
		printf("%s: %zu jails, %zu failed\n", rq->cmd, total, failed);
	else if (!single)
		printf("%s: %zu of %zu jails done, %zu failed, %zu had nothing to do\n", rq->cmd, done,
		    total, failed, total - done - failed);
	if (failed)
		rc = ioc_err(err, "%s: %zu of %zu jails failed", rq->cmd, failed, total);
out:
	fflush(stdout);
	for (i = 0; i < d->n; i++)
		free(why[i]);
	free(why);
	free(inplan);
	return rc;
}

/*
 * What both plans begin with: the view of every jail's dependencies and the
 * targets as its nodes (*targets, caller frees); a target gone since it was
 * loaded is an error.  On failure nothing is left to release.
 */
static int
ioc_plan_open(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, struct ioc_depview *d,
    size_t **targets, struct ioc_error **err)
{
	size_t i;
	*targets = NULL;
	if (ioc_depview_load(ctx, d, err) != 0)
		return -1;
	*targets = ioc_xcalloc(n + 1, sizeof(**targets));
	for (i = 0; i < n; i++) {
		(*targets)[i] = ioc_depview_node(d, v[i]->uuid);
		if ((*targets)[i] == (size_t)-1) {
			ioc_err(err, "jail '%s' was destroyed meanwhile", ioc_jail_get(v[i], "tag"));
			free(*targets);
			*targets = NULL;
			ioc_depview_release(d);
			return -1;
		}
	}
	return 0;
}

/* The items of a plan in order (caller frees): a target keeps its loaded entry. */
static struct ioc_runitem *
ioc_plan_items(struct ioc_jail **v, size_t n, const size_t *targets, const size_t *order,
    size_t norder)
{
	struct ioc_runitem *items = ioc_xcalloc(norder + 1, sizeof(*items));
	size_t i, k;
	for (i = 0; i < norder; i++) {
		items[i].node = order[i];
		for (k = 0; k < n; k++)
			if (targets[k] == order[i]) {
				items[i].j = v[k];
				items[i].target = 1;
			}
	}
	return items;
}

/*
 * The plan's items in order (caller frees): targets keep their loaded
 * entries, the jails pulled in are read (extra), then the plan runs.
 */
static int
ioc_plan_items_run(struct ioc_ctx *ctx, const struct ioc_depview *d, const struct ioc_runreq *rq,
    struct ioc_jail **v, size_t n, const size_t *targets, const size_t *order, size_t norder,
    size_t planned_failed, struct ioc_error **err)
{
	struct ioc_jails extra = { NULL, 0, 0 };
	struct ioc_runitem *items = ioc_plan_items(v, n, targets, order, norder);
	int rc = -1;
	if (ioc_plan_fill(ctx, d, items, norder, &extra, err) == 0)
		rc = ioc_plan_run(ctx, d, rq, items, norder, rq->rc ? norder : n, planned_failed,
		    err);
	free(items);
	ioc_jails_release(&extra);
	return rc;
}

/*
 * start, restart, rcboot: the targets in the order given, each after the
 * jails it depends on (recursively; those running are left alone).  A
 * cycle or a missing dependency refuses the whole request before anything
 * starts, or with keep_going that target alone.
 */
static int
ioc_run_start_plan(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_error **err)
{
	struct ioc_depview d;
	struct ioc_error **errs = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, bad, i;
	int rc = -1;

	if (ioc_plan_open(ctx, v, n, &d, &targets, err) != 0)
		return -1;
	errs = ioc_xcalloc(n + 1, sizeof(*errs));
	bad = ioc_depgraph_start_order(&d.g, targets, n, &order, &norder, errs);
	for (i = 0; i < n && bad; i++) {
		if (errs[i] == NULL)
			continue;
		ioc_error_wrap(&errs[i], "cannot %s '%s'", rq->act == IOC_ACT_RESTART ? "restart" :
		    "start", d.nodes[targets[i]].tag);
		if (!rq->keep_going) {
			/* validated before the first change: nothing started */
			*err = errs[i];
			errs[i] = NULL;
			goto out;
		}
		{
			_cleanup_free_ char *m = ioc_msg_printable(errs[i]->msg);
			fprintf(stderr, "iocage: %s%s%s\n", rq->rc ? rq->cmd : "", rq->rc ? ": " : "", m);
			fflush(stderr);
		}
	}
	rc = ioc_plan_items_run(ctx, &d, rq, v, n, targets, order, norder, bad, err);
out:
	for (i = 0; i < n; i++)
		ioc_error_free(errs[i]);
	free(errs);
	free(order);
	free(targets);
	ioc_depview_release(&d);
	return rc;
}

/*
 * stop, rcshutdown: the targets in the order given, each after the running
 * jails that depend on it (recursively).  Without cascade, a target that
 * running jails outside the request need is refused, naming them, before
 * anything stops.
 */
static int
ioc_run_stop_plan(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_error **err)
{
	struct ioc_depview d;
	struct ioc_jstate *st = NULL;
	unsigned char *mark = NULL, *include = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, i, k;
	int rc = -1;

	if (ioc_plan_open(ctx, v, n, &d, &targets, err) != 0)
		return -1;
	mark = ioc_xcalloc(d.n + 1, 1);
	include = ioc_xcalloc(d.n + 1, 1);
	for (i = 0; i < n; i++)
		include[targets[i]] = 1;
	ioc_depgraph_dependents(&d.g, targets, n, mark);
	for (i = 0; i < d.n && !(mark[i] && !include[i]); i++)
		;
	if (i < d.n) {
		/* jails outside the request depend on it: which of them run */
		st = ioc_xcalloc(d.all.n + 1, sizeof(*st));
		for (k = 0; k < d.all.n; k++)
			snprintf(st[k].jid, sizeof(st[k].jid), "-");
		if (ioc_run_states(ctx, &d.all, st, err) != 0)
			goto out;
		for (i = 0; i < n; i++) {
			_cleanup_free_ unsigned char *one = ioc_xcalloc(d.n + 1, 1);
			_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
			_cleanup_sb_ struct ioc_sb list = IOC_SB_INIT;
			if (!st[d.jail[targets[i]] - d.all.v].running)
				continue; /* a stopped jail needs no stopping: its dependents stay */
			ioc_depgraph_dependents(&d.g, &targets[i], 1, one);
			for (k = 0; k < d.n; k++) {
				if (!one[k] || include[k] || !st[d.jail[k] - d.all.v].running)
					continue;
				if (rq->cascade)
					include[k] = 2;
				else
					ioc_strv_push(&names, d.nodes[k].tag);
			}
			if (names.n) {
				qsort(names.v, names.n, sizeof(*names.v), ioc_cmp_str);
				ioc_sb_init(&list);
				for (k = 0; k < names.n; k++)
					ioc_sb_addf(&list, "%s'%s'", k ? ", " : "", names.v[k]);
				ioc_err(err, "'%s' is needed by running jail(s) %s: stop them first, or "
				    "use -f to stop them too", d.nodes[targets[i]].tag, list.buf);
				goto out;
			}
		}
	}
	ioc_depgraph_stop_order(&d.g, targets, n, include, &order, &norder);
	rc = ioc_plan_items_run(ctx, &d, rq, v, n, targets, order, norder, 0, err);
out:
	free(st);
	free(mark);
	free(include);
	free(order);
	free(targets);
	ioc_depview_release(&d);
	return rc;
}

/*
 * --dry-run: the engine's plan for each jail, as the command lines it would
 * run; nothing is locked, started, stopped or written.  The Linux engine
 * drives liblxc directly and has no command lines to show.
 */
static int
ioc_run_dry(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, const char *const *steps,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	size_t i, k;
	if (e->dry_run == NULL)
		return ioc_err(err, "--dry-run: the %s engine calls liblxc directly and has no "
		    "command lines to show (IOCAGE_ENGINE=freebsd prints the jail(8) plan)", e->name);
	for (i = 0; i < n; i++)
		for (k = 0; steps[k]; k++) {
			struct ioc_sb out = IOC_SB_INIT;
			ioc_sb_init(&out);
			if (e->dry_run(&ctx->root, v[i], steps[k], &out, err) != 0) {
				ioc_sb_release(&out);
				return -1;
			}
			printf("# %s %s (%s)\n%s", steps[k], ioc_jail_get(v[i], "tag"), v[i]->uuid,
			    out.buf ? out.buf : "");
			ioc_sb_release(&out);
		}
	return 0;
}

/*
 * --dry-run of start and restart: the jails the request depends on
 * (recursively, in the order start takes them) are shown first, each
 * marked as a dependency (start leaves one that runs alone; the dry run
 * reads no states); a cycle or a missing dependency is refused as start
 * refuses it.
 */
static int
ioc_run_dry_start(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, const char *const *steps,
    struct ioc_error **err)
{
	static const char *const start[] = { "start", NULL };
	struct ioc_depview d;
	struct ioc_jails extra = { NULL, 0, 0 };
	struct ioc_runitem *items = NULL;
	struct ioc_error **errs = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, i;
	int rc = -1;

	if (ioc_plan_open(ctx, v, n, &d, &targets, err) != 0)
		return -1;
	errs = ioc_xcalloc(n + 1, sizeof(*errs));
	if (ioc_depgraph_start_order(&d.g, targets, n, &order, &norder, errs) != 0) {
		for (i = 0; i < n && errs[i] == NULL; i++)
			;
		if (i == n) {
			ioc_err(err, "cannot order the start of the jails named");
			goto out;
		}
		*err = errs[i];
		errs[i] = NULL;
		ioc_error_wrap(err, "cannot start '%s'", d.nodes[targets[i]].tag);
		goto out;
	}
	items = ioc_plan_items(v, n, targets, order, norder);
	if (ioc_plan_fill(ctx, &d, items, norder, &extra, err) != 0)
		goto out;
	for (i = 0; i < norder; i++) {
		if (!items[i].target)
			printf("# %s is a dependency: started first unless it runs\n",
			    d.nodes[items[i].node].tag);
		if (ioc_run_dry(ctx, &items[i].j, 1, items[i].target ? steps : start, err) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		ioc_error_free(errs[i]);
	free(errs);
	free(items);
	free(order);
	free(targets);
	ioc_jails_release(&extra);
	ioc_depview_release(&d);
	return rc;
}

/*
 * -j N: how many jails a command starts or stops at once.  Without it, the
 * number of online CPUs for ALL, rcboot and rcshutdown, else one at a time.
 */
static int
ioc_run_jobs(const char *cmd, const struct ioc_opts *o, int many, unsigned *jobs,
    struct ioc_error **err)
{
	long long v = 1;
	if (o->seen['j']) {
		if (ioc_parse_ll(o->val['j'], 1, IOC_RUN_JOBS_MAX, &v) != 0)
			return ioc_fail(err, IOC_EXIT_USAGE, "%s: invalid value '%s' for -j: expected the "
			    "number of jails to %s at once, 1 to %d (1: one after the other)", cmd,
			    o->val['j'], strcmp(cmd, "stop") == 0 || strcmp(cmd, "rcshutdown") == 0 ?
			    "stop" : "start", IOC_RUN_JOBS_MAX);
	} else if (many) {
		v = sysconf(_SC_NPROCESSORS_ONLN);
		v = v < 1 ? 1 : v > IOC_RUN_JOBS_MAX ? IOC_RUN_JOBS_MAX : v;
	}
	*jobs = (unsigned)v;
	return 0;
}

static int
ioc_run_lifecycle(struct ioc_ctx *ctx, int argc, char **argv, enum ioc_act act, const char *cmd,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail **v = NULL;
	size_t n;
	unsigned jobs;
	int k = ioc_opts_parse(ctx, cmd, "fj:", argc - 1, argv + 1, &o, err), rc, all = 0, q;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, cmd);
	for (q = 0; q < argc; q++)
		all |= strcmp(argv[q], "ALL") == 0;
	if (ioc_run_jobs(cmd, &o, all, &jobs, err) != 0)
		return -1;
	if (ctx->dry_run) {
		static const char *const start[] = { "start", NULL }, *const stop[] = { "stop", NULL },
		    *const restart[] = { "stop", "start", NULL };
		if (ioc_run_targets(ctx, argc, argv, &js, &v, &n, err) != 0)
			return -1;
		if (act == IOC_ACT_STOP)
			rc = ioc_run_dry(ctx, v, n, stop, err);
		else
			rc = ioc_run_dry_start(ctx, v, n, act == IOC_ACT_START ? start : restart, err);
		free(v);
		ioc_jails_release(&js);
		return rc;
	}
	if (ioc_run_need(e, (void *)e->start, cmd, err) != 0 ||
	    ioc_run_need(e, (void *)e->stop, cmd, err) != 0)
		return -1;
	if (ioc_run_prepare(err) != 0)
		return -1;
	if (ioc_run_targets(ctx, argc, argv, &js, &v, &n, err) != 0)
		return -1;
	if (n == 0) {
		printf("%s: no jails\n", cmd);
		rc = 0;
	} else {
		struct ioc_runreq rq;
		size_t i, deps = 0;
		for (i = 0; i < n; i++)
			deps |= strcmp(ioc_jail_get(v[i], "depends"), "none") != 0;
		memset(&rq, 0, sizeof(rq));
		rq.cmd = cmd;
		rq.act = act;
		rq.force = o.seen['f'];
		rq.cascade = o.seen['f'];
		rq.keep_going = all;
		rq.jobs = jobs;
		if (act == IOC_ACT_STOP)
			rc = ioc_run_stop_plan(ctx, v, n, &rq, err);
		else if (deps || (jobs > 1 && n > 1))
			rc = ioc_run_start_plan(ctx, v, n, &rq, err);
		else
			rc = ioc_run_many(ctx, v, n, act, o.seen['f'], cmd, err); /* no depends: as ever */
	}
	free(v);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_start(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_lifecycle(ctx, argc, argv, IOC_ACT_START, "start", err);
}

int
ioc_cmd_stop(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_lifecycle(ctx, argc, argv, IOC_ACT_STOP, "stop", err);
}

int
ioc_cmd_restart(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_lifecycle(ctx, argc, argv, IOC_ACT_RESTART, "restart", err);
}

static int ioc_rc_desc;

/* boot order: priority ascending (rcshutdown: descending), then tag. */
static int
ioc_cmp_prio(const void *a, const void *b)
{
	const struct ioc_jail *x = *(struct ioc_jail *const *)a, *y = *(struct ioc_jail *const *)b;
	long long px = 99, py = 99;
	int r;
	ioc_parse_ll(ioc_jail_get(x, "priority"), 0, 999, &px);
	ioc_parse_ll(ioc_jail_get(y, "priority"), 0, 999, &py);
	r = px < py ? -1 : px > py ? 1 : strcmp(ioc_jail_get(x, "tag"), ioc_jail_get(y, "tag"));
	return ioc_rc_desc ? -r : r;
}

static int
ioc_run_rc(struct ioc_ctx *ctx, int argc, char **argv, int boot, struct ioc_error **err)
{
	const char *cmd = boot ? "rcboot" : "rcshutdown";
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail **v;
	size_t i, n = 0;
	unsigned jobs;
	int rc, k = ioc_opts_parse(ctx, cmd, "j:", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (argc - 1 - k != 0)
		return ioc_usage(err, cmd);
	if (ioc_run_jobs(cmd, &o, 1, &jobs, err) != 0)
		return -1;
	if (ioc_run_prepare(err) != 0)
		return -1;
	if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
		return -1;
	v = ioc_xcalloc(js.n + 1, sizeof(*v));
	for (i = 0; i < js.n; i++)
		if (js.v[i].complete && ioc_parse_bool(ioc_jail_get(&js.v[i], "boot")) == 1 &&
		    strcmp(ioc_jail_get(&js.v[i], "template"), "yes") != 0)
			v[n++] = &js.v[i];
	ioc_rc_desc = !boot;
	qsort(v, n, sizeof(*v), ioc_cmp_prio);
	if (n == 0) {
		printf("%s: no jails with boot=on\n", cmd);
		rc = 0;
	} else {
		/*
		 * A summary line even for one jail: rc scripts log it.  Dependencies
		 * go before their dependents whatever their priority (and start even
		 * with boot=off); at shutdown running dependents stop first.
		 */
		struct ioc_runreq rq;
		memset(&rq, 0, sizeof(rq));
		rq.cmd = cmd;
		rq.act = boot ? IOC_ACT_START : IOC_ACT_STOP;
		rq.cascade = 1;
		rq.keep_going = 1;
		rq.rc = 1;
		rq.jobs = jobs;
		rc = boot ? ioc_run_start_plan(ctx, v, n, &rq, err) :
		    ioc_run_stop_plan(ctx, v, n, &rq, err);
	}
	free(v);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_rcboot(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_rc(ctx, argc, argv, 1, err);
}

int
ioc_cmd_rcshutdown(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_rc(ctx, argc, argv, 0, err);
}

int
ioc_run_stop_for_destroy(struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_jails js;
	struct ioc_jail *full;
	int rc;
	if (ioc_run_need(e, (void *)e->stop, "destroy -f", err) != 0)
		return -1;
	/* everything before this point only read: re-executing here is safe */
	if (ioc_run_prepare(err) != 0)
		return -1;
	/* the caller holds the jail's lock and loaded only a few properties */
	if (ioc_ctx_jail(ctx, j->uuid, NULL, &js, &full, err) != 0)
		return -1;
	rc = e->stop(&ctx->root, full, 0, err);
	if (rc == 0)
		printf("%s (%s) stopped\n", ioc_jail_get(full, "tag"), full->uuid);
	ioc_jails_release(&js);
	return rc;
}

/*
 * A running jail named by its UUID or tag, from its run-time record
 * (core/runrec.h): 1 with *js and *j filled, reading no ZFS, when the root
 * was named (-r, IOCAGE_ROOT), the engine can tell whether the container
 * runs, and it does; 0 to take the ordinary path (a record of a container
 * that no longer runs is removed).
 */
static int
ioc_run_from_record(struct ioc_ctx *ctx, const struct ioc_engine_ops *e, const char *name,
    struct ioc_jails *js, struct ioc_jail **j)
{
	struct ioc_runrec r;
	if (e->running == NULL || ctx->root.name == NULL || ctx->root_arg == NULL ||
	    !ioc_runrec_find(ctx->root.name, name, &r))
		return 0;
	memset(js, 0, sizeof(*js));
	*j = ioc_runrec_jail(&r, ctx->root.name, js);
	if (!e->running(&ctx->root, *j)) {
		/* stopped behind iocage's back (or the host rebooted): the record is stale */
		ioc_runrec_remove(ctx->root.name, r.uuid);
		ioc_runrec_release(&r);
		ioc_jails_release(js);
		*j = NULL;
		return 0;
	}
	ioc_runrec_release(&r);
	return 1;
}
/* Runs a command inside a running jail (exec, console). */
static int
ioc_run_exec(struct ioc_ctx *ctx, const char *name, struct ioc_exec_opts *xo,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_jails js;
	struct ioc_jail *j;
	int status = 0, rc;
	if (ioc_run_need(e, (void *)e->exec, "exec", err) != 0)
		return -1;
	if (ioc_run_prepare(err) != 0)
		return -1;
	if (ioc_run_from_record(ctx, e, name, &js, &j) != 1 &&
	    ioc_ctx_jail(ctx, name, NULL, &js, &j, err) != 0)
		return -1;
	fflush(stdout);
	rc = e->exec(&ctx->root, j, xo, &status, err);
	ioc_jails_release(&js);
	if (rc != 0)
		return -1;
	if (status != 0)
		return ioc_fail(err, status, "%s", ""); /* the command's status, no message */
	return 0;
}

int
ioc_cmd_exec(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_exec_opts xo;
	int k = ioc_opts_parse(ctx, "exec", "u:U:f", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 2)
		return ioc_usage(err, "exec");
	if (o.seen['u'] && o.seen['U'])
		return ioc_fail(err, IOC_EXIT_USAGE, "exec: -u (host user) and -U (jail user) exclude "
		    "each other");
	memset(&xo, 0, sizeof(xo));
	xo.argv = argv + 1;
	/*
	 * Run from a terminal, the command gets a terminal of its own (as Incus's
	 * exec does): the caller's would let it push input into the admin's
	 * shell (TIOCSTI).
	 */
	xo.interactive = isatty(0) && isatty(1);
	xo.host_user = o.seen['u'] ? o.val['u'] : NULL;
	xo.jail_user = o.seen['U'] ? o.val['U'] : NULL;
	return ioc_run_exec(ctx, argv[0], &xo, err);
}

int
ioc_cmd_console(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_exec_opts xo;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_strv_ struct ioc_strv cmd = IOC_STRV_INIT;
	const char *flags, *p;
	int k = ioc_opts_parse(ctx, "console", "f", argc - 1, argv + 1, &o, err), rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "console");
	if (!isatty(0))
		return ioc_err(err, "console needs a terminal on standard input "
		    "('iocage exec JAIL CMD' runs commands without one)");
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]){ "tag", "login_flags", NULL }, &js,
	    &j, err) != 0)
		return -1;
	/* login(1) with login_flags, words split at blanks (never a shell) */
	ioc_strv_push(&cmd, "login");
	flags = ioc_jail_get(j, "login_flags");
	for (p = flags; *p;) {
		const char *s;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		ioc_strv_push_owned(&cmd, ioc_xstrndup(s, (size_t)(p - s)));
	}
	ioc_jails_release(&js);
	memset(&xo, 0, sizeof(xo));
	xo.argv = ioc_strv_argv(&cmd);
	xo.interactive = 1;
	rc = ioc_run_exec(ctx, argv[0], &xo, err);
	return rc;
}

int
ioc_cmd_chroot(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_run_opts ro;
	struct ioc_run_result r;
	_cleanup_strv_ struct ioc_strv av = IOC_STRV_INIT;
	int k = ioc_opts_parse(ctx, "chroot", "", argc - 1, argv + 1, &o, err), i, rc;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, "chroot");
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]){ "tag", "userns", "userns_idmap", NULL },
	    &js, &j, err) != 0)
		return -1;
	if (j->rootfs == NULL || j->rootfs[0] != '/') {
		ioc_err(err, "the root dataset of '%s' is not mounted", argv[0]);
		ioc_jails_release(&js);
		return -1;
	}
#ifdef __linux__
	if (ioc_parse_bool(ioc_jail_get(j, "userns")) == 1) {
		/*
		 * The jail's own user namespace (its userns_idmap, through newuidmap
		 * like its start): what the jail's binaries create belongs to the
		 * jail's ids, and a hostile one gains nothing on the host.
		 */
		const char *map = ioc_jail_get(j, "userns_idmap"), *c = strchr(map, ':');
		_cleanup_free_ char *base = c ? ioc_xstrndup(map, (size_t)(c - map)) : NULL;
		long long h, n;
		if (c == NULL || ioc_parse_ll(base, 0, 4294967295LL, &h) != 0 ||
		    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0) {
			ioc_err(err, "invalid userns_idmap '%s' of '%s'", map, argv[0]);
			ioc_jails_release(&js);
			return -1;
		}
		ioc_strv_push(&av, "unshare");
		ioc_strv_push(&av, "--user");
		ioc_strv_pushf(&av, "--map-users=%lld,0,%lld", h, n);
		ioc_strv_pushf(&av, "--map-groups=%lld,0,%lld", h, n);
		ioc_strv_push(&av, "--setuid=0");
		ioc_strv_push(&av, "--setgid=0");
		ioc_strv_pushf(&av, "--root=%s", j->rootfs);
		ioc_strv_push(&av, "--");
	} else
#endif
	{
		/* chroot(8): a privileged jail's binaries run with the host's root privileges */
		ioc_strv_push(&av, "chroot");
		ioc_strv_push(&av, j->rootfs);
	}
	if (argc == 1)
		ioc_strv_push(&av, IOC_DEFAULT_SHELL);
	for (i = 1; i < argc; i++)
		ioc_strv_push(&av, argv[i]);
	ioc_jails_release(&js);
	ioc_run_opts_init(&ro);
	ro.in_fd = IOC_FD_INHERIT;
	ro.out_fd = IOC_FD_INHERIT;
	ro.err_fd = IOC_FD_INHERIT;
	ioc_run_result_init(&r);
	fflush(stdout);
	rc = ioc_run(ioc_strv_argv(&av), &ro, &r, err);
	if (rc == 0 && r.status != 0)
		rc = ioc_fail(err, r.status, "%s", "");
	ioc_run_result_release(&r);
	return rc;
}

/* The shell iocage's runtime: jls -n's words, "  NAME=VALUE" (1.7.6 lib/ioc-info __runtime). */
static void
ioc_runtime_legacy(const struct ioc_table *t)
{
	size_t r;
	for (r = 0; r < t->nrows; r++)
		printf("  %s=%s\n", t->cells.v[2 * r], t->cells.v[2 * r + 1]);
}

/* The shell iocage's inuse TAG: a heading, then rctl -hu's NAME=VALUE lines
 * (1.7.6 lib/ioc-rctl __rctl_inuse). */
static void
ioc_inuse_legacy(const struct ioc_table *t)
{
	size_t r;
	printf("Consumed resources:\n-------------------\n");
	for (r = 0; r < t->nrows; r++)
		printf("%s=%s\n", t->cells.v[2 * r], t->cells.v[2 * r + 1]);
}

/*
 * A table op of the engine on one running jail (runtime, inuse): without -l,
 * -H or --json in the shell iocage's layout (legacy), else the table.
 */
static int
ioc_run_table(struct ioc_ctx *ctx, const char *name, const char *cmd,
    int (*op)(const struct ioc_root *, struct ioc_jail *, struct ioc_table *, struct ioc_error **),
    const char *const *cols, void (*legacy)(const struct ioc_table *), struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_table t;
	int rc;
	if (op == NULL)
		return ioc_err(err, "%s: not supported by the %s engine", cmd, ioc_engine()->name);
	if (ioc_ctx_jail(ctx, name, NULL, &js, &j, err) != 0)
		return -1;
	ioc_table_init(&t, cols);
	rc = op(&ctx->root, j, &t, err);
	if (rc == 0 && legacy)
		legacy(&t);
	else if (rc == 0)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_runtime(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "PARAMETER", "VALUE", NULL };
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "runtime", "l", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (argc - k - 1 != 1)
		return ioc_usage(err, "runtime");
	return ioc_run_table(ctx, argv[k + 1], "runtime", ioc_engine()->runtime, cols,
	    ctx->fmt == IOC_FMT_TABLE && !o.seen['l'] ? ioc_runtime_legacy : NULL, err);
}

/*
 * inuse TAG: one jail's current use; inuse alone: every running jail's, one
 * row a resource, as the shell iocage printed every running jail's
 * consumption without a name (1.7.6 lib/ioc-rctl __rctl_inuse_all).
 */
int
ioc_cmd_inuse(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "RESOURCE", "USE", NULL };
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jstate *st;
	struct ioc_jail **v;
	struct ioc_table t;
	size_t n, i, r;
	int headed = 0;
	int k = ioc_opts_parse(ctx, "inuse", "l", argc - 1, argv + 1, &o, err), rc = 0;
	int legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	if (k < 0)
		return -1;
	if (argc - k - 1 > 1)
		return ioc_usage(err, "inuse");
	if (argc - k - 1 == 1)
		return ioc_run_table(ctx, argv[k + 1], "inuse", e->inuse, cols + 1,
		    legacy ? ioc_inuse_legacy : NULL, err);
	if (e->inuse == NULL)
		return ioc_err(err, "inuse: not supported by the %s engine", e->name);
	if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
		return -1;
	st = ioc_ops_states_new(&ctx->root, &js, err);
	if (st == NULL) {
		ioc_jails_release(&js);
		return -1;
	}
	v = ioc_sorted(&js, &n);
	ioc_table_init(&t, cols);
	for (i = 0; i < n && rc == 0; i++) {
		struct ioc_table one;
		if (!st[v[i] - js.v].running)
			continue;
		ioc_table_init(&one, cols + 1);
		rc = e->inuse(&ctx->root, v[i], &one, err);
		if (rc == 0 && legacy) {
			/* the shell iocage's CSV: a heading, then UUID,TAG,VALUE... of each
			   running jail (1.7.6 lib/ioc-rctl __rctl_inuse_all) */
			if (!headed) {
				printf("UUID,TAG");
				for (r = 0; r < one.nrows; r++)
					printf(",%s", one.cells.v[2 * r]);
				printf("\n");
				headed = 1;
			}
			printf("%s,%s", v[i]->uuid, ioc_jail_get(v[i], "tag"));
			for (r = 0; r < one.nrows; r++)
				printf(",%s", one.cells.v[2 * r + 1]);
			printf("\n");
		}
		for (r = 0; rc == 0 && !legacy && r < one.nrows; r++) {
			const char *cells[] = { ioc_jail_get(v[i], "tag"), one.cells.v[2 * r],
				one.cells.v[2 * r + 1], NULL };
			ioc_table_add(&t, cells);
		}
		ioc_table_release(&one);
	}
	if (rc == 0 && !legacy)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	free(v);
	free(st);
	ioc_jails_release(&js);
	return rc;
}

/* cap / uncap: the engine applies or removes the limits of a running jail. */
static int
ioc_run_capop(struct ioc_ctx *ctx, int argc, char **argv, int remove, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	const char *cmd = remove ? "uncap" : "cap";
	int (*op)(const struct ioc_root *, struct ioc_jail *, struct ioc_error **) =
	    remove ? e->uncap : e->cap;
	struct ioc_jails js;
	struct ioc_jail *j;
	int lockfd, rc;
	if (argc != 2)
		return ioc_usage(err, cmd);
	if (ctx->dry_run) {
		const char *const steps[] = { cmd, NULL };
		if (ioc_ctx_jail(ctx, argv[1], NULL, &js, &j, err) != 0)
			return -1;
		rc = ioc_run_dry(ctx, &j, 1, steps, err);
		ioc_jails_release(&js);
		return rc;
	}
	if (ioc_run_need(e, (void *)op, cmd, err) != 0)
		return -1;
	if (ioc_ctx_jail(ctx, argv[1], NULL, &js, &j, err) != 0)
		return -1;
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0) {
		ioc_jails_release(&js);
		return -1;
	}
	rc = op(&ctx->root, j, err);
	if (rc == 0)
		printf("%s (%s): limits %s\n", ioc_jail_get(j, "tag"), j->uuid,
		    remove ? "removed" : "applied");
	close(lockfd);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_cap(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_capop(ctx, argc, argv, 0, err);
}

int
ioc_cmd_uncap(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	return ioc_run_capop(ctx, argc, argv, 1, err);
}

/* One jail's limit rows (with its tag first when tagged). */
static void
ioc_limits_rows(const struct ioc_jail *j, int tagged, struct ioc_table *t)
{
	const char *tag = ioc_jail_get(j, "tag");
	int on = ioc_parse_bool(ioc_jail_get(j, "rlimits")) == 1;
	size_t i;
	{
		const char *c[] = { tag, "rlimits", ioc_jail_get(j, "rlimits"), "-" };
		ioc_table_add(t, c + !tagged);
	}
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		const char *v = j->values[i];
		const char *c[4];
		struct ioc_error *e1 = NULL;
		if (p->type != IOC_PT_RLIMIT && strcmp(p->name, "cpuset") != 0)
			continue;
		if (tagged && strcmp(v, "off") == 0)
			continue; /* every jail: only the limits set */
		c[0] = tag;
		c[1] = p->name;
		c[2] = v;
		if (strcmp(v, "off") == 0)
			c[3] = "-";
		else if (ioc_ops_check_prop(p, v, &e1) != 0)
			c[3] = "no (no analogue on this host)";
		else
			c[3] = (on || strcmp(p->name, "cpuset") == 0) ? "at start" : "no (rlimits=off)";
		ioc_error_free(e1);
		ioc_table_add(t, c + !tagged);
	}
}

/*
 * The shell iocage's view of one jail's limits in force (1.7.6 lib/ioc-rctl
 * __rctl_list): `rctl -h` of a running jail with rlimits=on, shown as
 * RESOURCE:ACTION=AMOUNT (prefix "  - ", humanized as stored), or with
 * raw set "jail:ioc-UUID:RESOURCE:ACTION=AMOUNT" in plain units as `rctl`
 * prints every jail's rules.  Limits with no analogue on this host are not
 * in force and not shown.
 */
static void
ioc_limits_legacy_rules(const struct ioc_jail *j, int raw)
{
	size_t i;
	if (ioc_parse_bool(ioc_jail_get(j, "rlimits")) != 1)
		return;
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		const char *v = j->values[i], *c;
		struct ioc_error *e1 = NULL;
		unsigned long long amount;
		_cleanup_free_ char *num = NULL;
		if (p->type != IOC_PT_RLIMIT || v == NULL || strcmp(v, "off") == 0 ||
		    (c = strchr(v, ':')) == NULL)
			continue;
		if (ioc_ops_check_prop(p, v, &e1) != 0) {
			ioc_error_free(e1);
			continue;
		}
		num = ioc_xstrndup(v, (size_t)(c - v));
		if (!raw)
			printf("  - %s:%s=%s\n", p->name, c + 1, num);
		else if (ioc_parse_size(num, &amount) == 0)
			printf("jail:ioc-%s:%s:%s=%llu\n", j->uuid, p->name, c + 1, amount);
	}
}

/* "* CPU set: " as `cpuset -g -j JID | cut -f2 -d:` printed it: " 0, 2, 3". */
static void
ioc_limits_legacy_cpuset(const struct ioc_jail *j)
{
	const char *v = ioc_jail_get(j, "cpuset"), *q;
	long n = sysconf(_SC_NPROCESSORS_ONLN), a, b;
	unsigned shown = 0;
	printf("* CPU set: ");
	if (v == NULL || strcmp(v, "off") == 0) {
		for (a = 0; a < (n > 0 ? n : 1); a++)
			printf("%s%ld", a ? ", " : " ", a);
		printf("\n");
		return;
	}
	for (q = v; *q;) {
		char *end;
		a = strtol(q, &end, 10);
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b; a++)
			printf("%s%ld", shown++ ? ", " : " ", a);
		q = *end == ',' ? end + 1 : end;
		if (end == q && *q != '\0')
			break; /* not a CPU list (validated at set: unreachable) */
	}
	printf("\n");
}

/*
 * limits [-l] [TAG]: without -l, -H or --json the shell iocage's lines (1.7.6
 * lib/ioc-rctl __rctl_list): "* Active limits for jail: UUID", a "  - " line
 * per limit in force and, running, "* CPU set:"; without a jail "* All
 * active limits:" and every running jail's rules as `rctl` prints them.
 * The table (-l): every limit of one jail with where it stands, or the limits
 * set on every jail (its README spelled the command "limts").
 */
int
ioc_cmd_limits(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "LIMIT", "VALUE", "APPLIED", NULL };
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_table t;
	struct ioc_jstate *st = NULL;
	int k = ioc_opts_parse(ctx, "limits", "l", argc - 1, argv + 1, &o, err), legacy;
	if (k < 0)
		return -1;
	legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	argc -= k + 1;
	argv += k + 1;
	if (argc > 1)
		return ioc_usage(err, "limits");
	if (argc == 0) {
		struct ioc_jail **v;
		size_t n, i;
		if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
			return -1;
		if (legacy && (st = ioc_ops_states_new(&ctx->root, &js, err)) == NULL) {
			ioc_jails_release(&js);
			return -1;
		}
		v = ioc_sorted(&js, &n);
		ioc_table_init(&t, cols);
		if (legacy)
			printf("* All active limits:\n");
		for (i = 0; i < n; i++) {
			if (!legacy)
				ioc_limits_rows(v[i], 1, &t);
			else if (st[v[i] - js.v].running)
				ioc_limits_legacy_rules(v[i], 1);
		}
		free(v);
	} else {
		if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0)
			return -1;
		if (legacy && (st = ioc_ops_states_new(&ctx->root, &js, err)) == NULL) {
			ioc_jails_release(&js);
			return -1;
		}
		ioc_table_init(&t, cols + 1);
		if (legacy) {
			printf("* Active limits for jail: %s\n", j->uuid);
			if (st[j - js.v].running) {
				ioc_limits_legacy_rules(j, 0);
				ioc_limits_legacy_cpuset(j);
			}
		} else
			ioc_limits_rows(j, 0, &t);
	}
	if (!legacy)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_jails_release(&js);
	free(st);
	return 0;
}
