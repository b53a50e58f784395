/* f_export_manifest.c — libFuzzer target: the image manifest parser, its
 * round trip through the formatter, the import property policy and the ZFS
 * stream BEGIN-record check (image.h). */
#include "image/image.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_manifest m, m2;
	struct ioc_error *e = NULL;
	struct ioc_image_ds ds = { (char *)"root", (int)(size & 1), 5736529072921847706ULL };
	size_t i;

	ioc_image_check_begin(data, size, &ds, &e);
	ioc_error_free(e);
	e = NULL;
	if (ioc_manifest_parse((const char *)data, size, &m, &e) == 0) {
		char *t = ioc_manifest_format(&m);
		struct ioc_strv z = IOC_STRV_INIT;
		/* what the parser accepts, the formatter writes back the same way */
		if (ioc_manifest_parse(t, strlen(t), &m2, NULL) != 0 || m2.nds != m.nds ||
		    m2.pnames.n != m.pnames.n || strcmp(m2.tag, m.tag) != 0)
			__builtin_trap();
		for (i = 0; i < m.nds; i++)
			if (strcmp(m.ds[i].name, m2.ds[i].name) != 0 || strstr(m.ds[i].name, "/../") ||
			    strstr(m.ds[i].name, "/./") || strstr(m.ds[i].name, "//") ||
			    (strlen(m.ds[i].name) >= 3 && strcmp(m.ds[i].name + strlen(m.ds[i].name) - 3, "/..") == 0) ||
			    (strcmp(m.ds[i].name, "root") != 0 && strncmp(m.ds[i].name, "data", 4) != 0))
				__builtin_trap();
		for (i = 0; i < m.pnames.n; i++)
			if (strcmp(m.pvalues.v[i], m2.pvalues.v[i]) != 0)
				__builtin_trap();
		if (ioc_image_plan_props(&m, NULL, NULL, 0, &z, &e) == 0) {
			/* the policy never lets a host-reaching value through */
			for (i = 0; i < z.n; i++)
				if (strncmp(z.v[i], IOC_PROP_PREFIX "fstab=", 25) == 0 ||
				    strncmp(z.v[i], IOC_PROP_PREFIX "exec_pre", 27) == 0 ||
				    strncmp(z.v[i], IOC_PROP_PREFIX "userns_idmap=", 32) == 0 ||
				    strchr(z.v[i], ':') == NULL)
					__builtin_trap();
		}
		ioc_error_free(e);
		ioc_strv_release(&z);
		ioc_manifest_release(&m2);
		ioc_manifest_release(&m);
		free(t);
	} else
		ioc_error_free(e);
	return 0;
}
