/* update.c — the commands `update` runs (update.h). */
#include "engine/update.h"

void
ioc_update_apt_argv(int n, struct ioc_strv *argv)
{
	ioc_strv_push(argv, "/usr/bin/env");
	ioc_strv_push(argv, "DEBIAN_FRONTEND=noninteractive");
	ioc_strv_push(argv, "apt-get");
	ioc_strv_push(argv, "-q");
	if (n == 0) {
		ioc_strv_push(argv, "update");
		return;
	}
	ioc_strv_push(argv, "-y");
	/* a configuration file the jail's owner changed stays as it is */
	ioc_strv_push(argv, "-o");
	ioc_strv_push(argv, "Dpkg::Options::=--force-confdef");
	ioc_strv_push(argv, "-o");
	ioc_strv_push(argv, "Dpkg::Options::=--force-confold");
	ioc_strv_push(argv, "upgrade");
}

void
ioc_upgrade_apt_argv(int n, struct ioc_strv *argv)
{
	ioc_update_apt_argv(n, argv);
	if (n == 1) {
		free(argv->v[argv->n - 1]);
		argv->v[argv->n - 1] = ioc_xstrdup("full-upgrade");
	}
}

void
ioc_upgrade_sources_argv(
    const char *old, const char *new, const struct ioc_strv *files, struct ioc_strv *argv)
{
	size_t i;
	ioc_strv_push(argv, "sed");
	ioc_strv_push(argv, "-i");
	ioc_strv_push(argv, "-e");
	ioc_strv_pushf(argv, "s/\\b%s\\b/%s/g", old, new);
	ioc_strv_push(argv, "--");
	for (i = 0; i < files->n; i++)
		ioc_strv_push(argv, files->v[i]);
}

/* freebsd-update with the jail's root, the work directory and the host's conf. */
static void
ioc_freebsd_update_base(
    const char *rootfs, const char *workdir, const char *release, struct ioc_strv *argv)
{
	ioc_strv_push(argv, "freebsd-update");
	ioc_strv_push(argv, "-b");
	ioc_strv_push(argv, rootfs);
	ioc_strv_push(argv, "-d");
	ioc_strv_push(argv, workdir);
	ioc_strv_push(argv, "-f");
	ioc_strv_push(argv, IOC_UPDATE_FREEBSD_CONF);
	ioc_strv_push(argv, "--not-running-from-cron");
	ioc_strv_push(argv, "--currently-running");
	ioc_strv_push(argv, release);
}

void
ioc_update_freebsd_argv(
    const char *rootfs, const char *workdir, const char *release, struct ioc_strv *argv)
{
	ioc_freebsd_update_base(rootfs, workdir, release, argv);
	ioc_strv_push(argv, "fetch");
	ioc_strv_push(argv, "install");
}

void
ioc_upgrade_freebsd_argv(const char *rootfs, const char *workdir, const char *old, const char *new,
    int step, struct ioc_strv *argv)
{
	ioc_strv_push(argv, "env");
	ioc_strv_pushf(argv, "UNAME_r=%s", old);
	ioc_strv_push(argv, "PAGER=cat");
	ioc_freebsd_update_base(rootfs, workdir, old, argv);
	if (step == 0) {
		ioc_strv_push(argv, "-r");
		ioc_strv_push(argv, new);
		ioc_strv_push(argv, "upgrade");
	} else
		ioc_strv_push(argv, "install");
}
