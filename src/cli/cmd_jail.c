/* cmd_jail.c — create, clone, destroy and clean (commands.h). */
#include "cli/commands.h"
#include "core/pkglist.h"
#include "spawn/spawn.h"
#include "core/subid.h"

#include <errno.h>
#include <string.h>

/* Prints a jail create made, as it is made (pkglist output of the next one follows it). */
static void
ioc_print_made(void *arg, const char *uuid, const char *tag)
{
	(void)arg;
	printf("%s %s\n", uuid, tag);
	fflush(stdout);
}

int
ioc_cmd_create(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign *as;
	struct ioc_create_req req;
	_cleanup_free_ char *release = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_strv_ struct ioc_strv pkgs = IOC_STRV_INIT;
	long long count = 1;
	int k = ioc_opts_parse(ctx, "create", "cet:n:f", argc - 1, argv + 1, &o, err);
	int i, n = 0, rc = -1;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (o.seen['c'] && o.seen['e'])
		return ioc_fail(
		    err, IOC_EXIT_USAGE, "create: -c (thin) and -e (empty) exclude each other");
	memset(&req, 0, sizeof(req));
	req.how = o.seen['e'] ? IOC_CREATE_EMPTY : o.seen['c'] ? IOC_CREATE_THIN : IOC_CREATE_THICK;
	if (o.seen['n']) {
		tag = ioc_xstrdup(o.val['n']);
		if (ioc_valid_tag(tag, err) != 0)
			return -1;
	}
	as = ioc_xcalloc((size_t)argc + 1, sizeof(*as));
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "count=", 6) == 0) {
			if (ioc_parse_ll(argv[i] + 6, 1, 1000, &count) != 0) {
				ioc_err(err,
				    "invalid value '%s' for count: expected an integer from 1 to 1000",
				    argv[i] + 6);
				goto out;
			}
			continue;
		}
		if (ioc_prop_parse_assign(argv[i], 1, &as[n].p, &as[n].value, err) != 0)
			goto out;
		if (ioc_ops_check_prop(as[n].p, as[n].value, err) != 0) {
			n++;
			goto out;
		}
		if (strcmp(as[n].p->name, "tag") == 0) {
			free(tag);
			tag = ioc_xstrdup(as[n].value);
		} else if (strcmp(as[n].p->name, "release") == 0) {
			free(release);
			release = ioc_xstrdup(as[n].value);
		} else if (strcmp(as[n].p->name, "template") == 0 &&
		    strcmp(as[n].value, "yes") == 0) {
			n++;
			ioc_err(err,
			    "create: template=yes is set on an existing, stopped jail "
			    "('iocage set template=yes TAG')");
			goto out;
		}
		n++;
	}
	if (o.seen['t'] && o.seen['e']) {
		ioc_fail(err, IOC_EXIT_USAGE, "create: -t and -e exclude each other");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(as[i].p->name, "pkglist") == 0 && strcmp(as[i].value, "none") != 0) {
			if (req.how == IOC_CREATE_EMPTY) {
				ioc_err(err,
				    "create: pkglist needs a release (an empty jail has no package manager)");
				goto out;
			}
			if (ioc_pkglist_read(as[i].value, &pkgs, err) != 0)
				goto out;
		}
	/* the operation reads the pool (template, release, tags) and makes the jails */
	req.template_name = o.seen['t'] ? o.val['t'] : NULL;
	req.release = release;
	req.tag = tag;
	req.count = count;
	req.props = as;
	req.nprops = (size_t)n;
	req.pkgs = &pkgs;
	req.made = ioc_print_made;
	rc = ioc_jail_create(&ctx->root, &req, NULL, err);
out:
	ioc_assigns_free(as, (size_t)n);
	return rc;
}

int
ioc_cmd_clone(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *src;
	struct ioc_assign *as;
	struct ioc_create_req req;
	_cleanup_free_ char *srcname = NULL;
	const char *at, *tag = NULL;
	int k = ioc_opts_parse(ctx, "clone", "", argc - 1, argv + 1, &o, err);
	int i, n = 0, rc = -1;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, "clone");
	at = strchr(argv[0], '@');
	srcname = at ? ioc_xstrndup(argv[0], (size_t)(at - argv[0])) : ioc_xstrdup(argv[0]);
	as = ioc_xcalloc((size_t)argc, sizeof(*as));
	for (i = 1; i < argc; i++) {
		if (ioc_prop_parse_assign(argv[i], 1, &as[n].p, &as[n].value, err) != 0 ||
		    ioc_ops_check_prop(as[n].p, as[n].value, err) != 0) {
			n++;
			goto out;
		}
		if (strcmp(as[n].p->name, "release") == 0) {
			n++;
			ioc_err(
			    err, "clone: release comes from the source jail and cannot be given");
			goto out;
		}
		if (strcmp(as[n].p->name, "tag") == 0)
			tag = as[n].value;
		n++;
	}
	if (ioc_ctx_jail_all(ctx, srcname, NULL, &js, &src, err) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.tag = tag;
	req.props = as;
	req.nprops = (size_t)n;
	req.made = ioc_print_made;
	rc = ioc_jail_clone(&ctx->root, &js, src, srcname, at ? at + 1 : NULL, &req, err);
out:
	ioc_jails_release(&js);
	ioc_assigns_free(as, (size_t)n);
	return rc;
}

/* Prints what destroy did to the jail: "TAG (UUID) stopped", then "... destroyed". */
static void
ioc_print_destroy(void *arg, const char *uuid, const char *tag, const char *what)
{
	(void)arg;
	printf("%s (%s) %s\n", tag, uuid, what);
}

int
ioc_cmd_destroy(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_destroy_req req;
	struct ioc_destroy_target d;
	int k = ioc_opts_parse(ctx, "destroy", "fr", argc - 1, argv + 1, &o, err);
	int rc = -1;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "destroy");
	memset(&req, 0, sizeof(req));
	req.name = argv[0];
	req.force = o.seen['f'];
	req.did = ioc_print_destroy;
	if (ioc_destroy_check(&ctx->root, &req, &d, err) != 0)
		return -1;
	if (!req.force && isatty(0)) {
		char line[16];
		fprintf(stderr, "destroy jail %s (%s) and all its data? [y/N] ",
		    ioc_jail_get(d.j, "tag"), d.j->uuid);
		if (fgets(line, sizeof(line), stdin) == NULL ||
		    (line[0] != 'y' && line[0] != 'Y')) {
			ioc_err(err, "not destroyed");
			goto out;
		}
	}
	rc = ioc_jail_destroy(&ctx->root, &req, &d, err);
out:
	ioc_destroy_target_release(&d);
	return rc;
}

int
ioc_cmd_clean(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv removed = IOC_STRV_INIT, works = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv notes = IOC_STRV_INIT;
	struct ioc_jails js;
	int rc;
	(void)argv;
	if (argc != 1)
		return ioc_usage(err, "clean");
	if (ioc_jails_load(&ctx->root, (const char *const[]) { "tag", NULL }, &js, err) != 0)
		return -1;
	rc = ioc_debris_sweep(&ctx->root, &js, &removed, err);
	ioc_jails_release(&js);
	if (rc == 0) {
		ioc_print_lines(&removed, "removed debris ");
		ioc_strv_release(&removed);
		ioc_strv_init(&removed);
		rc = ioc_snapshot_debris_sweep(&ctx->root, &removed, err);
		ioc_print_lines(&removed, "removed debris ");
	}
	if (rc == 0) {
		rc = ioc_record_sweep(&ctx->root, NULL, &works, err);
		ioc_print_lines(&works, "removed debris ");
	}
	if (rc == 0) {
		rc = ioc_update_recover_all(&ctx->root, &notes, err);
		ioc_print_lines(&notes, "");
	}
	return rc;
}
