/*
 * engine_freebsd.c — the FreeBSD engine as a planner (see engine_freebsd.h
 * and docs/freebsd-engine.md).
 *
 * Manual references for every command form built here (FreeBSD 13/14):
 *   jail(8)     -c/-r, -i ("output only the jail identifier"), param=value
 *               on the command line (jail.conf(5) is then not read);
 *               -r takes no param=value, so stop gives stop.timeout in a
 *               jail.conf(5) entry read from stdin: jail -f - -r NAME,
 *               booleans as 0/1, vnet=new, ip4/ip6 new|inherit|disable,
 *               mount.devfs / mount.fdescfs / mount.procfs pseudo-parameters
 *   jexec(8)    jexec [-l] [-u username | -U username] jail command ...
 *   jls(8)      jls [parameter ...], jls -n -q -j jail
 *   rctl(8)     rctl -a subject:subject-id:resource:action=amount,
 *               rctl -r filter, rctl -u filter
 *   cpuset(1)   cpuset -l cpu-list -j jail
 *   ifconfig(8) epair create (prints the new epairNa; epair(4): the other
 *               end is epairNb), IF name NEWNAME, IF ether ADDRESS, BRIDGE
 *               addm/deletem IF (if_bridge(4)), IF vnet JAIL / -vnet JAIL,
 *               IF inet ADDR/LEN alias / -alias, IF inet6 ADDR/LEN alias,
 *               IF destroy, IF up
 *   route(8)    route add default GW, route add -inet6 default GW
 *   sysctl(8)   sysctl net.inet.ip.forwarding=1 (nat=on)
 *   pfctl(8)    pfctl -a ANCHOR -f - (rules on stdin, pf.conf(5) syntax:
 *               nat on IF inet from A to any -> (IF), rdr on IF inet proto
 *               P from any to (IF) port N -> A port M), pfctl -a ANCHOR -F all
 *   dhclient(8), rtsol(8) for ip4_addr IF|dhcp and ip6_addr IF|accept_rtadv
 *   mount(8)    mount -t nullfs [-o ro] SRC DST (mount_nullfs(8)),
 *               mount -t linprocfs linprocfs DST; umount(8) DST
 *   zfs(8)      zfs set jailed=on DS, zfs jail JAIL DS, zfs unjail JAIL DS
 *   pkg(8)      pkg -j JAIL install -y PKG ...
 *   setfib(1)   setfib FIB utility ... (exec_fib for exec_start/exec_stop)
 */
#include "engine/freebsd/engine_freebsd.h"

#include "core/fstab.h"
#include "core/legacy.h"
#include "net/net.h"
#include "spawn/spawn.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

/* jail(8) parameters that are a property's value as is ("a_b_c" -> "a.b.c"
 * where jail(8) spells it so; the table says exactly how). */
static const struct {
	const char *prop;
	const char *param;
} ioc_fb_params[] = {
	/* jail(8) "Jail Parameters" (kernel parameters, visible with jls -n) */
	{ "host_hostname", "host.hostname" },
	{ "host_hostuuid", "host.hostuuid" },
	{ "host_domainname", "host.domainname" }, /* left out when none */
	{ "securelevel", "securelevel" },
	{ "devfs_ruleset", "devfs_ruleset" },
	{ "enforce_statfs", "enforce_statfs" }, /* 1 when jail_zfs=on */
	{ "children_max", "children.max" },
	{ "allow_set_hostname", "allow.set_hostname" },
	{ "allow_raw_sockets", "allow.raw_sockets" },
	{ "allow_chflags", "allow.chflags" },
	{ "allow_mount", "allow.mount" },	  /* 1 when jail_zfs=on */
	{ "allow_mount_devfs", "allow.mount.devfs" },
	{ "allow_mount_nullfs", "allow.mount.nullfs" },
	{ "allow_mount_procfs", "allow.mount.procfs" },
	{ "allow_mount_tmpfs", "allow.mount.tmpfs" },
	{ "allow_mount_zfs", "allow.mount.zfs" }, /* 1 when jail_zfs=on */
	{ "allow_quotas", "allow.quotas" },
	{ "allow_socket_af", "allow.socket_af" },
	/* jail(8) pseudo-parameters that jail(8) acts on at creation; jail -r
	 * by name does not undo them, so stop unmounts explicitly */
	{ "mount_devfs", "mount.devfs" },
	{ "mount_fdescfs", "mount.fdescfs" },
	{ "mount_procfs", "mount.procfs" },
};

/*
 * Every property this engine reads; the planners validate them all before
 * planning anything.  Properties with a jail(8) spelling but handled
 * elsewhere, and why:
 *   allow_sysvipc, sysvmsg, sysvsem, sysvshm  special: see ioc_fb_sysv
 *   exec_*            run by the plan as argv (never jail(8) exec.*)
 *   exec_fib          setfib(1) around exec_start/exec_stop
 *   stop_timeout      stop.timeout of jail -r, given in a configuration on stdin
 *   mount_linprocfs   jail(8) has no such parameter: a mount step
 *   ip4*, ip6*, vnet  network (shared IP or vnet)
 */
static const char *const ioc_fb_used[] = {
	"host_hostname", "host_hostuuid", "host_domainname", "securelevel", "devfs_ruleset",
	"enforce_statfs", "children_max", "allow_set_hostname", "allow_raw_sockets",
	"allow_chflags", "allow_mount", "allow_mount_devfs", "allow_mount_nullfs",
	"allow_mount_procfs", "allow_mount_tmpfs", "allow_mount_zfs", "allow_quotas",
	"allow_socket_af", "mount_devfs", "mount_fdescfs", "mount_procfs", "mount_linprocfs",
	"allow_sysvipc", "sysvmsg", "sysvsem", "sysvshm", "exec_start", "exec_stop",
	"exec_prestart", "exec_poststart", "exec_prestop", "exec_poststop", "exec_clean",
	"exec_timeout", "stop_timeout", "exec_jail_user", "exec_system_jail_user",
	"exec_system_user", "exec_fib", "login_flags", "vnet", "interfaces", "ip4_addr",
	"ip4_saddrsel", "ip4", "ip6_addr", "ip6_saddrsel", "ip6", "defaultrouter",
	"defaultrouter6", "resolver", "mac_prefix", "vnet0_mac", "vnet1_mac", "vnet2_mac",
	"vnet3_mac", "rlimits", "cpuset", "jail_zfs", "jail_zfs_dataset",
	"jail_zfs_mountpoint", "fstab", "memoryuse", "memorylocked", "vmemoryuse", "maxproc",
	"cputime", "pcpu", "datasize", "stacksize", "coredumpsize", "openfiles",
	"pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsemop",
	"nshm", "shmsize", "wallclock", "nat", "nat_interface", "nat_prefix", "nat_forwards", NULL
};

/* rctl(8) resources, in the order rules are added. */
static const char *const ioc_fb_limits[] = { "memoryuse", "memorylocked", "vmemoryuse",
	"maxproc", "cputime", "pcpu", "datasize", "stacksize", "coredumpsize", "openfiles",
	"pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsemop",
	"nshm", "shmsize", "wallclock", NULL };

/* The planner's view of one jail: validated, canonical values. */
struct ioc_fb {
	const struct ioc_root *root;
	const struct ioc_jail *j;
	char *name;   /* ioc-UUID */
	char *path;   /* the jail root's mountpoint */
	char **val;   /* per ioc_props index, canonical; NULL if not used */
};

static void
ioc_fb_release(struct ioc_fb *f)
{
	size_t i;
	if (f->val)
		for (i = 0; i < ioc_nprops; i++)
			free(f->val[i]);
	free(f->val);
	free(f->name);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static const char *
ioc_fb_get(const struct ioc_fb *f, const char *prop)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	const char *v = p ? f->val[p - ioc_props] : NULL;
	/* every name asked for is in ioc_fb_used: a miss is a bug here */
	return v ? v : "";
}

/* A validated integer property (0 if it does not parse). */
static int
ioc_fb_int(const struct ioc_fb *f, const char *name)
{
	long long v;
	return ioc_parse_ll(ioc_fb_get(f, name), 0, INT_MAX, &v) == 0 ? (int)v : 0;
}

static int
ioc_fb_on(const struct ioc_fb *f, const char *prop)
{
	return ioc_parse_bool(ioc_fb_get(f, prop)) == 1;
}

static int
ioc_fb_isnone(const char *v)
{
	return strcmp(v, "none") == 0 || strcmp(v, "off") == 0 || *v == '\0';
}

int
ioc_freebsd_consumes(const char *prop)
{
	size_t i;
	for (i = 0; ioc_fb_used[i]; i++)
		if (strcmp(ioc_fb_used[i], prop) == 0)
			return 1;
	return 0;
}

char *
ioc_freebsd_jail_name(const struct ioc_jail *j)
{
	return ioc_xasprintf("ioc-%s", j->uuid);
}

/* Bytes that may appear in the jail path: jail(8) itself hands the path to
 * /bin/sh -c for mount.devfs ("devfs_mount_jail PATH/dev RULESET"). */
static int
ioc_fb_safe_path(const char *s)
{
	const char *p;
	if (s[0] != '/')
		return 0;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/._-:+,@%=", *p)))
			return 0;
	return strstr(s, "/../") == NULL && strstr(s, "/./") == NULL &&
	    (strlen(s) < 3 || strcmp(s + strlen(s) - 3, "/..") != 0);
}

/* Validates every used property and the jail's identity; fills f. */
static int
ioc_fb_load(struct ioc_fb *f, const struct ioc_root *root, const struct ioc_jail *j,
    struct ioc_error **err)
{
	size_t i;
	memset(f, 0, sizeof(*f));
	f->root = root;
	f->j = j;
	if (j->uuid == NULL || !ioc_is_uuid(j->uuid))
		return ioc_err(err, "invalid jail identity '%s': expected a UUID",
		    j->uuid && !ioc_has_ctrl(j->uuid) ? j->uuid : "?");
	if (j->rootfs == NULL || j->rootfs[0] != '/')
		return ioc_err(err, "jail %s: its root dataset is not mounted (mountpoint '%s')", j->uuid,
		    j->rootfs && !ioc_has_ctrl(j->rootfs) ? j->rootfs : "-");
	if (!ioc_fb_safe_path(j->rootfs))
		return ioc_err(err, "jail %s: root path cannot be used with jail(8): it may contain only "
		    "letters, digits and / . _ - : + , @ %% = (jail(8) passes it to sh for mount.devfs)",
		    j->uuid);
	f->val = ioc_xcalloc(ioc_nprops, sizeof(char *));
	for (i = 0; ioc_fb_used[i]; i++) {
		const struct ioc_prop *p = ioc_prop_find(ioc_fb_used[i]);
		size_t idx;
		char *canon = NULL;
		const char *v;
		_cleanup_free_ char *builtin = NULL;
		if (p == NULL) {
			ioc_fb_release(f);
			return ioc_err(err, "internal error: property '%s' is not in the table",
			    ioc_fb_used[i]);
		}
		idx = (size_t)(p - ioc_props);
		v = j->values ? j->values[idx] : NULL;
		if (v == NULL) {
			builtin = ioc_prop_builtin(p, j->uuid, root ? root->name : NULL);
			v = builtin;
		}
		if (ioc_prop_validate(p, v, &canon, err) != 0) {
			ioc_error_wrap(err, "jail %s", j->uuid);
			ioc_fb_release(f);
			return -1;
		}
		f->val[idx] = canon;
	}
	f->name = ioc_freebsd_jail_name(j);
	f->path = ioc_xstrdup(j->rootfs);
	return 0;
}

int
ioc_freebsd_split_command(const char *prop, const char *value, struct ioc_strv *out,
    struct ioc_error **err)
{
	const char *p = value;
	size_t n0 = out->n;
	for (const char *q = value; *q; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return ioc_err(err, "invalid value for property '%s': a command may not contain "
			    "control characters (newlines...)", prop);
	while (*p) {
		size_t n = strcspn(p, " \t");
		if (n)
			ioc_strv_push_owned(out, ioc_xstrndup(p, n));
		p += n;
		p += strspn(p, " \t");
	}
	if (out->n == n0)
		return ioc_err(err, "invalid value for property '%s': expected a command", prop);
	return 0;
}

/* A user name for jexec -u/-U: letters, digits, . _ -, not starting with -. */
static int
ioc_fb_valid_user(const char *u)
{
	const char *p;
	if (*u == '\0' || *u == '-' || strlen(u) > 32)
		return 0;
	for (p = u; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-", *p)))
			return 0;
	return 1;
}

/* Adds host hook `prop` (argv: its words, the jail name, the jail path). */
static int
ioc_fb_add_hook(struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags,
    struct ioc_error **err)
{
	struct ioc_strv w = IOC_STRV_INIT;
	struct ioc_step *s;
	const char *v = ioc_fb_get(f, prop);
	if (ioc_hook_noop(v))
		return 0;
	ioc_strv_init(&w);
	if (ioc_freebsd_split_command(prop, v, &w, err) != 0) {
		ioc_strv_release(&w);
		return -1;
	}
	if (w.v[0][0] != '/') {
		ioc_strv_release(&w);
		return ioc_err(err, "invalid value for property '%s': a host command must start with an "
		    "absolute path (e.g. /usr/local/bin/hook)", prop);
	}
	s = ioc_plan_add(p, NULL);
	ioc_pargv_pushv(&s->cmd, &w);
	ioc_pargv_push(&s->cmd, f->name);
	ioc_pargv_push(&s->cmd, f->path);
	s->flags = flags;
	s->timeout_s = ioc_fb_int(f, "exec_timeout");
	ioc_strv_release(&w);
	return 0;
}

/* Adds exec_start / exec_stop run inside the jail with jexec(8). */
static int
ioc_fb_add_inside(struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags,
    struct ioc_error **err)
{
	struct ioc_strv w = IOC_STRV_INIT;
	struct ioc_step *s;
	const char *user = ioc_fb_get(f, "exec_jail_user");
	const char *fib = ioc_fb_get(f, "exec_fib");
	ioc_strv_init(&w);
	if (ioc_freebsd_split_command(prop, ioc_fb_get(f, prop), &w, err) != 0) {
		ioc_strv_release(&w);
		return -1;
	}
	if (!ioc_fb_valid_user(user)) {
		ioc_strv_release(&w);
		return ioc_err(err, "invalid value for property 'exec_jail_user': expected a user name "
		    "(letters, digits, '.', '_', '-')");
	}
	s = ioc_plan_add(p, NULL);
	if (strcmp(fib, "0") != 0) {
		ioc_pargv_push(&s->cmd, "setfib");
		ioc_pargv_push(&s->cmd, fib);
	}
	ioc_pargv_push(&s->cmd, "jexec");
	if (ioc_fb_on(f, "exec_clean"))
		ioc_pargv_push(&s->cmd, "-l");
	ioc_pargv_push(&s->cmd, ioc_fb_on(f, "exec_system_jail_user") ? "-u" : "-U");
	ioc_pargv_push(&s->cmd, user);
	ioc_pargv_push(&s->cmd, f->name);
	ioc_pargv_pushv(&s->cmd, &w);
	s->flags = flags;
	s->timeout_s = ioc_fb_int(f, "exec_timeout");
	ioc_strv_release(&w);
	return 0;
}

/* One entry of ip4_addr / ip6_addr. */
struct ioc_fb_ip {
	char *iface; /* NULL when not given */
	char *addr;  /* address, "dhcp" or "accept_rtadv" */
	char *len;   /* mask length, NULL when not given */
};

static void
ioc_fb_ips_free(struct ioc_fb_ip *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].iface);
		free(v[i].addr);
		free(v[i].len);
	}
	free(v);
}

/* Splits a validated address list ("none" gives nothing). */
static size_t
ioc_fb_ips(const char *value, struct ioc_fb_ip **out)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	struct ioc_fb_ip *v;
	size_t i;
	*out = NULL;
	if (ioc_fb_isnone(value))
		return 0;
	ioc_strv_init(&parts);
	ioc_strv_split(&parts, value, ',');
	v = ioc_xcalloc(parts.n, sizeof(*v));
	for (i = 0; i < parts.n; i++) {
		const char *e = parts.v[i], *bar = strchr(e, '|'), *slash;
		if (bar) {
			v[i].iface = ioc_xstrndup(e, (size_t)(bar - e));
			e = bar + 1;
		}
		slash = strchr(e, '/');
		v[i].addr = slash ? ioc_xstrndup(e, (size_t)(slash - e)) : ioc_xstrdup(e);
		v[i].len = slash ? ioc_xstrdup(slash + 1) : NULL;
	}
	*out = v;
	i = parts.n;
	ioc_strv_release(&parts);
	return i;
}

/* "IFACE|ADDR" pairs of interfaces=: NIC:BRIDGE. */
struct ioc_fb_nic {
	char *nic, *bridge, *host; /* host: the host-side name (ioc_net_host_ifname) */
};

static void
ioc_fb_nics_free(struct ioc_fb_nic *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].nic);
		free(v[i].bridge);
		free(v[i].host);
	}
	free(v);
}

static int
ioc_fb_nics(const struct ioc_fb *f, struct ioc_fb_nic **out, size_t *nout, struct ioc_error **err)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	const char *value = ioc_fb_get(f, "interfaces");
	struct ioc_fb_nic *v;
	size_t i, k;
	*out = NULL;
	*nout = 0;
	if (ioc_fb_isnone(value))
		return 0;
	ioc_strv_init(&parts);
	ioc_strv_split(&parts, value, ',');
	if (parts.n > IOC_NET_MAXIF) {
		ioc_err(err, "invalid value for property 'interfaces': at most %d interfaces "
		    "(vnet0_mac .. vnet3_mac), got %zu", IOC_NET_MAXIF, parts.n);
		ioc_strv_release(&parts);
		return -1;
	}
	v = ioc_xcalloc(parts.n, sizeof(*v));
	for (i = 0; i < parts.n; i++) {
		const char *c = strchr(parts.v[i], ':');
		v[i].nic = ioc_xstrndup(parts.v[i], (size_t)(c - parts.v[i]));
		v[i].bridge = ioc_xstrdup(c + 1);
		/* net.h's name, the same as the Linux engine's host side */
		v[i].host = ioc_net_host_ifname(f->j->uuid, (unsigned)i);
		for (k = 0; k < i; k++)
			if (strcmp(v[k].nic, v[i].nic) == 0) {
				ioc_err(err, "invalid value for property 'interfaces': '%s' is named twice",
				    v[i].nic);
				goto fail;
			}
		if (strcmp(v[i].nic, "lo0") == 0) {
			ioc_err(err, "invalid value for property 'interfaces': 'lo0' is the jail's loopback");
			goto fail;
		}
	}
	*out = v;
	*nout = parts.n;
	ioc_strv_release(&parts);
	return 0;
fail:
	ioc_fb_nics_free(v, parts.n);
	ioc_strv_release(&parts);
	return -1;
}

int
ioc_freebsd_mac_pair(const struct ioc_jail *j, unsigned idx, char host[13], char jail[13],
    int *generated, struct ioc_error **err)
{
	const struct ioc_prop *pp = ioc_prop_find("mac_prefix");
	const char *prefix = j->values && pp ? j->values[pp - ioc_props] : NULL;
	char prop[16];
	const struct ioc_prop *mp;
	const char *set;
	size_t i, n;

	snprintf(prop, sizeof(prop), "vnet%u_mac", idx);
	mp = ioc_prop_find(prop);
	set = j->values && mp ? j->values[mp - ioc_props] : NULL;
	if (prefix == NULL)
		prefix = pp ? pp->builtin : "02ff60";
	if (!ioc_net_valid_mac_prefix(prefix))
		return ioc_err(err, "invalid value for property 'mac_prefix': expected 6 hex digits of a "
		    "unicast prefix (first byte even), e.g. 02ff60");
	/* net.h's generator: the same MACs as the Linux engine */
	ioc_net_mac(prefix, j->uuid, idx, host, jail);
	*generated = 1;
	if (mp == NULL || set == NULL || strcmp(set, "none") == 0)
		return 0;
	/* vnetN_mac: "HOST JAIL" or one address (the jail side) */
	n = strlen(set);
	if (n != 12 && !(n == 25 && set[12] == ' '))
		goto bad;
	for (i = 0; i < n; i++)
		if (i != 12 && !isxdigit((unsigned char)set[i]))
			goto bad;
	*generated = 0;
	for (i = 0; i < 12; i++) {
		if (n == 25) {
			host[i] = (char)tolower((unsigned char)set[i]);
			jail[i] = (char)tolower((unsigned char)set[13 + i]);
		} else {
			jail[i] = (char)tolower((unsigned char)set[i]);
		}
	}
	return 0;
bad:
	return ioc_err(err, "invalid value for property '%s': expected 'HOSTMAC JAILMAC' or one "
	    "JAILMAC, 12 hex digits each", prop);
}

/* ADDR/LEN in the form ifconfig(8) takes; jail(8)'s defaults for no mask. */
static char *
ioc_fb_cidr(const struct ioc_fb_ip *ip, int v6)
{
	return ioc_xasprintf("%s/%s", ip->addr, ip->len ? ip->len : (v6 ? "128" : "32"));
}

/* Full name of the delegated dataset (see ioc_jail_zfs_dataset). */
static char *
ioc_fb_zfs_dataset(const struct ioc_fb *f, struct ioc_error **err)
{
	if (f->root == NULL || f->root->name == NULL) {
		ioc_err(err, "internal error: no root dataset");
		return NULL;
	}
	return ioc_jail_zfs_dataset(f->root, f->j->uuid, ioc_fb_get(f, "jail_zfs_dataset"), err);
}

/* One fstab entry: SRC DST [ro|rw]. */
struct ioc_fb_mnt {
	char *src, *dst, *host; /* host: the jail path + dst */
	int ro;
};

static void
ioc_fb_mnts_free(struct ioc_fb_mnt *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].src);
		free(v[i].dst);
		free(v[i].host);
	}
	free(v);
}

/* The fstab property, parsed by fstab.h (the format both engines read). */
static int
ioc_fb_mnts(const struct ioc_fb *f, struct ioc_fb_mnt **out, size_t *nout, struct ioc_error **err)
{
	struct ioc_fstab fs;
	struct ioc_fb_mnt *v;
	size_t i;
	*out = NULL;
	*nout = 0;
	if (ioc_fstab_parse(ioc_fb_get(f, "fstab"), &fs, err) != 0)
		return ioc_error_wrap(err, "property 'fstab'");
	if (fs.n == 0)
		return 0;
	v = ioc_xcalloc(fs.n, sizeof(*v));
	for (i = 0; i < fs.n; i++) {
		v[i].src = ioc_xstrdup(fs.v[i].src);
		v[i].dst = ioc_xstrdup(fs.v[i].dst);
		v[i].host = ioc_xasprintf("%s%s", f->path, fs.v[i].dst);
		v[i].ro = fs.v[i].ro;
	}
	*out = v;
	*nout = fs.n;
	ioc_fstab_release(&fs);
	return 0;
}

/* The rctl(8) rule of one limit ("8G:log" -> jail:ioc-UUID:memoryuse:log=8589934592);
 * NULL when the limit is off. */
static char *
ioc_fb_rule(const struct ioc_fb *f, const char *res, int with_amount)
{
	const char *v = ioc_fb_get(f, res);
	const char *c = strchr(v, ':');
	unsigned long long amount = 0;
	_cleanup_free_ char *num = NULL;
	if (strcmp(v, "off") == 0 || c == NULL)
		return NULL;
	num = ioc_xstrndup(v, (size_t)(c - v));
	if (ioc_parse_size(num, &amount) != 0)
		return NULL; /* validated before: cannot happen */
	if (!with_amount)
		return ioc_xasprintf("jail:%s:%s:%s", f->name, res, c + 1);
	return ioc_xasprintf("jail:%s:%s:%s=%llu", f->name, res, c + 1, amount);
}

static void
ioc_fb_add_rctl(const struct ioc_fb *f, struct ioc_plan *p, int undo)
{
	size_t i;
	for (i = 0; ioc_fb_limits[i]; i++) {
		_cleanup_free_ char *rule = ioc_fb_rule(f, ioc_fb_limits[i], 1);
		_cleanup_free_ char *filter = ioc_fb_rule(f, ioc_fb_limits[i], 0);
		struct ioc_step *s;
		if (rule == NULL)
			continue;
		s = ioc_plan_add(p, (const char *const[]){ "rctl", "-a", rule, NULL });
		if (undo)
			ioc_step_undo(s, (const char *const[]){ "rctl", "-r", filter, NULL });
	}
}

/* Pushes the word "key=value". */
static void
ioc_fb_kv(struct ioc_pargv *a, const char *key, const char *value)
{
	char *w = ioc_xasprintf("%s=%s", key, value);
	ioc_pargv_push(a, w);
	free(w);
}

/* ip4=/ip6= and addresses for a shared-IP jail (vnet=off): jail(8) gets the
 * bare addresses; the aliases are the plan's own ifconfig steps. */
static int
ioc_fb_shared_ip(const struct ioc_fb *f, struct ioc_pargv *a, int v6, struct ioc_error **err)
{
	const char *fam = v6 ? "ip6" : "ip4";
	const char *mode = ioc_fb_get(f, fam);
	struct ioc_fb_ip *ips;
	size_t n = ioc_fb_ips(ioc_fb_get(f, v6 ? "ip6_addr" : "ip4_addr"), &ips), i;
	struct ioc_sb sb = IOC_SB_INIT;

	if (n && strcmp(mode, "new") != 0) {
		ioc_fb_ips_free(ips, n);
		return ioc_err(err, "%s_addr is set but %s=%s: addresses need %s=new", fam, fam, mode, fam);
	}
	ioc_fb_kv(a, fam, mode);
	if (n == 0)
		return 0;
	ioc_sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (strcmp(ips[i].addr, "dhcp") == 0 || strcmp(ips[i].addr, "accept_rtadv") == 0) {
			ioc_err(err, "%s_addr '%s' needs vnet=on (a shared-IP jail has no interface "
			    "of its own)", fam, ips[i].addr);
			ioc_sb_release(&sb);
			ioc_fb_ips_free(ips, n);
			return -1;
		}
		ioc_sb_addf(&sb, "%s%s", i ? "," : "", ips[i].addr);
	}
	ioc_fb_kv(a, v6 ? "ip6.addr" : "ip4.addr", sb.buf);
	ioc_fb_kv(a, v6 ? "ip6.saddrsel" : "ip4.saddrsel",
	    ioc_fb_get(f, v6 ? "ip6_saddrsel" : "ip4_saddrsel"));
	ioc_sb_release(&sb);
	ioc_fb_ips_free(ips, n);
	return 0;
}

/* What jail(8) mounted for mount.procfs / mount.fdescfs / mount.devfs, in
 * jail(8)'s unmount order (its stopcommands table). */
static void
ioc_fb_jail_mounts(const struct ioc_fb *f, struct ioc_strv *out)
{
	if (ioc_fb_on(f, "mount_procfs"))
		ioc_strv_pushf(out, "%s/proc", f->path);
	if (ioc_fb_on(f, "mount_fdescfs"))
		ioc_strv_pushf(out, "%s/dev/fd", f->path);
	if (ioc_fb_on(f, "mount_devfs"))
		ioc_strv_pushf(out, "%s/dev", f->path);
}

static void
ioc_fb_add_umounts_undo(const struct ioc_fb *f, struct ioc_step *s)
{
	struct ioc_strv m = IOC_STRV_INIT;
	size_t i;
	ioc_strv_init(&m);
	ioc_fb_jail_mounts(f, &m);
	for (i = 0; i < m.n; i++)
		ioc_step_undo(s, (const char *const[]){ "umount", m.v[i], NULL });
	ioc_strv_release(&m);
}

/* The `jail -i -c` step: parameters from the property table (jail(8)
 * "Jail Parameters"), `persist` because exec_start runs later with jexec. */
static int
ioc_fb_add_create(const struct ioc_fb *f, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_step *s = ioc_plan_add(p, (const char *const[]){ "jail", "-i", "-c", NULL });
	struct ioc_pargv *a = &s->cmd;
	int jail_zfs = ioc_fb_on(f, "jail_zfs");
	size_t i;

	ioc_fb_kv(a, "name", f->name);
	ioc_fb_kv(a, "path", f->path);
	if (ioc_fb_on(f, "vnet")) {
		ioc_fb_kv(a, "vnet", "new");
	} else if (ioc_fb_shared_ip(f, a, 0, err) != 0 || ioc_fb_shared_ip(f, a, 1, err) != 0) {
		return -1;
	}
	for (i = 0; i < sizeof(ioc_fb_params) / sizeof(ioc_fb_params[0]); i++) {
		const char *prop = ioc_fb_params[i].prop, *v = ioc_fb_get(f, prop);
		if (strcmp(prop, "host_domainname") == 0 && strcmp(v, "none") == 0)
			continue;
		/* zfs(8) "jail": a delegated dataset needs these (issue 3) */
		if (jail_zfs && strcmp(prop, "enforce_statfs") == 0)
			v = "1";
		if (jail_zfs && (strcmp(prop, "allow_mount") == 0 || strcmp(prop, "allow_mount_zfs") == 0))
			v = "1";
		ioc_fb_kv(a, ioc_fb_params[i].param, v);
	}
	/* jail(8): allow.sysvipc (deprecated) equals sysvmsg/sysvsem/sysvshm
	 * = inherit; pass one or the other, never both */
	if (ioc_fb_on(f, "allow_sysvipc")) {
		ioc_fb_kv(a, "allow.sysvipc", "1");
	} else {
		ioc_fb_kv(a, "sysvmsg", ioc_fb_get(f, "sysvmsg"));
		ioc_fb_kv(a, "sysvsem", ioc_fb_get(f, "sysvsem"));
		ioc_fb_kv(a, "sysvshm", ioc_fb_get(f, "sysvshm"));
	}
	ioc_pargv_push(a, "persist");
	ioc_step_set_reply(s, IOC_REPLY_JID, "jid");
	/* jail -r by name reads no parameters: it does not unmount what
	 * mount.* mounted, so the undo does (jail(8) stop order) */
	ioc_step_undo(s, (const char *const[]){ "jail", "-r", f->name, NULL });
	ioc_fb_add_umounts_undo(f, s);
	return 0;
}

/* Host-side hooks run as exec_system_user: only root is supported. */
static int
ioc_fb_check_system_user(const struct ioc_fb *f, struct ioc_error **err)
{
	const char *u = ioc_fb_get(f, "exec_system_user");
	if (strcmp(u, "root") != 0)
		return ioc_err(err, "exec_system_user '%s' is not supported by the FreeBSD engine: host "
		    "hooks run as root (set exec_system_user=root)", ioc_has_ctrl(u) ? "?" : u);
	return 0;
}

/* Steps adding one interface's address inside a vnet jail. */
static void
ioc_fb_add_vnet_addr(const struct ioc_fb *f, struct ioc_plan *p, const char *nic,
    const struct ioc_fb_ip *ip, int v6)
{
	if (!v6 && strcmp(ip->addr, "dhcp") == 0) {
		ioc_plan_add(p, (const char *const[]){ "jexec", f->name, "/sbin/dhclient", nic, NULL });
	} else if (v6 && strcmp(ip->addr, "accept_rtadv") == 0) {
		ioc_plan_add(p, (const char *const[]){ "jexec", f->name, "/sbin/ifconfig", nic, "inet6",
		    "-ifdisabled", "accept_rtadv", NULL });
		ioc_plan_add(p, (const char *const[]){ "jexec", f->name, "/sbin/rtsol", nic, NULL });
	} else {
		_cleanup_free_ char *cidr = ioc_fb_cidr(ip, v6);
		ioc_plan_add(p, (const char *const[]){ "jexec", f->name, "/sbin/ifconfig", nic,
		    v6 ? "inet6" : "inet", cidr, "alias", NULL });
	}
}

/* Checks that every address names one of the jail's interfaces (an address
 * without one goes to the first); returns the interface to use for ip. */
static const char *
ioc_fb_addr_nic(const struct ioc_fb_nic *nics, size_t nn, const struct ioc_fb_ip *ip,
    const char *prop, struct ioc_error **err)
{
	size_t k;
	if (ip->iface == NULL) {
		if (nn == 0) {
			ioc_err(err, "%s needs an interface: set interfaces= (e.g. vnet0:bridge0)", prop);
			return NULL;
		}
		return nics[0].nic;
	}
	for (k = 0; k < nn; k++)
		if (strcmp(nics[k].nic, ip->iface) == 0)
			return nics[k].nic;
	ioc_err(err, "%s names interface '%s', which is not in interfaces= (with vnet=on the "
	    "addresses go on the jail's own interfaces, e.g. vnet0|10.0.0.5/24)", prop, ip->iface);
	return NULL;
}

static const char *
ioc_fb_get_cb(void *arg, const char *prop)
{
	return ioc_fb_get(arg, prop);
}

/* nat=on with interfaces=none: the NAT link is vnet0 (as net.h plans it). */
static void
ioc_fb_nat_nic(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn)
{
	if (*nn != 0)
		return;
	*nics = ioc_xcalloc(1, sizeof(**nics));
	(*nics)[0].nic = ioc_xstrdup("vnet0");
	(*nics)[0].bridge = ioc_xstrdup("");
	(*nics)[0].host = ioc_net_host_ifname(f->j->uuid, 0);
	*nn = 1;
}

/*
 * nat=on (vnet only): net.h's plan gives the NAT link's two ends (the jail
 * address from ip4_addr, picked at the first start: ioc_net_nat_assign) and
 * the forwards; the first interface leaves its bridge (with interfaces=none
 * it is vnet0).  pf needs the outgoing interface by name: FreeBSD has no
 * "egress" group to fall back on.
 */
static int
ioc_fb_nat_plan(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn,
    struct ioc_net_plan *np, struct ioc_error **err)
{
	if (ioc_fb_isnone(ioc_fb_get(f, "nat_interface")))
		return ioc_err(err, "nat=on: the FreeBSD engine needs nat_interface= (the host's "
		    "outgoing interface, e.g. em0)");
	if (ioc_net_plan_make(f->j->uuid, ioc_fb_get_cb, (void *)f, np, err) != 0)
		return -1;
	ioc_fb_nat_nic(f, nics, nn);
	return 0;
}

/* The pf rules of a NAT jail (anchor iocage/NAME): validated words only. */
static char *
ioc_fb_nat_rules(const struct ioc_net_plan *np)
{
	struct ioc_sb sb = IOC_SB_INIT;
	char jail[16];
	size_t i;
	const char *ext = np->nat.ext_if;
	ioc_sb_init(&sb);
	ioc_net_ntoa4(np->nat.jail4, jail);
	ioc_sb_addf(&sb, "nat on %s inet from %s to any -> (%s)\n", ext, jail, ext);
	for (i = 0; i < np->nat.nfwd; i++)
		ioc_sb_addf(&sb, "rdr on %s inet proto %s from any to (%s) port %u -> %s port %u\n",
		    ext, np->nat.fwd[i].udp ? "udp" : "tcp", ext, np->nat.fwd[i].hport, jail,
		    np->nat.fwd[i].jport);
	return ioc_sb_detach(&sb);
}

int
ioc_freebsd_plan_start(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_plan *p,
    struct ioc_error **err)
{
	struct ioc_net_plan np;
	struct ioc_fb f;
	struct ioc_fb_nic *nics = NULL;
	struct ioc_fb_mnt *mnts = NULL;
	struct ioc_fb_ip *ip4 = NULL, *ip6 = NULL;
	size_t nn = 0, nm = 0, n4 = 0, n6 = 0, i, k;
	_cleanup_free_ char *ds = NULL;
	int vnet, nat = 0, rv = -1;
	struct ioc_step *s;

	ioc_plan_init(p, "start");
	memset(&np, 0, sizeof(np));
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("start %s", f.name);
	vnet = ioc_fb_on(&f, "vnet");
	if (ioc_fb_check_system_user(&f, err) != 0 || ioc_fb_mnts(&f, &mnts, &nm, err) != 0 ||
	    (vnet && ioc_fb_nics(&f, &nics, &nn, err) != 0))
		goto out;
	nat = vnet && ioc_fb_on(&f, "nat");
	if (nat && ioc_fb_nat_plan(&f, &nics, &nn, &np, err) != 0)
		goto out;
	n4 = ioc_fb_ips(ioc_fb_get(&f, "ip4_addr"), &ip4);
	n6 = ioc_fb_ips(ioc_fb_get(&f, "ip6_addr"), &ip6);
	if (vnet) {
		for (i = 0; i < n4; i++)
			if (ioc_fb_addr_nic(nics, nn, &ip4[i], "ip4_addr", err) == NULL)
				goto out;
		for (i = 0; i < n6; i++)
			if (ioc_fb_addr_nic(nics, nn, &ip6[i], "ip6_addr", err) == NULL)
				goto out;
	}
	if (ioc_fb_on(&f, "jail_zfs") && (ds = ioc_fb_zfs_dataset(&f, err)) == NULL)
		goto out;

	/* 1. host hook, before anything exists */
	if (ioc_fb_add_hook(&f, p, "exec_prestart", 0, err) != 0)
		goto out;
	/* 2. resolv.conf, written inside the root without following symlinks */
	if (!ioc_fb_isnone(ioc_fb_get(&f, "resolver"))) {
		struct ioc_strv lines = IOC_STRV_INIT;
		struct ioc_sb data = IOC_SB_INIT;
		ioc_strv_init(&lines);
		ioc_sb_init(&data);
		ioc_strv_split(&lines, ioc_fb_get(&f, "resolver"), ';');
		for (i = 0; i < lines.n; i++) {
			const char *l = lines.v[i] + strspn(lines.v[i], " \t");
			if (*l)
				ioc_sb_addf(&data, "%s\n", l);
		}
		ioc_plan_add_write(p, f.path, "/etc/resolv.conf", data.buf);
		ioc_strv_release(&lines);
		ioc_sb_release(&data);
	}
	/* 3. fstab: nullfs mounts onto checked targets (the jail is not running
	 * yet, so nothing inside can swap a directory for a symlink meanwhile) */
	for (i = 0; i < nm; i++) {
		ioc_plan_add_check(p, f.path, mnts[i].dst);
		if (mnts[i].ro)
			s = ioc_plan_add(p, (const char *const[]){ "mount", "-t", "nullfs", "-o", "ro",
			    mnts[i].src, mnts[i].host, NULL });
		else
			s = ioc_plan_add(p, (const char *const[]){ "mount", "-t", "nullfs", mnts[i].src,
			    mnts[i].host, NULL });
		ioc_step_undo(s, (const char *const[]){ "umount", mnts[i].host, NULL });
	}
	/* 4. linprocfs: jail(8) has no mount.linprocfs */
	if (ioc_fb_on(&f, "mount_linprocfs")) {
		_cleanup_free_ char *dst = ioc_xasprintf("%s/compat/linux/proc", f.path);
		ioc_plan_add_check(p, f.path, "/compat/linux/proc");
		s = ioc_plan_add(p, (const char *const[]){ "mount", "-t", "linprocfs", "linprocfs", dst,
		    NULL });
		ioc_step_undo(s, (const char *const[]){ "umount", dst, NULL });
	}
	/* 5. shared IP: aliases on the host interfaces (what jail(8) would do
	 * for "IFACE|ADDR", done here so that each has its own undo) */
	if (!vnet) {
		for (k = 0; k < 2; k++) {
			struct ioc_fb_ip *v = k ? ip6 : ip4;
			size_t n = k ? n6 : n4;
			for (i = 0; i < n; i++) {
				_cleanup_free_ char *cidr = NULL;
				if (v[i].iface == NULL)
					continue;
				cidr = ioc_fb_cidr(&v[i], (int)k);
				s = ioc_plan_add(p, (const char *const[]){ "ifconfig", v[i].iface,
				    k ? "inet6" : "inet", cidr, "alias", NULL });
				ioc_step_undo(s, (const char *const[]){ "ifconfig", v[i].iface,
				    k ? "inet6" : "inet", v[i].addr, "-alias", NULL });
			}
		}
	}
	/* 6. the delegated dataset must be jailed=on before `zfs jail` (zfs(8)) */
	if (ds)
		ioc_plan_add(p, (const char *const[]){ "zfs", "set", "jailed=on", ds, NULL });
	/* 7. bridges must exist (checked before the jail is made) */
	for (i = nat ? 1 : 0; i < nn; i++) {
		_cleanup_free_ char *hint = NULL;
		for (k = 0; k < i; k++)
			if (strcmp(nics[k].bridge, nics[i].bridge) == 0)
				break;
		if (k < i)
			continue;
		hint = ioc_xasprintf("bridge '%s' does not exist: create it with 'ifconfig %s create up' "
		    "(and cloned_interfaces in rc.conf), or change interfaces=", nics[i].bridge,
		    nics[i].bridge);
		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", nics[i].bridge, NULL });
		ioc_step_set_hint(s, hint);
	}
	/* 8. the jail */
	if (ioc_fb_add_create(&f, p, err) != 0)
		goto out;
	/* 9. limits */
	if (ioc_fb_on(&f, "rlimits"))
		ioc_fb_add_rctl(&f, p, 1);
	if (strcmp(ioc_fb_get(&f, "cpuset"), "off") != 0) {
		s = ioc_plan_add(p, (const char *const[]){ "cpuset", "-l", ioc_fb_get(&f, "cpuset"), "-j",
		    NULL });
		ioc_pargv_push_var(&s->cmd, "jid");
	}
	/* 10. vnet: one epair per interface, host end on the bridge, jail end
	 * moved in and renamed to the interface's name */
	for (i = 0; i < nn; i++) {
		const struct ioc_fb_nic *n = &nics[i];
		_cleanup_free_ char *va = ioc_xasprintf("%sa", n->nic);
		_cleanup_free_ char *vb = ioc_xasprintf("%sb", n->nic);
		_cleanup_free_ char *ma = NULL, *mb = NULL;
		char hm[13], jm[13];
		int gen;
		struct ioc_pargv *u;
		if (ioc_freebsd_mac_pair(j, (unsigned)i, hm, jm, &gen, err) != 0)
			goto out;
		ma = ioc_net_mac_colon(hm);
		mb = ioc_net_mac_colon(jm);
		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", "epair", "create", NULL });
		ioc_step_set_reply(s, IOC_REPLY_EPAIR, n->nic);
		u = ioc_step_undo(s, (const char *const[]){ "ifconfig", NULL });
		ioc_pargv_push_var(u, va);
		ioc_pargv_push(u, "destroy");

		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", NULL });
		ioc_pargv_push_var(&s->cmd, va);
		ioc_pargv_push(&s->cmd, "name");
		ioc_pargv_push(&s->cmd, n->host);
		u = ioc_step_undo(s, (const char *const[]){ "ifconfig", n->host, "name", NULL });
		ioc_pargv_push_var(u, va);

		ioc_plan_add(p, (const char *const[]){ "ifconfig", n->host, "ether", ma, NULL });
		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", NULL });
		ioc_pargv_push_var(&s->cmd, vb);
		ioc_pargv_push(&s->cmd, "ether");
		ioc_pargv_push(&s->cmd, mb);

		if (nat && i == 0) {
			/* the NAT link: the host end is the jail's router */
			char h[16];
			_cleanup_free_ char *cidr = ioc_xasprintf("%s/%d",
			    ioc_net_ntoa4(np.nat.host4, h), np.nat.len);
			ioc_plan_add(p, (const char *const[]){ "ifconfig", n->host, "inet", cidr, NULL });
		} else {
			s = ioc_plan_add(p, (const char *const[]){ "ifconfig", n->bridge, "addm", n->host,
			    NULL });
			ioc_step_undo(s, (const char *const[]){ "ifconfig", n->bridge, "deletem", n->host,
			    NULL });
		}
		ioc_plan_add(p, (const char *const[]){ "ifconfig", n->host, "up", NULL });

		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", NULL });
		ioc_pargv_push_var(&s->cmd, vb);
		ioc_pargv_push(&s->cmd, "vnet");
		ioc_pargv_push(&s->cmd, f.name);
		u = ioc_step_undo(s, (const char *const[]){ "ifconfig", NULL });
		ioc_pargv_push_var(u, vb);
		ioc_pargv_push(u, "-vnet");
		ioc_pargv_push(u, f.name);

		s = ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/ifconfig", NULL });
		ioc_pargv_push_var(&s->cmd, vb);
		ioc_pargv_push(&s->cmd, "name");
		ioc_pargv_push(&s->cmd, n->nic);
		u = ioc_step_undo(s, (const char *const[]){ "jexec", f.name, "/sbin/ifconfig", n->nic,
		    "name", NULL });
		ioc_pargv_push_var(u, vb);
		ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/ifconfig", n->nic, "up",
		    NULL });
		for (k = 0; k < n4; k++)
			if (strcmp(ioc_fb_addr_nic(nics, nn, &ip4[k], "ip4_addr", err), n->nic) == 0)
				ioc_fb_add_vnet_addr(&f, p, n->nic, &ip4[k], 0);
		for (k = 0; k < n6; k++)
			if (strcmp(ioc_fb_addr_nic(nics, nn, &ip6[k], "ip6_addr", err), n->nic) == 0)
				ioc_fb_add_vnet_addr(&f, p, n->nic, &ip6[k], 1);
	}
	/* 11. default routes (vnet only: a shared-IP jail uses the host's) */
	if (vnet && strcmp(ioc_fb_get(&f, "defaultrouter"), "none") != 0)
		ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/route", "add", "default",
		    ioc_fb_get(&f, "defaultrouter"), NULL });
	else if (nat)
		ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/route", "add", "default",
		    np.router4, NULL });
	if (vnet && strcmp(ioc_fb_get(&f, "defaultrouter6"), "none") != 0)
		ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/route", "add", "-inet6",
		    "default", ioc_fb_get(&f, "defaultrouter6"), NULL });
	/* 11b. nat: forwarding on, the jail's rules in its own pf anchor (the
	 * host's pf.conf holds nat-anchor and rdr-anchor for iocage/ and its children; iocage never
	 * loads or flushes the main ruleset) */
	if (nat) {
		_cleanup_free_ char *anchor = ioc_xasprintf("iocage/%s", f.name);
		_cleanup_free_ char *rules = ioc_fb_nat_rules(&np);
		ioc_plan_add(p, (const char *const[]){ "sysctl", "net.inet.ip.forwarding=1", NULL });
		s = ioc_plan_add(p, (const char *const[]){ "pfctl", "-a", anchor, "-f", "-", NULL });
		ioc_step_set_stdin(s, rules);
		ioc_step_undo(s, (const char *const[]){ "pfctl", "-a", anchor, "-F", "all", NULL });
	}
	/* 12. delegated dataset */
	if (ds) {
		s = ioc_plan_add(p, (const char *const[]){ "zfs", "jail", f.name, ds, NULL });
		ioc_step_undo(s, (const char *const[]){ "zfs", "unjail", f.name, ds, NULL });
		/* a jailed dataset's mountpoint is the jail's business: set and
		 * mounted from inside, as zfs(8) "jail" describes */
		if (!ioc_fb_isnone(ioc_fb_get(&f, "jail_zfs_mountpoint"))) {
			_cleanup_free_ char *mp = ioc_xasprintf("mountpoint=%s",
			    ioc_fb_get(&f, "jail_zfs_mountpoint"));
			ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/zfs", "set", mp, ds,
			    NULL });
			ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/sbin/zfs", "mount", ds,
			    NULL });
		}
	}
	/* 13. exec_start inside, 14. host hook */
	if (ioc_fb_add_inside(&f, p, "exec_start", 0, err) != 0 ||
	    ioc_fb_add_hook(&f, p, "exec_poststart", 0, err) != 0)
		goto out;
	rv = 0;
out:
	if (rv != 0)
		ioc_plan_release(p);
	ioc_fb_nics_free(nics, nn);
	ioc_fb_mnts_free(mnts, nm);
	ioc_fb_ips_free(ip4, n4);
	ioc_fb_ips_free(ip6, n6);
	ioc_net_plan_release(&np);
	ioc_fb_release(&f);
	return rv;
}

int
ioc_freebsd_plan_stop(const struct ioc_root *root, const struct ioc_jail *j, int force,
    struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_fb_nic *nics = NULL;
	struct ioc_fb_mnt *mnts = NULL;
	struct ioc_fb_ip *ip4 = NULL, *ip6 = NULL;
	struct ioc_strv jm = IOC_STRV_INIT;
	size_t nn = 0, nm = 0, n4 = 0, n6 = 0, i, k;
	_cleanup_free_ char *ds = NULL;
	/* steps that need a running jail: with force, their failure is expected */
	unsigned live = force ? IOC_STEP_IGNORE : IOC_STEP_CONTINUE;
	int vnet, rv = -1;
	struct ioc_step *s;

	ioc_plan_init(p, "stop");
	ioc_strv_init(&jm);
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("stop %s%s", f.name, force ? " (forced)" : "");
	vnet = ioc_fb_on(&f, "vnet");
	if (ioc_fb_check_system_user(&f, err) != 0 || ioc_fb_mnts(&f, &mnts, &nm, err) != 0 ||
	    (vnet && ioc_fb_nics(&f, &nics, &nn, err) != 0))
		goto out;
	if (vnet && ioc_fb_on(&f, "nat"))
		ioc_fb_nat_nic(&f, &nics, &nn);
	n4 = ioc_fb_ips(ioc_fb_get(&f, "ip4_addr"), &ip4);
	n6 = ioc_fb_ips(ioc_fb_get(&f, "ip6_addr"), &ip6);
	if (ioc_fb_on(&f, "jail_zfs") && (ds = ioc_fb_zfs_dataset(&f, err)) == NULL)
		goto out;

	if (ioc_fb_add_hook(&f, p, "exec_prestop", IOC_STEP_CONTINUE, err) != 0 ||
	    ioc_fb_add_inside(&f, p, "exec_stop", live, err) != 0)
		goto out;
	if (ds) {
		/* ignored: removing the jail detaches the dataset anyway */
		s = ioc_plan_add(p, (const char *const[]){ "zfs", "unjail", f.name, ds, NULL });
		s->flags = IOC_STEP_IGNORE;
	}
	/* jail(8) -r: SIGTERM, stop.timeout seconds of grace (0: none), then
	 * removal.  jail(8) takes no parameters beside -r, but it reads a
	 * configuration from stdin with -f -: the jail's one entry sets
	 * stop.timeout (the name is "ioc-" and a checked UUID, the timeout an
	 * integer: nothing in it needs quoting). */
	{
		long long t = 0;
		_cleanup_free_ char *conf = NULL;
		if (!force && ioc_parse_ll(ioc_fb_get(&f, "stop_timeout"), 0, 86400, &t) != 0)
			t = 10; /* unreachable: ioc_fb_load validated it */
		conf = ioc_xasprintf("%s { stop.timeout = %lld; }\n", f.name, t);
		s = ioc_plan_add(p, (const char *const[]){ "jail", "-f", "-", "-r", f.name, NULL });
		ioc_step_set_stdin(s, conf);
	}
	if (force)
		s->flags = IOC_STEP_IGNORE;
	/* ignored: a jail without rules (or racct off) has nothing to remove */
	s = ioc_plan_add(p, (const char *const[]){ "rctl", "-r", NULL });
	{
		_cleanup_free_ char *filter = ioc_xasprintf("jail:%s", f.name);
		ioc_pargv_push(&s->cmd, filter);
	}
	s->flags = IOC_STEP_IGNORE;
	/* nat: the jail's pf anchor emptied (ignored: nothing there is fine) */
	if (vnet && ioc_fb_on(&f, "nat")) {
		_cleanup_free_ char *anchor = ioc_xasprintf("iocage/%s", f.name);
		s = ioc_plan_add(p, (const char *const[]){ "pfctl", "-a", anchor, "-F", "all", NULL });
		s->flags = IOC_STEP_IGNORE;
	}
	/* destroying the host end of an epair destroys both ends */
	for (i = nn; i > 0; i--) {
		s = ioc_plan_add(p, (const char *const[]){ "ifconfig", nics[i - 1].host, "destroy", NULL });
		s->flags = live;
	}
	if (!vnet) {
		for (k = 2; k > 0; k--) {
			struct ioc_fb_ip *v = k == 2 ? ip6 : ip4;
			size_t n = k == 2 ? n6 : n4;
			for (i = n; i > 0; i--) {
				if (v[i - 1].iface == NULL)
					continue;
				s = ioc_plan_add(p, (const char *const[]){ "ifconfig", v[i - 1].iface,
				    k == 2 ? "inet6" : "inet", v[i - 1].addr, "-alias", NULL });
				s->flags = live;
			}
		}
	}
	ioc_fb_jail_mounts(&f, &jm);
	for (i = 0; i < jm.n; i++) {
		s = ioc_plan_add(p, (const char *const[]){ "umount", jm.v[i], NULL });
		s->flags = live;
	}
	if (ioc_fb_on(&f, "mount_linprocfs")) {
		_cleanup_free_ char *dst = ioc_xasprintf("%s/compat/linux/proc", f.path);
		s = ioc_plan_add(p, (const char *const[]){ "umount", dst, NULL });
		s->flags = live;
	}
	for (i = nm; i > 0; i--) {
		s = ioc_plan_add(p, (const char *const[]){ "umount", mnts[i - 1].host, NULL });
		s->flags = live;
	}
	if (ioc_fb_add_hook(&f, p, "exec_poststop", IOC_STEP_CONTINUE, err) != 0)
		goto out;
	rv = 0;
out:
	if (rv != 0)
		ioc_plan_release(p);
	ioc_strv_release(&jm);
	ioc_fb_nics_free(nics, nn);
	ioc_fb_mnts_free(mnts, nm);
	ioc_fb_ips_free(ip4, n4);
	ioc_fb_ips_free(ip6, n6);
	ioc_fb_release(&f);
	return rv;
}

int
ioc_freebsd_plan_exec(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_exec_opts *o, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_step *s;
	size_t i;

	ioc_plan_init(p, "exec");
	if (o->argv == NULL || o->argv[0] == NULL) {
		ioc_plan_release(p);
		return ioc_fail(err, IOC_EXIT_USAGE, "exec: a command to run is required");
	}
	if (o->host_user && o->jail_user) {
		ioc_plan_release(p);
		return ioc_fail(err, IOC_EXIT_USAGE, "exec: -u and -U exclude each other");
	}
	if ((o->host_user && !ioc_fb_valid_user(o->host_user)) ||
	    (o->jail_user && !ioc_fb_valid_user(o->jail_user))) {
		ioc_plan_release(p);
		return ioc_fail(err, IOC_EXIT_USAGE, "exec: invalid user name: expected letters, digits, "
		    "'.', '_', '-' (not starting with '-')");
	}
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("exec %s", f.name);
	s = ioc_plan_add(p, (const char *const[]){ "jexec", NULL });
	if (o->host_user) {
		ioc_pargv_push(&s->cmd, "-u");
		ioc_pargv_push(&s->cmd, o->host_user);
	} else if (o->jail_user) {
		ioc_pargv_push(&s->cmd, "-U");
		ioc_pargv_push(&s->cmd, o->jail_user);
	}
	ioc_pargv_push(&s->cmd, f.name);
	for (i = 0; o->argv[i]; i++)
		ioc_pargv_push(&s->cmd, o->argv[i]);
	s->flags = IOC_STEP_STATUS | (o->interactive ? IOC_STEP_INTERACTIVE : 0);
	ioc_fb_release(&f);
	return 0;
}

/* TERM values passed on to a console: a terminal type name. */
static int
ioc_fb_valid_term(const char *t)
{
	const char *p;
	if (t == NULL || *t == '\0' || strlen(t) > 64)
		return 0;
	for (p = t; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._+-", *p)))
			return 0;
	return 1;
}

int
ioc_freebsd_plan_console(const struct ioc_root *root, const struct ioc_jail *j, const char *term,
    struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_strv w = IOC_STRV_INIT;
	struct ioc_step *s;

	ioc_plan_init(p, "console");
	ioc_strv_init(&w);
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("console %s", f.name);
	if (ioc_freebsd_split_command("login_flags", ioc_fb_get(&f, "login_flags"), &w, err) != 0) {
		ioc_fb_release(&f);
		ioc_plan_release(p);
		return -1;
	}
	/* login(1) flags: jexec runs login inside the jail, no shell between */
	s = ioc_plan_add(p, (const char *const[]){ "jexec", f.name, "/usr/bin/login", NULL });
	ioc_pargv_pushv(&s->cmd, &w);
	s->flags = IOC_STEP_STATUS | IOC_STEP_INTERACTIVE;
	if (ioc_fb_valid_term(term))
		s->env = ioc_xasprintf("TERM=%s", term);
	ioc_strv_release(&w);
	ioc_fb_release(&f);
	return 0;
}

int
ioc_freebsd_plan_cap(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_plan *p,
    struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_step *s;

	ioc_plan_init(p, "cap");
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("cap %s", f.name);
	s = ioc_plan_add(p, (const char *const[]){ "jls", "-j", f.name, "jid", NULL });
	ioc_step_set_reply(s, IOC_REPLY_JID, "jid");
	ioc_step_set_hint(s, "the jail is not running");
	ioc_fb_add_rctl(&f, p, 1);
	if (strcmp(ioc_fb_get(&f, "cpuset"), "off") != 0) {
		s = ioc_plan_add(p, (const char *const[]){ "cpuset", "-l", ioc_fb_get(&f, "cpuset"), "-j",
		    NULL });
		ioc_pargv_push_var(&s->cmd, "jid");
	}
	ioc_fb_release(&f);
	return 0;
}

int
ioc_freebsd_plan_uncap(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_plan *p,
    struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_step *s;
	_cleanup_free_ char *filter = NULL;

	ioc_plan_init(p, "uncap");
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("uncap %s", f.name);
	filter = ioc_xasprintf("jail:%s", f.name);
	/* ignored: no rules (or racct off) is the state asked for */
	s = ioc_plan_add(p, (const char *const[]){ "rctl", "-r", filter, NULL });
	s->flags = IOC_STEP_IGNORE;
	ioc_fb_release(&f);
	return 0;
}

/* A package name for pkg(8): no option-like, empty or odd names. */
static int
ioc_fb_valid_pkg(const char *s)
{
	const char *p;
	if (*s == '\0' || *s == '-' || strlen(s) > 128)
		return 0;
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._+@/:-", *p)))
			return 0;
	return 1;
}

int
ioc_freebsd_plan_pkg(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_strv *pkgs, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_step *s;
	size_t i;

	ioc_plan_init(p, "pkg");
	if (pkgs->n == 0) {
		ioc_plan_release(p);
		return ioc_err(err, "pkglist: the file names no packages");
	}
	for (i = 0; i < pkgs->n; i++)
		if (!ioc_fb_valid_pkg(pkgs->v[i])) {
			ioc_plan_release(p);
			if (ioc_has_ctrl(pkgs->v[i]) || strlen(pkgs->v[i]) > 128)
				return ioc_err(err, "pkglist: entry %zu is not a package name", i + 1);
			return ioc_err(err, "pkglist: '%s' is not a package name (letters, digits, "
			    "'.', '_', '+', '@', '/', ':', '-'; not starting with '-')", pkgs->v[i]);
		}
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("pkg %s", f.name);
	s = ioc_plan_add(p, (const char *const[]){ "pkg", "-j", f.name, "install", "-y", NULL });
	for (i = 0; i < pkgs->n; i++)
		ioc_pargv_push(&s->cmd, pkgs->v[i]);
	s->env = ioc_xstrdup("ASSUME_ALWAYS_YES=yes");
	ioc_fb_release(&f);
	return 0;
}

void
ioc_freebsd_argv_states(struct ioc_strv *argv)
{
	ioc_strv_push(argv, "jls");
	ioc_strv_push(argv, "name");
	ioc_strv_push(argv, "jid");
}

void
ioc_freebsd_argv_runtime(const struct ioc_jail *j, struct ioc_strv *argv)
{
	ioc_strv_push(argv, "jls");
	ioc_strv_push(argv, "-n");
	ioc_strv_push(argv, "-q");
	ioc_strv_push(argv, "-j");
	ioc_strv_push_owned(argv, ioc_freebsd_jail_name(j));
}

void
ioc_freebsd_argv_inuse(const struct ioc_jail *j, struct ioc_strv *argv)
{
	ioc_strv_push(argv, "rctl");
	ioc_strv_push(argv, "-u");
	ioc_strv_pushf(argv, "jail:ioc-%s", j->uuid);
}

int
ioc_freebsd_parse_states(const char *out, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	struct ioc_strv lines = IOC_STRV_INIT;
	size_t i, k;
	for (i = 0; i < js->n; i++) {
		st[i].running = 0;
		snprintf(st[i].jid, sizeof(st[i].jid), "-");
	}
	ioc_strv_init(&lines);
	ioc_strv_split(&lines, out ? out : "", '\n');
	for (i = 0; i < lines.n; i++) {
		const char *l = lines.v[i], *sp = strchr(l, ' ');
		size_t nl;
		if (*l == '\0')
			continue;
		if (sp == NULL || strncmp(l, "ioc-", 4) != 0)
			continue; /* another manager's jail */
		nl = (size_t)(sp - l);
		if (strspn(sp + 1, "0123456789") != strlen(sp + 1) || strlen(sp + 1) == 0 ||
		    strlen(sp + 1) >= sizeof(st[0].jid)) {
			ioc_strv_release(&lines);
			return ioc_err(err, "unexpected jls output line %zu", i + 1);
		}
		for (k = 0; k < js->n; k++)
			if (strlen(js->v[k].uuid) == nl - 4 && strncmp(js->v[k].uuid, l + 4, nl - 4) == 0) {
				st[k].running = 1;
				snprintf(st[k].jid, sizeof(st[k].jid), "%s", sp + 1);
			}
	}
	ioc_strv_release(&lines);
	return 0;
}

int
ioc_freebsd_parse_runtime(const char *out, struct ioc_table *t, struct ioc_error **err)
{
	const char *p = out ? out : "";
	while (*p) {
		struct ioc_sb w = IOC_SB_INIT;
		const char *eq, *cells[3];
		_cleanup_free_ char *name = NULL;
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		ioc_sb_init(&w);
		/* one word: name=value, the value possibly "quoted" with \ escapes */
		while (*p && *p != ' ' && *p != '\n') {
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && p[1])
						p++;
					ioc_sb_addc(&w, *p);
				}
				if (*p != '"') {
					ioc_sb_release(&w);
					return ioc_err(err, "unexpected jls output: unterminated quote");
				}
				p++;
			} else {
				ioc_sb_addc(&w, *p++);
			}
		}
		eq = strchr(w.buf, '=');
		if (eq) {
			name = ioc_xstrndup(w.buf, (size_t)(eq - w.buf));
			cells[1] = eq + 1;
		} else if (strncmp(w.buf, "no", 2) == 0) {
			name = ioc_xstrdup(w.buf + 2);
			cells[1] = "false";
		} else {
			name = ioc_xstrdup(w.buf);
			cells[1] = "true";
		}
		cells[0] = name;
		cells[2] = NULL;
		ioc_table_add(t, cells);
		ioc_sb_release(&w);
	}
	return 0;
}

int
ioc_freebsd_parse_inuse(const char *out, struct ioc_table *t, struct ioc_error **err)
{
	struct ioc_strv lines = IOC_STRV_INIT;
	size_t i;
	ioc_strv_init(&lines);
	ioc_strv_split(&lines, out ? out : "", '\n');
	for (i = 0; i < lines.n; i++) {
		const char *l = lines.v[i], *eq = strchr(l, '=');
		_cleanup_free_ char *name = NULL;
		const char *cells[3];
		if (*l == '\0')
			continue;
		if (eq == NULL || eq == l) {
			ioc_strv_release(&lines);
			return ioc_err(err, "unexpected rctl output line %zu", i + 1);
		}
		name = ioc_xstrndup(l, (size_t)(eq - l));
		cells[0] = name;
		cells[1] = eq + 1;
		cells[2] = NULL;
		ioc_table_add(t, cells);
	}
	ioc_strv_release(&lines);
	return 0;
}

/* --- the engine ops (run on FreeBSD; compiled everywhere) --- */

/* Every zfs(8) command of a plan must name a dataset inside the root. */
static int
ioc_fb_guard_plan(const struct ioc_plan *p, struct ioc_error **err)
{
	size_t i;
	for (i = 0; i < p->n; i++) {
		const struct ioc_strv *w = &p->v[i].cmd.w;
		if (p->v[i].kind == IOC_STEP_RUN && w->n >= 3 && strcmp(w->v[0], "zfs") == 0 &&
		    ioc_zfs_guard(w->v[w->n - 1], err) != 0)
			return -1;
	}
	return 0;
}

/* Runs a plan for real (undo on failure when asked). */
static int
ioc_fb_run(struct ioc_plan *p, unsigned flags, int *status, struct ioc_error **err)
{
	int rv = ioc_fb_guard_plan(p, err);
	if (rv == 0)
		rv = ioc_plan_run(p, flags, ioc_plan_exec_real, NULL, status, err);
	ioc_plan_release(p);
	return rv;
}

static int
ioc_fb_op_states(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	_cleanup_free_ char *out = NULL;
	int rv;
	(void)root;
	ioc_strv_init(&argv);
	ioc_freebsd_argv_states(&argv);
	rv = ioc_run_ok(ioc_strv_argv(&argv), &out, err);
	ioc_strv_release(&argv);
	if (rv == 0)
		rv = ioc_freebsd_parse_states(out, js, st, err);
	return rv;
}

/* Stores generated MAC addresses (vnetN_mac) so that they stay fixed. */
static int
ioc_fb_store_macs(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_fb f;
	struct ioc_fb_nic *nics = NULL;
	size_t nn = 0, i;
	int rv = 0;
	if (ioc_fb_load(&f, root, j, err) != 0)
		return -1;
	if (ioc_fb_on(&f, "vnet") && ioc_fb_nics(&f, &nics, &nn, err) != 0)
		rv = -1;
	for (i = 0; i < nn && rv == 0; i++) {
		_cleanup_free_ char *prop = ioc_xasprintf(IOC_PROP_PREFIX "vnet%zu_mac", i);
		_cleanup_free_ char *pair = NULL;
		char hm[13], jm[13];
		int gen;
		if (ioc_freebsd_mac_pair(j, (unsigned)i, hm, jm, &gen, err) != 0) {
			rv = -1;
			break;
		}
		if (!gen || ioc_prop_find(prop + strlen(IOC_PROP_PREFIX)) == NULL)
			continue;
		pair = ioc_xasprintf("%s %s", hm, jm);
		rv = ioc_zfs_set(j->dataset, prop, pair, err);
	}
	ioc_fb_nics_free(nics, nn);
	ioc_fb_release(&f);
	return rv;
}

static int
ioc_fb_op_start(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_plan p;
	_cleanup_free_ char *picked = NULL;
	if (ioc_legacy_jail_prepare(j, 0, err) != 0 || ioc_jail_check_delegation(root, j, err) != 0 ||
	    ioc_net_nat_assign(root, j, 1, &picked, err) != 0)
		return -1;
	if (picked)
		ioc_note("nat: %s gets ip4_addr=%s", ioc_jail_get(j, "tag"), picked);
	if (ioc_freebsd_plan_start(root, j, &p, err) != 0)
		return -1;
	if (ioc_fb_store_macs(root, j, err) != 0) {
		ioc_plan_release(&p);
		return -1;
	}
	return ioc_fb_run(&p, IOC_PLAN_UNDO, NULL, err);
}

static int
ioc_fb_op_stop(const struct ioc_root *root, struct ioc_jail *j, int force, struct ioc_error **err)
{
	struct ioc_plan p;
	if (ioc_legacy_jail_prepare(j, 1, err) != 0 ||
	    ioc_freebsd_plan_stop(root, j, force, &p, err) != 0)
		return -1;
	return ioc_fb_run(&p, 0, NULL, err);
}

/* exec; with no command and interactive set: the console (login). */
static int
ioc_fb_op_exec(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_exec_opts *o,
    int *status, struct ioc_error **err)
{
	struct ioc_plan p;
	int rv;
	if (o->interactive && (o->argv == NULL || o->argv[0] == NULL))
		rv = ioc_freebsd_plan_console(root, j, getenv("TERM"), &p, err);
	else
		rv = ioc_freebsd_plan_exec(root, j, o, &p, err);
	if (rv != 0)
		return -1;
	return ioc_fb_run(&p, 0, status, err);
}

/* Runs a read-only query and parses its output into t. */
static int
ioc_fb_query(struct ioc_strv *argv, int (*parse)(const char *, struct ioc_table *,
    struct ioc_error **), struct ioc_table *t, struct ioc_error **err)
{
	_cleanup_free_ char *out = NULL;
	int rv = ioc_run_ok(ioc_strv_argv(argv), &out, err);
	ioc_strv_release(argv);
	return rv == 0 ? parse(out, t, err) : -1;
}

static int
ioc_fb_op_runtime(const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t,
    struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	(void)root;
	ioc_strv_init(&argv);
	ioc_freebsd_argv_runtime(j, &argv);
	return ioc_fb_query(&argv, ioc_freebsd_parse_runtime, t, err);
}

static int
ioc_fb_op_inuse(const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t,
    struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	(void)root;
	ioc_strv_init(&argv);
	ioc_freebsd_argv_inuse(j, &argv);
	return ioc_fb_query(&argv, ioc_freebsd_parse_inuse, t, err);
}

static int
ioc_fb_op_cap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_plan p;
	if (ioc_freebsd_plan_cap(root, j, &p, err) != 0)
		return -1;
	return ioc_fb_run(&p, IOC_PLAN_UNDO, NULL, err);
}

static int
ioc_fb_op_uncap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	struct ioc_plan p;
	if (ioc_freebsd_plan_uncap(root, j, &p, err) != 0)
		return -1;
	return ioc_fb_run(&p, 0, NULL, err);
}

/* Values this engine cannot honour, refused at `set` time. */
static int
ioc_fb_op_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	if (strcmp(p->name, "exec_system_user") == 0 && strcmp(value, "root") != 0)
		return ioc_err(err, "exec_system_user '%s' is not supported by the FreeBSD engine: host "
		    "hooks run as root", ioc_has_ctrl(value) ? "?" : value);
	if (strcmp(p->name, "mac_prefix") == 0 && !ioc_net_valid_mac_prefix(value))
		return ioc_err(err, "invalid value for property 'mac_prefix': expected 6 hex digits "
		    "with an even first byte (unicast), e.g. 02ff60");
	if (p->type == IOC_PT_COMMAND) {
		struct ioc_strv w = IOC_STRV_INIT;
		int rv;
		ioc_strv_init(&w);
		rv = ioc_freebsd_split_command(p->name, value, &w, err);
		if (rv == 0 && !ioc_hook_noop(value) && strcmp(p->name, "exec_start") != 0 && strcmp(p->name, "exec_stop") != 0 &&
		    strcmp(p->name, "login_flags") != 0 && w.v[0][0] != '/')
			rv = ioc_err(err, "invalid value for property '%s': a host command must start "
			    "with an absolute path (e.g. /usr/local/bin/hook)", p->name);
		ioc_strv_release(&w);
		return rv;
	}
	return 0;
}

/* --dry-run: the plan as text, nothing run. */
static int
ioc_fb_op_dry_run(const struct ioc_root *root, struct ioc_jail *j, const char *what,
    struct ioc_sb *out, struct ioc_error **err)
{
	struct ioc_plan p;
	int rv;
	if (strcmp(what, "start") == 0) {
		/* the address a first start of a NAT jail would pick, not stored */
		_cleanup_free_ char *picked = NULL;
		rv = ioc_legacy_jail_prepare(j, 0, err) != 0 ||
		    ioc_net_nat_assign(root, j, 0, &picked, err) != 0 ? -1 :
		    ioc_freebsd_plan_start(root, j, &p, err);
	}
	else if (strcmp(what, "stop") == 0)
		rv = ioc_legacy_jail_prepare(j, 1, err) != 0 ? -1 :
		    ioc_freebsd_plan_stop(root, j, 0, &p, err);
	else if (strcmp(what, "cap") == 0)
		rv = ioc_freebsd_plan_cap(root, j, &p, err);
	else if (strcmp(what, "uncap") == 0)
		rv = ioc_freebsd_plan_uncap(root, j, &p, err);
	else
		return ioc_err(err, "--dry-run: nothing to show for '%s' (start, stop, cap, uncap)",
		    ioc_has_ctrl(what) ? "?" : what);
	if (rv != 0)
		return -1;
	ioc_plan_render(&p, out);
	ioc_plan_release(&p);
	return 0;
}

const struct ioc_engine_ops ioc_engine_freebsd = {
	.name = "freebsd",
	.states = ioc_fb_op_states,
	.start = ioc_fb_op_start,
	.stop = ioc_fb_op_stop,
	.exec = ioc_fb_op_exec,
	.runtime = ioc_fb_op_runtime,
	.cap = ioc_fb_op_cap,
	.uncap = ioc_fb_op_uncap,
	.inuse = ioc_fb_op_inuse,
	.check_prop = ioc_fb_op_check_prop,
	.dry_run = ioc_fb_op_dry_run,
};
