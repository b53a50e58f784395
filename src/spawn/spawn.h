/*
 * spawn.h — the one place that starts external programs.
 *
 * Programs are named by their base name ("zfs") and resolved to an absolute
 * path from a fixed list of system directories (ioc_prog_path); argv is an
 * array, never a string a shell parses, and there is no "use a shell" option.
 * The child gets a clean environment (PATH fixed, LC_ALL=C, plus the caller's
 * named extras), every fd but 0-2 closed, default signal dispositions.  An
 * exec failure is reported through a close-on-exec pipe, not as exit 127.
 * Death by signal n is reported as status 128+n; a timeout kills the child
 * (SIGTERM, then SIGKILL after 2 s) and reaps it.
 *
 * Test builds (-DIOC_FAULT_INJECT) honour, per process:
 *   IOC_FAULT_TRACE=FILE   append "N argv..." for every spawn
 *   IOC_FAULT_KILL=N       SIGKILL ourselves just before the Nth spawn
 *   IOC_FAULT_FAIL=N:S     the Nth spawn does not run and "exits" with S
 *   IOC_FAULT_SWAP=FILE    ioc_fault_swap renames FILE onto the path it is given
 */
#ifndef IOC_SPAWN_H
#define IOC_SPAWN_H

#include "util/util.h"

#include <pthread.h>

#define IOC_FD_NULL (-1) /* /dev/null */
#define IOC_FD_CAPTURE (-2) /* collect into the result's buffer */
#define IOC_FD_INHERIT (-3) /* the caller's own fd 0, 1 or 2 */

struct ioc_run_opts {
	int in_fd; /* fd to read from, or IOC_FD_NULL / IOC_FD_INHERIT */
	const char *in_data; /* if set (and in_fd == IOC_FD_CAPTURE): fed to stdin */
	size_t in_len;
	int out_fd; /* fd, IOC_FD_NULL, IOC_FD_CAPTURE or IOC_FD_INHERIT */
	int err_fd; /* likewise */
	int timeout_ms; /* 0: none */
	const char *const *env; /* extra NAME=VALUE entries, NULL-terminated */
	const char *cwd;
};
/* Defaults: stdin /dev/null, stdout and stderr captured, no timeout. */
void ioc_run_opts_init(struct ioc_run_opts *o);

struct ioc_run_result {
	int status; /* exit status, or 128+signal */
	struct ioc_sb out;
	struct ioc_sb err;
};
void ioc_run_result_init(struct ioc_run_result *r);
void ioc_run_result_release(struct ioc_run_result *r);

/* Absolute path of a system program, or NULL if none of the fixed
 * directories holds it.  The result is cached; do not free it. */
const char *ioc_prog_path(const char *name);

/*
 * Runs argv (argv[0] a base name or an absolute path) and waits for it.
 * Returns 0 when the program ran (whatever its status, in res->status) and
 * -1 with *err when it could not be started.  res may be NULL (output is then
 * discarded unless redirected).
 */
int ioc_run(char *const *argv, const struct ioc_run_opts *o, struct ioc_run_result *res,
    struct ioc_error **err);

/*
 * A program run in a thread while the caller feeds its stdin or drains its
 * stdout through a pipe (zfs send into an image, an image into zfs receive).
 * in_fd/out_fd as in ioc_run_opts (the other end is IOC_FD_NULL), stderr is
 * captured; child_fd (the child's end of the caller's pipe, or -1) is closed
 * once the program has ended, so the caller sees EOF or EPIPE.  Every
 * started runner must be waited for with ioc_run_async_wait.
 */
struct ioc_async {
	pthread_t t;
	struct ioc_strv argv;
	struct ioc_run_opts o;
	struct ioc_run_result r;
	int rc;
	int close_fd;
	struct ioc_error *err;
};
int ioc_run_async(struct ioc_async *b, const struct ioc_strv *argv, int in_fd, int out_fd,
    int child_fd, struct ioc_error **err);
/* Waits; -1 with *err naming what (and the program's stderr) when it failed. */
int ioc_run_async_wait(struct ioc_async *b, const char *what, struct ioc_error **err);

/*
 * Runs `a | b`: a's stdout feeds b's stdin; a's stdin and b's stdout come from
 * o_a->in_fd / o_b->out_fd.  Both are waited for; statuses in ra/rb.
 */
int ioc_run_pipe(char *const *a, const struct ioc_run_opts *oa, struct ioc_run_result *ra,
    char *const *b, const struct ioc_run_opts *ob, struct ioc_run_result *rb,
    struct ioc_error **err);

/*
 * Convenience: runs argv capturing output; on a non-zero status fails with
 * "PROG: first line of stderr".  out (may be NULL) receives stdout.
 */
int ioc_run_ok(char *const *argv, char **out, struct ioc_error **err);

/* Formats argv as one line, quoting words with unusual bytes (for logs and
 * --dry-run; never handed to a shell). */
char *ioc_argv_str(char *const *argv);

/* Counts spawns in this process (benchmarks and tests read it via --debug). */
extern unsigned long ioc_spawn_count;

/* Called in the child after fork, before exec; used by the fault layer. */
int ioc_fault_before_spawn(char *const *argv, int *fake_status);

/*
 * Test builds: renames $IOC_FAULT_SWAP onto path (another file put in place of
 * an image or package after it was verified: what lands must still be what was
 * verified); 0 when unset and in every other build, -1 with *err on failure.
 */
int ioc_fault_swap(const char *path, struct ioc_error **err);

#endif
