/* net.c — network properties parsed into a plan; stable MACs and names. */
#include "net/net.h"

#include "core/props.h"

#include <ctype.h>
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
	v = (unsigned)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
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
	return ioc_xasprintf("%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", m, m + 2, m + 4, m + 6, m + 8,
	    m + 10);
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
ioc_net_add_addrs(struct ioc_net_plan *plan, const char *prop, const char *value, int v6,
    struct ioc_error **err)
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
		if (bar) {
			ifname = ioc_xstrndup(e, (size_t)(bar - e));
			e = bar + 1;
		} else if (plan->mode == IOC_NET_VNET) {
			ifname = ioc_xstrdup(plan->nifs ? plan->ifs[0].name : "vnet0");
		} else {
			return ioc_err(err, "%s entry '%s' needs a host interface when vnet=off: "
			    "write IFACE|ADDR/MASK, e.g. eth0|%s", prop, e, e);
		}
		if (strcasecmp(e, "dhcp") == 0 || strcasecmp(e, "accept_rtadv") == 0)
			return ioc_err(err, "%s: '%s' is not supported by this engine: give a static address",
			    prop, e);
		nif = ioc_net_find_if(plan, ifname);
		if (nif == NULL && plan->mode == IOC_NET_VNET)
			return ioc_err(err, "%s names interface '%s', but interfaces= does not list it "
			    "(interfaces lists NAME:BRIDGE pairs, e.g. %s:bridge0)", prop, ifname, ifname);
		if (nif == NULL) {
			if (plan->nifs == sizeof(plan->ifs) / sizeof(plan->ifs[0]))
				return ioc_err(err, "%s: too many host interfaces (at most 8)", prop);
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
		plan->mode = IOC_NET_INHERIT;
		return 0;
	}
	plan->mode = vnet ? IOC_NET_VNET : IOC_NET_NONE;
	if (vnet && strcmp(ifaces, "none") != 0) {
		_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
		if (!ioc_net_valid_mac_prefix(prefix))
			return ioc_err(err, "invalid mac_prefix '%s': expected 6 hex digits of a unicast "
			    "prefix (first byte even), e.g. 02ff60",
			    ioc_has_ctrl(prefix) || strlen(prefix) > 64 ? "?" : prefix);
		ioc_strv_split(&parts, ifaces, ',');
		if (parts.n > IOC_NET_MAXIF)
			return ioc_err(err, "interfaces: at most %d interfaces (vnet0 .. vnet3), got %zu",
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
				ioc_net_mac(prefix, uuid, (unsigned)i, nif->mac_host, nif->mac_jail);
				memcpy(nif->mac_jail, mac, 13);
			} else {
				ioc_net_mac(prefix, uuid, (unsigned)i, nif->mac_host, nif->mac_jail);
				nif->mac_new = 1;
			}
		}
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
	if ((plan->router4 || plan->router6) && plan->nifs == 0) {
		ioc_net_plan_release(plan);
		return ioc_err(err, "defaultrouter is set but the jail has no interface to reach it "
		    "(set interfaces= with vnet=on, or ip4_addr=IFACE|ADDR/MASK)");
	}
	return 0;
fail:
	ioc_net_plan_release(plan);
	return -1;
}
