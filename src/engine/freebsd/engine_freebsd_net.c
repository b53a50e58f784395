/*
 * engine_freebsd_net.c — the FreeBSD engine's network: ip4_addr/ip6_addr
 * and interfaces= parsed, the MAC pairs of vnet interfaces, jail(8)'s
 * ip4/ip6 parameters of a shared-IP jail, the addresses set inside a vnet
 * jail, and nat=on (the NAT link and the jail's pf rules).  The start and
 * stop plans (engine_freebsd_lifecycle.c) put these into steps.
 */
#include "engine/freebsd/internal.h"

#include <ctype.h>
#include <string.h>

void
ioc_fb_ips_free(struct ioc_fb_ip *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].iface);
		free(v[i].addr);
		free(v[i].len);
	}
	free(v);
}

/* Splits a validated address list ("none" gives nothing). */
size_t
ioc_fb_ips(const char *value, struct ioc_fb_ip **out)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	struct ioc_fb_ip *v;
	size_t i;
	*out = NULL;
	if (ioc_fb_isnone(value))
		return 0;
	ioc_strv_init(&parts);
	ioc_strv_split(&parts, value, ',');
	v = ioc_xcalloc(parts.n, sizeof(*v));
	for (i = 0; i < parts.n; i++) {
		const char *e = parts.v[i], *bar = strchr(e, '|'), *slash;
		if (bar) {
			v[i].iface = ioc_xstrndup(e, (size_t)(bar - e));
			e = bar + 1;
		}
		slash = strchr(e, '/');
		v[i].addr = slash ? ioc_xstrndup(e, (size_t)(slash - e)) : ioc_xstrdup(e);
		v[i].len = slash ? ioc_xstrdup(slash + 1) : NULL;
	}
	*out = v;
	i = parts.n;
	ioc_strv_release(&parts);
	return i;
}

void
ioc_fb_nics_free(struct ioc_fb_nic *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].nic);
		free(v[i].bridge);
		free(v[i].host);
	}
	free(v);
}

int
ioc_fb_nics(const struct ioc_fb *f, struct ioc_fb_nic **out, size_t *nout, struct ioc_error **err)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	const char *value = ioc_fb_get(f, "interfaces");
	struct ioc_fb_nic *v;
	size_t i, k;
	*out = NULL;
	*nout = 0;
	if (ioc_fb_isnone(value))
		return 0;
	ioc_strv_init(&parts);
	ioc_strv_split(&parts, value, ',');
	if (parts.n > IOC_NET_MAXIF) {
		ioc_err(err,
		    "invalid value for property 'interfaces': at most %d interfaces "
		    "(vnet0_mac .. vnet3_mac), got %zu",
		    IOC_NET_MAXIF, parts.n);
		ioc_strv_release(&parts);
		return -1;
	}
	v = ioc_xcalloc(parts.n, sizeof(*v));
	for (i = 0; i < parts.n; i++) {
		const char *c = strchr(parts.v[i], ':');
		v[i].nic = ioc_xstrndup(parts.v[i], (size_t)(c - parts.v[i]));
		v[i].bridge = ioc_xstrdup(c + 1);
		/* net.h's name, the same as the Linux engine's host side */
		v[i].host = ioc_net_host_ifname(f->j->uuid, (unsigned)i);
		for (k = 0; k < i; k++)
			if (strcmp(v[k].nic, v[i].nic) == 0) {
				ioc_err(err,
				    "invalid value for property 'interfaces': '%s' is named twice",
				    v[i].nic);
				goto fail;
			}
		if (strcmp(v[i].nic, "lo0") == 0) {
			ioc_err(err,
			    "invalid value for property 'interfaces': 'lo0' is the jail's loopback");
			goto fail;
		}
	}
	*out = v;
	*nout = parts.n;
	ioc_strv_release(&parts);
	return 0;
fail:
	ioc_fb_nics_free(v, parts.n);
	ioc_strv_release(&parts);
	return -1;
}

int
ioc_freebsd_mac_pair(const struct ioc_jail *j, unsigned idx, char host[13], char jail[13],
    int *generated, struct ioc_error **err)
{
	const struct ioc_prop *pp = ioc_prop_find("mac_prefix");
	const char *prefix = j->values && pp ? j->values[pp - ioc_props] : NULL;
	char prop[16];
	const struct ioc_prop *mp;
	const char *set;
	size_t i, n;

	snprintf(prop, sizeof(prop), "vnet%u_mac", idx);
	mp = ioc_prop_find(prop);
	set = j->values && mp ? j->values[mp - ioc_props] : NULL;
	if (prefix == NULL)
		prefix = pp ? pp->builtin : "02ff60";
	if (!ioc_net_valid_mac_prefix(prefix))
		return ioc_err(err,
		    "invalid value for property 'mac_prefix': expected 6 hex digits of a "
		    "unicast prefix (first byte even), e.g. 02ff60");
	/* net.h's generator: the same MACs as the Linux engine */
	ioc_net_mac(prefix, j->uuid, idx, host, jail);
	*generated = 1;
	if (mp == NULL || set == NULL || strcmp(set, "none") == 0)
		return 0;
	/* vnetN_mac: "HOST JAIL" or one address (the jail side) */
	n = strlen(set);
	if (n != 12 && !(n == 25 && set[12] == ' '))
		goto bad;
	for (i = 0; i < n; i++)
		if (i != 12 && !isxdigit((unsigned char)set[i]))
			goto bad;
	*generated = 0;
	for (i = 0; i < 12; i++) {
		if (n == 25) {
			host[i] = (char)tolower((unsigned char)set[i]);
			jail[i] = (char)tolower((unsigned char)set[13 + i]);
		} else {
			jail[i] = (char)tolower((unsigned char)set[i]);
		}
	}
	return 0;
bad:
	return ioc_err(err,
	    "invalid value for property '%s': expected 'HOSTMAC JAILMAC' or one "
	    "JAILMAC, 12 hex digits each",
	    prop);
}

/* ADDR/LEN in the form ifconfig(8) takes; jail(8)'s defaults for no mask. */
char *
ioc_fb_cidr(const struct ioc_fb_ip *ip, int v6)
{
	return ioc_xasprintf("%s/%s", ip->addr, ip->len ? ip->len : (v6 ? "128" : "32"));
}

/* ip4=/ip6= and addresses for a shared-IP jail (vnet=off): jail(8) gets the
 * bare addresses; the aliases are the plan's own ifconfig steps. */
int
ioc_fb_shared_ip(const struct ioc_fb *f, struct ioc_pargv *a, int v6, struct ioc_error **err)
{
	const char *fam = v6 ? "ip6" : "ip4";
	const char *mode = ioc_fb_get(f, fam);
	struct ioc_fb_ip *ips;
	size_t n = ioc_fb_ips(ioc_fb_get(f, v6 ? "ip6_addr" : "ip4_addr"), &ips), i;
	struct ioc_sb sb = IOC_SB_INIT;

	if (n && strcmp(mode, "new") != 0) {
		ioc_fb_ips_free(ips, n);
		return ioc_err(
		    err, "%s_addr is set but %s=%s: addresses need %s=new", fam, fam, mode, fam);
	}
	ioc_fb_kv(a, fam, mode);
	if (n == 0)
		return 0;
	ioc_sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (strcmp(ips[i].addr, "dhcp") == 0 || strcmp(ips[i].addr, "accept_rtadv") == 0) {
			ioc_err(err,
			    "%s_addr '%s' needs vnet=on (a shared-IP jail has no interface "
			    "of its own)",
			    fam, ips[i].addr);
			ioc_sb_release(&sb);
			ioc_fb_ips_free(ips, n);
			return -1;
		}
		ioc_sb_addf(&sb, "%s%s", i ? "," : "", ips[i].addr);
	}
	ioc_fb_kv(a, v6 ? "ip6.addr" : "ip4.addr", sb.buf);
	ioc_fb_kv(a, v6 ? "ip6.saddrsel" : "ip4.saddrsel",
	    ioc_fb_get(f, v6 ? "ip6_saddrsel" : "ip4_saddrsel"));
	ioc_sb_release(&sb);
	ioc_fb_ips_free(ips, n);
	return 0;
}

/* Steps adding one interface's address inside a vnet jail. */
void
ioc_fb_add_vnet_addr(
    const struct ioc_fb *f, struct ioc_plan *p, const char *nic, const struct ioc_fb_ip *ip, int v6)
{
	if (!v6 && strcmp(ip->addr, "dhcp") == 0) {
		ioc_plan_add(
		    p, (const char *const[]) { "jexec", f->name, "/sbin/dhclient", nic, NULL });
	} else if (v6 && strcmp(ip->addr, "accept_rtadv") == 0) {
		ioc_plan_add(p,
		    (const char *const[]) { "jexec", f->name, "/sbin/ifconfig", nic, "inet6",
			"-ifdisabled", "accept_rtadv", NULL });
		ioc_plan_add(
		    p, (const char *const[]) { "jexec", f->name, "/sbin/rtsol", nic, NULL });
	} else {
		_cleanup_free_ char *cidr = ioc_fb_cidr(ip, v6);
		ioc_plan_add(p,
		    (const char *const[]) { "jexec", f->name, "/sbin/ifconfig", nic,
			v6 ? "inet6" : "inet", cidr, "alias", NULL });
	}
}

/* Checks that every address names one of the jail's interfaces (an address
 * without one goes to the first); returns the interface to use for ip. */
const char *
ioc_fb_addr_nic(const struct ioc_fb_nic *nics, size_t nn, const struct ioc_fb_ip *ip,
    const char *prop, struct ioc_error **err)
{
	size_t k;
	if (ip->iface == NULL) {
		if (nn == 0) {
			ioc_err(err, "%s needs an interface: set interfaces= (e.g. vnet0:bridge0)",
			    prop);
			return NULL;
		}
		return nics[0].nic;
	}
	for (k = 0; k < nn; k++)
		if (strcmp(nics[k].nic, ip->iface) == 0)
			return nics[k].nic;
	ioc_err(err,
	    "%s names interface '%s', which is not in interfaces= (with vnet=on the "
	    "addresses go on the jail's own interfaces, e.g. vnet0|10.0.0.5/24)",
	    prop, ip->iface);
	return NULL;
}

static const char *
ioc_fb_get_cb(void *arg, const char *prop)
{
	return ioc_fb_get(arg, prop);
}

/* nat=on with interfaces=none: the NAT link is vnet0 (as net.h plans it). */
void
ioc_fb_nat_nic(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn)
{
	if (*nn != 0)
		return;
	*nics = ioc_xcalloc(1, sizeof(**nics));
	(*nics)[0].nic = ioc_xstrdup("vnet0");
	(*nics)[0].bridge = ioc_xstrdup("");
	(*nics)[0].host = ioc_net_host_ifname(f->j->uuid, 0);
	*nn = 1;
}

/*
 * nat=on (vnet only): net.h's plan gives the NAT link's two ends (the jail
 * address from ip4_addr, picked at the first start: ioc_net_nat_assign) and
 * the forwards; the first interface leaves its bridge (with interfaces=none
 * it is vnet0).  pf needs the outgoing interface by name: FreeBSD has no
 * "egress" group to fall back on.
 */
int
ioc_fb_nat_plan(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn,
    struct ioc_net_plan *np, struct ioc_error **err)
{
	if (ioc_fb_isnone(ioc_fb_get(f, "nat_interface")))
		return ioc_err(err,
		    "nat=on: the FreeBSD engine needs nat_interface= (the host's "
		    "outgoing interface, e.g. em0)");
	if (ioc_net_plan_make(f->j->uuid, ioc_fb_get_cb, (void *)f, np, err) != 0)
		return -1;
	ioc_fb_nat_nic(f, nics, nn);
	return 0;
}

/* The pf rules of a NAT jail (anchor iocage/NAME): validated words only. */
char *
ioc_fb_nat_rules(const struct ioc_net_plan *np)
{
	struct ioc_sb sb = IOC_SB_INIT;
	char jail[16];
	size_t i;
	const char *ext = np->nat.ext_if;
	ioc_sb_init(&sb);
	ioc_net_ntoa4(np->nat.jail4, jail);
	ioc_sb_addf(&sb, "nat on %s inet from %s to any -> (%s)\n", ext, jail, ext);
	for (i = 0; i < np->nat.nfwd; i++)
		ioc_sb_addf(&sb, "rdr on %s inet proto %s from any to (%s) port %u -> %s port %u\n",
		    ext, np->nat.fwd[i].udp ? "udp" : "tcp", ext, np->nat.fwd[i].hport, jail,
		    np->nat.fwd[i].jport);
	return ioc_sb_detach(&sb);
}
