/*
 * cmd_run.c — the commands that run jails: start, stop, restart, rcboot,
 * rcshutdown, exec, console, chroot; and the runtime hooks of the core
 * commands (commands.h).  runtime, inuse, cap, uncap, limits: cmd_limits.c.
 *
 * Every handler: parse, resolve every name (an unknown one changes
 * nothing), then act jail by jail under the jail's lock.  One jail failing
 * does not stop the others; a command naming one jail reports that jail's
 * error as is, several get a line each and a summary.  With -j N (the
 * default for ALL, rcboot and rcshutdown) up to N jails are acted on at once,
 * each by a forked worker (ioc_plan_parallel).
 */
#include "cli/commands.h"
#include "cli/runplan.h"
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

int
ioc_run_need(
    const struct ioc_engine_ops *e, const void *op, const char *what, struct ioc_error **err)
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
ioc_run_states(
    struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_jstate *st, struct ioc_error **err)
{
	return ioc_ops_states(&ctx->root, js, st, err);
}

int
ioc_run_state1(
    struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_jstate *st, struct ioc_error **err)
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
	return ioc_err(err,
	    "hostid mismatch, start failed: jail '%s' has hostid %s, this host's is "
	    "%s (a jail replicated to another host must not run twice): 'iocage set hostid=%s %s' "
	    "adopts it here, 'iocage start -f %s' starts it once",
	    tag, mine, host, host, tag, tag);
}

/*
 * One jail: lock, look at its state, act.  1: done, 0: nothing to do, -1:
 * failed.  quiet: a dependency started on the way says nothing when it runs;
 * 2: nothing at all (migrate --json prints its own row).
 */
int
ioc_run_one(struct ioc_ctx *ctx, struct ioc_jail *j, enum ioc_act act, int force, int quiet,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	const char *tag = ioc_jail_get(j, "tag");
	struct ioc_jstate st;
	int lockfd, rc = -1;

	if (act != IOC_ACT_STOP && strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err,
		    "'%s' is a template (template=yes) and is never started: "
		    "clone a jail from it ('iocage create -t %s')",
		    tag, tag);
	if (act != IOC_ACT_STOP && ioc_jail_is_replica(j))
		return ioc_err(err,
		    "'%s' is a replica (a synced copy of a jail of another root, "
		    "iocage sync) and never starts here",
		    tag);
	if (act != IOC_ACT_STOP && ioc_jail_is_migrated(j))
		return ioc_err(err,
		    "'%s' was migrated to %s (iocage migrate) and never starts here: it runs "
		    "there; 'iocage destroy %s' removes this copy",
		    tag, ioc_jail_get(j, "migrated"), tag);
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
			if (quiet < 2)
				printf("%s (%s) is not running\n", tag, j->uuid);
		}
		goto out;
	}
	if ((act == IOC_ACT_STOP || act == IOC_ACT_RESTART) && st.running) {
		if (e->stop(&ctx->root, j, force, err) != 0)
			goto out;
		ioc_runrec_remove(ctx->root.name, j->uuid);
		if (quiet < 2)
			printf("%s (%s) stopped\n", tag, j->uuid);
	}
	if (act == IOC_ACT_START || act == IOC_ACT_RESTART) {
		struct ioc_error *e2 = NULL;
		if (e->start(&ctx->root, j, err) != 0)
			goto out;
		/* a hint for exec and console; without it they read ZFS as before */
		if (e->running && ioc_runrec_write(&ctx->root, j, &e2) != 0) {
			ioc_note("%s: %s", tag, e2->msg);
			ioc_error_free(e2);
		}
		if (ioc_run_state1(ctx, j, &st, err) != 0)
			goto out;
		if (quiet < 2)
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
			fprintf(stderr, "iocage: cannot %s %s: %s\n", verb,
			    ioc_jail_get(v[i], "tag"), m);
			fflush(stderr);
			ioc_error_free(e1);
		} else if (r > 0)
			done++;
	}
	if (n > 1)
		printf("%s: %zu of %zu jails done, %zu failed, %zu had nothing to do\n", verb, done,
		    n, failed, n - done - failed);
	if (failed)
		return ioc_err(err, "%s: %zu of %zu jails failed", verb, failed, n);
	return 0;
}

/*
 * --dry-run: the engine's plan for each jail, as the command lines it would
 * run; nothing is locked, started, stopped or written.  The Linux engine
 * drives liblxc directly and has no command lines to show.
 */
int
ioc_run_dry(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, const char *const *steps,
    struct ioc_error **err)
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
 * -j N: how many jails a command starts or stops at once.  Without it, the
 * number of online CPUs for ALL, rcboot and rcshutdown, else one at a time.
 */
static int
ioc_run_jobs(
    const char *cmd, const struct ioc_opts *o, int many, unsigned *jobs, struct ioc_error **err)
{
	long long v = 1;
	if (o->seen['j']) {
		if (ioc_parse_ll(o->val['j'], 1, IOC_RUN_JOBS_MAX, &v) != 0)
			return ioc_fail(err, IOC_EXIT_USAGE,
			    "%s: invalid value '%s' for -j: expected the "
			    "number of jails to %s at once, 1 to %d (1: one after the other)",
			    cmd, o->val['j'],
			    strcmp(cmd, "stop") == 0 || strcmp(cmd, "rcshutdown") == 0 ? "stop" :
											 "start",
			    IOC_RUN_JOBS_MAX);
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
		static const char *const start[] = { "start", NULL },
					 *const stop[] = { "stop", NULL },
					 *const restart[] = { "stop", "start", NULL };
		if (ioc_run_targets(ctx, argc, argv, &js, &v, &n, err) != 0)
			return -1;
		if (act == IOC_ACT_STOP)
			rc = ioc_run_dry(ctx, v, n, stop, err);
		else
			rc = ioc_run_dry_start(
			    ctx, v, n, act == IOC_ACT_START ? start : restart, err);
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
			rc = ioc_run_many(
			    ctx, v, n, act, o.seen['f'], cmd, err); /* no depends: as ever */
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
		    strcmp(ioc_jail_get(&js.v[i], "template"), "yes") != 0 &&
		    !ioc_jail_is_replica(&js.v[i]) && !ioc_jail_is_migrated(&js.v[i]))
			v[n++] = &js.v[i]; /* a replica keeps its source's boot=on, never starts */
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
ioc_run_exec(
    struct ioc_ctx *ctx, const char *name, struct ioc_exec_opts *xo, struct ioc_error **err)
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
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "exec: -u (host user) and -U (jail user) exclude "
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
		return ioc_err(err,
		    "console needs a terminal on standard input "
		    "('iocage exec JAIL CMD' runs commands without one)");
	if (ioc_ctx_jail(ctx, argv[0], (const char *const[]) { "tag", "login_flags", NULL }, &js,
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
	if (ioc_ctx_jail(ctx, argv[0],
		(const char *const[]) { "tag", "userns", "userns_idmap", NULL }, &js, &j, err) != 0)
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
