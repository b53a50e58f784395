/* t_net_fstab.c — the network plan, stable MACs and the fstab parser. */
#include "core/fstab.h"
#include "net/net.h"

#include <string.h>

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

struct kv { const char *k, *v; };

static const char *
get(void *arg, const char *k)
{
	const struct kv *p;
	for (p = arg; p->k; p++)
		if (strcmp(p->k, k) == 0)
			return p->v;
	return "none";
}

/* nat=on: the first interface leaves its bridge; its address and the host end */
static void
t_nat(void)
{
	struct kv two[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "vnet0:br0,vnet1:br1" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "vnet0|10.5.0.6/30,vnet1|10.1.0.5/24" }, { "nat_interface", "em0" },
		{ "nat_prefix", "172.16.0.0/12" }, { "nat_forwards", "tcp(80:8080),udp(53)" },
		{ NULL, NULL } };
	struct kv bare[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" }, { "ip4_addr", "10.7.0.9/24" },
		{ "defaultrouter", "10.7.0.254" }, { "nat_prefix", "172.16.0.0/12" }, { NULL, NULL } };
	struct kv slash32[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" }, { "ip4_addr", "vnet0|10.7.0.9/32" },
		{ "nat_prefix", "172.16.0.0/12" }, { NULL, NULL } };
	struct kv noaddr[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" }, { "nat_prefix", "172.16.0.0/12" },
		{ NULL, NULL } };
	struct kv farrouter[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" }, { "ip4_addr", "vnet0|10.7.0.9/30" },
		{ "defaultrouter", "10.8.0.1" }, { "nat_prefix", "172.16.0.0/12" }, { NULL, NULL } };
	struct kv inh[] = { { "vnet", "on" }, { "ip4", "inherit" }, { "ip6", "new" }, { "nat", "on" },
		{ NULL, NULL } };
	struct ioc_net_plan p;
	struct ioc_error *e = NULL;

	CHECK(ioc_net_plan_make("u-1", get, two, &p, &e) == 0);
	CHECK(p.nat.on && p.nifs == 2 && p.ifs[0].bridge == NULL && strcmp(p.ifs[1].bridge, "br1") == 0);
	CHECK(p.nat.jail4 == 0x0a050006UL && p.nat.host4 == 0x0a050005UL && p.nat.len == 30);
	CHECK(p.router4 && strcmp(p.router4, "10.5.0.5") == 0 && strcmp(p.nat.ext_if, "em0") == 0);
	CHECK(p.nat.nfwd == 2 && p.nat.fwd[0].jport == 80 && p.nat.fwd[0].hport == 8080 &&
	    !p.nat.fwd[0].udp && p.nat.fwd[1].udp && p.nat.fwd[1].hport == 53);
	ioc_net_plan_release(&p);
	/* interfaces=none: vnet0; an address without interface goes to it; defaultrouter wins */
	CHECK(ioc_net_plan_make("u-1", get, bare, &p, &e) == 0);
	CHECK(p.nifs == 1 && strcmp(p.ifs[0].name, "vnet0") == 0 && p.ifs[0].bridge == NULL &&
	    p.ifs[0].mac_new && p.nat.host4 == 0x0a0700feUL && p.nat.ext_if == NULL);
	ioc_net_plan_release(&p);
	CHECK(ioc_net_plan_make("u-1", get, slash32, &p, &e) == -1 && strstr(e->msg, "/30 or shorter"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, noaddr, &p, &e) == -1 && strstr(e->msg, "no IPv4 address"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, farrouter, &p, &e) == -1 &&
	    strstr(e->msg, "must be another address of the jail's network"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, inh, &p, &e) == -1 && strstr(e->msg, "own IPv4 stack"));
	ioc_error_free(e);
	e = NULL;
}

/* IFACE|DHCP and IFACE|accept_rtadv: vnet only, not with nat=on or a router of that family */
static void
t_dhcp(void)
{
	struct kv ok[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0,vnet1:br1" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "vnet0|DHCP,vnet1|10.1.0.5/24" }, { "ip6_addr", "vnet0|accept_rtadv" },
		{ NULL, NULL } };
	struct kv shared[] = { { "vnet", "off" }, { "ip4", "new" }, { "ip6", "new" },
		{ "mac_prefix", "02ff60" }, { "ip4_addr", "eth0|dhcp" }, { NULL, NULL } };
	struct kv nat[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" }, { "nat", "on" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" }, { "ip4_addr", "vnet0|DHCP" },
		{ "nat_prefix", "172.16.0.0/12" }, { NULL, NULL } };
	struct kv router[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" }, { "ip4_addr", "vnet0|DHCP" },
		{ "defaultrouter", "10.0.0.1" }, { NULL, NULL } };
	struct kv router6[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" },
		{ "ip6_addr", "vnet0|accept_rtadv" }, { "defaultrouter6", "fd00::1" }, { NULL, NULL } };
	struct ioc_net_plan p;
	struct ioc_error *e = NULL;

	CHECK(ioc_net_plan_make("u-1", get, ok, &p, &e) == 0);
	CHECK(p.nifs == 2 && p.ifs[0].dhcp4 && p.ifs[0].rtadv6 && p.ifs[0].naddrs == 0);
	CHECK(!p.ifs[1].dhcp4 && !p.ifs[1].rtadv6 && p.ifs[1].naddrs == 1);
	ioc_net_plan_release(&p);
	CHECK(ioc_net_plan_make("u-1", get, shared, &p, &e) == -1 && strstr(e->msg, "needs vnet=on"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, nat, &p, &e) == -1 &&
	    strstr(e->msg, "cannot be combined"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, router, &p, &e) == -1 &&
	    strstr(e->msg, "defaultrouter=10.0.0.1 and ip4_addr=vnet0|DHCP"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, router6, &p, &e) == -1 &&
	    strstr(e->msg, "set defaultrouter6=none"));
	ioc_error_free(e);
	e = NULL;
}

static void
t_plan(void)
{
	struct kv vnet[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0,vnet1:br1" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "vnet0|10.0.0.5/24,vnet1|10.1.0.5" }, { "ip6_addr", "vnet0|fd00::5/64" },
		{ "defaultrouter", "10.0.0.1" }, { "vnet1_mac", "02ff60000010 02ff60000011" },
		{ NULL, NULL } };
	struct kv shared[] = { { "vnet", "off" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "eth0|192.0.2.5/24,eth0|192.0.2.6/24" }, { NULL, NULL } };
	struct kv bad[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "vnet3|10.0.0.5/24" }, { NULL, NULL } };
	struct kv nohost[] = { { "vnet", "off" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "none" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "10.0.0.5/24" }, { NULL, NULL } };
	struct kv inh[] = { { "vnet", "on" }, { "ip4", "inherit" }, { "ip6", "new" }, { NULL, NULL } };
	struct ioc_net_plan p;
	struct ioc_error *e = NULL;

	CHECK(ioc_net_plan_make("u-1", get, vnet, &p, &e) == 0);
	CHECK(p.mode == IOC_NET_VNET && p.nifs == 2);
	CHECK(strcmp(p.ifs[0].name, "vnet0") == 0 && strcmp(p.ifs[0].bridge, "br0") == 0);
	CHECK(p.ifs[0].naddrs == 2 && p.ifs[0].addrs[0].prefix == 24 && p.ifs[0].addrs[1].v6);
	CHECK(p.ifs[1].naddrs == 1 && p.ifs[1].addrs[0].prefix == -1);
	CHECK(p.ifs[0].mac_new && !p.ifs[1].mac_new);
	CHECK(strcmp(p.ifs[1].mac_host, "02ff60000010") == 0);
	CHECK(strncmp(p.ifs[0].mac_host, "02ff60", 6) == 0);
	CHECK(strcmp(p.router4, "10.0.0.1") == 0 && p.router6 == NULL);
	ioc_net_plan_release(&p);

	CHECK(ioc_net_plan_make("u-1", get, shared, &p, &e) == 0);
	CHECK(p.mode == IOC_NET_SHARED && p.nifs == 1 && p.ifs[0].naddrs == 2);
	ioc_net_plan_release(&p);

	CHECK(ioc_net_plan_make("u-1", get, bad, &p, &e) == -1);
	CHECK(e && strstr(e->msg, "interfaces= does not list it"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, nohost, &p, &e) == -1);
	CHECK(e && strstr(e->msg, "needs a host interface when vnet=off"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_net_plan_make("u-1", get, inh, &p, &e) == 0 && p.mode == IOC_NET_INHERIT);
	ioc_net_plan_release(&p);
}

/* Values written behind iocage's back (found by tests/fuzz/f_net.c: an
 * interfaces entry without ':' made the plan dereference NULL). */
static void
t_plan_raw(void)
{
	struct kv nocolon[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0" }, { "mac_prefix", "02ff60" }, { NULL, NULL } };
	struct kv badmac[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" },
		{ "vnet0_mac", "02ff60aabbcc\nlxc.x=1234567" }, { NULL, NULL } };
	struct kv badaddr[] = { { "vnet", "on" }, { "ip4", "new" }, { "ip6", "new" },
		{ "interfaces", "vnet0:br0" }, { "mac_prefix", "02ff60" },
		{ "ip4_addr", "vnet0|10.0.0.1/24 lxc.net.0.link=eth0" }, { NULL, NULL } };
	struct kv badvnet[] = { { "vnet", "maybe" }, { "ip4", "new" }, { "ip6", "new" }, { NULL, NULL } };
	struct kv *cases[] = { nocolon, badmac, badaddr, badvnet };
	const char *names[] = { "'interfaces'", "'vnet0_mac'", "'ip4_addr'", "'vnet'" };
	struct ioc_net_plan p;
	size_t i;
	for (i = 0; i < 4; i++) {
		struct ioc_error *e = NULL;
		CHECK(ioc_net_plan_make("u-1", get, cases[i], &p, &e) == -1);
		CHECK(e && strstr(e->msg, names[i]) && !strchr(e->msg, '\n'));
		CHECK(p.nifs == 0);
		ioc_error_free(e);
	}
}

static void
t_mac(void)
{
	char h[13], j[13], h2[13], j2[13];
	char *c;
	ioc_net_mac("02FF60", "abc", 0, h, j);
	ioc_net_mac("02ff60", "abc", 0, h2, j2);
	CHECK(strcmp(h, h2) == 0 && strcmp(j, j2) == 0); /* stable, lower case */
	CHECK(strncmp(h, "02ff60", 6) == 0 && strcmp(h, j) != 0);
	CHECK(((strtoul(h + 10, NULL, 16) & 1) == 0) && strtoul(j + 10, NULL, 16) == strtoul(h + 10, NULL, 16) + 1);
	ioc_net_mac("02ff60", "abc", 1, h2, j2);
	CHECK(strcmp(h, h2) != 0);
	c = ioc_net_mac_colon("02ff60aabbcc");
	CHECK(strcmp(c, "02:ff:60:aa:bb:cc") == 0);
	free(c);
	CHECK(ioc_net_valid_mac_prefix("02ff60") && !ioc_net_valid_mac_prefix("03ff60") &&
	    !ioc_net_valid_mac_prefix("02ff6") && !ioc_net_valid_mac_prefix("zzff60"));
	c = ioc_net_host_ifname("6f36d338-1a8d-4731-a406-a1a79190dcfc", 3);
	CHECK(strlen(c) <= 15 && strncmp(c, "ioc", 3) == 0);
	free(c);
}

static void
t_fstab(void)
{
	struct ioc_fstab fs;
	struct ioc_error *e = NULL;
	static const char *const bad[] = { "/a", "a /b", "/a b", "/a /b x", "/a /b ro extra",
		"/a/../b /c", "/a /", "/a //", "/a\\b /c", "/a /b/..", NULL };
	size_t i;
	CHECK(ioc_fstab_parse("none", &fs, &e) == 0 && fs.n == 0);
	CHECK(ioc_fstab_parse("/src /dst ro; /s2\t/d2 ;", &fs, &e) == 0 && fs.n == 2);
	CHECK(fs.n == 2 && fs.v[0].ro && !fs.v[1].ro && strcmp(fs.v[1].dst, "/d2") == 0);
	ioc_fstab_release(&fs);
	for (i = 0; bad[i]; i++) {
		e = NULL;
		CHECK(ioc_fstab_parse(bad[i], &fs, &e) == -1 && e != NULL);
		ioc_error_free(e);
	}
	CHECK(ioc_fstab_parse("/a..b /c..d", &fs, NULL) == 0 && fs.n == 1);
	ioc_fstab_release(&fs);
}

/* Paths as fields of a mount entry (lxc.mount.entry, read with getmntent). */
static void
t_escape(void)
{
	char *e = ioc_fstab_escape("/mnt/a b\tc\nd\\e,ro 0 0");
	CHECK(strcmp(e, "/mnt/a\\040b\\011c\\012d\\134e,ro\\0400\\0400") == 0);
	CHECK(strpbrk(e, " \t\n") == NULL);
	free(e);
	e = ioc_fstab_escape("/plain/$(x)`y`'q'\"#");
	CHECK(strcmp(e, "/plain/$(x)`y`'q'\"#") == 0);
	free(e);
}

int
main(void)
{
	t_plan();
	t_nat();
	t_dhcp();
	t_plan_raw();
	t_mac();
	t_fstab();
	t_escape();
	if (fails)
		fprintf(stderr, "t_net_fstab: %d failed\n", fails);
	return fails != 0;
}
