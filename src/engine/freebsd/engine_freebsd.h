/*
 * engine_freebsd.h — the FreeBSD engine: jail(8), jexec(8), rctl(8),
 * ifconfig(8) epair/bridge, route(8), mount(8) nullfs, zfs(8) jail, pkg(8).
 *
 * It is a planner: pure functions turn a loaded jail (every property
 * resolved, struct ioc_jail) and the root into a struct ioc_plan of argv
 * commands with undo commands (plan.h).  The engine ops (ioc_engine_freebsd)
 * run those plans through spawn on FreeBSD; on any host the plans can be
 * rendered for --dry-run and are compared with golden files in the tests
 * (tests/unit/t_freebsd_engine.c, tests/golden/freebsd/).  Compiled on every
 * OS; docs/freebsd-engine.md describes the mapping and its limits.
 *
 * Planners validate every property value they use (again: a value may have
 * been written with `zfs set` behind iocage's back) and fail with nothing
 * planned when one is bad.  No property value ever reaches a shell: exec_*
 * commands are split into words at blanks and run as argv (see
 * ioc_freebsd_split_command), never handed to jail(8) as exec.* parameters.
 */
#ifndef IOC_ENGINE_FREEBSD_H
#define IOC_ENGINE_FREEBSD_H

#include "core/core.h"
#include "engine/engine.h"
#include "engine/plan.h"

/* 1 when the engine reads property prop (tests check the table is covered). */
int ioc_freebsd_consumes(const char *prop);

/* The jail(8) name of a jail: "ioc-UUID" (caller frees). */
char *ioc_freebsd_jail_name(const struct ioc_jail *j);

/*
 * Start: host hook exec_prestart, resolv.conf, fstab nullfs mounts,
 * shared-IP aliases, `jail -i -c ... persist`, rctl rules, cpuset, vnet
 * epairs + bridge + addresses + default routes, `zfs jail`, exec_start
 * inside (jexec), host hook exec_poststart.  Every step that leaves
 * something behind has undo commands.
 */
int ioc_freebsd_plan_start(const struct ioc_root *root, const struct ioc_jail *j,
    struct ioc_plan *p, struct ioc_error **err);
/*
 * Stop: exec_prestop, exec_stop inside, `zfs unjail`, `jail -r`, rctl rules
 * removed, epairs destroyed, aliases removed, devfs/fdescfs/procfs and fstab
 * unmounted, exec_poststop.  force: also for a jail that is not (fully)
 * running — failures of the steps that need a running jail are ignored.
 */
int ioc_freebsd_plan_stop(const struct ioc_root *root, const struct ioc_jail *j, int force,
    struct ioc_plan *p, struct ioc_error **err);
/* `jexec [-u USER | -U USER] ioc-UUID CMD...`; the exit status is the result. */
int ioc_freebsd_plan_exec(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_exec_opts *o, struct ioc_plan *p, struct ioc_error **err);
/* `jexec ioc-UUID /usr/bin/login LOGIN_FLAGS...` on the caller's terminal;
 * term (may be NULL) is passed as TERM. */
int ioc_freebsd_plan_console(const struct ioc_root *root, const struct ioc_jail *j,
    const char *term, struct ioc_plan *p, struct ioc_error **err);
/* cap: rctl -a of every configured limit (whatever rlimits says), cpuset of
 * the running jail (its jid asked from jls). */
int ioc_freebsd_plan_cap(const struct ioc_root *root, const struct ioc_jail *j, struct ioc_plan *p,
    struct ioc_error **err);
/* uncap: `rctl -r jail:ioc-UUID`. */
int ioc_freebsd_plan_uncap(const struct ioc_root *root, const struct ioc_jail *j,
    struct ioc_plan *p, struct ioc_error **err);
/* `pkg -j ioc-UUID install -y PKG...` for create pkglist=FILE; names are
 * checked (no option-like or odd names). */
int ioc_freebsd_plan_pkg(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_strv *pkgs, struct ioc_plan *p, struct ioc_error **err);

/* Queries (read-only, run directly): argv for states, runtime and inuse. */
void ioc_freebsd_argv_states(struct ioc_strv *argv);
void ioc_freebsd_argv_runtime(const struct ioc_jail *j, struct ioc_strv *argv);
void ioc_freebsd_argv_inuse(const struct ioc_jail *j, struct ioc_strv *argv);
/* Parses `jls name jid` output: st[i] for js->v[i] (ioc-UUID names only). */
int ioc_freebsd_parse_states(
    const char *out, const struct ioc_jails *js, struct ioc_jstate *st, struct ioc_error **err);
/* The parsers add two-cell rows to t, which the caller initialised (the
 * runtime/inuse commands choose the column names). */
/* Parses `jls -n -q -j NAME` (name=value words, "quoted" values) into
 * (parameter, value) rows. */
int ioc_freebsd_parse_runtime(const char *out, struct ioc_table *t, struct ioc_error **err);
/* Parses `rctl -u` output (resource=amount lines) into (resource, amount) rows. */
int ioc_freebsd_parse_inuse(const char *out, struct ioc_table *t, struct ioc_error **err);

/*
 * Splits the value of a command property (exec_start, exec_prestart, ...,
 * login_flags) into words at spaces and tabs.  There is no quoting: every
 * other byte, shell metacharacters included, is part of a word and reaches
 * the program as such.  Fails on an empty command or a control character.
 */
int ioc_freebsd_split_command(
    const char *prop, const char *value, struct ioc_strv *out, struct ioc_error **err);

/*
 * MAC pair of the idx-th entry of interfaces=: vnetIDX_mac when set ("HOST
 * JAIL", or one address for the jail side), else net.h's stable generator
 * (mac_prefix + hash of the UUID and idx, the same as the Linux engine's).
 * *generated is set when vnetIDX_mac was not set (the start op stores it).
 */
int ioc_freebsd_mac_pair(const struct ioc_jail *j, unsigned idx, char host[13], char jail[13],
    int *generated, struct ioc_error **err);

#endif
