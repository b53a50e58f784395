/* plan.c — step lists with undo: build, render, run (see plan.h). */
#include "engine/plan.h"

#include "spawn/spawn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
ioc_plan_init(struct ioc_plan *p, const char *title)
{
	memset(p, 0, sizeof(*p));
	p->title = ioc_xstrdup(title ? title : "plan");
}

static void
ioc_pargv_release(struct ioc_pargv *a)
{
	size_t i;
	ioc_strv_release(&a->w);
	for (i = 0; i < a->nvars; i++)
		free(a->var_name[i]);
	free(a->var_name);
	free(a->var_idx);
	memset(a, 0, sizeof(*a));
}

void
ioc_plan_release(struct ioc_plan *p)
{
	size_t i, k;
	for (i = 0; i < p->n; i++) {
		struct ioc_step *s = &p->v[i];
		ioc_pargv_release(&s->cmd);
		for (k = 0; k < s->nundo; k++)
			ioc_pargv_release(&s->undo[k]);
		free(s->undo);
		free(s->reply_var);
		free(s->hint);
		free(s->chk_root);
		free(s->chk_rel);
		free(s->data);
		free(s->env);
	}
	free(p->v);
	free(p->title);
	memset(p, 0, sizeof(*p));
}

void
ioc_pargv_push(struct ioc_pargv *a, const char *word)
{
	ioc_strv_push(&a->w, word);
}

void
ioc_pargv_push_var(struct ioc_pargv *a, const char *var)
{
	a->var_idx = ioc_xrealloc(a->var_idx, (a->nvars + 1) * sizeof(*a->var_idx));
	a->var_name = ioc_xrealloc(a->var_name, (a->nvars + 1) * sizeof(*a->var_name));
	a->var_idx[a->nvars] = a->w.n;
	a->var_name[a->nvars] = ioc_xstrdup(var);
	a->nvars++;
	ioc_strv_push(&a->w, ""); /* filled when the plan runs */
}

void
ioc_pargv_pushv(struct ioc_pargv *a, const struct ioc_strv *words)
{
	size_t i;
	for (i = 0; i < words->n; i++)
		ioc_strv_push(&a->w, words->v[i]);
}

static void
ioc_pargv_pushl(struct ioc_pargv *a, const char *const *words)
{
	for (; words && *words; words++)
		ioc_strv_push(&a->w, *words);
}

static struct ioc_step *
ioc_plan_new_step(struct ioc_plan *p)
{
	struct ioc_step *s;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->v = ioc_xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	ioc_strv_init(&s->cmd.w);
	return s;
}

struct ioc_step *
ioc_plan_add(struct ioc_plan *p, const char *const *words)
{
	struct ioc_step *s = ioc_plan_new_step(p);
	s->kind = IOC_STEP_RUN;
	ioc_pargv_pushl(&s->cmd, words);
	return s;
}

struct ioc_step *
ioc_plan_add_check(struct ioc_plan *p, const char *root, const char *rel)
{
	struct ioc_step *s = ioc_plan_new_step(p);
	s->kind = IOC_STEP_CHECK_DIR;
	s->chk_root = ioc_xstrdup(root);
	s->chk_rel = ioc_xstrdup(rel);
	return s;
}

struct ioc_step *
ioc_plan_add_write(struct ioc_plan *p, const char *root, const char *rel, const char *data)
{
	struct ioc_step *s = ioc_plan_new_step(p);
	s->kind = IOC_STEP_WRITE_FILE;
	s->chk_root = ioc_xstrdup(root);
	s->chk_rel = ioc_xstrdup(rel);
	s->data = ioc_xstrdup(data);
	return s;
}

void
ioc_step_set_stdin(struct ioc_step *s, const char *data)
{
	free(s->data);
	s->data = ioc_xstrdup(data);
}

struct ioc_pargv *
ioc_step_undo(struct ioc_step *s, const char *const *words)
{
	struct ioc_pargv *a;
	s->undo = ioc_xrealloc(s->undo, (s->nundo + 1) * sizeof(*s->undo));
	a = &s->undo[s->nundo++];
	memset(a, 0, sizeof(*a));
	ioc_strv_init(&a->w);
	ioc_pargv_pushl(a, words);
	return a;
}

void
ioc_step_set_reply(struct ioc_step *s, enum ioc_reply r, const char *var)
{
	s->reply = r;
	free(s->reply_var);
	s->reply_var = ioc_xstrdup(var);
}

void
ioc_step_set_hint(struct ioc_step *s, const char *hint)
{
	free(s->hint);
	s->hint = ioc_xstrdup(hint);
}

/* The variable filling word i of a, or NULL. */
static const char *
ioc_pargv_var_at(const struct ioc_pargv *a, size_t i)
{
	size_t k;
	for (k = 0; k < a->nvars; k++)
		if (a->var_idx[k] == i)
			return a->var_name[k];
	return NULL;
}

/* One line: words quoted as ioc_argv_str does, late-bound words as ${VAR}. */
static void
ioc_pargv_render(const struct ioc_pargv *a, struct ioc_sb *out)
{
	size_t i;
	for (i = 0; i < a->w.n; i++) {
		const char *var = ioc_pargv_var_at(a, i);
		if (i)
			ioc_sb_addc(out, ' ');
		if (var) {
			ioc_sb_addf(out, "${%s}", var);
		} else {
			char *one[2] = { a->w.v[i], NULL };
			char *q = ioc_argv_str(one);
			ioc_sb_adds(out, q);
			free(q);
		}
	}
}

void
ioc_plan_render(const struct ioc_plan *p, struct ioc_sb *out)
{
	size_t i, k;
	ioc_sb_addf(out, "plan: %s\n", p->title);
	for (i = 0; i < p->n; i++) {
		const struct ioc_step *s = &p->v[i];
		ioc_sb_addf(out, "%3zu  ", i + 1);
		if (s->kind == IOC_STEP_CHECK_DIR) {
			char *w[3] = { s->chk_root, s->chk_rel, NULL };
			char *q = ioc_argv_str(w);
			ioc_sb_addf(out, "[check: directory, no symlinks] %s", q);
			free(q);
		} else if (s->kind == IOC_STEP_WRITE_FILE) {
			char *w[4] = { s->chk_root, s->chk_rel, s->data, NULL };
			char *q = ioc_argv_str(w);
			ioc_sb_addf(out, "[write file, no symlinks] %s", q);
			free(q);
		} else {
			if (s->env) {
				char *one[2] = { s->env, NULL };
				char *q = ioc_argv_str(one);
				ioc_sb_addf(out, "[env %s] ", q);
				free(q);
			}
			ioc_pargv_render(&s->cmd, out);
		}
		ioc_sb_addc(out, '\n');
		if (s->flags || s->timeout_s) {
			ioc_sb_adds(out, "     flags:");
			if (s->flags & IOC_STEP_CONTINUE)
				ioc_sb_adds(out, " continue-on-failure");
			if (s->flags & IOC_STEP_IGNORE)
				ioc_sb_adds(out, " failure-ignored");
			if (s->flags & IOC_STEP_INTERACTIVE)
				ioc_sb_adds(out, " interactive");
			if (s->flags & IOC_STEP_STATUS)
				ioc_sb_adds(out, " exit-status-is-result");
			if (s->timeout_s)
				ioc_sb_addf(out, " timeout=%ds", s->timeout_s);
			ioc_sb_addc(out, '\n');
		}
		if (s->kind == IOC_STEP_RUN && s->data) {
			char *one[2] = { s->data, NULL };
			char *q = ioc_argv_str(one);
			ioc_sb_addf(out, "     stdin: %s\n", q);
			free(q);
		}
		if (s->reply == IOC_REPLY_EPAIR)
			ioc_sb_addf(out, "     reply used: epairNa -> ${%sa}, ${%sb} = epairNb\n",
			    s->reply_var, s->reply_var);
		else if (s->reply == IOC_REPLY_JID)
			ioc_sb_addf(out, "     reply used: jid -> ${%s}\n", s->reply_var);
		for (k = 0; k < s->nundo; k++) {
			ioc_sb_adds(out, "     undo: ");
			ioc_pargv_render(&s->undo[k], out);
			ioc_sb_addc(out, '\n');
		}
		if (s->hint)
			ioc_sb_addf(out, "     on failure: %s\n", s->hint);
	}
}

/* Variables set by replies: "NAME=VALUE" entries. */
static const char *
ioc_vars_get(const struct ioc_strv *vars, const char *name)
{
	size_t i, n = strlen(name);
	for (i = 0; i < vars->n; i++)
		if (strncmp(vars->v[i], name, n) == 0 && vars->v[i][n] == '=')
			return vars->v[i] + n + 1;
	return NULL;
}

/* Fills the late-bound words of a into a new argv (out). */
static int
ioc_pargv_resolve(const struct ioc_pargv *a, const struct ioc_strv *vars, struct ioc_strv *out,
    struct ioc_error **err)
{
	size_t i;
	for (i = 0; i < a->w.n; i++) {
		const char *var = ioc_pargv_var_at(a, i);
		const char *val = var ? ioc_vars_get(vars, var) : a->w.v[i];
		if (val == NULL)
			return ioc_err(err,
			    "internal error: plan variable '%s' used before a step set it", var);
		ioc_strv_push(out, val);
	}
	return 0;
}

char *
ioc_plan_reply_line(const char *out)
{
	const char *s = out ? out : "";
	size_t n = strcspn(s, "\n");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return ioc_xstrndup(s, n);
}

/* Parses a reply of the step's form into vars; -1 when it has another form. */
static int
ioc_reply_parse(const struct ioc_step *s, const char *raw, struct ioc_strv *vars)
{
	_cleanup_free_ char *line = ioc_plan_reply_line(raw);
	size_t n = strlen(line), i;
	switch (s->reply) {
	case IOC_REPLY_NONE: return 0;
	case IOC_REPLY_EPAIR:
		/* epair(4) clones are epair<unit>a / epair<unit>b */
		if (n < 7 || n > 15 || strncmp(line, "epair", 5) != 0 || line[n - 1] != 'a')
			return -1;
		for (i = 5; i < n - 1; i++)
			if (!isdigit((unsigned char)line[i]))
				return -1;
		ioc_strv_pushf(vars, "%sa=%s", s->reply_var, line);
		line[n - 1] = 'b';
		ioc_strv_pushf(vars, "%sb=%s", s->reply_var, line);
		return 0;
	case IOC_REPLY_JID:
		if (n == 0 || n > 9 || line[0] == '0')
			return -1;
		for (i = 0; i < n; i++)
			if (!isdigit((unsigned char)line[i]))
				return -1;
		ioc_strv_pushf(vars, "%s=%s", s->reply_var, line);
		return 0;
	}
	return -1;
}

/* "'cmd words' failed: detail" into sb. */
static void
ioc_step_failure(struct ioc_sb *sb, const struct ioc_step *s, char *const *argv, int rc, int st,
    const struct ioc_error *e)
{
	if (s->kind != IOC_STEP_RUN) {
		ioc_sb_addf(sb, "%s", e && e->msg ? e->msg : "path check failed");
	} else {
		char *cmd = ioc_argv_str(argv);
		if (e && e->msg)
			ioc_sb_addf(sb, "'%s' failed: %s", cmd, e->msg);
		else if (rc != 0)
			ioc_sb_addf(sb, "'%s' could not be run", cmd);
		else
			ioc_sb_addf(sb, "'%s' failed with exit status %d", cmd, st);
		free(cmd);
	}
	if (s->hint)
		ioc_sb_addf(sb, " (%s)", s->hint);
}

/* Runs the undo commands of completed steps [0, upto) in reverse. */
static void
ioc_plan_undo(const struct ioc_plan *p, const unsigned char *done, size_t upto,
    const struct ioc_strv *vars, ioc_plan_exec_fn fn, void *ctx, struct ioc_sb *fails)
{
	size_t i, k;
	for (i = upto; i > 0; i--) {
		const struct ioc_step *s = &p->v[i - 1];
		if (!done[i - 1])
			continue;
		for (k = 0; k < s->nundo; k++) {
			struct ioc_strv argv = IOC_STRV_INIT;
			struct ioc_error *e = NULL;
			int st = 0, rc;
			struct ioc_step us;
			ioc_strv_init(&argv);
			memset(&us, 0, sizeof(us));
			us.kind = IOC_STEP_RUN;
			us.timeout_s = 60;
			if (ioc_pargv_resolve(&s->undo[k], vars, &argv, &e) != 0) {
				ioc_sb_addf(fails, "; undo: %s", e->msg);
				ioc_error_free(e);
				ioc_strv_release(&argv);
				continue;
			}
			rc = fn(ctx, &us, ioc_strv_argv(&argv), 1, &st, NULL, &e);
			if (rc != 0 || st != 0) {
				ioc_sb_adds(fails, "; undo ");
				ioc_step_failure(fails, &us, ioc_strv_argv(&argv), rc, st, e);
			}
			ioc_error_free(e);
			ioc_strv_release(&argv);
		}
	}
}

int
ioc_plan_run(const struct ioc_plan *p, unsigned flags, ioc_plan_exec_fn fn, void *ctx, int *status,
    struct ioc_error **err)
{
	struct ioc_strv vars = IOC_STRV_INIT;
	struct ioc_sb later = IOC_SB_INIT;
	unsigned char *done = ioc_xcalloc(p->n ? p->n : 1, 1);
	size_t i;
	int rv = 0;

	ioc_strv_init(&vars);
	ioc_sb_init(&later);
	if (status)
		*status = 0;
	for (i = 0; i < p->n; i++) {
		const struct ioc_step *s = &p->v[i];
		struct ioc_strv argv = IOC_STRV_INIT;
		struct ioc_error *e = NULL;
		char *reply = NULL;
		int st = 0, rc, ok;

		ioc_strv_init(&argv);
		if (s->kind == IOC_STEP_RUN && ioc_pargv_resolve(&s->cmd, &vars, &argv, &e) != 0) {
			rc = -1;
		} else {
			rc = fn(ctx, s, ioc_strv_argv(&argv), 0, &st,
			    s->reply != IOC_REPLY_NONE ? &reply : NULL, &e);
		}
		ok = rc == 0 && (st == 0 || (s->flags & IOC_STEP_STATUS));
		if (ok && (s->flags & IOC_STEP_STATUS) && status)
			*status = st;
		if (ok && s->reply != IOC_REPLY_NONE && ioc_reply_parse(s, reply, &vars) != 0) {
			_cleanup_free_ char *line = ioc_plan_reply_line(reply);
			ok = 0;
			ioc_error_free(e);
			e = NULL;
			if (ioc_has_ctrl(line) || strlen(line) > 64)
				ioc_err(&e, "unexpected reply (not printable or too long)");
			else
				ioc_err(&e, "unexpected reply '%s'", line);
		}
		free(reply);
		if (ok) {
			done[i] = 1;
		} else if (s->flags & IOC_STEP_IGNORE) {
			/* documented per step: e.g. nothing to remove */
		} else if (s->flags & IOC_STEP_CONTINUE) {
			if (later.len)
				ioc_sb_adds(&later, "; ");
			ioc_step_failure(&later, s, ioc_strv_argv(&argv), rc, st, e);
		} else {
			struct ioc_sb msg = IOC_SB_INIT;
			ioc_sb_init(&msg);
			ioc_step_failure(&msg, s, ioc_strv_argv(&argv), rc, st, e);
			if (later.len)
				ioc_sb_addf(&msg, "; also %s", later.buf);
			if (flags & IOC_PLAN_UNDO)
				ioc_plan_undo(p, done, i, &vars, fn, ctx, &msg);
			ioc_err(err, "%s", msg.buf);
			ioc_sb_release(&msg);
			ioc_error_free(e);
			ioc_strv_release(&argv);
			rv = -1;
			goto out;
		}
		ioc_error_free(e);
		ioc_strv_release(&argv);
	}
	if (later.len) {
		ioc_err(err, "%s", later.buf);
		rv = -1;
	}
out:
	free(done);
	ioc_strv_release(&vars);
	ioc_sb_release(&later);
	return rv;
}

/* Opens rel (absolute inside the jail) below root as a directory, one
 * component at a time with O_NOFOLLOW; what names the path in messages. */
static int
ioc_open_below(const char *root, const char *rel, const char *what, struct ioc_error **err)
{
	struct ioc_strv comps = IOC_STRV_INIT;
	size_t i;
	int fd;

	if (rel[0] != '/')
		return ioc_err(err, "%s '%s' must be an absolute path inside the jail", what, rel);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "jail root %s: %s", root, strerror(errno));
	ioc_strv_init(&comps);
	ioc_strv_split(&comps, rel + 1, '/');
	for (i = 0; i < comps.n && fd >= 0; i++) {
		const char *c = comps.v[i];
		struct stat st;
		int nfd, e;
		if (*c == '\0' || strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			ioc_err(err, "%s '%s' contains '..'", what, rel);
			close(fd);
			fd = -1;
			break;
		}
		nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		if (nfd < 0) {
			if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				ioc_err(err,
				    "%s '%s' in jail root %s: '%s' is a symbolic link; "
				    "refusing to go through it",
				    what, rel, root, c);
			else if (e == ENOENT)
				ioc_err(
				    err, "%s '%s' does not exist in jail root %s", what, rel, root);
			else
				ioc_err(err, "%s '%s' in jail root %s: %s", what, rel, root,
				    strerror(e == ELOOP ? ENOTDIR : e));
		}
		close(fd);
		fd = nfd;
	}
	ioc_strv_release(&comps);
	return fd;
}

int
ioc_plan_check_dir(const char *root, const char *rel, struct ioc_error **err)
{
	int fd = ioc_open_below(root, rel, "mount target", err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
ioc_plan_write_file(const char *root, const char *rel, const char *data, struct ioc_error **err)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	const char *base;
	size_t len = strlen(data), off = 0;
	int dfd, fd, rv = 0;

	base = strrchr(rel, '/');
	if (base == NULL || base[1] == '\0' || strcmp(base + 1, ".") == 0 ||
	    strcmp(base + 1, "..") == 0)
		return ioc_err(err, "file '%s' must be an absolute file path inside the jail", rel);
	dir = ioc_xstrndup(rel, (size_t)(base - rel) + 1);
	base++;
	dfd = ioc_open_below(root, dir, "directory", err);
	if (dfd < 0)
		return -1;
	tmp = ioc_xasprintf(".%s.iocage-%ld", base, (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rv =
		    ioc_err(err, "cannot write %s in jail root %s: %s", rel, root, strerror(errno));
		close(dfd);
		return rv;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rv = ioc_err(
			    err, "cannot write %s in jail root %s: %s", rel, root, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && rv == 0)
		rv =
		    ioc_err(err, "cannot write %s in jail root %s: %s", rel, root, strerror(errno));
	if (rv == 0 && renameat(dfd, tmp, dfd, base) != 0)
		rv = ioc_err(
		    err, "cannot replace %s in jail root %s: %s", rel, root, strerror(errno));
	if (rv != 0)
		(void)unlinkat(dfd, tmp, 0);
	close(dfd);
	return rv;
}

int
ioc_plan_exec_real(void *ctx, const struct ioc_step *s, char *const *argv, int is_undo, int *status,
    char **reply, struct ioc_error **err)
{
	struct ioc_run_opts o;
	struct ioc_run_result r;
	const char *env[2] = { s->env, NULL };
	(void)ctx;
	(void)is_undo;

	*status = 0;
	if (s->kind == IOC_STEP_CHECK_DIR) {
		if (ioc_plan_check_dir(s->chk_root, s->chk_rel, err) != 0)
			*status = 1;
		return 0;
	}
	if (s->kind == IOC_STEP_WRITE_FILE) {
		if (ioc_plan_write_file(s->chk_root, s->chk_rel, s->data, err) != 0)
			*status = 1;
		return 0;
	}
	ioc_run_opts_init(&o);
	o.timeout_ms = s->timeout_s * 1000;
	if (s->env)
		o.env = env;
	o.in_data = s->data;
	o.in_len = s->data ? strlen(s->data) : 0;
	if (s->flags & (IOC_STEP_INTERACTIVE | IOC_STEP_STATUS)) {
		o.in_fd = (s->flags & IOC_STEP_INTERACTIVE) ? IOC_FD_INHERIT : IOC_FD_NULL;
		o.out_fd = IOC_FD_INHERIT;
		o.err_fd = IOC_FD_INHERIT;
	}
	ioc_run_result_init(&r);
	if (ioc_run(argv, &o, &r, err) != 0) {
		ioc_run_result_release(&r);
		return -1;
	}
	*status = r.status;
	if (r.status != 0 && r.err.len) {
		_cleanup_free_ char *line = ioc_plan_reply_line(r.err.buf);
		if (*line && !ioc_has_ctrl(line))
			ioc_err(err, "%s", line);
	}
	if (reply)
		*reply = ioc_sb_detach(&r.out);
	ioc_run_result_release(&r);
	return 0;
}
