/* f_net.c — libFuzzer target: the network plan (ip4_addr, ip6_addr, interfaces,
 * vnetN_mac, defaultrouter...) from raw property values, as a `zfs set` behind
 * iocage's back could leave them.  Input: the values of the properties below,
 * one per line, in that order (missing ones: their built-in defaults).  Whatever
 * the plan accepts must be well-formed: interface names an engine can hand to
 * liblxc or ifconfig(8), 12-hex-digit MACs, addresses that parse, masks in range. */
#include "net/net.h"
#include "core/props.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = { "vnet", "ip4", "ip6", "interfaces", "mac_prefix", "ip4_addr",
	"ip6_addr", "defaultrouter", "defaultrouter6", "vnet0_mac", "vnet1_mac", "vnet2_mac",
	"vnet3_mac", "nat", "nat_interface", "nat_prefix", "nat_forwards", NULL };

struct vals {
	char *v[24];
};

static const char *
get(void *arg, const char *k)
{
	struct vals *vs = arg;
	size_t i;
	for (i = 0; keys[i]; i++)
		if (strcmp(keys[i], k) == 0)
			return vs->v[i];
	return "none";
}

static int
ifname_ok(const char *s)
{
	size_t n = strlen(s), i;
	if (n == 0 || n > 15 || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_.-", s[i])))
			return 0;
	return 1;
}

static int
hex12(const char *s)
{
	size_t i;
	for (i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[12] == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vals vs;
	struct ioc_net_plan p;
	struct ioc_error *e = NULL;
	const uint8_t *q = data, *end = data + size;
	size_t i, k;
	unsigned char buf[16];

	memset(&vs, 0, sizeof(vs));
	for (i = 0; keys[i]; i++) {
		if (q < end) {
			const uint8_t *nl = memchr(q, '\n', (size_t)(end - q));
			size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
			vs.v[i] = ioc_xstrndup((const char *)q, n);
			q += n + (nl ? 1 : 0);
		} else
			vs.v[i] = ioc_prop_builtin(ioc_prop_find(keys[i]), "u", "r");
	}
	if (ioc_net_plan_make("6f36d338-1a8d-4731-a406-a1a79190dcfc", get, &vs, &p, &e) == 0) {
		if (p.nifs > 8 || (p.mode == IOC_NET_VNET && p.nifs > IOC_NET_MAXIF))
			__builtin_trap();
		for (i = 0; i < p.nifs; i++) {
			struct ioc_net_if *f = &p.ifs[i];
			char *c;
			if (!ifname_ok(f->name))
				__builtin_trap();
			if (p.mode == IOC_NET_VNET) {
				/* nat=on: the first interface is on no bridge */
				if ((f->bridge == NULL ? !(p.nat.on && i == 0) : !ifname_ok(f->bridge)) ||
				    !hex12(f->mac_host) || !hex12(f->mac_jail))
					__builtin_trap();
				c = ioc_net_mac_colon(f->mac_jail);
				if (strlen(c) != 17)
					__builtin_trap();
				free(c);
			}
			for (k = 0; k < f->naddrs; k++) {
				struct ioc_net_addr *a = &f->addrs[k];
				if (inet_pton(a->v6 ? AF_INET6 : AF_INET, a->addr, buf) != 1 ||
				    a->prefix < -1 || a->prefix > (a->v6 ? 128 : 32))
					__builtin_trap();
			}
		}
		if (p.nat.on) {
			/* two distinct ends of one network, a router the jail can reach, ports in range */
			unsigned long m = p.nat.len <= 0 ? 0 : (0xffffffffUL << (32 - p.nat.len)) & 0xffffffffUL;
			if (p.mode != IOC_NET_VNET || p.nifs == 0 || p.nat.len < 0 || p.nat.len > 30 ||
			    p.nat.jail4 == p.nat.host4 || (p.nat.jail4 & m) != (p.nat.host4 & m) ||
			    p.router4 == NULL || (p.nat.ext_if && !ifname_ok(p.nat.ext_if)))
				__builtin_trap();
			for (k = 0; k < p.nat.nfwd; k++)
				if (p.nat.fwd[k].jport < 1 || p.nat.fwd[k].jport > 65535 ||
				    p.nat.fwd[k].hport < 1 || p.nat.fwd[k].hport > 65535)
					__builtin_trap();
		}
		if ((p.router4 && inet_pton(AF_INET, p.router4, buf) != 1) ||
		    (p.router6 && inet_pton(AF_INET6, p.router6, buf) != 1))
			__builtin_trap();
		ioc_net_plan_release(&p);
	} else if (e == NULL || e->msg == NULL || strchr(e->msg, '\n'))
		__builtin_trap(); /* a failure says why, on one line */
	ioc_error_free(e);
	for (i = 0; keys[i]; i++)
		free(vs.v[i]);
	return 0;
}
