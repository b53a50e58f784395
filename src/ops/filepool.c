/*
 * filepool.c — a first root on a host without a pool: `activate --file PATH
 * SIZE [POOL/DATASET]` makes a pool on a sparse file (zfs-fuse started when
 * no ZFS kernel module is loaded and its daemon does not answer), and a
 * systemd unit that imports the pool again at boot; deactivate removes the
 * unit and exports the pool when iocage's root is all it holds.
 *
 * Every value that reaches the unit file is checked against a small
 * alphabet first (no quoting rules of systemd to get right), the pool name
 * must be free and the file must not exist: nothing is made before all of
 * it holds, and a failure after the pool was made destroys it again.
 */
#include "ops/ops.h"
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IOC_FILEPOOL_MIN (64ULL << 20) /* zpool refuses smaller vdevs */

const char *
ioc_filepool_unit_dir(void)
{
	const char *d = getenv("IOCAGE_SYSTEMD_DIR");
	return d && *d == '/' ? d : "/etc/systemd/system";
}

/* Letters, digits and "._-/" only: safe in a unit file and a zfs property as they are. */
static int
ioc_filepool_word_ok(const char *s, const char *extra)
{
	const char *p;
	if (*s == '\0')
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("._-", *p) ||
			(extra && strchr(extra, *p))))
			return 0;
	return 1;
}

/* Lists the imported pools into names (may be NULL): 0 when ZFS answers. */
static int
ioc_filepool_pools(struct ioc_strv *names, struct ioc_error **err)
{
	char *const argv[] = { "zpool", "list", "-H", "-o", "name", NULL };
	_cleanup_free_ char *out = NULL;
	if (ioc_run_ok(argv, &out, err) != 0)
		return -1;
	if (names && out)
		ioc_strv_split(names, out, '\n');
	return 0;
}

/* ZFS answers, or zfs-fuse is started (no kernel module) and answers within 10 s. */
static int
ioc_filepool_zfs_up(struct ioc_strv *said, struct ioc_error **err)
{
	char *const start[] = { "zfs-fuse", NULL };
	struct ioc_error *e = NULL;
	struct stat st;
	int i;
	if (ioc_filepool_pools(NULL, &e) == 0)
		return 0;
	if (stat("/sys/module/zfs", &st) == 0 || ioc_prog_path("zfs-fuse") == NULL) {
		ioc_err(err,
		    "ZFS does not answer (%s): load the zfs kernel module, or install zfs-fuse",
		    e->msg);
		ioc_error_free(e);
		return -1;
	}
	ioc_error_free(e);
	if (ioc_run_ok(start, NULL, err) != 0)
		return ioc_error_wrap(err, "cannot start zfs-fuse");
	for (i = 0; i < 40; i++) {
		struct timespec ts = { 0, 250L * 1000 * 1000 };
		e = NULL;
		if (ioc_filepool_pools(NULL, &e) == 0) {
			ioc_strv_push(said, "started zfs-fuse (no ZFS kernel module is loaded)");
			return 0;
		}
		ioc_error_free(e);
		nanosleep(&ts, NULL);
	}
	return ioc_err(err, "zfs-fuse was started but ZFS still does not answer");
}

int
ioc_filepool_check(const struct ioc_filepool_req *req, struct ioc_error **err)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash;
	struct stat st;
	if (req->path[0] != '/' || !ioc_filepool_word_ok(req->path, "/") ||
	    strstr(req->path, "/../") || strstr(req->path, "//") ||
	    req->path[strlen(req->path) - 1] == '/')
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "activate --file: invalid file '%s': expected an "
		    "absolute path of letters, digits, '.', '_', '-' and '/'",
		    req->path);
	if (req->size < IOC_FILEPOOL_MIN)
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "activate --file: the size must be at least 64M "
		    "(zpool's smallest device)");
	slash = strchr(req->dataset, '/');
	if (slash == NULL || strchr(slash + 1, '/') != NULL || slash == req->dataset ||
	    !ioc_filepool_word_ok(req->dataset, "/") ||
	    !((req->dataset[0] >= 'a' && req->dataset[0] <= 'z') ||
		(req->dataset[0] >= 'A' && req->dataset[0] <= 'Z')))
		return ioc_fail(err, IOC_EXIT_USAGE,
		    "activate --file: invalid root '%s': expected "
		    "POOL/DATASET (a new pool; letters, digits, '.', '_', '-', the pool name "
		    "starting with a letter)",
		    req->dataset);
	if (lstat(req->path, &st) == 0)
		return ioc_err(err, "activate --file: '%s' exists: name a new file", req->path);
	dir = ioc_xstrndup(req->path, (size_t)(strrchr(req->path, '/') - req->path));
	if (*dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return ioc_err(err, "activate --file: '%s' is not a directory", dir);
	return 0;
}

/* The unit's name: iocage-pool-POOL.service. */
static char *
ioc_filepool_unit(const char *pool)
{
	return ioc_xasprintf("iocage-pool-%s.service", pool);
}

/* Writes the unit and enables it (the link systemctl enable makes: no systemd needed). */
static int
ioc_filepool_unit_write(
    const struct ioc_filepool_req *req, const char *pool, char **unit_path, struct ioc_error **err)
{
	const char *ud = ioc_filepool_unit_dir();
	_cleanup_free_ char *unit = ioc_filepool_unit(pool);
	_cleanup_free_ char *dir =
	    ioc_xstrndup(req->path, (size_t)(strrchr(req->path, '/') - req->path));
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", ud, unit);
	_cleanup_free_ char *wants = ioc_xasprintf("%s/multi-user.target.wants", ud);
	_cleanup_free_ char *link = ioc_xasprintf("%s/%s", wants, unit);
	const char *zpool = ioc_prog_path("zpool");
	struct ioc_sb sb = IOC_SB_INIT;
	int rc;
	ioc_sb_addf(&sb,
	    "# Made by 'iocage activate --file %s': imports the pool %s from its file "
	    "at boot.\n# 'iocage deactivate %s' removes it.\n[Unit]\nDescription=iocage pool %s "
	    "(file %s)\nDefaultDependencies=no\nAfter=local-fs.target zfs-fuse.service "
	    "zfs-import.target\nWants=zfs-fuse.service\nBefore=zfs-mount.service\n\n[Service]\n"
	    "Type=oneshot\nRemainAfterExit=yes\n# already imported (zfs-fuse's cache) is fine\n"
	    "ExecStart=-%s import -d %s %s\n\n[Install]\nWantedBy=multi-user.target\n",
	    req->path, pool, req->dataset, pool, req->path, zpool ? zpool : "/sbin/zpool",
	    *dir ? dir : "/", pool);
	rc = ioc_write_file_atomic(path, sb.buf, sb.len, 0644, err);
	ioc_sb_release(&sb);
	if (rc != 0)
		return -1;
	if (mkdir(wants, 0755) != 0 && errno != EEXIST)
		return ioc_err(err, "cannot make %s: %s", wants, strerror(errno));
	(void)unlink(link);
	if (symlink(path, link) != 0)
		return ioc_err(err, "cannot enable %s (%s): %s", unit, link, strerror(errno));
	*unit_path = ioc_steal(&path);
	return 0;
}

int
ioc_filepool_make(const struct ioc_filepool_req *req, struct ioc_strv *said, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv pools = IOC_STRV_INIT;
	_cleanup_free_ char *pool = ioc_xstrndup(req->dataset, strcspn(req->dataset, "/"));
	_cleanup_free_ char *unit_path = NULL;
	char *const create[] = { "zpool", "create", pool, (char *)req->path, NULL };
	char *const destroy[] = { "zpool", "destroy", "-f", pool, NULL };
	int fd, made_pool = 0;
	struct stat st;
	if (ioc_filepool_check(req, err) != 0 || ioc_filepool_zfs_up(said, err) != 0 ||
	    ioc_filepool_pools(&pools, err) != 0)
		return -1;
	if (ioc_strv_contains(&pools, pool))
		return ioc_err(err,
		    "activate --file: a pool named '%s' exists already: name another "
		    "(POOL/DATASET), or activate a dataset of it without --file",
		    pool);
	fd = open(req->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ioc_err(err, "cannot create '%s': %s", req->path, strerror(errno));
	if (ftruncate(fd, (off_t)req->size) != 0) {
		ioc_err(err, "cannot size '%s': %s", req->path, strerror(errno));
		close(fd);
		goto undo;
	}
	close(fd);
	if (ioc_run_ok(create, NULL, err) != 0)
		goto undo;
	made_pool = 1;
	if (stat(ioc_filepool_unit_dir(), &st) != 0 || !S_ISDIR(st.st_mode)) {
		/* no systemd here (FreeBSD, OpenRC): importing at boot is the host's to arrange */
		ioc_strv_pushf(said,
		    "made pool %s on %s (%llu bytes, sparse); no systemd unit "
		    "directory (%s): nothing imports it at boot",
		    pool, req->path, req->size, ioc_filepool_unit_dir());
		return 0;
	}
	if (ioc_filepool_unit_write(req, pool, &unit_path, err) != 0)
		goto undo;
	ioc_strv_pushf(said, "made pool %s on %s (%llu bytes, sparse); %s imports it at boot", pool,
	    req->path, req->size, unit_path);
	return 0;
undo:
	if (made_pool) {
		struct ioc_error *e = NULL;
		if (ioc_run_ok(destroy, NULL, &e) != 0)
			ioc_error_free(e);
	}
	(void)unlink(req->path);
	return -1;
}

int
ioc_filepool_unmake(
    const char *root, const char *file, struct ioc_strv *said, struct ioc_error **err)
{
	_cleanup_free_ char *pool = ioc_xstrndup(root, strcspn(root, "/"));
	_cleanup_free_ char *unit = ioc_filepool_unit(pool);
	_cleanup_free_ char *path = ioc_xasprintf("%s/%s", ioc_filepool_unit_dir(), unit);
	_cleanup_free_ char *link =
	    ioc_xasprintf("%s/multi-user.target.wants/%s", ioc_filepool_unit_dir(), unit);
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
	char *const list[] = { "zfs", "list", "-H", "-o", "name", "-r", pool, NULL };
	char *const exp[] = { "zpool", "export", pool, NULL };
	size_t i;
	if (!ioc_filepool_word_ok(pool, NULL))
		return ioc_err(err, "deactivate: invalid pool name '%s'", pool);
	if (unlink(link) != 0 && errno != ENOENT)
		return ioc_err(err, "cannot remove %s: %s", link, strerror(errno));
	if (unlink(path) == 0)
		ioc_strv_pushf(said, "removed the boot unit %s", path);
	else if (errno != ENOENT)
		return ioc_err(err, "cannot remove %s: %s", path, strerror(errno));
	/* the pool goes away only when iocage's root is all it holds */
	if (ioc_run_ok(list, &out, err) != 0)
		return -1;
	ioc_strv_split(&kids, out ? out : "", '\n');
	for (i = 0; i < kids.n; i++) {
		size_t rl = strlen(root);
		if (*kids.v[i] == '\0' || strcmp(kids.v[i], pool) == 0 ||
		    (strncmp(kids.v[i], root, rl) == 0 &&
			(kids.v[i][rl] == '\0' || kids.v[i][rl] == '/')))
			continue;
		ioc_strv_pushf(said, "kept pool %s imported: it holds more than %s (%s)", pool,
		    root, kids.v[i]);
		return 0;
	}
	if (ioc_run_ok(exp, NULL, err) != 0)
		return ioc_error_wrap(err, "cannot export pool %s", pool);
	ioc_strv_pushf(said,
	    "exported pool %s; its file %s is kept ('zpool import -d DIR %s' "
	    "brings it back, removing the file frees the space)",
	    pool, file, pool);
	return 0;
}
