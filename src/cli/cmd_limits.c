/*
 * cmd_limits.c — what a running jail uses and may use: runtime, inuse, cap,
 * uncap, limits (and its alias limts).  Without -l, -H or --json each
 * prints the shell iocage's layout (1.7.6 lib/ioc-info, lib/ioc-rctl); with
 * them, the table.  The engine measures and applies (cgroups on Linux,
 * rctl(8) on FreeBSD); these handlers resolve the jail and print.
 */
#include "cli/commands.h"
#include "engine/engine.h"
#include "ops/ops.h"

#include <string.h>

/* The shell iocage's runtime: jls -n's words, "  NAME=VALUE" (1.7.6 lib/ioc-info __runtime). */
static void
ioc_runtime_legacy(const struct ioc_table *t)
{
	size_t r;
	for (r = 0; r < t->nrows; r++)
		printf("  %s=%s\n", t->cells.v[2 * r], t->cells.v[2 * r + 1]);
}

/* The shell iocage's inuse TAG: a heading, then rctl -hu's NAME=VALUE lines
 * (1.7.6 lib/ioc-rctl __rctl_inuse). */
static void
ioc_inuse_legacy(const struct ioc_table *t)
{
	size_t r;
	printf("Consumed resources:\n-------------------\n");
	for (r = 0; r < t->nrows; r++)
		printf("%s=%s\n", t->cells.v[2 * r], t->cells.v[2 * r + 1]);
}

/*
 * A table op of the engine on one running jail (runtime, inuse): without -l,
 * -H or --json in the shell iocage's layout (legacy), else the table.
 */
static int
ioc_run_table(struct ioc_ctx *ctx, const char *name, const char *cmd,
    int (*op)(const struct ioc_root *, struct ioc_jail *, struct ioc_table *, struct ioc_error **),
    const char *const *cols, void (*legacy)(const struct ioc_table *), struct ioc_error **err)
{
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_table t;
	int rc;
	if (ioc_engine_need((const void *)op, cmd, err) != 0)
		return -1;
	if (ioc_ctx_jail(ctx, name, NULL, &js, &j, err) != 0)
		return -1;
	ioc_table_init(&t, cols);
	rc = op(&ctx->root, j, &t, err);
	if (rc == 0 && legacy)
		legacy(&t);
	else if (rc == 0)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_runtime(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "PARAMETER", "VALUE", NULL };
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "runtime", "l", argc - 1, argv + 1, &o, err);
	if (k < 0)
		return -1;
	if (argc - k - 1 != 1)
		return ioc_usage(err, "runtime");
	return ioc_run_table(ctx, argv[k + 1], "runtime", ioc_engine()->runtime, cols,
	    ctx->fmt == IOC_FMT_TABLE && !o.seen['l'] ? ioc_runtime_legacy : NULL, err);
}

/*
 * inuse TAG: one jail's current use; inuse alone: every running jail's, one
 * row a resource, as the shell iocage printed every running jail's
 * consumption without a name (1.7.6 lib/ioc-rctl __rctl_inuse_all).
 */
int
ioc_cmd_inuse(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "RESOURCE", "USE", NULL };
	const struct ioc_engine_ops *e = ioc_engine();
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jstate *st;
	struct ioc_jail **v;
	struct ioc_table t;
	size_t n, i, r;
	int headed = 0;
	int k = ioc_opts_parse(ctx, "inuse", "l", argc - 1, argv + 1, &o, err), rc = 0;
	int legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	if (k < 0)
		return -1;
	if (argc - k - 1 > 1)
		return ioc_usage(err, "inuse");
	if (argc - k - 1 == 1)
		return ioc_run_table(ctx, argv[k + 1], "inuse", e->inuse, cols + 1,
		    legacy ? ioc_inuse_legacy : NULL, err);
	if (ioc_engine_need((const void *)e->inuse, "inuse", err) != 0)
		return -1;
	if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
		return -1;
	st = ioc_ops_states_new(&ctx->root, &js, err);
	if (st == NULL) {
		ioc_jails_release(&js);
		return -1;
	}
	v = ioc_sorted(&js, &n);
	ioc_table_init(&t, cols);
	for (i = 0; i < n && rc == 0; i++) {
		struct ioc_table one;
		if (!st[v[i] - js.v].running)
			continue;
		ioc_table_init(&one, cols + 1);
		rc = e->inuse(&ctx->root, v[i], &one, err);
		if (rc == 0 && legacy) {
			/* the shell iocage's CSV: a heading, then UUID,TAG,VALUE... of each
			   running jail (1.7.6 lib/ioc-rctl __rctl_inuse_all) */
			if (!headed) {
				printf("UUID,TAG");
				for (r = 0; r < one.nrows; r++)
					printf(",%s", one.cells.v[2 * r]);
				printf("\n");
				headed = 1;
			}
			printf("%s,%s", v[i]->uuid, ioc_jail_get(v[i], "tag"));
			for (r = 0; r < one.nrows; r++)
				printf(",%s", one.cells.v[2 * r + 1]);
			printf("\n");
		}
		for (r = 0; rc == 0 && !legacy && r < one.nrows; r++) {
			const char *cells[] = { ioc_jail_get(v[i], "tag"), one.cells.v[2 * r],
				one.cells.v[2 * r + 1], NULL };
			ioc_table_add(&t, cells);
		}
		ioc_table_release(&one);
	}
	if (rc == 0 && !legacy)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	free(v);
	free(st);
	ioc_jails_release(&js);
	return rc;
}

/* cap and uncap (argv[0]): the engine applies or removes the limits of a running jail. */
int
ioc_cmd_cap(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	const char *cmd = argv[0];
	int remove = strcmp(cmd, "uncap") == 0, rc;
	struct ioc_jails js;
	struct ioc_jail *j;
	if (argc != 2)
		return ioc_usage(err, cmd);
	if (ioc_ctx_jail(ctx, argv[1], NULL, &js, &j, err) != 0)
		return -1;
	if (ctx->dry_run) {
		const char *const steps[] = { cmd, NULL };
		_cleanup_sb_ struct ioc_sb out = IOC_SB_INIT;
		ioc_sb_init(&out);
		rc = ioc_jails_dry(&ctx->root, &j, 1, steps, &out, err);
		if (rc == 0 && out.buf)
			fputs(out.buf, stdout);
	} else {
		rc = ioc_jail_cap(&ctx->root, j, remove, err);
		if (rc == 0)
			printf("%s (%s): limits %s\n", ioc_jail_get(j, "tag"), j->uuid,
			    remove ? "removed" : "applied");
	}
	ioc_jails_release(&js);
	return rc;
}

/* One jail's limit rows (with its tag first when tagged). */
static void
ioc_limits_rows(const struct ioc_jail *j, int tagged, struct ioc_table *t)
{
	const char *tag = ioc_jail_get(j, "tag");
	int on = ioc_parse_bool(ioc_jail_get(j, "rlimits")) == 1;
	size_t i;
	{
		const char *c[] = { tag, "rlimits", ioc_jail_get(j, "rlimits"), "-" };
		ioc_table_add(t, c + !tagged);
	}
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		const char *v = j->values[i];
		const char *c[4];
		struct ioc_error *e1 = NULL;
		if (p->type != IOC_PT_RLIMIT && strcmp(p->name, "cpuset") != 0)
			continue;
		if (tagged && strcmp(v, "off") == 0)
			continue; /* every jail: only the limits set */
		c[0] = tag;
		c[1] = p->name;
		c[2] = v;
		if (strcmp(v, "off") == 0)
			c[3] = "-";
		else if (ioc_ops_check_prop(p, v, &e1) != 0)
			c[3] = "no (no analogue on this host)";
		else
			c[3] = (on || strcmp(p->name, "cpuset") == 0) ? "at start" :
									"no (rlimits=off)";
		ioc_error_free(e1);
		ioc_table_add(t, c + !tagged);
	}
}

/*
 * The shell iocage's view of one jail's limits in force (1.7.6 lib/ioc-rctl
 * __rctl_list): `rctl -h` of a running jail with rlimits=on, shown as
 * RESOURCE:ACTION=AMOUNT (prefix "  - ", humanized as stored), or with
 * raw set "jail:ioc-UUID:RESOURCE:ACTION=AMOUNT" in plain units as `rctl`
 * prints every jail's rules.  Limits with no analogue on this host are not
 * in force and not shown.
 */
static void
ioc_limits_legacy_rules(const struct ioc_jail *j, int raw)
{
	size_t i;
	if (ioc_parse_bool(ioc_jail_get(j, "rlimits")) != 1)
		return;
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		const char *v = j->values[i], *c;
		struct ioc_error *e1 = NULL;
		unsigned long long amount;
		_cleanup_free_ char *num = NULL;
		if (p->type != IOC_PT_RLIMIT || v == NULL || strcmp(v, "off") == 0 ||
		    (c = strchr(v, ':')) == NULL)
			continue;
		if (ioc_ops_check_prop(p, v, &e1) != 0) {
			ioc_error_free(e1);
			continue;
		}
		num = ioc_xstrndup(v, (size_t)(c - v));
		if (!raw)
			printf("  - %s:%s=%s\n", p->name, c + 1, num);
		else if (ioc_parse_size(num, &amount) == 0)
			printf("jail:ioc-%s:%s:%s=%llu\n", j->uuid, p->name, c + 1, amount);
	}
}

/* "* CPU set: " as `cpuset -g -j JID | cut -f2 -d:` printed it: " 0, 2, 3". */
static void
ioc_limits_legacy_cpuset(const struct ioc_jail *j)
{
	const char *v = ioc_jail_get(j, "cpuset"), *q;
	long n = sysconf(_SC_NPROCESSORS_ONLN), a, b;
	unsigned shown = 0;
	printf("* CPU set: ");
	if (v == NULL || strcmp(v, "off") == 0) {
		for (a = 0; a < (n > 0 ? n : 1); a++)
			printf("%s%ld", a ? ", " : " ", a);
		printf("\n");
		return;
	}
	for (q = v; *q;) {
		char *end;
		a = strtol(q, &end, 10);
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b; a++)
			printf("%s%ld", shown++ ? ", " : " ", a);
		q = *end == ',' ? end + 1 : end;
		if (end == q && *q != '\0')
			break; /* not a CPU list (validated at set: unreachable) */
	}
	printf("\n");
}

/*
 * limits [-l] [TAG]: without -l, -H or --json the shell iocage's lines (1.7.6
 * lib/ioc-rctl __rctl_list): "* Active limits for jail: UUID", a "  - " line
 * per limit in force and, running, "* CPU set:"; without a jail "* All
 * active limits:" and every running jail's rules as `rctl` prints them.
 * The table (-l): every limit of one jail with where it stands, or the limits
 * set on every jail (its README spelled the command "limts").
 */
int
ioc_cmd_limits(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "LIMIT", "VALUE", "APPLIED", NULL };
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_table t;
	struct ioc_jstate *st = NULL;
	int k = ioc_opts_parse(ctx, "limits", "l", argc - 1, argv + 1, &o, err), legacy;
	if (k < 0)
		return -1;
	legacy = ctx->fmt == IOC_FMT_TABLE && !o.seen['l'];
	argc -= k + 1;
	argv += k + 1;
	if (argc > 1)
		return ioc_usage(err, "limits");
	if (argc == 0) {
		struct ioc_jail **v;
		size_t n, i;
		if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
			return -1;
		if (legacy && (st = ioc_ops_states_new(&ctx->root, &js, err)) == NULL) {
			ioc_jails_release(&js);
			return -1;
		}
		v = ioc_sorted(&js, &n);
		ioc_table_init(&t, cols);
		if (legacy)
			printf("* All active limits:\n");
		for (i = 0; i < n; i++) {
			if (!legacy)
				ioc_limits_rows(v[i], 1, &t);
			else if (st[v[i] - js.v].running)
				ioc_limits_legacy_rules(v[i], 1);
		}
		free(v);
	} else {
		if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0)
			return -1;
		if (legacy && (st = ioc_ops_states_new(&ctx->root, &js, err)) == NULL) {
			ioc_jails_release(&js);
			return -1;
		}
		ioc_table_init(&t, cols + 1);
		if (legacy) {
			printf("* Active limits for jail: %s\n", j->uuid);
			if (st[j - js.v].running) {
				ioc_limits_legacy_rules(j, 0);
				ioc_limits_legacy_cpuset(j);
			}
		} else
			ioc_limits_rows(j, 0, &t);
	}
	if (!legacy)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	ioc_jails_release(&js);
	free(st);
	return 0;
}
