/*
 * plan.h — lifecycle as data: an ordered list of steps (argv commands with
 * undo commands), built first by a pure planner and run afterwards by one
 * runner, printed for --dry-run, or compared with golden files in tests.
 *
 * A step's command and undo commands are argv arrays (never shell strings).
 * Words whose value is only known while the plan runs (the interface name
 * that `ifconfig epair create` replies, the jid `jail -i -c` prints) are
 * late-bound: the planner records "word i of this argv is variable V"; the
 * runner fills them from the replies of earlier steps.  A value taken from a
 * property is never interpreted as a variable reference: only words the
 * planner marked are substituted.
 *
 * Running (ioc_plan_run):
 *  - steps run in order; a step that fails (could not start, non-zero exit,
 *    a reply that does not have the expected form) stops the plan unless it
 *    has IOC_STEP_CONTINUE or IOC_STEP_IGNORE;
 *  - when a plan stops on a failure and IOC_PLAN_UNDO is set, the undo
 *    commands of every step that completed run in reverse order (each step's
 *    own undo list in the order given), so a failed start undoes exactly what
 *    it did;
 *  - IOC_STEP_CONTINUE failures let the plan go on and make its result a
 *    failure at the end (a stop that removed the jail but could not unmount
 *    something says so); IOC_STEP_IGNORE failures do not count.
 * The runner calls an executor for every command, so tests can run a plan
 * against recorded replies; ioc_plan_exec_real runs through spawn.
 */
#ifndef IOC_PLAN_H
#define IOC_PLAN_H

#include "util/util.h"

enum ioc_step_flags {
	IOC_STEP_CONTINUE = 1 << 0, /* failure reported at the end, plan goes on */
	IOC_STEP_IGNORE = 1 << 1, /* failure ignored (see the step's comment) */
	IOC_STEP_INTERACTIVE = 1 << 2, /* the caller's terminal is attached */
	IOC_STEP_STATUS = 1 << 3, /* exit status is the result (exec), not a failure */
};

enum ioc_step_kind {
	IOC_STEP_RUN, /* run cmd */
	IOC_STEP_CHECK_DIR, /* in-process: chk_rel is a directory below chk_root, no symlink on the
			       way */
	IOC_STEP_WRITE_FILE, /* in-process: writes data to chk_rel below chk_root
				(ioc_plan_write_file) */
};

/* The form a used reply must have; anything else fails the step. */
enum ioc_reply {
	IOC_REPLY_NONE,
	IOC_REPLY_EPAIR, /* "epairNa": sets VAR "a" = epairNa and VAR "b" = epairNb */
	IOC_REPLY_JID, /* a positive decimal integer: sets VAR */
};

/* An argv with late-bound words. */
struct ioc_pargv {
	struct ioc_strv w;
	size_t *var_idx; /* word index */
	char **var_name; /* variable that fills it */
	size_t nvars;
};

struct ioc_step {
	enum ioc_step_kind kind;
	struct ioc_pargv cmd;
	struct ioc_pargv *undo; /* run in this order when undoing this step */
	size_t nundo;
	unsigned flags;
	int timeout_s; /* 0: none */
	enum ioc_reply reply; /* stdout is used (IOC_REPLY_NONE: discarded) */
	char *reply_var;
	char *hint; /* appended to the error when the step fails */
	char *chk_root, *chk_rel; /* IOC_STEP_CHECK_DIR, IOC_STEP_WRITE_FILE */
	char *data; /* IOC_STEP_WRITE_FILE: the contents; IOC_STEP_RUN: fed to stdin */
	char *env; /* one extra NAME=VALUE for the child (may be NULL) */
};

struct ioc_plan {
	char *title;
	struct ioc_step *v;
	size_t n, cap;
};

enum ioc_plan_flags {
	IOC_PLAN_UNDO = 1 << 0, /* undo completed steps when one fails */
};

void ioc_plan_init(struct ioc_plan *p, const char *title);
void ioc_plan_release(struct ioc_plan *p);

/* Appends a RUN step with argv words (NULL-terminated list) and returns it. */
struct ioc_step *ioc_plan_add(struct ioc_plan *p, const char *const *words);
/* Appends a CHECK_DIR step: rel (absolute inside the jail) below root. */
struct ioc_step *ioc_plan_add_check(struct ioc_plan *p, const char *root, const char *rel);
/* Appends a WRITE_FILE step: data to rel (absolute inside the jail) below root. */
struct ioc_step *ioc_plan_add_write(
    struct ioc_plan *p, const char *root, const char *rel, const char *data);
/* Builders on a step's command or on a new undo command. */
void ioc_pargv_push(struct ioc_pargv *a, const char *word);
void ioc_pargv_push_var(struct ioc_pargv *a, const char *var);
void ioc_pargv_pushv(struct ioc_pargv *a, const struct ioc_strv *words);
/* Adds an undo command (words NULL-terminated) and returns it for more words. */
struct ioc_pargv *ioc_step_undo(struct ioc_step *s, const char *const *words);
void ioc_step_set_reply(struct ioc_step *s, enum ioc_reply r, const char *var);
void ioc_step_set_hint(struct ioc_step *s, const char *hint);
/* A RUN step's standard input (instead of /dev/null). */
void ioc_step_set_stdin(struct ioc_step *s, const char *data);

/* Renders the plan for --dry-run: numbered commands, late-bound words as
 * ${VAR}, the replies used, the undo commands and the flags. */
void ioc_plan_render(const struct ioc_plan *p, struct ioc_sb *out);

/*
 * Executor: runs one resolved command (or performs a CHECK_DIR step).
 * Returns 0 when it ran (*status set; *reply set to the captured stdout,
 * caller frees, when s->reply != IOC_REPLY_NONE) or -1 with *err when it
 * could not.  is_undo is set for undo commands.
 */
typedef int (*ioc_plan_exec_fn)(void *ctx, const struct ioc_step *s, char *const *argv, int is_undo,
    int *status, char **reply, struct ioc_error **err);

/* Result of a run: status of the last IOC_STEP_STATUS step (exec), or 0. */
int ioc_plan_run(const struct ioc_plan *p, unsigned flags, ioc_plan_exec_fn fn, void *ctx,
    int *status, struct ioc_error **err);

/* The executor for real runs (spawn; CHECK_DIR via ioc_plan_check_dir). */
int ioc_plan_exec_real(void *ctx, const struct ioc_step *s, char *const *argv, int is_undo,
    int *status, char **reply, struct ioc_error **err);

/*
 * Checks that rel (an absolute path as seen inside the jail) names a
 * directory below root, walking it one component at a time with
 * O_NOFOLLOW: a symlink anywhere on the way, "..", or a missing component
 * is an error.  (Used before mounting onto a path inside a jail root.)
 */
int ioc_plan_check_dir(const char *root, const char *rel, struct ioc_error **err);

/*
 * Writes data to rel below root: the parent directory is reached as
 * ioc_plan_check_dir does; the file is written to a temporary name opened
 * O_EXCL|O_NOFOLLOW in that directory and renamed over rel (a symlink
 * planted at rel is replaced, never followed).  Mode 0644.
 */
int ioc_plan_write_file(
    const char *root, const char *rel, const char *data, struct ioc_error **err);

/* A reply's first line without trailing blanks (caller frees). */
char *ioc_plan_reply_line(const char *out);

#endif
