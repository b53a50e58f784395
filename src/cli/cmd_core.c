/* cmd_core.c — list and df, and the state helpers the other jail commands share
 * (get, set, defaults: cmd_props.c; create, clone, destroy, clean: cmd_jail.c;
 * activate, deactivate, subids: cmd_activate.c). */
#include "cli/commands.h"
#include "core/depends.h"
#include "core/runrec.h"
#include "core/legacy.h"
#include "core/pkglist.h"
#include "spawn/spawn.h"
#include "core/subid.h"
#include "core/tagidx.h"

#include <errno.h>
#include <string.h>

/* Fills states for the loaded jails (down when the engine says nothing). */
struct ioc_jstate *
ioc_states(struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_error **err)
{
	return ioc_ops_states_new(&ctx->root, js, err);
}

/* Prints a table of jails and releases what list and get ALL built it from. */
void
ioc_jail_table_done(struct ioc_ctx *ctx, struct ioc_table *t, struct ioc_jail **v,
    struct ioc_jstate *st, struct ioc_jails *js)
{
	ioc_table_print(t, ctx->fmt, stdout);
	ioc_table_release(t);
	free(v);
	free(st);
	ioc_jails_release(js);
}

/* A jail's state word: up, down, replica (a synced copy) or migrated (ops/sync.c). */
const char *
ioc_state_word(const struct ioc_jail *j, const struct ioc_jstate *s)
{
	if (s->running)
		return "up";
	return ioc_jail_is_replica(j) ? "replica" : ioc_jail_is_migrated(j) ? "migrated" : "down";
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
		"template", "replica", "migrated", NULL };
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
	{
		/* a tag two jails hold (zfs set behind our back): said, index marked stale */
		_cleanup_strv_ struct ioc_strv said = IOC_STRV_INIT;
		ioc_tagidx_dups(&ctx->root, &js, &said);
		for (i = 0; i < said.n; i++)
			fprintf(stderr, "iocage: warning: %s\n", said.v[i]);
	}
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

int
ioc_cmd_df(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const props[] = { "tag", "compressratio", "reservation", "quota", "used",
		"available", NULL };
	static const char *const cols[] = { "UUID", "CRT", "RES", "QTA", "USE", "AVA", "TAG",
		NULL };
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
		char *res =
		    strcmp(r, "0") == 0 ? ioc_xstrdup("none") : ioc_fmt_size(r, o.seen['p']);
		char *qta =
		    strcmp(q, "0") == 0 ? ioc_xstrdup("none") : ioc_fmt_size(q, o.seen['p']);
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
