/*
 * engine_freebsd_ops.c — the FreeBSD engine run for real: the read-only
 * queries (jls, rctl -u) with their output parsers, and the engine ops
 * (ioc_engine_freebsd) that run the plans of engine_freebsd.c and
 * engine_freebsd_lifecycle.c through spawn.  Compiled everywhere; the ops
 * run on FreeBSD.
 */
#include "engine/freebsd/internal.h"

#include "core/legacy.h"
#include "spawn/spawn.h"

#include <string.h>

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
ioc_freebsd_parse_states(
    const char *out, const struct ioc_jails *js, struct ioc_jstate *st, struct ioc_error **err)
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
			if (strlen(js->v[k].uuid) == nl - 4 &&
			    strncmp(js->v[k].uuid, l + 4, nl - 4) == 0) {
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
					return ioc_err(
					    err, "unexpected jls output: unterminated quote");
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
	if (ioc_legacy_jail_prepare(j, 0, err) != 0 ||
	    ioc_jail_check_delegation(root, j, err) != 0 ||
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
ioc_fb_query(struct ioc_strv *argv,
    int (*parse)(const char *, struct ioc_table *, struct ioc_error **), struct ioc_table *t,
    struct ioc_error **err)
{
	_cleanup_free_ char *out = NULL;
	int rv = ioc_run_ok(ioc_strv_argv(argv), &out, err);
	ioc_strv_release(argv);
	return rv == 0 ? parse(out, t, err) : -1;
}

static int
ioc_fb_op_runtime(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	(void)root;
	ioc_strv_init(&argv);
	ioc_freebsd_argv_runtime(j, &argv);
	return ioc_fb_query(&argv, ioc_freebsd_parse_runtime, t, err);
}

static int
ioc_fb_op_inuse(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err)
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
		return ioc_err(err,
		    "exec_system_user '%s' is not supported by the FreeBSD engine: host "
		    "hooks run as root",
		    ioc_has_ctrl(value) ? "?" : value);
	if (strcmp(p->name, "mac_prefix") == 0 && !ioc_net_valid_mac_prefix(value))
		return ioc_err(err,
		    "invalid value for property 'mac_prefix': expected 6 hex digits "
		    "with an even first byte (unicast), e.g. 02ff60");
	if (p->type == IOC_PT_COMMAND) {
		struct ioc_strv w = IOC_STRV_INIT;
		int rv;
		ioc_strv_init(&w);
		rv = ioc_freebsd_split_command(p->name, value, &w, err);
		if (rv == 0 && !ioc_hook_noop(value) && strcmp(p->name, "exec_start") != 0 &&
		    strcmp(p->name, "exec_stop") != 0 && strcmp(p->name, "login_flags") != 0 &&
		    w.v[0][0] != '/')
			rv = ioc_err(err,
			    "invalid value for property '%s': a host command must start "
			    "with an absolute path (e.g. /usr/local/bin/hook)",
			    p->name);
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
			ioc_net_nat_assign(root, j, 0, &picked, err) != 0 ?
		    -1 :
		    ioc_freebsd_plan_start(root, j, &p, err);
	} else if (strcmp(what, "stop") == 0)
		rv = ioc_legacy_jail_prepare(j, 1, err) != 0 ?
		    -1 :
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
