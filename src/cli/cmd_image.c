/*
 * cmd_image.c — `export` and `import` of whole jails (format: image.h,
 * docs/image-format.md); the import itself is an operation (ops/import.c).
 *
 * export: the operation (ops/export.c) plans the image and writes it to a
 * file descriptor; the command picks the file, written under a temporary
 * name (locked, so a later export can tell a dead one's leftover from a
 * running one's) and renamed when complete, with NAME.sha256 beside it.
 *
 * import: the command finds the file (a path, or a name in R/images and
 * R/packages as the shell iocage did), validates the overrides, hands
 * differential packages to cmd_record.c and the rest to ioc_jail_import or
 * ioc_jail_import_legacy, draws the progress bar and prints the new jail.
 */
#include "cli/commands.h"
#include "image/record.h"
#include "fetch/fetch.h"
#include "image/image.h"
#include "spawn/spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

/* ---- export ---- */

/* Partial files of exports that died (their lock is free) are removed. */
static void
ioc_sweep_partials(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd;
		_cleanup_free_ char *p = NULL;
		if (strncmp(de->d_name, ".ioc-partial-", 13) != 0)
			continue;
		p = ioc_xasprintf("%s/%s", dir, de->d_name);
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(p);
		close(fd);
	}
	closedir(d);
}

int
ioc_cmd_export(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *j;
	struct ioc_export_plan plan;
	struct ioc_progress prog;
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *final = NULL;
	_cleanup_free_ char *partial = NULL;
	char hex[65];
	int k = ioc_opts_parse(ctx, "export", "i", argc - 1, argv + 1, &o, err);
	int rc = -1, outfd = -1, to_stdout;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1 || argc > 2)
		return ioc_usage(err, "export");
	to_stdout = argc == 2 && strcmp(argv[1], "-") == 0;
	if (to_stdout && isatty(1))
		return ioc_err(err,
		    "export: refusing to write an image to a terminal: redirect it or name a FILE");
	if (argc == 2 && !to_stdout && (argv[1][0] == '\0' || ioc_has_ctrl(argv[1])))
		return ioc_fail(err, IOC_EXIT_USAGE, "export: invalid file name");
	memset(&plan, 0, sizeof(plan));
	ioc_manifest_init(&plan.m);
	if (ioc_ctx_jail(ctx, argv[0], NULL, &js, &j, err) != 0 ||
	    ioc_export_plan_make(&ctx->root, j, argv[0], o.seen['i'], &plan, err) != 0)
		goto out;
	/* where to */
	if (to_stdout) {
		outfd = 1;
	} else {
		_cleanup_free_ char *stamp = ioc_now_fmt("%Y%m%d-%H%M%S");
		_cleanup_free_ char *pdir = NULL;
		if (argc == 2) {
			const char *sl = strrchr(argv[1], '/');
			final = ioc_xstrdup(argv[1]);
			pdir = sl == NULL ? ioc_xstrdup(".") :
			    sl == argv[1] ? ioc_xstrdup("/") :
					    ioc_xstrndup(argv[1], (size_t)(sl - argv[1]));
		} else {
			if (ioc_root_store_dir(&ctx->root, "images", &dir, err) != 0)
				goto out;
			final = ioc_xasprintf("%s/%s-%s.ioc", dir, plan.m.tag, stamp);
			pdir = ioc_xstrdup(dir);
		}
		ioc_sweep_partials(pdir);
		partial = ioc_xasprintf("%s/.ioc-partial-XXXXXX", pdir);
		outfd = mkostemp(partial, O_CLOEXEC);
		if (outfd < 0) {
			ioc_err(err, "cannot create a file in '%s': %s", pdir, strerror(errno));
			free(partial);
			partial = NULL;
			goto out;
		}
		flock(outfd, LOCK_EX);
	}
	ioc_progress_init(&prog, "export");
	if (ioc_jail_export(&ctx->root, j, &plan, outfd, ioc_progress_cb, &prog, hex, err) != 0)
		goto out;
	if (!to_stdout) {
		_cleanup_free_ char *sumpath = ioc_xasprintf("%s.sha256", final);
		_cleanup_free_ char *line = ioc_xasprintf("%s\n", hex);
		if (fsync(outfd) != 0) {
			ioc_err(err, "cannot write '%s': %s", final, strerror(errno));
			goto out;
		}
		if (argc == 2) {
			if (rename(partial, final) != 0) {
				ioc_err(err, "cannot write '%s': %s", final, strerror(errno));
				goto out;
			}
		} else {
			/* R/images: never replace an image; a second one in the same second gets
			 * -2, -3 ... */
			unsigned n = 1;
			_cleanup_free_ char *stem = ioc_xstrndup(final, strlen(final) - 4);
			while (link(partial, final) != 0) {
				if (errno != EEXIST || ++n > 1000) {
					ioc_err(
					    err, "cannot write '%s': %s", final, strerror(errno));
					goto out;
				}
				free(final);
				final = ioc_xasprintf("%s-%u.ioc", stem, n);
			}
			unlink(partial);
		}
		free(partial);
		partial = NULL;
		if (ioc_write_file_atomic(sumpath, line, strlen(line), 0600, err) != 0)
			goto out;
		printf("%s exported to %s\n", plan.m.tag, final);
	}
	rc = 0;
out:
	if (partial != NULL)
		unlink(partial);
	if (outfd > 1)
		close(outfd);
	ioc_export_plan_release(&plan);
	ioc_jails_release(&js);
	return rc;
}

/* Validated command-line overrides. */
struct ioc_assign_list {
	const struct ioc_prop **p;
	char **v;
	size_t n;
};

static void
ioc_assign_list_release(struct ioc_assign_list *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->p);
	free(l->v);
}

/* Files in dir whose names start with name and end with one of the suffixes (regular files). */
static void
ioc_import_matches(
    const char *dir, const char *name, const char *const *suffixes, struct ioc_strv *out)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	size_t nl = strlen(name), i;
	while (d && (e = readdir(d)) != NULL) {
		size_t el = strlen(e->d_name);
		struct stat st;
		if (strncmp(e->d_name, name, nl) != 0)
			continue;
		for (i = 0; suffixes[i]; i++) {
			size_t sl = strlen(suffixes[i]);
			if (el > nl && el >= sl && strcmp(e->d_name + el - sl, suffixes[i]) == 0 &&
			    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode)) {
				ioc_strv_pushf(out, "%s/%s", dir, e->d_name);
				break;
			}
		}
	}
	if (d)
		closedir(d);
}

/*
 * import UUID|PREFIX|TAG: as the shell iocage (1.7.6 lib/ioc-image __import:
 * find $iocroot/packages/ and $iocroot/images/ -name NAME*.tar.xz), the one
 * image or package of R/images or R/packages whose file name starts with
 * name: the shell iocage's UUID_DATE.tar.xz and this project's TAG-DATE.ioc
 * and TAG-DATE.iocpkg.  Only for a name with no '/' that is no file here.
 * *path NULL: not such a name (take it as a path).
 */
static int
ioc_import_find(struct ioc_ctx *ctx, const char *name, char **path, struct ioc_error **err)
{
	static const char *const isuf[] = { ".tar.xz", ".ioc", NULL };
	static const char *const psuf[] = { ".tar.xz", ".iocpkg", NULL };
	_cleanup_strv_ struct ioc_strv imgs = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv pkgs = IOC_STRV_INIT;
	_cleanup_free_ char *ids = ioc_xasprintf("%s/images", ctx->root.name);
	_cleanup_free_ char *pds = ioc_xasprintf("%s/packages", ctx->root.name);
	_cleanup_free_ char *idir = NULL, *pdir = NULL;
	struct stat st;

	*path = NULL;
	if (strcmp(name, "-") == 0 || strchr(name, '/') != NULL || *name == '\0' || *name == '.' ||
	    ioc_has_ctrl(name) || lstat(name, &st) == 0 || errno != ENOENT)
		return 0;
	if (ioc_zfs_get1(ids, "mountpoint", &idir, err) != 0 ||
	    ioc_zfs_get1(pds, "mountpoint", &pdir, err) != 0)
		return -1;
	ioc_import_matches(idir && idir[0] == '/' ? idir : NULL, name, isuf, &imgs);
	ioc_import_matches(pdir && pdir[0] == '/' ? pdir : NULL, name, psuf, &pkgs);
	if (imgs.n > 1 || pkgs.n > 1) {
		const struct ioc_strv *many = imgs.n > 1 ? &imgs : &pkgs;
		struct ioc_sb list = IOC_SB_INIT;
		size_t i;
		int rc;
		ioc_sb_init(&list);
		for (i = 0; i < many->n; i++)
			ioc_sb_addf(&list, "%s%s", i ? ", " : "", many->v[i]);
		rc = ioc_err(err, "'%s' matches several %s (%s): give more of the name", name,
		    imgs.n > 1 ? "images" : "packages", list.buf);
		ioc_sb_release(&list);
		return rc;
	}
	if (imgs.n && pkgs.n)
		return ioc_err(err,
		    "'%s' matches both an image (%s) and a package (%s): give more of "
		    "the name or the path",
		    name, imgs.v[0], pkgs.v[0]);
	if (imgs.n + pkgs.n == 0)
		return ioc_err(err,
		    "no file, image or package named '%s' (looked for %s* in %s and %s)", name,
		    name, idir ? idir : ids, pdir ? pdir : pds);
	*path = ioc_xstrdup(imgs.n ? imgs.v[0] : pkgs.v[0]);
	return 0;
}

/*
 * 1 when file lives in R/packages: a .tar.xz there is a package of the shell
 * iocage (1.7.6 __import looked for packages there, images in R/images).
 */
static int
ioc_import_in_packages(struct ioc_ctx *ctx, const char *file)
{
	_cleanup_free_ char *pds = ioc_xasprintf("%s/packages", ctx->root.name);
	_cleanup_free_ char *pdir = NULL;
	_cleanup_free_ char *real = realpath(file, NULL);
	_cleanup_free_ char *rdir = NULL;
	const char *sl = real ? strrchr(real, '/') : NULL;
	if (sl == NULL || ioc_zfs_get1(pds, "mountpoint", &pdir, NULL) != 0 || pdir == NULL ||
	    pdir[0] != '/')
		return 0;
	rdir = realpath(pdir, NULL);
	return rdir != NULL && strlen(rdir) == (size_t)(sl - real) &&
	    strncmp(rdir, real, (size_t)(sl - real)) == 0;
}

int
ioc_cmd_import(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_opts o;
	struct ioc_assign_list ov = { NULL, NULL, 0 };
	struct ioc_import_req req;
	struct ioc_progress prog;
	_cleanup_free_ char *found = NULL;
	_cleanup_free_ char *uuid = NULL;
	_cleanup_free_ char *tag = NULL;
	const char *file;
	int k = ioc_opts_parse(ctx, "import", "", argc - 1, argv + 1, &o, err);
	int rc = -1, i;
	size_t fl;

	if (k < 0)
		return -1;
	argc -= k + 1;
	argv += k + 1;
	if (argc < 1)
		return ioc_usage(err, "import");
	if (ioc_import_find(ctx, argv[0], &found, err) != 0)
		return -1;
	file = found ? found : argv[0];
	if (ioc_record_is_package(file)) /* a differential package (cmd_record.c) */
		return ioc_cmd_import_package(ctx, file, argc - 1, argv + 1, err);
	ov.p = ioc_xcalloc((size_t)argc, sizeof(*ov.p));
	ov.v = ioc_xcalloc((size_t)argc, sizeof(*ov.v));
	for (i = 1; i < argc; i++) {
		if (ioc_prop_parse_assign(argv[i], 1, &ov.p[ov.n], &ov.v[ov.n], err) != 0)
			goto out;
		ov.n++;
		if (ioc_ops_check_prop(ov.p[ov.n - 1], ov.v[ov.n - 1], err) != 0)
			goto out;
		if (strcmp(ov.p[ov.n - 1]->name, "template") == 0 &&
		    strcmp(ov.v[ov.n - 1], "yes") == 0) {
			ioc_err(err,
			    "import: template=yes is set afterwards ('iocage set template=yes TAG')");
			goto out;
		}
	}
	memset(&req, 0, sizeof(req));
	req.file = file;
	req.p = ov.p;
	req.v = ov.v;
	req.n = ov.n;
	ioc_progress_init(&prog, "import");
	req.progress = ioc_progress_cb;
	req.progress_arg = &prog;
	fl = strlen(file);
	if (fl > 7 && strcmp(file + fl - 7, ".tar.xz") == 0) {
		req.legacy_package = ioc_import_in_packages(ctx, file);
		rc = ioc_jail_import_legacy(&ctx->root, &req, &uuid, &tag, err);
	} else
		rc = ioc_jail_import(&ctx->root, &req, &uuid, &tag, err);
	/* a complete jail is named, also when a last step (a tags/ link) failed */
	if (uuid != NULL)
		printf("%s %s\n", uuid, tag);
out:
	ioc_assign_list_release(&ov);
	return rc;
}
