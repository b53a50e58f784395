/* spawn.c — start external programs: argv arrays, clean env, closed fds. */
#include "spawn/spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

unsigned long ioc_spawn_count;

static const char *const ioc_sysdirs[] = { "/sbin", "/usr/sbin", "/bin", "/usr/bin",
	"/usr/local/sbin", "/usr/local/bin", NULL };

struct ioc_prog_cache {
	char *name;
	char *path;
};
static struct ioc_prog_cache ioc_progs[64];

const char *
ioc_prog_path(const char *name)
{
	size_t i;
	const char *const *d;
	struct stat st;

	if (name[0] == '/')
		return name;
	for (i = 0; i < 64 && ioc_progs[i].name; i++)
		if (strcmp(ioc_progs[i].name, name) == 0)
			return ioc_progs[i].path;
	for (d = ioc_sysdirs; *d; d++) {
		char *p = ioc_xasprintf("%s/%s", *d, name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
			if (i < 64) {
				ioc_progs[i].name = ioc_xstrdup(name);
				ioc_progs[i].path = p;
			}
			return p;
		}
		free(p);
	}
	return NULL;
}

void
ioc_run_opts_init(struct ioc_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->in_fd = IOC_FD_NULL;
	o->out_fd = IOC_FD_CAPTURE;
	o->err_fd = IOC_FD_CAPTURE;
}

void
ioc_run_result_init(struct ioc_run_result *r)
{
	r->status = -1;
	ioc_sb_init(&r->out);
	ioc_sb_init(&r->err);
}

void
ioc_run_result_release(struct ioc_run_result *r)
{
	ioc_sb_release(&r->out);
	ioc_sb_release(&r->err);
}

char *
ioc_argv_str(char *const *argv)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;
	ioc_sb_init(&sb);
	for (i = 0; argv[i]; i++) {
		const char *a = argv[i];
		int plain = *a != '\0';
		const char *p;
		for (p = a; *p; p++)
			if (!(strchr("-_./:=,@+%", *p) || (*p >= 'a' && *p <= 'z') ||
				(*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				plain = 0;
		if (i)
			ioc_sb_addc(&sb, ' ');
		if (plain) {
			ioc_sb_adds(&sb, a);
			continue;
		}
		ioc_sb_addc(&sb, '\'');
		for (p = a; *p; p++) {
			if (*p == '\'')
				ioc_sb_adds(&sb, "'\\''");
			else if (*p == '\n')
				ioc_sb_adds(&sb, "\\n");
			else if (*p == '\t')
				ioc_sb_adds(&sb, "\\t");
			else
				ioc_sb_addc(&sb, *p);
		}
		ioc_sb_addc(&sb, '\'');
	}
	return ioc_sb_detach(&sb);
}

#ifdef IOC_FAULT_INJECT
int
ioc_fault_before_spawn(char *const *argv, int *fake_status)
{
	const char *trace = getenv("IOC_FAULT_TRACE");
	const char *kill_at = getenv("IOC_FAULT_KILL");
	const char *fail = getenv("IOC_FAULT_FAIL");
	unsigned long n = ioc_spawn_count; /* already incremented */

	if (trace && *trace) {
		int fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			char *s = ioc_argv_str(argv);
			char *line = ioc_xasprintf("%lu %s\n", n, s);
			ssize_t w = write(fd, line, strlen(line));
			(void)w;
			free(line);
			free(s);
			close(fd);
		}
	}
	if (kill_at && *kill_at && strtoul(kill_at, NULL, 10) == n)
		kill(getpid(), SIGKILL);
	if (fail && *fail) {
		char *end;
		unsigned long at = strtoul(fail, &end, 10);
		if (at == n && *end == ':') {
			*fake_status = atoi(end + 1);
			return 1;
		}
	}
	return 0;
}
#else
int
ioc_fault_before_spawn(char *const *argv, int *fake_status)
{
	(void)argv;
	(void)fake_status;
	return 0;
}
#endif

struct ioc_child {
	pid_t pid;
	int out_pipe; /* read end, or -1 */
	int err_pipe;
	int in_pipe; /* write end for in_data, or -1 */
	const char *in_data;
	size_t in_len, in_off;
	int status;
	int fake;
};

static void
ioc_child_exec(const char *path, char *const *argv, const struct ioc_run_opts *o, int in, int out,
    int errfd, int report)
{
	struct ioc_strv env = IOC_STRV_INIT;
	size_t i;
	int e;
	sigset_t all;

	for (i = 1; i < NSIG; i++)
		signal((int)i, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (in != 0 && dup2(in, 0) < 0)
		goto fail;
	if (out != 1 && dup2(out, 1) < 0)
		goto fail;
	if (errfd != 2 && dup2(errfd, 2) < 0)
		goto fail;
	/* keep the report pipe open across close_from3: move it high first */
	if (report >= 3) {
		int r = fcntl(report, F_DUPFD_CLOEXEC, 1000);
		if (r >= 0)
			report = r;
	}
	if (ioc_close_from(3, report) != 0) {
		/* close everything but the (close-on-exec) report pipe */
		int keep = report;
		DIR *d = opendir("/proc/self/fd");
		if (d != NULL) {
			struct dirent *de;
			int dfd = dirfd(d);
			while ((de = readdir(d)) != NULL) {
				long long lfd;
				int fd =
				    ioc_parse_ll(de->d_name, 0, INT_MAX, &lfd) == 0 ? (int)lfd : -1;
				if (fd >= 3 && fd != dfd && fd != keep)
					close(fd);
			}
			closedir(d);
		} else {
			int fd;
			for (fd = 3; fd < 4096; fd++)
				if (fd != keep)
					close(fd);
		}
	}
	if (o->cwd && chdir(o->cwd) != 0)
		goto fail;
	ioc_strv_push(&env, "PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin");
	ioc_strv_push(&env, "LC_ALL=C");
	ioc_strv_push(&env, "HOME=/root");
	if (o->env)
		for (i = 0; o->env[i]; i++)
			ioc_strv_push(&env, o->env[i]);
	execve(path, argv, ioc_strv_argv(&env));
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Closes *fdp if open and marks it closed. */
static void
ioc_close_fdp(int *fdp)
{
	if (*fdp >= 0) {
		close(*fdp);
		*fdp = -1;
	}
}

static int
ioc_fd_for(int want, int stdno, int *pipe_read, int *to_close, struct ioc_error **err)
{
	int p[2];
	*pipe_read = -1;
	*to_close = -1;
	if (want == IOC_FD_INHERIT)
		return stdno;
	if (want == IOC_FD_NULL) {
		int fd = open("/dev/null", (stdno == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
		if (fd < 0)
			return ioc_err(err, "cannot open /dev/null: %s", strerror(errno));
		*to_close = fd;
		return fd;
	}
	if (want == IOC_FD_CAPTURE) {
		if (pipe2(p, O_CLOEXEC) != 0)
			return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
		if (stdno == 0) {
			*pipe_read = p[1]; /* the end we write */
			*to_close = p[0];
			return p[0];
		}
		*pipe_read = p[0];
		*to_close = p[1];
		return p[1];
	}
	return want;
}

/* Starts one child; fills c.  Returns 0 or -1. */
static int
ioc_child_start(
    char *const *argv, const struct ioc_run_opts *o, struct ioc_child *c, struct ioc_error **err)
{
	const char *path = ioc_prog_path(argv[0]);
	int in, out, errfd, in_close = -1, out_close = -1, err_close = -1;
	int rep[2], e = 0;
	ssize_t r;

	memset(c, 0, sizeof(*c));
	c->out_pipe = c->err_pipe = c->in_pipe = -1;
	c->pid = -1;
	if (path == NULL)
		return ioc_err(err, "program '%s' not found in the system directories", argv[0]);
	ioc_spawn_count++;
	if (ioc_fault_before_spawn(argv, &c->status)) {
		c->fake = 1;
		return 0;
	}
	in = ioc_fd_for(o->in_data ? IOC_FD_CAPTURE : o->in_fd, 0, &c->in_pipe, &in_close, err);
	if (in < 0)
		return -1;
	out = ioc_fd_for(o->out_fd, 1, &c->out_pipe, &out_close, err);
	errfd = out < 0 ? -1 : ioc_fd_for(o->err_fd, 2, &c->err_pipe, &err_close, err);
	if (errfd >= 0 && pipe2(rep, O_CLOEXEC) != 0) {
		ioc_err(err, "cannot create a pipe: %s", strerror(errno));
		errfd = -1;
	}
	if (errfd < 0) {
		int *fds[] = { &in_close, &out_close, &err_close, &c->in_pipe, &c->out_pipe,
			&c->err_pipe };
		size_t f;
		for (f = 0; f < sizeof(fds) / sizeof(fds[0]); f++)
			ioc_close_fdp(fds[f]);
		return -1;
	}
	c->in_data = o->in_data;
	c->in_len = o->in_len;
	c->pid = fork();
	if (c->pid == 0) {
		close(rep[0]);
		ioc_child_exec(path, argv, o, in, out, errfd, rep[1]);
	}
	close(rep[1]);
	if (in_close >= 0)
		close(in_close);
	if (out_close >= 0)
		close(out_close);
	if (err_close >= 0)
		close(err_close);
	if (c->pid < 0) {
		close(rep[0]);
		return ioc_err(err, "cannot fork: %s", strerror(errno));
	}
	do
		r = read(rep[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(rep[0]);
	if (r == sizeof(e)) {
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
		if (c->out_pipe >= 0)
			close(c->out_pipe);
		if (c->err_pipe >= 0)
			close(c->err_pipe);
		if (c->in_pipe >= 0)
			close(c->in_pipe);
		return ioc_err(err, "cannot run '%s': %s", path, strerror(e));
	}
	if (c->in_pipe >= 0 && c->in_data == NULL) {
		close(c->in_pipe);
		c->in_pipe = -1;
	}
	return 0;
}

static long long
ioc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Pumps the pipes of n children until all are closed, then reaps them. */
static void
ioc_children_wait(struct ioc_child *cs, struct ioc_run_result **rs, size_t n, int timeout_ms)
{
	long long deadline = timeout_ms > 0 ? ioc_now_ms() + timeout_ms : 0;
	int killed = 0;
	size_t i;
	char buf[16384];

	for (;;) {
		struct pollfd pf[12];
		struct ioc_sb *dst[12];
		int *fdp[12];
		int np = 0, tmo = -1, pr;
		for (i = 0; i < n && i < 4; i++) {
			if (cs[i].out_pipe >= 0) {
				pf[np] = (struct pollfd) { cs[i].out_pipe, POLLIN, 0 };
				dst[np] = rs[i] ? &rs[i]->out : NULL;
				fdp[np++] = &cs[i].out_pipe;
			}
			if (cs[i].err_pipe >= 0) {
				pf[np] = (struct pollfd) { cs[i].err_pipe, POLLIN, 0 };
				dst[np] = rs[i] ? &rs[i]->err : NULL;
				fdp[np++] = &cs[i].err_pipe;
			}
			if (cs[i].in_pipe >= 0) {
				pf[np] = (struct pollfd) { cs[i].in_pipe, POLLOUT, 0 };
				dst[np] = NULL;
				fdp[np++] = &cs[i].in_pipe;
			}
		}
		if (np == 0)
			break;
		if (deadline) {
			long long left = deadline - ioc_now_ms();
			if (left <= 0) {
				for (i = 0; i < n; i++)
					if (cs[i].pid > 0)
						kill(cs[i].pid, killed ? SIGKILL : SIGTERM);
				killed++;
				deadline = ioc_now_ms() + 2000;
				left = 2000;
			}
			tmo = (int)left;
		}
		pr = poll(pf, (nfds_t)np, tmo);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		for (i = 0; i < (size_t)np; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].events & POLLOUT) {
				size_t k;
				for (k = 0; k < n; k++)
					if (&cs[k].in_pipe == fdp[i])
						break;
				if (pf[i].revents & POLLOUT && cs[k].in_off < cs[k].in_len) {
					ssize_t w = write(*fdp[i], cs[k].in_data + cs[k].in_off,
					    cs[k].in_len - cs[k].in_off);
					if (w > 0)
						cs[k].in_off += (size_t)w;
					else if (w < 0 && errno != EAGAIN && errno != EINTR)
						cs[k].in_off = cs[k].in_len;
				}
				if (cs[k].in_off >= cs[k].in_len ||
				    (pf[i].revents & (POLLERR | POLLHUP)))
					ioc_close_fdp(fdp[i]);
				continue;
			}
			{
				ssize_t r = read(*fdp[i], buf, sizeof(buf));
				if (r > 0) {
					if (dst[i])
						ioc_sb_add(dst[i], buf, (size_t)r);
				} else if (r == 0 || (errno != EINTR && errno != EAGAIN))
					ioc_close_fdp(fdp[i]);
			}
		}
	}
	for (i = 0; i < n; i++) {
		int st;
		pid_t w;
		if (cs[i].fake) {
			if (rs[i])
				rs[i]->status = cs[i].status;
			continue;
		}
		if (cs[i].pid <= 0)
			continue;
		if (deadline) {
			/* output closed; still honour the timeout while waiting */
			for (;;) {
				w = waitpid(cs[i].pid, &st, WNOHANG);
				if (w == cs[i].pid)
					break;
				if (ioc_now_ms() > deadline) {
					kill(cs[i].pid, killed ? SIGKILL : SIGTERM);
					killed++;
					deadline = ioc_now_ms() + 2000;
				}
				usleep(10000);
			}
		} else {
			do
				w = waitpid(cs[i].pid, &st, 0);
			while (w < 0 && errno == EINTR);
		}
		cs[i].status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st)	     ? 128 + WTERMSIG(st) :
					       255;
		if (rs[i])
			rs[i]->status = cs[i].status;
	}
}

int
ioc_run(char *const *argv, const struct ioc_run_opts *o, struct ioc_run_result *res,
    struct ioc_error **err)
{
	struct ioc_run_opts def;
	struct ioc_child c;
	struct ioc_run_result *rs[1] = { res };
	if (o == NULL) {
		ioc_run_opts_init(&def);
		o = &def;
	}
	double t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	if (ioc_child_start(argv, o, &c, err) != 0)
		return -1;
	ioc_children_wait(&c, rs, 1, o->timeout_ms);
	if (ioc_trace_on()) {
		_cleanup_free_ char *a = ioc_argv_str(argv);
		ioc_trace(t0, "run %.160s", a);
	}
	return 0;
}

int
ioc_run_pipe(char *const *a, const struct ioc_run_opts *oa, struct ioc_run_result *ra,
    char *const *b, const struct ioc_run_opts *ob, struct ioc_run_result *rb,
    struct ioc_error **err)
{
	struct ioc_run_opts xa = *oa, xb = *ob;
	struct ioc_child cs[2];
	struct ioc_run_result *rs[2] = { ra, rb };
	double t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	xa.out_fd = p[1];
	xb.in_fd = p[0];
	xb.in_data = NULL;
	/*
	 * The reader starts first: a writer that never starts (or a caller
	 * killed in between) leaves it an empty stream, which it refuses.  A
	 * writer killed mid-stream is what the other order risks: zfs-fuse's
	 * `zfs send -R` then keeps its temporary hold on the snapshots.
	 */
	if (ioc_child_start(b, &xb, &cs[1], err) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[0]);
	if (ioc_child_start(a, &xa, &cs[0], err) != 0) {
		close(p[1]);
		ioc_children_wait(cs + 1, rs + 1, 1, 0);
		return -1;
	}
	close(p[1]);
	ioc_children_wait(cs, rs, 2, oa->timeout_ms);
	if (ioc_trace_on()) {
		_cleanup_free_ char *sa = ioc_argv_str(a);
		_cleanup_free_ char *sb = ioc_argv_str(b);
		ioc_trace(t0, "run %.100s | %.100s", sa, sb);
	}
	return 0;
}

/* First non-empty line of s, trimmed. */
static char *
ioc_first_line(const char *s)
{
	const char *e;
	while (*s == '\n' || *s == ' ')
		s++;
	e = strchr(s, '\n');
	return e ? ioc_xstrndup(s, (size_t)(e - s)) : ioc_xstrdup(s);
}

int
ioc_run_ok(char *const *argv, char **out, struct ioc_error **err)
{
	struct ioc_run_result r;
	ioc_run_result_init(&r);
	if (ioc_run(argv, NULL, &r, err) != 0) {
		ioc_run_result_release(&r);
		return -1;
	}
	if (r.status != 0) {
		_cleanup_free_ char *line = ioc_first_line(r.err.buf);
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (*line)
			ioc_err(err, "%s", line);
		else
			ioc_err(err, "%s %s failed with status %d", base, argv[1] ? argv[1] : "",
			    r.status);
		ioc_run_result_release(&r);
		return -1;
	}
	if (out)
		*out = ioc_sb_detach(&r.out);
	ioc_run_result_release(&r);
	return 0;
}

/* ---- a program running in a thread (its stdin or stdout is the caller's pipe) ---- */

static void *
ioc_async_main(void *arg)
{
	struct ioc_async *b = arg;
	b->rc = ioc_run(ioc_strv_argv(&b->argv), &b->o, &b->r, &b->err);
	if (b->close_fd >= 0)
		close(b->close_fd);
	b->close_fd = -1;
	return NULL;
}

int
ioc_run_async(struct ioc_async *b, const struct ioc_strv *argv, int in_fd, int out_fd, int child_fd,
    struct ioc_error **err)
{
	size_t i;
	memset(b, 0, sizeof(*b));
	ioc_strv_init(&b->argv);
	for (i = 0; i < argv->n; i++)
		ioc_strv_push(&b->argv, argv->v[i]);
	ioc_run_opts_init(&b->o);
	b->o.in_fd = in_fd;
	b->o.out_fd = out_fd;
	b->o.err_fd = IOC_FD_CAPTURE;
	ioc_run_result_init(&b->r);
	b->close_fd = child_fd;
	if (pthread_create(&b->t, NULL, ioc_async_main, b) != 0) {
		ioc_strv_release(&b->argv);
		ioc_run_result_release(&b->r);
		return ioc_err(err, "cannot start a thread: %s", strerror(errno));
	}
	return 0;
}

int
ioc_run_async_wait(struct ioc_async *b, const char *what, struct ioc_error **err)
{
	int rc = 0;
	pthread_join(b->t, NULL);
	if (b->rc != 0) {
		rc = ioc_err(err, "%s: %s", what, b->err ? b->err->msg : "cannot run");
	} else if (b->r.status != 0) {
		size_t l = b->r.err.len;
		while (l && b->r.err.buf[l - 1] == '\n')
			b->r.err.buf[--l] = '\0';
		rc = ioc_err(err, "%s failed: %s", what, l ? b->r.err.buf : "(no message)");
	}
	ioc_error_free(b->err);
	ioc_strv_release(&b->argv);
	ioc_run_result_release(&b->r);
	return rc;
}

int
ioc_fault_swap(const char *path, struct ioc_error **err)
{
#ifdef IOC_FAULT_INJECT
	const char *swap = getenv("IOC_FAULT_SWAP");
	if (swap && rename(swap, path) != 0)
		return ioc_err(err, "IOC_FAULT_SWAP: %s", strerror(errno));
#else
	(void)path;
	(void)err;
#endif
	return 0;
}
