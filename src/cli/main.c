/* main.c — global options, the command table, dispatch; the only place that prints errors. */
#include "cli/commands.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#define IOC_VERSION "0.1.0"

static int ioc_cmd_version(struct ioc_ctx *, int, char **, struct ioc_error **);
static int ioc_cmd_help(struct ioc_ctx *, int, char **, struct ioc_error **);

const struct ioc_cmd ioc_cmds[] = {
	{ "activate", ioc_cmd_activate, IOC_CF_NEED_UID0,
	    "activate [DATASET | --file PATH SIZE [POOL/DATASET]]",
	    "mark DATASET as the iocage root (creating it and its children); alone: show active "
	    "roots; --file: first make a pool on a new file (and its boot unit)" },
	{ "deactivate", ioc_cmd_deactivate, IOC_CF_NEED_UID0, "deactivate [DATASET]",
	    "unmark an iocage root (its datasets are kept) and remove what activate added to /etc/subuid and /etc/subgid" },
	{ "subids", ioc_cmd_subids, IOC_CF_NEED_UID0, "subids add|remove RECORD",
	    "what make install/uninstall run: grant root the default userns_idmap range in /etc/subuid and /etc/subgid where none covers it, recording it in RECORD; remove exactly that again" },
	{ "sync", ioc_cmd_sync, IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0,
	    "sync [-H] [--json] UUID|TAG|ALL",
	    "replicate a jail (ALL: those with sync_state=on) into the iocage root its sync_target names: a replica there that never starts; incremental after the first" },
	{ "promote-replica", ioc_cmd_promote_replica, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "promote-replica [-f] [-H] [--json] UUID|TAG",
	    "make a replica a jail of this root (its source is gone): this host's hostid, startable; -f: also when its source lives on this host" },
	{ "sync-info", ioc_cmd_sync_info,
	    IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0 | IOC_CF_HIDDEN,
	    "sync-info UUID TAG [REL SNAP GUID]",
	    "the target side of a sync over ssh: whether UUID's replica is here, its sync snapshots, this root's copy of a release's snapshot" },
	{ "sync-receive", ioc_cmd_sync_receive, IOC_CF_ROOT | IOC_CF_NEED_UID0 | IOC_CF_HIDDEN,
	    "sync-receive UUID BASE | sync-receive UUID 0 PART [WORD...]",
	    "the target side of a sync over ssh: the stream on standard input into UUID's replica (or one part of a first sync: release, parent, child, root, finish)" },
	{ "migrate", ioc_cmd_migrate, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "migrate [-H] [--json] UUID|TAG [USER@HOST:]POOL/DATASET",
	    "move a jail to another iocage root: sync, stop, last sync, source marked migrated, replica promoted and started there" },
	{ "fetch", ioc_cmd_fetch, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "fetch [-n] [release=REL] [ftphost=HOST] [ftpdir=DIR] [ftpfiles=\"base.txz ...\"] [file=PATH] [mirror=URL]",
	    "fetch a release: FreeBSD distribution files (SHA-256 checked), a local root-filesystem tarball, or a Debian suite via debootstrap" },
	{ "create", ioc_cmd_create,
	    IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "create [-c|-e] [-t TEMPLATE] [release=REL] [count=N] [pkglist=FILE] [PROPERTY=VALUE ...]",
	    "create a jail: thick copy (default), thin clone (-c) or empty (-e)" },
	{ "clone", ioc_cmd_clone,
	    IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "clone UUID|TAG[@SNAPSHOT] [PROPERTY=VALUE ...]",
	    "create a thin jail from a jail's snapshot (without one: a snapshot taken now; a template: its own)" },
	{ "destroy", ioc_cmd_destroy, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "destroy [-f] UUID|TAG",
	    "destroy a jail's datasets (-f: no questions, stops a running jail)" },
	{ "list", ioc_cmd_list, IOC_CF_ROOT | IOC_CF_LAZY_ROOT,
	    "list [-t] [-r] [-l] [-H] [-p] [--json]",
	    "list jails (-t templates, -r fetched releases)" },
	{ "get", ioc_cmd_get, IOC_CF_ROOT | IOC_CF_LAZY_ROOT,
	    "get [-H|-s] [--json] PROPERTY|all UUID|TAG|ALL",
	    "print a property (bare value), or all as name:value lines like the shell iocage (-s, -H: a table with their sources)" },
	{ "set", ioc_cmd_set, IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0,
	    "set PROPERTY=VALUE ... UUID|TAG|default",
	    "set properties of a jail, or root defaults with 'default'" },
	{ "defaults", ioc_cmd_defaults, IOC_CF_ROOT, "defaults [-H|-s] [--json]",
	    "list every property's default as name=value lines like the shell iocage (-s, -H: a table with where each comes from)" },
	{ "df", ioc_cmd_df, IOC_CF_ROOT | IOC_CF_LAZY_ROOT, "df [-l] [-H] [-p] [--json]",
	    "disk usage of each jail" },
	{ "snapshot", ioc_cmd_snapshot, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "snapshot UUID|TAG|ALL[@NAME]",
	    "snapshot a jail's datasets (default name ioc-YYYY-MM-DD_HH:MM:SS)" },
	{ "snaplist", ioc_cmd_snaplist, IOC_CF_ROOT, "snaplist [-l] [-H] [-p] [--json] UUID|TAG",
	    "list a jail's snapshots" },
	{ "snapremove", ioc_cmd_snapremove, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "snapremove UUID|TAG@NAME", "remove a jail's snapshot" },
	{ "rollback", ioc_cmd_rollback, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "rollback [-f] UUID|TAG@NAME",
	    "roll a jail back to a snapshot (-f: past newer snapshots, destroying them)" },
	{ "promote", ioc_cmd_promote, IOC_CF_ROOT | IOC_CF_NEED_UID0, "promote UUID|TAG",
	    "promote a cloned jail so it no longer depends on its origin" },
	{ "start", ioc_cmd_start,
	    IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0 | IOC_CF_DRY_RUN,
	    "start [-f] [-j N] UUID|TAG|ALL ...",
	    "start jails (-j: N at once; ALL: as many as CPUs unless -j)" },
	{ "stop", ioc_cmd_stop, IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0 | IOC_CF_DRY_RUN,
	    "stop [-f] [-j N] UUID|TAG|ALL ...",
	    "stop jails (-j: N at once; ALL: as many as CPUs unless -j)" },
	{ "restart", ioc_cmd_restart,
	    IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0 | IOC_CF_DRY_RUN,
	    "restart [-j N] UUID|TAG|ALL ...",
	    "stop, then start jails (-j: N at once; ALL: as many as CPUs unless -j)" },
	{ "rcboot", ioc_cmd_rc, IOC_CF_ROOT | IOC_CF_NEED_UID0, "rcboot [-j N]",
	    "start every boot=on jail by priority (-j: at most N at once, default: one per CPU)" },
	{ "rcshutdown", ioc_cmd_rc, IOC_CF_ROOT | IOC_CF_NEED_UID0, "rcshutdown [-j N]",
	    "stop every running boot=on jail, reverse priority (-j: at most N at once, default: one per CPU)" },
	{ "exec", ioc_cmd_exec, IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0,
	    "exec [-u HOST_USER | -U JAIL_USER] UUID|TAG CMD [ARG ...]",
	    "run a command inside a running jail; its exit status is ours" },
	{ "console", ioc_cmd_console, IOC_CF_ROOT | IOC_CF_LAZY_ROOT | IOC_CF_NEED_UID0,
	    "console UUID|TAG", "a login shell in a running jail" },
	{ "chroot", ioc_cmd_chroot, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "chroot UUID|TAG [CMD [ARG ...]]",
	    "run a command in the jail's filesystem without starting it (Linux: in the jail's user namespace; a userns=off jail's binaries run with host privileges)" },
	{ "runtime", ioc_cmd_runtime, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "runtime [-l] [-H] [--json] UUID|TAG", "live engine parameters of a running jail" },
	{ "cap", ioc_cmd_cap, IOC_CF_ROOT | IOC_CF_NEED_UID0 | IOC_CF_DRY_RUN, "cap UUID|TAG",
	    "apply the configured resource limits now" },
	{ "limits", ioc_cmd_limits, IOC_CF_ROOT, "limits [-l] [-H] [--json] [UUID|TAG]",
	    "the resource limits in force in a running jail, or in every one, as the shell iocage listed them; -l: every limit of a jail and where it stands, or those set on every jail ('limts' too)" },
	{ "uncap", ioc_cmd_cap, IOC_CF_ROOT | IOC_CF_NEED_UID0 | IOC_CF_DRY_RUN, "uncap UUID|TAG",
	    "remove resource limits from a running jail" },
	{ "inuse", ioc_cmd_inuse, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "inuse [-l] [-H] [--json] [UUID|TAG]",
	    "current resource usage (every running jail's without a name)" },
	{ "export", ioc_cmd_export, IOC_CF_ROOT | IOC_CF_NEED_UID0, "export [-i] UUID|TAG [FILE|-]",
	    "write a jail (its datasets as ZFS streams, its properties) as an image to R/images, FILE or standard output (-i: a thin jail incrementally from its release)" },
	{ "import", ioc_cmd_import, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "import FILE|NAME|- [PROPERTY=VALUE ...]",
	    "make a jail from an image (verified before anything is created), or from a shell iocage UUID_DATE.tar.xz with its .sha256; NAME: the one image or package of the root starting with it" },
	{ "record", ioc_cmd_record, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "record start|stop UUID|TAG",
	    "begin or end recording changes to a jail's files (snapshots @ioc-record-start and @ioc-record-stop)" },
	{ "package", ioc_cmd_package, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "package UUID|TAG",
	    "write what changed between record start and stop as R/packages/TAG-DATE.iocpkg with its SHA-256 ('import PACKAGE' deploys it)" },
	{ "update", ioc_cmd_update, IOC_CF_ROOT | IOC_CF_NEED_UID0, "update UUID|TAG|release=REL",
	    "update a jail's packages (snapshot first, rolled back on failure), or a fetched release for new jails" },
	{ "upgrade", ioc_cmd_upgrade, IOC_CF_ROOT | IOC_CF_NEED_UID0,
	    "upgrade UUID|TAG release=REL",
	    "move a jail to another release (Linux: Debian suites, its apt sources switched and apt-get full-upgrade inside; FreeBSD: freebsd-update -r REL upgrade install); snapshot first, rolled back with its release on failure" },
	{ "apply", ioc_cmd_apply, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0,
	    "apply [-n] FILE [TAG]",
	    "make a jail, or bring it to what its recipe FILE says, changing only what differs (plan first; -n: plan only; rolled back on failure); TAG: the file's name without extension" },
	{ "clean", ioc_cmd_clean, IOC_CF_ROOT | IOC_CF_LOCK_ROOT | IOC_CF_NEED_UID0, "clean",
	    "remove debris of interrupted commands (nothing else)" },
	{ "version", ioc_cmd_version, 0, "version", "print the version" },
	{ "help", ioc_cmd_help, 0, "help [COMMAND|properties]", "show help" },
	{ NULL, NULL, 0, NULL, NULL },
};

const struct ioc_cmd *
ioc_cmd_find(const char *name)
{
	size_t i;
	if (strcmp(name, "limts") == 0)
		name = "limits"; /* the shell iocage's README spelled it so */
	for (i = 0; ioc_cmds[i].name; i++)
		if (strcmp(ioc_cmds[i].name, name) == 0)
			return &ioc_cmds[i];
	return NULL;
}

#ifdef __clang_analyzer__
#undef ioc_usage
#endif

int
ioc_usage(struct ioc_error **err, const char *cmd)
{
	const struct ioc_cmd *c = ioc_cmd_find(cmd);
	return ioc_fail(err, IOC_EXIT_USAGE, "usage: iocage %s", c ? c->synopsis : cmd);
}

int
ioc_opts_parse(struct ioc_ctx *ctx, const char *cmd, const char *spec, int argc, char **argv,
    struct ioc_opts *o, struct ioc_error **err)
{
	int i;
	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *p;
		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "--json") == 0) {
			ctx->fmt = IOC_FMT_JSON;
			ioc_note_json(1);
			continue;
		}
		if (a[0] != '-' || a[1] == '\0')
			return i;
		for (p = a + 1; *p; p++) {
			const char *s = strchr(spec, *p);
			if (*p == 'H' && !s) {
				ctx->fmt = IOC_FMT_TABS;
				continue;
			}
			if (s == NULL || *p == ':' || (unsigned char)*p >= 128) {
				ioc_fail(err, IOC_EXIT_USAGE, "%s: unknown option '-%c'", cmd, *p);
				return ioc_error_wrap(err, "usage: iocage %s",
					   ioc_cmd_find(cmd) ? ioc_cmd_find(cmd)->synopsis : cmd),
				       -1;
			}
			o->seen[(unsigned char)*p] = 1;
			if (s[1] == ':') {
				if (p[1]) {
					o->val[(unsigned char)*p] = p + 1;
				} else if (i + 1 < argc) {
					o->val[(unsigned char)*p] = argv[++i];
				} else {
					return ioc_fail(err, IOC_EXIT_USAGE,
					    "%s: option '-%c' needs a value", cmd, *p);
				}
				break;
			}
		}
	}
	return i;
}

int
ioc_root_verify(struct ioc_ctx *ctx, struct ioc_error **err)
{
	return ioc_root_read(&ctx->root, err);
}

int
ioc_ctx_jail(struct ioc_ctx *ctx, const char *name, const char *const *props, struct ioc_jails *js,
    struct ioc_jail **j, struct ioc_error **err)
{
	return ioc_jail_load_one(&ctx->root, name, props, 0, js, j, err);
}

int
ioc_ctx_jail_all(struct ioc_ctx *ctx, const char *name, const char *const *props,
    struct ioc_jails *js, struct ioc_jail **j, struct ioc_error **err)
{
	return ioc_jail_load_one(&ctx->root, name, props, 1, js, j, err);
}

void
ioc_print_line(void *arg, const char *line)
{
	struct ioc_strv *collect = arg;
	if (collect) {
		ioc_strv_push(collect, line);
		return;
	}
	printf("%s\n", line);
	fflush(stdout);
}

void
ioc_print_lines(const struct ioc_strv *v, const char *prefix)
{
	size_t i;
	for (i = 0; i < v->n; i++)
		printf("%s%s\n", prefix, v->v[i]);
	fflush(stdout);
}

void
ioc_progress_init(struct ioc_progress *p, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(2);
	p->what = what;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static double
ioc_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
ioc_progress_add(struct ioc_progress *p, size_t n, int final)
{
	struct timespec now;
	double t;
	p->bytes += n;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && ioc_secs(&p->last, &now) < 0.5)
		return;
	p->last = now;
	t = ioc_secs(&p->start, &now);
	fprintf(stderr, "\r%s: %.1f MiB, %.1f MiB/s%s", p->what, (double)p->bytes / 1048576.0,
	    t > 0 ? (double)p->bytes / 1048576.0 / t : 0.0, final ? "\n" : "   ");
}

void
ioc_progress_cb(void *arg, size_t bytes, int final)
{
	ioc_progress_add(arg, bytes, final);
}

/* Complete jails sorted by tag, for every command that lists jails. */
static int
ioc_cmp_jail_tag(const void *a, const void *b)
{
	const struct ioc_jail *x = *(struct ioc_jail *const *)a, *y = *(struct ioc_jail *const *)b;
	int r = strcmp(ioc_jail_get(x, "tag"), ioc_jail_get(y, "tag"));
	return r ? r : strcmp(x->uuid, y->uuid);
}

struct ioc_jail **
ioc_sorted(struct ioc_jails *js, size_t *n)
{
	struct ioc_jail **v = ioc_xcalloc(js->n + 1, sizeof(*v));
	size_t i;
	*n = 0;
	for (i = 0; i < js->n; i++)
		if (js->v[i].complete)
			v[(*n)++] = &js->v[i];
	qsort(v, *n, sizeof(*v), ioc_cmp_jail_tag);
	return v;
}

static int
ioc_cmd_version(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	(void)ctx;
	(void)argv;
	if (argc > 1)
		return ioc_usage(err, "version");
	printf("iocage Pool Party %s\n", IOC_VERSION);
	return 0;
}

static void
ioc_help_all(FILE *f)
{
	size_t i;
	fprintf(f, "usage: iocage [-r DATASET] [--json] [--dry-run] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; ioc_cmds[i].name; i++)
		if (!(ioc_cmds[i].flags & IOC_CF_HIDDEN))
			fprintf(f, "  %s\n", ioc_cmds[i].synopsis);
	fprintf(f,
	    "\n'iocage help COMMAND' explains one; 'iocage help properties' lists properties.\n");
}

static int
ioc_cmd_help(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	const struct ioc_cmd *c;
	size_t i;
	(void)ctx;
	if (argc < 2) {
		ioc_help_all(stdout);
		return 0;
	}
	if (strcmp(argv[1], "properties") == 0) {
		for (i = 0; i < ioc_nprops; i++) {
			const struct ioc_prop *p = &ioc_props[i];
			if (p->flags & IOC_PF_HIDDEN)
				continue;
			printf("%-22s %-22s %s%s%s%s\n", p->name, p->builtin, p->help,
			    (p->flags & IOC_PF_RO) ? " (read-only)" : "",
			    (p->flags & IOC_PF_FREEBSD) ? " (FreeBSD only)" : "",
			    (p->flags & IOC_PF_LINUX) ? " (Linux only)" : "");
		}
		return 0;
	}
	c = ioc_cmd_find(argv[1]);
	if (c == NULL)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "unknown command '%s' ('iocage help' lists them)", argv[1]);
	printf("usage: iocage %s\n\n%s\n", c->synopsis, c->help);
	return 0;
}

/*
 * A failed write often fails for want of space, and zfs then says something
 * else ("failed to create mountpoint", "cannot receive").  When the root has
 * (almost) nothing left, say so, with its quota: one zfs get, failures only.
 */
static void
ioc_space_hint(struct ioc_ctx *ctx, struct ioc_error **err)
{
	char *names[] = { ctx->root.name, NULL };
	struct ioc_zrows rows;
	const char *avail = NULL, *quota = NULL;
	long long a;
	size_t k;
	if (err == NULL || *err == NULL || (*err)->msg == NULL || (*err)->msg[0] == '\0')
		return;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "available,quota", 0, -1, NULL, 0, &rows, NULL) == 0) {
		for (k = 0; k < rows.n; k++) {
			if (strcmp(rows.v[k].prop, "available") == 0)
				avail = rows.v[k].value;
			else if (strcmp(rows.v[k].prop, "quota") == 0)
				quota = rows.v[k].value;
		}
	}
	if (avail && ioc_parse_ll(avail, 0, LLONG_MAX, &a) == 0 && a < (4LL << 20)) {
		_cleanup_free_ char *av = ioc_fmt_size(avail, 0);
		_cleanup_free_ char *qt =
		    quota && strcmp(quota, "0") != 0 ? ioc_fmt_size(quota, 0) : NULL;
		char *m = ioc_xasprintf("%s (no space left: '%s' has %s available%s%s%s)",
		    (*err)->msg, ctx->root.name, av, qt ? ", quota " : "", qt ? qt : "",
		    qt ? "; raise the quota or free space" : "; free space in the pool");
		free((*err)->msg);
		(*err)->msg = m;
	}
	ioc_zrows_release(&rows);
}

/* One line on stderr whatever the message echoes (a value with a newline...). */
static void
ioc_print_error(struct ioc_ctx *ctx, const struct ioc_error *e)
{
	_cleanup_free_ char *msg = ioc_msg_printable(e->msg);
	if (ctx->fmt == IOC_FMT_JSON) {
		struct ioc_sb sb = IOC_SB_INIT;
		ioc_sb_adds(&sb, "{\"error\": ");
		ioc_sb_add_json(&sb, msg);
		ioc_sb_addf(&sb, ", \"status\": %d}\n", e->code);
		fputs(sb.buf, stderr);
		ioc_sb_release(&sb);
		return;
	}
	fprintf(stderr, "iocage: %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct ioc_ctx ctx;
	struct ioc_error *err = NULL;
	const struct ioc_cmd *c;
	int i = 1, rc;

	if (ioc_trace_on())
		ioc_trace_clock(); /* trace times count from here */
	/*
	 * fds 0-2 closed by the caller would be the first files we open: a lock
	 * file or an image would then receive our output.  /dev/null fills them.
	 */
	for (i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) < 0 && errno == EBADF) {
			int fd = open("/dev/null", O_RDWR);
			if (fd != i) {
				(void)write(2, "iocage: cannot open /dev/null\n", 30);
				return 71; /* EX_OSERR */
			}
		}
	}
	i = 1;
	/* nothing we run, inside a jail or on the host, inherits our caller's fds */
	ioc_fds_cloexec(3);
	memset(&ctx, 0, sizeof(ctx));
	ctx.root_lock_fd = -1;
	ctx.fmt = IOC_FMT_TABLE;
	ctx.root_arg = getenv("IOCAGE_ROOT");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			ctx.root_arg = argv[++i];
		else if (strcmp(argv[i], "--json") == 0) {
			ctx.fmt = IOC_FMT_JSON;
			ioc_note_json(1);
		} else if (strcmp(argv[i], "--dry-run") == 0)
			ctx.dry_run = 1;
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("iocage Pool Party %s\n", IOC_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ioc_help_all(stdout);
			return 0;
		} else {
			_cleanup_free_ char *o = ioc_msg_printable(argv[i]);
			fprintf(stderr, "iocage: unknown global option '%s'\n", o);
			ioc_help_all(stderr);
			return IOC_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		ioc_help_all(stderr);
		return IOC_EXIT_USAGE;
	}
	c = ioc_cmd_find(argv[i]);
	if (c == NULL) {
		_cleanup_free_ char *o = ioc_msg_printable(argv[i]);
		fprintf(stderr, "iocage: unknown command '%s' ('iocage help' lists them)\n", o);
		return IOC_EXIT_USAGE;
	}
	if (ctx.dry_run && !(c->flags & IOC_CF_DRY_RUN)) {
		fprintf(stderr,
		    "iocage: --dry-run applies to start, stop, restart, cap and uncap, "
		    "not to %s\n",
		    c->name);
		return IOC_EXIT_USAGE;
	}
	if ((c->flags & IOC_CF_NEED_UID0) && geteuid() != 0) {
		fprintf(stderr, "iocage: %s: must be run as root\n", c->name);
		return IOC_EXIT_FAIL;
	}
	rc = 0;
	if (c->flags & IOC_CF_ROOT) {
		if (((c->flags & IOC_CF_LAZY_ROOT) ?
			    ioc_root_lazy(ctx.root_arg, &ctx.root, &err) :
			    ioc_root_find(ctx.root_arg, &ctx.root, &err)) != 0)
			rc = -1;
		else
			ioc_zfs_set_guard_root(ctx.root.name);
	}
	if (rc == 0 && (c->flags & IOC_CF_LOCK_ROOT)) {
		ctx.root_lock_fd = ioc_lock_root(&ctx.root, &err);
		if (ctx.root_lock_fd < 0)
			rc = -1;
	}
	if (rc == 0) {
		double t0 = ioc_trace_on() ? ioc_trace_clock() : 0;
		rc = c->fn(&ctx, argc - i, argv + i, &err);
		ioc_trace(t0, "command %s: %s", c->name, rc == 0 ? "done" : "failed");
		if (rc != 0 && ctx.root.name && (c->flags & IOC_CF_NEED_UID0))
			ioc_space_hint(&ctx, &err);
	}
	fflush(stdout);
	if (ctx.root_lock_fd >= 0)
		close(ctx.root_lock_fd);
	ioc_root_release(&ctx.root);
	ioc_zfs_set_guard_root(NULL);
	if (rc != 0) {
		int code = err ? err->code : IOC_EXIT_FAIL;
		if (err && err->msg && *err->msg) /* an empty message: exit status only (exec) */
			ioc_print_error(&ctx, err);
		ioc_error_free(err);
		return code ? code : IOC_EXIT_FAIL;
	}
	if (getenv("IOCAGE_DEBUG_SPAWNS"))
		fprintf(stderr, "iocage: %lu external commands\n", ioc_spawn_count);
	return 0;
}
