/*
 * runplan.h — start/stop orchestration shared by cmd_run.c (the commands)
 * and cmd_runplan.c (dependencies, parallel workers).  Private to src/cli.
 */
#ifndef IOC_RUNPLAN_H
#define IOC_RUNPLAN_H

#include "cli/commands.h"

enum ioc_act { IOC_ACT_START, IOC_ACT_STOP, IOC_ACT_RESTART };

/* What a command asks of the plan runner. */
struct ioc_runreq {
	const char *cmd; /* start, stop, restart, rcboot, rcshutdown */
	enum ioc_act act; /* for the targets; pulled-in jails are started or stopped */
	int force; /* -f: the targets' own meaning (hostid at start, no hooks at stop) */
	int cascade; /* stop: running dependents are stopped first (stop -f, rcshutdown) */
	int keep_going; /* ALL, rcboot, rcshutdown: a target that cannot be planned fails alone */
	int rc; /* rcboot/rcshutdown: their messages and summary */
	unsigned jobs; /* -j: at most this many jails at once; 1: one after the other */
};

/*
 * One jail: lock, look at its state, act.  1: done, 0: nothing to do, -1:
 * failed.  quiet: a dependency started on the way says nothing when it runs;
 * 2: nothing is printed (cmd_run.c).
 */
int ioc_run_one(struct ioc_ctx *ctx, struct ioc_jail *j, enum ioc_act act, int force, int quiet,
    struct ioc_error **err);
/* start/restart of the jails v: their dependencies first (cmd_runplan.c). */
int ioc_run_start_plan(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_error **err);
/* stop of the jails v: running dependents first with rq->cascade, else refused. */
int ioc_run_stop_plan(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_error **err);
/* --dry-run of start and restart: the dependencies' plans first. */
int ioc_run_dry_start(struct ioc_ctx *ctx, struct ioc_jail **v, size_t n, const char *const *steps,
    struct ioc_error **err);

#endif
