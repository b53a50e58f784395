/* props.c — the property table and value validation (compound values: propvalues.c). */
#include "core/props.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#define JP(n, t, d) \
	{ \
		n, t, d, IOC_PF_FREEBSD, 0, 0, NULL, "jail(8) parameter" \
	}
#define JB(n, d) \
	{ \
		n, IOC_PT_BOOL01, d, IOC_PF_FREEBSD, 0, 1, NULL, "jail(8) parameter (0|1)" \
	}
#define RL(n, d) \
	{ \
		n, IOC_PT_RLIMIT, d, 0, 0, 0, NULL, "resource limit LIMIT:ACTION or off" \
	}

const struct ioc_prop ioc_props[] = {
	/* iocage's own */
	{ "uuid", IOC_PT_STRING, "%UUID%", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "the jail's identity" },
	{ "tag", IOC_PT_TAG, "%UUID%", IOC_PF_NODEFAULT, 0, 0, NULL, "unique human name" },
	{ "release", IOC_PT_RELEASE, "none", IOC_PF_CREATE, 0, 0, NULL,
	    "release the jail was made from" },
	{ "type", IOC_PT_CHOICE, "jail", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0,
	    "jail|clonejail|emptyjail|thickjail", "how the jail's root was made" },
	{ "template", IOC_PT_YESNO, "no", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "yes marks the jail as a template" },
	{ "source_template", IOC_PT_STRING, "none", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "template the jail was cloned from" },
	{ "boot", IOC_PT_ONOFF, "off", 0, 0, 0, NULL, "start at host boot (rcboot)" },
	{ "priority", IOC_PT_INT, "99", 0, 0, 999, NULL, "boot order, ascending" },
	{ "depends", IOC_PT_TAGS, "none", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "tags of the jails started before this one and stopped after it (a jail named here is neither renamed nor destroyed while named)" },
	{ "sync_state", IOC_PT_ONOFF, "off", 0, 0, 0, NULL,
	    "on: 'iocage sync ALL' replicates the jail to sync_target" },
	{ "sync_target", IOC_PT_SYNCTARGET, "none", 0, 0, 0, NULL,
	    "iocage root replicas go to: POOL/DATASET here, [USER@]HOST:POOL/DATASET over ssh; sync_tgt_zpool is the legacy name" },
	{ "replica", IOC_PT_STRING, "no", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "yes: a synced copy of a jail of another root (never started; state replica)" },
	{ "migrated", IOC_PT_STRING, "no", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "the root a jail was moved to by 'iocage migrate' (kept here, never started; state migrated; destroy removes it)" },
	{ "notes", IOC_PT_STRING, "none", IOC_PF_TABS, 0, 0, NULL, "free text, stored verbatim" },
	{ "owner", IOC_PT_STRING, "root", 0, 0, 0, NULL, "owner of the jail" },
	{ "last_started", IOC_PT_STRING, "none", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "when the jail last started" },
	{ "created", IOC_PT_STRING, "none", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "when the jail was created" },
	{ "hostid", IOC_PT_STRING, "%HOSTID%", 0, 0, 0, NULL, "host that owns the jail" },
	{ "jail_zfs", IOC_PT_ONOFF, "off", 0, 0, 0, NULL,
	    "delegate R/jails/UUID/data into the jail" },
	{ "jail_zfs_dataset", IOC_PT_DATASET, "jails/%UUID%/data", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "dataset delegated with jail_zfs: the jail's own (below jails/UUID/, not its root) or one beside iocage's trees" },
	{ "jail_zfs_mountpoint", IOC_PT_PATH, "none", 0, 0, 0, NULL,
	    "mountpoint of the delegated dataset inside the jail" },
	{ "pkglist", IOC_PT_PATH, "none", IOC_PF_CREATE, 0, 0, NULL,
	    "file of packages installed at create" },
	{ "fstab", IOC_PT_STRING, "none", IOC_PF_TABS, 0, 0, NULL,
	    "host paths mounted into the jail (SRC DST [ro|rw];...)" },
	{ "userns", IOC_PT_ONOFF, "on", IOC_PF_LINUX, 0, 0, NULL,
	    "Linux: run in a user namespace (off: privileged, for trusted jails only)" },
	{ "userns_idmap", IOC_PT_IDMAP, "100000:65536", IOC_PF_LINUX, 0, 0, NULL,
	    "Linux: host id range root inside maps to (HOSTID:COUNT)" },
	{ "record", IOC_PT_STRING, "none", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "differential recording: started or stopped, and when (record, package)" },
	{ "recipe_done", IOC_PT_STRING, "none", IOC_PF_RO | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "identities of the recipe steps done inside the jail (apply)" },
	{ "state", IOC_PT_STRING, "down", IOC_PF_RO | IOC_PF_RUNTIME | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "up or down" },
	{ "jid", IOC_PT_STRING, "-", IOC_PF_RO | IOC_PF_RUNTIME | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "jail id while running" },
	/* jail parameters */
	JP("devfs_ruleset", IOC_PT_INT, "4"),
	JB("mount_devfs", "1"),
	JB("mount_fdescfs", "1"),
	JB("mount_procfs", "0"),
	JB("mount_linprocfs", "0"),
	{ "exec_start", IOC_PT_COMMAND, "/bin/sh /etc/rc", 0, 0, 0, NULL,
	    "command run inside at start" },
	{ "exec_stop", IOC_PT_COMMAND, "/bin/sh /etc/rc.shutdown", 0, 0, 0, NULL,
	    "command run inside at stop" },
	{ "exec_prestart", IOC_PT_COMMAND, "/usr/bin/true", 0, 0, 0, NULL,
	    "host command before start" },
	{ "exec_poststart", IOC_PT_COMMAND, "/usr/bin/true", 0, 0, 0, NULL,
	    "host command after start" },
	{ "exec_prestop", IOC_PT_COMMAND, "/usr/bin/true", 0, 0, 0, NULL,
	    "host command before stop" },
	{ "exec_poststop", IOC_PT_COMMAND, "/usr/bin/true", 0, 0, 0, NULL,
	    "host command after stop" },
	JB("exec_clean", "1"),
	{ "exec_timeout", IOC_PT_INT, "60", 0, 0, 86400, NULL, "seconds exec_start may take" },
	{ "stop_timeout", IOC_PT_INT, "30", 0, 0, 86400, NULL,
	    "seconds before processes are killed at stop" },
	{ "exec_jail_user", IOC_PT_STRING, "root", 0, 0, 0, NULL,
	    "user exec_start runs as inside" },
	JB("exec_system_jail_user", "0"),
	{ "exec_system_user", IOC_PT_STRING, "root", IOC_PF_FREEBSD, 0, 0, NULL,
	    "host user for host commands" },
	JP("enforce_statfs", IOC_PT_INT, "2"),
	JP("children_max", IOC_PT_INT, "0"),
	{ "login_flags", IOC_PT_COMMAND, "-f root", 0, 0, 0, NULL, "login(1) flags for console" },
	{ "securelevel", IOC_PT_INT, "2", 0, -1, 3, NULL, "kernel securelevel (-1..3)" },
	{ "host_hostuuid", IOC_PT_STRING, "%UUID%", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "host UUID seen inside" },
	JB("allow_set_hostname", "1"),
	JB("allow_sysvipc", "0"),
	{ "sysvmsg", IOC_PT_CHOICE, "new", IOC_PF_FREEBSD, 0, 0, "new|inherit|disable",
	    "SysV messages" },
	{ "sysvsem", IOC_PT_CHOICE, "new", IOC_PF_FREEBSD, 0, 0, "new|inherit|disable",
	    "SysV semaphores" },
	{ "sysvshm", IOC_PT_CHOICE, "new", IOC_PF_FREEBSD, 0, 0, "new|inherit|disable",
	    "SysV shared memory" },
	JB("allow_raw_sockets", "0"),
	JB("allow_chflags", "0"),
	JB("allow_mount", "0"),
	JB("allow_mount_devfs", "0"),
	JB("allow_mount_nullfs", "0"),
	JB("allow_mount_procfs", "0"),
	JB("allow_mount_tmpfs", "0"),
	JB("allow_mount_zfs", "0"),
	JB("allow_quotas", "0"),
	JB("allow_socket_af", "0"),
	/* network */
	{ "vnet", IOC_PT_ONOFF, "on", 0, 0, 0, NULL, "own network stack" },
	{ "interfaces", IOC_PT_IFACES, "vnet0:bridge0", 0, 0, 0, NULL, "NAME:BRIDGE pairs" },
	{ "host_hostname", IOC_PT_HOSTNAME, "%UUID%", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "host name inside" },
	{ "host_domainname", IOC_PT_STRING, "none", 0, 0, 0, NULL, "NIS domain name" },
	{ "ip4_addr", IOC_PT_IP4, "none", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "IFACE|ADDR/MASK[,...]; vnet: IFACE|DHCP (see DHCP under SECURITY)" },
	JB("ip4_saddrsel", "1"),
	{ "ip4", IOC_PT_CHOICE, "new", 0, 0, 0, "new|inherit|disable",
	    "IPv4 stack: new, inherit (host's) or disable" },
	{ "ip6_addr", IOC_PT_IP6, "none", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "IFACE|ADDR/PREFIX[,...]; vnet: IFACE|accept_rtadv (SLAAC)" },
	JB("ip6_saddrsel", "1"),
	{ "ip6", IOC_PT_CHOICE, "new", 0, 0, 0, "new|inherit|disable", "IPv6 stack" },
	{ "defaultrouter", IOC_PT_ADDR4, "none", 0, 0, 0, NULL, "IPv4 default route" },
	{ "defaultrouter6", IOC_PT_ADDR6, "none", 0, 0, 0, NULL, "IPv6 default route" },
	{ "resolver", IOC_PT_STRING, "none", IOC_PF_TABS, 0, 0, NULL,
	    "resolv.conf lines separated by ;" },
	JP("exec_fib", IOC_PT_INT, "0"),
	{ "nat", IOC_PT_ONOFF, "off", 0, 0, 0, NULL,
	    "the jail behind the host's address (masqueraded) with nat_forwards: see NAT under SECURITY" },
	{ "nat_interface", IOC_PT_NETIF, "none", 0, 0, 0, NULL,
	    "host interface NAT leaves by (none: the default route's; FreeBSD needs a name)" },
	{ "nat_prefix", IOC_PT_CIDR4, "172.16.0.0/12", 0, 0, 0, NULL,
	    "IPv4 range NAT jails get a /30 of (stored in ip4_addr)" },
	{ "nat_forwards", IOC_PT_FORWARDS, "none", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "host ports forwarded in: tcp(JAILPORT:HOSTPORT),udp(PORT)" },
	{ "mac_prefix", IOC_PT_STRING, "02ff60", 0, 0, 0, NULL, "first 3 bytes of generated MACs" },
	{ "vnet0_mac", IOC_PT_MAC, "none", IOC_PF_NODEFAULT, 0, 0, NULL,
	    "MAC of vnet0 (host side, jail side)" },
	{ "vnet1_mac", IOC_PT_MAC, "none", IOC_PF_NODEFAULT, 0, 0, NULL, "MAC of vnet1" },
	{ "vnet2_mac", IOC_PT_MAC, "none", IOC_PF_NODEFAULT, 0, 0, NULL, "MAC of vnet2" },
	{ "vnet3_mac", IOC_PT_MAC, "none", IOC_PF_NODEFAULT, 0, 0, NULL, "MAC of vnet3" },
	/* resource limits */
	{ "rlimits", IOC_PT_ONOFF, "off", 0, 0, 0, NULL, "apply resource limits at start" },
	{ "cpuset", IOC_PT_CPUSET, "off", 0, 0, 0, NULL, "CPUs the jail may use" },
	RL("memoryuse", "8G:log"),
	RL("memorylocked", "off"),
	RL("vmemoryuse", "off"),
	RL("maxproc", "off"),
	RL("cputime", "off"),
	RL("pcpu", "off"),
	RL("datasize", "off"),
	RL("stacksize", "off"),
	RL("coredumpsize", "off"),
	RL("openfiles", "off"),
	RL("pseudoterminals", "off"),
	RL("swapuse", "off"),
	RL("nthr", "off"),
	RL("msgqqueued", "off"),
	RL("msgqsize", "off"),
	RL("nmsgq", "off"),
	RL("nsemop", "off"),
	RL("nshm", "off"),
	RL("shmsize", "off"),
	RL("wallclock", "off"),
	/* native ZFS */
	{ "compression", IOC_PT_NATIVE_COMPRESS, "lz4", IOC_PF_NATIVE, 0, 0, NULL,
	    "ZFS compression" },
	{ "dedup", IOC_PT_CHOICE, "off", IOC_PF_NATIVE, 0, 0, "on|off|verify|sha256|sha256,verify",
	    "ZFS dedup" },
	{ "quota", IOC_PT_NATIVE_SIZE, "none", IOC_PF_NATIVE | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "ZFS quota" },
	{ "reservation", IOC_PT_NATIVE_SIZE, "none", IOC_PF_NATIVE | IOC_PF_NODEFAULT, 0, 0, NULL,
	    "ZFS reservation" },
	{ "origin", IOC_PT_STRING, "-", IOC_PF_NATIVE | IOC_PF_RO, 0, 0, NULL,
	    "snapshot a thin jail was cloned from" },
	{ "mountpoint", IOC_PT_STRING, "-", IOC_PF_NATIVE | IOC_PF_RO, 0, 0, NULL,
	    "where the jail dataset is mounted" },
	{ "compressratio", IOC_PT_STRING, "-", IOC_PF_NATIVE | IOC_PF_RO, 0, 0, NULL,
	    "ZFS compressratio" },
	{ "available", IOC_PT_STRING, "-", IOC_PF_NATIVE | IOC_PF_RO, 0, 0, NULL, "ZFS available" },
	{ "used", IOC_PT_STRING, "-", IOC_PF_NATIVE | IOC_PF_RO, 0, 0, NULL, "ZFS used" },
	/* fetching */
	{ "ftphost", IOC_PT_STRING, "download.freebsd.org", 0, 0, 0, NULL,
	    "host (or http(s):// URL) releases are fetched from; checked by fetch" },
	{ "ftpdir", IOC_PT_STRING, "none", 0, 0, 0, NULL, "directory on ftphost" },
	{ "ftpfiles", IOC_PT_STRING, "base.txz lib32.txz", 0, 0, 0, NULL, "distribution files" },
};
const size_t ioc_nprops = sizeof(ioc_props) / sizeof(ioc_props[0]);

const struct ioc_prop *
ioc_prop_find(const char *name)
{
	size_t i;
	if (strcmp(name, "istemplate") == 0)
		name = "template";
	else if (strcmp(name, "hostname") == 0)
		name =
		    "host_hostname"; /* the shell iocage's name for it (1.6 to 1.7.6 lib/ioc-rc) */
	else if (strcmp(name, "sync_tgt_zpool") == 0)
		name = "sync_target"; /* reserved by the shell iocage 1.7.6 (lib/ioc-globals) */
	for (i = 0; i < ioc_nprops; i++)
		if (strcmp(ioc_props[i].name, name) == 0)
			return &ioc_props[i];
	return NULL;
}

int
ioc_prop_unknown(const char *name, struct ioc_error **err)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i, n = 0;
	int r;
	ioc_sb_init(&sb);
	for (i = 0; i < ioc_nprops; i++) {
		const char *p = ioc_props[i].name;
		size_t d = ioc_edit_distance(name, p);
		if (d <= 2 || (strlen(name) >= 3 && strstr(p, name) != NULL)) {
			ioc_sb_addf(&sb, "%s%s", n ? ", " : "", p);
			if (++n == 5)
				break;
		}
	}
	if (ioc_has_ctrl(name) || strlen(name) > 64)
		r = ioc_err(err,
		    "unknown property name (not printable or too long); see 'iocage help properties'");
	else if (n)
		r = ioc_err(err,
		    "unknown property '%s': did you mean %s? ('iocage help properties' lists all)",
		    name, sb.buf);
	else
		r = ioc_err(
		    err, "unknown property '%s' ('iocage help properties' lists all)", name);
	ioc_sb_release(&sb);
	return r;
}

int
ioc_parse_bool(const char *s)
{
	static const char *const on[] = { "on", "yes", "1", "true", NULL };
	static const char *const off[] = { "off", "no", "0", "false", NULL };
	size_t i;
	for (i = 0; on[i]; i++)
		if (strcasecmp(s, on[i]) == 0)
			return 1;
	for (i = 0; off[i]; i++)
		if (strcasecmp(s, off[i]) == 0)
			return 0;
	return -1;
}

int
ioc_is_uuid(const char *s)
{
	/* 8-4-4-4-12 hex */
	static const int groups[] = { 8, 4, 4, 4, 12 };
	size_t g, i;
	for (g = 0; g < 5; g++) {
		for (i = 0; i < (size_t)groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return 0;
		if (g < 4 && *s++ != '-')
			return 0;
	}
	return *s == '\0';
}

int
ioc_valid_tag(const char *s, struct ioc_error **err)
{
	const char *p;
	int digits = 1;
	if (*s == '\0')
		return ioc_err(err, "invalid tag '': a tag cannot be empty");
	if (strlen(s) > 128)
		return ioc_err(err, "invalid tag: longer than 128 characters");
	for (p = s; *p; p++) {
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')) {
			if (ioc_has_ctrl(s))
				return ioc_err(err,
				    "invalid tag: contains a control character (tab, newline...); allowed: letters, digits, '.', '_', '-'");
			return ioc_err(err,
			    "invalid tag '%s': character '%c' not allowed; allowed: letters, digits, '.', '_', '-'",
			    s, *p);
		}
		if (!isdigit((unsigned char)*p))
			digits = 0;
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || s[0] == '-' || s[0] == '.')
		return ioc_err(err, "invalid tag '%s': must not start with '.' or '-'", s);
	if (digits)
		return ioc_err(err, "invalid tag '%s': a tag cannot be all digits", s);
	if (ioc_is_uuid(s))
		return ioc_err(err, "invalid tag '%s': a tag cannot look like a UUID", s);
	if (strcmp(s, "ALL") == 0 || strcmp(s, "default") == 0 || strcmp(s, "defaults") == 0)
		return ioc_err(err, "invalid tag '%s': reserved word", s);
	return 0;
}

int
ioc_valid_release(const char *s, struct ioc_error **err)
{
	const char *p;
	if (*s == '\0' || strlen(s) > 64)
		return ioc_err(err, "invalid release name '%s': 1 to 64 characters", s);
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')) {
			if (ioc_has_ctrl(s))
				return ioc_err(err,
				    "invalid release name: contains a control character; allowed: letters, digits, '.', '_', '-'");
			return ioc_err(err,
			    "invalid release name '%s': character '%c' not allowed; allowed: letters, digits, '.', '_', '-' (e.g. 13.2-RELEASE, bookworm)",
			    s, *p);
		}
	if (s[0] == '.' || s[0] == '-')
		return ioc_err(err, "invalid release name '%s': must not start with '.' or '-'", s);
	return 0;
}

int
ioc_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B': mul = 1; break;
		case 'K': mul = 1ULL << 10; break;
		case 'M': mul = 1ULL << 20; break;
		case 'G': mul = 1ULL << 30; break;
		case 'T': mul = 1ULL << 40; break;
		case 'P': mul = 1ULL << 50; break;
		default: return -1;
		}
		end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (mul > 1 && v > ~0ULL / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
ioc_prop_parse_assign(
    const char *arg, int creating, const struct ioc_prop **pp, char **canon, struct ioc_error **err)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = NULL;
	const struct ioc_prop *p;
	if (eq == NULL || eq == arg)
		return ioc_fail(err, IOC_EXIT_USAGE, "expected PROPERTY=VALUE, got '%s'", arg);
	name = ioc_xstrndup(arg, (size_t)(eq - arg));
	p = ioc_prop_find(name);
	if (p == NULL)
		return ioc_prop_unknown(name, err);
	if (p->flags & IOC_PF_RO)
		return ioc_err(err, "property '%s' is read-only", p->name);
	if ((p->flags & IOC_PF_CREATE) && !creating)
		return ioc_err(err, "property '%s' can only be given at create", p->name);
	*pp = p;
	return ioc_prop_validate(p, eq + 1, canon, err);
}

char *
ioc_prop_zfs_name(const struct ioc_prop *p)
{
	if (p->flags & IOC_PF_NATIVE)
		return ioc_xstrdup(p->name);
	return ioc_xasprintf(IOC_PROP_PREFIX "%s", p->name);
}

static void
ioc_sb_replace_all(struct ioc_sb *out, const char *s, const char *key, const char *val)
{
	const char *hit;
	size_t kl = strlen(key);
	while ((hit = strstr(s, key)) != NULL) {
		ioc_sb_add(out, s, (size_t)(hit - s));
		ioc_sb_adds(out, val);
		s = hit + kl;
	}
	ioc_sb_adds(out, s);
}

char *
ioc_prop_builtin(const struct ioc_prop *p, const char *uuid, const char *root)
{
	/* gethostid() reads files and may ask the resolver: once per process */
	static char hostid[16];
	struct ioc_sb a = IOC_SB_INIT, b = IOC_SB_INIT;
	(void)root;
	if (strchr(p->builtin, '%') == NULL)
		return ioc_xstrdup(p->builtin);
	if (hostid[0] == '\0' && strstr(p->builtin, "%HOSTID%") != NULL)
		snprintf(
		    hostid, sizeof(hostid), "%08lx", (unsigned long)gethostid() & 0xffffffffUL);
	ioc_sb_init(&a);
	ioc_sb_replace_all(&a, p->builtin, "%UUID%", uuid ? uuid : "none");
	ioc_sb_init(&b);
	ioc_sb_replace_all(&b, a.buf, "%HOSTID%", hostid);
	ioc_sb_release(&a);
	return ioc_sb_detach(&b);
}

/* Human-readable size: 1.50G, 512M, 0 ("-" stays "-"). */
char *
ioc_fmt_size(const char *bytes, int parsable)
{
	static const char units[] = "BKMGTP";
	unsigned long long v;
	double d;
	int u = 0;
	if (parsable || ioc_parse_size(bytes, &v) != 0)
		return ioc_xstrdup(bytes);
	if (v < 1024)
		return ioc_xasprintf("%llu", v);
	d = (double)v;
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	return ioc_xasprintf(d < 10 ? "%.2f%c" : d < 100 ? "%.1f%c" : "%.0f%c", d, units[u]);
}
