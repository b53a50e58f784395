/*
 * run_int.h — what run.c and runplan.c share inside ops: the plans that
 * order several jails by their dependencies (runplan.c) and the callback's
 * one door (run.c).  Not for other layers: they call ops.h.
 */
#ifndef IOC_OPS_RUN_INT_H
#define IOC_OPS_RUN_INT_H

#include "ops/ops.h"

/* Tells rq's callback (when it has one) what happened to one jail. */
void ioc_run_tell(const struct ioc_runreq *rq, enum ioc_run_event ev, const char *tag,
    const char *uuid, const char *jid, const char *msg, int pulled);
/*
 * start, restart, rcboot: the targets in the order given, each after the
 * jails it depends on; t counts what was done and failed.
 */
int ioc_run_start_plan(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err);
/* stop, rcshutdown: running dependents first with rq->cascade, else refused. */
int ioc_run_stop_plan(const struct ioc_root *root, struct ioc_jail **v, size_t n,
    const struct ioc_runreq *rq, struct ioc_run_tally *t, struct ioc_error **err);

#endif
