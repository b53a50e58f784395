/*
 * engine_linux.c — jails as LXC system containers, through liblxc.
 *
 * A running jail is the container "ioc-UUID" under the lxcpath
 * RUNDIR/lxc (/var/run/iocage/lxc).  Its configuration is built in memory
 * with set_config_item at every start (nothing persistent; a copy is saved
 * in RUNDIR/lxc/ioc-UUID/config for inspection and removed at stop).  The
 * root filesystem is the jail's root dataset mountpoint ("dir:"), never
 * LXC's zfs backend.  PID 1 is ioc-init (src/init/ioc_init.c), bind-mounted
 * read-only at /dev/.ioc-init: it keeps the jail up after exec_start returns
 * and reaps orphans.  The JID shown by list is the init's host PID.
 *
 * Start is an ordered list of steps; a failing step undoes exactly the
 * steps before it that have an undo (STYLE.md, after jail(8)).
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

#define IOC_LX_INIT_IN_JAIL "/dev/.ioc-init"
#define IOC_LX_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The lxcpath: RUNDIR/lxc. */
const char *
ioc_lx_path(void)
{
	static char *p;
	if (p == NULL)
		p = ioc_xasprintf("%s/lxc", ioc_rundir());
	return p;
}

char *
ioc_lx_name(const struct ioc_jail *j)
{
	return ioc_xasprintf("ioc-%s", j->uuid);
}

const char *
ioc_lx_get(const struct ioc_jail *j, const char *prop)
{
	const char *v = ioc_jail_get(j, prop);
	return v ? v : "none";
}

static const char *
ioc_lx_get_cb(void *arg, const char *prop)
{
	return ioc_lx_get(arg, prop);
}

const char *
ioc_lx_tag(const struct ioc_jail *j)
{
	const char *t = ioc_jail_get(j, "tag");
	return t ? t : j->uuid;
}

/* Opens the container object (no configuration loaded: none is on disk). */
struct lxc_container *
ioc_lx_open(const struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_free_ char *name = ioc_lx_name(j);
	struct lxc_container *c = lxc_container_new(name, ioc_lx_path());
	if (c == NULL)
		ioc_err(err, "liblxc cannot open container '%s'", name);
	return c;
}

/* ---------------------------------------------------------------- ids */

struct ioc_lx_idmap {
	unsigned long host, count;
};

static int
ioc_lx_parse_idmap(const char *v, struct ioc_lx_idmap *m, struct ioc_error **err)
{
	const char *c = strchr(v, ':');
	_cleanup_free_ char *a = c ? ioc_xstrndup(v, (size_t)(c - v)) : NULL;
	long long h, n;
	if (!c || ioc_parse_ll(a, 1, 4294967295LL, &h) != 0 ||
	    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0)
		return ioc_err(err, "invalid userns_idmap '%s': expected HOSTID:COUNT", v);
	m->host = (unsigned long)h;
	m->count = (unsigned long)n;
	return 0;
}

/*
 * newuidmap/newgidmap (shadow) grant root only the ranges of /etc/subuid
 * and /etc/subgid (subid.h; `activate` adds the default one).  Says exactly
 * which line is missing.
 */
static int
ioc_lx_check_subid(const char *file, const struct ioc_lx_idmap *m, struct ioc_error **err)
{
	int c = ioc_subid_file_covers(file, m->host, m->count, err);
	if (c != 0)
		return c > 0 ? 0 : -1;
	return ioc_err(err, "the host's newuidmap/newgidmap allow root only the id ranges of %s, "
	    "which has no line covering userns_idmap=%lu:%lu: add the line 'root:%lu:%lu' to %s "
	    "('iocage activate' adds the root's default range when none covers it), or set "
	    "userns=off (weaker)", file, m->host, m->count, m->host, m->count, file);
}

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

struct ioc_lx_runas {
	uid_t uid;
	gid_t gid;
	char *home;
};

/* ioc_lx_attach's how: a terminal for the command, or no stdin at all. */
enum { IOC_LX_ATT_TERMINAL = 1, IOC_LX_ATT_NOSTDIN = 2 };

/*
 * Runs argv inside a running container; *status as a shell would report it.
 * IOC_LX_ATT_NOSTDIN: stdin is /dev/null (exec_start, exec_stop: a jail's
 * own scripts never read the administrator's terminal).
 */
static int
ioc_lx_attach(struct lxc_container *c, char *const *argv, const struct ioc_lx_runas *as,
    int how, int timeout_s, int *status, int *timed_out, struct ioc_error **err)
{
	lxc_attach_options_t o = LXC_ATTACH_OPTIONS_DEFAULT;
	lxc_attach_command_t cmd;
	struct ioc_strv env = IOC_STRV_INIT;
	const char *term = getenv("TERM");
	_cleanup_close_ int null = (how & IOC_LX_ATT_NOSTDIN) ?
	    open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
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

/*
 * Every property this engine reads (besides the network ones, which the net
 * plan validates): validated again at start, because a value may have been
 * written with `zfs set` behind iocage's back, and none may carry a newline
 * into the container's configuration.
 */
static const char *const ioc_lx_used[] = { "host_hostname", "exec_start", "exec_stop",
	"exec_prestart", "exec_poststart", "exec_prestop", "exec_poststop", "exec_timeout",
	"stop_timeout", "exec_jail_user", "resolver", "fstab", "userns", "userns_idmap",
	"jail_zfs", "jail_zfs_dataset", "jail_zfs_mountpoint", "rlimits", "cpuset", "memoryuse",
	"pcpu", "maxproc", "openfiles", "allow_raw_sockets", "allow_chflags", "mac_prefix", NULL };

static int ioc_lx_check_prop(const struct ioc_prop *p, const char *value,
    struct ioc_error **err);

/* Validates the loaded value of one property; the error names the jail. */
static int
ioc_lx_valid(const struct ioc_jail *j, const char *prop, struct ioc_error **err)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	char *canon = NULL;
	if (p == NULL || j->values[p - ioc_props] == NULL)
		return 0;
	if (ioc_prop_validate(p, j->values[p - ioc_props], &canon, err) != 0)
		return ioc_error_wrap(err, "jail '%s' (a value written outside iocage?)",
		    ioc_lx_tag(j));
	free(canon);
	if (ioc_lx_check_prop(p, j->values[p - ioc_props], err) != 0)
		return ioc_error_wrap(err, "jail '%s'", ioc_lx_tag(j));
	return 0;
}

/* Runs a host hook (exec_prestart ...): argv from the property + name + path. */
static int
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
		return ioc_err(err, "invalid value for property '%s': a host command must start with "
		    "an absolute path (e.g. /usr/local/bin/hook)", prop);
	ioc_strv_push(&argv, name);
	ioc_strv_push(&argv, j->rootfs ? j->rootfs : "-");
	ioc_parse_ll(ioc_lx_get(j, "exec_timeout"), 0, 86400, &t);
	ioc_run_opts_init(&o);
	o.out_fd = IOC_FD_INHERIT;
	o.err_fd = IOC_FD_CAPTURE;
	o.timeout_ms = (int)t * 1000;
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
static int
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
static int
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
		return ioc_err(err, "%s: program '%s' does not exist in the jail (or is not an "
		    "executable file); set %s to a command the jail has", prop, argv->v[0], prop);
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
static int
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
		_cleanup_free_ char *c = dir ? ioc_xasprintf("%s/../libexec/iocage/ioc-init", dir) : NULL;
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
			if (stat(cands[i], &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0001))
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
		ioc_err(err, "refusing ioc-init at %s: it or its directory is not root's alone (owned "
		    "by root, not writable by group or others): anyone who can replace it runs as "
		    "every jail's process 1; reinstall iocage", refused);
		free(refused);
		return -1;
	}
	return ioc_err(err, "cannot find ioc-init (the jail's init, built with iocage and installed "
	    "in PREFIX/libexec/iocage): reinstall iocage");
}

/* ------------------------------------------------------------- start */

struct ioc_lx_start {
	const struct ioc_root *root;
	struct ioc_jail *j;
	char *name, *dir, *init;
	struct lxc_container *c;
	int rootfd;
	int userns;
	struct ioc_lx_idmap idmap;
	uid_t jroot_uid;
	gid_t jroot_gid;
	struct ioc_net_plan net;
	struct ioc_fstab fstab;
	char *zfs_ds, *zfs_src, *zfs_dst; /* jail_zfs: dataset, its mountpoint, target */
	struct ioc_strv start_argv, stop_check;
	struct ioc_strv dhcp_argv[8]; /* per net.ifs entry with DHCP: the jail's client */
	struct ioc_lx_runas runas;
	struct ioc_lx_cgset cg[8];
	size_t ncg;
	struct ioc_strv cfg; /* key, value, key, value ... */
};

static void
ioc_lx_cfg(struct ioc_lx_start *s, const char *key, const char *fmt, ...) IOC_PRINTF(3, 4);

static void
ioc_lx_cfg(struct ioc_lx_start *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	va_start(ap, fmt);
	ioc_sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	ioc_strv_push(&s->cfg, key);
	ioc_strv_push_owned(&s->cfg, ioc_sb_detach(&sb));
}

int
ioc_lx_iface_exists(const char *name)
{
	_cleanup_free_ char *p = ioc_xasprintf("/sys/class/net/%s", name);
	return access(p, F_OK) == 0;
}

static int
ioc_lx_is_bridge(const char *name)
{
	_cleanup_free_ char *p = ioc_xasprintf("/sys/class/net/%s/bridge", name);
	return access(p, F_OK) == 0;
}

/*
 * Whether the kernel has ipvlan: loaded (or built in) already, or a module
 * the kernel loads by itself when LXC asks for an ipvlan link.
 */
static int
ioc_lx_have_ipvlan(void)
{
	static const char *const lists[] = { "modules.dep", "modules.builtin", NULL };
	struct utsname u;
	size_t i;
	if (access("/sys/module/ipvlan", F_OK) == 0)
		return 1;
	if (uname(&u) != 0)
		return 0;
	for (i = 0; lists[i]; i++) {
		_cleanup_free_ char *path = ioc_xasprintf("/lib/modules/%s/%s", u.release, lists[i]);
		_cleanup_free_ char *text = NULL;
		size_t len;
		struct ioc_error *e = NULL;
		if (ioc_read_file(path, 64 << 20, &text, &len, &e) != 0) {
			ioc_error_free(e);
			continue;
		}
		if (memmem(text, len, "/ipvlan.ko", strlen("/ipvlan.ko")) != NULL)
			return 1;
	}
	return 0;
}

/* Network configuration items from the plan. */
static int
ioc_lx_net_cfg(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct ioc_net_plan *p = &s->net;
	size_t i, k;
	int ipvlan = p->mode == IOC_NET_SHARED && ioc_lx_have_ipvlan();
	switch (p->mode) {
	case IOC_NET_INHERIT:
		ioc_lx_cfg(s, "lxc.net.0.type", "none");
		return 0;
	case IOC_NET_NONE:
		ioc_lx_cfg(s, "lxc.net.0.type", "empty");
		return 0;
	case IOC_NET_VNET:
	case IOC_NET_SHARED:
		break;
	}
	for (i = 0; i < p->nifs; i++) {
		struct ioc_net_if *f = &p->ifs[i];
		char key[64];
#define NK(suffix) (snprintf(key, sizeof(key), "lxc.net.%zu.%s", i, suffix), key)
		if (p->mode == IOC_NET_VNET) {
			_cleanup_free_ char *host = ioc_net_host_ifname(s->j->uuid, (unsigned)i);
			_cleanup_free_ char *mac = ioc_net_mac_colon(f->mac_jail);
			if (f->bridge == NULL) {
				/* nat=on: a link of its own, the host side routes (engine_linux_nat.c) */
				ioc_lx_cfg(s, NK("type"), "veth");
				ioc_lx_cfg(s, NK("veth.pair"), "%s", host);
				ioc_lx_cfg(s, NK("hwaddr"), "%s", mac);
			} else if (!ioc_lx_iface_exists(f->bridge))
				return ioc_err(err, "interfaces: bridge '%s' does not exist; create it first "
				    "(e.g. 'ip link add %s type bridge && ip link set %s up'), or change "
				    "interfaces=", f->bridge, f->bridge, f->bridge);
			else if (!ioc_lx_is_bridge(f->bridge))
				return ioc_err(err, "interfaces: '%s' is not a bridge", f->bridge);
			else {
				ioc_lx_cfg(s, NK("type"), "veth");
				ioc_lx_cfg(s, NK("link"), "%s", f->bridge);
				ioc_lx_cfg(s, NK("veth.pair"), "%s", host);
				ioc_lx_cfg(s, NK("hwaddr"), "%s", mac);
			}
		} else {
			if (!ioc_lx_iface_exists(f->name))
				return ioc_err(err, "ip4_addr/ip6_addr name host interface '%s', which does "
				    "not exist ('ip link' lists them)", f->name);
			if (ipvlan) {
				ioc_lx_cfg(s, NK("type"), "ipvlan");
				ioc_lx_cfg(s, NK("ipvlan.mode"), "l3s");
			} else {
				ioc_lx_cfg(s, NK("type"), "macvlan");
				ioc_lx_cfg(s, NK("macvlan.mode"), "bridge");
			}
			ioc_lx_cfg(s, NK("link"), "%s", f->name);
		}
		ioc_lx_cfg(s, NK("name"), "%s", f->name);
		ioc_lx_cfg(s, NK("flags"), "up");
		for (k = 0; k < f->naddrs; k++) {
			struct ioc_net_addr *a = &f->addrs[k];
			int pf = a->prefix >= 0 ? a->prefix : a->v6 ? 64 : 24;
			struct in_addr in4;
			if (!a->v6 && inet_pton(AF_INET, a->addr, &in4) == 1) {
				/* give the broadcast address: liblxc's own guess drops the network part */
				char bc[INET_ADDRSTRLEN];
				uint32_t mask = pf == 0 ? 0 : htonl(~0U << (32 - pf));
				in4.s_addr = (in4.s_addr & mask) | ~mask;
				inet_ntop(AF_INET, &in4, bc, sizeof(bc));
				ioc_lx_cfg(s, NK("ipv4.address"), "%s/%d %s", a->addr, pf, bc);
			} else
				ioc_lx_cfg(s, a->v6 ? NK("ipv6.address") : NK("ipv4.address"), "%s/%d",
				    a->addr, pf);
		}
		if (i == 0 && p->router4)
			ioc_lx_cfg(s, NK("ipv4.gateway"), "%s", p->router4);
		if (i == 0 && p->router6)
			ioc_lx_cfg(s, NK("ipv6.gateway"), "%s", p->router6);
#undef NK
	}
	if (p->nifs == 0)
		ioc_lx_cfg(s, "lxc.net.0.type", "empty");
	return 0;
}

/*
 * The jail's root user (a mapped host id) must be able to pass through
 * every directory above the jail's root, or liblxc cannot mount it.
 */
static int
ioc_lx_reachable(const char *rootfs, unsigned long hostid, struct ioc_error **err)
{
	_cleanup_free_ char *p = ioc_xstrdup(rootfs);
	char *slash;
	while ((slash = strrchr(p, '/')) != NULL) {
		struct stat st;
		*slash = '\0';
		if (stat(*p ? p : "/", &st) != 0)
			continue;
		if (!(st.st_mode & 0001) && st.st_uid != hostid)
			return ioc_err(err, "the jail's root user (host uid %lu) cannot reach %s: "
			    "directory %s has mode %04o (others need x, e.g. chmod o+x %s)", hostid,
			    rootfs, *p ? p : "/", (unsigned)(st.st_mode & 07777), *p ? p : "/");
	}
	return 0;
}

/*
 * The directory above the jail's root (R/jails/UUID) lets only the jail's
 * root through, the layout of Incus: mode 0100 owned by the jail's mapped
 * root, 0700 root for a privileged jail.  No other host user can then reach a
 * jail's files (a setuid binary, a device node, whatever got in), while
 * liblxc, working as the jail's root, still can.
 */
static int
ioc_lx_guard(const char *rootfs, unsigned long owner, mode_t mode, struct ioc_error **err)
{
	const char *slash = strrchr(rootfs, '/');
	_cleanup_free_ char *dir = slash && slash != rootfs ?
	    ioc_xstrndup(rootfs, (size_t)(slash - rootfs)) : NULL;
	_cleanup_close_ int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return ioc_err(err, "cannot open the jail's directory above %s: %s", rootfs,
		    strerror(errno));
	if ((st.st_uid != owner || st.st_gid != owner) &&
	    fchown(fd, (uid_t)owner, (gid_t)owner) != 0)
		return ioc_err(err, "cannot give %s to host uid %lu: %s", dir, owner, strerror(errno));
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)
		return ioc_err(err, "cannot set the mode of %s: %s", dir, strerror(errno));
	return 0;
}

/* Step 1: everything that can be checked, before anything changes. */
static int
ioc_lx_check(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct ioc_jail *j = s->j;
	struct stat st;
	int dfd;
	DIR *d;
	struct dirent *e;
	_cleanup_free_ char *picked = NULL;
	int empty = 1;
	size_t i;
	static const char *const need[] = { "dev", "proc", "sys", NULL };
	const char *v;

	if (j->rootfs == NULL || j->rootfs[0] != '/')
		return ioc_err(err, "the jail's root dataset %s/root is not mounted", j->dataset);
	if (ioc_has_ctrl(j->rootfs))
		return ioc_err(err, "the mountpoint of %s/root contains a control character "
		    "(newline, tab...): it cannot be a container's root", j->dataset);
	for (i = 0; ioc_lx_used[i]; i++)
		if (ioc_lx_valid(j, ioc_lx_used[i], err) != 0)
			return -1;
	s->rootfd = ioc_lx_root_open(j->rootfs, err);
	if (s->rootfd < 0)
		return -1;
	if (fstat(s->rootfd, &st) != 0)
		return ioc_err(err, "cannot stat '%s': %s", j->rootfs, strerror(errno));
	dfd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	if (d)
		closedir(d);
	if (empty)
		return ioc_err(err, "the jail's root %s is empty (an empty jail, create -e): put a root "
		    "filesystem there first%s", j->rootfs,
		    ioc_parse_bool(ioc_lx_get(j, "userns")) == 1 ?
		    ", owned by the ids of userns_idmap" : "");
	for (i = 0; need[i]; i++) {
		int fd = ioc_lx_openat(s->rootfd, need[i], O_PATH | O_DIRECTORY, 1);
		if (fd < 0)
			return ioc_err(err, "the jail's root %s has no /%s directory (a Linux root "
			    "filesystem needs /dev, /proc and /sys)", j->rootfs, need[i]);
		close(fd);
	}
	s->userns = ioc_parse_bool(ioc_lx_get(j, "userns")) == 1;
	if (s->userns) {
		if (ioc_lx_parse_idmap(ioc_lx_get(j, "userns_idmap"), &s->idmap, err) != 0)
			return -1;
		if (st.st_uid != s->idmap.host) {
			return ioc_err(err, "the jail's root %s is owned by host uid %lu, but "
			    "userns_idmap=%lu:%lu maps the jail's root user to host uid %lu: the files "
			    "were not shifted for this map (releases record theirs as release_idmap); "
			    "set userns_idmap to the map the files were made with, or userns=off (weaker)",
			    j->rootfs, (unsigned long)st.st_uid, s->idmap.host, s->idmap.count,
			    s->idmap.host);
		}
		if (access(IOC_NEWUIDMAP, X_OK) == 0 &&
		    (ioc_lx_check_subid(IOC_SUBUID, &s->idmap, err) != 0 ||
		    ioc_lx_check_subid(IOC_SUBGID, &s->idmap, err) != 0))
			return -1;
		s->jroot_uid = (uid_t)s->idmap.host;
		s->jroot_gid = (gid_t)s->idmap.host;
		if (ioc_lx_guard(j->rootfs, s->idmap.host, 0100, err) != 0 ||
		    ioc_lx_reachable(j->rootfs, s->idmap.host, err) != 0)
			return -1;
	} else if (ioc_lx_guard(j->rootfs, 0, 0700, err) != 0)
		return -1;
	if (ioc_lx_init_path(&s->init, err) != 0)
		return -1;
	if (ioc_net_nat_assign(s->root, j, 1, &picked, err) != 0)
		return -1;
	if (picked)
		ioc_note("nat: %s gets ip4_addr=%s", ioc_lx_tag(j), picked);
	if (ioc_net_plan_make(j->uuid, ioc_lx_get_cb, j, &s->net, err) != 0)
		return -1;
	if (ioc_lx_nat_check(&s->net, err) != 0)
		return -1;
	for (i = 0; i < s->net.nifs; i++)
		if (s->net.ifs[i].dhcp4 &&
		    ioc_lx_dhcp_client(s->rootfd, s->net.ifs[i].name, &s->dhcp_argv[i], err) != 0)
			return -1;
	if (ioc_lx_net_cfg(s, err) != 0)
		return -1;
	if (ioc_fstab_parse(ioc_lx_get(j, "fstab"), &s->fstab, err) != 0)
		return ioc_error_wrap(err, "fstab");
	for (i = 0; i < s->fstab.n; i++) {
		struct ioc_fstab_ent *f = &s->fstab.v[i];
		_cleanup_free_ char *what = ioc_xasprintf("fstab entry '%s %s'", f->src, f->dst);
		if (stat(f->src, &st) != 0)
			return ioc_err(err, "%s: host path '%s' does not exist", what, f->src);
		if (ioc_lx_mount_target(s->rootfd, f->dst, 0, 0, 0, what, err) != 0) {
			/* a missing target is made at the files step; anything else is fatal */
			if (strstr((*err)->msg, "does not exist") == NULL)
				return -1;
			ioc_error_free(*err);
			*err = NULL;
		}
	}
	if (ioc_parse_bool(ioc_lx_get(j, "jail_zfs")) == 1) {
		const char *ds = ioc_lx_get(j, "jail_zfs_dataset");
		const char *mp = ioc_lx_get(j, "jail_zfs_mountpoint");
		s->zfs_ds = ioc_jail_zfs_dataset(s->root, j->uuid, ds, err);
		if (s->zfs_ds == NULL)
			return -1;
		if (ioc_zfs_guard(s->zfs_ds, err) != 0)
			return ioc_error_wrap(err, "jail_zfs_dataset");
		s->zfs_dst = ioc_xstrdup(strcmp(mp, "none") == 0 ? "/mnt/data" : mp);
	}
	v = ioc_lx_get(j, "exec_jail_user");
	if (ioc_lx_jail_user(s->rootfd, v, &s->runas, err) != 0)
		return ioc_error_wrap(err, "exec_jail_user");
	if (ioc_lx_jail_cmd(s->rootfd, j, "exec_start", &s->start_argv, err) != 0)
		return -1;
	if (ioc_lx_jail_cmd(s->rootfd, j, "exec_stop", &s->stop_check, err) != 0)
		return -1;
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		const char *const *l;
		int ok = 0;
		if (p->type != IOC_PT_RLIMIT || strcmp(j->values[i], "off") == 0)
			continue;
		for (l = ioc_lx_limits; *l; l++)
			if (strcmp(*l, p->name) == 0)
				ok = 1;
		if (!ok && ioc_parse_bool(ioc_lx_get(j, "rlimits")) == 1)
			ioc_note("%s=%s has no Linux analogue and is not applied",
			    p->name, j->values[i]);
	}
	if (ioc_lx_cg_settings(j, 0, s->cg, &s->ncg, err) != 0)
		return -1;
	return 0;
}

/* Step: the per-container run-time directory (liblxc keeps its log there). */
static int
ioc_lx_mkdir(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct stat st;
	const char *rd = ioc_rundir();
	if (ioc_mkdir_p(s->dir, 0755, err) != 0)
		return -1;
	/* the jail's root user (a mapped id) must be able to pass through */
	if (lstat(rd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 0011) != 0011)
		chmod(rd, (st.st_mode & 0777) | 0011);
	if (lstat(ioc_lx_path(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) != 0755)
		chmod(ioc_lx_path(), 0755);
	return 0;
}

/* Removes the run-time directory and the files liblxc made in it (and
 * first the NAT rules its undo file names). */
static void
ioc_lx_rmdir_name(const char *dir)
{
	DIR *d;
	struct dirent *e;
	ioc_lx_nat_stop(dir);
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' && (e->d_name[1] == '\0' ||
			    (e->d_name[1] == '.' && e->d_name[2] == '\0')))
				continue;
			unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void
ioc_lx_rmdir(struct ioc_lx_start *s)
{
	ioc_lx_rmdir_name(s->dir);
}

/* Step: MAC addresses stored as vnetN_mac on the first start. */
static int
ioc_lx_macs(struct ioc_lx_start *s, struct ioc_error **err)
{
	size_t i;
	if (s->net.mode != IOC_NET_VNET)
		return 0;
	for (i = 0; i < s->net.nifs && i < IOC_NET_MAXIF; i++) {
		_cleanup_free_ char *prop = NULL;
		_cleanup_free_ char *val = NULL;
		if (!s->net.ifs[i].mac_new)
			continue;
		prop = ioc_xasprintf(IOC_PROP_PREFIX "vnet%zu_mac", i);
		val = ioc_xasprintf("%s %s", s->net.ifs[i].mac_host, s->net.ifs[i].mac_jail);
		if (ioc_zfs_set(s->j->dataset, prop, val, err) != 0)
			return ioc_error_wrap(err, "cannot store vnet%zu_mac", i);
	}
	return 0;
}

/* Step: files inside the jail: resolv.conf, mount targets. */
static int
ioc_lx_files(struct ioc_lx_start *s, struct ioc_error **err)
{
	size_t i;
	if (s->net.mode != IOC_NET_INHERIT &&
	    ioc_lx_write_resolv(s->rootfd, ioc_lx_get(s->j, "resolver"), s->jroot_uid, s->jroot_gid,
	    err) != 0)
		return ioc_error_wrap(err, "resolver");
	for (i = 0; i < s->fstab.n; i++) {
		_cleanup_free_ char *what = ioc_xasprintf("fstab entry '%s %s'", s->fstab.v[i].src,
		    s->fstab.v[i].dst);
		if (ioc_lx_mount_target(s->rootfd, s->fstab.v[i].dst, 1, s->jroot_uid, s->jroot_gid,
		    what, err) != 0)
			return -1;
	}
	if (s->zfs_ds) {
		/* the jail's data dataset: made on first use, owned by the jail's root */
		char *m = NULL;
		if (!ioc_zfs_exists(s->zfs_ds)) {
			if (ioc_zfs_create(s->zfs_ds, NULL, 0, err) != 0)
				return ioc_error_wrap(err, "jail_zfs");
			if (ioc_zfs_get1(s->zfs_ds, "mountpoint", &m, err) == 0 && m && m[0] == '/' &&
			    lchown(m, s->jroot_uid, s->jroot_gid) != 0) {
				/* the jail's root can still read it */
			}
			free(m);
			m = NULL;
		}
		if (ioc_zfs_get1(s->zfs_ds, "mountpoint", &m, err) != 0)
			return ioc_error_wrap(err, "jail_zfs");
		if (m == NULL || m[0] != '/') {
			free(m);
			return ioc_err(err, "jail_zfs: dataset %s is not mounted", s->zfs_ds);
		}
		s->zfs_src = m;
		ioc_note("jail_zfs: %s is mounted at %s in the jail; managing it "
		    "with zfs(8) from inside needs OpenZFS delegation, which this engine does not "
		    "offer", s->zfs_ds, s->zfs_dst);
	}
	if (s->zfs_dst && ioc_lx_mount_target(s->rootfd, s->zfs_dst, 1, s->jroot_uid, s->jroot_gid,
	    "jail_zfs_mountpoint", err) != 0)
		return -1;
	return 0;
}

static int
ioc_lx_prestart(struct ioc_lx_start *s, struct ioc_error **err)
{
	return ioc_lx_hook(s->j, "exec_prestart", err);
}

static int
ioc_lx_poststart(struct ioc_lx_start *s, struct ioc_error **err)
{
	return ioc_lx_hook(s->j, "exec_poststart", err);
}

/* The last ERROR line of liblxc's log, for a message that says why. */
static char *
ioc_lx_log_error(const char *dir)
{
	_cleanup_free_ char *path = ioc_xasprintf("%s/lxc.log", dir);
	char *text = NULL, *best = NULL, *line, *save = NULL;
	size_t len;
	struct ioc_error *e = NULL;
	if (ioc_read_file(path, 1 << 20, &text, &len, &e) != 0) {
		ioc_error_free(e);
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *m = strstr(line, " ERROR ");
		if (m && strstr(line, "Unsupported config key") == NULL) {
			char *dash = strstr(m, " - ");
			char *msg = dash ? dash + 3 : m + 7;
			/* skip the "file:func:line - " location */
			char *dash2 = strstr(msg, " - ");
			if (dash2 && strchr(msg, ':') && strchr(msg, ':') < dash2)
				msg = dash2 + 3;
			free(best);
			best = ioc_xstrdup(msg);
			if (strstr(msg, "newuidmap") || strstr(msg, "No such file") ||
			    strstr(msg, "symbolic") || strstr(msg, "mount"))
				break;
		}
	}
	free(text);
	return best;
}

static void ioc_lx_destroy_container(struct lxc_container *c, const char *name, const char *dir);

#ifdef IOC_FAULT_INJECT
/*
 * Test builds: IOC_LXC_CONFIG_DUMP=FILE receives every configuration item
 * this start hands to liblxc, as "key\0value\0" pairs (NUL-separated, so
 * that a newline in a value shows as such), before liblxc sees them.
 */
static void
ioc_lx_cfg_dump(const struct ioc_lx_start *s)
{
	const char *path = getenv("IOC_LXC_CONFIG_DUMP");
	struct ioc_sb sb = IOC_SB_INIT;
	struct ioc_error *e = NULL;
	size_t i;
	if (path == NULL || path[0] != '/')
		return;
	ioc_sb_init(&sb);
	for (i = 0; i + 1 < s->cfg.n; i += 2) {
		ioc_sb_add(&sb, s->cfg.v[i], strlen(s->cfg.v[i]) + 1);
		ioc_sb_add(&sb, s->cfg.v[i + 1], strlen(s->cfg.v[i + 1]) + 1);
	}
	if (ioc_write_file_atomic(path, sb.buf, sb.len, 0600, &e) != 0)
		ioc_error_free(e);
	ioc_sb_release(&sb);
}
#endif

/*
 * A privileged jail (userns=off) is host root with fewer capabilities:
 * without a user namespace, sys_admin, mknod, dac_read_search (open by
 * handle) and sys_ptrace reach the host directly.  They go, unless an
 * allow_mount* property asks for mounting (sys_admin).  userns=off stays a
 * setting for trusted jails (man page, SECURITY).
 */
static const char *
ioc_lx_privileged_drop(const struct ioc_jail *j)
{
	static const char *const mounts[] = { "allow_mount", "allow_mount_devfs",
		"allow_mount_nullfs", "allow_mount_procfs", "allow_mount_tmpfs", "allow_mount_zfs",
		NULL };
	size_t i;
	for (i = 0; mounts[i]; i++)
		if (strcmp(ioc_lx_get(j, mounts[i]), "1") == 0)
			return " mknod dac_read_search sys_ptrace";
	return " sys_admin mknod dac_read_search sys_ptrace";
}

/*
 * The device cgroup of every jail: nothing but LXC's standard list (null,
 * zero, full, random, urandom, tty, console, ptmx, the pts; mknod of nodes,
 * which opening needs the list too), in cgroup v1 or v2 (liblxc's BPF
 * program) as the host has the devices controller.  Before, no rule was set:
 * a privileged jail could open any device node of the host.
 */
static void
ioc_lx_devices(struct ioc_lx_start *s)
{
	static const char *const allow[] = { "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm",
		"c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
		"c 136:* rwm", NULL };
	const char *v = ioc_lx_cg_kind("devices") == IOC_CG_V1 ? "lxc.cgroup.devices" :
	    "lxc.cgroup2.devices";
	_cleanup_free_ char *deny = ioc_xasprintf("%s.deny", v);
	_cleanup_free_ char *ok = ioc_xasprintf("%s.allow", v);
	size_t i;
	ioc_lx_cfg(s, deny, "a");
	for (i = 0; allow[i]; i++)
		ioc_lx_cfg(s, ok, "%s", allow[i]);
}

/* Step: the container itself, daemonized, running ioc-init. */
static int
ioc_lx_container(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct lxc_container *c;
	size_t i;
	_cleanup_free_ char *log = ioc_xasprintf("%s/lxc.log", s->dir);
	_cleanup_free_ char *cfgtmp = ioc_xasprintf("%s/config.tmp", s->dir);
	_cleanup_free_ char *cfg = ioc_xasprintf("%s/config", s->dir);
	_cleanup_free_ char *cgsaved = NULL;
	bool ok;
	int raw = strcmp(ioc_lx_get(s->j, "allow_raw_sockets"), "1") == 0;
	static const char *const drop = "sys_module sys_rawio sys_time sys_boot mac_admin "
	    "mac_override audit_control sys_pacct";

	ioc_lx_cfg(s, "lxc.log.file", "%s", log);
	ioc_lx_cfg(s, "lxc.log.level", "WARN");
	ioc_lx_cfg(s, "lxc.rootfs.path", "dir:%s", s->j->rootfs);
	ioc_lx_cfg(s, "lxc.uts.name", "%s", ioc_lx_get(s->j, "host_hostname"));
	ioc_lx_cfg(s, "lxc.autodev", "1");
	if (s->net.mode == IOC_NET_INHERIT && s->userns) {
		/* sysfs cannot be mounted in a user namespace that does not own the
		 * network namespace: show the host's (its files stay root's) */
		ioc_lx_cfg(s, "lxc.mount.auto", "proc:mixed");
		ioc_lx_cfg(s, "lxc.mount.entry", "/sys sys none rbind 0 0");
	} else
		ioc_lx_cfg(s, "lxc.mount.auto", "proc:mixed sys:mixed");
	{
		_cleanup_free_ char *src = ioc_fstab_escape(s->init);
		ioc_lx_cfg(s, "lxc.mount.entry", "%s %s none bind,ro,create=file 0 0", src,
		    &IOC_LX_INIT_IN_JAIL[1]);
	}
	ioc_lx_cfg(s, "lxc.init.cmd", IOC_LX_INIT_IN_JAIL);
	ioc_lx_cfg(s, "lxc.console.path", "none");
	ioc_lx_cfg(s, "lxc.pty.max", "64");
	ioc_lx_cfg(s, "lxc.tty.max", "0");
	ioc_lx_cfg(s, "lxc.signal.halt", "SIGTERM");
	if (access("/sys/kernel/security/apparmor", F_OK) != 0)
		ioc_lx_cfg(s, "lxc.apparmor.profile", "unconfined");
	if (access("/usr/share/lxc/config/common.seccomp", R_OK) == 0)
		ioc_lx_cfg(s, "lxc.seccomp.profile", "/usr/share/lxc/config/common.seccomp");
	/* a DHCP client needs a packet socket: a DHCP jail keeps CAP_NET_RAW (its own netns) */
	for (i = 0; i < s->net.nifs; i++)
		raw |= s->net.ifs[i].dhcp4;
	ioc_lx_cfg(s, "lxc.cap.drop", "%s%s%s%s", drop, raw ? "" : " net_raw",
	    strcmp(ioc_lx_get(s->j, "allow_chflags"), "1") == 0 ? "" : " linux_immutable",
	    s->userns ? "" : ioc_lx_privileged_drop(s->j));
	ioc_lx_devices(s);
	if (s->userns) {
		ioc_lx_cfg(s, "lxc.idmap", "u 0 %lu %lu", s->idmap.host, s->idmap.count);
		ioc_lx_cfg(s, "lxc.idmap", "g 0 %lu %lu", s->idmap.host, s->idmap.count);
	}
	/* paths as fstab(5) fields: a blank in a path cannot add fields or options */
	for (i = 0; i < s->fstab.n; i++) {
		_cleanup_free_ char *src = ioc_fstab_escape(s->fstab.v[i].src);
		_cleanup_free_ char *dst = ioc_fstab_escape(s->fstab.v[i].dst +
		    strspn(s->fstab.v[i].dst, "/"));
		ioc_lx_cfg(s, "lxc.mount.entry", "%s %s none bind%s 0 0", src, dst,
		    s->fstab.v[i].ro ? ",ro" : "");
	}
	if (s->zfs_src) {
		_cleanup_free_ char *src = ioc_fstab_escape(s->zfs_src);
		_cleanup_free_ char *dst = ioc_fstab_escape(s->zfs_dst + strspn(s->zfs_dst, "/"));
		ioc_lx_cfg(s, "lxc.mount.entry", "%s %s none bind 0 0", src, dst);
	}
	for (i = 0; i < s->ncg; i++) {
		_cleanup_free_ char *k = ioc_xasprintf("lxc.cgroup%s.%s",
		    ioc_lx_cg_kind(s->cg[i].ctrl) == IOC_CG_V2 ? "2" : "", s->cg[i].file);
		ioc_lx_cfg(s, k, "%s", s->cg[i].value);
		if (strcmp(s->cg[i].file, "cpu.cfs_quota_us") == 0)
			ioc_lx_cfg(s, "lxc.cgroup.cpu.cfs_period_us", "100000");
		if (strcmp(s->cg[i].file, "memory.limit_in_bytes") == 0 &&
		    access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
			ioc_lx_cfg(s, "lxc.cgroup.memory.memsw.limit_in_bytes", "%s", s->cg[i].value);
	}
	if (ioc_parse_bool(ioc_lx_get(s->j, "rlimits")) == 1) {
		unsigned long long n;
		if (ioc_lx_limit_amount(ioc_lx_get(s->j, "openfiles"), &n) == 0)
			ioc_lx_cfg(s, "lxc.prlimit.nofile", "%llu", n);
	}
#ifdef IOC_FAULT_INJECT
	ioc_lx_cfg_dump(s);
#endif
	c = lxc_container_new(s->name, ioc_lx_path());
	if (c == NULL)
		return ioc_err(err, "liblxc cannot make container '%s'", s->name);
	for (i = 0; i + 1 < s->cfg.n; i += 2)
		if (!c->set_config_item(c, s->cfg.v[i], s->cfg.v[i + 1])) {
			ioc_err(err, "liblxc refused %s = %s", s->cfg.v[i], s->cfg.v[i + 1]);
			lxc_container_put(c);
			return -1;
		}
	/* a copy for people and lxc-* tools (removed at stop); written atomically */
	if (c->save_config(c, cfgtmp))
		rename(cfgtmp, cfg);
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	/*
	 * The monitor is orphaned by liblxc's double fork; as a subreaper we
	 * can reap it if this start is undone, so its cgroups can go at once.
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(stdout);
	fflush(stderr);
	{
		size_t l;
		struct ioc_error *e2 = NULL;
		if (ioc_read_file("/proc/self/cgroup", 65536, &cgsaved, &l, &e2) != 0)
			ioc_error_free(e2);
	}
	ok = c->start(c, 0, NULL);
	ioc_lx_cg_restore(cgsaved);
	if (!ok) {
		_cleanup_free_ char *why = ioc_lx_log_error(s->dir);
		ioc_err(err, "the container did not start%s%s", why ? ": " : " (see the log of liblxc)",
		    why ? why : "");
		ioc_lx_destroy_container(c, s->name, s->dir);
		lxc_container_put(c);
		return -1;
	}
	s->c = c;
	return 0;
}

/* The host PID of a running container's monitor (the parent of its init). */
static pid_t
ioc_lx_monitor_pid(struct lxc_container *c)
{
	pid_t init = c->init_pid(c);
	_cleanup_free_ char *path = NULL;
	char *text = NULL, *pp;
	size_t len;
	struct ioc_error *e = NULL;
	long ppid = -1;
	if (init <= 0)
		return -1;
	path = ioc_xasprintf("/proc/%ld/status", (long)init);
	if (ioc_read_file(path, 65536, &text, &len, &e) != 0) {
		ioc_error_free(e);
		return -1;
	}
	pp = strstr(text, "\nPPid:");
	if (pp)
		ppid = strtol(pp + 6, NULL, 10);
	free(text);
	return ppid > 1 ? (pid_t)ppid : -1;
}

/* Waits (up to timeout_s) for a process that is not our child to exit. */
static void
ioc_lx_wait_gone(pid_t pid, int timeout_s)
{
	int pfd;
	struct pollfd p;
	if (pid <= 0)
		return;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return;
	p.fd = pfd;
	p.events = POLLIN;
	p.revents = 0;
	while (poll(&p, 1, timeout_s * 1000) < 0 && errno == EINTR)
		;
	close(pfd);
}

/*
 * Stops a container now and removes what liblxc leaves: its monitor
 * cgroups, which the monitor cannot remove while it is still inside them.
 */
static void
ioc_lx_destroy_container(struct lxc_container *c, const char *name, const char *dir)
{
	pid_t mon = ioc_lx_monitor_pid(c);
	(void)dir;

	if (c->is_running(c))
		c->stop(c);
	c->wait(c, "STOPPED", 10);
	ioc_lx_wait_gone(mon, 10);
	if (mon > 0)
		waitpid(mon, NULL, WNOHANG); /* ours when this process started it */
	ioc_lx_cg_cleanup(name);
}

static void
ioc_lx_uncontainer(struct ioc_lx_start *s)
{
	if (s->c) {
		ioc_lx_destroy_container(s->c, s->name, s->dir);
		lxc_container_put(s->c);
		s->c = NULL;
	}
}

/* Step: host-side MACs of the veth pairs (liblxc sets only the jail side). */
static int
ioc_lx_host_macs(struct ioc_lx_start *s, struct ioc_error **err)
{
	size_t i;
	int fd;
	if (s->net.mode != IOC_NET_VNET || s->net.nifs == 0)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ioc_err(err, "socket: %s", strerror(errno));
	for (i = 0; i < s->net.nifs; i++) {
		_cleanup_free_ char *host = ioc_net_host_ifname(s->j->uuid, (unsigned)i);
		struct ifreq ifr;
		size_t b;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", host);
		ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
		for (b = 0; b < 6; b++) {
			char h[3] = { s->net.ifs[i].mac_host[2 * b], s->net.ifs[i].mac_host[2 * b + 1], 0 };
			ifr.ifr_hwaddr.sa_data[b] = (char)strtoul(h, NULL, 16);
		}
		if (ioctl(fd, SIOCSIFHWADDR, &ifr) != 0) {
			ioc_err(err, "cannot set the MAC address of %s: %s", host, strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* Step: nat=on's host side and rules (engine_linux_nat.c). */
static int
ioc_lx_nat(struct ioc_lx_start *s, struct ioc_error **err)
{
	return ioc_lx_nat_start(s->root, s->j, &s->net, s->dir, err);
}

static void
ioc_lx_unnat(struct ioc_lx_start *s)
{
	ioc_lx_nat_stop(s->dir);
}

/*
 * Step: DHCP and router adverts (engine_linux_dhcp.c).  The jail's DHCP
 * client runs inside as its root, bounded by exec_timeout, and stays to
 * renew; a start without a lease fails.  SLAAC needs no program: accept_ra
 * is turned on and the first address awaited for up to 10 s.
 */
static int
ioc_lx_dhcp(struct ioc_lx_start *s, struct ioc_error **err)
{
	long long t = 60;
	pid_t init;
	size_t i, tries;
	if (s->net.mode != IOC_NET_VNET)
		return 0;
	ioc_parse_ll(ioc_lx_get(s->j, "exec_timeout"), 0, 86400, &t);
	init = s->c->init_pid(s->c);
	for (i = 0; i < s->net.nifs; i++) {
		const struct ioc_net_if *f = &s->net.ifs[i];
		_cleanup_strv_ struct ioc_strv addrs = IOC_STRV_INIT;
		struct ioc_strv *argv = &s->dhcp_argv[i]; /* found by the check step */
		int status = 0, to = 0;
		if (f->rtadv6 && ioc_lx_if_addrs(init, f->name, 1, 1, &addrs, err) != 0)
			return -1;
		if (!f->dhcp4)
			continue;
		if (ioc_lx_attach(s->c, ioc_strv_argv(argv), NULL, IOC_LX_ATT_NOSTDIN, (int)t, &status,
		    &to, err) != 0)
			return ioc_error_wrap(err, "DHCP on %s", f->name);
		if (to || status != 0)
			return ioc_err(err, "DHCP on %s: %s got no lease%s (is a DHCP server on %s?)",
			    f->name, argv->v[0], to ? " within exec_timeout" : "",
			    f->bridge ? f->bridge : "its link");
		ioc_strv_release(&addrs);
		if (ioc_lx_if_addrs(init, f->name, 0, 0, &addrs, err) != 0)
			return -1;
		if (addrs.n == 0)
			return ioc_err(err, "DHCP on %s: %s ended without error, but %s has no IPv4 "
			    "address (does its event script configure the lease?)", f->name, argv->v[0],
			    f->name);
	}
	for (i = 0; i < s->net.nifs; i++) {
		_cleanup_strv_ struct ioc_strv addrs = IOC_STRV_INIT;
		if (!s->net.ifs[i].rtadv6)
			continue;
		for (tries = 0; tries < 50 && addrs.n == 0; tries++) {
			if (tries)
				usleep(200000);
			if (ioc_lx_if_addrs(init, s->net.ifs[i].name, 1, 0, &addrs, err) != 0)
				return -1;
		}
		if (addrs.n == 0)
			ioc_note("ip6_addr=%s|accept_rtadv: no router advert in 10 s; %s gets its SLAAC "
			    "address when one comes", s->net.ifs[i].name, ioc_lx_tag(s->j));
	}
	return 0;
}

/* Step: exec_start inside; the jail stays up after it returns (persist). */
static int
ioc_lx_exec_start(struct ioc_lx_start *s, struct ioc_error **err)
{
	long long t = 60;
	int status = 0, to = 0;
	if (s->start_argv.n == 0)
		return 0;
	ioc_parse_ll(ioc_lx_get(s->j, "exec_timeout"), 0, 86400, &t);
	if (ioc_lx_attach(s->c, ioc_strv_argv(&s->start_argv), &s->runas, IOC_LX_ATT_NOSTDIN, (int)t,
	    &status, &to,
	    err) != 0)
		return ioc_error_wrap(err, "exec_start");
	if (to)
		return ioc_err(err, "exec_start '%s' did not finish within exec_timeout=%lld s",
		    ioc_lx_get(s->j, "exec_start"), t);
	if (status != 0)
		return ioc_err(err, "exec_start '%s' failed with status %d", ioc_lx_get(s->j,
		    "exec_start"), status);
	return 0;
}

static int
ioc_lx_last_started(struct ioc_lx_start *s, struct ioc_error **err)
{
	_cleanup_free_ char *now = ioc_now_fmt("%Y-%m-%d %H:%M:%S");
	return ioc_zfs_set(s->j->dataset, IOC_PROP_PREFIX "last_started", now, err);
}

struct ioc_lx_step {
	const char *name;
	int (*run)(struct ioc_lx_start *s, struct ioc_error **err);
	void (*undo)(struct ioc_lx_start *s);
};

static const struct ioc_lx_step ioc_lx_steps[] = {
	{ "check", ioc_lx_check, NULL },
	{ "rundir", ioc_lx_mkdir, ioc_lx_rmdir },
	{ "macs", ioc_lx_macs, NULL },
	{ "files", ioc_lx_files, NULL },
	{ "exec_prestart", ioc_lx_prestart, NULL },
	{ "container", ioc_lx_container, ioc_lx_uncontainer },
	{ "host macs", ioc_lx_host_macs, NULL },
	{ "nat", ioc_lx_nat, ioc_lx_unnat },
	{ "dhcp", ioc_lx_dhcp, NULL },
	{ "exec_start", ioc_lx_exec_start, NULL },
	{ "exec_poststart", ioc_lx_poststart, NULL },
	{ "last_started", ioc_lx_last_started, NULL },
	{ NULL, NULL, NULL },
};

static void
ioc_lx_start_release(struct ioc_lx_start *s)
{
	size_t k;
	if (s->c)
		lxc_container_put(s->c);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->name);
	free(s->dir);
	free(s->init);
	free(s->zfs_src);
	free(s->zfs_ds);
	free(s->zfs_dst);
	free(s->runas.home);
	ioc_net_plan_release(&s->net);
	ioc_fstab_release(&s->fstab);
	ioc_strv_release(&s->start_argv);
	ioc_strv_release(&s->stop_check);
	for (k = 0; k < sizeof(s->dhcp_argv) / sizeof(s->dhcp_argv[0]); k++)
		ioc_strv_release(&s->dhcp_argv[k]);
	ioc_strv_release(&s->cfg);
	ioc_lx_cg_free(s->cg, s->ncg);
}

static int
ioc_lx_start(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_lx_start s;
	size_t i;
	int rc = 0;

	/* a legacy root's fstab file and hook scripts join the values (legacy.h) */
	if (ioc_legacy_jail_prepare(j, 0, err) != 0 || ioc_jail_check_delegation(root, j, err) != 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.root = root;
	s.j = j;
	s.rootfd = -1;
	s.name = ioc_lx_name(j);
	s.dir = ioc_xasprintf("%s/%s", ioc_lx_path(), s.name);
	ioc_strv_init(&s.cfg);
	/* debris of an interrupted start or stop: a stopped container leaves nothing */
	ioc_lx_rmdir_name(s.dir);
	ioc_lx_cg_cleanup(s.name);
	for (i = 0; ioc_lx_steps[i].name; i++) {
		double t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
		int r = ioc_lx_steps[i].run(&s, err);
		ioc_trace(t0, "start %s: step %s", s.name, ioc_lx_steps[i].name);
		if (r == 0)
			continue;
		while (i-- > 0)
			if (ioc_lx_steps[i].undo)
				ioc_lx_steps[i].undo(&s);
		rc = -1;
		break;
	}
	ioc_lx_start_release(&s);
	return rc;
}

/* ------------------------------------------------------------- stop */

static int
ioc_lx_stop(const struct ioc_root *root, struct ioc_jail *j, int force, struct ioc_error **err)
{
	struct lxc_container *c = ioc_lx_open(j, err);
	_cleanup_free_ char *name = ioc_lx_name(j);
	_cleanup_free_ char *dir = NULL;
	_cleanup_strv_ struct ioc_strv argv = IOC_STRV_INIT;
	long long t = 30, et = 60;
	int rootfd = -1, rc = -1;
	double t0;
	pid_t mon;
	(void)root;

	if (c == NULL)
		return -1;
	/* a legacy root's prestop/poststop scripts (legacy.h) */
	if (ioc_legacy_jail_prepare(j, 1, err) != 0) {
		lxc_container_put(c);
		return -1;
	}
	dir = ioc_xasprintf("%s/%s", ioc_lx_path(), name);
	ioc_parse_ll(ioc_lx_get(j, "stop_timeout"), 0, 86400, &t);
	ioc_parse_ll(ioc_lx_get(j, "exec_timeout"), 0, 86400, &et);
	if (!c->is_running(c)) {
		/* nothing runs: remove what an interrupted start or stop left */
		ioc_lx_rmdir_name(dir);
		ioc_lx_cg_cleanup(name);
		lxc_container_put(c);
		return 0;
	}
	t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	if (!force && ioc_lx_hook(j, "exec_prestop", err) != 0) {
		ioc_error_wrap(err, "not stopped (stop -f skips the hooks)");
		goto out;
	}
	if (!force && j->rootfs && (rootfd = ioc_lx_root_open(j->rootfs, NULL)) >= 0) {
		struct ioc_error *e2 = NULL;
		struct ioc_lx_runas as = { 0, 0, NULL };
		if (ioc_lx_jail_user(rootfd, ioc_lx_get(j, "exec_jail_user"), &as, &e2) == 0 &&
		    ioc_lx_jail_cmd(rootfd, j, "exec_stop", &argv, &e2) == 0 && argv.n) {
			int status = 0, to = 0;
			if (ioc_lx_attach(c, ioc_strv_argv(&argv), &as, IOC_LX_ATT_NOSTDIN, (int)et,
			    &status, &to,
			    &e2) == 0 && (status != 0 || to))
				ioc_note("exec_stop %s", to ? "timed out" : "failed");
		}
		if (e2)
			ioc_note("%s", e2->msg);
		ioc_error_free(e2);
		free(as.home);
	}
	ioc_trace(t0, "stop %s: exec_prestop and exec_stop", name);
	t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	/* SIGTERM to init: it passes SIGTERM to every process and exits when they are gone */
	mon = ioc_lx_monitor_pid(c);
	if (force || !c->shutdown(c, (int)(t > 0 ? t : 1)))
		c->stop(c);
	if (c->is_running(c)) {
		ioc_err(err, "the container did not stop");
		goto out;
	}
	ioc_lx_wait_gone(mon, 10);
	ioc_trace(t0, "stop %s: shutdown (SIGTERM, %lld s grace)", name, force ? 0 : t);
	t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	ioc_lx_cg_cleanup(name);
	ioc_lx_rmdir_name(dir);
	ioc_trace(t0, "stop %s: cgroups and run directory removed", name);
	t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	if (!force && ioc_lx_hook(j, "exec_poststop", err) != 0)
		goto out;
	ioc_trace(t0, "stop %s: exec_poststop", name);
	rc = 0;
out:
	if (rootfd >= 0)
		close(rootfd);
	lxc_container_put(c);
	return rc;
}

/* ------------------------------------------------------------- states */

static int
ioc_lx_states(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	char **names = NULL;
	int n, i;
	size_t k;
	(void)root;
	(void)err;
	if (access(ioc_lx_path(), F_OK) != 0)
		return 0;
	n = list_active_containers(ioc_lx_path(), &names, NULL);
	for (i = 0; i < n; i++) {
		for (k = 0; k < js->n; k++) {
			struct lxc_container *c;
			pid_t pid;
			if (strncmp(names[i], "ioc-", 4) != 0 || strcmp(names[i] + 4, js->v[k].uuid) != 0)
				continue;
			c = lxc_container_new(names[i], ioc_lx_path());
			if (c == NULL)
				break;
			pid = c->init_pid(c);
			if (pid > 0) {
				st[k].running = 1;
				snprintf(st[k].jid, sizeof(st[k].jid), "%ld", (long)pid);
			}
			lxc_container_put(c);
			break;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* ------------------------------------------------------------- exec */

static int
ioc_lx_exec(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_exec_opts *o,
    int *status, struct ioc_error **err)
{
	struct lxc_container *c = ioc_lx_open(j, err);
	struct ioc_lx_runas as = { 0, 0, NULL };
	_cleanup_free_ char *prog = NULL;
	int rootfd = -1, rc = -1, to = 0;
	char **argv = NULL;
	size_t n, i;
	(void)root;

	if (c == NULL)
		return -1;
	if (!c->is_running(c)) {
		ioc_err(err, "jail '%s' is not running ('iocage start %s' first; 'iocage chroot' runs "
		    "commands in a stopped jail's files)", ioc_lx_tag(j), ioc_lx_tag(j));
		goto out;
	}
	if ((rootfd = ioc_lx_root_open(j->rootfs, err)) < 0)
		goto out;
	if (o->jail_user) {
		if (ioc_lx_jail_user(rootfd, o->jail_user, &as, err) != 0)
			goto out;
	} else if (o->host_user) {
		struct passwd *pw = getpwnam(o->host_user);
		if (pw == NULL) {
			ioc_err(err, "no host user '%s' (-u names a user of the host; -U one of the jail)",
			    ioc_has_ctrl(o->host_user) ? "?" : o->host_user);
			goto out;
		}
		as.uid = pw->pw_uid;
		as.gid = pw->pw_gid;
		as.home = ioc_xstrdup("/");
	} else if (ioc_lx_jail_user(rootfd, "root", &as, err) != 0)
		goto out;
	if (ioc_lx_find_prog(rootfd, o->argv[0], &prog) != 0) {
		ioc_fail(err, 127, "%s: no such program in jail '%s'",
		    ioc_has_ctrl(o->argv[0]) ? "?" : o->argv[0], ioc_lx_tag(j));
		goto out;
	}
	for (n = 0; o->argv[n]; n++)
		;
	argv = ioc_xcalloc(n + 1, sizeof(*argv));
	argv[0] = prog;
	for (i = 1; i < n; i++)
		argv[i] = o->argv[i];
	if (ioc_lx_attach(c, argv, &as, o->interactive ? IOC_LX_ATT_TERMINAL : 0, 0, status, &to,
	    err) != 0)
		goto out;
	rc = 0;
out:
	free(argv);
	free(as.home);
	if (rootfd >= 0)
		close(rootfd);
	lxc_container_put(c);
	return rc;
}

/* Is the jail's container running?  liblxc asks its monitor: no process, no ZFS. */
static int
ioc_lx_is_up(const struct ioc_root *root, const struct ioc_jail *j)
{
	struct lxc_container *c = ioc_lx_open(j, NULL);
	int on;
	(void)root;
	if (c == NULL)
		return 0;
	on = c->is_running(c) ? 1 : 0;
	lxc_container_put(c);
	return on;
}

/* ------------------------------------------------------------- set-time checks */

static int
ioc_lx_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	const char *const *l;
	if (p->type == IOC_PT_RLIMIT && strcmp(value, "off") != 0) {
		for (l = ioc_lx_limits; *l; l++)
			if (strcmp(*l, p->name) == 0)
				return 0;
		return ioc_err(err, "resource limit '%s' has no Linux analogue (Linux jails support "
		    "memoryuse, pcpu, maxproc, openfiles and the cpuset property): set it to off",
		    p->name);
	}
	if (strcmp(p->name, "host_hostname") == 0 && strlen(value) > 64)
		return ioc_err(err, "invalid value for property 'host_hostname' (%zu characters): "
		    "Linux host names have at most 64 characters", strlen(value));
	if (strcmp(p->name, "mac_prefix") == 0 && !ioc_net_valid_mac_prefix(value))
		return ioc_err(err, "invalid mac_prefix '%s': expected 6 hex digits of a unicast "
		    "prefix (first byte even), e.g. 02ff60", value);
	return 0;
}

/* ------------------------------------------------------------- CVE-2019-5736 */

/*
 * liblxc re-executes a program from a sealed memory copy when
 * LXC_MEMFD_REXEC is set at load time, so that no process entering a
 * container has the host binary as /proc/self/exe.  Set it and re-execute
 * once, before the command has changed anything.
 */
static int
ioc_lx_prepare(struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	char *cmdline = NULL, exe[4096];
	size_t len, i, start = 0;
	ssize_t l;
	extern char **environ;

	if (getenv("LXC_MEMFD_REXEC") != NULL || getenv("IOCAGE_NO_REXEC") != NULL)
		return 0;
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l <= 0)
		return ioc_err(err, "cannot read /proc/self/exe: %s", strerror(errno));
	exe[l] = '\0';
	if (ioc_read_file("/proc/self/cmdline", 1 << 20, &cmdline, &len, err) != 0)
		return -1;
	ioc_strv_init(&argv);
	for (i = 0; i < len; i++)
		if (cmdline[i] == '\0') {
			ioc_strv_push(&argv, cmdline + start);
			start = i + 1;
		}
	setenv("IOCAGE_SELF", exe, 1);
	setenv("LXC_MEMFD_REXEC", "1", 1);
	fflush(stdout);
	fflush(stderr);
	execve("/proc/self/exe", ioc_strv_argv(&argv), environ);
	ioc_strv_release(&argv);
	free(cmdline);
	return ioc_err(err, "cannot re-execute iocage: %s", strerror(errno));
}

const struct ioc_engine_ops ioc_engine_linux = {
	.name = "linux",
	.states = ioc_lx_states,
	.start = ioc_lx_start,
	.stop = ioc_lx_stop,
	.exec = ioc_lx_exec,
	.running = ioc_lx_is_up,
	.runtime = ioc_lx_runtime,
	.cap = ioc_lx_cap,
	.uncap = ioc_lx_uncap,
	.inuse = ioc_lx_inuse,
	.check_prop = ioc_lx_check_prop,
	.prepare = ioc_lx_prepare,
	.addrs = ioc_lx_addrs,
};
