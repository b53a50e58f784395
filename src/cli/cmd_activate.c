/*
 * cmd_activate.c — activate, deactivate and subids: the words parsed and
 * what was done printed; the work is ops/activate.c's (and ops/filepool.c's
 * for activate --file).
 */
#include "cli/commands.h"

#include <string.h>

/* activate --file PATH SIZE [POOL/DATASET]: a new pool on a new file, then its root. */
static int
ioc_activate_file(
    int argc, char **argv, const char **ds, struct ioc_filepool_req *req, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv said = IOC_STRV_INIT;
	int rc;
	if (argc < 3 || argc > 4)
		return ioc_usage(err, "activate");
	memset(req, 0, sizeof(*req));
	req->path = argv[1];
	req->dataset = argc == 4 ? argv[3] : "iocage/iocage";
	if (ioc_parse_size(argv[2], &req->size) != 0)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "activate --file: invalid size '%s': expected a "
		    "number with K, M, G or T (at least 64M)",
		    argv[2]);
	rc = ioc_filepool_make(req, &said, err);
	ioc_print_lines(&said, "");
	*ds = req->dataset;
	return rc;
}

int
ioc_cmd_activate(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv said = IOC_STRV_INIT;
	struct ioc_opts o;
	struct ioc_filepool_req fp;
	int i, rc;
	const char *ds = NULL;
	memset(&fp, 0, sizeof(fp));
	if (argc >= 2 && strcmp(argv[1], "--file") == 0) {
		if (ioc_activate_file(argc - 1, argv + 1, &ds, &fp, err) != 0)
			return -1;
	} else {
		i = ioc_opts_parse(ctx, "activate", "", argc - 1, argv + 1, &o, err);
		if (i < 0)
			return -1;
		argc -= i + 1;
		argv += i + 1;
		if (argc > 1)
			return ioc_usage(err, "activate");
		ds = argc == 1 ? argv[0] : NULL;
	}
	if (ds == NULL && ctx->root_arg && *ctx->root_arg)
		ds = ctx->root_arg;
	if (ds == NULL) {
		if (ioc_root_list_active(&said, err) != 0)
			return -1;
		if (said.n == 0)
			return ioc_err(
			    err, "no active iocage root: run 'iocage activate POOL/DATASET'");
		ioc_print_lines(&said, "");
		return 0;
	}
	rc = ioc_activate(ds, fp.path, &said, err);
	ioc_print_lines(&said, "");
	return rc;
}

int
ioc_cmd_subids(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv said = IOC_STRV_INIT;
	int rc;
	(void)ctx;
	if (argc != 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0) ||
	    argv[2][0] != '/')
		return ioc_usage(err, "subids");
	rc = ioc_subids_install(argv[2], strcmp(argv[1], "add") == 0, &said, err);
	ioc_print_lines(&said, "");
	return rc;
}

int
ioc_cmd_deactivate(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv said = IOC_STRV_INIT;
	struct ioc_opts o;
	int i = ioc_opts_parse(ctx, "deactivate", "", argc - 1, argv + 1, &o, err), rc;
	if (i < 0)
		return -1;
	argc -= i + 1;
	argv += i + 1;
	if (argc > 1)
		return ioc_usage(err, "deactivate");
	if (ioc_root_find(argc == 1 ? argv[0] : ctx->root_arg, &ctx->root, err) != 0)
		return -1;
	ioc_zfs_set_guard_root(ctx->root.name);
	rc = ioc_deactivate(&ctx->root, &said, err);
	ioc_print_lines(&said, "");
	return rc;
}
