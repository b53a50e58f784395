/* f_sync_info.c — libFuzzer target: a sync-info answer read from another host over ssh. */
#include "ops/ops.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	long long *tv = NULL;
	size_t tn = 0, i;
	int exists = -1, rel = 7;
	if (ioc_sync_info_parse(s, &exists, &tv, &tn, &rel) == 0) {
		if ((exists != 0 && exists != 1) || rel < -1 || rel > 2)
			__builtin_trap();
		for (i = 0; i < tn; i++)
			if (tv[i] < 1 || tv[i] > 1000000000LL || (i && tv[i] <= tv[i - 1]))
				__builtin_trap();
	} else if (tv != NULL || tn != 0) {
		__builtin_trap();
	}
	free(tv);
	free(s);
	return 0;
}
