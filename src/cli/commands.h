/*
 * commands.h — the command table's handlers and their shared context.
 *
 * main() parses global options, finds the command in the table, does the
 * shared setup its flags ask for (root discovery, locks), and calls the
 * handler.  Handlers parse their arguments, validate the whole request, then
 * act; they return 0 or -1 with *err and never print errors themselves.
 */
#ifndef IOC_COMMANDS_H
#define IOC_COMMANDS_H

#include "core/core.h"
#include "engine/engine.h"
#include "ops/ops.h"
#include "util/output.h"

#include <time.h>

enum ioc_cmd_flags {
	IOC_CF_ROOT = 1 << 0, /* needs the active root (ctx->root) */
	IOC_CF_LOCK_ROOT = 1 << 1, /* takes the root lock before the handler */
	IOC_CF_NEED_UID0 = 1 << 2, /* must run as root */
	IOC_CF_LAZY_ROOT = 1 << 3, /* hot path: an explicit root is verified by the first
				    * ioc_jails_load (see ioc_root_lazy); loads before writing */
	IOC_CF_DRY_RUN = 1 << 4, /* takes --dry-run: prints the engine's plan instead */
	IOC_CF_HIDDEN = 1 << 5, /* not in help: the other side of a sync over ssh */
};

struct ioc_ctx {
	struct ioc_root root;
	const char *root_arg; /* -r DATASET or IOCAGE_ROOT */
	enum ioc_fmt fmt; /* --json, -H */
	int parsable; /* -p: raw numbers */
	int dry_run; /* --dry-run: print the engine's plan, change nothing */
	int root_lock_fd;
	int force; /* generic -f seen by a handler */
};

typedef int (*ioc_cmd_fn)(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err);

struct ioc_cmd {
	const char *name;
	ioc_cmd_fn fn;
	unsigned flags;
	const char *synopsis;
	const char *help;
};

extern const struct ioc_cmd ioc_cmds[];
const struct ioc_cmd *ioc_cmd_find(const char *name);

/*
 * Option parsing for handlers: flags are single letters given in `spec`
 * (a letter followed by ':' takes a value); long options --json and -H are
 * understood everywhere a command prints data.  Stops at the first word
 * that is not an option; returns its index or -1 with a usage error.
 */
struct ioc_opts {
	unsigned char seen[128];
	const char *val[128];
};
int ioc_opts_parse(struct ioc_ctx *ctx, const char *cmd, const char *spec, int argc, char **argv,
    struct ioc_opts *o, struct ioc_error **err);
int ioc_usage(struct ioc_error **err, const char *cmd);
#ifdef __clang_analyzer__
#define ioc_usage(...) (ioc_usage(__VA_ARGS__), -1) /* see util.h */
#endif

/* Complete jails sorted by tag (pointers into js; the caller frees the array); main.c. */
struct ioc_jail **ioc_sorted(struct ioc_jails *js, size_t *n);

/* Verifies a lazily named root (IOC_CF_LAZY_ROOT) before a path that loads no jails. */
int ioc_root_verify(struct ioc_ctx *ctx, struct ioc_error **err);

/* Loads the jails name may mean (ioc_jails_load_named) and resolves one
 * (complete) jail: js holds only those. */
/* A progress line on stderr when it is a terminal (export, import, sync): the
 * bytes so far and the rate, at most twice a second, the last with a newline. */
struct ioc_progress {
	int on;
	const char *what;
	unsigned long long bytes;
	struct timespec start, last;
};
void ioc_progress_init(struct ioc_progress *p, const char *what);
void ioc_progress_add(struct ioc_progress *p, size_t n, int final);
/* ioc_progress_add as a stream's callback (arg: the struct ioc_progress). */
void ioc_progress_cb(void *arg, size_t bytes, int final);
/* An operation's say callback (util.h ioc_say_fn): the line on stdout, or
 * pushed onto arg, a struct ioc_strv, when it is not NULL (--json collects). */
void ioc_print_line(void *arg, const char *line);
/* The lines an operation collected, each after prefix, on stdout. */
void ioc_print_lines(const struct ioc_strv *v, const char *prefix);
int ioc_ctx_jail(struct ioc_ctx *ctx, const char *name, const char *const *props,
    struct ioc_jails *js, struct ioc_jail **j, struct ioc_error **err);
/* The same with every jail in js (for checks across jails: tags, clones). */
int ioc_ctx_jail_all(struct ioc_ctx *ctx, const char *name, const char *const *props,
    struct ioc_jails *js, struct ioc_jail **j, struct ioc_error **err);

/* cmd_core.c, cmd_props.c, cmd_jail.c, cmd_activate.c */
int ioc_cmd_activate(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_deactivate(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_subids(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_sync(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_promote_replica(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_migrate(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_sync_info(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_sync_receive(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_list(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_get(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_set(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_defaults(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_create(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_clone(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_destroy(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_df(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_clean(struct ioc_ctx *, int, char **, struct ioc_error **);
/* Fills states for the loaded jails (down when the engine says nothing). */
struct ioc_jstate *ioc_states(
    struct ioc_ctx *ctx, const struct ioc_jails *js, struct ioc_error **err);
/* Prints a table of jails and releases what list and get ALL built it from. */
void ioc_jail_table_done(struct ioc_ctx *ctx, struct ioc_table *t, struct ioc_jail **v,
    struct ioc_jstate *st, struct ioc_jails *js);
/* A jail's state word: up, down, or replica (a synced copy, ops/sync.c). */
const char *ioc_state_word(const struct ioc_jail *j, const struct ioc_jstate *s);
/* cmd_snap.c */
int ioc_cmd_snapshot(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_snaplist(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_snapremove(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_rollback(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_promote(struct ioc_ctx *, int, char **, struct ioc_error **);
/* cmd_fetch.c */
int ioc_cmd_fetch(struct ioc_ctx *, int, char **, struct ioc_error **);
/* cmd_run.c (engine commands) */
int ioc_cmd_start(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_stop(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_restart(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_exec(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_console(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_chroot(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_rc(struct ioc_ctx *, int, char **, struct ioc_error **); /* rcboot, rcshutdown */
int ioc_cmd_runtime(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_cap(struct ioc_ctx *, int, char **, struct ioc_error **); /* cap, uncap */
int ioc_cmd_limits(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_inuse(struct ioc_ctx *, int, char **, struct ioc_error **);

/* cmd_image.c */
int ioc_cmd_export(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_import(struct ioc_ctx *, int, char **, struct ioc_error **);
/* cmd_record.c: differential packages (record.h) */
int ioc_cmd_record(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_package(struct ioc_ctx *, int, char **, struct ioc_error **);
/* import of a package file (import dispatches here: record.h ioc_record_is_package);
 * props: the command line's PROPERTY=VALUE words. */
int ioc_cmd_import_package(
    struct ioc_ctx *ctx, const char *file, int nprops, char **props, struct ioc_error **err);
/* cmd_update.c */
int ioc_cmd_update(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_apply(struct ioc_ctx *, int, char **, struct ioc_error **);
int ioc_cmd_upgrade(struct ioc_ctx *, int, char **, struct ioc_error **);

/*
 * cmd_run.c's helpers for the other commands that run jails (the states,
 * the re-execution and the acting itself are ops': ops/runtime.c, ops/run.c).
 */
/* Prints what start and stop tell as they go (struct ioc_runreq's report). */
void ioc_run_print(void *arg, const struct ioc_runreq *rq, const struct ioc_run_note *n);

#endif
