/*
 * engine_linux_cg.c — the Linux engine's cgroups: which hierarchy (v1 or v2)
 * runs a controller, the settings of a jail's limits, and the cleanup of what
 * liblxc leaves behind.  Linux only.
 */
#include "engine/linux/engine_linux.h"
#include "core/props.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Which hierarchy runs a controller: v2 where the host runs it, else v1. */
enum ioc_lx_cg
ioc_lx_cg_kind(const char *ctrl)
{
	static const char *const v2[] = { "/sys/fs/cgroup/cgroup.controllers",
		"/sys/fs/cgroup/unified/cgroup.controllers", NULL };
	_cleanup_free_ char *v1 = ioc_xasprintf("/sys/fs/cgroup/%s/cgroup.procs", ctrl);
	size_t i;
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0 && access(v1, F_OK) == 0)
		return IOC_CG_V1;
	for (i = 0; v2[i]; i++) {
		char *text = NULL;
		size_t len;
		struct ioc_error *e = NULL;
		_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
		if (ioc_read_file(v2[i], 4096, &text, &len, &e) != 0) {
			ioc_error_free(e);
			continue;
		}
		while (len && (text[len - 1] == '\n'))
			text[--len] = '\0';
		ioc_strv_split(&w, text, ' ');
		free(text);
		if (ioc_strv_contains(&w, ctrl))
			return IOC_CG_V2;
	}
	return IOC_CG_NONE;
}

/* Removes the (empty) cgroups liblxc leaves for a stopped container; 1 if one is busy. */
static int
ioc_lx_cg_cleanup1(const char *name)
{
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	size_t nl = strlen(name);
	int busy = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		_cleanup_free_ char *base = NULL;
		DIR *h;
		struct dirent *f;
		if (e->d_name[0] == '.')
			continue;
		base = ioc_xasprintf("/sys/fs/cgroup/%s", e->d_name);
		h = opendir(base);
		if (h == NULL)
			continue;
		while ((f = readdir(h)) != NULL) {
			const char *n = f->d_name, *rest = NULL;
			if (strncmp(n, "lxc.monitor.", 12) == 0 ||
			    strncmp(n, "lxc.payload.", 12) == 0)
				rest = n + 12;
			if (rest && strncmp(rest, name, nl) == 0 &&
			    (rest[nl] == '\0' ||
				(rest[nl] == '-' &&
				    strspn(rest + nl + 1, "0123456789") == strlen(rest + nl + 1)))) {
				_cleanup_free_ char *p = ioc_xasprintf("%s/%s", base, n);
				/* rmdir only removes an empty cgroup: never one still in use */
				if (rmdir(p) != 0 && errno == EBUSY)
					busy = 1;
			}
		}
		closedir(h);
	}
	closedir(d);
	return busy;
}

/*
 * The monitor's cgroups stay busy until the exited monitor is reaped by
 * its parent (the host's init): retry for up to 5 s.
 */
void
ioc_lx_cg_cleanup(const char *name)
{
	int i;
	for (i = 0; i < 250 && ioc_lx_cg_cleanup1(name); i++) {
		/* as a subreaper we inherit liblxc's orphans: reap them, they pin cgroups */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(20000);
	}
}

/* The mount point of the hierarchy of one /proc/self/cgroup line's controllers. */
static char *
ioc_lx_cg_mount(const char *mountinfo, const char *ctrls)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv want = IOC_STRV_INIT;
	size_t i;
	ioc_strv_split(&lines, mountinfo, '\n');
	if (*ctrls)
		ioc_strv_split(&want, ctrls, ',');
	for (i = 0; i < lines.n; i++) {
		_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
		const char *sep = strstr(lines.v[i], " - ");
		_cleanup_strv_ struct ioc_strv tail = IOC_STRV_INIT;
		_cleanup_strv_ struct ioc_strv opts = IOC_STRV_INIT;
		if (sep == NULL)
			continue;
		ioc_strv_split(&f, lines.v[i], ' ');
		ioc_strv_split(&tail, sep + 3, ' ');
		if (f.n < 5 || tail.n < 3)
			continue;
		if (*ctrls == '\0') {
			if (strcmp(tail.v[0], "cgroup2") == 0)
				return ioc_xstrdup(f.v[4]);
			continue;
		}
		if (strcmp(tail.v[0], "cgroup") != 0)
			continue;
		ioc_strv_split(&opts, tail.v[2], ',');
		if (want.n && ioc_strv_contains(&opts, want.v[0]))
			return ioc_xstrdup(f.v[4]);
	}
	return NULL;
}

/*
 * liblxc's daemonized start moves the calling process into the new
 * container's monitor cgroups; this puts it back where it was (saved is
 * the /proc/self/cgroup text read before), so those cgroups can be removed.
 */
void
ioc_lx_cg_restore(const char *saved)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	char *mi = NULL;
	size_t len, i;
	struct ioc_error *e = NULL;
	if (saved == NULL || ioc_read_file("/proc/self/mountinfo", 1 << 20, &mi, &len, &e) != 0) {
		ioc_error_free(e);
		return;
	}
	ioc_strv_split(&lines, saved, '\n');
	for (i = 0; i < lines.n; i++) {
		char *c1 = strchr(lines.v[i], ':'), *c2;
		_cleanup_free_ char *mnt = NULL;
		_cleanup_free_ char *ctrls = NULL;
		_cleanup_free_ char *path = NULL;
		char pid[32];
		int fd;
		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		ctrls = ioc_xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		mnt = ioc_lx_cg_mount(mi, ctrls);
		if (mnt == NULL)
			continue;
		path =
		    ioc_xasprintf("%s%s/cgroup.procs", mnt, strcmp(c2 + 1, "/") == 0 ? "" : c2 + 1);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (write(fd, pid, strlen(pid)) < 0) {
			/* best effort: a failure leaves a cgroup that the next start removes */
		}
		close(fd);
	}
	free(mi);
}

/* Resource limits with a Linux analogue. */
const char *const ioc_lx_limits[] = { "memoryuse", "pcpu", "maxproc", "openfiles", NULL };

int
ioc_lx_limit_amount(const char *v, unsigned long long *out)
{
	const char *c = strchr(v, ':');
	_cleanup_free_ char *a = NULL;
	if (strcmp(v, "off") == 0 || c == NULL)
		return -1;
	a = ioc_xstrndup(v, (size_t)(c - v));
	return ioc_parse_size(a, out);
}

/* One cgroup setting: file name for v1 and v2 and the value to write. */

/* Computes the cgroup settings of a jail's limits (remove: the unlimited values). */
int
ioc_lx_cg_settings(const struct ioc_jail *j, int remove, struct ioc_lx_cgset *out, size_t *n,
    struct ioc_error **err)
{
	unsigned long long v;
	enum ioc_lx_cg k;
	const char *cpus = ioc_lx_get(j, "cpuset");
	int rl = ioc_parse_bool(ioc_lx_get(j, "rlimits")) == 1 || remove;
	*n = 0;
	if (rl && ioc_lx_limit_amount(ioc_lx_get(j, "memoryuse"), &v) == 0) {
		k = ioc_lx_cg_kind("memory");
		if (k == IOC_CG_NONE)
			return ioc_err(err, "memoryuse: the host has no memory cgroup controller");
		out[*n].ctrl = "memory";
		out[*n].file = ioc_xstrdup(k == IOC_CG_V2 ? "memory.max" : "memory.limit_in_bytes");
		out[*n].value =
		    remove ? ioc_xstrdup(k == IOC_CG_V2 ? "max" : "-1") : ioc_xasprintf("%llu", v);
		(*n)++;
	}
	if (rl && ioc_lx_limit_amount(ioc_lx_get(j, "maxproc"), &v) == 0) {
		k = ioc_lx_cg_kind("pids");
		if (k == IOC_CG_NONE)
			return ioc_err(err, "maxproc: the host has no pids cgroup controller");
		out[*n].ctrl = "pids";
		out[*n].file = ioc_xstrdup("pids.max");
		out[*n].value = remove ? ioc_xstrdup("max") : ioc_xasprintf("%llu", v);
		(*n)++;
	}
	if (rl && ioc_lx_limit_amount(ioc_lx_get(j, "pcpu"), &v) == 0) {
		k = ioc_lx_cg_kind("cpu");
		if (k == IOC_CG_NONE)
			return ioc_err(err, "pcpu: the host has no cpu cgroup controller");
		if (v == 0)
			v = 1;
		/*
		 * percent of one CPU: the quota is v * 1000 us per 100000 us.  No host has
		 * more than 1000 CPUs here, and a larger v * 1000 could wrap around.
		 */
		if (v > 100000)
			return ioc_err(err,
			    "pcpu: %llu%% is more than a host can give (at most 100000, "
			    "a percentage of one CPU)",
			    v);
		out[*n].ctrl = "cpu";
		if (k == IOC_CG_V2) {
			out[*n].file = ioc_xstrdup("cpu.max");
			out[*n].value = remove ? ioc_xstrdup("max 100000") :
						 ioc_xasprintf("%llu 100000", v * 1000);
		} else {
			out[*n].file = ioc_xstrdup("cpu.cfs_quota_us");
			out[*n].value =
			    remove ? ioc_xstrdup("-1") : ioc_xasprintf("%llu", v * 1000);
		}
		(*n)++;
	}
	if (strcmp(cpus, "off") != 0) {
		k = ioc_lx_cg_kind("cpuset");
		if (k == IOC_CG_NONE)
			return ioc_err(err, "cpuset: the host has no cpuset cgroup controller");
		out[*n].ctrl = "cpuset";
		out[*n].file = ioc_xstrdup("cpuset.cpus");
		if (remove) {
			char *all = NULL;
			size_t len;
			struct ioc_error *e = NULL;
			if (ioc_read_file(k == IOC_CG_V2 ? "/sys/fs/cgroup/cpuset.cpus.effective" :
							   "/sys/fs/cgroup/cpuset/cpuset.cpus",
				4096, &all, &len, &e) != 0) {
				ioc_error_free(e);
				all = ioc_xasprintf("0-%ld", sysconf(_SC_NPROCESSORS_ONLN) - 1);
			}
			all[strcspn(all, "\n")] = '\0';
			out[*n].value = all;
		} else
			out[*n].value = ioc_xstrdup(cpus);
		(*n)++;
	}
	return 0;
}

void
ioc_lx_cg_free(struct ioc_lx_cgset *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(s[i].file);
		free(s[i].value);
	}
}
