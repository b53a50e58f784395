/* f_pkglist.c — libFuzzer target: package lists (lines and the JSON form). */
#include "core/pkglist.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	struct ioc_strv out = IOC_STRV_INIT;
	struct ioc_error *e = NULL;
	size_t i;
	if (ioc_pkglist_parse(s, &out, &e) == 0)
		for (i = 0; i < out.n; i++) {
			const char *p;
			/* a name can never be an option, a path or carry a shell word break */
			if (!isalnum((unsigned char)out.v[i][0]))
				__builtin_trap();
			for (p = out.v[i]; *p; p++)
				if (strchr(" \t\n;$`'\"/\\|&<>()", *p))
					__builtin_trap();
		}
	ioc_strv_release(&out);
	ioc_error_free(e);
	free(s);
	return 0;
}
