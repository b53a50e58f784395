/*
 * engine_linux_config.c — the container's configuration, built in memory, and the checks made
 * before a start (engine_linux.h).
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

/*
 * Every property this engine reads (besides the network ones, which the net
 * plan validates): validated again at start, because a value may have been
 * written with `zfs set` behind iocage's back, and none may carry a newline
 * into the container's configuration.
 */
static const char *const ioc_lx_used[] = { "host_hostname", "exec_start", "exec_stop",
	"exec_prestart", "exec_poststart", "exec_prestop", "exec_poststop", "exec_timeout",
	"stop_timeout", "exec_jail_user", "resolver", "fstab", "userns", "userns_idmap", "jail_zfs",
	"jail_zfs_dataset", "jail_zfs_mountpoint", "rlimits", "cpuset", "memoryuse", "pcpu",
	"maxproc", "openfiles", "allow_raw_sockets", "allow_chflags", "mac_prefix", NULL };

/* ------------------------------------------------------------- start */

void
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
		_cleanup_free_ char *path =
		    ioc_xasprintf("/lib/modules/%s/%s", u.release, lists[i]);
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
	case IOC_NET_INHERIT: ioc_lx_cfg(s, "lxc.net.0.type", "none"); return 0;
	case IOC_NET_NONE: ioc_lx_cfg(s, "lxc.net.0.type", "empty"); return 0;
	case IOC_NET_VNET:
	case IOC_NET_SHARED: break;
	}
	for (i = 0; i < p->nifs; i++) {
		struct ioc_net_if *f = &p->ifs[i];
		char key[64];
#define NK(suffix) (snprintf(key, sizeof(key), "lxc.net.%zu.%s", i, suffix), key)
		if (p->mode == IOC_NET_VNET) {
			_cleanup_free_ char *host = ioc_net_host_ifname(s->j->uuid, (unsigned)i);
			_cleanup_free_ char *mac = ioc_net_mac_colon(f->mac_jail);
			if (f->bridge == NULL) {
				/* nat=on: a link of its own, the host side routes
				 * (engine_linux_nat.c) */
				ioc_lx_cfg(s, NK("type"), "veth");
				ioc_lx_cfg(s, NK("veth.pair"), "%s", host);
				ioc_lx_cfg(s, NK("hwaddr"), "%s", mac);
			} else if (!ioc_lx_iface_exists(f->bridge))
				return ioc_err(err,
				    "interfaces: bridge '%s' does not exist; create it first "
				    "(e.g. 'ip link add %s type bridge && ip link set %s up'), or change "
				    "interfaces=",
				    f->bridge, f->bridge, f->bridge);
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
				return ioc_err(err,
				    "ip4_addr/ip6_addr name host interface '%s', which does "
				    "not exist ('ip link' lists them)",
				    f->name);
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
				/* give the broadcast address: liblxc's own guess drops the network
				 * part */
				char bc[INET_ADDRSTRLEN];
				uint32_t mask = pf == 0 ? 0 : htonl(~0U << (32 - pf));
				in4.s_addr = (in4.s_addr & mask) | ~mask;
				inet_ntop(AF_INET, &in4, bc, sizeof(bc));
				ioc_lx_cfg(s, NK("ipv4.address"), "%s/%d %s", a->addr, pf, bc);
			} else
				ioc_lx_cfg(s, a->v6 ? NK("ipv6.address") : NK("ipv4.address"),
				    "%s/%d", a->addr, pf);
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
			return ioc_err(err,
			    "the jail's root user (host uid %lu) cannot reach %s: "
			    "directory %s has mode %04o (others need x, e.g. chmod o+x %s)",
			    hostid, rootfs, *p ? p : "/", (unsigned)(st.st_mode & 07777),
			    *p ? p : "/");
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
	_cleanup_free_ char *dir =
	    slash && slash != rootfs ? ioc_xstrndup(rootfs, (size_t)(slash - rootfs)) : NULL;
	_cleanup_close_ int fd =
	    dir ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return ioc_err(
		    err, "cannot open the jail's directory above %s: %s", rootfs, strerror(errno));
	if ((st.st_uid != owner || st.st_gid != owner) &&
	    fchown(fd, (uid_t)owner, (gid_t)owner) != 0)
		return ioc_err(
		    err, "cannot give %s to host uid %lu: %s", dir, owner, strerror(errno));
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)
		return ioc_err(err, "cannot set the mode of %s: %s", dir, strerror(errno));
	return 0;
}

/* 1 when the directory open at rootfd has nothing in it but . and .. */
static int
ioc_lx_root_empty(int rootfd)
{
	int dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	int empty = 1;

	if (d == NULL && dfd >= 0)
		close(dfd);
	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	if (d)
		closedir(d);
	return empty;
}

/* The jail's root opened (s->rootfd, its stat in *st): not empty, with the
 * directories a Linux root filesystem needs. */
static int
ioc_lx_check_root(struct ioc_lx_start *s, struct stat *st, struct ioc_error **err)
{
	const struct ioc_jail *j = s->j;
	static const char *const need[] = { "dev", "proc", "sys", NULL };
	size_t i;

	s->rootfd = ioc_lx_root_open(j->rootfs, err);
	if (s->rootfd < 0)
		return -1;
	if (fstat(s->rootfd, st) != 0)
		return ioc_err(err, "cannot stat '%s': %s", j->rootfs, strerror(errno));
	if (ioc_lx_root_empty(s->rootfd))
		return ioc_err(err,
		    "the jail's root %s is empty (an empty jail, create -e): put a "
		    "root filesystem there first%s",
		    j->rootfs,
		    ioc_parse_bool(ioc_lx_get(j, "userns")) == 1 ?
			", owned by the ids of userns_idmap" :
			"");
	for (i = 0; need[i]; i++) {
		int fd = ioc_lx_openat(s->rootfd, need[i], O_PATH | O_DIRECTORY, 1);
		if (fd < 0)
			return ioc_err(err,
			    "the jail's root %s has no /%s directory (a Linux root "
			    "filesystem needs /dev, /proc and /sys)",
			    j->rootfs, need[i]);
		close(fd);
	}
	return 0;
}

/* userns: the id map, which must match the root's owner (st) and the
 * subordinate ids; then the directory above the root guarded for the jail's
 * root user (host root without userns). */
static int
ioc_lx_check_ids(struct ioc_lx_start *s, const struct stat *st, struct ioc_error **err)
{
	const struct ioc_jail *j = s->j;

	s->userns = ioc_parse_bool(ioc_lx_get(j, "userns")) == 1;
	if (!s->userns)
		return ioc_lx_guard(j->rootfs, 0, 0700, err);
	if (ioc_lx_parse_idmap(ioc_lx_get(j, "userns_idmap"), &s->idmap, err) != 0)
		return -1;
	if (st->st_uid != s->idmap.host) {
		return ioc_err(err,
		    "the jail's root %s is owned by host uid %lu, but "
		    "userns_idmap=%lu:%lu maps the jail's root user to host uid %lu: the files "
		    "were not shifted for this map (releases record theirs as release_idmap); "
		    "set userns_idmap to the map the files were made with, or userns=off (weaker)",
		    j->rootfs, (unsigned long)st->st_uid, s->idmap.host, s->idmap.count,
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
	return 0;
}

/* The network: a NAT address picked if needed, the net plan, a DHCP client
 * for every DHCP interface, and the container's network configuration. */
static int
ioc_lx_check_net(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct ioc_jail *j = s->j;
	_cleanup_free_ char *picked = NULL;
	size_t i;

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
	return 0;
}

/* fstab parsed into s->fstab: every source exists on the host, every
 * target inside the root is safe or missing (made at the files step). */
static int
ioc_lx_check_fstab(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct stat st;
	size_t i;

	if (ioc_fstab_parse(ioc_lx_get(s->j, "fstab"), &s->fstab, err) != 0)
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
	return 0;
}

/* jail_zfs: the delegated dataset's name (guarded) and its path inside. */
static int
ioc_lx_check_zfs(struct ioc_lx_start *s, struct ioc_error **err)
{
	const struct ioc_jail *j = s->j;
	const char *ds, *mp;

	if (ioc_parse_bool(ioc_lx_get(j, "jail_zfs")) != 1)
		return 0;
	ds = ioc_lx_get(j, "jail_zfs_dataset");
	mp = ioc_lx_get(j, "jail_zfs_mountpoint");
	s->zfs_ds = ioc_jail_zfs_dataset(s->root, j->uuid, ds, err);
	if (s->zfs_ds == NULL)
		return -1;
	if (ioc_zfs_guard(s->zfs_ds, err) != 0)
		return ioc_error_wrap(err, "jail_zfs_dataset");
	s->zfs_dst = ioc_xstrdup(strcmp(mp, "none") == 0 ? "/mnt/data" : mp);
	return 0;
}

/* Notes every resource limit that is set but has no Linux analogue. */
static void
ioc_lx_note_rlimits(const struct ioc_jail *j)
{
	size_t i;

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
			ioc_note("%s=%s has no Linux analogue and is not applied", p->name,
			    j->values[i]);
	}
}

/* Step 1: everything that can be checked, before anything changes. */
int
ioc_lx_check(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct ioc_jail *j = s->j;
	struct stat st;
	size_t i;
	const char *v;

	if (j->rootfs == NULL || j->rootfs[0] != '/')
		return ioc_err(err, "the jail's root dataset %s/root is not mounted", j->dataset);
	if (ioc_has_ctrl(j->rootfs))
		return ioc_err(err,
		    "the mountpoint of %s/root contains a control character "
		    "(newline, tab...): it cannot be a container's root",
		    j->dataset);
	for (i = 0; ioc_lx_used[i]; i++)
		if (ioc_lx_valid(j, ioc_lx_used[i], err) != 0)
			return -1;
	if (ioc_lx_check_root(s, &st, err) != 0 || ioc_lx_check_ids(s, &st, err) != 0)
		return -1;
	if (ioc_lx_init_path(&s->init, err) != 0)
		return -1;
	if (ioc_lx_check_net(s, err) != 0 || ioc_lx_check_fstab(s, err) != 0 ||
	    ioc_lx_check_zfs(s, err) != 0)
		return -1;
	v = ioc_lx_get(j, "exec_jail_user");
	if (ioc_lx_jail_user(s->rootfd, v, &s->runas, err) != 0)
		return ioc_error_wrap(err, "exec_jail_user");
	if (ioc_lx_jail_cmd(s->rootfd, j, "exec_start", &s->start_argv, err) != 0)
		return -1;
	if (ioc_lx_jail_cmd(s->rootfd, j, "exec_stop", &s->stop_check, err) != 0)
		return -1;
	ioc_lx_note_rlimits(j);
	if (ioc_lx_cg_settings(j, 0, s->cg, &s->ncg, err) != 0)
		return -1;
	return 0;
}

/* Step: the per-container run-time directory (liblxc keeps its log there). */
int
ioc_lx_mkdir(struct ioc_lx_start *s, struct ioc_error **err)
{
	struct stat st;
	const char *rd = ioc_rundir();
	if (ioc_mkdir_p(s->dir, 0755, err) != 0)
		return -1;
	/* the jail's root user (a mapped id) must be able to pass through */
	if (lstat(rd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 0011) != 0011)
		chmod(rd, (st.st_mode & 0777) | 0011);
	if (lstat(ioc_lx_path(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) != 0755)
		chmod(ioc_lx_path(), 0755);
	return 0;
}

/* Removes the run-time directory and the files liblxc made in it (and
 * first the NAT rules its undo file names). */
void
ioc_lx_rmdir_name(const char *dir)
{
	DIR *d;
	struct dirent *e;
	ioc_lx_nat_stop(dir);
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' &&
			    (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
				continue;
			unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

void
ioc_lx_rmdir(struct ioc_lx_start *s)
{
	ioc_lx_rmdir_name(s->dir);
}

/* Step: MAC addresses stored as vnetN_mac on the first start. */
int
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
int
ioc_lx_files(struct ioc_lx_start *s, struct ioc_error **err)
{
	size_t i;
	if (s->net.mode != IOC_NET_INHERIT &&
	    ioc_lx_write_resolv(
		s->rootfd, ioc_lx_get(s->j, "resolver"), s->jroot_uid, s->jroot_gid, err) != 0)
		return ioc_error_wrap(err, "resolver");
	for (i = 0; i < s->fstab.n; i++) {
		_cleanup_free_ char *what =
		    ioc_xasprintf("fstab entry '%s %s'", s->fstab.v[i].src, s->fstab.v[i].dst);
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
			if (ioc_zfs_get1(s->zfs_ds, "mountpoint", &m, err) == 0 && m &&
			    m[0] == '/' && lchown(m, s->jroot_uid, s->jroot_gid) != 0) {
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
		ioc_note(
		    "jail_zfs: %s is mounted at %s in the jail; managing it "
		    "with zfs(8) from inside needs OpenZFS delegation, which this engine does not "
		    "offer",
		    s->zfs_ds, s->zfs_dst);
	}
	if (s->zfs_dst &&
	    ioc_lx_mount_target(s->rootfd, s->zfs_dst, 1, s->jroot_uid, s->jroot_gid,
		"jail_zfs_mountpoint", err) != 0)
		return -1;
	return 0;
}

int
ioc_lx_prestart(struct ioc_lx_start *s, struct ioc_error **err)
{
	return ioc_lx_hook(s->j, "exec_prestart", err);
}

int
ioc_lx_poststart(struct ioc_lx_start *s, struct ioc_error **err)
{
	return ioc_lx_hook(s->j, "exec_poststart", err);
}

/* The last ERROR line of liblxc's log, for a message that says why. */
char *
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

#ifdef IOC_FAULT_INJECT
/*
 * Test builds: IOC_LXC_CONFIG_DUMP=FILE receives every configuration item
 * this start hands to liblxc, as "key\0value\0" pairs (NUL-separated, so
 * that a newline in a value shows as such), before liblxc sees them.
 */
void
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
const char *
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
void
ioc_lx_devices(struct ioc_lx_start *s)
{
	static const char *const allow[] = { "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm",
		"c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
		"c 136:* rwm", NULL };
	const char *v =
	    ioc_lx_cg_kind("devices") == IOC_CG_V1 ? "lxc.cgroup.devices" : "lxc.cgroup2.devices";
	_cleanup_free_ char *deny = ioc_xasprintf("%s.deny", v);
	_cleanup_free_ char *ok = ioc_xasprintf("%s.allow", v);
	size_t i;
	ioc_lx_cfg(s, deny, "a");
	for (i = 0; allow[i]; i++)
		ioc_lx_cfg(s, ok, "%s", allow[i]);
}
