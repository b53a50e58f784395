/* cmd_props.c — get, set and defaults (commands.h). */
#include "cli/commands.h"
#include "core/legacy.h"
#include "core/pkglist.h"
#include "spawn/spawn.h"
#include "core/subid.h"

#include <errno.h>
#include <string.h>

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
				    strcmp(rows->v[k].prop, zn) == 0 &&
				    strcmp(rows->v[k].source, "local") == 0;
			if (on_root || (p->flags & IOC_PF_NATIVE) ||
			    strcmp(rows->v[i].source, "local") != 0)
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
	"ip6_addr", "ip6_saddrsel", "ip6", "defaultrouter", "defaultrouter6", "resolver",
	"exec_fib", "vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac",
	/* CONF_JAIL */
	"devfs_ruleset", "mount_devfs", "exec_start", "exec_stop", "exec_prestart", "exec_prestop",
	"exec_poststop", "exec_poststart", "exec_clean", "exec_timeout", "stop_timeout",
	"exec_jail_user", "exec_system_jail_user", "exec_system_user", "mount_fdescfs",
	"mount_procfs", "enforce_statfs", "children_max", "login_flags", "securelevel",
	"allow_set_hostname", "allow_sysvipc", "allow_raw_sockets", "allow_chflags", "allow_mount",
	"allow_mount_devfs", "allow_mount_nullfs", "allow_mount_procfs", "allow_mount_tmpfs",
	"allow_mount_zfs", "allow_quotas", "allow_socket_af", "host_hostuuid",
	/* CONF_RCTL */
	"memoryuse", "memorylocked", "vmemoryuse", "maxproc", "cputime", "pcpu", "datasize",
	"stacksize", "coredumpsize", "openfiles", "pseudoterminals", "swapuse", "nthr",
	"msgqqueued", "msgqsize", "nmsgq", "nsemop", "nshm", "shmsize", "wallclock",
	/* CONF_CUSTOM */
	"tag", "template", "rlimits", "boot", "notes", "owner", "priority", "last_started", "type",
	"hostid", "cpuset", "jail_zfs", "jail_zfs_dataset", "release",
	/* CONF_ZFS (defaults only) */
	"compression", "origin", "quota", "mountpoint", "compressratio", "available", "used",
	"dedup", "reservation",
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
			if (v[i]->flags &
			    (IOC_PF_RUNTIME | IOC_PF_NODEFAULT | IOC_PF_RO | IOC_PF_HIDDEN))
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
	const char *props[] = { "tag", p->name, "replica", "migrated", NULL };
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
			return ioc_root_verify(ctx, err) != 0 ?
			    -1 :
			    ioc_cmd_defaults(ctx, 1, argv - k - 1, err);
		if (p->flags & (IOC_PF_NODEFAULT | IOC_PF_RUNTIME))
			return ioc_err(
			    err, "property '%s' has no root default (it is per jail)", p->name);
		if (ioc_root_verify(ctx, err) != 0 || ioc_root_values(ctx, &rows, err) != 0)
			return -1;
		ioc_root_value(ctx, &rows, p, &v, &src);
		ioc_zrows_release(&rows);
		printf("%s\n", v);
		return 0;
	}
	if (strcmp(target, "ALL") == 0) {
		if (all)
			return ioc_err(err,
			    "'get all ALL' is not supported: name one property for every jail, "
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
			if (!(v[i]->flags & (IOC_PF_HIDDEN | IOC_PF_RUNTIME)) &&
			    !ioc_legacy_zfs(v[i]))
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

int
ioc_cmd_set(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign *as;
	const char *target;
	int k = ioc_opts_parse(ctx, "set", "", argc - 1, argv + 1, &o, err);
	int i, n, rc = -1, is_default;

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
			ioc_err(err, "property '%s' cannot be a root default: it is per jail",
			    as[i].p->name);
			goto out;
		}
		if (ioc_ops_check_prop(as[i].p, as[i].value, err) != 0)
			goto out;
	}
	if (strchr(target, '=') != NULL) {
		ioc_fail(err, IOC_EXIT_USAGE,
		    "set: the last word must name a jail or 'default', got '%s'", target);
		goto out;
	}
	rc = ioc_props_set(&ctx->root, is_default ? NULL : target, as, (size_t)n, err);
out:
	ioc_assigns_free(as, (size_t)n);
	return rc;
}
