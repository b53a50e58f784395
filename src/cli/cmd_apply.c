/*
 * cmd_apply.c — `iocage apply [-n] FILE [TAG]`: a jail made, or brought to
 * what its recipe says (core/recipe.h, ops/apply.c, docs/RECIPES.md).  TAG
 * defaults to the recipe's file name without its extension.  The plan is
 * printed first, one line an action ("done before:" for steps recorded as
 * done); -n (or --dry-run) stops there.  --json prints the lines as one
 * object at the end.
 */
#include "cli/commands.h"
#include "ops/ops.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The tag a recipe gives its jail: the file's name up to its last '.'. */
static char *
ioc_apply_default_tag(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dot = strrchr(base, '.');
	return ioc_xstrndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

int
ioc_cmd_apply(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_recipe r;
	struct ioc_apply_req req;
	_cleanup_strv_ struct ioc_strv json = IOC_STRV_INIT;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *dirpath = NULL;
	_cleanup_close_ int dirfd = -1;
	const char *path;
	size_t len = 0, i;
	int k = ioc_opts_parse(ctx, "apply", "n", argc - 1, argv + 1, &o, err), rc;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1 || argc > 2)
		return ioc_usage(err, "apply");
	path = argv[0];
	tag = argc == 2 ? ioc_xstrdup(argv[1]) : ioc_apply_default_tag(path);
	if (ioc_valid_tag(tag, err) != 0)
		return ioc_error_wrap(err, "apply: %s",
		    argc == 2 ?
			"TAG" :
			"the recipe's file name (without its extension) is the tag; name one after FILE");
	if (ioc_read_file(path, 1024 * 1024 + 1, &text, &len, err) != 0)
		return ioc_error_wrap(err, "apply: recipe");
	if (ioc_recipe_parse(text, len, &r, err) != 0)
		return -1;
	dir = strrchr(path, '/') ? ioc_xstrndup(path, (size_t)(strrchr(path, '/') - path)) :
				   ioc_xstrdup(".");
	dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dirpath = realpath(dir[0] ? dir : "/", NULL);
	if (dirfd < 0 || dirpath == NULL) {
		ioc_recipe_release(&r);
		return ioc_err(err, "apply: the recipe's folder '%s' cannot be opened", dir);
	}
	memset(&req, 0, sizeof(req));
	req.r = &r;
	req.dirfd = dirfd;
	req.dirpath = dirpath;
	req.tag = tag;
	req.dry_run = ctx->dry_run || o.seen['n'];
	req.say = ioc_print_line;
	req.say_arg = ctx->fmt == IOC_FMT_JSON ? &json : NULL;
	rc = req.dry_run ? 0 : ioc_ops_prepare(err);
	if (rc == 0)
		rc = ioc_jail_apply(&ctx->root, &req, err);
	ioc_recipe_release(&r);
	if (ctx->fmt == IOC_FMT_JSON) {
		struct ioc_sb sb = IOC_SB_INIT;
		ioc_sb_init(&sb);
		ioc_sb_adds(&sb, "{\"tag\": ");
		ioc_sb_add_json(&sb, tag);
		ioc_sb_addf(&sb, ", \"applied\": %s, \"dry_run\": %s, \"lines\": [",
		    rc == 0 && !req.dry_run ? "true" : "false", req.dry_run ? "true" : "false");
		for (i = 0; i < json.n; i++) {
			ioc_sb_adds(&sb, i ? ", " : "");
			ioc_sb_add_json(&sb, json.v[i]);
		}
		ioc_sb_adds(&sb, "]}");
		printf("%s\n", sb.buf);
		ioc_sb_release(&sb);
	}
	return rc;
}
