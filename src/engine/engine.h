/*
 * engine.h — the interface between the core and the engines that run jails.
 *
 * The core (commands, properties, ZFS) never knows which engine runs: it
 * calls ioc_engine()->op(...).  Engines:
 *   linux   (engine_linux.c, Linux only): LXC system containers via liblxc
 *   freebsd (engine_freebsd.c, compiled everywhere): jail(8), jexec(8),
 *           rctl(8), ifconfig(8) ... as argv plans run through spawn; on
 *           Linux it is exercised by golden-file tests of its command lines.
 *
 * Every op returns 0 or -1 with *err.  Optional ops may be NULL (the command
 * then says the engine does not support it).  Ops receive a fully loaded jail
 * (ioc_jails_load with props == NULL) and the active root.
 */
#ifndef IOC_ENGINE_H
#define IOC_ENGINE_H

#include "core/core.h"
#include "util/output.h"

/* The running state of one jail (the engine's answer for list and get). */
struct ioc_jstate {
	int running;
	char jid[32]; /* "-" when down */
};

struct ioc_exec_opts {
	char *const *argv; /* command inside the jail */
	const char *host_user; /* -u: run as this host user (NULL: root) */
	const char *jail_user; /* -U: run as this user inside the jail */
	int interactive; /* attach the caller's terminal (console) */
};

struct ioc_engine_ops {
	const char *name;
	/* Running state of every loaded jail, in one pass (no process per jail). */
	int (*states)(const struct ioc_root *root, const struct ioc_jails *js,
	    struct ioc_jstate *st, struct ioc_error **err);
	/* Start: an ordered step list; a failing step undoes exactly what ran. */
	int (*start)(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
	/* Stop: exec_prestop, exec_stop inside, terminate within stop_timeout, undo start. */
	int (*stop)(
	    const struct ioc_root *root, struct ioc_jail *j, int force, struct ioc_error **err);
	/* Runs a command inside; *status is its exit status (128+n for signal n). */
	int (*exec)(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_exec_opts *o,
	    int *status, struct ioc_error **err);
	/* Rows of live engine parameters for `runtime`. */
	int (*runtime)(const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t,
	    struct ioc_error **err);
	int (*cap)(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
	int (*uncap)(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err);
	int (*inuse)(const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t,
	    struct ioc_error **err);
	/* Refuses values this engine cannot honour (e.g. a limit with no analogue). */
	int (*check_prop)(const struct ioc_prop *p, const char *value, struct ioc_error **err);
	/*
	 * Optional: called before the first op that runs code inside a jail,
	 * before the command changes anything.  May re-execute the program
	 * (the Linux engine re-executes from a sealed memory copy, CVE-2019-5736).
	 * A lone stop through the run-time record comes without it: the Linux
	 * engine's stop prepares itself, before its hooks, when it enters the jail.
	 */
	int (*prepare)(struct ioc_error **err);
	/* Optional: appends to out the commands `what` ("start", "stop") would
	 * run, one per line with their undo commands, for --dry-run. */
	int (*dry_run)(const struct ioc_root *root, struct ioc_jail *j, const char *what,
	    struct ioc_sb *out, struct ioc_error **err);
	/*
	 * Optional: 1 when the jail's container runs, asked without ZFS and
	 * without a process (exec and console trust a run-time record only
	 * then, core/runrec.h); 0 otherwise.  j may come from a record: its
	 * UUID, tag and root path are real, its other values built-in.
	 */
	int (*running)(const struct ioc_root *root, const struct ioc_jail *j);
	/*
	 * Optional: 0 when no container but those of the n jails v runs on this
	 * host (of any root), asked without ZFS; 1 when one may.  Missing: 1.
	 * stop reads every jail's dependencies only when another jail may run.
	 */
	int (*others_running)(struct ioc_jail *const *v, size_t n);
	/*
	 * Optional: the addresses ("ADDR/LEN") the interface ifname of a
	 * running jail has now, for what DHCP and router adverts gave it
	 * (IPv6 without link-local ones).
	 */
	int (*addrs)(const struct ioc_root *root, const struct ioc_jail *j, const char *ifname,
	    int v6, struct ioc_strv *out, struct ioc_error **err);
};

/* The engine of this host. */
const struct ioc_engine_ops *ioc_engine(void);
/* An op a command needs (op: the engine's member): a clear error when it has none. */
int ioc_engine_need(const void *op, const char *what, struct ioc_error **err);

extern const struct ioc_engine_ops ioc_engine_freebsd;
#ifdef __linux__
extern const struct ioc_engine_ops ioc_engine_linux;
#endif

#endif
