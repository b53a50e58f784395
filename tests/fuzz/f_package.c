/* f_package.c — libFuzzer target: the differential package's manifest and
 * deletions parsers (record.h); what they accept round-trips through the
 * formatter and escaper, and no accepted path can leave the tree. */
#include "image/record.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_pkg_manifest m, m2;
	struct ioc_strv dels = IOC_STRV_INIT, dels2 = IOC_STRV_INIT;
	struct ioc_error *e = NULL;
	size_t i;

	if (ioc_pkg_manifest_parse((const char *)data, size, &m, &e) == 0) {
		char *t = ioc_pkg_manifest_format(&m);
		if (ioc_pkg_manifest_parse(t, strlen(t), &m2, NULL) != 0 ||
		    strcmp(m.release, m2.release) != 0 || strcmp(m.tag, m2.tag) != 0 ||
		    m.files != m2.files || m.deletions != m2.deletions ||
		    strchr(m.release, '/') != NULL)
			__builtin_trap();
		ioc_pkg_manifest_release(&m2);
		ioc_pkg_manifest_release(&m);
		free(t);
	}
	ioc_error_free(e);
	e = NULL;
	if (ioc_record_parse_deletions((const char *)data, size, &dels, &e) == 0) {
		struct ioc_sb sb = IOC_SB_INIT;
		ioc_sb_init(&sb);
		for (i = 0; i < dels.n; i++) {
			const char *p = dels.v[i];
			char *esc;
			size_t n = strlen(p);
			/* never absolute, never a '..' component */
			if (p[0] == '/' || strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 ||
			    strstr(p, "/../") || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
				__builtin_trap();
			esc = ioc_record_escape(p);
			ioc_sb_addf(&sb, "%s\n", esc);
			free(esc);
		}
		if (ioc_record_parse_deletions(sb.buf, sb.len, &dels2, NULL) != 0 || dels2.n != dels.n)
			__builtin_trap();
		for (i = 0; i < dels.n; i++)
			if (strcmp(dels.v[i], dels2.v[i]) != 0)
				__builtin_trap();
		ioc_sb_release(&sb);
	}
	ioc_error_free(e);
	ioc_strv_release(&dels);
	ioc_strv_release(&dels2);
	return 0;
}
