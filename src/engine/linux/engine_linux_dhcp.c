/*
 * engine_linux_dhcp.c — ip4_addr=IFACE|DHCP and ip6_addr=IFACE|accept_rtadv
 * in vnet jails on Linux.
 *
 * The jail's own DHCP client asks for the address, as FreeBSD's rc runs
 * dhclient(8) in a vnet jail: the client is the release's (dhclient, or
 * busybox udhcpc with its event script), run inside the running container
 * by the start step "dhcp" before exec_start, and left running to renew
 * the lease.  A release without a client is refused before anything is
 * made.  Router adverts need no client: the kernel configures SLAAC
 * addresses once accept_ra and autoconf are on for the interface in the
 * jail's network namespace.
 *
 * The addresses a jail has now (what `list` shows for DHCP and SLAAC) are
 * read in a child that entered the jail's network namespace, never by a
 * program run inside the jail.
 */
#include "engine/linux/engine_linux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The event scripts busybox udhcpc runs by default (Debian, Alpine). */
static const char *const ioc_lx_udhcpc_scripts[] = { "/etc/udhcpc/default.script",
	"/usr/share/udhcpc/default.script", NULL };

int
ioc_lx_dhcp_client(int rootfd, const char *ifname, struct ioc_strv *argv, struct ioc_error **err)
{
	_cleanup_free_ char *path = NULL;
	size_t i;
	if (ioc_lx_find_prog(rootfd, "dhclient", &path) == 0) {
		/* -1: one attempt, a non-zero exit without a lease; a pid file of its own per
		 * interface */
		ioc_strv_push(argv, path);
		ioc_strv_push(argv, "-1");
		ioc_strv_push(argv, "-pf");
		ioc_strv_pushf(argv, "/run/dhclient.%s.pid", ifname);
		ioc_strv_push(argv, ifname);
		return 0;
	}
	if (ioc_lx_find_prog(rootfd, "udhcpc", &path) == 0) {
		for (i = 0; ioc_lx_udhcpc_scripts[i]; i++) {
			_cleanup_free_ char *script = NULL;
			if (ioc_lx_find_prog(rootfd, ioc_lx_udhcpc_scripts[i], &script) != 0)
				continue;
			/* -n: exit without a lease after -t tries -T s apart; else it stays to
			 * renew */
			ioc_strv_push(argv, path);
			ioc_strv_push(argv, "-i");
			ioc_strv_push(argv, ifname);
			ioc_strv_push(argv, "-n");
			ioc_strv_push(argv, "-t");
			ioc_strv_push(argv, "5");
			ioc_strv_push(argv, "-T");
			ioc_strv_push(argv, "2");
			ioc_strv_push(argv, "-s");
			ioc_strv_push(argv, ioc_lx_udhcpc_scripts[i]);
			return 0;
		}
		return ioc_err(err,
		    "ip4_addr=%s|DHCP: the jail has udhcpc but not its event script "
		    "(%s or %s, which configures the address it leases): add one, or give a static "
		    "address",
		    ifname, ioc_lx_udhcpc_scripts[0], ioc_lx_udhcpc_scripts[1]);
	}
	return ioc_err(err,
	    "ip4_addr=%s|DHCP: the jail has no DHCP client (dhclient, or udhcpc "
	    "with %s): install one in the jail, or give a static address",
	    ifname, ioc_lx_udhcpc_scripts[0]);
}

/* Prefix length of a netmask (contiguous ones). */
static int
ioc_lx_masklen(const unsigned char *m, size_t n)
{
	size_t i;
	int len = 0;
	for (i = 0; i < n; i++) {
		unsigned char b = m[i];
		while (b & 0x80) {
			len++;
			b = (unsigned char)(b << 1);
		}
		if (m[i] != 0xff)
			break;
	}
	return len;
}

/* Writes "1" to a sysctl file of the current network namespace when it holds something else. */
static void
ioc_lx_sysctl_on(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (read(fd, &c, 1) == 1 && c != '1' && lseek(fd, 0, SEEK_SET) == 0 &&
	    write(fd, "1\n", 2) != 2) {
		/* reported by the caller: no address comes */
	}
	close(fd);
}

/* The child: in the jail's namespace, "ADDR/LEN\n" per address of ifname on fd. */
static void
ioc_lx_dump_addrs(const char *ifname, int v6, int rtadv, int fd)
{
	struct ifaddrs *ifa = NULL, *p;
	if (rtadv) {
		char path[96];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra", ifname);
		ioc_lx_sysctl_on(path);
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/autoconf", ifname);
		ioc_lx_sysctl_on(path);
	}
	if (getifaddrs(&ifa) != 0)
		return;
	for (p = ifa; p; p = p->ifa_next) {
		char buf[INET6_ADDRSTRLEN];
		if (p->ifa_addr == NULL || strcmp(p->ifa_name, ifname) != 0)
			continue;
		if (!v6 && p->ifa_addr->sa_family == AF_INET && p->ifa_netmask) {
			const struct sockaddr_in *a =
			    (const struct sockaddr_in *)(void *)p->ifa_addr;
			const struct sockaddr_in *m =
			    (const struct sockaddr_in *)(void *)p->ifa_netmask;
			inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
			dprintf(fd, "%s/%d\n", buf,
			    ioc_lx_masklen((const unsigned char *)&m->sin_addr, 4));
		} else if (v6 && p->ifa_addr->sa_family == AF_INET6 && p->ifa_netmask) {
			const struct sockaddr_in6 *a =
			    (const struct sockaddr_in6 *)(void *)p->ifa_addr;
			const struct sockaddr_in6 *m =
			    (const struct sockaddr_in6 *)(void *)p->ifa_netmask;
			if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
			dprintf(fd, "%s/%d\n", buf,
			    ioc_lx_masklen((const unsigned char *)&m->sin6_addr, 16));
		}
	}
	freeifaddrs(ifa);
}

int
ioc_lx_if_addrs(
    pid_t init, const char *ifname, int v6, int rtadv, struct ioc_strv *out, struct ioc_error **err)
{
	char path[64], buf[4096];
	int p[2], st = 0;
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	_cleanup_close_ int ns = -1;

	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)init);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return ioc_err(err, "cannot open the jail's network namespace (%s): %s", path,
		    strerror(errno));
	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return ioc_err(err, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		if (setns(ns, CLONE_NEWNET) != 0)
			_exit(1);
		ioc_lx_dump_addrs(ifname, v6, rtadv, p[1]);
		_exit(0);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return ioc_err(err, "cannot enter the jail's network namespace");
	buf[len] = '\0';
	{
		_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
		size_t i;
		ioc_strv_split(&lines, buf, '\n');
		for (i = 0; i < lines.n; i++)
			if (lines.v[i][0])
				ioc_strv_push(out, lines.v[i]);
	}
	return 0;
}
