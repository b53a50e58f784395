/*
 * engine_freebsd.c — the FreeBSD engine as a planner (see engine_freebsd.h
 * and docs/freebsd-engine.md): the planner's view of a jail (every property
 * it reads, validated by ioc_fb_load), the steps the plans share (host
 * hooks, exec_start/exec_stop inside with jexec, rctl rules) and the plans
 * for exec, console, cap, uncap and pkg.  The rest of the engine:
 *   engine_freebsd_lifecycle.c  the start and stop plans
 *   engine_freebsd_net.c        addresses, vnet interfaces and MACs, NAT
 *   engine_freebsd_ops.c        the read-only queries and the engine ops
 *   internal.h                  what these files share
 *
 * Manual references for every command form the engine builds (FreeBSD 13/14):
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
#include "engine/freebsd/internal.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

/*
 * Every property this engine reads; the planners validate them all before
 * planning anything.  Properties with a jail(8) spelling but handled
 * elsewhere than in ioc_fb_params (engine_freebsd_lifecycle.c), and why:
 *   allow_sysvipc, sysvmsg, sysvsem, sysvshm  special: see ioc_fb_sysv
 *   exec_*            run by the plan as argv (never jail(8) exec.*)
 *   exec_fib          setfib(1) around exec_start/exec_stop
 *   stop_timeout      stop.timeout of jail -r, given in a configuration on stdin
 *   mount_linprocfs   jail(8) has no such parameter: a mount step
 *   ip4*, ip6*, vnet  network (shared IP or vnet)
 */
static const char *const ioc_fb_used[] = { "host_hostname", "host_hostuuid", "host_domainname",
	"securelevel", "devfs_ruleset", "enforce_statfs", "children_max", "allow_set_hostname",
	"allow_raw_sockets", "allow_chflags", "allow_mount", "allow_mount_devfs",
	"allow_mount_nullfs", "allow_mount_procfs", "allow_mount_tmpfs", "allow_mount_zfs",
	"allow_quotas", "allow_socket_af", "mount_devfs", "mount_fdescfs", "mount_procfs",
	"mount_linprocfs", "allow_sysvipc", "sysvmsg", "sysvsem", "sysvshm", "exec_start",
	"exec_stop", "exec_prestart", "exec_poststart", "exec_prestop", "exec_poststop",
	"exec_clean", "exec_timeout", "stop_timeout", "exec_jail_user", "exec_system_jail_user",
	"exec_system_user", "exec_fib", "login_flags", "vnet", "interfaces", "ip4_addr",
	"ip4_saddrsel", "ip4", "ip6_addr", "ip6_saddrsel", "ip6", "defaultrouter", "defaultrouter6",
	"resolver", "mac_prefix", "vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "rlimits",
	"cpuset", "jail_zfs", "jail_zfs_dataset", "jail_zfs_mountpoint", "fstab", "memoryuse",
	"memorylocked", "vmemoryuse", "maxproc", "cputime", "pcpu", "datasize", "stacksize",
	"coredumpsize", "openfiles", "pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize",
	"nmsgq", "nsemop", "nshm", "shmsize", "wallclock", "nat", "nat_interface", "nat_prefix",
	"nat_forwards", NULL };

/* rctl(8) resources, in the order rules are added. */
static const char *const ioc_fb_limits[] = { "memoryuse", "memorylocked", "vmemoryuse", "maxproc",
	"cputime", "pcpu", "datasize", "stacksize", "coredumpsize", "openfiles", "pseudoterminals",
	"swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsemop", "nshm", "shmsize",
	"wallclock", NULL };

void
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

const char *
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

int
ioc_fb_on(const struct ioc_fb *f, const char *prop)
{
	return ioc_parse_bool(ioc_fb_get(f, prop)) == 1;
}

int
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
int
ioc_fb_load(
    struct ioc_fb *f, const struct ioc_root *root, const struct ioc_jail *j, struct ioc_error **err)
{
	size_t i;
	memset(f, 0, sizeof(*f));
	f->root = root;
	f->j = j;
	if (j->uuid == NULL || !ioc_is_uuid(j->uuid))
		return ioc_err(err, "invalid jail identity '%s': expected a UUID",
		    j->uuid && !ioc_has_ctrl(j->uuid) ? j->uuid : "?");
	if (j->rootfs == NULL || j->rootfs[0] != '/')
		return ioc_err(err, "jail %s: its root dataset is not mounted (mountpoint '%s')",
		    j->uuid, j->rootfs && !ioc_has_ctrl(j->rootfs) ? j->rootfs : "-");
	if (!ioc_fb_safe_path(j->rootfs))
		return ioc_err(err,
		    "jail %s: root path cannot be used with jail(8): it may contain only "
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
ioc_freebsd_split_command(
    const char *prop, const char *value, struct ioc_strv *out, struct ioc_error **err)
{
	const char *p = value;
	size_t n0 = out->n;
	for (const char *q = value; *q; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return ioc_err(err,
			    "invalid value for property '%s': a command may not contain "
			    "control characters (newlines...)",
			    prop);
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
	return ioc_plain_word(u, 32, "._-");
}

/* Adds host hook `prop` (argv: its words, the jail name, the jail path). */
int
ioc_fb_add_hook(
    struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags, struct ioc_error **err)
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
		return ioc_err(err,
		    "invalid value for property '%s': a host command must start with an "
		    "absolute path (e.g. /usr/local/bin/hook)",
		    prop);
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
int
ioc_fb_add_inside(
    struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags, struct ioc_error **err)
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
		return ioc_err(err,
		    "invalid value for property 'exec_jail_user': expected a user name "
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

void
ioc_fb_add_rctl(const struct ioc_fb *f, struct ioc_plan *p, int undo)
{
	size_t i;
	for (i = 0; ioc_fb_limits[i]; i++) {
		_cleanup_free_ char *rule = ioc_fb_rule(f, ioc_fb_limits[i], 1);
		_cleanup_free_ char *filter = ioc_fb_rule(f, ioc_fb_limits[i], 0);
		struct ioc_step *s;
		if (rule == NULL)
			continue;
		s = ioc_plan_add(p, (const char *const[]) { "rctl", "-a", rule, NULL });
		if (undo)
			ioc_step_undo(s, (const char *const[]) { "rctl", "-r", filter, NULL });
	}
}

/* Pushes the word "key=value". */
void
ioc_fb_kv(struct ioc_pargv *a, const char *key, const char *value)
{
	char *w = ioc_xasprintf("%s=%s", key, value);
	ioc_pargv_push(a, w);
	free(w);
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
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "exec: invalid user name: expected letters, digits, "
		    "'.', '_', '-' (not starting with '-')");
	}
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("exec %s", f.name);
	s = ioc_plan_add(p, (const char *const[]) { "jexec", NULL });
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
	s = ioc_plan_add(p, (const char *const[]) { "jexec", f.name, "/usr/bin/login", NULL });
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
	s = ioc_plan_add(p, (const char *const[]) { "jls", "-j", f.name, "jid", NULL });
	ioc_step_set_reply(s, IOC_REPLY_JID, "jid");
	ioc_step_set_hint(s, "the jail is not running");
	ioc_fb_add_rctl(&f, p, 1);
	if (strcmp(ioc_fb_get(&f, "cpuset"), "off") != 0) {
		s = ioc_plan_add(p,
		    (const char *const[]) { "cpuset", "-l", ioc_fb_get(&f, "cpuset"), "-j", NULL });
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
	s = ioc_plan_add(p, (const char *const[]) { "rctl", "-r", filter, NULL });
	s->flags = IOC_STEP_IGNORE;
	ioc_fb_release(&f);
	return 0;
}

/* A package name for pkg(8): no option-like, empty or odd names. */
static int
ioc_fb_valid_pkg(const char *s)
{
	return ioc_plain_word(s, 128, "._+@/:-");
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
				return ioc_err(
				    err, "pkglist: entry %zu is not a package name", i + 1);
			return ioc_err(err,
			    "pkglist: '%s' is not a package name (letters, digits, "
			    "'.', '_', '+', '@', '/', ':', '-'; not starting with '-')",
			    pkgs->v[i]);
		}
	if (ioc_fb_load(&f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("pkg %s", f.name);
	s = ioc_plan_add(p, (const char *const[]) { "pkg", "-j", f.name, "install", "-y", NULL });
	for (i = 0; i < pkgs->n; i++)
		ioc_pargv_push(&s->cmd, pkgs->v[i]);
	s->env = ioc_xstrdup("ASSUME_ALWAYS_YES=yes");
	ioc_fb_release(&f);
	return 0;
}
