/*
 * engine_freebsd_lifecycle.c — the start and stop plans of the FreeBSD
 * engine.  Start is an ordered list of steps, planned phase by phase
 * (ioc_fb_start_phases, modelled on jail(8)'s); every step that leaves
 * something behind (a mount, an alias, the jail, rctl rules, an epair, the
 * pf anchor, `zfs jail`) carries its undo.  Stop removes the same things in
 * the reverse order.  What only these two plans use lives here too: the
 * fstab mounts, the delegated dataset and the `jail -c` parameters;
 * addresses, interfaces and NAT come from engine_freebsd_net.c.
 */
#include "engine/freebsd/internal.h"

#include "core/fstab.h"

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
	{ "allow_mount", "allow.mount" }, /* 1 when jail_zfs=on */
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
		ioc_step_undo(s, (const char *const[]) { "umount", m.v[i], NULL });
	ioc_strv_release(&m);
}

/* The `jail -i -c` step: parameters from the property table (jail(8)
 * "Jail Parameters"), `persist` because exec_start runs later with jexec. */
static int
ioc_fb_add_create(const struct ioc_fb *f, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_step *s = ioc_plan_add(p, (const char *const[]) { "jail", "-i", "-c", NULL });
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
		if (jail_zfs &&
		    (strcmp(prop, "allow_mount") == 0 || strcmp(prop, "allow_mount_zfs") == 0))
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
	ioc_step_undo(s, (const char *const[]) { "jail", "-r", f->name, NULL });
	ioc_fb_add_umounts_undo(f, s);
	return 0;
}

/* Host-side hooks run as exec_system_user: only root is supported. */
static int
ioc_fb_check_system_user(const struct ioc_fb *f, struct ioc_error **err)
{
	const char *u = ioc_fb_get(f, "exec_system_user");
	if (strcmp(u, "root") != 0)
		return ioc_err(err,
		    "exec_system_user '%s' is not supported by the FreeBSD engine: host "
		    "hooks run as root (set exec_system_user=root)",
		    ioc_has_ctrl(u) ? "?" : u);
	return 0;
}

/*
 * What the start phases share: the planner's view of the jail and what was
 * read from it before the first step (mounts, interfaces, addresses, the
 * NAT plan, the delegated dataset).
 */
struct ioc_fb_start {
	struct ioc_fb f;
	struct ioc_net_plan np;
	struct ioc_fb_nic *nics;
	struct ioc_fb_mnt *mnts;
	struct ioc_fb_ip *ip4, *ip6;
	size_t nn, nm, n4, n6;
	char *ds; /* the delegated dataset, NULL without jail_zfs */
	int vnet, nat;
};

/* Reads and checks everything the phases use, before any step is planned. */
static int
ioc_fb_start_load(struct ioc_fb_start *c, struct ioc_error **err)
{
	struct ioc_fb *f = &c->f;
	size_t i;

	c->vnet = ioc_fb_on(f, "vnet");
	if (ioc_fb_check_system_user(f, err) != 0 || ioc_fb_mnts(f, &c->mnts, &c->nm, err) != 0 ||
	    (c->vnet && ioc_fb_nics(f, &c->nics, &c->nn, err) != 0))
		return -1;
	c->nat = c->vnet && ioc_fb_on(f, "nat");
	if (c->nat && ioc_fb_nat_plan(f, &c->nics, &c->nn, &c->np, err) != 0)
		return -1;
	c->n4 = ioc_fb_ips(ioc_fb_get(f, "ip4_addr"), &c->ip4);
	c->n6 = ioc_fb_ips(ioc_fb_get(f, "ip6_addr"), &c->ip6);
	if (c->vnet) {
		for (i = 0; i < c->n4; i++)
			if (ioc_fb_addr_nic(c->nics, c->nn, &c->ip4[i], "ip4_addr", err) == NULL)
				return -1;
		for (i = 0; i < c->n6; i++)
			if (ioc_fb_addr_nic(c->nics, c->nn, &c->ip6[i], "ip6_addr", err) == NULL)
				return -1;
	}
	if (ioc_fb_on(f, "jail_zfs") && (c->ds = ioc_fb_zfs_dataset(f, err)) == NULL)
		return -1;
	return 0;
}

/* Frees what ioc_fb_start_load read and the planner's view. */
static void
ioc_fb_start_release(struct ioc_fb_start *c)
{
	ioc_fb_nics_free(c->nics, c->nn);
	ioc_fb_mnts_free(c->mnts, c->nm);
	ioc_fb_ips_free(c->ip4, c->n4);
	ioc_fb_ips_free(c->ip6, c->n6);
	ioc_net_plan_release(&c->np);
	ioc_fb_release(&c->f);
	free(c->ds);
}

/* 1. host hook, before anything exists */
static int
ioc_fb_start_prestart(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	return ioc_fb_add_hook(&c->f, p, "exec_prestart", 0, err);
}

/* 2. resolv.conf, written inside the root without following symlinks */
static int
ioc_fb_start_resolver(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_strv lines = IOC_STRV_INIT;
	struct ioc_sb data = IOC_SB_INIT;
	size_t i;

	if (ioc_fb_isnone(ioc_fb_get(&c->f, "resolver")))
		return 0;
	ioc_strv_init(&lines);
	ioc_sb_init(&data);
	ioc_strv_split(&lines, ioc_fb_get(&c->f, "resolver"), ';');
	for (i = 0; i < lines.n; i++) {
		const char *l = lines.v[i] + strspn(lines.v[i], " \t");
		if (*l)
			ioc_sb_addf(&data, "%s\n", l);
	}
	ioc_plan_add_write(p, c->f.path, "/etc/resolv.conf", data.buf);
	ioc_strv_release(&lines);
	ioc_sb_release(&data);
	return 0;
}

/* 3. fstab: nullfs mounts onto checked targets (the jail is not running
 * yet, so nothing inside can swap a directory for a symlink meanwhile) */
static int
ioc_fb_start_fstab(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	const struct ioc_fb_mnt *m;
	struct ioc_step *s;
	size_t i;

	for (i = 0; i < c->nm; i++) {
		m = &c->mnts[i];
		ioc_plan_add_check(p, c->f.path, m->dst);
		if (m->ro)
			s = ioc_plan_add(p,
			    (const char *const[]) {
				"mount", "-t", "nullfs", "-o", "ro", m->src, m->host, NULL });
		else
			s = ioc_plan_add(p,
			    (const char *const[]) {
				"mount", "-t", "nullfs", m->src, m->host, NULL });
		ioc_step_undo(s, (const char *const[]) { "umount", m->host, NULL });
	}
	return 0;
}

/* 4. linprocfs: jail(8) has no mount.linprocfs */
static int
ioc_fb_start_linprocfs(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	_cleanup_free_ char *dst = NULL;
	struct ioc_step *s;

	if (!ioc_fb_on(&c->f, "mount_linprocfs"))
		return 0;
	dst = ioc_xasprintf("%s/compat/linux/proc", c->f.path);
	ioc_plan_add_check(p, c->f.path, "/compat/linux/proc");
	s = ioc_plan_add(
	    p, (const char *const[]) { "mount", "-t", "linprocfs", "linprocfs", dst, NULL });
	ioc_step_undo(s, (const char *const[]) { "umount", dst, NULL });
	return 0;
}

/* 5. shared IP: aliases on the host interfaces (what jail(8) would do
 * for "IFACE|ADDR", done here so that each has its own undo) */
static int
ioc_fb_start_aliases(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_step *s;
	size_t i, k;

	if (c->vnet)
		return 0;
	for (k = 0; k < 2; k++) {
		struct ioc_fb_ip *v = k ? c->ip6 : c->ip4;
		size_t n = k ? c->n6 : c->n4;
		for (i = 0; i < n; i++) {
			_cleanup_free_ char *cidr = NULL;
			if (v[i].iface == NULL)
				continue;
			cidr = ioc_fb_cidr(&v[i], (int)k);
			s = ioc_plan_add(p,
			    (const char *const[]) { "ifconfig", v[i].iface, k ? "inet6" : "inet",
				cidr, "alias", NULL });
			ioc_step_undo(s,
			    (const char *const[]) { "ifconfig", v[i].iface, k ? "inet6" : "inet",
				v[i].addr, "-alias", NULL });
		}
	}
	return 0;
}

/* 6. the delegated dataset must be jailed=on before `zfs jail` (zfs(8)) */
static int
ioc_fb_start_jailed(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	if (c->ds)
		ioc_plan_add(p, (const char *const[]) { "zfs", "set", "jailed=on", c->ds, NULL });
	return 0;
}

/* 7. bridges must exist (checked before the jail is made) */
static int
ioc_fb_start_bridges(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	const struct ioc_fb_nic *nics = c->nics;
	struct ioc_step *s;
	size_t i, k;

	for (i = c->nat ? 1 : 0; i < c->nn; i++) {
		_cleanup_free_ char *hint = NULL;
		for (k = 0; k < i; k++)
			if (strcmp(nics[k].bridge, nics[i].bridge) == 0)
				break;
		if (k < i)
			continue;
		hint = ioc_xasprintf(
		    "bridge '%s' does not exist: create it with 'ifconfig %s "
		    "create up' (and cloned_interfaces in rc.conf), or change interfaces=",
		    nics[i].bridge, nics[i].bridge);
		s = ioc_plan_add(p, (const char *const[]) { "ifconfig", nics[i].bridge, NULL });
		ioc_step_set_hint(s, hint);
	}
	return 0;
}

/* 8. the jail */
static int
ioc_fb_start_create(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	return ioc_fb_add_create(&c->f, p, err);
}

/* 9. limits */
static int
ioc_fb_start_limits(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	struct ioc_step *s;

	if (ioc_fb_on(&c->f, "rlimits"))
		ioc_fb_add_rctl(&c->f, p, 1);
	if (strcmp(ioc_fb_get(&c->f, "cpuset"), "off") != 0) {
		s = ioc_plan_add(p,
		    (const char *const[]) {
			"cpuset", "-l", ioc_fb_get(&c->f, "cpuset"), "-j", NULL });
		ioc_pargv_push_var(&s->cmd, "jid");
	}
	return 0;
}

/* Interface i's epair made, its host end renamed, both ends' MACs set. */
static int
ioc_fb_add_epair(const struct ioc_fb_start *c, struct ioc_plan *p, size_t i, struct ioc_error **err)
{
	const struct ioc_fb_nic *n = &c->nics[i];
	_cleanup_free_ char *va = ioc_xasprintf("%sa", n->nic);
	_cleanup_free_ char *vb = ioc_xasprintf("%sb", n->nic);
	_cleanup_free_ char *ma = NULL, *mb = NULL;
	char hm[13], jm[13];
	int gen;
	struct ioc_step *s;
	struct ioc_pargv *u;

	if (ioc_freebsd_mac_pair(c->f.j, (unsigned)i, hm, jm, &gen, err) != 0)
		return -1;
	ma = ioc_net_mac_colon(hm);
	mb = ioc_net_mac_colon(jm);
	s = ioc_plan_add(p, (const char *const[]) { "ifconfig", "epair", "create", NULL });
	ioc_step_set_reply(s, IOC_REPLY_EPAIR, n->nic);
	u = ioc_step_undo(s, (const char *const[]) { "ifconfig", NULL });
	ioc_pargv_push_var(u, va);
	ioc_pargv_push(u, "destroy");

	s = ioc_plan_add(p, (const char *const[]) { "ifconfig", NULL });
	ioc_pargv_push_var(&s->cmd, va);
	ioc_pargv_push(&s->cmd, "name");
	ioc_pargv_push(&s->cmd, n->host);
	u = ioc_step_undo(s, (const char *const[]) { "ifconfig", n->host, "name", NULL });
	ioc_pargv_push_var(u, va);

	ioc_plan_add(p, (const char *const[]) { "ifconfig", n->host, "ether", ma, NULL });
	s = ioc_plan_add(p, (const char *const[]) { "ifconfig", NULL });
	ioc_pargv_push_var(&s->cmd, vb);
	ioc_pargv_push(&s->cmd, "ether");
	ioc_pargv_push(&s->cmd, mb);
	return 0;
}

/* Interface i's host end on its bridge (or the NAT link's router), then up. */
static void
ioc_fb_add_epair_link(const struct ioc_fb_start *c, struct ioc_plan *p, size_t i)
{
	const struct ioc_fb_nic *n = &c->nics[i];
	struct ioc_step *s;

	if (c->nat && i == 0) {
		/* the NAT link: the host end is the jail's router */
		char h[16];
		_cleanup_free_ char *cidr =
		    ioc_xasprintf("%s/%d", ioc_net_ntoa4(c->np.nat.host4, h), c->np.nat.len);
		ioc_plan_add(p, (const char *const[]) { "ifconfig", n->host, "inet", cidr, NULL });
	} else {
		s = ioc_plan_add(
		    p, (const char *const[]) { "ifconfig", n->bridge, "addm", n->host, NULL });
		ioc_step_undo(
		    s, (const char *const[]) { "ifconfig", n->bridge, "deletem", n->host, NULL });
	}
	ioc_plan_add(p, (const char *const[]) { "ifconfig", n->host, "up", NULL });
}

/* Interface i's jail end moved into the jail, renamed to the interface's
 * name, up, and given the addresses that go on it. */
static void
ioc_fb_add_epair_jail(
    const struct ioc_fb_start *c, struct ioc_plan *p, size_t i, struct ioc_error **err)
{
	const struct ioc_fb_nic *nics = c->nics, *n = &c->nics[i];
	const char *name = c->f.name;
	_cleanup_free_ char *vb = ioc_xasprintf("%sb", n->nic);
	struct ioc_step *s;
	struct ioc_pargv *u;
	size_t k;

	s = ioc_plan_add(p, (const char *const[]) { "ifconfig", NULL });
	ioc_pargv_push_var(&s->cmd, vb);
	ioc_pargv_push(&s->cmd, "vnet");
	ioc_pargv_push(&s->cmd, name);
	u = ioc_step_undo(s, (const char *const[]) { "ifconfig", NULL });
	ioc_pargv_push_var(u, vb);
	ioc_pargv_push(u, "-vnet");
	ioc_pargv_push(u, name);

	s = ioc_plan_add(p, (const char *const[]) { "jexec", name, "/sbin/ifconfig", NULL });
	ioc_pargv_push_var(&s->cmd, vb);
	ioc_pargv_push(&s->cmd, "name");
	ioc_pargv_push(&s->cmd, n->nic);
	u = ioc_step_undo(
	    s, (const char *const[]) { "jexec", name, "/sbin/ifconfig", n->nic, "name", NULL });
	ioc_pargv_push_var(u, vb);
	ioc_plan_add(
	    p, (const char *const[]) { "jexec", name, "/sbin/ifconfig", n->nic, "up", NULL });
	for (k = 0; k < c->n4; k++)
		if (strcmp(ioc_fb_addr_nic(nics, c->nn, &c->ip4[k], "ip4_addr", err), n->nic) == 0)
			ioc_fb_add_vnet_addr(&c->f, p, n->nic, &c->ip4[k], 0);
	for (k = 0; k < c->n6; k++)
		if (strcmp(ioc_fb_addr_nic(nics, c->nn, &c->ip6[k], "ip6_addr", err), n->nic) == 0)
			ioc_fb_add_vnet_addr(&c->f, p, n->nic, &c->ip6[k], 1);
}

/* 10. vnet: one epair per interface, host end on the bridge, jail end
 * moved in and renamed to the interface's name */
static int
ioc_fb_start_vnet(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	size_t i;

	for (i = 0; i < c->nn; i++) {
		if (ioc_fb_add_epair(c, p, i, err) != 0)
			return -1;
		ioc_fb_add_epair_link(c, p, i);
		ioc_fb_add_epair_jail(c, p, i, err);
	}
	return 0;
}

/* 11. default routes (vnet only: a shared-IP jail uses the host's) */
static int
ioc_fb_start_routes(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	const char *name = c->f.name;
	const char *r4 = ioc_fb_get(&c->f, "defaultrouter");
	const char *r6 = ioc_fb_get(&c->f, "defaultrouter6");

	if (c->vnet && strcmp(r4, "none") != 0)
		ioc_plan_add(p,
		    (const char *const[]) {
			"jexec", name, "/sbin/route", "add", "default", r4, NULL });
	else if (c->nat)
		ioc_plan_add(p,
		    (const char *const[]) {
			"jexec", name, "/sbin/route", "add", "default", c->np.router4, NULL });
	if (c->vnet && strcmp(r6, "none") != 0)
		ioc_plan_add(p,
		    (const char *const[]) {
			"jexec", name, "/sbin/route", "add", "-inet6", "default", r6, NULL });
	return 0;
}

/* 11b. nat: forwarding on, the jail's rules in its own pf anchor (the
 * host's pf.conf holds nat-anchor and rdr-anchor for iocage/ and its
 * children; iocage never loads or flushes the main ruleset) */
static int
ioc_fb_start_nat(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	_cleanup_free_ char *anchor = NULL, *rules = NULL;
	struct ioc_step *s;

	if (!c->nat)
		return 0;
	anchor = ioc_xasprintf("iocage/%s", c->f.name);
	rules = ioc_fb_nat_rules(&c->np);
	ioc_plan_add(p, (const char *const[]) { "sysctl", "net.inet.ip.forwarding=1", NULL });
	s = ioc_plan_add(p, (const char *const[]) { "pfctl", "-a", anchor, "-f", "-", NULL });
	ioc_step_set_stdin(s, rules);
	ioc_step_undo(s, (const char *const[]) { "pfctl", "-a", anchor, "-F", "all", NULL });
	return 0;
}

/* 12. delegated dataset */
static int
ioc_fb_start_dataset(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	const char *name = c->f.name, *ds = c->ds;
	_cleanup_free_ char *mp = NULL;
	struct ioc_step *s;

	if (ds == NULL)
		return 0;
	s = ioc_plan_add(p, (const char *const[]) { "zfs", "jail", name, ds, NULL });
	ioc_step_undo(s, (const char *const[]) { "zfs", "unjail", name, ds, NULL });
	/* a jailed dataset's mountpoint is the jail's business: set and
	 * mounted from inside, as zfs(8) "jail" describes */
	if (ioc_fb_isnone(ioc_fb_get(&c->f, "jail_zfs_mountpoint")))
		return 0;
	mp = ioc_xasprintf("mountpoint=%s", ioc_fb_get(&c->f, "jail_zfs_mountpoint"));
	ioc_plan_add(p, (const char *const[]) { "jexec", name, "/sbin/zfs", "set", mp, ds, NULL });
	ioc_plan_add(p, (const char *const[]) { "jexec", name, "/sbin/zfs", "mount", ds, NULL });
	return 0;
}

/* 13. exec_start inside */
static int
ioc_fb_start_exec(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	return ioc_fb_add_inside(&c->f, p, "exec_start", 0, err);
}

/* 14. host hook */
static int
ioc_fb_start_poststart(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err)
{
	return ioc_fb_add_hook(&c->f, p, "exec_poststart", 0, err);
}

/* One phase of the start: adds its steps to the plan (-1, err set, when
 * the jail's properties do not allow it). */
struct ioc_fb_phase {
	const char *name;
	int (*plan)(struct ioc_fb_start *c, struct ioc_plan *p, struct ioc_error **err);
};

/* The start, in order, like jail(8)'s phases; every step that leaves
 * something behind carries its undo. */
static const struct ioc_fb_phase ioc_fb_start_phases[] = {
	{ "exec_prestart", ioc_fb_start_prestart },
	{ "resolver", ioc_fb_start_resolver },
	{ "fstab", ioc_fb_start_fstab },
	{ "linprocfs", ioc_fb_start_linprocfs },
	{ "aliases", ioc_fb_start_aliases },
	{ "jailed", ioc_fb_start_jailed },
	{ "bridges", ioc_fb_start_bridges },
	{ "create", ioc_fb_start_create },
	{ "limits", ioc_fb_start_limits },
	{ "vnet", ioc_fb_start_vnet },
	{ "routes", ioc_fb_start_routes },
	{ "nat", ioc_fb_start_nat },
	{ "jail_zfs", ioc_fb_start_dataset },
	{ "exec_start", ioc_fb_start_exec },
	{ "exec_poststart", ioc_fb_start_poststart },
	{ NULL, NULL },
};

int
ioc_freebsd_plan_start(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_plan *p,
    struct ioc_error **err)
{
	struct ioc_fb_start c;
	size_t i;
	int rv = -1;

	ioc_plan_init(p, "start");
	memset(&c, 0, sizeof(c));
	if (ioc_fb_load(&c.f, root, j, err) != 0) {
		ioc_plan_release(p);
		return -1;
	}
	free(p->title);
	p->title = ioc_xasprintf("start %s", c.f.name);
	if (ioc_fb_start_load(&c, err) != 0)
		goto out;
	for (i = 0; ioc_fb_start_phases[i].name; i++)
		if (ioc_fb_start_phases[i].plan(&c, p, err) != 0)
			goto out;
	rv = 0;
out:
	if (rv != 0)
		ioc_plan_release(p);
	ioc_fb_start_release(&c);
	return rv;
}

/* The shared-IP jail's addresses of one family (n of v) removed from their
 * interfaces, last first (stop). */
static void
ioc_fb_stop_aliases(
    struct ioc_plan *p, const struct ioc_fb_ip *v, size_t n, const char *family, unsigned flags)
{
	struct ioc_step *s;
	size_t i;
	for (i = n; i > 0; i--) {
		if (v[i - 1].iface == NULL)
			continue;
		s = ioc_plan_add(p,
		    (const char *const[]) {
			"ifconfig", v[i - 1].iface, family, v[i - 1].addr, "-alias", NULL });
		s->flags = flags;
	}
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
	size_t nn = 0, nm = 0, n4 = 0, n6 = 0, i;
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
		s = ioc_plan_add(p, (const char *const[]) { "zfs", "unjail", f.name, ds, NULL });
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
		s = ioc_plan_add(
		    p, (const char *const[]) { "jail", "-f", "-", "-r", f.name, NULL });
		ioc_step_set_stdin(s, conf);
	}
	if (force)
		s->flags = IOC_STEP_IGNORE;
	/* ignored: a jail without rules (or racct off) has nothing to remove */
	s = ioc_plan_add(p, (const char *const[]) { "rctl", "-r", NULL });
	{
		_cleanup_free_ char *filter = ioc_xasprintf("jail:%s", f.name);
		ioc_pargv_push(&s->cmd, filter);
	}
	s->flags = IOC_STEP_IGNORE;
	/* nat: the jail's pf anchor emptied (ignored: nothing there is fine) */
	if (vnet && ioc_fb_on(&f, "nat")) {
		_cleanup_free_ char *anchor = ioc_xasprintf("iocage/%s", f.name);
		s = ioc_plan_add(
		    p, (const char *const[]) { "pfctl", "-a", anchor, "-F", "all", NULL });
		s->flags = IOC_STEP_IGNORE;
	}
	/* destroying the host end of an epair destroys both ends */
	for (i = nn; i > 0; i--) {
		s = ioc_plan_add(
		    p, (const char *const[]) { "ifconfig", nics[i - 1].host, "destroy", NULL });
		s->flags = live;
	}
	if (!vnet) {
		ioc_fb_stop_aliases(p, ip6, n6, "inet6", live);
		ioc_fb_stop_aliases(p, ip4, n4, "inet", live);
	}
	ioc_fb_jail_mounts(&f, &jm);
	for (i = 0; i < jm.n; i++) {
		s = ioc_plan_add(p, (const char *const[]) { "umount", jm.v[i], NULL });
		s->flags = live;
	}
	if (ioc_fb_on(&f, "mount_linprocfs")) {
		_cleanup_free_ char *dst = ioc_xasprintf("%s/compat/linux/proc", f.path);
		s = ioc_plan_add(p, (const char *const[]) { "umount", dst, NULL });
		s->flags = live;
	}
	for (i = nm; i > 0; i--) {
		s = ioc_plan_add(p, (const char *const[]) { "umount", mnts[i - 1].host, NULL });
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
