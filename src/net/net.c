/* net.c — network properties parsed into a plan; stable MACs and names. */
#include "net/net.h"

#include "core/props.h"
#include "zfs/zfs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

unsigned long long
ioc_net_hash(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int
ioc_net_valid_mac_prefix(const char *s)
{
	size_t i;
	unsigned v;
	if (strlen(s) != 6)
		return 0;
	for (i = 0; i < 6; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	v = (unsigned)strtoul((char[3]) { s[0], s[1], 0 }, NULL, 16);
	return (v & 1) == 0;
}

void
ioc_net_mac(const char *prefix, const char *uuid, unsigned idx, char host[13], char jail[13])
{
	_cleanup_free_ char *key = ioc_xasprintf("%s:vnet%u", uuid, idx);
	unsigned long long h = ioc_net_hash(key);
	unsigned b0 = (unsigned)(h >> 16) & 0xff, b1 = (unsigned)(h >> 8) & 0xff,
		 b2 = (unsigned)h & 0xfe;
	size_t i;
	for (i = 0; i < 6; i++) {
		host[i] = (char)tolower((unsigned char)prefix[i]);
		jail[i] = host[i];
	}
	snprintf(host + 6, 7, "%02x%02x%02x", b0, b1, b2);
	snprintf(jail + 6, 7, "%02x%02x%02x", b0, b1, b2 + 1);
}

char *
ioc_net_mac_colon(const char *m)
{
	return ioc_xasprintf(
	    "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", m, m + 2, m + 4, m + 6, m + 8, m + 10);
}

char *
ioc_net_host_ifname(const char *uuid, unsigned idx)
{
	return ioc_xasprintf("ioc%08llxn%u", ioc_net_hash(uuid) & 0xffffffffULL, idx);
}

void
ioc_net_plan_release(struct ioc_net_plan *plan)
{
	size_t i, k;
	for (i = 0; i < plan->nifs; i++) {
		free(plan->ifs[i].name);
		free(plan->ifs[i].bridge);
		for (k = 0; k < plan->ifs[i].naddrs; k++)
			free(plan->ifs[i].addrs[k].addr);
		free(plan->ifs[i].addrs);
	}
	free(plan->router4);
	free(plan->router6);
	free(plan->nat.ext_if);
	free(plan->nat.fwd);
	memset(plan, 0, sizeof(*plan));
}

static struct ioc_net_if *
ioc_net_find_if(struct ioc_net_plan *plan, const char *name)
{
	size_t i;
	for (i = 0; i < plan->nifs; i++)
		if (strcmp(plan->ifs[i].name, name) == 0)
			return &plan->ifs[i];
	return NULL;
}

/* Adds the entries of ip4_addr or ip6_addr (already validated by props.c). */
static int
ioc_net_add_addrs(
    struct ioc_net_plan *plan, const char *prop, const char *value, int v6, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	size_t i;
	if (strcmp(value, "none") == 0)
		return 0;
	ioc_strv_split(&parts, value, ',');
	for (i = 0; i < parts.n; i++) {
		const char *e = parts.v[i], *bar = strchr(e, '|'), *slash;
		_cleanup_free_ char *ifname = NULL;
		struct ioc_net_if *nif;
		struct ioc_net_addr *a;
		long long m = -1;
		int auto_;
		if (bar) {
			ifname = ioc_xstrndup(e, (size_t)(bar - e));
			e = bar + 1;
		} else if (plan->mode == IOC_NET_VNET) {
			ifname = ioc_xstrdup(plan->nifs ? plan->ifs[0].name : "vnet0");
		} else {
			return ioc_err(err,
			    "%s entry '%s' needs a host interface when vnet=off: "
			    "write IFACE|ADDR/MASK, e.g. eth0|%s",
			    prop, e, e);
		}
		auto_ = strcasecmp(e, "dhcp") == 0 || strcasecmp(e, "accept_rtadv") == 0;
		if (auto_ && plan->mode != IOC_NET_VNET)
			return ioc_err(err,
			    "%s entry '%s|%s' needs vnet=on: DHCP and router adverts "
			    "configure the jail's own interface",
			    prop, ifname, e);
		nif = ioc_net_find_if(plan, ifname);
		if (nif == NULL && plan->mode == IOC_NET_VNET)
			return ioc_err(err,
			    "%s names interface '%s', but interfaces= does not list it "
			    "(interfaces lists NAME:BRIDGE pairs, e.g. %s:bridge0)",
			    prop, ifname, ifname);
		if (auto_ && nif != NULL) { /* nif is set: vnet, and listed */
			if (v6)
				nif->rtadv6 = 1;
			else
				nif->dhcp4 = 1;
			continue;
		}
		if (nif == NULL) {
			if (plan->nifs == sizeof(plan->ifs) / sizeof(plan->ifs[0]))
				return ioc_err(
				    err, "%s: too many host interfaces (at most 8)", prop);
			nif = &plan->ifs[plan->nifs++];
			memset(nif, 0, sizeof(*nif));
			nif->name = ioc_xstrdup(ifname);
		}
		nif->addrs = ioc_xrealloc(nif->addrs, (nif->naddrs + 1) * sizeof(*nif->addrs));
		a = &nif->addrs[nif->naddrs++];
		slash = strchr(e, '/');
		a->addr = slash ? ioc_xstrndup(e, (size_t)(slash - e)) : ioc_xstrdup(e);
		if (slash)
			ioc_parse_ll(slash + 1, 0, v6 ? 128 : 32, &m);
		a->prefix = (int)m;
		a->v6 = v6;
	}
	return 0;
}

/*
 * Every value the plan reads, validated again: a value may have been
 * written with `zfs set` behind iocage's back, and the parsing below relies
 * on the validated form (a ':' in every interfaces entry, hex MACs ...).
 */
static const char *const ioc_net_props[] = { "vnet", "ip4", "ip6", "interfaces", "ip4_addr",
	"ip6_addr", "defaultrouter", "defaultrouter6", "vnet0_mac", "vnet1_mac", "vnet2_mac",
	"vnet3_mac", NULL };

static int
ioc_net_validate(const char *(*get)(void *, const char *), void *arg, struct ioc_error **err)
{
	size_t i;
	for (i = 0; ioc_net_props[i]; i++) {
		const struct ioc_prop *p = ioc_prop_find(ioc_net_props[i]);
		const char *v = get(arg, ioc_net_props[i]);
		char *canon = NULL;
		if (v == NULL || p == NULL)
			continue;
		if (ioc_prop_validate(p, v, &canon, err) != 0)
			return -1;
		free(canon);
	}
	return 0;
}

char *
ioc_net_ntoa4(unsigned long a, char buf[16])
{
	snprintf(buf, 16, "%lu.%lu.%lu.%lu", (a >> 24) & 0xff, (a >> 16) & 0xff, (a >> 8) & 0xff,
	    a & 0xff);
	return buf;
}

static unsigned long
ioc_net_mask4(int len)
{
	return len <= 0 ? 0 : (0xffffffffUL << (32 - len)) & 0xffffffffUL;
}

/* The IPv4 networks of an ip4_addr value (its /MASK, 32 when none). */
static void
ioc_net_used_of(const char *value, unsigned long (**used)[2], size_t *n)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	size_t i;
	if (value == NULL || strcmp(value, "none") == 0 || strcmp(value, "inherit") == 0)
		return;
	ioc_strv_split(&parts, value, ',');
	for (i = 0; i < parts.n; i++) {
		const char *e = strchr(parts.v[i], '|'), *slash;
		_cleanup_free_ char *a = NULL;
		struct in_addr in;
		long long m = 32;
		e = e ? e + 1 : parts.v[i];
		slash = strchr(e, '/');
		a = slash ? ioc_xstrndup(e, (size_t)(slash - e)) : ioc_xstrdup(e);
		if (inet_pton(AF_INET, a, &in) != 1)
			continue;
		if (slash)
			ioc_parse_ll(slash + 1, 0, 32, &m);
		*used = ioc_xrealloc(*used, (*n + 1) * sizeof(**used));
		(*used)[*n][0] = ntohl(in.s_addr);
		(*used)[*n][1] = ioc_net_mask4((int)m);
		(*n)++;
	}
}

/* The networks on the host's interfaces. */
static void
ioc_net_used_host(unsigned long (**used)[2], size_t *n)
{
	struct ifaddrs *ifa, *p;
	if (getifaddrs(&ifa) != 0)
		return;
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET ||
		    p->ifa_netmask == NULL)
			continue;
		*used = ioc_xrealloc(*used, (*n + 1) * sizeof(**used));
		(*used)[*n][0] =
		    ntohl(((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr.s_addr);
		(*used)[*n][1] =
		    ntohl(((struct sockaddr_in *)(void *)p->ifa_netmask)->sin_addr.s_addr);
		(*n)++;
	}
	freeifaddrs(ifa);
}

/* The first /30 of pnet/plen overlapping none of used; 0 when none is free. */
static unsigned long
ioc_net_free_block(unsigned long pnet, int plen, unsigned long (*used)[2], size_t nused)
{
	unsigned long nblocks = 1UL << (30 - plen), b, k;
	for (b = 0; b < nblocks; b++) {
		unsigned long base = pnet + 4 * b;
		for (k = 0; k < nused; k++) {
			/* two networks overlap when the shorter mask maps both to one network */
			unsigned long m = used[k][1] & 0xfffffffcUL;
			if ((base & m) == (used[k][0] & m))
				break;
		}
		if (k == nused)
			return base;
	}
	return 0;
}

int
ioc_net_nat_assign(const struct ioc_root *root, struct ioc_jail *j, int store, char **value,
    struct ioc_error **err)
{
	static const char *const props[] = { "ip4_addr", NULL };
	const struct ioc_prop *pp = ioc_prop_find("ip4_addr");
	const char *ifaces = ioc_jail_get(j, "interfaces"), *c;
	struct ioc_jails js = { 0 };
	unsigned long(*used)[2] = NULL, pnet, base;
	_cleanup_free_ char *ifname = NULL;
	size_t nused = 0, i;
	int plen, lock = -1, rc = -1;
	char buf[16];

	*value = NULL;
	if (ioc_parse_bool(ioc_jail_get(j, "nat")) != 1 ||
	    ioc_parse_bool(ioc_jail_get(j, "vnet")) != 1 ||
	    strcmp(ioc_jail_get(j, "ip4"), "new") != 0 ||
	    strcmp(ioc_jail_get(j, "ip4_addr"), "none") != 0)
		return 0;
	if (ioc_cidr4_parse(ioc_jail_get(j, "nat_prefix"), &pnet, &plen) != 0)
		return ioc_err(err,
		    "invalid value '%s' for property 'nat_prefix': expected an IPv4 "
		    "network ADDR/LEN, e.g. 172.16.0.0/12",
		    ioc_jail_get(j, "nat_prefix"));
	if (ifaces && strcmp(ifaces, "none") != 0 && (c = strpbrk(ifaces, ":,")) != NULL)
		ifname = ioc_xstrndup(ifaces, (size_t)(c - ifaces));
	else
		ifname = ioc_xstrdup("vnet0");
	/* one picker at a time on this root: a jail lock's file, not the root's
	 * (destroy holds the root lock while it waits for a jail's) */
	if (store && (lock = ioc_lock_jail(root, "nat-addresses", err)) < 0)
		return -1;
	if (ioc_jails_load(root, props, &js, err) != 0)
		goto out;
	for (i = 0; i < js.n; i++)
		if (strcmp(js.v[i].uuid, j->uuid) != 0)
			ioc_net_used_of(ioc_jail_get(&js.v[i], "ip4_addr"), &used, &nused);
	ioc_net_used_host(&used, &nused);
	base = ioc_net_free_block(pnet, plen, used, nused);
	if (base == 0) {
		ioc_err(err,
		    "nat_prefix %s/%d has no free /30 left: set a larger nat_prefix on the "
		    "root, or ip4_addr on the jail",
		    ioc_net_ntoa4(pnet, buf), plen);
		goto out;
	}
	*value = ioc_xasprintf("%s|%s/30", ifname, ioc_net_ntoa4(base + 2, buf));
	if (store && ioc_zfs_set(j->dataset, IOC_PROP_PREFIX "ip4_addr", *value, err) != 0) {
		ioc_error_wrap(err, "nat: cannot store ip4_addr=%s", *value);
		free(*value);
		*value = NULL;
		goto out;
	}
	free(j->values[pp - ioc_props]);
	j->values[pp - ioc_props] = ioc_xstrdup(*value);
	j->srcs[pp - ioc_props] = IOC_SRC_LOCAL;
	rc = 0;
out:
	free(used);
	ioc_jails_release(&js);
	if (lock >= 0)
		close(lock);
	return rc;
}

/*
 * nat=on: the first vnet interface leaves its bridge; its IPv4 address (if
 * ip4_addr gave one) and router are the NAT link's two ends.
 */
static int
ioc_net_nat_plan(struct ioc_net_plan *plan, const char *(*get)(void *, const char *), void *arg,
    struct ioc_error **err)
{
	struct ioc_net_nat *n = &plan->nat;
	const char *ext = get(arg, "nat_interface");
	struct ioc_net_if *f;
	size_t k;
	n->on = 1;
	if (plan->mode != IOC_NET_VNET || plan->nifs == 0 || strcmp(get(arg, "ip4"), "new") != 0)
		return ioc_err(err,
		    "nat=on needs the jail's own IPv4 stack: vnet=on and ip4=new "
		    "(ip4=inherit shares the host's, ip4=disable has none)");
	f = &plan->ifs[0];
	if (f->dhcp4)
		return ioc_err(err,
		    "nat=on gives %s its address and router: ip4_addr=%s|DHCP cannot "
		    "be combined with it (ip4_addr=none lets iocage pick one from nat_prefix)",
		    f->name, f->name);
	free(f->bridge);
	f->bridge = NULL;
	{
		/* read only here, so validated only here (nat=on) */
		const struct ioc_prop *ip = ioc_prop_find("nat_interface");
		char *canon = NULL;
		if (ioc_prop_validate(ip, ext, &canon, err) != 0)
			return -1;
		free(canon);
	}
	if (ioc_cidr4_parse(get(arg, "nat_prefix"), &n->pnet, &n->plen) != 0)
		return ioc_err(err,
		    "invalid value for property 'nat_prefix': expected an IPv4 network "
		    "ADDR/LEN with LEN 8 to 30, e.g. 172.16.0.0/12");
	if (ext && strcmp(ext, "none") != 0)
		n->ext_if = ioc_xstrdup(ext);
	if (ioc_forwards_parse(get(arg, "nat_forwards"), &n->fwd, &n->nfwd, err) != 0)
		return -1;
	for (k = 0; k < f->naddrs; k++) {
		struct in_addr in;
		unsigned long m;
		if (f->addrs[k].v6 || inet_pton(AF_INET, f->addrs[k].addr, &in) != 1)
			continue;
		n->jail4 = ntohl(in.s_addr);
		n->len = f->addrs[k].prefix < 0 ? 24 : f->addrs[k].prefix;
		if (n->len > 30)
			return ioc_err(err,
			    "nat=on: ip4_addr %s|%s/%d leaves no address for the host "
			    "side: use /30 or shorter (or ip4_addr=none: iocage picks one from nat_prefix)",
			    f->name, f->addrs[k].addr, n->len);
		if (plan->router4 && inet_pton(AF_INET, plan->router4, &in) == 1) {
			n->host4 = ntohl(in.s_addr);
		} else {
			char buf[16];
			m = ioc_net_mask4(n->len);
			n->host4 = (n->jail4 & m) + 1;
			if (n->host4 == n->jail4)
				n->host4++;
			free(plan->router4);
			plan->router4 = ioc_xstrdup(ioc_net_ntoa4(n->host4, buf));
		}
		if ((n->host4 & ioc_net_mask4(n->len)) != (n->jail4 & ioc_net_mask4(n->len)) ||
		    n->host4 == n->jail4)
			return ioc_err(err,
			    "nat=on: defaultrouter %s is the host side of the NAT link and "
			    "must be another address of the jail's network %s|%s/%d",
			    plan->router4, f->name, f->addrs[k].addr, n->len);
		break;
	}
	if (n->jail4 == 0)
		return ioc_err(err,
		    "nat=on: ip4_addr gives %s no IPv4 address (ip4_addr=none lets "
		    "iocage pick one from nat_prefix at start)",
		    f->name);
	return 0;
}

int
ioc_net_plan_make(const char *uuid, const char *(*get)(void *, const char *), void *arg,
    struct ioc_net_plan *plan, struct ioc_error **err)
{
	const char *ip4 = get(arg, "ip4"), *ifaces = get(arg, "interfaces");
	const char *prefix = get(arg, "mac_prefix");
	int vnet = ioc_parse_bool(get(arg, "vnet")) == 1;
	const char *r4 = get(arg, "defaultrouter"), *r6 = get(arg, "defaultrouter6");
	size_t i;

	memset(plan, 0, sizeof(*plan));
	if (ioc_net_validate(get, arg, err) != 0)
		return -1;
	if (strcmp(ip4, "inherit") == 0) {
		if (ioc_parse_bool(get(arg, "nat")) == 1)
			return ioc_err(err,
			    "nat=on needs the jail's own IPv4 stack: vnet=on and ip4=new "
			    "(ip4=inherit shares the host's)");
		plan->mode = IOC_NET_INHERIT;
		return 0;
	}
	plan->mode = vnet ? IOC_NET_VNET : IOC_NET_NONE;
	if (vnet && strcmp(ifaces, "none") != 0) {
		_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
		if (!ioc_net_valid_mac_prefix(prefix))
			return ioc_err(err,
			    "invalid mac_prefix '%s': expected 6 hex digits of a unicast "
			    "prefix (first byte even), e.g. 02ff60",
			    ioc_has_ctrl(prefix) || strlen(prefix) > 64 ? "?" : prefix);
		ioc_strv_split(&parts, ifaces, ',');
		if (parts.n > IOC_NET_MAXIF)
			return ioc_err(err,
			    "interfaces: at most %d interfaces (vnet0 .. vnet3), got %zu",
			    IOC_NET_MAXIF, parts.n);
		for (i = 0; i < parts.n; i++) {
			const char *c = strchr(parts.v[i], ':');
			struct ioc_net_if *nif = &plan->ifs[plan->nifs];
			char mp[32];
			const char *mac;
			memset(nif, 0, sizeof(*nif));
			nif->name = ioc_xstrndup(parts.v[i], (size_t)(c - parts.v[i]));
			nif->bridge = ioc_xstrdup(c + 1);
			plan->nifs++;
			if (ioc_net_find_if(plan, nif->name) != nif) {
				ioc_net_plan_release(plan);
				return ioc_err(err, "interfaces: '%s' is listed twice", parts.v[i]);
			}
			snprintf(mp, sizeof(mp), "vnet%zu_mac", i);
			mac = get(arg, mp);
			if (mac && strcmp(mac, "none") != 0 && strlen(mac) == 25) {
				memcpy(nif->mac_host, mac, 12);
				nif->mac_host[12] = '\0';
				memcpy(nif->mac_jail, mac + 13, 12);
				nif->mac_jail[12] = '\0';
			} else if (mac && strcmp(mac, "none") != 0 && strlen(mac) == 12) {
				ioc_net_mac(
				    prefix, uuid, (unsigned)i, nif->mac_host, nif->mac_jail);
				memcpy(nif->mac_jail, mac, 13);
			} else {
				ioc_net_mac(
				    prefix, uuid, (unsigned)i, nif->mac_host, nif->mac_jail);
				nif->mac_new = 1;
			}
		}
	}
	if (vnet && plan->nifs == 0 && ioc_parse_bool(get(arg, "nat")) == 1) {
		/* nat=on with interfaces=none: the NAT link is vnet0 */
		struct ioc_net_if *nif = &plan->ifs[plan->nifs++];
		if (!ioc_net_valid_mac_prefix(prefix))
			return ioc_err(err,
			    "invalid mac_prefix '%s': expected 6 hex digits of a unicast "
			    "prefix (first byte even), e.g. 02ff60",
			    ioc_has_ctrl(prefix) || strlen(prefix) > 64 ? "?" : prefix);
		memset(nif, 0, sizeof(*nif));
		nif->name = ioc_xstrdup("vnet0");
		ioc_net_mac(prefix, uuid, 0, nif->mac_host, nif->mac_jail);
		nif->mac_new = 1;
	}
	if (strcmp(ip4, "disable") != 0 &&
	    ioc_net_add_addrs(plan, "ip4_addr", get(arg, "ip4_addr"), 0, err) != 0)
		goto fail;
	if (strcmp(get(arg, "ip6"), "disable") != 0 &&
	    ioc_net_add_addrs(plan, "ip6_addr", get(arg, "ip6_addr"), 1, err) != 0)
		goto fail;
	if (!vnet && plan->nifs)
		plan->mode = IOC_NET_SHARED;
	if (r4 && strcmp(r4, "none") != 0)
		plan->router4 = ioc_xstrdup(r4);
	if (r6 && strcmp(r6, "none") != 0)
		plan->router6 = ioc_xstrdup(r6);
	if (ioc_parse_bool(get(arg, "nat")) == 1 && ioc_net_nat_plan(plan, get, arg, err) != 0)
		goto fail;
	if (plan->nifs &&
	    ((plan->ifs[0].dhcp4 && plan->router4) || (plan->ifs[0].rtadv6 && plan->router6))) {
		int four = plan->ifs[0].dhcp4 && plan->router4;
		const char *r = four ? "defaultrouter" : "defaultrouter6";
		ioc_err(err,
		    "%s=%s and ip%c_addr=%s|%s: the %s gives the default router; set %s=none", r,
		    four ? plan->router4 : plan->router6, four ? '4' : '6', plan->ifs[0].name,
		    four ? "DHCP" : "accept_rtadv", four ? "DHCP server" : "router advert", r);
		goto fail;
	}
	if ((plan->router4 || plan->router6) && plan->nifs == 0) {
		ioc_net_plan_release(plan);
		return ioc_err(err,
		    "defaultrouter is set but the jail has no interface to reach it "
		    "(set interfaces= with vnet=on, or ip4_addr=IFACE|ADDR/MASK)");
	}
	return 0;
fail:
	ioc_net_plan_release(plan);
	return -1;
}
