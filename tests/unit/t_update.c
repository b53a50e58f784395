/*
 * t_update.c — the commands `update` runs, compared with
 * tests/golden/freebsd/update.golden (freebsd-update against a jail's root;
 * apt-get inside a Linux jail).  UPDATE_GOLDEN=1 rewrites the file on purpose.
 */
#include "spawn/spawn.h"
#include "engine/update.h"

#include <stdio.h>
#include <string.h>

int
main(void)
{
	const char *dir = getenv("IOC_GOLDEN_DIR") ? getenv("IOC_GOLDEN_DIR") : "tests/golden/freebsd";
	char *path = ioc_xasprintf("%s/update.golden", dir);
	struct ioc_sb out = IOC_SB_INIT;
	char *want = NULL;
	size_t len;
	int n, rc = 0;

	ioc_sb_init(&out);
	{
		struct ioc_strv a = IOC_STRV_INIT;
		char *s;
		const char *jroot = "/tank/iocage/jails/0b6c2f1e-1111-4222-8333-444455556666/root";
		ioc_update_freebsd_argv(jroot,
		    "/tank/iocage/jails/0b6c2f1e-1111-4222-8333-444455556666/freebsd-update",
		    "13.2-RELEASE", &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "freebsd: %s\n", s);
		free(s);
		/* host root never takes its configuration or work directory from the jail */
		for (n = 0; n + 1 < (int)a.n; n++) {
			if ((strcmp(a.v[n], "-d") == 0 || strcmp(a.v[n], "-f") == 0) &&
			    strncmp(a.v[n + 1], jroot, strlen(jroot)) == 0) {
				fprintf(stderr, "t_update: %s %s lies in the jail's root\n", a.v[n],
				    a.v[n + 1]);
				rc = 1;
			}
		}
		ioc_strv_release(&a);
		/* fetch: a release's root, the work directory beside it (1.7.6 __fetch_release
		 * used the release's own freebsd-update.conf and a work dir inside the root) */
		ioc_update_freebsd_argv("/tank/iocage/releases/13.2-RELEASE/root",
		    "/tank/iocage/releases/13.2-RELEASE/freebsd-update", "13.2-RELEASE", &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "freebsd fetch: %s\n", s);
		free(s);
		ioc_strv_release(&a);
		/* a root path with a space stays one word */
		ioc_update_freebsd_argv("/mnt/my pool/jails/x/root", "/mnt/my pool/jails/x/freebsd-update",
		    "14.0-RELEASE", &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "freebsd: %s\n", s);
		free(s);
		ioc_strv_release(&a);
	}
	for (n = 0; n < IOC_UPDATE_APT_STEPS; n++) {
		struct ioc_strv a = IOC_STRV_INIT;
		char *s;
		ioc_update_apt_argv(n, &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "linux: %s\n", s);
		free(s);
		ioc_strv_release(&a);
	}
	/* upgrade (1.7.6 lib/ioc-upgrade __upgrade: UNAME_r, PAGER, -r NEW upgrade, then install) */
	for (n = 0; n < 2; n++) {
		struct ioc_strv a = IOC_STRV_INIT;
		char *s;
		ioc_upgrade_freebsd_argv("/tank/iocage/jails/0b6c2f1e-1111-4222-8333-444455556666/root",
		    "/tank/iocage/jails/0b6c2f1e-1111-4222-8333-444455556666/freebsd-update",
		    "13.2-RELEASE", "14.1-RELEASE", n, &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "freebsd upgrade: %s\n", s);
		free(s);
		ioc_strv_release(&a);
	}
	{
		struct ioc_strv a = IOC_STRV_INIT, files = IOC_STRV_INIT;
		char *s;
		ioc_strv_push(&files, "/etc/apt/sources.list");
		ioc_strv_push(&files, "/etc/apt/sources.list.d/debian.sources");
		ioc_upgrade_sources_argv("bookworm", "trixie", &files, &a);
		s = ioc_argv_str(ioc_strv_argv(&a));
		ioc_sb_addf(&out, "linux upgrade: %s\n", s);
		free(s);
		ioc_strv_release(&a);
		ioc_strv_release(&files);
		for (n = 0; n < IOC_UPDATE_APT_STEPS; n++) {
			ioc_upgrade_apt_argv(n, &a);
			s = ioc_argv_str(ioc_strv_argv(&a));
			ioc_sb_addf(&out, "linux upgrade: %s\n", s);
			free(s);
			ioc_strv_release(&a);
		}
	}
	if (getenv("UPDATE_GOLDEN")) {
		if (ioc_write_file_atomic(path, out.buf, out.len, 0644, NULL) != 0)
			rc = 1;
	} else if (ioc_read_file(path, 1 << 20, &want, &len, NULL) != 0 || len != out.len ||
	    memcmp(want, out.buf, len) != 0) {
		fprintf(stderr, "t_update: %s differs; got:\n%s", path, out.buf);
		rc = 1;
	}
	if (rc == 0)
		printf("t_update: ok\n");
	free(want);
	free(path);
	ioc_sb_release(&out);
	return rc;
}
