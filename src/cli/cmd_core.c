/* cmd_core.c — list, get, set, defaults, create, clone, destroy, df, clean (activate,
 * deactivate, subids: cmd_activate.c). */
#include "cli/commands.h"
#include "core/depends.h"
#include "core/runrec.h"
#include "core/legacy.h"
#include "core/pkglist.h"
#include "spawn/spawn.h"
#include "core/subid.h"

#include <errno.h>
#include <string.h>

/* Fills states for the loaded jails (down when the engine says nothing). */
static struct ioc_jstate *
ioc_states(struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_error **err)
{
	return ioc_ops_states_new(&ctx->root, js, err);
}

/* Prints a table of jails and releases what list and get ALL built it from. */
static void
ioc_jail_table_done(struct ioc_ctx *ctx, struct ioc_table *t, struct ioc_jail **v,
    struct ioc_jstate *st, struct ioc_jails *js)
{
	ioc_table_print(t, ctx->fmt, stdout);
	ioc_table_release(t);
	free(v);
	free(st);
	ioc_jails_release(js);
}

/* A jail's state word: up, down, or replica (a synced copy, ops/sync.c). */
static const char *
ioc_state_word(const struct ioc_jail *j, const struct ioc_jstate *s)
{
	return s->running ? "up" : ioc_jail_is_replica(j) ? "replica" : "down";
}

/*
 * The address the shell iocage's list showed for ip4_addr: its
 * `cut -d'|' -f2 | cut -d'/' -f1` (the first address without interface and
 * prefix length; the whole value when it has no '|').
 */
static char *
ioc_legacy_ip(const char *v)
{
	const char *bar = strchr(v, '|');
	const char *s = bar ? bar + 1 : v;
	const char *end = bar ? strchr(s, '|') : NULL;
	size_t len = end ? (size_t)(end - s) : strlen(s);
	const char *slash = memchr(s, '/', len);
	return ioc_xstrndup(s, slash ? (size_t)(slash - s) : len);
}

/*
 * ip4_addr as list shows it: an IFACE|DHCP entry with the addresses the
 * interface has now ("vnet0|DHCP 10.0.0.5/24"), or "(not running)"; other
 * entries as stored.  *legacy gets the shell iocage's one-word IP column:
 * the first leased address without its length, "DHCP" when there is none.
 */
static char *
ioc_list_ip4(const struct ioc_ctx *ctx, const struct ioc_jail *j, int running, char **legacy)
{
	const char *v = ioc_jail_get(j, "ip4_addr");
	const struct ioc_engine_ops *e = ioc_engine();
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i, k;
	*legacy = NULL;
	if (strcasestr(v, "|dhcp") == NULL) {
		*legacy = ioc_legacy_ip(v);
		return ioc_xstrdup(v);
	}
	ioc_strv_split(&parts, v, ',');
	for (i = 0; i < parts.n; i++) {
		const char *bar = strchr(parts.v[i], '|');
		_cleanup_strv_ struct ioc_strv addrs = IOC_STRV_INIT;
		_cleanup_free_ char *ifname = NULL;
		struct ioc_error *ign = NULL;
		ioc_sb_addf(&sb, "%s%s", i ? "," : "", parts.v[i]);
		if (bar == NULL || strcasecmp(bar + 1, "dhcp") != 0)
			continue;
		ifname = ioc_xstrndup(parts.v[i], (size_t)(bar - parts.v[i]));
		if (!running || e->addrs == NULL ||
		    e->addrs(&ctx->root, j, ifname, 0, &addrs, &ign) != 0 || addrs.n == 0) {
			ioc_error_free(ign);
			ioc_sb_adds(&sb, running ? " (no lease)" : " (not running)");
			continue;
		}
		for (k = 0; k < addrs.n; k++)
			ioc_sb_addf(&sb, " %s", addrs.v[k]);
		if (*legacy == NULL)
			*legacy = ioc_xstrndup(addrs.v[0], strcspn(addrs.v[0], "/"));
	}
	if (*legacy == NULL)
		*legacy = ioc_xstrdup("DHCP");
	return ioc_sb_detach(&sb);
}

int
ioc_cmd_list(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "boot", "type", "release", "ip4_addr",
		"template", "replica", NULL };
	static const char *const cols[] = { "JID", "UUID", "BOOT", "STATE", "TAG", "TYPE",
		"RELEASE", "IP4", NULL };
	/*
	 * 1.7.6 lib/ioc-info __list_jails: printf "%-4s  %-36s  %s  %s  %-20s  %s\n"
	 * for the header, "%-4s  %-+.36s  %-4s  %-4s   %-4s   %s\n" for a jail and
	 * "%-4s  %-+.36s  %-3s   %-4s   %-4s   %s\n" for a template (list -t)
	 */
	static const char *const lcols[] = { "JID", "UUID", "BOOT", "STATE", "TAG", "IP", NULL };
	static const struct ioc_colfmt lhead[] = { { 4, 0, "  " }, { 36, 0, "  " }, { 0, 0, "  " },
		{ 0, 0, "  " }, { 20, 0, "  " }, { 0, 0, "\n" } };
	static const struct ioc_colfmt lrow[] = { { 4, 0, "  " }, { 0, 36, "  " }, { 4, 0, "  " },
		{ 4, 0, "   " }, { 4, 0, "   " }, { 0, 0, "\n" } };
	static const struct ioc_colfmt trow[] = { { 4, 0, "  " }, { 0, 36, "  " }, { 3, 0, "   " },
		{ 4, 0, "   " }, { 4, 0, "   " }, { 0, 0, "\n" } };
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_table t;
	struct ioc_jstate *st;
	struct ioc_jail **v;
	size_t i, n;
	int k = ioc_opts_parse(ctx, "list", "trpl", argc - 1, argv + 1, &o, err);
	int legacy;

	if (k < 0)
		return -1;
	if (k + 1 != argc)
		return ioc_usage(err, "list");
	ctx->parsable = o.seen['p'];
	/* the shell iocage's columns, unless -l, -H or --json asked for the whole table */
	legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	if (o.seen['r']) {
		_cleanup_strv_ struct ioc_strv rels = IOC_STRV_INIT;
		static const char *const rcols[] = { "RELEASE", NULL };
		/* 1.7.6 lib/ioc-info __list_jails -r: a title, then printf "%15s\n" */
		static const struct ioc_colfmt rrow[] = { { -15, 0, "\n" } };
		if (ioc_root_verify(ctx, err) != 0 || ioc_release_list(&ctx->root, &rels, err) != 0)
			return -1;
		ioc_table_init(&t, rcols);
		for (i = 0; i < rels.n; i++) {
			const char *c[] = { rels.v[i] };
			ioc_table_add(&t, c);
		}
		if (legacy) {
			printf("Downloaded releases:\n");
			fflush(stdout);
			ioc_table_print_fixed(&t, NULL, rrow, stdout);
		} else
			ioc_table_print(&t, ctx->fmt, stdout);
		ioc_table_release(&t);
		return 0;
	}
	if (ioc_jails_load(&ctx->root, props, &js, err) != 0)
		return -1;
	st = ioc_states(ctx, &js, err);
	if (st == NULL) {
		ioc_jails_release(&js);
		return -1;
	}
	v = ioc_sorted(&js, &n);
	ioc_table_init(&t, legacy ? lcols : cols);
	for (i = 0; i < n; i++) {
		struct ioc_jail *j = v[i];
		const char *c[8];
		int tmpl = strcmp(ioc_jail_get(j, "template"), "yes") == 0;
		struct ioc_jstate *s = &st[j - js.v];
		_cleanup_free_ char *ip = NULL, *ip4 = NULL;
		if (tmpl != (o.seen['t'] != 0))
			continue;
		ip4 = ioc_list_ip4(ctx, j, s->running, &ip);
		c[0] = s->jid;
		c[1] = j->uuid;
		c[2] = ioc_jail_get(j, "boot");
		c[3] = ioc_state_word(j, s);
		c[4] = ioc_jail_get(j, "tag");
		c[5] = legacy ? ip : ioc_jail_get(j, "type");
		c[6] = ioc_jail_get(j, "release");
		c[7] = ip4;
		ioc_table_add(&t, c);
	}
	if (legacy) {
		ioc_table_print_fixed(&t, lhead, o.seen['t'] ? trow : lrow, stdout);
		ioc_table_release(&t);
		free(v);
		free(st);
		ioc_jails_release(&js);
		return 0;
	}
	ioc_jail_table_done(ctx, &t, v, st, &js);
	return 0;
}

/* Value and source of a property on the root R ("default" target). */
static int
ioc_root_values(struct ioc_ctx *ctx, struct ioc_zrows *rows, struct ioc_error **err)
{
	struct ioc_sb pl = IOC_SB_INIT;
	_cleanup_free_ char *legacy = ioc_xasprintf("%s/" IOC_LEGACY_DEFAULTS, ctx->root.name);
	char *names[] = { ctx->root.name, legacy, NULL };
	size_t i;
	int rc;
	ioc_sb_init(&pl);
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		if (p->flags & (IOC_PF_RUNTIME | IOC_PF_NODEFAULT))
			continue;
		ioc_sb_addf(&pl, "%s%s%s", pl.len ? "," : "",
		    (p->flags & IOC_PF_NATIVE) ? "" : IOC_PROP_PREFIX, p->name);
	}
	ioc_zrows_init(rows);
	rc = ioc_zfs_get_existing(names, pl.buf, 0, 0, rows, err);
	ioc_sb_release(&pl);
	return rc;
}

/* Fills value/source for property p on R from rows. */
static void
ioc_root_value(struct ioc_ctx *ctx, const struct ioc_zrows *rows, const struct ioc_prop *p,
    char **value, const char **source)
{
	_cleanup_free_ char *zn = ioc_prop_zfs_name(p);
	size_t i;
	for (i = 0; i < rows->n; i++) {
		if (strcmp(rows->v[i].prop, zn) != 0)
			continue;
		if (strcmp(rows->v[i].name, ctx->root.name) != 0) {
			/* the shell iocage's R/.defaults: below R's own (legacy.h) */
			size_t k;
			int on_root = 0;
			for (k = 0; k < rows->n; k++)
				on_root |= strcmp(rows->v[k].name, ctx->root.name) == 0 &&
				    strcmp(rows->v[k].prop, zn) == 0 && strcmp(rows->v[k].source, "local") == 0;
			if (on_root || (p->flags & IOC_PF_NATIVE) || strcmp(rows->v[i].source, "local") != 0)
				continue;
			if (ioc_prop_validate(p, rows->v[i].value, value, NULL) != 0)
				*value = ioc_xstrdup(rows->v[i].value);
			*source = "root (" IOC_LEGACY_DEFAULTS ")";
			return;
		}
		if (p->flags & IOC_PF_NATIVE) {
			*value = ioc_xstrdup(rows->v[i].value);
			*source = strcmp(rows->v[i].source, "local") == 0 ? "root" : "zfs";
			return;
		}
		if (strcmp(rows->v[i].source, "local") == 0) {
			*value = ioc_xstrdup(rows->v[i].value);
			*source = "root";
			return;
		}
	}
	*value = ioc_prop_builtin(p, "UUID", ctx->root.name);
	*source = "built-in";
}

/*
 * The shell iocage's property lists (1.7.6 lib/ioc-globals: CONF_NET,
 * CONF_JAIL, CONF_RCTL, CONF_CUSTOM, CONF_ZFS, CONF_SYNC, CONF_FTP), in its
 * order: `get all` (lib/ioc-info __get_jail_prop) prints "name:value" for all
 * but CONF_ZFS, `defaults` (__print_defaults) "name=value" for all.  Names
 * this project does not have (ip4_autostart, hack88, gitlocation…) are left
 * out; properties it added follow, in the table's order.
 */
static const char *const ioc_legacy_order[] = {
	/* CONF_NET */
	"interfaces", "vnet", "host_hostname", "hostname", "ip4_addr", "ip4_saddrsel", "ip4",
	"ip6_addr", "ip6_saddrsel", "ip6", "defaultrouter", "defaultrouter6", "resolver", "exec_fib",
	"vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac",
	/* CONF_JAIL */
	"devfs_ruleset", "mount_devfs", "exec_start", "exec_stop", "exec_prestart", "exec_prestop",
	"exec_poststop", "exec_poststart", "exec_clean", "exec_timeout", "stop_timeout",
	"exec_jail_user", "exec_system_jail_user", "exec_system_user", "mount_fdescfs", "mount_procfs",
	"enforce_statfs", "children_max", "login_flags", "securelevel", "allow_set_hostname",
	"allow_sysvipc", "allow_raw_sockets", "allow_chflags", "allow_mount", "allow_mount_devfs",
	"allow_mount_nullfs", "allow_mount_procfs", "allow_mount_tmpfs", "allow_mount_zfs",
	"allow_quotas", "allow_socket_af", "host_hostuuid",
	/* CONF_RCTL */
	"memoryuse", "memorylocked", "vmemoryuse", "maxproc", "cputime", "pcpu", "datasize",
	"stacksize", "coredumpsize", "openfiles", "pseudoterminals", "swapuse", "nthr", "msgqqueued",
	"msgqsize", "nmsgq", "nsemop", "nshm", "shmsize", "wallclock",
	/* CONF_CUSTOM */
	"tag", "template", "rlimits", "boot", "notes", "owner", "priority", "last_started", "type",
	"hostid", "cpuset", "jail_zfs", "jail_zfs_dataset", "release",
	/* CONF_ZFS (defaults only) */
	"compression", "origin", "quota", "mountpoint", "compressratio", "available", "used", "dedup",
	"reservation",
	/* CONF_SYNC, CONF_FTP */
	"sync_target", "sync_tgt_zpool", "ftphost", "ftpdir", NULL
};

/*
 * The properties in the shell iocage's order, then the others in the table's;
 * each once, but an alias such as hostname is its own line, as there.  Fills
 * out[i] and its name names[i] (the alias's own); returns the number of
 * entries (arrays sized ioc_nprops + the legacy list).
 */
static size_t
ioc_legacy_props(const struct ioc_prop **out, const char **names)
{
	size_t n = 0, i, k;
	for (i = 0; ioc_legacy_order[i]; i++) {
		const struct ioc_prop *p = ioc_prop_find(ioc_legacy_order[i]);
		if (p == NULL)
			continue;
		names[n] = ioc_legacy_order[i];
		out[n++] = p;
	}
	for (i = 0; i < ioc_nprops; i++) {
		int seen = 0;
		for (k = 0; k < n && !seen; k++)
			seen = out[k] == &ioc_props[i];
		if (!seen) {
			names[n] = ioc_props[i].name;
			out[n++] = &ioc_props[i];
		}
	}
	return n;
}

/* 1 when p is in the legacy CONF_ZFS list or native (no "name:value" line in `get all`). */
static int
ioc_legacy_zfs(const struct ioc_prop *p)
{
	return (p->flags & IOC_PF_NATIVE) != 0;
}

int
ioc_cmd_defaults(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "PROPERTY", "DEFAULT", "SOURCE", NULL };
	struct ioc_opts o;
	struct ioc_zrows rows;
	struct ioc_table t;
	size_t i;
	int k = ioc_opts_parse(ctx, "defaults", "s", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (k + 1 != argc)
		return ioc_usage(err, "defaults");
	if (ioc_root_values(ctx, &rows, err) != 0)
		return -1;
	if (!o.seen['s'] && ctx->fmt == IOC_FMT_TABLE) {
		/* the shell iocage's `defaults`: name=value lines (1.7.6 __print_defaults) */
		size_t cap = ioc_nprops + sizeof(ioc_legacy_order) / sizeof(ioc_legacy_order[0]);
		const struct ioc_prop **v = ioc_xcalloc(cap, sizeof(*v));
		const char **names = ioc_xcalloc(cap, sizeof(*names));
		size_t n = ioc_legacy_props(v, names);
		for (i = 0; i < n; i++) {
			_cleanup_free_ char *val = NULL;
			const char *src;
			if (v[i]->flags & (IOC_PF_RUNTIME | IOC_PF_NODEFAULT | IOC_PF_RO | IOC_PF_HIDDEN))
				continue;
			ioc_root_value(ctx, &rows, v[i], &val, &src);
			printf("%s=%s\n", names[i], val);
		}
		free(names);
		free(v);
		ioc_zrows_release(&rows);
		return 0;
	}
	ioc_table_init(&t, cols);
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		_cleanup_free_ char *v = NULL;
		const char *src;
		const char *c[3];
		if (p->flags & (IOC_PF_RUNTIME | IOC_PF_NODEFAULT | IOC_PF_RO | IOC_PF_HIDDEN))
			continue;
		ioc_root_value(ctx, &rows, p, &v, &src);
		c[0] = p->name;
		c[1] = v;
		c[2] = src;
		ioc_table_add(&t, c);
	}
	ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_zrows_release(&rows);
	return 0;
}

/* `get PROPERTY ALL`: one property of every jail (templates too), from one zfs get. */
static int
ioc_get_every(struct ioc_ctx *ctx, const struct ioc_prop *p, struct ioc_error **err)
{
	static const char *const cols[] = { "UUID", "TAG", "VALUE", NULL };
	const char *props[] = { "tag", p->name, "replica", NULL };
	struct ioc_jails js;
	struct ioc_jstate *st = NULL;
	struct ioc_jail **v;
	struct ioc_table t;
	size_t i, n;
	int live = strcmp(p->name, "state") == 0 || strcmp(p->name, "jid") == 0;
	if (ioc_jails_load(&ctx->root, props, &js, err) != 0)
		return -1;
	if (live && (st = ioc_states(ctx, &js, err)) == NULL) {
		ioc_jails_release(&js);
		return -1;
	}
	v = ioc_sorted(&js, &n);
	ioc_table_init(&t, cols);
	for (i = 0; i < n; i++) {
		const char *c[3];
		c[0] = v[i]->uuid;
		c[1] = ioc_jail_get(v[i], "tag");
		c[2] = ioc_jail_get(v[i], p->name);
		if (live)
			c[2] = strcmp(p->name, "jid") == 0 ? st[v[i] - js.v].jid :
			    ioc_state_word(v[i], &st[v[i] - js.v]);
		ioc_table_add(&t, c);
	}
	ioc_jail_table_done(ctx, &t, v, st, &js);
	return 0;
}

int
ioc_cmd_get(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_jstate *st = NULL;
	const struct ioc_prop *p = NULL;
	const char *pname, *target;
	int k = ioc_opts_parse(ctx, "get", "ps", argc - 1, argv + 1, &o, err);
	int all;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 2)
		return ioc_usage(err, "get");
	pname = argv[0];
	target = argv[1];
	all = strcmp(pname, "all") == 0;
	if (!all && (p = ioc_prop_find(pname)) == NULL)
		return ioc_prop_unknown(pname, err);
	if (strcmp(target, "default") == 0) {
		struct ioc_zrows rows;
		_cleanup_free_ char *v = NULL;
		const char *src;
		if (all)
			return ioc_root_verify(ctx, err) != 0 ? -1 : ioc_cmd_defaults(ctx, 1, argv - k - 1, err);
		if (p->flags & (IOC_PF_NODEFAULT | IOC_PF_RUNTIME))
			return ioc_err(err, "property '%s' has no root default (it is per jail)", p->name);
		if (ioc_root_verify(ctx, err) != 0 || ioc_root_values(ctx, &rows, err) != 0)
			return -1;
		ioc_root_value(ctx, &rows, p, &v, &src);
		ioc_zrows_release(&rows);
		printf("%s\n", v);
		return 0;
	}
	if (strcmp(target, "ALL") == 0) {
		if (all)
			return ioc_err(err, "'get all ALL' is not supported: name one property for every jail, "
			    "or one jail for every property");
		return ioc_get_every(ctx, p, err);
	}
	if (ioc_ctx_jail(ctx, target, NULL, &js, &j, err) != 0)
		return -1;
	st = ioc_states(ctx, &js, err);
	if (st == NULL) {
		ioc_jails_release(&js);
		return -1;
	}
	if (!all) {
		const char *v = j->values[p - ioc_props];
		struct ioc_jstate *s = &st[j - js.v];
		if (strcmp(p->name, "state") == 0)
			v = ioc_state_word(j, s);
		else if (strcmp(p->name, "jid") == 0)
			v = s->jid;
		if (ctx->fmt == IOC_FMT_JSON) {
			struct ioc_sb sb = IOC_SB_INIT;
			ioc_sb_adds(&sb, "{");
			ioc_sb_add_json(&sb, p->name);
			ioc_sb_adds(&sb, ": ");
			ioc_sb_add_json(&sb, v);
			ioc_sb_adds(&sb, "}\n");
			fputs(sb.buf, stdout);
			ioc_sb_release(&sb);
		} else
			printf("%s\n", v);
	} else if (!o.seen['s'] && ctx->fmt == IOC_FMT_TABLE) {
		/* the shell iocage's `get all`: name:value lines (1.7.6 __get_jail_prop) */
		size_t cap = ioc_nprops + sizeof(ioc_legacy_order) / sizeof(ioc_legacy_order[0]);
		const struct ioc_prop **v = ioc_xcalloc(cap, sizeof(*v));
		const char **names = ioc_xcalloc(cap, sizeof(*names));
		size_t n = ioc_legacy_props(v, names), i;
		for (i = 0; i < n; i++)
			if (!(v[i]->flags & (IOC_PF_HIDDEN | IOC_PF_RUNTIME)) && !ioc_legacy_zfs(v[i]))
				printf("%s:%s\n", names[i], j->values[v[i] - ioc_props]);
		free(names);
		free(v);
	} else {
		static const char *const cols[] = { "PROPERTY", "VALUE", "SOURCE", NULL };
		struct ioc_table t;
		size_t i;
		ioc_table_init(&t, cols);
		for (i = 0; i < ioc_nprops; i++) {
			const struct ioc_prop *q = &ioc_props[i];
			const char *c[3];
			struct ioc_jstate *s = &st[j - js.v];
			if (q->flags & IOC_PF_HIDDEN)
				continue;
			c[0] = q->name;
			c[1] = j->values[i];
			c[2] = ioc_jail_source(j, q);
			if (strcmp(q->name, "state") == 0)
				c[1] = ioc_state_word(j, s);
			else if (strcmp(q->name, "jid") == 0)
				c[1] = s->jid;
			ioc_table_add(&t, c);
		}
		ioc_table_print(&t, ctx->fmt, stdout);
		ioc_table_release(&t);
	}
	free(st);
	ioc_jails_release(&js);
	return 0;
}

/* The tags of the complete jails other than j whose depends= names j's tag, joined into names. */
static void
ioc_dependents_names(const struct ioc_jails *js, const struct ioc_jail *j, struct ioc_sb *names)
{
	const char *tag = ioc_jail_get(j, "tag");
	size_t i;
	for (i = 0; i < js->n; i++) {
		_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
		struct ioc_error *e = NULL;
		if (!js->v[i].complete || &js->v[i] == j)
			continue;
		if (ioc_depends_parse(ioc_jail_get(&js->v[i], "depends"), &tags, NULL, &e) == 0 &&
		    ioc_strv_contains(&tags, tag))
			ioc_sb_addf(names, "%s'%s'", names->len ? ", " : "", ioc_jail_get(&js->v[i], "tag"));
		ioc_error_free(e);
	}
}

/* A new tag for a jail others depend on would leave them a missing dependency. */
static int
ioc_depends_check_rename(const struct ioc_jails *js, const struct ioc_jail *j, const char *newtag,
    struct ioc_error **err)
{
	_cleanup_sb_ struct ioc_sb names = IOC_SB_INIT;
	const char *old = ioc_jail_get(j, "tag");
	if (strcmp(old, newtag) == 0)
		return 0;
	ioc_sb_init(&names);
	ioc_dependents_names(js, j, &names);
	if (names.len)
		return ioc_err(err, "cannot rename '%s' to '%s': jail(s) %s depend on it (depends=): "
		    "change their depends first", old, newtag, names.buf);
	return 0;
}

int
ioc_cmd_set(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign *as;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j = NULL;
	const char *target;
	int k = ioc_opts_parse(ctx, "set", "", argc - 1, argv + 1, &o, err);
	int i, n, rc = -1, lockfd = -1, rootlock = -1, is_default, has_tag = 0, has_dep = 0, tmpl = -1;
	_cleanup_free_ char *dataset = NULL;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 2)
		return ioc_usage(err, "set");
	target = argv[argc - 1];
	n = argc - 1;
	is_default = strcmp(target, "default") == 0;
	as = ioc_xcalloc((size_t)n, sizeof(*as));
	/* validate the whole request first */
	for (i = 0; i < n; i++) {
		if (strchr(argv[i], '=') == NULL && i == n - 1 && ioc_prop_find(argv[i]) == NULL &&
		    strchr(target, '=')) {
			ioc_usage(err, "set");
			goto out;
		}
		if (ioc_prop_parse_assign(argv[i], 0, &as[i].p, &as[i].value, err) != 0)
			goto out;
		if (is_default && (as[i].p->flags & IOC_PF_NODEFAULT)) {
			ioc_err(err, "property '%s' cannot be a root default: it is per jail", as[i].p->name);
			goto out;
		}
		if (ioc_ops_check_prop(as[i].p, as[i].value, err) != 0)
			goto out;
		if (strcmp(as[i].p->name, "tag") == 0)
			has_tag = 1;
		if (strcmp(as[i].p->name, "depends") == 0)
			has_dep = 1;
		if (strcmp(as[i].p->name, "template") == 0)
			tmpl = strcmp(as[i].value, "yes") == 0;
	}
	if (strchr(target, '=') != NULL) {
		ioc_fail(err, IOC_EXIT_USAGE, "set: the last word must name a jail or 'default', got '%s'",
		    target);
		goto out;
	}
	if (is_default) {
		dataset = ioc_xstrdup(ctx->root.name);
	} else {
		int others = has_tag || has_dep || tmpl >= 0;
		const char *newtag = NULL, *newdep = NULL;
		if (others && (rootlock = ioc_lock_root(&ctx->root, err)) < 0)
			goto out;
		/* a new tag, dependencies or a template conversion look at the other jails */
		if ((others ? ioc_ctx_jail_all : ioc_ctx_jail)(ctx, target, NULL, &js, &j, err) != 0)
			goto out;
		for (i = 0; i < n; i++) {
			if (strcmp(as[i].p->name, "tag") == 0 &&
			    ioc_jails_tag_taken(&js, as[i].value, j->uuid)) {
				ioc_err(err, "tag '%s' is already used by another jail", as[i].value);
				goto out;
			}
			if (strcmp(as[i].p->name, "tag") == 0)
				newtag = as[i].value;
			if (strcmp(as[i].p->name, "depends") == 0)
				newdep = as[i].value;
		}
		if (newtag && ioc_depends_check_rename(&js, j, newtag, err) != 0)
			goto out;
		if ((newtag || newdep) &&
		    ioc_jails_depends_check(&js, j->uuid, newtag ? newtag : ioc_jail_get(j, "tag"),
		    newdep ? newdep : ioc_jail_get(j, "depends"), err) != 0)
			goto out;
		dataset = ioc_xstrdup(j->dataset);
		lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
		if (lockfd < 0)
			goto out;
		/* the jail may have been destroyed while we waited for its lock */
		if (!ioc_zfs_exists(dataset)) {
			ioc_err(err, "jail '%s' was destroyed meanwhile", target);
			goto out;
		}
		/* template=yes|no converts the jail (cmd_template.c); same value: nothing to do */
		if (tmpl >= 0 && tmpl == (strcmp(ioc_jail_get(j, "template"), "yes") == 0))
			tmpl = -1;
		if (tmpl >= 0 && ioc_template_check(ctx, &js, j, tmpl, err) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *zn = ioc_prop_zfs_name(as[i].p);
		if (strcmp(as[i].p->name, "template") == 0 && !is_default)
			continue;
		if (ioc_zfs_set(dataset, zn, as[i].value, err) != 0) {
			ioc_error_wrap(err, "cannot set %s", as[i].p->name);
			goto out;
		}
		/* a running jail's run-time record follows its tag (under the jail's lock) */
		if (!is_default && strcmp(as[i].p->name, "tag") == 0 &&
		    ioc_runrec_retag(ctx->root.name, j->uuid, as[i].value, err) != 0)
			goto out;
	}
	for (i = 0; i < n && !is_default; i++)
		if (strcmp(as[i].p->name, "tag") == 0 &&
		    ioc_ops_tag_links(&ctx->root, js.legacy, j->uuid, as[i].value, err) != 0) {
			ioc_error_wrap(err, "tag set to '%s', but", as[i].value);
			goto out;
		}
	if (tmpl >= 0 && ioc_template_apply(ctx, j, tmpl, err) != 0)
		goto out;
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (rootlock >= 0)
		close(rootlock);
	ioc_jails_release(&js);
	ioc_assigns_free(as, (size_t)n);
	return rc;
}

/* Prints a jail create made, as it is made (pkglist output of the next one follows it). */
static void
ioc_print_made(void *arg, const char *uuid, const char *tag)
{
	(void)arg;
	printf("%s %s\n", uuid, tag);
	fflush(stdout);
}

int
ioc_cmd_create(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign *as;
	struct ioc_create_req req;
	_cleanup_free_ char *release = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_strv_ struct ioc_strv pkgs = IOC_STRV_INIT;
	long long count = 1;
	int k = ioc_opts_parse(ctx, "create", "cet:n:f", argc - 1, argv + 1, &o, err);
	int i, n = 0, rc = -1;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (o.seen['c'] && o.seen['e'])
		return ioc_fail(err, IOC_EXIT_USAGE, "create: -c (thin) and -e (empty) exclude each other");
	memset(&req, 0, sizeof(req));
	req.how = o.seen['e'] ? IOC_CREATE_EMPTY : o.seen['c'] ? IOC_CREATE_THIN : IOC_CREATE_THICK;
	if (o.seen['n']) {
		tag = ioc_xstrdup(o.val['n']);
		if (ioc_valid_tag(tag, err) != 0)
			return -1;
	}
	as = ioc_xcalloc((size_t)argc + 1, sizeof(*as));
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "count=", 6) == 0) {
			if (ioc_parse_ll(argv[i] + 6, 1, 1000, &count) != 0) {
				ioc_err(err, "invalid value '%s' for count: expected an integer from 1 to 1000",
				    argv[i] + 6);
				goto out;
			}
			continue;
		}
		if (ioc_prop_parse_assign(argv[i], 1, &as[n].p, &as[n].value, err) != 0)
			goto out;
		if (ioc_ops_check_prop(as[n].p, as[n].value, err) != 0) {
			n++;
			goto out;
		}
		if (strcmp(as[n].p->name, "tag") == 0) {
			free(tag);
			tag = ioc_xstrdup(as[n].value);
		} else if (strcmp(as[n].p->name, "release") == 0) {
			free(release);
			release = ioc_xstrdup(as[n].value);
		} else if (strcmp(as[n].p->name, "template") == 0 && strcmp(as[n].value, "yes") == 0) {
			n++;
			ioc_err(err, "create: template=yes is set on an existing, stopped jail "
			    "('iocage set template=yes TAG')");
			goto out;
		}
		n++;
	}
	if (o.seen['t'] && o.seen['e']) {
		ioc_fail(err, IOC_EXIT_USAGE, "create: -t and -e exclude each other");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(as[i].p->name, "pkglist") == 0 && strcmp(as[i].value, "none") != 0) {
			if (req.how == IOC_CREATE_EMPTY) {
				ioc_err(err, "create: pkglist needs a release (an empty jail has no package manager)");
				goto out;
			}
			if (ioc_pkglist_read(as[i].value, &pkgs, err) != 0)
				goto out;
		}
	/* the operation reads the pool (template, release, tags) and makes the jails */
	req.template_name = o.seen['t'] ? o.val['t'] : NULL;
	req.release = release;
	req.tag = tag;
	req.count = count;
	req.props = as;
	req.nprops = (size_t)n;
	req.pkgs = &pkgs;
	req.made = ioc_print_made;
	rc = ioc_jail_create(&ctx->root, &req, NULL, err);
out:
	ioc_assigns_free(as, (size_t)n);
	return rc;
}

int
ioc_cmd_clone(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *src;
	struct ioc_assign *as;
	struct ioc_create_req req;
	_cleanup_free_ char *srcname = NULL;
	_cleanup_free_ char *snap = NULL;
	_cleanup_free_ char *made = NULL;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *deftag = NULL;
	const char *at, *tag = NULL, *tmpl = NULL;
	int k = ioc_opts_parse(ctx, "clone", "", argc - 1, argv + 1, &o, err);
	int i, n = 0, rc = -1;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, "clone");
	at = strchr(argv[0], '@');
	srcname = at ? ioc_xstrndup(argv[0], (size_t)(at - argv[0])) : ioc_xstrdup(argv[0]);
	as = ioc_xcalloc((size_t)argc, sizeof(*as));
	for (i = 1; i < argc; i++) {
		if (ioc_prop_parse_assign(argv[i], 1, &as[n].p, &as[n].value, err) != 0 ||
		    ioc_ops_check_prop(as[n].p, as[n].value, err) != 0) {
			n++;
			goto out;
		}
		if (strcmp(as[n].p->name, "release") == 0) {
			n++;
			ioc_err(err, "clone: release comes from the source jail and cannot be given");
			goto out;
		}
		if (strcmp(as[n].p->name, "tag") == 0)
			tag = as[n].value;
		n++;
	}
	if (ioc_ctx_jail_all(ctx, srcname, NULL, &js, &src, err) != 0)
		goto out;
	if (at) {
		if (!ioc_zfs_valid_name(at + 1) || strchr(at + 1, '@') || strchr(at + 1, '/')) {
			ioc_err(err, "invalid snapshot name '%s'", at + 1);
			goto out;
		}
		snap = ioc_xasprintf("%s/root@%s", src->dataset, at + 1);
		if (!ioc_zfs_exists(snap)) {
			ioc_err(err, "jail '%s' has no snapshot '%s' ('iocage snaplist %s' lists them)",
			    srcname, at + 1, srcname);
			goto out;
		}
	} else if (strcmp(ioc_jail_get(src, "template"), "yes") == 0) {
		snap = ioc_xasprintf("%s/root@ioc-template", src->dataset);
		tmpl = ioc_jail_get(src, "tag");
	}
	uuid = ioc_uuid_new();
	deftag = tag ? NULL : ioc_jail_default_tag(uuid);
	if (tag == NULL)
		tag = deftag;
	/* before the snapshot below: a taken tag changes nothing */
	if (ioc_jails_tag_taken(&js, tag, NULL)) {
		ioc_err(err, "tag '%s' is already used by another jail (tags are unique)", tag);
		goto out;
	}
	if (snap == NULL) {
		/*
		 * A jail without @SNAPSHOT: snapshot it now, named for the new jail, as
		 * the shell iocage did (1.7.6 lib/ioc-zfs __clone_jail: zfs snapshot -r
		 * DATASET@UUID); the clone keeps it as its origin.
		 */
		_cleanup_free_ char *all = ioc_xasprintf("%s@%s", src->dataset, uuid);
		if (ioc_zfs_snapshot(all, 1, err) != 0)
			goto out;
		snap = ioc_xasprintf("%s/root@%s", src->dataset, uuid);
		made = ioc_steal(&all);
	}
	memset(&req, 0, sizeof(req));
	req.how = IOC_CREATE_THIN;
	req.snapshot = snap;
	req.carry_from = src; /* the source's own settings that the user did not override */
	req.source_template = tmpl;
	req.release = ioc_jail_get(src, "release");
	req.uuid = uuid;
	req.tag = tag;
	req.count = 1;
	req.props = as;
	req.nprops = (size_t)n;
	req.made = ioc_print_made;
	rc = ioc_jail_create(&ctx->root, &req, NULL, err);
	if (rc != 0 && made)
		ioc_zfs_destroy(made, 1, NULL); /* the snapshot this clone took, undone */
out:
	ioc_jails_release(&js);
	ioc_assigns_free(as, (size_t)n);
	return rc;
}

/* Jails whose datasets are clones of this jail's snapshots: "tag (uuid)" list. */
static int
ioc_dependants(struct ioc_ctx *ctx, const struct ioc_jail *j, struct ioc_strv *out,
    struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/jails", ctx->root.name);
	char *names[] = { base, NULL };
	struct ioc_zrows rows;
	size_t i, dl = strlen(j->dataset);
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "origin", 0, 2, NULL, 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const char *org = rows.v[i].value;
		if (strncmp(org, j->dataset, dl) == 0 && (org[dl] == '/' || org[dl] == '@') &&
		    strncmp(rows.v[i].name, j->dataset, dl) != 0)
			ioc_strv_push(out, rows.v[i].name);
	}
	ioc_zrows_release(&rows);
	return 0;
}

int
ioc_cmd_destroy(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	_cleanup_strv_ struct ioc_strv deps = IOC_STRV_INIT;
	struct ioc_jstate *st;
	_cleanup_free_ char *rmp = NULL, *jmp = NULL;
	int k = ioc_opts_parse(ctx, "destroy", "fr", argc - 1, argv + 1, &o, err);
	int rc = -1, lockfd = -1, running;
	size_t i;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "destroy");
	if (ioc_ctx_jail_all(ctx, argv[0], (const char *const[]){ "tag", "template", "depends", NULL },
	    &js, &j, err) != 0)
		return -1;
	{
		/* a jail others start after (depends=) would leave them a missing dependency */
		_cleanup_sb_ struct ioc_sb names = IOC_SB_INIT;
		ioc_sb_init(&names);
		ioc_dependents_names(&js, j, &names);
		if (names.len) {
			ioc_err(err, "cannot destroy '%s': jail(s) %s depend on it (depends=): change "
			    "their depends first", argv[0], names.buf);
			goto out;
		}
	}
	if (ioc_dependants(ctx, j, &deps, err) != 0)
		goto out;
	if (deps.n) {
		struct ioc_sb sb = IOC_SB_INIT;
		ioc_sb_init(&sb);
		for (i = 0; i < deps.n; i++) {
			const char *u = deps.v[i] + strlen(ctx->root.name) + strlen("/jails/");
			size_t q;
			for (q = 0; q < js.n; q++)
				if (strncmp(u, js.v[q].uuid, strlen(js.v[q].uuid)) == 0 && js.v[q].complete)
					break;
			ioc_sb_addf(&sb, "%s%s", i ? ", " : "",
			    q < js.n ? ioc_jail_get(&js.v[q], "tag") : deps.v[i]);
		}
		ioc_err(err, "cannot destroy '%s': jails depend on it: %s (destroy them or 'iocage promote' them first)",
		    argv[0], sb.buf);
		ioc_sb_release(&sb);
		goto out;
	}
	st = ioc_states(ctx, &js, err);
	if (st == NULL)
		goto out;
	running = st[j - js.v].running;
	free(st);
	if (running && !o.seen['f']) {
		ioc_err(err, "jail '%s' is running: stop it first, or use destroy -f", argv[0]);
		goto out;
	}
	if (!o.seen['f'] && isatty(0)) {
		char line[16];
		fprintf(stderr, "destroy jail %s (%s) and all its data? [y/N] ", ioc_jail_get(j, "tag"),
		    j->uuid);
		if (fgets(line, sizeof(line), stdin) == NULL || (line[0] != 'y' && line[0] != 'Y')) {
			ioc_err(err, "not destroyed");
			goto out;
		}
	}
	lockfd = ioc_lock_jail(&ctx->root, j->uuid, err);
	if (lockfd < 0)
		goto out;
	if (running && ioc_run_stop_for_destroy(ctx, j, err) != 0)
		goto out;
	/* a killed package's work clones hang on the jail's snapshots */
	if (ioc_record_sweep(&ctx->root, j->uuid, NULL, err) != 0)
		goto out;
	/* the shell iocage's tags links (legacy roots): found by the jail's mountpoint */
	if (js.legacy && ioc_legacy_mountpoints(ctx->root.name, j->uuid, &rmp, &jmp, err) != 0)
		goto out;
	if (ioc_zfs_destroy(j->dataset, 1, err) != 0) {
		ioc_error_wrap(err, "cannot destroy '%s'", argv[0]);
		goto out;
	}
	ioc_runrec_remove(ctx->root.name, j->uuid);
	ioc_lock_jail_remove(&ctx->root, j->uuid);
	printf("%s (%s) destroyed\n", ioc_jail_get(j, "tag"), j->uuid);
	if (js.legacy && ioc_legacy_tags_sync(rmp, jmp, NULL, err) != 0) {
		ioc_error_wrap(err, "jail '%s' destroyed, but", argv[0]);
		goto out;
	}
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_df(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "compressratio", "reservation", "quota", "used",
		"available", NULL };
	static const char *const cols[] = { "UUID", "CRT", "RES", "QTA", "USE", "AVA", "TAG", NULL };
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_table t;
	struct ioc_jail **v;
	size_t i, n;
	/* 1.7.6 lib/ioc-info __print_disk: "%-36s  %-6s  %-5s  %-5s  %-5s  %-5s %-20s\n" */
	static const struct ioc_colfmt lfmt[] = { { 36, 0, "  " }, { 6, 0, "  " }, { 5, 0, "  " },
		{ 5, 0, "  " }, { 5, 0, "  " }, { 5, 0, " " }, { 20, 0, "\n" } };
	int k = ioc_opts_parse(ctx, "df", "pl", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (k + 1 != argc)
		return ioc_usage(err, "df");
	if (ioc_jails_load(&ctx->root, props, &js, err) != 0)
		return -1;
	v = ioc_sorted(&js, &n);
	ioc_table_init(&t, cols);
	for (i = 0; i < n; i++) {
		struct ioc_jail *j = v[i];
		const char *q = ioc_jail_get(j, "quota"), *r = ioc_jail_get(j, "reservation");
		char *res = strcmp(r, "0") == 0 ? ioc_xstrdup("none") : ioc_fmt_size(r, o.seen['p']);
		char *qta = strcmp(q, "0") == 0 ? ioc_xstrdup("none") : ioc_fmt_size(q, o.seen['p']);
		char *use = ioc_fmt_size(ioc_jail_get(j, "used"), o.seen['p']);
		char *ava = ioc_fmt_size(ioc_jail_get(j, "available"), o.seen['p']);
		const char *c[] = { j->uuid, ioc_jail_get(j, "compressratio"), res, qta, use, ava,
			ioc_jail_get(j, "tag") };
		ioc_table_add(&t, c);
		free(res);
		free(qta);
		free(use);
		free(ava);
	}
	/* the shell iocage's layout, unless -l, -H or --json */
	if (ctx->fmt == IOC_FMT_TABLE && !o.seen['l'])
		ioc_table_print_fixed(&t, lfmt, lfmt, stdout);
	else
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	free(v);
	ioc_jails_release(&js);
	return 0;
}

/* Snapshots of R/jails itself (no jail owns them): left by a killed `snapshot ALL`. */
static int
ioc_sweep_top_snaps(struct ioc_ctx *ctx, struct ioc_error **err)
{
	_cleanup_free_ char *top = ioc_xasprintf("%s/jails", ctx->root.name);
	char *names[] = { top, NULL };
	struct ioc_zrows rows;
	size_t i;
	int rc = 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "type", 0, 1, NULL, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n && rc == 0; i++) {
		const char *at = strchr(rows.v[i].name, '@');
		if (at == NULL || (size_t)(at - rows.v[i].name) != strlen(top) ||
		    strncmp(rows.v[i].name, top, strlen(top)) != 0)
			continue;
		rc = ioc_zfs_destroy(rows.v[i].name, 0, err);
		if (rc == 0)
			printf("removed debris %s\n", rows.v[i].name);
	}
	ioc_zrows_release(&rows);
	return rc;
}

/* Prints the lines an operation collected ("removed debris NAME", or notes as they are). */
static void
ioc_print_lines(const struct ioc_strv *v, const char *prefix)
{
	size_t i;
	for (i = 0; i < v->n; i++)
		printf("%s%s\n", prefix, v->v[i]);
}

int
ioc_cmd_clean(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv removed = IOC_STRV_INIT, works = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv notes = IOC_STRV_INIT;
	struct ioc_jails js;
	int rc;
	(void)argv;
	if (argc != 1)
		return ioc_usage(err, "clean");
	if (ioc_jails_load(&ctx->root, (const char *const[]){ "tag", NULL }, &js, err) != 0)
		return -1;
	rc = ioc_debris_sweep(&ctx->root, &js, &removed, err);
	ioc_jails_release(&js);
	if (rc == 0) {
		ioc_print_lines(&removed, "removed debris ");
		rc = ioc_sweep_top_snaps(ctx, err);
	}
	if (rc == 0) {
		rc = ioc_record_sweep(&ctx->root, NULL, &works, err);
		ioc_print_lines(&works, "removed debris ");
	}
	if (rc == 0) {
		rc = ioc_update_recover_all(&ctx->root, &notes, err);
		ioc_print_lines(&notes, "");
	}
	return rc;
}
