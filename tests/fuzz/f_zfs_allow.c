/* f_zfs_allow.c — libFuzzer target: `zfs allow` output parsing (delegation check). */
#include "zfs/zfs.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	struct ioc_strv who = IOC_STRV_INIT;
	size_t n = ioc_zfs_parse_allow(s, "tank/iocage/jails/u", &who), i;
	if (n != who.n)
		__builtin_trap();
	for (i = 0; i < who.n; i++)
		if (strchr(who.v[i], '\n') || strncmp(who.v[i], "user root ", 10) == 0)
			__builtin_trap();
	ioc_strv_release(&who);
	free(s);
	return 0;
}
