/* cmd_run.c — placeholder until the engine lands (see issue 3). */
#include "commands.h"

#define NOTYET(n) int ioc_cmd_##n(struct ioc_ctx *c, int a, char **v, struct ioc_error **e) \
	{ (void)c; (void)a; (void)v; return ioc_err(e, #n ": not built yet"); }
NOTYET(start) NOTYET(stop) NOTYET(restart) NOTYET(exec) NOTYET(console) NOTYET(chroot)
NOTYET(rcboot) NOTYET(rcshutdown) NOTYET(runtime) NOTYET(cap) NOTYET(limits) NOTYET(uncap)
NOTYET(inuse)

int
ioc_run_states(struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	(void)ctx; (void)js; (void)st; (void)err;
	return 0;
}

int
ioc_run_stop_for_destroy(struct ioc_ctx *ctx, struct ioc_jail *j, struct ioc_error **err)
{
	(void)ctx; (void)j; (void)err;
	return 0;
}

int
ioc_run_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	(void)p; (void)value; (void)err;
	return 0;
}
