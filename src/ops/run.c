/*
 * run.c — starting and stopping jails (ops.h, run.c): one jail under its
 * lock (ioc_jail_run), several in the order and with the dependencies the
 * request asks for (ioc_jails_run, the plans in runplan.c), rcboot and
 * rcshutdown's jails (ioc_jails_rc), and the plans of --dry-run as text.
 * What happens is told to the request's callback; nothing is printed here.
 */
#include "ops/ops.h"
#include "ops/run_int.h"
#include "core/runrec.h"

#include <string.h>
#include <unistd.h>

void
ioc_run_tell(const struct ioc_runreq *rq, enum ioc_run_event ev, const char *tag, const char *uuid,
    const char *jid, const char *msg, int pulled)
{
	struct ioc_run_note n;
	if (rq == NULL || rq->report == NULL)
		return;
	n.ev = ev;
	n.tag = tag;
	n.uuid = uuid;
	n.jid = jid;
	/* a failure always says something; the other events carry no message */
	n.msg = msg ? msg : ev == IOC_RUN_FAILED || ev == IOC_RUN_REFUSED ? "failed" : NULL;
	n.pulled = pulled;
	rq->report(rq->arg, rq, &n);
}

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
	return ioc_err(err,
	    "hostid mismatch, start failed: jail '%s' has hostid %s, this host's is "
	    "%s (a jail replicated to another host must not run twice): 'iocage set hostid=%s %s' "
	    "adopts it here, 'iocage start -f %s' starts it once",
	    tag, mine, host, host, tag, tag);
}

/* What never starts: a template, a replica, a migrated jail; a foreign hostid without -f. */
static int
ioc_run_startable(const struct ioc_jail *j, int force, struct ioc_error **err)
{
	const char *tag = ioc_jail_get(j, "tag");
	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err,
		    "'%s' is a template (template=yes) and is never started: "
		    "clone a jail from it ('iocage create -t %s')",
		    tag, tag);
	if (ioc_jail_is_replica(j))
		return ioc_err(err,
		    "'%s' is a replica (a synced copy of a jail of another root, "
		    "iocage sync) and never starts here",
		    tag);
	if (ioc_jail_is_migrated(j))
		return ioc_err(err,
		    "'%s' was migrated to %s (iocage migrate) and never starts here: it runs "
		    "there; 'iocage destroy %s' removes this copy",
		    tag, ioc_jail_get(j, "migrated"), tag);
	return force ? 0 : ioc_run_hostid_check(j, err);
}

/* Stops j (it runs, or an interrupted start or stop left something); its record goes. */
static int
ioc_run_stop1(const struct ioc_root *root, const struct ioc_runreq *rq, struct ioc_jail *j,
    int running, int force, int pulled, struct ioc_error **err)
{
	if (ioc_engine()->stop(root, j, force, err) != 0)
		return -1;
	ioc_runrec_remove(root->name, j->uuid);
	ioc_run_tell(rq, running ? IOC_RUN_STOPPED : IOC_RUN_IDLE, ioc_jail_get(j, "tag"), j->uuid,
	    NULL, NULL, pulled);
	return 0;
}

/* Starts j and writes its run-time record. */
static int
ioc_run_start1(const struct ioc_root *root, const struct ioc_runreq *rq, struct ioc_jail *j,
    int pulled, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_error *e2 = NULL;
	struct ioc_jstate st;
	if (e->start(root, j, err) != 0)
		return -1;
	/* a hint for exec and console; without it they read ZFS as before */
	if (e->running && ioc_runrec_write(root, j, &e2) != 0) {
		ioc_note("%s: %s", tag, e2->msg);
		ioc_error_free(e2);
	}
	if (ioc_ops_state1(root, j, &st, err) != 0)
		return -1;
	ioc_run_tell(rq, IOC_RUN_STARTED, tag, j->uuid, st.jid, NULL, pulled);
	return 0;
}

static int ioc_jail_run_held(const struct ioc_root *root, struct ioc_jail *j,
    const struct ioc_runreq *rq, enum ioc_act act, int force, int pulled, int lockfd,
    struct ioc_error **err);

int
ioc_jail_run(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_runreq *rq,
    enum ioc_act act, int force, int pulled, struct ioc_error **err)
{
	const char *tag = ioc_jail_get(j, "tag");
	int lockfd;

	if (act != IOC_ACT_STOP && ioc_run_startable(j, force, err) != 0)
		return -1;
	lockfd = ioc_lock_jail(root, j->uuid, err);
	if (lockfd < 0)
		return -1;
	/* a record still there under the lock: neither stopped nor destroyed meanwhile */
	if (!(j->recorded && ioc_runrec_present(root->name, j->uuid)) &&
	    !ioc_zfs_exists(j->dataset)) {
		close(lockfd);
		return ioc_err(err, "jail '%s' was destroyed meanwhile", tag);
	}
	return ioc_jail_run_held(root, j, rq, act, force, pulled, lockfd, err);
}

/* ioc_jail_run once j is loaded under its lock (lockfd, closed here). */
static int
ioc_jail_run_held(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_runreq *rq,
    enum ioc_act act, int force, int pulled, int lockfd, struct ioc_error **err)
{
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_jstate st;
	int rc = -1;

	if (ioc_ops_state1(root, j, &st, err) != 0)
		goto out;
	if (act == IOC_ACT_START && st.running) {
		ioc_run_tell(rq, IOC_RUN_ALREADY, tag, j->uuid, st.jid, NULL, pulled);
		rc = 0;
		goto out;
	}
	if (act == IOC_ACT_STOP && !st.running) {
		/* the engine still removes what an interrupted start or stop left */
		rc = ioc_run_stop1(root, rq, j, 0, force, pulled, err);
		goto out;
	}
	if ((act == IOC_ACT_STOP || act == IOC_ACT_RESTART) && st.running &&
	    ioc_run_stop1(root, rq, j, 1, force, pulled, err) != 0)
		goto out;
	if ((act == IOC_ACT_START || act == IOC_ACT_RESTART) &&
	    ioc_run_start1(root, rq, j, pulled, err) != 0)
		goto out;
	rc = 1;
out:
	close(lockfd);
	return rc;
}

/* Acts on a list of jails; one failing does not stop the others. */
static int
ioc_run_many(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err)
{
	size_t i;
	t->total = n;
	for (i = 0; i < n; i++) {
		struct ioc_error *e1 = NULL;
		int r = ioc_jail_run(root, v[i], rq, rq->act, rq->force, 0, &e1);
		if (r < 0) {
			t->failed++;
			if (n == 1) {
				*err = e1;
				return -1;
			}
			ioc_run_tell(rq, IOC_RUN_FAILED, ioc_jail_get(v[i], "tag"), v[i]->uuid,
			    NULL, e1 ? e1->msg : NULL, 0);
			ioc_error_free(e1);
		} else if (r > 0)
			t->done++;
	}
	t->summary = n > 1;
	if (t->failed)
		return ioc_err(err, "%s: %zu of %zu jails failed", rq->cmd, t->failed, n);
	return 0;
}

int
ioc_jails_run(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err)
{
	size_t i;
	int deps = 0;
	memset(t, 0, sizeof(*t));
	if (n == 0)
		return 0;
	if (rq->act == IOC_ACT_STOP) {
		/* one jail, and no other runs: no dependent to stop first, no plan (a
		 * read of every jail's dependencies less) */
		const struct ioc_engine_ops *e = ioc_engine();
		if (n == 1 && rq->jobs <= 1 && e->others_running && !e->others_running(v, n))
			return ioc_run_many(root, v, n, rq, t, err);
		return ioc_run_stop_plan(root, v, n, rq, t, err);
	}
	for (i = 0; i < n; i++)
		deps |= strcmp(ioc_jail_get(v[i], "depends"), "none") != 0;
	if (deps || (rq->jobs > 1 && n > 1))
		return ioc_run_start_plan(root, v, n, rq, t, err);
	return ioc_run_many(root, v, n, rq, t, err); /* no depends: as ever */
}

int
ioc_jail_stop_recorded(const struct ioc_root *root, const char *name, const struct ioc_runreq *rq,
    struct ioc_run_tally *t, int *rc, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_jails js;
	struct ioc_jail *j;
	memset(t, 0, sizeof(*t));
	if (rq->act != IOC_ACT_STOP || rq->jobs > 1 || e->others_running == NULL ||
	    !ioc_jail_from_record(root, name, 1, &js, &j))
		return 0;
	/* another container runs: it may depend on this one, the plan decides */
	if (e->others_running(&j, 1)) {
		ioc_jails_release(&js);
		return 0;
	}
	*rc = ioc_run_many(root, &j, 1, rq, t, err);
	ioc_jails_release(&js);
	return 1;
}

int
ioc_jail_start_locked(const struct ioc_root *root, const char *name, const struct ioc_runreq *rq,
    struct ioc_run_tally *t, int *rc, struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	int fd, r;
	memset(t, 0, sizeof(*t));
	if (rq->act != IOC_ACT_START || rq->jobs > 1)
		return 0;
	r = ioc_jail_load_locked(root, name, &js, &j, &fd, err);
	if (r <= 0) {
		*rc = r;
		return r < 0;
	}
	/* its dependencies start first: the plan does that */
	if (strcmp(ioc_jail_get(j, "depends"), "none") != 0) {
		close(fd);
		ioc_jails_release(&js);
		return 0;
	}
	t->total = 1;
	if (ioc_run_startable(j, rq->force, err) != 0) {
		close(fd);
		r = -1;
	} else
		r = ioc_jail_run_held(root, j, rq, IOC_ACT_START, rq->force, 0, fd, err);
	t->failed += r < 0;
	t->done += r > 0;
	*rc = r < 0 ? -1 : 0;
	ioc_jails_release(&js);
	return 1;
}

/* boot order: priority ascending, then tag; rcshutdown takes it backwards. */
static int
ioc_cmp_prio(const void *a, const void *b)
{
	const struct ioc_jail *x = *(struct ioc_jail *const *)a, *y = *(struct ioc_jail *const *)b;
	long long px = 99, py = 99;
	ioc_parse_ll(ioc_jail_get(x, "priority"), 0, 999, &px);
	ioc_parse_ll(ioc_jail_get(y, "priority"), 0, 999, &py);
	return px < py ? -1 : px > py ? 1 : strcmp(ioc_jail_get(x, "tag"), ioc_jail_get(y, "tag"));
}

int
ioc_jails_rc(const struct ioc_root *root, const struct ioc_runreq *rq, struct ioc_run_tally *t,
    struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail **v, *s;
	size_t i, n = 0;
	int rc = 0;
	memset(t, 0, sizeof(*t));
	if (ioc_jails_load(root, NULL, &js, err) != 0)
		return -1;
	v = ioc_xcalloc(js.n + 1, sizeof(*v));
	for (i = 0; i < js.n; i++)
		if (js.v[i].complete && ioc_parse_bool(ioc_jail_get(&js.v[i], "boot")) == 1 &&
		    strcmp(ioc_jail_get(&js.v[i], "template"), "yes") != 0 &&
		    !ioc_jail_is_replica(&js.v[i]) && !ioc_jail_is_migrated(&js.v[i]))
			v[n++] = &js.v[i]; /* a replica keeps its source's boot=on, never starts */
	qsort(v, n, sizeof(*v), ioc_cmp_prio);
	for (i = 0; rq->act == IOC_ACT_STOP && i < n / 2; i++) {
		s = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = s;
	}
	/*
	 * Dependencies go before their dependents whatever their priority (and
	 * start even with boot=off); at shutdown running dependents stop first.
	 */
	if (n > 0)
		rc = rq->act == IOC_ACT_STOP ? ioc_run_stop_plan(root, v, n, rq, t, err) :
					       ioc_run_start_plan(root, v, n, rq, t, err);
	free(v);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_jails_dry(const struct ioc_root *root, struct ioc_jail **v, size_t n, const char *const *steps,
    struct ioc_sb *out, struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	size_t i, k;
	if (e->dry_run == NULL)
		return ioc_err(err,
		    "--dry-run: the %s engine calls liblxc directly and has no "
		    "command lines to show (IOCAGE_ENGINE=freebsd prints the jail(8) plan)",
		    e->name);
	for (i = 0; i < n; i++)
		for (k = 0; steps[k]; k++) {
			_cleanup_sb_ struct ioc_sb one = IOC_SB_INIT;
			ioc_sb_init(&one);
			if (e->dry_run(root, v[i], steps[k], &one, err) != 0)
				return -1;
			ioc_sb_addf(out, "# %s %s (%s)\n%s", steps[k], ioc_jail_get(v[i], "tag"),
			    v[i]->uuid, one.buf ? one.buf : "");
		}
	return 0;
}
