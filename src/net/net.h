/*
 * net.h — the jail network properties, parsed once into a plan.
 *
 * Portable (no OS headers): both engines may use it.  The plan says what
 * a jail's network is made of; the engine turns it into veth/macvlan/ipvlan
 * (Linux, through liblxc's lxc.net.* items) or epair/alias commands (FreeBSD).
 *
 *   vnet=on:  one interface pair per `interfaces` entry NAME:BRIDGE; the
 *             jail side is called NAME, the host side is attached to BRIDGE.
 *             ip4_addr/ip6_addr entries name the jail interface (vnet0|ADDR).
 *   vnet=off: ip4_addr/ip6_addr entries name a host interface (eth0|ADDR);
 *             the jail gets the address on a child interface of it
 *             (ipvlan where the kernel has it, macvlan otherwise).
 *   ip4=inherit: the jail shares the host's network stack.
 *   DHCP:     ip4_addr=vnet0|DHCP (vnet only) asks the jail's own DHCP
 *             client for vnet0's address and router once the jail is up;
 *             ip6_addr=vnet0|accept_rtadv takes SLAAC addresses from the
 *             router adverts on its link.  Neither with nat=on, nor with a
 *             defaultrouter of the same family.
 *
 *   nat=on:   the first vnet interface (vnet0 unless interfaces= names
 *             another) is not on a bridge: its host side gets the first
 *             address of the jail's /30 and is the jail's default router;
 *             the host masquerades what the jail sends out of nat_interface
 *             and forwards nat_forwards' host ports to it.  With ip4_addr
 *             none a free /30 of nat_prefix is picked at the first start
 *             and stored in ip4_addr (ioc_net_nat_assign): the jail keeps it.
 *
 * MAC addresses are stable: mac_prefix (3 bytes) followed by 3 bytes of a
 * hash of the UUID and the interface index; the host side ends in an even
 * byte, the jail side in the same byte + 1.
 */
#ifndef IOC_NET_H
#define IOC_NET_H

#include "core/core.h"
#include "util/util.h"

#define IOC_NET_MAXIF 4 /* vnet0_mac .. vnet3_mac */

enum ioc_net_mode {
	IOC_NET_NONE, /* own stack with loopback only */
	IOC_NET_VNET, /* own stack, interface pairs on bridges */
	IOC_NET_SHARED, /* own stack, addresses on children of host interfaces */
	IOC_NET_INHERIT, /* the host's stack */
};

struct ioc_net_addr {
	char *addr; /* address without mask */
	int prefix; /* mask length; -1 when not given */
	int v6;
};

struct ioc_net_if {
	char *name; /* vnet: jail-side name; shared: host interface */
	char *bridge; /* vnet only */
	char mac_host[13], mac_jail[13]; /* vnet only: 12 hex digits */
	int mac_new; /* macs were generated (not read from vnetN_mac) */
	struct ioc_net_addr *addrs;
	size_t naddrs;
	int dhcp4; /* ip4_addr IFACE|DHCP: the jail's own client asks (vnet only) */
	int rtadv6; /* ip6_addr IFACE|accept_rtadv: SLAAC from router adverts (vnet only) */
};

struct ioc_net_nat {
	int on;
	char *ext_if; /* nat_interface; NULL: the default route's */
	unsigned long jail4; /* host byte order */
	unsigned long host4; /* the host side's address, the jail's router */
	int len; /* prefix length of both */
	unsigned long pnet; /* nat_prefix */
	int plen;
	struct ioc_forward *fwd; /* nat_forwards */
	size_t nfwd;
};

struct ioc_net_plan {
	enum ioc_net_mode mode;
	struct ioc_net_nat nat;
	struct ioc_net_if ifs[8];
	size_t nifs;
	char *router4, *router6; /* NULL when none */
};

/*
 * Builds the plan from a jail's property values (get(prop) returns the
 * loaded value).  Fails with a message naming the property on entries that
 * do not fit together: an address on an interface that interfaces= does not
 * list, more than 4 vnet interfaces, a bad mac_prefix.
 */
int ioc_net_plan_make(const char *uuid, const char *(*get)(void *, const char *), void *arg,
    struct ioc_net_plan *plan, struct ioc_error **err);
void ioc_net_plan_release(struct ioc_net_plan *plan);

/*
 * nat=on with ip4_addr none (both engines, before start plans anything):
 * the first /30 of nat_prefix that overlaps none of this root's jails'
 * networks and none of the host's own; the jail gets its second address as
 * ip4_addr=IFACE|A.B.C.D/30 (IFACE the first of interfaces=, else vnet0),
 * stored on its dataset when store is set (under a lock, so two starts
 * never pick one block) and always in j's loaded values; the first address
 * becomes the host side, the jail's router.  *value (caller frees) is the
 * new ip4_addr, NULL when nothing was needed.
 */
int ioc_net_nat_assign(const struct ioc_root *root, struct ioc_jail *j, int store, char **value,
    struct ioc_error **err);
/* "a.b.c.d" of a host-order IPv4 address into buf (16 bytes). */
char *ioc_net_ntoa4(unsigned long a, char buf[16]);

/* mac_prefix check: 6 hex digits, unicast (first byte even). */
int ioc_net_valid_mac_prefix(const char *s);
/* Stable MACs (12 hex digits each) for interface idx of a jail. */
void ioc_net_mac(const char *prefix, const char *uuid, unsigned idx, char host[13], char jail[13]);
/* "02ff60aabbcc" -> "02:ff:60:aa:bb:cc" (caller frees). */
char *ioc_net_mac_colon(const char *hex12);
/* Host-side interface name for a jail's interface idx ("ioc" + 8 hex + "n" + idx). */
char *ioc_net_host_ifname(const char *uuid, unsigned idx);
/* FNV-1a 64-bit hash (stable names and MACs). */
unsigned long long ioc_net_hash(const char *s);

#endif
