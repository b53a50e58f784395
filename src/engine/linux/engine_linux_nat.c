/*
 * engine_linux_nat.c — nat=on on Linux: the jail's address, the host side
 * of its link, and its rules in nftables.
 *
 * Every rule iocage makes lives in its own table, `inet iocage`, so the
 * host's other tables (a firewall, Docker's, the administrator's own) are
 * never read, changed or flushed.  The table holds two base chains that only
 * dispatch, through verdict maps, to two chains per running NAT jail:
 *
 *   postrouting: iifname vmap @nat_out      "iocXXXXXXXXn0" : jump iocXXXXXXXX_out
 *   prerouting:  meta l4proto . th dport vmap @nat_fwd
 *                                           tcp . 8080 : jump iocXXXXXXXX_in
 *
 *   iocXXXXXXXX_out: oifname EXT ip saddr JAIL masquerade
 *   iocXXXXXXXX_in:  iifname EXT tcp dport 8080 dnat ip to JAIL:80
 *
 * A start adds its chains and map elements in one `nft -f -` transaction
 * (atomic: all or nothing); `create element` refuses a host port another
 * jail already forwards, across every iocage root of the host.  The undo
 * transaction is kept in the jail's run directory and run at stop (and
 * before a start cleans up after an interrupted one).  Rules reach nft on
 * its stdin, built only from validated values: addresses, ports, interface
 * names of [A-Za-z0-9._-].
 */
#include "engine/linux/engine_linux.h"
#include "core/props.h"
#include "net/net.h"
#include "spawn/spawn.h"
#include "zfs/zfs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define IOC_NAT_UNDO "nat-undo.nft"

/* The interface of the host's IPv4 default route (/proc/net/route), or NULL. */
static char *
ioc_lx_nat_default_if(void)
{
	_cleanup_free_ char *text = NULL;
	struct ioc_error *e = NULL;
	size_t len;
	char *line, *save = NULL;
	if (ioc_read_file("/proc/net/route", 1 << 20, &text, &len, &e) != 0) {
		ioc_error_free(e);
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifn[32], dst[16], mask[16];
		if (sscanf(line, "%31s %15s %*s %*s %*s %*s %*s %15s", ifn, dst, mask) == 3 &&
		    strcmp(dst, "00000000") == 0 && strcmp(mask, "00000000") == 0)
			return ioc_xstrdup(ifn);
	}
	return NULL;
}

int
ioc_lx_nat_check(struct ioc_net_plan *plan, struct ioc_error **err)
{
	if (!plan->nat.on)
		return 0;
	if (plan->nat.ext_if == NULL && (plan->nat.ext_if = ioc_lx_nat_default_if()) == NULL)
		return ioc_err(err,
		    "nat: the host has no IPv4 default route to leave by: set "
		    "nat_interface= to the host's outgoing interface");
	if (!ioc_lx_iface_exists(plan->nat.ext_if))
		return ioc_err(err,
		    "nat_interface: host interface '%s' does not exist ('ip link' "
		    "lists them)",
		    plan->nat.ext_if);
	if (ioc_prog_path("nft") == NULL)
		return ioc_err(err, "nat=on needs nft (Debian package nftables) on the host");
	return 0;
}

/* The host side of the NAT link: its address and up. */
static int
ioc_lx_nat_host_side(const char *ifname, const struct ioc_net_nat *n, struct ioc_error **err)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
	if (fd < 0)
		return ioc_err(err, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl((uint32_t)n->host4);
	if (ioctl(fd, SIOCSIFADDR, &ifr) != 0) {
		ioc_err(err, "nat: cannot give %s its address: %s", ifname, strerror(errno));
		goto out;
	}
	sin->sin_addr.s_addr = htonl((uint32_t)((0xffffffffUL << (32 - n->len)) & 0xffffffffUL));
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) {
		ioc_err(err, "nat: cannot set the netmask of %s: %s", ifname, strerror(errno));
		goto out;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) != 0) {
		ioc_err(err, "nat: cannot bring %s up: %s", ifname, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* IPv4 forwarding on, once, said so. */
static int
ioc_lx_nat_forwarding(const char *tag, struct ioc_error **err)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";
	char c = '0';
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "nat: cannot open %s: %s", path, strerror(errno));
	if (read(fd, &c, 1) == 1 && c == '1') {
		close(fd);
		return 0;
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || write(fd, "1\n", 2) != 2) {
		ioc_err(err, "nat: cannot turn on IPv4 forwarding (%s): %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	ioc_note("nat: turned on IPv4 forwarding (net.ipv4.ip_forward=1) for %s", tag);
	return 0;
}

/* Feeds a ruleset to `nft -f -`; the first line of nft's error on failure. */
static int
ioc_lx_nft(const char *rules, struct ioc_run_result *res, struct ioc_error **err)
{
	char *const argv[] = { "nft", "-f", "-", NULL };
	struct ioc_run_opts o;
	if (ioc_prog_path("nft") == NULL)
		return ioc_err(err, "nat=on needs nft (Debian package nftables) on the host");
	ioc_run_opts_init(&o);
	o.in_fd = IOC_FD_CAPTURE;
	o.in_data = rules;
	o.in_len = strlen(rules);
	o.timeout_ms = 30000;
	if (ioc_run(argv, &o, res, err) != 0)
		return -1;
	if (res->status != 0) {
		const char *e = res->err.len ? res->err.buf : "failed";
		const char *nl = strchr(e, '\n');
		return ioc_err(err, "nft: %.*s", nl ? (int)(nl - e) : (int)strlen(e), e);
	}
	return 0;
}

/* Which chain holds a host port: "iocXXXXXXXX_in" from `nft get element`, or NULL. */
static char *
ioc_lx_nat_port_owner(const struct ioc_forward *f)
{
	_cleanup_free_ char *elem = ioc_xasprintf("{ %s . %u }", f->udp ? "udp" : "tcp", f->hport);
	char *const argv[] = { "nft", "get", "element", "inet", "iocage", "nat_fwd", elem, NULL };
	_cleanup_free_ char *out = NULL;
	struct ioc_error *e = NULL;
	const char *p, *q;
	if (ioc_run_ok(argv, &out, &e) != 0) {
		ioc_error_free(e);
		return NULL;
	}
	p = strstr(out, "jump ");
	if (p == NULL)
		return NULL;
	p += 5;
	for (q = p; *q && (isalnum((unsigned char)*q) || *q == '_'); q++)
		;
	return ioc_xstrndup(p, (size_t)(q - p));
}

/* The tag of the jail of this root whose chains are chain ("iocXXXXXXXX_in"). */
static char *
ioc_lx_nat_chain_tag(const struct ioc_root *root, const char *chain)
{
	static const char *const props[] = { "tag", NULL };
	struct ioc_jails js = { 0 };
	struct ioc_error *e = NULL;
	char *tag = NULL;
	size_t i;
	if (ioc_jails_load(root, props, &js, &e) != 0) {
		ioc_error_free(e);
		return NULL;
	}
	for (i = 0; i < js.n && tag == NULL; i++) {
		_cleanup_free_ char *c =
		    ioc_xasprintf("ioc%08llx_in", ioc_net_hash(js.v[i].uuid) & 0xffffffffULL);
		if (strcmp(c, chain) == 0)
			tag = ioc_xstrdup(ioc_jail_get(&js.v[i], "tag"));
	}
	ioc_jails_release(&js);
	return tag;
}

int
ioc_lx_nat_start(const struct ioc_root *root, const struct ioc_jail *j,
    const struct ioc_net_plan *plan, const char *rundir, struct ioc_error **err)
{
	const struct ioc_net_nat *n = &plan->nat;
	_cleanup_free_ char *hostif = NULL, *undo_path = NULL;
	const char *ext = n->ext_if;
	_cleanup_free_ char *chain =
	    ioc_xasprintf("ioc%08llx", ioc_net_hash(j->uuid) & 0xffffffffULL);
	struct ioc_sb up = IOC_SB_INIT, undo = IOC_SB_INIT;
	struct ioc_run_result res;
	char jail[16];
	size_t i;
	int rc = -1;

	if (!n->on)
		return 0;
	hostif = ioc_net_host_ifname(j->uuid, 0);
	if (ioc_lx_nat_host_side(hostif, n, err) != 0 ||
	    ioc_lx_nat_forwarding(ioc_jail_get(j, "tag"), err) != 0)
		return -1;
	ioc_net_ntoa4(n->jail4, jail);
	ioc_sb_init(&up);
	ioc_sb_init(&undo);
	ioc_sb_addf(&up,
	    "add table inet iocage\n"
	    "add map inet iocage nat_out { type ifname : verdict; }\n"
	    "add map inet iocage nat_fwd { type inet_proto . inet_service : verdict; }\n"
	    "add chain inet iocage prerouting { type nat hook prerouting priority dstnat; "
	    "policy accept; }\n"
	    "add chain inet iocage postrouting { type nat hook postrouting priority srcnat; "
	    "policy accept; }\n"
	    "flush chain inet iocage prerouting\n"
	    "flush chain inet iocage postrouting\n"
	    "add rule inet iocage prerouting meta l4proto . th dport vmap @nat_fwd\n"
	    "add rule inet iocage postrouting iifname vmap @nat_out\n"
	    "add chain inet iocage %s_out\n"
	    "flush chain inet iocage %s_out\n"
	    "add chain inet iocage %s_in\n"
	    "flush chain inet iocage %s_in\n"
	    "add rule inet iocage %s_out oifname \"%s\" ip saddr %s masquerade\n",
	    chain, chain, chain, chain, chain, ext, jail);
	ioc_sb_addf(&undo, "delete element inet iocage nat_out { \"%s\" }\n", hostif);
	for (i = 0; i < n->nfwd; i++) {
		const char *proto = n->fwd[i].udp ? "udp" : "tcp";
		ioc_sb_addf(&up,
		    "add rule inet iocage %s_in iifname \"%s\" %s dport %u dnat ip to "
		    "%s:%u\n",
		    chain, ext, proto, n->fwd[i].hport, jail, n->fwd[i].jport);
		ioc_sb_addf(&undo, "delete element inet iocage nat_fwd { %s . %u }\n", proto,
		    n->fwd[i].hport);
	}
	ioc_sb_addf(
	    &up, "add element inet iocage nat_out { \"%s\" : jump %s_out }\n", hostif, chain);
	for (i = 0; i < n->nfwd; i++)
		ioc_sb_addf(&up, "create element inet iocage nat_fwd { %s . %u : jump %s_in }\n",
		    n->fwd[i].udp ? "udp" : "tcp", n->fwd[i].hport, chain);
	ioc_sb_addf(&undo, "delete chain inet iocage %s_out\ndelete chain inet iocage %s_in\n",
	    chain, chain);

	ioc_run_result_init(&res);
	if (ioc_lx_nft(up.buf, &res, err) != 0) {
		/* a host port another jail holds: say which port and, if here, which jail */
		for (i = 0; i < n->nfwd && strstr(res.err.buf ? res.err.buf : "", "File exists");
		     i++) {
			_cleanup_free_ char *owner = ioc_lx_nat_port_owner(&n->fwd[i]);
			_cleanup_free_ char *tag = NULL;
			if (owner == NULL || strcmp(owner, chain) == 0 ||
			    strncmp(owner, chain, strlen(chain)) == 0)
				continue;
			tag = ioc_lx_nat_chain_tag(root, owner);
			ioc_error_free(*err);
			*err = NULL;
			ioc_err(err,
			    "nat_forwards: host port %s %u is already forwarded to %s%s%s; "
			    "pick another host port (nat_forwards=%s(%u:HOSTPORT))",
			    n->fwd[i].udp ? "udp" : "tcp", n->fwd[i].hport,
			    tag ? "jail " : "another iocage jail (nft chain ", tag ? tag : owner,
			    tag ? "" : ")", n->fwd[i].udp ? "udp" : "tcp", n->fwd[i].jport);
			break;
		}
		goto out;
	}
	undo_path = ioc_xasprintf("%s/" IOC_NAT_UNDO, rundir);
	if (ioc_write_file_atomic(undo_path, undo.buf, undo.len, 0600, err) != 0) {
		struct ioc_run_result r2;
		struct ioc_error *e = NULL;
		ioc_run_result_init(&r2);
		if (ioc_lx_nft(undo.buf, &r2, &e) != 0)
			ioc_error_free(e);
		ioc_run_result_release(&r2);
		goto out;
	}
	rc = 0;
out:
	ioc_run_result_release(&res);
	ioc_sb_release(&up);
	ioc_sb_release(&undo);
	return rc;
}

void
ioc_lx_nat_stop(const char *rundir)
{
	_cleanup_free_ char *path = ioc_xasprintf("%s/" IOC_NAT_UNDO, rundir);
	_cleanup_free_ char *text = NULL;
	struct ioc_error *e = NULL;
	struct ioc_run_result res;
	size_t len;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	close(fd);
	if (ioc_read_file(path, 1 << 20, &text, &len, &e) != 0) {
		ioc_note("nat: %s", e->msg);
		ioc_error_free(e);
		return;
	}
	ioc_run_result_init(&res);
	if (ioc_lx_nft(text, &res, &e) != 0) {
		/* someone flushed a part already: remove what is left, line by line */
		char *line, *save = NULL;
		ioc_error_free(e);
		e = NULL;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			struct ioc_run_result r1;
			_cleanup_free_ char *one = ioc_xasprintf("%s\n", line);
			ioc_run_result_init(&r1);
			if (ioc_lx_nft(one, &r1, &e) != 0) {
				ioc_error_free(e);
				e = NULL;
			}
			ioc_run_result_release(&r1);
		}
	}
	ioc_run_result_release(&res);
	(void)unlink(path);
}
