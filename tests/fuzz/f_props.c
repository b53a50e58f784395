/* f_props.c — libFuzzer target: property values of every type, and name=value parsing.
 * The first byte picks the property; a value that validates must validate again
 * in its canonical form to the same canonical form. */
#include "core/props.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ioc_prop *p, *q;
	char *v, *c = NULL, *c2 = NULL;
	struct ioc_error *e = NULL;
	if (size < 1)
		return 0;
	p = &ioc_props[data[0] % ioc_nprops];
	v = ioc_xstrndup((const char *)data + 1, size - 1);
	if (ioc_prop_validate(p, v, &c, &e) == 0) {
		if (ioc_prop_validate(p, c, &c2, NULL) != 0 || strcmp(c, c2) != 0)
			__builtin_trap();
		if (strchr(c, '\n'))
			__builtin_trap();
	}
	free(c);
	free(c2);
	ioc_error_free(e);
	e = NULL;
	c = NULL;
	if (ioc_prop_parse_assign(v, data[0] & 1, &q, &c, &e) == 0 && strchr(c, '\n'))
		__builtin_trap();
	free(c);
	ioc_error_free(e);
	e = NULL;
	(void)ioc_valid_tag(v, NULL);
	(void)ioc_valid_release(v, NULL);
	free(v);
	return 0;
}
