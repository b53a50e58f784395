/* f_zfs_get.c — libFuzzer target: `zfs get -H -p` output parsing. */
#include "zfs/zfs.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	struct ioc_zrows r;
	struct ioc_error *e = NULL;
	size_t i;
	ioc_zrows_init(&r);
	if (ioc_zfs_parse_get(s, size & 1, &r, &e) == 0) {
		for (i = 0; i < r.n; i++)
			if (!ioc_zfs_valid_name(r.v[i].name) || strchr(r.v[i].source, '\t') ||
			    strchr(r.v[i].prop, '\t') || strchr(r.v[i].value, '\n'))
				__builtin_trap();
	}
	ioc_error_free(e);
	ioc_zrows_release(&r);
	free(s);
	return 0;
}
