/* cmd_fetch.c — placeholder until the fetch module lands (see issue 2). */
#include "commands.h"

int
ioc_cmd_fetch(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	(void)ctx; (void)argc; (void)argv;
	return ioc_err(err, "fetch: not built yet");
}
