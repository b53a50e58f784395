/*
 * engine_linux_attach.c — running things inside a jail; the init, ioc-init (engine_linux.h).
 */
#include "engine/engine.h"
#include "engine/linux/engine_linux.h"
#include "core/fstab.h"
#include "core/legacy.h"
#include "net/net.h"
#include "spawn/spawn.h"
#include "core/subid.h"

#include <errno.h>
#include <fcntl.h>
#include <lxc/lxccontainer.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

/* ------------------------------------------------- running things inside */

/* Waits for pid up to timeout_s seconds (0: forever); kills it on timeout. */
static int
ioc_lx_wait(pid_t pid, int timeout_s, int *status, int *timed_out)
{
	int st = 0;
	*timed_out = 0;
	if (timeout_s > 0) {
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd p = { pfd, POLLIN, 0 };
			int r;
			do
				r = poll(&p, 1, timeout_s * 1000);
			while (r < 0 && errno == EINTR);
			close(pfd);
			if (r == 0) {
				kill(pid, SIGKILL);
				*timed_out = 1;
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	return 0;
}

/*
 * Runs argv inside a running container; *status as a shell would report it.
 * IOC_LX_ATT_NOSTDIN: stdin is /dev/null (exec_start, exec_stop: a jail's
 * own scripts never read the administrator's terminal).
 */
int
ioc_lx_attach(struct lxc_container *c, char *const *argv, const struct ioc_lx_runas *as, int how,
    int timeout_s, int *status, int *timed_out, struct ioc_error **err)
{
	lxc_attach_options_t o = LXC_ATTACH_OPTIONS_DEFAULT;
	lxc_attach_command_t cmd;
	struct ioc_strv env = IOC_STRV_INIT;
	const char *term = getenv("TERM");
	_cleanup_close_ int null =
	    (how & IOC_LX_ATT_NOSTDIN) ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
	int terminal = (how & IOC_LX_ATT_TERMINAL) != 0;
	pid_t pid = -1;
	int rc;

	if (how & IOC_LX_ATT_NOSTDIN) {
		if (null < 0)
			return ioc_err(err, "cannot open /dev/null: %s", strerror(errno));
		o.stdin_fd = null;
	}

	ioc_strv_push(&env, IOC_LX_PATH_ENV);
	ioc_strv_pushf(&env, "HOME=%s", as && as->home ? as->home : "/root");
	if (terminal && term && !ioc_has_ctrl(term) && strlen(term) < 64)
		ioc_strv_pushf(&env, "TERM=%s", term);
	o.env_policy = LXC_ATTACH_CLEAR_ENV;
	o.extra_env_vars = (char **)ioc_strv_argv(&env);
	o.initial_cwd = as && as->home ? as->home : "/";
	if (as) {
		o.uid = as->uid;
		o.gid = as->gid;
	}
	if (terminal)
		o.attach_flags |= LXC_ATTACH_TERMINAL;
	cmd.program = argv[0];
	cmd.argv = (char **)argv;
	fflush(stdout);
	fflush(stderr);
	rc = c->attach(c, lxc_attach_run_command, &cmd, &o, &pid);
	ioc_strv_release(&env);
	if (rc < 0 || pid <= 0)
		return ioc_err(err, "cannot enter the jail to run '%s'", argv[0]);
	if (ioc_lx_wait(pid, timeout_s, status, timed_out) != 0)
		return ioc_err(err, "cannot wait for '%s': %s", argv[0], strerror(errno));
	return 0;
}

/* Validates the loaded value of one property; the error names the jail. */
int
ioc_lx_valid(const struct ioc_jail *j, const char *prop, struct ioc_error **err)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	char *canon = NULL;
	if (p == NULL || j->values[p - ioc_props] == NULL)
		return 0;
	if (ioc_prop_validate(p, j->values[p - ioc_props], &canon, err) != 0)
		return ioc_error_wrap(
		    err, "jail '%s' (a value written outside iocage?)", ioc_lx_tag(j));
	free(canon);
	if (ioc_lx_check_prop(p, j->values[p - ioc_props], err) != 0)
		return ioc_error_wrap(err, "jail '%s'", ioc_lx_tag(j));
	return 0;
}

/* Runs a host hook (exec_prestart ...): argv from the property + name + path,
 * in "/": a hook's relative paths never land in the caller's directory. */
int
ioc_lx_hook(const struct ioc_jail *j, const char *prop, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv argv = IOC_STRV_INIT;
	_cleanup_free_ char *name = ioc_lx_name(j);
	struct ioc_run_opts o;
	struct ioc_run_result r;
	long long t = 60;
	int rc;
	if (ioc_lx_valid(j, prop, err) != 0)
		return -1;
	if (ioc_hook_noop(ioc_lx_get(j, prop)))
		return 0; /* the default: no process for nothing */
	ioc_lx_words(ioc_lx_get(j, prop), &argv);
	if (argv.n == 0)
		return 0;
	if (argv.v[0][0] != '/')
		return ioc_err(err,
		    "invalid value for property '%s': a host command must start with "
		    "an absolute path (e.g. /usr/local/bin/hook)",
		    prop);
	ioc_strv_push(&argv, name);
	ioc_strv_push(&argv, j->rootfs ? j->rootfs : "-");
	ioc_parse_ll(ioc_lx_get(j, "exec_timeout"), 0, 86400, &t);
	ioc_run_opts_init(&o);
	o.out_fd = IOC_FD_INHERIT;
	o.err_fd = IOC_FD_CAPTURE;
	o.timeout_ms = (int)t * 1000;
	o.cwd = "/";
	ioc_run_result_init(&r);
	fflush(stdout);
	rc = ioc_run(ioc_strv_argv(&argv), &o, &r, err);
	if (rc == 0 && r.status != 0) {
		const char *e = r.err.buf;
		size_t l = strcspn(e, "\n");
		ioc_err(err, "%s '%s' failed with status %d%s%.*s", prop, argv.v[0], r.status,
		    l ? ": " : "", (int)(l > 300 ? 300 : l), e);
		rc = -1;
	} else if (rc != 0)
		ioc_error_wrap(err, "%s", prop);
	ioc_run_result_release(&r);
	return rc;
}

/* The uid/gid a jail user runs as (root without a passwd entry is 0:0). */
int
ioc_lx_jail_user(int rootfd, const char *user, struct ioc_lx_runas *as, struct ioc_error **err)
{
	as->home = NULL;
	if (ioc_lx_passwd(rootfd, user, &as->uid, &as->gid, &as->home, NULL, err) == 0)
		return 0;
	if (strcmp(user, "root") == 0) {
		ioc_error_free(*err);
		*err = NULL;
		as->uid = 0;
		as->gid = 0;
		as->home = ioc_xstrdup("/root");
		return 0;
	}
	return -1;
}

/* exec_start / exec_stop: argv, or NULL when the FreeBSD default script is absent. */
int
ioc_lx_jail_cmd(int rootfd, const struct ioc_jail *j, const char *prop, struct ioc_strv *argv,
    struct ioc_error **err)
{
	static const char *const bsd[][2] = { { "exec_start", "/bin/sh /etc/rc" },
		{ "exec_stop", "/bin/sh /etc/rc.shutdown" } };
	const char *v = ioc_lx_get(j, prop);
	_cleanup_free_ char *path = NULL;
	size_t i;
	ioc_lx_words(v, argv);
	if (argv->n == 0)
		return 0;
	for (i = 0; i < 2; i++) {
		if (strcmp(prop, bsd[i][0]) == 0 && strcmp(v, bsd[i][1]) == 0) {
			/* the FreeBSD default runs only where the jail has that script */
			int fd = ioc_lx_openat(rootfd, argv->v[1], O_PATH, 0);
			if (fd < 0) {
				ioc_strv_release(argv);
				return 0;
			}
			close(fd);
		}
	}
	if (ioc_lx_find_prog(rootfd, argv->v[0], &path) != 0)
		return ioc_err(err,
		    "%s: program '%s' does not exist in the jail (or is not an "
		    "executable file); set %s to a command the jail has",
		    prop, argv->v[0], prop);
	free(argv->v[0]);
	argv->v[0] = ioc_steal(&path);
	return 0;
}

/* ------------------------------------------------------------- the init */

/* 1 when the file at path and every directory above it are root's and not group/other-writable. */
static int
ioc_lx_root_only(const char *path)
{
	_cleanup_free_ char *p = ioc_xstrdup(path);
	char *slash;
	struct stat st;
	if (lstat(p, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022))
		return 0;
	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (lstat(*p ? p : "/", &st) != 0 || st.st_uid != 0 ||
		    ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)))
			return 0;
		if (*p == '\0')
			break;
	}
	return 1;
}

/* Path of ioc-init: next to the binary, one level up (build/), or libexec. */
int
ioc_lx_init_path(char **out, struct ioc_error **err)
{
	const char *self = getenv("IOCAGE_SELF");
	char buf[4096];
	_cleanup_free_ char *dir = NULL;
	const char *cands[5];
	char *refused = NULL;
	size_t i, n = 0;
	ssize_t l;
	char *slash;

	if (self == NULL || self[0] != '/') {
		l = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
		if (l > 0 && buf[0] == '/') {
			buf[l] = '\0';
			self = buf;
		}
	}
	if (self && self[0] == '/') {
		dir = ioc_xstrdup(self);
		slash = strrchr(dir, '/');
		*slash = '\0';
	}
	{
		_cleanup_free_ char *a = dir ? ioc_xasprintf("%s/ioc-init", dir) : NULL;
		_cleanup_free_ char *b = dir ? ioc_xasprintf("%s/../ioc-init", dir) : NULL;
		_cleanup_free_ char *c =
		    dir ? ioc_xasprintf("%s/../libexec/iocage/ioc-init", dir) : NULL;
		if (a) {
			cands[n++] = a;
			cands[n++] = b;
			cands[n++] = c;
		}
		cands[n++] = "/usr/local/libexec/iocage/ioc-init";
		cands[n++] = "/usr/libexec/iocage/ioc-init";
		for (i = 0; i < n; i++) {
			struct stat st;
			char *rp;
			if (stat(cands[i], &st) != 0 || !S_ISREG(st.st_mode) ||
			    !(st.st_mode & 0001))
				continue;
			rp = realpath(cands[i], NULL);
			if (rp == NULL)
				continue;
			if (strpbrk(rp, " \t\n\\") != NULL) {
				free(rp);
				continue;
			}
			if (!ioc_lx_root_only(rp)) {
				refused = refused ? refused : ioc_xstrdup(rp);
				free(rp);
				continue;
			}
			*out = rp;
			return 0;
		}
	}
	if (refused) {
		ioc_err(err,
		    "refusing ioc-init at %s: it or its directory is not root's alone (owned "
		    "by root, not writable by group or others): anyone who can replace it runs as "
		    "every jail's process 1; reinstall iocage",
		    refused);
		free(refused);
		return -1;
	}
	return ioc_err(err,
	    "cannot find ioc-init (the jail's init, built with iocage and installed "
	    "in PREFIX/libexec/iocage): reinstall iocage");
}
