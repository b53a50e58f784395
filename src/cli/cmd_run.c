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
 * each by a forked worker.  The acting is ops/run.c's; this file parses,
 * resolves the names and prints what ops tells (ioc_run_print).
 */
#include "cli/commands.h"
#include "engine/engine.h"
#include "ops/ops.h"
#include "spawn/spawn.h"

#include <string.h>
#include <unistd.h>

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

/* Prints what start and stop tell as they go (ops/run.c): the shell iocage's lines. */
void
ioc_run_print(void *arg, const struct ioc_runreq *rq, const struct ioc_run_note *n)
{
	_cleanup_free_ char *m = NULL;
	(void)arg;
	switch (n->ev) {
	case IOC_RUN_ALREADY:
		if (!n->pulled) /* a dependency found running says nothing */
			printf("%s (%s) is already running (JID %s)\n", n->tag, n->uuid, n->jid);
		break;
	case IOC_RUN_IDLE: printf("%s (%s) is not running\n", n->tag, n->uuid); break;
	case IOC_RUN_STOPPED: printf("%s (%s) stopped\n", n->tag, n->uuid); break;
	case IOC_RUN_STARTED: printf("%s (%s) started, JID %s\n", n->tag, n->uuid, n->jid); break;
	case IOC_RUN_FAILED:
		m = ioc_msg_printable(n->msg);
		if (rq->rc)
			fprintf(stderr, "iocage: %s: %s: %s\n", rq->cmd, n->tag, m);
		else
			fprintf(stderr, "iocage: cannot %s %s: %s\n", rq->cmd, n->tag, m);
		break;
	case IOC_RUN_REFUSED:
		m = ioc_msg_printable(n->msg);
		fprintf(stderr, "iocage: %s%s%s\n", rq->rc ? rq->cmd : "", rq->rc ? ": " : "", m);
		break;
	}
	/* in order with the hooks' output, and whole before a -j worker ends */
	fflush(stdout);
	fflush(stderr);
}

/* The summary line after several jails (rcboot and rcshutdown: always). */
static void
ioc_run_summary(const struct ioc_runreq *rq, const struct ioc_run_tally *t)
{
	if (!t->summary)
		return;
	if (rq->rc)
		printf("%s: %zu jails, %zu failed\n", rq->cmd, t->total, t->failed);
	else
		printf("%s: %zu of %zu jails done, %zu failed, %zu had nothing to do\n", rq->cmd,
		    t->done, t->total, t->failed, t->total - t->done - t->failed);
	fflush(stdout);
}

/* --dry-run of start, stop and restart: the plans, printed; nothing changes. */
static int
ioc_run_dry_plans(
    struct ioc_ctx *ctx, int argc, char **argv, enum ioc_act act, struct ioc_error **err)
{
	static const char *const start[] = { "start", NULL }, *const stop[] = { "stop", NULL },
				 *const restart[] = { "stop", "start", NULL };
	_cleanup_sb_ struct ioc_sb out = IOC_SB_INIT;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail **v = NULL;
	size_t n;
	int rc;
	if (ioc_run_targets(ctx, argc, argv, &js, &v, &n, err) != 0)
		return -1;
	ioc_sb_init(&out);
	if (act == IOC_ACT_STOP)
		rc = ioc_jails_dry(&ctx->root, v, n, stop, &out, err);
	else
		rc = ioc_jails_dry_start(
		    &ctx->root, v, n, act == IOC_ACT_START ? start : restart, &out, err);
	if (rc == 0 && out.buf)
		fputs(out.buf, stdout);
	free(v);
	ioc_jails_release(&js);
	return rc;
}

static int
ioc_run_lifecycle(struct ioc_ctx *ctx, int argc, char **argv, enum ioc_act act, const char *cmd,
    struct ioc_error **err)
{
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail **v = NULL;
	struct ioc_runreq rq;
	struct ioc_run_tally t;
	size_t n;
	int k = ioc_opts_parse(ctx, cmd, "fj:", argc - 1, argv + 1, &o, err), rc, all = 0, q;
	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, cmd);
	for (q = 0; q < argc; q++)
		all |= strcmp(argv[q], "ALL") == 0;
	memset(&rq, 0, sizeof(rq));
	if (ioc_run_jobs(cmd, &o, all, &rq.jobs, err) != 0)
		return -1;
	if (ctx->dry_run)
		return ioc_run_dry_plans(ctx, argc, argv, act, err);
	if (ioc_engine_need((const void *)e->start, cmd, err) != 0 ||
	    ioc_engine_need((const void *)e->stop, cmd, err) != 0)
		return -1;
	rq.cmd = cmd;
	rq.act = act;
	rq.force = o.seen['f'];
	rq.cascade = o.seen['f'];
	rq.keep_going = all;
	rq.report = ioc_run_print;
	/* stop of one running jail, the root named: its run-time record, no ZFS;
	 * the engine's stop prepares itself only if it enters the jail (exec_stop) */
	if (act == IOC_ACT_STOP && argc == 1 && !all && ctx->root_arg != NULL &&
	    ioc_jail_stop_recorded(&ctx->root, argv[0], &rq, &t, &rc, err))
		return rc;
	if (ioc_ops_prepare(err) != 0)
		return -1;
	/* start of one jail: its lock before its read, one ZFS read less */
	if (act == IOC_ACT_START && argc == 1 && !all &&
	    ioc_jail_start_locked(&ctx->root, argv[0], &rq, &t, &rc, err))
		return rc;
	if (ioc_run_targets(ctx, argc, argv, &js, &v, &n, err) != 0)
		return -1;
	rc = ioc_jails_run(&ctx->root, v, n, &rq, &t, err);
	if (n == 0)
		printf("%s: no jails\n", cmd);
	ioc_run_summary(&rq, &t);
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

/* rcboot and rcshutdown (argv[0]). */
int
ioc_cmd_rc(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	const char *cmd = argv[0];
	int boot = strcmp(cmd, "rcboot") == 0;
	struct ioc_opts o;
	struct ioc_runreq rq;
	struct ioc_run_tally t;
	int rc, k = ioc_opts_parse(ctx, cmd, "j:", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (argc - 1 - k != 0)
		return ioc_usage(err, cmd);
	memset(&rq, 0, sizeof(rq));
	if (ioc_run_jobs(cmd, &o, 1, &rq.jobs, err) != 0 || ioc_ops_prepare(err) != 0)
		return -1;
	/* a summary line even for one jail: rc scripts log it */
	rq.cmd = cmd;
	rq.act = boot ? IOC_ACT_START : IOC_ACT_STOP;
	rq.cascade = 1;
	rq.keep_going = 1;
	rq.rc = 1;
	rq.report = ioc_run_print;
	rc = ioc_jails_rc(&ctx->root, &rq, &t, err);
	if (rc == 0 && t.total == 0)
		printf("%s: no jails with boot=on\n", cmd);
	ioc_run_summary(&rq, &t);
	return rc;
}

/* Runs a command inside a running jail (exec, console); its status is the command's. */
static int
ioc_run_exec(
    struct ioc_ctx *ctx, const char *name, struct ioc_exec_opts *xo, struct ioc_error **err)
{
	int status = 0;
	fflush(stdout);
	if (ioc_jail_exec(&ctx->root, name, ctx->root_arg != NULL, xo, &status, err) != 0)
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
