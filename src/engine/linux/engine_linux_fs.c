/* engine_linux_fs.c — file operations inside a jail's root that never leave it. */
#include "engine/linux/engine_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
ioc_lx_root_open(const char *rootfs, struct ioc_error **err)
{
	int fd;
	if (rootfs == NULL || rootfs[0] != '/')
		return ioc_err(err, "the jail's root dataset is not mounted");
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(
		    err, "cannot open the jail's root '%s': %s", rootfs, strerror(errno));
	return fd;
}

int
ioc_lx_openat(int rootfd, const char *path, int flags, int nosym)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.mode = (flags & O_CREAT) ? 0644 : 0;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (nosym ? RESOLVE_NO_SYMLINKS : 0);
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

int
ioc_lx_find_prog(int rootfd, const char *name, char **path)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
		"/usr/bin", "/sbin", "/bin", NULL };
	size_t i;
	*path = NULL;
	for (i = 0; dirs[i]; i++) {
		_cleanup_free_ char *p =
		    name[0] == '/' ? ioc_xstrdup(name) : ioc_xasprintf("%s/%s", dirs[i], name);
		struct stat st;
		int fd;
		if (strchr(name, '/') && name[0] != '/')
			return -1;
		fd = ioc_lx_openat(rootfd, p, O_PATH, 0);
		if (fd >= 0) {
			int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
			close(fd);
			if (ok) {
				*path = ioc_steal(&p);
				return 0;
			}
		}
		if (name[0] == '/')
			return -1;
	}
	return -1;
}

#define IOC_LX_READ_MAX (1 << 20)

/*
 * Reads a small file inside the jail (no symlinks leaving the root).  The
 * jail's root owns the path: a FIFO would block the open and a read forever
 * (stop, rcshutdown and rcboot hold locks meanwhile), a socket or a device
 * is no file, a huge sparse file would be read whole.  So: a non-blocking
 * open, a regular file only, at most IOC_LX_READ_MAX bytes.
 */
static int
ioc_lx_read(int rootfd, const char *path, char **out, struct ioc_error **err)
{
	struct ioc_sb sb = IOC_SB_INIT;
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd = ioc_lx_openat(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return ioc_err(err, "cannot read %s in the jail: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ioc_err(err, "%s in the jail is not a regular file (refused)", path);
	}
	if (st.st_size > IOC_LX_READ_MAX) {
		close(fd);
		return ioc_err(
		    err, "%s in the jail is larger than %d bytes (refused)", path, IOC_LX_READ_MAX);
	}
	ioc_sb_init(&sb);
	while (sb.len <= IOC_LX_READ_MAX && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ioc_sb_release(&sb);
			close(fd);
			return ioc_err(
			    err, "cannot read %s in the jail: %s", path, strerror(errno));
		}
		ioc_sb_add(&sb, buf, (size_t)n);
	}
	close(fd);
	if (sb.len > IOC_LX_READ_MAX) {
		ioc_sb_release(&sb);
		return ioc_err(
		    err, "%s in the jail is larger than %d bytes (refused)", path, IOC_LX_READ_MAX);
	}
	*out = ioc_sb_detach(&sb);
	return 0;
}

int
ioc_lx_passwd(int rootfd, const char *user, uid_t *uid, gid_t *gid, char **home, char **shell,
    struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	size_t i;
	if (ioc_lx_read(rootfd, "/etc/passwd", &text, err) != 0)
		return -1;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n; i++) {
		_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
		long long u, g;
		ioc_strv_split(&f, lines.v[i], ':');
		if (f.n < 7 || strcmp(f.v[0], user) != 0)
			continue;
		if (ioc_parse_ll(f.v[2], 0, 4294967294LL, &u) != 0 ||
		    ioc_parse_ll(f.v[3], 0, 4294967294LL, &g) != 0)
			return ioc_err(
			    err, "user '%s' has a malformed entry in the jail's /etc/passwd", user);
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		if (home)
			*home = ioc_xstrdup(*f.v[5] ? f.v[5] : "/");
		if (shell)
			*shell = ioc_xstrdup(*f.v[6] ? f.v[6] : IOC_DEFAULT_SHELL);
		return 0;
	}
	if (ioc_has_ctrl(user) || strlen(user) > 64)
		return ioc_err(err, "no such user in the jail's /etc/passwd");
	return ioc_err(err, "no user '%s' in the jail's /etc/passwd", user);
}

int
ioc_lx_write_resolv(int rootfd, const char *value, uid_t uid, gid_t gid, struct ioc_error **err)
{
	struct ioc_sb sb = IOC_SB_INIT;
	char tmp[64];
	int dfd, fd, rc = -1;
	size_t off = 0;

	if (strcmp(value, "none") == 0)
		return 0;
	ioc_sb_init(&sb);
	if (value[0] == '/') {
		/* a host file to copy (the original's resolver=/etc/resolv.conf) */
		char *data = NULL;
		size_t len = 0;
		if (ioc_read_file(value, 65536, &data, &len, err) != 0) {
			ioc_sb_release(&sb);
			return ioc_error_wrap(err, "resolver");
		}
		ioc_sb_add(&sb, data, len);
		free(data);
	} else {
		_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
		size_t i;
		ioc_strv_split(&parts, value, ';');
		for (i = 0; i < parts.n; i++) {
			const char *l = parts.v[i];
			while (*l == ' ' || *l == '\t')
				l++;
			if (*l)
				ioc_sb_addf(&sb, "%s\n", l);
		}
	}
	dfd = ioc_lx_openat(rootfd, "/etc", O_DIRECTORY | O_RDONLY, 1);
	if (dfd < 0) {
		ioc_err(err, "cannot write the jail's /etc/resolv.conf: /etc %s",
		    errno == ELOOP ? "is a symbolic link (refused)" : strerror(errno));
		goto out_sb;
	}
	snprintf(tmp, sizeof(tmp), ".resolv.conf.ioc%ld", (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		ioc_err(err, "cannot write the jail's /etc/resolv.conf: %s", strerror(errno));
		goto out_dfd;
	}
	while (off < sb.len) {
		ssize_t n = write(fd, sb.buf + off, sb.len - off);
		if (n <= 0) {
			ioc_err(
			    err, "cannot write the jail's /etc/resolv.conf: %s", strerror(errno));
			close(fd);
			unlinkat(dfd, tmp, 0);
			goto out_dfd;
		}
		off += (size_t)n;
	}
	if (fchown(fd, uid, gid) != 0 || fsync(fd) != 0 || close(fd) != 0 ||
	    renameat(dfd, tmp, dfd, "resolv.conf") != 0) {
		ioc_err(err, "cannot write the jail's /etc/resolv.conf: %s", strerror(errno));
		unlinkat(dfd, tmp, 0);
		goto out_dfd;
	}
	rc = 0;
out_dfd:
	close(dfd);
out_sb:
	ioc_sb_release(&sb);
	return rc;
}

int
ioc_lx_mount_target(int rootfd, const char *path, int mkdir_missing, uid_t uid, gid_t gid,
    const char *what, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv comp = IOC_STRV_INIT;
	int dfd = dup(rootfd), nfd;
	size_t i;
	struct stat st;

	if (dfd < 0)
		return ioc_err(err, "%s: %s", what, strerror(errno));
	fcntl(dfd, F_SETFD, FD_CLOEXEC);
	ioc_strv_split(&comp, path, '/');
	for (i = 0; i < comp.n; i++) {
		const char *c = comp.v[i];
		if (*c == '\0' || strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			close(dfd);
			return ioc_err(err, "%s: '%s' contains '..'", what, path);
		}
		nfd = openat(dfd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && mkdir_missing) {
			if (mkdirat(dfd, c, 0755) != 0 && errno != EEXIST) {
				ioc_err(err, "%s: cannot create '%s' in the jail: %s", what, path,
				    strerror(errno));
				close(dfd);
				return -1;
			}
			nfd = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd >= 0 && fchown(nfd, uid, gid) != 0) {
				close(nfd);
				nfd = -1;
			}
		}
		if (nfd < 0) {
			ioc_err(err, "%s: '%s' does not exist in the jail (%s)", what, path,
			    strerror(errno));
			close(dfd);
			return -1;
		}
		close(dfd);
		dfd = nfd;
		if (fstat(dfd, &st) != 0 || S_ISLNK(st.st_mode)) {
			close(dfd);
			return ioc_err(err,
			    "%s: '%s' in the jail is or goes through a symbolic link "
			    "('%s'): refusing to mount there",
			    what, path, c);
		}
		if (!S_ISDIR(st.st_mode) && i + 1 < comp.n) {
			close(dfd);
			return ioc_err(err,
			    "%s: '%s' in the jail goes through '%s', which is not a "
			    "directory",
			    what, path, c);
		}
	}
	close(dfd);
	return 0;
}

void
ioc_lx_words(const char *cmd, struct ioc_strv *out)
{
	const char *p = cmd;
	while (*p) {
		const char *s;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		ioc_strv_push_owned(out, ioc_xstrndup(s, (size_t)(p - s)));
	}
}
