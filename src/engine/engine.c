/* engine.c — which engine runs jails on this host. */
#include "engine/engine.h"

#include <string.h>

/* Weak: the FreeBSD engine may be absent from a build (Linux before it lands). */
extern const struct ioc_engine_ops ioc_engine_freebsd __attribute__((weak));

const struct ioc_engine_ops *
ioc_engine(void)
{
	const char *force = getenv("IOCAGE_ENGINE");
	/* tests of the FreeBSD engine on Linux choose it explicitly */
	if (force && strcmp(force, "freebsd") == 0 && &ioc_engine_freebsd != NULL)
		return &ioc_engine_freebsd;
#ifdef __linux__
	return &ioc_engine_linux;
#else
	return &ioc_engine_freebsd;
#endif
}

int
ioc_engine_need(const void *op, const char *what, struct ioc_error **err)
{
	if (op == NULL)
		return ioc_err(err, "%s: not supported by the %s engine", what, ioc_engine()->name);
	return 0;
}
