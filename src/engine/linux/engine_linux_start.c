/*
 * engine_linux_start.c — the container itself, start as an ordered list of steps with undo, stop
 * (engine_linux.h).
 */
#include "engine/engine.h"
#include "engine/linux/engine_linux.h"
#include "core/runrec.h"
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

static void ioc_lx_destroy_container(struct lxc_container *c, const char *name, const char *dir);

/* The container's system: log, root, hostname, the mounts of /proc, /sys
 * and ioc-init, init, console and ttys, halt signal, AppArmor, seccomp. */
static void
ioc_lx_cfg_system(struct ioc_lx_start *s)
{
	_cleanup_free_ char *log = ioc_xasprintf("%s/lxc.log", s->dir);

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
}

/* What the container may do: the capabilities it loses, its devices, and
 * with userns its id map. */
static void
ioc_lx_cfg_privileges(struct ioc_lx_start *s)
{
	size_t i;
	int raw = strcmp(ioc_lx_get(s->j, "allow_raw_sockets"), "1") == 0;
	static const char *const drop = "sys_module sys_rawio sys_time sys_boot mac_admin "
					"mac_override audit_control sys_pacct";

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
}

/* The bind mounts of fstab and of the delegated dataset (jail_zfs). */
static void
ioc_lx_cfg_mounts(struct ioc_lx_start *s)
{
	size_t i;

	/* paths as fstab(5) fields: a blank in a path cannot add fields or options */
	for (i = 0; i < s->fstab.n; i++) {
		_cleanup_free_ char *src = ioc_fstab_escape(s->fstab.v[i].src);
		_cleanup_free_ char *dst =
		    ioc_fstab_escape(s->fstab.v[i].dst + strspn(s->fstab.v[i].dst, "/"));
		ioc_lx_cfg(s, "lxc.mount.entry", "%s %s none bind%s 0 0", src, dst,
		    s->fstab.v[i].ro ? ",ro" : "");
	}
	if (s->zfs_src) {
		_cleanup_free_ char *src = ioc_fstab_escape(s->zfs_src);
		_cleanup_free_ char *dst = ioc_fstab_escape(s->zfs_dst + strspn(s->zfs_dst, "/"));
		ioc_lx_cfg(s, "lxc.mount.entry", "%s %s none bind 0 0", src, dst);
	}
}

/* The limits: the cgroup settings and, with rlimits=on, openfiles. */
static void
ioc_lx_cfg_limits(struct ioc_lx_start *s)
{
	size_t i;

	for (i = 0; i < s->ncg; i++) {
		_cleanup_free_ char *k = ioc_xasprintf("lxc.cgroup%s.%s",
		    ioc_lx_cg_kind(s->cg[i].ctrl) == IOC_CG_V2 ? "2" : "", s->cg[i].file);
		ioc_lx_cfg(s, k, "%s", s->cg[i].value);
		if (strcmp(s->cg[i].file, "cpu.cfs_quota_us") == 0)
			ioc_lx_cfg(s, "lxc.cgroup.cpu.cfs_period_us", "100000");
		if (strcmp(s->cg[i].file, "memory.limit_in_bytes") == 0 &&
		    access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
			ioc_lx_cfg(
			    s, "lxc.cgroup.memory.memsw.limit_in_bytes", "%s", s->cg[i].value);
	}
	if (ioc_parse_bool(ioc_lx_get(s->j, "rlimits")) == 1) {
		unsigned long long n;
		if (ioc_lx_limit_amount(ioc_lx_get(s->j, "openfiles"), &n) == 0)
			ioc_lx_cfg(s, "lxc.prlimit.nofile", "%llu", n);
	}
}

/* A liblxc container given every item of the configuration, a copy of which
 * is saved in the run-time directory; NULL (err set) if liblxc refuses. */
static struct lxc_container *
ioc_lx_container_new(struct ioc_lx_start *s, struct ioc_error **err)
{
	_cleanup_free_ char *cfgtmp = ioc_xasprintf("%s/config.tmp", s->dir);
	_cleanup_free_ char *cfg = ioc_xasprintf("%s/config", s->dir);
	struct lxc_container *c;
	size_t i;

	c = lxc_container_new(s->name, ioc_lx_path());
	if (c == NULL) {
		ioc_err(err, "liblxc cannot make container '%s'", s->name);
		return NULL;
	}
	for (i = 0; i + 1 < s->cfg.n; i += 2)
		if (!c->set_config_item(c, s->cfg.v[i], s->cfg.v[i + 1])) {
			ioc_err(err, "liblxc refused %s = %s", s->cfg.v[i], s->cfg.v[i + 1]);
			lxc_container_put(c);
			return NULL;
		}
	/* a copy for people and lxc-* tools (removed at stop); written atomically */
	if (c->save_config(c, cfgtmp))
		rename(cfgtmp, cfg);
	return c;
}

/* Step: the container itself, daemonized, running ioc-init. */
static int
ioc_lx_container(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct lxc_container *c;
	_cleanup_free_ char *cgsaved = NULL;
	bool ok;

	ioc_lx_cfg_system(s);
	ioc_lx_cfg_privileges(s);
	ioc_lx_cfg_mounts(s);
	ioc_lx_cfg_limits(s);
#ifdef IOC_FAULT_INJECT
	ioc_lx_cfg_dump(s);
#endif
	c = ioc_lx_container_new(s, err);
	if (c == NULL)
		return -1;
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
		ioc_err(err, "the container did not start%s%s",
		    why ? ": " : " (see the log of liblxc)", why ? why : "");
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
			char h[3] = { s->net.ifs[i].mac_host[2 * b],
				s->net.ifs[i].mac_host[2 * b + 1], 0 };
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
		if (ioc_lx_attach(s->c, ioc_strv_argv(argv), NULL, IOC_LX_ATT_NOSTDIN, (int)t,
			&status, &to, err) != 0)
			return ioc_error_wrap(err, "DHCP on %s", f->name);
		if (to || status != 0)
			return ioc_err(err,
			    "DHCP on %s: %s got no lease%s (is a DHCP server on %s?)", f->name,
			    argv->v[0], to ? " within exec_timeout" : "",
			    f->bridge ? f->bridge : "its link");
		ioc_strv_release(&addrs);
		if (ioc_lx_if_addrs(init, f->name, 0, 0, &addrs, err) != 0)
			return -1;
		if (addrs.n == 0)
			return ioc_err(err,
			    "DHCP on %s: %s ended without error, but %s has no IPv4 "
			    "address (does its event script configure the lease?)",
			    f->name, argv->v[0], f->name);
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
			ioc_note(
			    "ip6_addr=%s|accept_rtadv: no router advert in 10 s; %s gets its SLAAC "
			    "address when one comes",
			    s->net.ifs[i].name, ioc_lx_tag(s->j));
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
	if (ioc_lx_attach(s->c, ioc_strv_argv(&s->start_argv), &s->runas, IOC_LX_ATT_NOSTDIN,
		(int)t, &status, &to, err) != 0)
		return ioc_error_wrap(err, "exec_start");
	if (to)
		return ioc_err(err, "exec_start '%s' did not finish within exec_timeout=%lld s",
		    ioc_lx_get(s->j, "exec_start"), t);
	if (status != 0)
		return ioc_err(err, "exec_start '%s' failed with status %d",
		    ioc_lx_get(s->j, "exec_start"), status);
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

int
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

int
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
	struct ioc_error *e2 = NULL;
	struct ioc_lx_runas as = { 0, 0, NULL };

	if (c == NULL)
		return -1;
	if (ioc_runrec_elsewhere(root->name, j->uuid)) {
		/* ioc-UUID is the same UUID's in another root of this host (a migrated
		 * jail, a replica promoted there): neither stopped nor cleaned from here */
		lxc_container_put(c);
		return 0;
	}
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
	if (!force && j->rootfs && (rootfd = ioc_lx_root_open(j->rootfs, NULL)) >= 0 &&
	    (ioc_lx_jail_user(rootfd, ioc_lx_get(j, "exec_jail_user"), &as, &e2) != 0 ||
		ioc_lx_jail_cmd(rootfd, j, "exec_stop", &argv, &e2) != 0))
		ioc_strv_release(&argv);
	/* entering the jail needs the sealed copy (a lone stop, the root named,
	 * comes here without it): made now, before any hook */
	if (argv.n && ioc_lx_prepare(err) != 0)
		goto out;
	if (!force && ioc_lx_hook(j, "exec_prestop", err) != 0) {
		ioc_error_wrap(err, "not stopped (stop -f skips the hooks)");
		goto out;
	}
	if (argv.n) {
		int status = 0, to = 0;
		if (ioc_lx_attach(c, ioc_strv_argv(&argv), &as, IOC_LX_ATT_NOSTDIN, (int)et,
			&status, &to, &e2) == 0 &&
		    (status != 0 || to))
			ioc_note("exec_stop %s", to ? "timed out" : "failed");
	}
	if (e2)
		ioc_note("%s", e2->msg);
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
	ioc_trace(t0, "stop %s: shutdown (SIGTERM, %lld s grace)", name, force ? 0 : t);
	t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	ioc_lx_wait_gone(mon, 10);
	ioc_trace(t0, "stop %s: liblxc's monitor gone", name);
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
	ioc_error_free(e2);
	free(as.home);
	lxc_container_put(c);
	return rc;
}
