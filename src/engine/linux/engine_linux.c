/*
 * engine_linux.c — jails as LXC system containers, through liblxc.
 *
 * A running jail is the container "ioc-UUID" under the lxcpath
 * RUNDIR/lxc (/var/run/iocage/lxc).  Its configuration is built in memory
 * with set_config_item at every start (nothing persistent; a copy is saved
 * in RUNDIR/lxc/ioc-UUID/config for inspection and removed at stop).  The
 * root filesystem is the jail's root dataset mountpoint ("dir:"), never
 * LXC's zfs backend.  PID 1 is ioc-init (src/init/ioc_init.c), bind-mounted
 * read-only at /dev/.ioc-init: it keeps the jail up after exec_start returns
 * and reaps orphans.  The JID shown by list is the init's host PID.
 *
 * Start is an ordered list of steps; a failing step undoes exactly the
 * steps before it that have an undo (STYLE.md, after jail(8)):
 * engine_linux_start.c, with the configuration from engine_linux_config.c.
 * This file: the container handle, id maps, states, exec, the set-time
 * checks and the ops table.
 */
#include "engine/engine.h"
#include "engine/linux/engine_linux.h"
#include "core/fstab.h"
#include "core/legacy.h"
#include "net/net.h"
#include "spawn/spawn.h"
#include "core/subid.h"
#include "core/runrec.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <lxc/lxccontainer.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

/* The lxcpath: RUNDIR/lxc. */
const char *
ioc_lx_path(void)
{
	static char *p;
	if (p == NULL)
		p = ioc_xasprintf("%s/lxc", ioc_rundir());
	return p;
}

char *
ioc_lx_name(const struct ioc_jail *j)
{
	return ioc_xasprintf("ioc-%s", j->uuid);
}

const char *
ioc_lx_get(const struct ioc_jail *j, const char *prop)
{
	const char *v = ioc_jail_get(j, prop);
	return v ? v : "none";
}

const char *
ioc_lx_get_cb(void *arg, const char *prop)
{
	return ioc_lx_get(arg, prop);
}

const char *
ioc_lx_tag(const struct ioc_jail *j)
{
	const char *t = ioc_jail_get(j, "tag");
	return t ? t : j->uuid;
}

/* Opens the container object (no configuration loaded: none is on disk). */
struct lxc_container *
ioc_lx_open(const struct ioc_jail *j, struct ioc_error **err)
{
	_cleanup_free_ char *name = ioc_lx_name(j);
	struct lxc_container *c = lxc_container_new(name, ioc_lx_path());
	if (c == NULL)
		ioc_err(err, "liblxc cannot open container '%s'", name);
	return c;
}

/* ---------------------------------------------------------------- ids */

int
ioc_lx_parse_idmap(const char *v, struct ioc_lx_idmap *m, struct ioc_error **err)
{
	const char *c = strchr(v, ':');
	_cleanup_free_ char *a = c ? ioc_xstrndup(v, (size_t)(c - v)) : NULL;
	long long h, n;
	if (!c || ioc_parse_ll(a, 1, 4294967295LL, &h) != 0 ||
	    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0)
		return ioc_err(err, "invalid userns_idmap '%s': expected HOSTID:COUNT", v);
	m->host = (unsigned long)h;
	m->count = (unsigned long)n;
	return 0;
}

/*
 * newuidmap/newgidmap (shadow) grant root only the ranges of /etc/subuid
 * and /etc/subgid (subid.h; `activate` adds the default one).  Says exactly
 * which line is missing.
 */
int
ioc_lx_check_subid(const char *file, const struct ioc_lx_idmap *m, struct ioc_error **err)
{
	int c = ioc_subid_file_covers(file, m->host, m->count, err);
	if (c != 0)
		return c > 0 ? 0 : -1;
	return ioc_err(err,
	    "the host's newuidmap/newgidmap allow root only the id ranges of %s, "
	    "which has no line covering userns_idmap=%lu:%lu: add the line 'root:%lu:%lu' to %s "
	    "('iocage activate' adds the root's default range when none covers it), or set "
	    "userns=off (weaker)",
	    file, m->host, m->count, m->host, m->count, file);
}

/* ------------------------------------------------------------- states */

static int
ioc_lx_states(const struct ioc_root *root, const struct ioc_jails *js, struct ioc_jstate *st,
    struct ioc_error **err)
{
	char **names = NULL;
	int n, i;
	size_t k;
	(void)err;
	if (access(ioc_lx_path(), F_OK) != 0)
		return 0;
	n = list_active_containers(ioc_lx_path(), &names, NULL);
	for (i = 0; i < n; i++) {
		for (k = 0; k < js->n; k++) {
			struct lxc_container *c;
			pid_t pid;
			if (strncmp(names[i], "ioc-", 4) != 0 ||
			    strcmp(names[i] + 4, js->v[k].uuid) != 0)
				continue;
			if (ioc_runrec_elsewhere(root->name, js->v[k].uuid))
				break; /* the same UUID in another root of this host runs */
			c = lxc_container_new(names[i], ioc_lx_path());
			if (c == NULL)
				break;
			pid = c->init_pid(c);
			if (pid > 0) {
				st[k].running = 1;
				snprintf(st[k].jid, sizeof(st[k].jid), "%ld", (long)pid);
			}
			lxc_container_put(c);
			break;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

static int
ioc_lx_others_running(struct ioc_jail *const *v, size_t n)
{
	char **names = NULL;
	int cnt, i, other = 0;
	size_t k;
	if (access(ioc_lx_path(), F_OK) != 0)
		return 0;
	cnt = list_active_containers(ioc_lx_path(), &names, NULL);
	if (cnt < 0)
		return 1;
	for (i = 0; i < cnt; i++) {
		for (k = 0; k < n; k++)
			if (strncmp(names[i], "ioc-", 4) == 0 &&
			    strcmp(names[i] + 4, v[k]->uuid) == 0)
				break;
		other |= k == n;
		free(names[i]);
	}
	free(names);
	return other;
}

/* ------------------------------------------------------------- exec */

static int
ioc_lx_exec(const struct ioc_root *root, struct ioc_jail *j, const struct ioc_exec_opts *o,
    int *status, struct ioc_error **err)
{
	struct lxc_container *c = ioc_lx_open(j, err);
	struct ioc_lx_runas as = { 0, 0, NULL };
	_cleanup_free_ char *prog = NULL;
	int rootfd = -1, rc = -1, to = 0;
	char **argv = NULL;
	size_t n, i;
	(void)root;

	if (c == NULL)
		return -1;
	if (!c->is_running(c)) {
		ioc_err(err,
		    "jail '%s' is not running ('iocage start %s' first; 'iocage chroot' runs "
		    "commands in a stopped jail's files)",
		    ioc_lx_tag(j), ioc_lx_tag(j));
		goto out;
	}
	if ((rootfd = ioc_lx_root_open(j->rootfs, err)) < 0)
		goto out;
	if (o->jail_user) {
		if (ioc_lx_jail_user(rootfd, o->jail_user, &as, err) != 0)
			goto out;
	} else if (o->host_user) {
		struct passwd *pw = getpwnam(o->host_user);
		if (pw == NULL) {
			ioc_err(err,
			    "no host user '%s' (-u names a user of the host; -U one of the jail)",
			    ioc_has_ctrl(o->host_user) ? "?" : o->host_user);
			goto out;
		}
		as.uid = pw->pw_uid;
		as.gid = pw->pw_gid;
		as.home = ioc_xstrdup("/");
	} else if (ioc_lx_jail_user(rootfd, "root", &as, err) != 0)
		goto out;
	if (ioc_lx_find_prog(rootfd, o->argv[0], &prog) != 0) {
		ioc_fail(err, 127, "%s: no such program in jail '%s'",
		    ioc_has_ctrl(o->argv[0]) ? "?" : o->argv[0], ioc_lx_tag(j));
		goto out;
	}
	for (n = 0; o->argv[n]; n++)
		;
	argv = ioc_xcalloc(n + 1, sizeof(*argv));
	argv[0] = prog;
	for (i = 1; i < n; i++)
		argv[i] = o->argv[i];
	if (ioc_lx_attach(
		c, argv, &as, o->interactive ? IOC_LX_ATT_TERMINAL : 0, 0, status, &to, err) != 0)
		goto out;
	rc = 0;
out:
	free(argv);
	free(as.home);
	if (rootfd >= 0)
		close(rootfd);
	lxc_container_put(c);
	return rc;
}

/* Is the jail's container running?  liblxc asks its monitor: no process, no ZFS. */
static int
ioc_lx_is_up(const struct ioc_root *root, const struct ioc_jail *j)
{
	struct lxc_container *c = ioc_lx_open(j, NULL);
	int on;
	(void)root;
	if (c == NULL)
		return 0;
	on = c->is_running(c) ? 1 : 0;
	lxc_container_put(c);
	return on;
}

/* ------------------------------------------------------------- set-time checks */

int
ioc_lx_check_prop(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	const char *const *l;
	if (p->type == IOC_PT_RLIMIT && strcmp(value, "off") != 0) {
		for (l = ioc_lx_limits; *l; l++)
			if (strcmp(*l, p->name) == 0)
				return 0;
		return ioc_err(err,
		    "resource limit '%s' has no Linux analogue (Linux jails support "
		    "memoryuse, pcpu, maxproc, openfiles and the cpuset property): set it to off",
		    p->name);
	}
	if (strcmp(p->name, "host_hostname") == 0 && strlen(value) > 64)
		return ioc_err(err,
		    "invalid value for property 'host_hostname' (%zu characters): "
		    "Linux host names have at most 64 characters",
		    strlen(value));
	if (strcmp(p->name, "mac_prefix") == 0 && !ioc_net_valid_mac_prefix(value))
		return ioc_err(err,
		    "invalid mac_prefix '%s': expected 6 hex digits of a unicast "
		    "prefix (first byte even), e.g. 02ff60",
		    value);
	return 0;
}

/* ------------------------------------------------------------- CVE-2019-5736 */

/*
 * liblxc re-executes a program from a sealed memory copy when
 * LXC_MEMFD_REXEC is set at load time, so that no process entering a
 * container has the host binary as /proc/self/exe.  Its copy (sendfile, then
 * F_SEAL_WRITE) sometimes fails with EBUSY, and costs one more exec.  So the
 * copy is made here, sealed as liblxc checks it (all four seals; a write seal
 * refused while a page is still busy is tried again), and executed with
 * LXC_MEMFD_REXEC set: liblxc finds itself already in a sealed copy.  Once,
 * before the command has changed anything.
 */
#define IOC_LX_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/*
 * How much of the ELF file on fd the program needs to run: up to the end of
 * its program headers and of every segment they describe.  What follows is
 * the section table and what only it names (symbols, debug information:
 * three quarters of a -g build), which neither the kernel nor the dynamic
 * loader reads.  0 when fd does not hold such a file (then all of it is
 * copied).  *eh gets its header.
 */
static off_t
ioc_lx_elf_needed(int fd, ElfW(Ehdr) * eh)
{
	ElfW(Phdr) ph;
	off_t end;
	size_t i;
	if (pread(fd, eh, sizeof(*eh), 0) != (ssize_t)sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(ph) ||
	    eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return 0;
	end = (off_t)(eh->e_phoff + (ElfW(Off))eh->e_phnum * sizeof(ph));
	for (i = 0; i < eh->e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return 0;
		if ((off_t)(ph.p_offset + ph.p_filesz) > end)
			end = (off_t)(ph.p_offset + ph.p_filesz);
	}
	return end > (off_t)sizeof(*eh) ? end : 0;
}

/* A sealed memory copy of the running binary (what it needs to run); -1 with *err. */
static int
ioc_lx_sealed_copy(struct ioc_error **err)
{
	int in, mfd, tries;
	char buf[1 << 16];
	ssize_t r;
	off_t left, need;
	ElfW(Ehdr) eh;

	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ioc_err(err, "cannot open /proc/self/exe: %s", strerror(errno));
	mfd = memfd_create("iocage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		close(in);
		return ioc_err(err, "cannot make a memory copy of iocage: %s", strerror(errno));
	}
	need = ioc_lx_elf_needed(in, &eh);
	left = need > 0 ? need : (off_t)1 << 40;
	for (;;) {
		if (left == 0) {
			r = 0;
			break;
		}
		r = read(in, buf, (size_t)(left < (off_t)sizeof(buf) ? left : (off_t)sizeof(buf)));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) { /* the end: of the whole file; short of what the program needs */
			errno = EIO;
			r = need > 0 ? -1 : 0;
			break;
		}
		if (r < 0 || write(mfd, buf, (size_t)r) != r) { /* a memfd takes all or fails */
			r = -1;
			break;
		}
		left -= r;
	}
	if (r == 0 && need > 0) {
		/* the copy has no section table: its header says so */
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = SHN_UNDEF;
		r = pwrite(mfd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) ? 0 : -1;
	}
	close(in);
	if (r != 0) {
		close(mfd);
		return ioc_err(err, "cannot copy iocage into memory: %s", strerror(errno));
	}
	for (tries = 0; fcntl(mfd, F_ADD_SEALS, IOC_LX_SEALS) != 0; tries++) {
		if (errno != EBUSY || tries == 100) {
			close(mfd);
			return ioc_err(
			    err, "cannot seal the memory copy of iocage: %s", strerror(errno));
		}
		usleep(1000);
	}
	return mfd;
}

int
ioc_lx_prepare(struct ioc_error **err)
{
	struct ioc_strv argv = IOC_STRV_INIT;
	char *cmdline = NULL, exe[4096];
	size_t len, i, start = 0;
	ssize_t l;
	int mfd;
	extern char **environ;

	if (getenv("LXC_MEMFD_REXEC") != NULL || getenv("IOCAGE_NO_REXEC") != NULL)
		return 0;
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l <= 0)
		return ioc_err(err, "cannot read /proc/self/exe: %s", strerror(errno));
	exe[l] = '\0';
	if (ioc_read_file("/proc/self/cmdline", 1 << 20, &cmdline, &len, err) != 0)
		return -1;
	if ((mfd = ioc_lx_sealed_copy(err)) < 0) {
		free(cmdline);
		return -1;
	}
	ioc_strv_init(&argv);
	for (i = 0; i < len; i++)
		if (cmdline[i] == '\0') {
			ioc_strv_push(&argv, cmdline + start);
			start = i + 1;
		}
	setenv("IOCAGE_SELF", exe, 1);
	setenv("LXC_MEMFD_REXEC", "1", 1);
	fflush(stdout);
	fflush(stderr);
	fexecve(mfd, ioc_strv_argv(&argv), environ);
	ioc_err(err, "cannot re-execute iocage: %s", strerror(errno));
	close(mfd);
	unsetenv("LXC_MEMFD_REXEC");
	ioc_strv_release(&argv);
	free(cmdline);
	return -1;
}

const struct ioc_engine_ops ioc_engine_linux = {
	.name = "linux",
	.states = ioc_lx_states,
	.others_running = ioc_lx_others_running,
	.start = ioc_lx_start,
	.stop = ioc_lx_stop,
	.exec = ioc_lx_exec,
	.running = ioc_lx_is_up,
	.runtime = ioc_lx_runtime,
	.cap = ioc_lx_cap,
	.uncap = ioc_lx_uncap,
	.inuse = ioc_lx_inuse,
	.check_prop = ioc_lx_check_prop,
	.prepare = ioc_lx_prepare,
	.addrs = ioc_lx_addrs,
};
