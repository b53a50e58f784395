/*
 * cmd_record.c — differential packages: `record start|stop`, `package`, and
 * `import PACKAGE` (dispatched from import when the file is a package).
 * Parsed and printed here; the work is ops/package.c's.
 */
#include "cli/commands.h"
#include "image/record.h"

#include <string.h>

int
ioc_cmd_record(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	const char *tag;
	int k = ioc_opts_parse(ctx, "record", "", argc - 1, argv + 1, &o, err), start, discarded,
	    rc;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 2 || (strcmp(argv[0], "start") != 0 && strcmp(argv[0], "stop") != 0))
		return ioc_usage(err, "record");
	start = strcmp(argv[0], "start") == 0;
	if (ioc_ctx_jail(ctx, argv[1], NULL, &js, &j, err) != 0)
		return -1;
	tag = ioc_jail_get(j, "tag");
	rc = ioc_jail_record(&ctx->root, j, start, &discarded, err);
	if (rc == 0 && start)
		printf("%s: recording changes (snapshot @%s)%s\n", tag, IOC_RECORD_START,
		    discarded ? "; the previous recording was discarded" : "");
	else if (rc == 0)
		printf(
		    "%s: recording stopped (snapshot @%s); 'iocage package %s' writes the package\n",
		    tag, IOC_RECORD_STOP, tag);
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_package(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js;
	struct ioc_jail *j;
	struct ioc_package_result res;
	int k = ioc_opts_parse(ctx, "package", "", argc - 1, argv + 1, &o, err), rc;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc != 1)
		return ioc_usage(err, "package");
	if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0)
		return -1;
	rc = ioc_jail_package(&ctx->root, j, &res, err);
	if (rc == 0) {
		printf("package %s written: %zu added or changed, %zu deleted\nsha256 %s\n",
		    res.path, res.changed, res.deleted, res.sha256);
		ioc_package_result_release(&res);
	}
	ioc_jails_release(&js);
	return rc;
}

int
ioc_cmd_import_package(
    struct ioc_ctx *ctx, const char *file, int nprops, char **props, struct ioc_error **err)
{
	struct ioc_pkgimport_result res;
	int rc = ioc_package_import(&ctx->root, file, nprops, props, &res, err);
	/* the jail is complete once tagged: said even when a later step failed */
	if (res.uuid)
		printf("%s %s\npackage %s deployed onto %s: %llu added or changed, %llu deleted\n",
		    res.uuid, res.tag, file, res.tag, res.files, res.deletions);
	ioc_pkgimport_result_release(&res);
	return rc;
}
