/*
 * apply.c — recipes made real: `iocage apply FILE [TAG]` (core/recipe.h,
 * docs/RECIPES.md).
 *
 * Everything is read and checked before the first change: the copy sources
 * (opened beneath the recipe's folder without following any link, read into
 * memory, so what is hashed is what is written), the property values (the
 * table's and the engine's checks, as create and set make them), the jail
 * (not a template, not a replica, the recipe's release and type).  Steps
 * inside the jail run as the jail's root through the engine's exec, so a
 * path in the jail resolves in the jail and an owner is one of its ids: the
 * host never writes into a jail's tree.
 */
#include "ops/ops.h"

#include "core/runrec.h"
#include "util/sha256.h"
#include "zfs/zfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IOC_APPLY_FILE_MAX ((size_t)16 << 20)
#define IOC_APPLY_FILES_MAX ((size_t)64 << 20)

struct ioc_apply_old {
	const struct ioc_prop *p;
	char *value; /* the local value before, or NULL: it was not set on the jail */
	char *was; /* the value it had */
};

struct ioc_apply {
	const struct ioc_root *root;
	const struct ioc_apply_req *req;
	struct ioc_jails js; /* every jail (tags, depends) and then the jail itself */
	struct ioc_jail *j; /* NULL: to be made */
	char *uuid;
	struct ioc_assign *as; /* the properties the recipe wants, last one of a name */
	size_t nas;
	unsigned char *diff; /* per as: differs from the jail */
	size_t ndiff;
	char **content; /* per step: a copy's bytes */
	size_t *clen;
	char (*ids)[17]; /* per step */
	unsigned char *todo; /* per step */
	size_t ntodo;
	int running; /* the jail ran before */
	int existed; /* the jail was there before */
	char *snap; /* DATASET@ioc-apply-TIME once taken */
	struct ioc_apply_old *old;
	size_t nold;
};

/* ------------------------------------------------------------ reading */

/*
 * Opens rel beneath dirfd, following no link on the way; the fd of a regular
 * file (what: "copy"), or of a folder or file (what: "mount"), or -1.
 */
static int
ioc_apply_open_beneath(int dirfd, const char *rel, const char *what, struct ioc_error **err)
{
	_cleanup_free_ char *p = ioc_xstrdup(rel);
	char *s = p, *slash;
	int fd = dup(dirfd), next;
	struct stat st;

	if (fd < 0)
		return ioc_err(err, "%s: %s", what, strerror(errno));
	while ((slash = strchr(s, '/')) != NULL) {
		*slash = '\0';
		next = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return ioc_err(err, "%s: source '%s': folder '%s' beside the recipe: %s%s",
			    what, rel, s, strerror(errno),
			    errno == ELOOP || errno == ENOTDIR ?
				" (a link: sources never leave the recipe's folder)" :
				"");
		fd = next;
		s = slash + 1;
	}
	next = openat(fd, s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(fd);
	if (next < 0)
		return ioc_err(err, "%s: source '%s' beside the recipe: %s%s", what, rel,
		    strerror(errno),
		    errno == ELOOP ? " (a link: sources never leave the recipe's folder)" : "");
	if (fstat(next, &st) != 0 ||
	    !(S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && strcmp(what, "mount") == 0))) {
		close(next);
		return ioc_err(err, "%s: source '%s' is not a regular file%s", what, rel,
		    strcmp(what, "mount") == 0 ? " or a folder" : "");
	}
	if ((unsigned long long)st.st_size > IOC_APPLY_FILE_MAX) {
		close(next);
		return ioc_err(err, "copy: source '%s' is larger than 16 MiB", rel);
	}
	return next;
}

/* Reads every copy source and gives each step its identity. */
static int
ioc_apply_read_sources(struct ioc_apply *a, struct ioc_error **err)
{
	const struct ioc_recipe *r = a->req->r;
	size_t i, total = 0;
	a->content = ioc_xcalloc(r->nsteps + 1, sizeof(*a->content));
	a->clen = ioc_xcalloc(r->nsteps + 1, sizeof(*a->clen));
	a->ids = ioc_xcalloc(r->nsteps + 1, sizeof(*a->ids));
	a->todo = ioc_xcalloc(r->nsteps + 1, 1);
	for (i = 0; i < r->nsteps; i++) {
		const struct ioc_recipe_step *s = &r->steps[i];
		char hex[65] = "";
		if (s->kind == IOC_RS_COPY) {
			struct ioc_sha256 h;
			_cleanup_close_ int fd =
			    ioc_apply_open_beneath(a->req->dirfd, s->words.v[0], "copy", err);
			struct ioc_sb sb = IOC_SB_INIT;
			char buf[65536];
			ssize_t n;
			if (fd < 0)
				return ioc_error_wrap(err, "recipe line %d", s->line);
			ioc_sb_init(&sb);
			while ((n = read(fd, buf, sizeof(buf))) > 0 && sb.len <= IOC_APPLY_FILE_MAX)
				ioc_sb_add(&sb, buf, (size_t)n);
			if (n < 0 || sb.len > IOC_APPLY_FILE_MAX) {
				ioc_sb_release(&sb);
				return ioc_err(err, "recipe line %d: copy: cannot read '%s'%s",
				    s->line, s->words.v[0], n < 0 ? "" : ": larger than 16 MiB");
			}
			total += sb.len;
			if (total > IOC_APPLY_FILES_MAX) {
				ioc_sb_release(&sb);
				return ioc_err(
				    err, "recipe: the files copied are larger than 64 MiB in all");
			}
			a->clen[i] = sb.len;
			a->content[i] = ioc_sb_detach(&sb);
			ioc_sha256_init(&h);
			ioc_sha256_update(&h, a->content[i], a->clen[i]);
			ioc_sha256_final_hex(&h, hex);
		}
		ioc_recipe_step_id(s, s->kind == IOC_RS_COPY ? hex : NULL, a->ids[i]);
	}
	return 0;
}

/* The wanted properties: set lines (the last of a name wins), mount and forward lines. */
static int
ioc_apply_props(struct ioc_apply *a, struct ioc_error **err)
{
	const struct ioc_recipe *r = a->req->r;
	_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
	size_t i, k;
	for (i = 0; i < r->sets.n; i++) {
		size_t nl = strcspn(r->sets.v[i], "=");
		int later = 0;
		for (k = i + 1; k < r->sets.n && !later; k++)
			later = strncmp(r->sets.v[k], r->sets.v[i], nl + 1) == 0;
		if (!later)
			ioc_strv_push(&w, r->sets.v[i]);
	}
	if (r->mounts.n) {
		/* mount sources: beneath the recipe's folder, no link on the way */
		struct ioc_sb fs = IOC_SB_INIT;
		ioc_sb_init(&fs);
		for (i = 0; i < r->mounts.n; i++) {
			size_t sl = strcspn(r->mounts.v[i], " ");
			_cleanup_free_ char *src = ioc_xstrndup(r->mounts.v[i], sl);
			int fd = ioc_apply_open_beneath(a->req->dirfd, src, "mount", err);
			if (fd < 0) {
				ioc_sb_release(&fs);
				return ioc_error_wrap(err, "recipe");
			}
			close(fd);
			ioc_sb_addf(&fs, "%s%s/%s", i ? ";" : "", a->req->dirpath, r->mounts.v[i]);
		}
		ioc_strv_pushf(&w, "fstab=%s", fs.buf);
		ioc_sb_release(&fs);
	}
	if (r->forwards)
		ioc_strv_pushf(&w, "nat_forwards=%s", r->forwards);
	if (ioc_assigns_parse(w.v, w.n, &a->as, &a->nas, err) != 0)
		return ioc_error_wrap(err, "recipe");
	a->diff = ioc_xcalloc(a->nas + 1, 1);
	return 0;
}

/* ------------------------------------------------------------ the plan */

static const char *
ioc_apply_type_name(enum ioc_recipe_type t)
{
	return t == IOC_RT_THIN ? "clonejail" : t == IOC_RT_EMPTY ? "emptyjail" : "jail";
}

/* An existing jail: is it one a recipe may change, and what differs. */
static int
ioc_apply_check_jail(struct ioc_apply *a, struct ioc_error **err)
{
	const struct ioc_recipe *r = a->req->r;
	struct ioc_jail *j = a->j;
	const char *tag = a->req->tag, *type = ioc_jail_get(j, "type");
	_cleanup_free_ char *host = ioc_prop_builtin(ioc_prop_find("hostid"), NULL, NULL);
	size_t i;

	if (strcmp(ioc_jail_get(j, "template"), "yes") == 0)
		return ioc_err(err, "'%s' is a template: a recipe makes and changes jails", tag);
	if (ioc_jail_is_replica(j))
		return ioc_err(err,
		    "'%s' is a replica (iocage sync): it is changed only by its "
		    "source's sync",
		    tag);
	if (strcmp(ioc_jail_get(j, "hostid"), host) != 0)
		return ioc_err(err,
		    "'%s' has hostid %s, this host's is %s: a jail of another host is "
		    "not changed here ('iocage set hostid=%s %s' adopts it)",
		    tag, ioc_jail_get(j, "hostid"), host, host, tag);
	if (r->release && strcmp(ioc_jail_get(j, "release"), r->release) != 0)
		return ioc_err(err,
		    "'%s' is of release %s and the recipe names %s: a recipe does not "
		    "move a jail to another release",
		    tag, ioc_jail_get(j, "release"), r->release);
	if (r->type != IOC_RT_DEFAULT && strcmp(type, ioc_apply_type_name(r->type)) != 0 &&
	    !(r->type == IOC_RT_THICK && strcmp(type, "thickjail") == 0))
		return ioc_err(err,
		    "'%s' is a %s and the recipe says type %s: the type of a jail is "
		    "chosen when it is made",
		    tag, type,
		    r->type == IOC_RT_THIN	? "thin" :
			r->type == IOC_RT_THICK ? "thick" :
						  "empty");
	for (i = 0; i < a->nas; i++) {
		const char *now = ioc_jail_get(j, a->as[i].p->name);
		a->diff[i] = now == NULL || strcmp(now, a->as[i].value) != 0;
		if (a->diff[i] && (a->as[i].p->flags & IOC_PF_CREATE))
			return ioc_err(err,
			    "%s is %s on '%s' and the recipe says %s: it is chosen when "
			    "the jail is made",
			    a->as[i].p->name, now ? now : "unset", tag, a->as[i].value);
		a->ndiff += a->diff[i];
	}
	return 0;
}

/* depends= values of the recipe: every tag a jail's, no cycle (as set and create). */
static int
ioc_apply_check_depends(struct ioc_apply *a, struct ioc_error **err)
{
	size_t i;
	for (i = 0; i < a->nas; i++)
		if (strcmp(a->as[i].p->name, "depends") == 0 &&
		    ioc_jails_depends_check(
			&a->js, a->j ? a->j->uuid : NULL, a->req->tag, a->as[i].value, err) != 0)
			return ioc_error_wrap(err, "recipe");
	return 0;
}

/* Which steps are recorded as done on the jail. */
static void
ioc_apply_mark_todo(struct ioc_apply *a)
{
	const struct ioc_recipe *r = a->req->r;
	_cleanup_strv_ struct ioc_strv done = IOC_STRV_INIT;
	size_t i;
	if (a->j)
		ioc_strv_split(&done, ioc_jail_get(a->j, "recipe_done"), ' ');
	for (i = 0; i < r->nsteps; i++) {
		a->todo[i] = !ioc_strv_contains(&done, a->ids[i]);
		a->ntodo += a->todo[i];
	}
}

static void
ioc_apply_say_plan(struct ioc_apply *a)
{
	const struct ioc_recipe *r = a->req->r;
	const char *tag = a->req->tag;
	size_t i;
	if (a->j == NULL)
		ioc_sayf(a->req->say, a->req->say_arg, "%s: create (%s%s%s)", tag,
		    r->type == IOC_RT_EMPTY    ? "empty" :
			r->type == IOC_RT_THIN ? "thin" :
						 "thick",
		    r->release ? ", release " : "", r->release ? r->release : "");
	for (i = 0; i < a->nas; i++)
		if (a->j == NULL || a->diff[i])
			ioc_sayf(a->req->say, a->req->say_arg, "%s: set %s=%s%s%s%s", tag,
			    a->as[i].p->name, a->as[i].value, a->j ? " (now " : "",
			    a->j ? ioc_jail_get(a->j, a->as[i].p->name) : "", a->j ? ")" : "");
	if (a->j == NULL || !a->running)
		ioc_sayf(a->req->say, a->req->say_arg, "%s: start%s", tag,
		    a->j == NULL && a->ntodo ? " (again after the "
					       "steps: its first boot with the recipe's files)" :
					       "");
	else if (a->ndiff)
		ioc_sayf(a->req->say, a->req->say_arg, "%s: restart (its properties changed)", tag);
	for (i = 0; i < r->nsteps; i++) {
		_cleanup_free_ char *s = ioc_recipe_step_str(&r->steps[i]);
		ioc_sayf(a->req->say, a->req->say_arg, "%s: %s%s", tag,
		    a->todo[i] ? "" : "done before: ", s);
	}
}

/* ------------------------------------------------------------ doing */

struct ioc_apply_feed {
	int fd;
	const char *buf;
	size_t len;
};

/* Writes the bytes into the pipe; a reader that stops early ends it (EPIPE, no signal). */
static void *
ioc_apply_feeder(void *arg)
{
	struct ioc_apply_feed *f = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)ioc_write_full(f->fd, f->buf, f->len);
	close(f->fd);
	return NULL;
}

/*
 * Runs argv in the jail with the bytes as its standard input: the engines
 * hand the jail's command this process's fd 0, which is a pipe for the
 * duration (apply runs no other thread that reads stdin).
 */
static int
ioc_apply_exec_input(
    struct ioc_apply *a, char *const *argv, const char *buf, size_t len, struct ioc_error **err)
{
	struct ioc_apply_feed f;
	pthread_t th;
	int p[2], saved, rc;
	if (pipe(p) != 0)
		return ioc_err(err, "pipe: %s", strerror(errno));
	saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(p[0], 0) < 0) {
		close(p[0]);
		close(p[1]);
		if (saved >= 0)
			close(saved);
		return ioc_err(err, "cannot redirect input: %s", strerror(errno));
	}
	close(p[0]);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	f.fd = p[1];
	f.buf = buf;
	f.len = len;
	if (pthread_create(&th, NULL, ioc_apply_feeder, &f) != 0) {
		close(p[1]);
		dup2(saved, 0);
		close(saved);
		return ioc_err(err, "cannot start a thread");
	}
	rc = ioc_ops_exec_ok(a->root, a->j, argv, err);
	/* the reader's end goes first, so a feeder blocked on a full pipe ends */
	dup2(saved, 0);
	close(saved);
	pthread_join(th, NULL);
	return rc;
}

static int
ioc_apply_copy(struct ioc_apply *a, size_t i, struct ioc_error **err)
{
	const struct ioc_recipe_step *s = &a->req->r->steps[i];
	const char *dst = s->words.v[1];
	_cleanup_free_ char *dir = ioc_xstrndup(dst, (size_t)(strrchr(dst, '/') - dst));
	_cleanup_free_ char *of = ioc_xasprintf("of=%s", dst);
	char mode[8];
	char *mk[] = { "mkdir", "-p", "--", dir, NULL };
	char *dd[] = { "dd", of, "status=none", NULL };
	char *chmod[] = { "chmod", mode, "--", (char *)dst, NULL };
	char *chown[] = { "chown", s->owner, "--", (char *)dst, NULL };
	snprintf(mode, sizeof(mode), "%04o", s->mode);
	if (dir[0] != '\0' && ioc_ops_exec_ok(a->root, a->j, mk, err) != 0)
		return -1;
	if (ioc_apply_exec_input(a, dd, a->content[i], a->clen[i], err) != 0 ||
	    ioc_ops_exec_ok(a->root, a->j, chown, err) != 0 ||
	    ioc_ops_exec_ok(a->root, a->j, chmod, err) != 0)
		return -1;
	return 0;
}

/* service NAME: the jail's own service manager enables it. */
static int
ioc_apply_service(struct ioc_apply *a, const char *name, struct ioc_error **err)
{
	char *fbsd[] = { "/usr/sbin/service", (char *)name, "enable", NULL };
	char *openrc[] = { "/sbin/rc-update", "add", (char *)name, "default", NULL };
	char *sysv[] = { "/usr/sbin/update-rc.d", (char *)name, "defaults", NULL };
	char *sysd[] = { "systemctl", "enable", "--", (char *)name, NULL };
	if (ioc_ops_jail_has(a->j, "/etc/rc.subr") && ioc_ops_jail_has(a->j, "/usr/sbin/service"))
		return ioc_ops_exec_ok(a->root, a->j, fbsd, err);
	if (ioc_ops_jail_has(a->j, "/sbin/rc-update"))
		return ioc_ops_exec_ok(a->root, a->j, openrc, err);
	if (ioc_ops_jail_has(a->j, "/usr/sbin/update-rc.d"))
		return ioc_ops_exec_ok(a->root, a->j, sysv, err);
	if (ioc_ops_jail_has(a->j, "/usr/bin/systemctl") ||
	    ioc_ops_jail_has(a->j, "/bin/systemctl"))
		return ioc_ops_exec_ok(a->root, a->j, sysd, err);
	return ioc_err(err,
	    "service %s: the jail has no service manager (FreeBSD's service(8), "
	    "rc-update, update-rc.d or systemctl); a jail without one starts what its exec_start "
	    "runs (copy in an /etc/rc)",
	    name);
}

static int
ioc_apply_step(struct ioc_apply *a, size_t i, struct ioc_error **err)
{
	const struct ioc_recipe_step *s = &a->req->r->steps[i];
	_cleanup_free_ char *str = ioc_recipe_step_str(s);
	int rc;
	switch (s->kind) {
	case IOC_RS_PKG: rc = ioc_ops_pkgs_in(a->root, a->j, &s->words, err); break;
	case IOC_RS_COPY: rc = ioc_apply_copy(a, i, err); break;
	case IOC_RS_RUN: rc = ioc_ops_exec_ok(a->root, a->j, s->words.v, err); break;
	default: rc = ioc_apply_service(a, s->words.v[0], err);
	}
	if (rc != 0)
		ioc_error_wrap(err, "recipe line %d (%s)", s->line, str);
	else
		ioc_sayf(a->req->say, a->req->say_arg, "%s: ok: %s", a->req->tag, str);
	return rc;
}

/* Loads the jail again with every property (after create or set). */
static int
ioc_apply_reload(struct ioc_apply *a, struct ioc_error **err)
{
	char *const names[] = { a->uuid, NULL };
	ioc_jails_release(&a->js);
	a->j = NULL;
	if (ioc_jails_load_named(a->root, NULL, names, &a->js, err) != 0)
		return -1;
	return ioc_jail_resolve(&a->js, a->uuid, &a->j, err);
}

static int
ioc_apply_start(struct ioc_apply *a, struct ioc_error **err)
{
	struct ioc_error *e2 = NULL;
	if (ioc_engine()->start(a->root, a->j, err) != 0)
		return -1;
	if (ioc_engine()->running && ioc_runrec_write(a->root, a->j, &e2) != 0) {
		ioc_note("%s: %s", a->req->tag, e2->msg);
		ioc_error_free(e2);
	}
	return 0;
}

static int
ioc_apply_stop(struct ioc_apply *a, struct ioc_error **err)
{
	if (ioc_engine()->stop(a->root, a->j, 0, err) != 0)
		return -1;
	ioc_runrec_remove(a->root->name, a->j->uuid);
	return 0;
}

/* Sets what differs on an existing jail, keeping what was there for the undo. */
static int
ioc_apply_set(struct ioc_apply *a, struct ioc_error **err)
{
	size_t i;
	a->old = ioc_xcalloc(a->nas + 1, sizeof(*a->old));
	/* a running jail's stop reads them again (runrec.h) */
	ioc_runrec_forget_props(a->root->name, a->j->uuid);
	for (i = 0; i < a->nas; i++) {
		const struct ioc_prop *p = a->as[i].p;
		_cleanup_free_ char *zn = ioc_prop_zfs_name(p);
		size_t idx = (size_t)(p - ioc_props);
		int local;
		if (!a->diff[i])
			continue;
		local = a->j->srcs[idx] == IOC_SRC_LOCAL ||
		    (a->j->srcs[idx] == IOC_SRC_NATIVE && a->j->natsrc[idx] &&
			strcmp(a->j->natsrc[idx], "local") == 0);
		a->old[a->nold].p = p;
		a->old[a->nold].was = ioc_xstrdup(ioc_jail_get(a->j, p->name));
		a->old[a->nold++].value = local ? ioc_xstrdup(ioc_jail_get(a->j, p->name)) : NULL;
		if (ioc_zfs_set(a->j->dataset, zn, a->as[i].value, err) != 0)
			return ioc_error_wrap(err, "cannot set %s", p->name);
	}
	return 0;
}

static int
ioc_apply_record(struct ioc_apply *a, struct ioc_error **err)
{
	const struct ioc_recipe *r = a->req->r;
	_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
	_cleanup_free_ char *zn = ioc_prop_zfs_name(ioc_prop_find("recipe_done"));
	size_t i;
	ioc_sb_init(&sb);
	for (i = 0; i < r->nsteps; i++)
		ioc_sb_addf(&sb, "%s%s", sb.len ? " " : "", a->ids[i]);
	if (sb.len == 0 && strcmp(ioc_jail_get(a->j, "recipe_done"), "none") == 0)
		return 0;
	return ioc_zfs_set(a->j->dataset, zn, sb.len ? sb.buf : "none", err);
}

/* rc of one undo action; the first error is kept in *first, later ones dropped. */
static int
ioc_apply_keep(int rc, struct ioc_error **first, struct ioc_error **e)
{
	if (*first == NULL)
		*first = *e;
	else
		ioc_error_free(*e);
	*e = NULL;
	return rc == 0;
}

/* A property as it was: its local value, else inherited (or the old value where ZFS has no
 * inheriting it). */
static int
ioc_apply_restore(struct ioc_apply *a, const struct ioc_apply_old *o, struct ioc_error **err)
{
	_cleanup_free_ char *zn = ioc_prop_zfs_name(o->p);
	struct ioc_error *e = NULL;
	if (o->value)
		return ioc_zfs_set(a->j->dataset, zn, o->value, err);
	if (ioc_zfs_inherit(a->j->dataset, zn, &e) == 0)
		return 0;
	ioc_error_free(e);
	/* quota and reservation read as 0 where they are off, and are set back as none */
	return ioc_zfs_set(a->j->dataset, zn,
	    strcmp(o->was, "0") == 0 && (o->p->flags & IOC_PF_NATIVE) ? "none" : o->was, err);
}

/* Puts an existing jail back as it was: files, properties, running state. */
static void
ioc_apply_undo(struct ioc_apply *a)
{
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	struct ioc_error *e = NULL, *first = NULL;
	const char *at = a->snap ? strchr(a->snap, '@') : NULL;
	size_t i;
	int ok = 1;

	if (ioc_ops_running(a->root, a->j, &e) == 1)
		ok &= ioc_apply_keep(ioc_apply_stop(a, &e), &first, &e);
	ioc_error_free(e);
	e = NULL;
	if (at && ioc_apply_keep(ioc_zfs_list_children(a->j->dataset, &kids, &e), &first, &e)) {
		for (i = 0; i < kids.n; i++) {
			_cleanup_free_ char *s = ioc_xasprintf("%s%s", kids.v[i], at);
			ok &= ioc_apply_keep(ioc_zfs_rollback(s, 1, &e), &first, &e);
		}
	} else if (at)
		ok = 0;
	for (i = 0; i < a->nold; i++)
		ok &= ioc_apply_keep(ioc_apply_restore(a, &a->old[i], &e), &first, &e);
	if (ok && a->snap)
		ok &= ioc_apply_keep(ioc_zfs_destroy(a->snap, 1, &e), &first, &e);
	if (ok && a->running)
		ok &= ioc_apply_keep(
		    ioc_apply_reload(a, &e) == 0 ? ioc_apply_start(a, &e) : -1, &first, &e);
	if (ok)
		ioc_sayf(a->req->say, a->req->say_arg,
		    "%s: rolled back: files, properties and state as before", a->req->tag);
	else
		ioc_note("%s: the jail could not be put back completely: %s%s%s", a->req->tag,
		    first ? first->msg : "?", a->snap ? "; its files before are snapshot " : "",
		    a->snap ? at + 1 : "");
	ioc_error_free(first);
}

/* A jail made by this apply goes again. */
static void
ioc_apply_unmake(struct ioc_apply *a)
{
	struct ioc_error *e = NULL;
	_cleanup_free_ char *ds = ioc_xasprintf("%s/jails/%s", a->root->name, a->uuid);
	int lockfd = ioc_lock_jail(a->root, a->uuid, &e);
	if (a->j && ioc_ops_running(a->root, a->j, &e) == 1)
		(void)ioc_apply_stop(a, &e);
	ioc_ops_tag_links(a->root, a->js.legacy, a->uuid, NULL, &e);
	if (ioc_zfs_destroy(ds, 1, &e) == 0)
		ioc_sayf(a->req->say, a->req->say_arg,
		    "%s: destroyed again (it was made by this apply)", a->req->tag);
	else
		ioc_note("%s: the jail made by this apply could not be destroyed: %s "
			 "('iocage destroy -f %s')",
		    a->req->tag, e ? e->msg : "?", a->req->tag);
	if (lockfd >= 0) {
		ioc_lock_jail_remove(a->root, a->uuid);
		close(lockfd);
	}
	ioc_error_free(e);
}

static int
ioc_apply_create(struct ioc_apply *a, struct ioc_error **err)
{
	const struct ioc_recipe *r = a->req->r;
	_cleanup_strv_ struct ioc_strv uuids = IOC_STRV_INIT;
	struct ioc_create_req cr;
	memset(&cr, 0, sizeof(cr));
	cr.how = r->type == IOC_RT_THIN ? IOC_CREATE_THIN :
	    r->type == IOC_RT_EMPTY	? IOC_CREATE_EMPTY :
					  IOC_CREATE_THICK;
	cr.release = r->release;
	cr.tag = a->req->tag;
	cr.count = 1;
	cr.props = a->as;
	cr.nprops = a->nas;
	if (ioc_jail_create(a->root, &cr, &uuids, err) != 0)
		return -1;
	a->uuid = ioc_xstrdup(uuids.v[0]);
	return ioc_apply_reload(a, err);
}

static int
ioc_apply_do(struct ioc_apply *a, int lockfd, struct ioc_error **err)
{
	size_t i;
	(void)lockfd;
	if (a->existed) {
		_cleanup_free_ char *t = ioc_now_fmt("%Y%m%d%H%M%S");
		int n = 1;
		a->snap = ioc_xasprintf("%s@ioc-apply-%s", a->j->dataset, t);
		while (ioc_zfs_exists(a->snap) && n < 100) {
			free(a->snap);
			a->snap = ioc_xasprintf("%s@ioc-apply-%s-%d", a->j->dataset, t, ++n);
		}
		if (ioc_zfs_snapshot(a->snap, 1, err) != 0) {
			free(a->snap);
			a->snap = NULL;
			return -1;
		}
		if (ioc_apply_set(a, err) != 0)
			return -1;
		if (a->running && a->ndiff && ioc_apply_stop(a, err) != 0)
			return -1;
		if (a->ndiff && ioc_apply_reload(a, err) != 0)
			return -1;
	}
	if ((!a->running || a->ndiff) && ioc_apply_start(a, err) != 0)
		return -1;
	for (i = 0; i < a->req->r->nsteps; i++)
		if (a->todo[i] && ioc_apply_step(a, i, err) != 0)
			return -1;
	if (ioc_apply_record(a, err) != 0)
		return -1;
	/* a new jail boots once more with everything the recipe put in it (its exec_start) */
	if (!a->existed && a->ntodo) {
		ioc_sayf(a->req->say, a->req->say_arg,
		    "%s: restart (first boot with the recipe's files)", a->req->tag);
		if (ioc_apply_stop(a, err) != 0 || ioc_apply_start(a, err) != 0)
			return -1;
	}
	return 0;
}

static void
ioc_apply_release(struct ioc_apply *a)
{
	size_t i;
	for (i = 0; a->content && i < a->req->r->nsteps; i++)
		free(a->content[i]);
	for (i = 0; i < a->nold; i++) {
		free(a->old[i].value);
		free(a->old[i].was);
	}
	free(a->old);
	free(a->content);
	free(a->clen);
	free(a->ids);
	free(a->todo);
	free(a->diff);
	free(a->snap);
	free(a->uuid);
	ioc_assigns_free(a->as, a->nas);
	ioc_jails_release(&a->js);
}

/* Reads and checks everything; finds the jail and what differs. */
static int
ioc_apply_prepare(struct ioc_apply *a, struct ioc_error **err)
{
	const char *tag = a->req->tag;
	size_t i;
	if (ioc_valid_tag(tag, err) != 0)
		return -1;
	if (ioc_apply_read_sources(a, err) != 0 || ioc_apply_props(a, err) != 0)
		return -1;
	if (ioc_jails_load(a->root, NULL, &a->js, err) != 0)
		return -1;
	for (i = 0; i < a->js.n && a->j == NULL; i++)
		if (a->js.v[i].complete && strcmp(ioc_jail_get(&a->js.v[i], "tag"), tag) == 0)
			a->j = &a->js.v[i];
	if (ioc_apply_check_depends(a, err) != 0)
		return -1;
	if (a->j == NULL && a->req->r->release && a->req->r->type != IOC_RT_EMPTY) {
		/* the plan of a new jail names a release that is there */
		_cleanup_free_ char *snap = NULL;
		if (ioc_release_snapshot(a->root, a->req->r->release, &snap, err) != 0)
			return -1;
		if (snap == NULL)
			return ioc_err(err,
			    "release '%s' is not fetched (or its fetch did not "
			    "finish): run 'iocage fetch release=%s'",
			    a->req->r->release, a->req->r->release);
	}
	if (a->j) {
		a->uuid = ioc_xstrdup(a->j->uuid);
		if (ioc_apply_check_jail(a, err) != 0)
			return -1;
		if ((a->running = ioc_ops_running(a->root, a->j, err)) < 0)
			return -1;
	}
	ioc_apply_mark_todo(a);
	return 0;
}

int
ioc_jail_apply(const struct ioc_root *root, const struct ioc_apply_req *req, struct ioc_error **err)
{
	struct ioc_apply a;
	int rc = -1, lockfd = -1, existed;

	memset(&a, 0, sizeof(a));
	a.root = root;
	a.req = req;
	if (ioc_engine()->exec == NULL)
		return ioc_err(
		    err, "apply: the %s engine cannot run commands in a jail", ioc_engine()->name);
	if (ioc_apply_prepare(&a, err) != 0)
		goto out;
	existed = a.existed = a.j != NULL;
	ioc_apply_say_plan(&a);
	if (existed && a.ndiff == 0 && a.ntodo == 0 && a.running) {
		ioc_sayf(a.req->say, a.req->say_arg, "%s: nothing to change", req->tag);
		rc = 0;
		goto out;
	}
	if (req->dry_run) {
		rc = 0;
		goto out;
	}
	if (existed && (lockfd = ioc_lock_jail(root, a.uuid, err)) < 0)
		goto out;
	if (!existed && ioc_apply_create(&a, err) != 0) {
		if (a.uuid)
			ioc_apply_unmake(&a);
		goto out;
	}
	if (!existed && (lockfd = ioc_lock_jail(root, a.uuid, err)) < 0) {
		ioc_apply_unmake(&a);
		goto out;
	}
	if (ioc_apply_do(&a, lockfd, err) != 0) {
		if (existed)
			ioc_apply_undo(&a);
		else {
			close(lockfd);
			lockfd = -1;
			ioc_apply_unmake(&a);
		}
		goto out;
	}
	if (a.snap)
		ioc_sayf(a.req->say, a.req->say_arg,
		    "%s: applied; the jail before it is snapshot %s", req->tag,
		    strchr(a.snap, '@') + 1);
	else
		ioc_sayf(a.req->say, a.req->say_arg, "%s: applied", req->tag);
	rc = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	ioc_apply_release(&a);
	return rc;
}
