/*
 * engine_linux.h — internals of the Linux engine shared by its files
 * (engine_linux.c: the container handle, ids, states, exec and the ops
 * table; _attach.c: commands inside a jail; _config.c: the container's
 * configuration and the checks before a start; _start.c: start as steps
 * with undo, and stop; _fs.c: safe file operations inside a jail's root;
 * _live.c, _nat.c, _dhcp.c, _cg.c: see their sections below).  Linux only.
 *
 * Every path inside a jail is resolved against an fd of the jail's root
 * with openat2(RESOLVE_IN_ROOT): a symlink in the jail can never lead out
 * of it.  Where a symlink must not be followed at all (mount targets,
 * resolv.conf), RESOLVE_NO_SYMLINKS is added.  Every fd is O_CLOEXEC.
 */
#ifndef IOC_ENGINE_LINUX_H
#define IOC_ENGINE_LINUX_H

#include "core/core.h"
#include "core/fstab.h"
#include "net/net.h"
#include "util/util.h"

#include <sys/types.h>

/* Opens a jail root directory (O_PATH); -1 with *err. */
int ioc_lx_root_open(const char *rootfs, struct ioc_error **err);
/* openat2 below rootfd; nosym: refuse symlinks anywhere on the way.  -1/errno. */
int ioc_lx_openat(int rootfd, const char *path, int flags, int nosym);
/*
 * Finds a program in the jail: an absolute name as is, a bare name in the
 * usual PATH directories.  0 with *path (caller frees) when a regular,
 * executable file is there; -1 (no error object) otherwise.
 */
int ioc_lx_find_prog(int rootfd, const char *name, char **path);
/* Looks a user up in the jail's /etc/passwd. */
int ioc_lx_passwd(int rootfd, const char *user, uid_t *uid, gid_t *gid, char **home, char **shell,
    struct ioc_error **err);
/* Writes the jail's /etc/resolv.conf from the resolver property value. */
int ioc_lx_write_resolv(
    int rootfd, const char *value, uid_t uid, gid_t gid, struct ioc_error **err);
/*
 * Checks a mount target inside the jail: every component must be a real
 * directory (no symlink); missing trailing components are created (owned
 * by uid:gid, mode 0755) when mkdir is set.  what names the mount in errors.
 */
int ioc_lx_mount_target(int rootfd, const char *path, int mkdir_missing, uid_t uid, gid_t gid,
    const char *what, struct ioc_error **err);
/* Whether the host has a network interface of that name (/sys/class/net). */
int ioc_lx_iface_exists(const char *name);
/* Splits a command property into words at blanks (never a shell). */
void ioc_lx_words(const char *cmd, struct ioc_strv *out);

/* ---- engine_linux.c: the container handle ---- */

struct lxc_container;
struct ioc_table;
/* Opens a jail's container object by name and lxcpath; NULL with *err. */
struct lxc_container *ioc_lx_open(const struct ioc_jail *j, struct ioc_error **err);
/* The jail's tag, for messages. */
const char *ioc_lx_tag(const struct ioc_jail *j);
/* The lxcpath (RUNDIR/lxc) and a jail's container name "ioc-UUID" (caller frees). */
const char *ioc_lx_path(void);
char *ioc_lx_name(const struct ioc_jail *j);

/* ---- engine_linux_live.c: the engine ops on a running jail ---- */

int ioc_lx_runtime(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err);
int ioc_lx_cap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
int ioc_lx_uncap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
int ioc_lx_inuse(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err);
int ioc_lx_addrs(const struct ioc_root *root, const struct ioc_jail *j, const char *ifname, int v6,
    struct ioc_strv *out, struct ioc_error **err);

/* ---- engine_linux_nat.c: nat=on (nftables table inet iocage) ---- */

/*
 * nat=on, before anything is made: nat_interface (or the default route's,
 * then stored in the plan) must exist and nft be installed.  0 when nat is
 * off.  (The address was picked before the plan: ioc_net_nat_assign.)
 */
int ioc_lx_nat_check(struct ioc_net_plan *plan, struct ioc_error **err);
/*
 * After the container is up: the host side's address, IPv4 forwarding, and
 * the jail's chains and map elements in one nft transaction; the undo
 * transaction is written to rundir.  A host port already forwarded by
 * another jail is refused, naming it.
 */
int ioc_lx_nat_start(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_net_plan *plan, const char *rundir, struct ioc_error **err);
/* Removes the rules a start made (rundir's undo file); quiet when none. */
void ioc_lx_nat_stop(const char *rundir);

/* ---- engine_linux_dhcp.c: ip4_addr IFACE|DHCP, ip6_addr IFACE|accept_rtadv ---- */

/*
 * The jail's DHCP client for ifname as argv (dhclient, else udhcpc with its
 * event script); -1 with an error naming what the jail lacks.
 */
int ioc_lx_dhcp_client(
    int rootfd, const char *ifname, struct ioc_strv *argv, struct ioc_error **err);
/*
 * The addresses ("ADDR/LEN") ifname has now in the network namespace of
 * the process init (IPv6: without link-local ones), read in a child that
 * entered it.  rtadv: turn on accept_ra and autoconf there first.
 */
int ioc_lx_if_addrs(pid_t init, const char *ifname, int v6, int rtadv, struct ioc_strv *out,
    struct ioc_error **err);

/* ---- engine_linux_cg.c: cgroups (v1 and v2) and the limits set through them ---- */

/* A jail's value of prop (its own, inherited or built in). */
const char *ioc_lx_get(const struct ioc_jail *j, const char *prop);

/* Which cgroup hierarchy runs a controller. */
enum ioc_lx_cg { IOC_CG_NONE, IOC_CG_V1, IOC_CG_V2 };

/* One cgroup setting: a controller, its file and value. */
struct ioc_lx_cgset {
	const char *ctrl;
	char *file;
	char *value;
};

/* Which hierarchy runs a controller: v2 where the host runs it, else v1. */
enum ioc_lx_cg ioc_lx_cg_kind(const char *ctrl);

/*
 * The monitor's cgroups stay busy until the exited monitor is reaped by
 * its parent (the host's init): retry for up to 5 s.
 */
void ioc_lx_cg_cleanup(const char *name);

/*
 * liblxc's daemonized start moves the calling process into the new
 * container's monitor cgroups; this puts it back where it was (saved is
 * the /proc/self/cgroup text read before), so those cgroups can be removed.
 */
void ioc_lx_cg_restore(const char *saved);

/* A limit value (bytes with K/M/G/T, or a count) as a number; -1 when not one. */
int ioc_lx_limit_amount(const char *v, unsigned long long *out);

/* Computes the cgroup settings of a jail's limits (remove: the unlimited values). */
int ioc_lx_cg_settings(const struct ioc_jail *j, int remove, struct ioc_lx_cgset *out, size_t *n,
    struct ioc_error **err);

/* Frees n settings of ioc_lx_cg_settings. */
void ioc_lx_cg_free(struct ioc_lx_cgset *s, size_t n);

/* The rlimit properties the engine applies (through cgroups). */
extern const char *const ioc_lx_limits[];

/* ---- the start of a jail: shared by engine_linux_config.c and _start.c ---- */

/* Where ioc-init is bind-mounted inside a jail (read-only); the PATH of jail commands. */
#define IOC_LX_INIT_IN_JAIL "/dev/.ioc-init"
#define IOC_LX_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* userns_idmap: the host ids the jail's 0..count-1 are. */
struct ioc_lx_idmap {
	unsigned long host, count;
};

/* Whom a command inside a jail runs as. */
struct ioc_lx_runas {
	uid_t uid;
	gid_t gid;
	char *home;
};

/* ioc_lx_attach's how: a terminal for the command, or no stdin at all. */
enum { IOC_LX_ATT_TERMINAL = 1, IOC_LX_ATT_NOSTDIN = 2 };

/* One start: what its steps (engine_linux_start.c's table) share. */
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

/* ---- engine_linux.c: ids, states, exec, set-time checks ---- */

/* ioc_lx_get for ioc_prop_check_value's lookups (arg: the jail). */
const char *ioc_lx_get_cb(void *arg, const char *prop);

/* Parses userns_idmap ("HOST:COUNT"). */
int ioc_lx_parse_idmap(const char *v, struct ioc_lx_idmap *m, struct ioc_error **err);

/*
 * newuidmap/newgidmap (shadow) grant root only the ranges of /etc/subuid
 * and /etc/subgid (subid.h; `activate` adds the default one).  Says exactly
 * which line is missing.
 */
int ioc_lx_check_subid(const char *file, const struct ioc_lx_idmap *m, struct ioc_error **err);

/*
 * The engine's prepare op: re-executes iocage from a sealed memory copy
 * (CVE-2019-5736) unless it runs from one already (or IOCAGE_NO_REXEC is
 * set); returns only on failure, or with 0 when there was nothing to do.
 */
int ioc_lx_prepare(struct ioc_error **err);

/* The engine's check of one property value at set time. */
int ioc_lx_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err);

/* ---- engine_linux_attach.c: running things inside a jail, the init ---- */

/*
 * Runs argv inside a running container; *status as a shell would report it.
 * IOC_LX_ATT_NOSTDIN: stdin is /dev/null (exec_start, exec_stop: a jail's
 * own scripts never read the administrator's terminal).
 */
int ioc_lx_attach(struct lxc_container *c, char *const *argv, const struct ioc_lx_runas *as,
    int how, int timeout_s, int *status, int *timed_out, struct ioc_error **err);

/* Validates the loaded value of one property; the error names the jail. */
int ioc_lx_valid(const struct ioc_jail *j, const char *prop, struct ioc_error **err);

/* Runs a host hook (exec_prestart ...): argv from the property + name + path. */
int ioc_lx_hook(const struct ioc_jail *j, const char *prop, struct ioc_error **err);

/* The uid/gid a jail user runs as (root without a passwd entry is 0:0). */
int ioc_lx_jail_user(int rootfd, const char *user, struct ioc_lx_runas *as, struct ioc_error **err);

/* exec_start / exec_stop: argv, or NULL when the FreeBSD default script is absent. */
int ioc_lx_jail_cmd(int rootfd, const struct ioc_jail *j, const char *prop, struct ioc_strv *argv,
    struct ioc_error **err);

/* Path of ioc-init: next to the binary, one level up (build/), or libexec. */
int ioc_lx_init_path(char **out, struct ioc_error **err);

/* ---- engine_linux_config.c: the container's configuration and the checks before it ---- */

/* Adds one configuration item (key, printf value) to the start's list. */
void ioc_lx_cfg(struct ioc_lx_start *s, const char *key, const char *fmt, ...) IOC_PRINTF(3, 4);

/* Step 1: everything that can be checked, before anything changes. */
int ioc_lx_check(struct ioc_lx_start *s, struct ioc_error **err);

/* Step: the per-container run-time directory (liblxc keeps its log there). */
int ioc_lx_mkdir(struct ioc_lx_start *s, struct ioc_error **err);

/* Removes the run-time directory and the files liblxc made in it (and
 * first the NAT rules its undo file names). */
void ioc_lx_rmdir_name(const char *dir);

/* Undo of ioc_lx_mkdir. */
void ioc_lx_rmdir(struct ioc_lx_start *s);

/* Step: MAC addresses stored as vnetN_mac on the first start. */
int ioc_lx_macs(struct ioc_lx_start *s, struct ioc_error **err);

/* Step: files inside the jail: resolv.conf, mount targets. */
int ioc_lx_files(struct ioc_lx_start *s, struct ioc_error **err);

/* Steps: the exec_prestart and exec_poststart hooks on the host. */
int ioc_lx_prestart(struct ioc_lx_start *s, struct ioc_error **err);
int ioc_lx_poststart(struct ioc_lx_start *s, struct ioc_error **err);

/* The last ERROR line of liblxc's log, for a message that says why. */
char *ioc_lx_log_error(const char *dir);

/*
 * Test builds: IOC_LXC_CONFIG_DUMP=FILE receives every configuration item
 * this start hands to liblxc, as "key\0value\0" pairs (NUL-separated, so
 * that a newline in a value shows as such), before liblxc sees them.
 */
void ioc_lx_cfg_dump(const struct ioc_lx_start *s);

/*
 * A privileged jail (userns=off) is host root with fewer capabilities:
 * without a user namespace, sys_admin, mknod, dac_read_search (open by
 * handle) and sys_ptrace reach the host directly.  They go, unless an
 * allow_mount* property asks for mounting (sys_admin).  userns=off stays a
 * setting for trusted jails (man page, SECURITY).
 */
const char *ioc_lx_privileged_drop(const struct ioc_jail *j);

/*
 * The device cgroup of every jail: nothing but LXC's standard list (null,
 * zero, full, random, urandom, tty, console, ptmx, the pts; mknod of nodes,
 * which opening needs the list too), in cgroup v1 or v2 (liblxc's BPF
 * program) as the host has the devices controller.  Before, no rule was set:
 * a privileged jail could open any device node of the host.
 */
void ioc_lx_devices(struct ioc_lx_start *s);

/* ---- engine_linux_start.c: the container, start as steps, stop ---- */

/* The engine ops start and stop (engine.h). */
int ioc_lx_start(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
int ioc_lx_stop(const struct ioc_root *root, struct ioc_jail *j, int force, struct ioc_error **err);

#endif
