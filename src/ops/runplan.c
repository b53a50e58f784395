/*
 * runplan.c — how start, stop, restart, rcboot and rcshutdown act on
 * several jails (run_int.h): the jails a request depends on are pulled in
 * (started first, running dependents stopped first), a jail whose
 * dependency failed stays down, and with -j N up to N jails are acted on at
 * once, each by a forked worker whose output is relayed whole, in order.
 */
#include "ops/ops.h"
#include "ops/run_int.h"
#include "core/depends.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
ioc_depview_load(const struct ioc_root *root, struct ioc_depview *d, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "depends", NULL };
	size_t i;
	memset(d, 0, sizeof(*d));
	if (ioc_jails_load(root, props, &d->all, err) != 0)
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

/* One jail of a plan. */
struct ioc_runitem {
	struct ioc_jail *j; /* every property loaded */
	size_t node; /* in the view */
	int target;
};

/*
 * The full jails of the nodes the targets pulled in: one more read of those
 * alone (by UUID).  Targets keep their loaded entries.
 */
static int
ioc_plan_fill(const struct ioc_root *root, const struct ioc_depview *d, struct ioc_runitem *items,
    size_t n, struct ioc_jails *extra, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv uuids = IOC_STRV_INIT;
	size_t i;
	for (i = 0; i < n; i++)
		if (items[i].j == NULL)
			ioc_strv_push(&uuids, d->jail[items[i].node]->uuid);
	if (uuids.n == 0)
		return 0;
	if (ioc_jails_load_named(root, NULL, ioc_strv_argv(&uuids), extra, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (items[i].j == NULL &&
		    ioc_jail_resolve(extra, d->jail[items[i].node]->uuid, &items[i].j, err) != 0)
			return ioc_error_wrap(
			    err, "jail '%s' was destroyed meanwhile", d->nodes[items[i].node].tag);
	return 0;
}

/* A failure of one jail of several, or of a pulled-in one of rcboot/rcshutdown. */
static void
ioc_plan_report(
    const struct ioc_runreq *rq, const struct ioc_depview *d, size_t node, const char *msg)
{
	ioc_run_tell(rq, IOC_RUN_FAILED, d->nodes[node].tag, d->jail[node]->uuid, NULL, msg, 0);
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
			ioc_err(
			    &e1, "its dependent '%s' did not stop: %s", d->nodes[k].tag, why[k]);
	}
	return e1;
}

/* One jail of a plan, in this process: targets get the request's action, the
 * jails pulled in are started (or stopped) quietly. */
static int
ioc_plan_one(const struct ioc_root *root, const struct ioc_runreq *rq, const struct ioc_runitem *it,
    struct ioc_error **err)
{
	int stopping = rq->act == IOC_ACT_STOP;
	return ioc_jail_run(root, it->j, rq,
	    it->target	 ? rq->act :
		stopping ? IOC_ACT_STOP :
			   IOC_ACT_START,
	    (it->target || stopping) ? rq->force : 0, !it->target, err);
}

/*
 * Parallel runs (-j N).  Each jail of the plan is started or stopped by a
 * forked worker through the same one-jail path (its lock, the engine, its
 * run-time record); the engine's prepare (the re-execution from a sealed
 * copy) ran in this process before anything was planned, so a worker never
 * re-executes.  A worker's standard output and error (the request's
 * callback, the hooks, notes) go to temporary files that this process relays
 * whole to its own when the worker ends, so no two jails' lines mix; its error message comes back
 * through a pipe, its result as its exit status (0 nothing to do, 1 done, 2 failed).  No threads:
 * each worker has liblxc to itself.
 */
struct ioc_worker {
	pid_t pid;
	size_t item; /* its index in the plan */
	FILE *out; /* its standard output */
	FILE *errs; /* its standard error */
	int res; /* read end of the pipe its error message comes through */
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
static void __attribute__((noreturn)) ioc_worker_main(const struct ioc_root *root,
    const struct ioc_runreq *rq, const struct ioc_runitem *it, int outfd, int errfd, int resfd)
{
	struct ioc_error *e1 = NULL;
	int r = -1;
	if (dup2(outfd, STDOUT_FILENO) >= 0 && dup2(errfd, STDERR_FILENO) >= 0)
		r = ioc_plan_one(root, rq, it, &e1);
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
ioc_worker_start(const struct ioc_root *root, const struct ioc_runreq *rq,
    const struct ioc_runitem *it, size_t item, struct ioc_worker *w,
    const struct ioc_worker *others, size_t nothers, struct ioc_error **err)
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
		ioc_worker_main(root, rq, it, fileno(w->out), fileno(w->errs), p[1]);
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
ioc_plan_parallel(const struct ioc_root *root, const struct ioc_depview *d,
    const struct ioc_runreq *rq, struct ioc_runitem *items, size_t n, char **why,
    const unsigned char *inplan, size_t *done, size_t *failed)
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
		if (items[i].target &&
		    ioc_parse_ll(ioc_jail_get(items[i].j, "priority"), 0, 999, &prio[i]) != 0)
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
			if (e1 == NULL &&
			    ioc_worker_start(root, rq, &items[it], it, &w[nw], w, nw, &e1) == 0) {
				nw++;
				continue;
			}
			(*failed)++;
			why[node] = ioc_xstrdup(e1 && e1->msg ? e1->msg : "failed");
			ioc_plan_report(rq, d, node, why[node]);
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
				why[node] =
				    ioc_xasprintf("its worker was lost: %s", strerror(errno));
				ioc_plan_report(rq, d, node, why[node]);
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
			ioc_plan_report(rq, d, node, msg);
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
 * failure is told and the summary is due (t->summary).  t already counts
 * the targets refused before the run (told then).
 */
static int
ioc_plan_run(const struct ioc_root *root, const struct ioc_depview *d, const struct ioc_runreq *rq,
    struct ioc_runitem *items, size_t n, size_t ntargets, struct ioc_run_tally *t,
    struct ioc_error **err)
{
	int stopping = rq->act == IOC_ACT_STOP;
	int single = ntargets == 1 && !rq->rc;
	char **why = ioc_xcalloc(d->n + 1, sizeof(*why)); /* node -> why it failed */
	unsigned char *inplan = ioc_xcalloc(d->n + 1, 1);
	size_t i;
	int rc = 0;

	t->total += n;
	for (i = 0; i < n; i++)
		inplan[items[i].node] = 1;
	if (rq->jobs > 1 && !single) {
		ioc_plan_parallel(root, d, rq, items, n, why, inplan, &t->done, &t->failed);
		goto summary;
	}
	for (i = 0; i < n; i++) {
		size_t node = items[i].node;
		const char *tag = d->nodes[node].tag;
		struct ioc_error *e1 = ioc_plan_blocked(d, stopping, why, inplan, node);
		int r = -1;
		if (e1 == NULL)
			r = ioc_plan_one(root, rq, &items[i], &e1);
		if (r > 0)
			t->done++;
		if (r >= 0) {
			ioc_error_free(e1);
			continue;
		}
		t->failed++;
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
			ioc_plan_report(rq, d, node, e1 ? e1->msg : NULL);
		ioc_error_free(e1);
	}
summary:
	t->summary = rq->rc || !single;
	if (t->failed)
		rc = ioc_err(err, "%s: %zu of %zu jails failed", rq->cmd, t->failed, t->total);
out:
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
ioc_plan_open(const struct ioc_root *root, struct ioc_jail **v, size_t n, struct ioc_depview *d,
    size_t **targets, struct ioc_error **err)
{
	size_t i;
	*targets = NULL;
	if (ioc_depview_load(root, d, err) != 0)
		return -1;
	*targets = ioc_xcalloc(n + 1, sizeof(**targets));
	for (i = 0; i < n; i++) {
		(*targets)[i] = ioc_depview_node(d, v[i]->uuid);
		if ((*targets)[i] == (size_t)-1) {
			ioc_err(
			    err, "jail '%s' was destroyed meanwhile", ioc_jail_get(v[i], "tag"));
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
ioc_plan_items(
    struct ioc_jail **v, size_t n, const size_t *targets, const size_t *order, size_t norder)
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
ioc_plan_items_run(const struct ioc_root *root, const struct ioc_depview *d,
    const struct ioc_runreq *rq, struct ioc_jail **v, size_t n, const size_t *targets,
    const size_t *order, size_t norder, struct ioc_run_tally *t, struct ioc_error **err)
{
	struct ioc_jails extra = { NULL, 0, 0 };
	struct ioc_runitem *items = ioc_plan_items(v, n, targets, order, norder);
	int rc = -1;
	if (ioc_plan_fill(root, d, items, norder, &extra, err) == 0)
		rc = ioc_plan_run(root, d, rq, items, norder, rq->rc ? norder : n, t, err);
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
int
ioc_run_start_plan(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err)
{
	struct ioc_depview d;
	struct ioc_error **errs = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, bad, i;
	int rc = -1;

	if (ioc_plan_open(root, v, n, &d, &targets, err) != 0)
		return -1;
	errs = ioc_xcalloc(n + 1, sizeof(*errs));
	bad = ioc_depgraph_start_order(&d.g, targets, n, &order, &norder, errs);
	for (i = 0; i < n && bad; i++) {
		if (errs[i] == NULL)
			continue;
		ioc_error_wrap(&errs[i], "cannot %s '%s'",
		    rq->act == IOC_ACT_RESTART ? "restart" : "start", d.nodes[targets[i]].tag);
		if (!rq->keep_going) {
			/* validated before the first change: nothing started */
			*err = errs[i];
			errs[i] = NULL;
			goto out;
		}
		ioc_run_tell(rq, IOC_RUN_REFUSED, d.nodes[targets[i]].tag, v[i]->uuid, NULL,
		    errs[i]->msg, 0);
	}
	t->failed += bad;
	t->total += bad;
	rc = ioc_plan_items_run(root, &d, rq, v, n, targets, order, norder, t, err);
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
int
ioc_run_stop_plan(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err)
{
	struct ioc_depview d;
	struct ioc_jstate *st = NULL;
	unsigned char *mark = NULL, *include = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, i, k;
	int rc = -1;

	if (ioc_plan_open(root, v, n, &d, &targets, err) != 0)
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
		if (ioc_ops_states(root, &d.all, st, err) != 0)
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
				ioc_err(err,
				    "'%s' is needed by running jail(s) %s: stop them first, or "
				    "use -f to stop them too",
				    d.nodes[targets[i]].tag, list.buf);
				goto out;
			}
		}
	}
	ioc_depgraph_stop_order(&d.g, targets, n, include, &order, &norder);
	rc = ioc_plan_items_run(root, &d, rq, v, n, targets, order, norder, t, err);
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
 * --dry-run of start and restart: the jails the request depends on
 * (recursively, in the order start takes them) are shown first, each
 * marked as a dependency (start leaves one that runs alone; the dry run
 * reads no states); a cycle or a missing dependency is refused as start
 * refuses it.
 */
int
ioc_jails_dry_start(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const char *const *steps, struct ioc_sb *out, struct ioc_error **err)
{
	static const char *const start[] = { "start", NULL };
	struct ioc_depview d;
	struct ioc_jails extra = { NULL, 0, 0 };
	struct ioc_runitem *items = NULL;
	struct ioc_error **errs = NULL;
	size_t *targets = NULL, *order = NULL, norder = 0, i;
	int rc = -1;

	if (ioc_plan_open(root, v, n, &d, &targets, err) != 0)
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
	if (ioc_plan_fill(root, &d, items, norder, &extra, err) != 0)
		goto out;
	for (i = 0; i < norder; i++) {
		if (!items[i].target)
			ioc_sb_addf(out, "# %s is a dependency: started first unless it runs\n",
			    d.nodes[items[i].node].tag);
		if (ioc_jails_dry(
			root, &items[i].j, 1, items[i].target ? steps : start, out, err) != 0)
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
