/* f_manifest.c — libFuzzer target: FreeBSD distribution MANIFESTs and apt sources text. */
#include "fetch/fetch.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
any_suite(const char *s, void *arg)
{
	(void)arg;
	return s[0] == 'b';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_fetch_manifest m;
	struct ioc_error *e = NULL;
	char *s, *mirror = NULL;
	size_t i, k;

	ioc_fetch_manifest_init(&m);
	if (ioc_fetch_manifest_parse((const char *)data, size, &m, &e) == 0) {
		if (m.n == 0)
			__builtin_trap();
		for (i = 0; i < m.n; i++) {
			const char *p;
			/* a name is a plain file name: never a path, never hidden */
			if (ioc_fetch_valid_file_name(m.v[i].name, NULL) != 0 || m.v[i].name[0] == '.')
				__builtin_trap();
			for (p = m.v[i].name; *p; p++)
				if (*p == '/' || !isprint((unsigned char)*p))
					__builtin_trap();
			if (strlen(m.v[i].sha256) != 64)
				__builtin_trap();
			for (k = 0; k < 64; k++)
				if (!isxdigit((unsigned char)m.v[i].sha256[k]) ||
				    isupper((unsigned char)m.v[i].sha256[k]))
					__builtin_trap();
			if (ioc_fetch_manifest_find(&m, m.v[i].name) != &m.v[i])
				__builtin_trap(); /* names are unique */
		}
	} else if (e == NULL || e->msg == NULL) {
		__builtin_trap();
	}
	ioc_fetch_manifest_release(&m);
	ioc_error_free(e);

	/* the same bytes as apt sources, both formats: a mirror found is a valid URL */
	s = ioc_xstrndup((const char *)data, size);
	for (k = 0; k < 2; k++) {
		if (ioc_fetch_apt_mirror_parse(s, (int)k, any_suite, NULL, &mirror) == 0 &&
		    (mirror == NULL || ioc_fetch_valid_mirror(mirror, NULL) != 0))
			__builtin_trap();
		free(mirror);
		mirror = NULL;
	}
	free(s);
	return 0;
}
