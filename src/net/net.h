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
 *
 * MAC addresses are stable: mac_prefix (3 bytes) followed by 3 bytes of a
 * hash of the UUID and the interface index; the host side ends in an even
 * byte, the jail side in the same byte + 1.
 */
#ifndef IOC_NET_H
#define IOC_NET_H

#include "util/util.h"

#define IOC_NET_MAXIF 4 /* vnet0_mac .. vnet3_mac */

enum ioc_net_mode {
	IOC_NET_NONE,	 /* own stack with loopback only */
	IOC_NET_VNET,	 /* own stack, interface pairs on bridges */
	IOC_NET_SHARED,	 /* own stack, addresses on children of host interfaces */
	IOC_NET_INHERIT, /* the host's stack */
};

struct ioc_net_addr {
	char *addr;	/* address without mask */
	int prefix;	/* mask length; -1 when not given */
	int v6;
};

struct ioc_net_if {
	char *name;	/* vnet: jail-side name; shared: host interface */
	char *bridge;	/* vnet only */
	char mac_host[13], mac_jail[13]; /* vnet only: 12 hex digits */
	int mac_new;	/* macs were generated (not read from vnetN_mac) */
	struct ioc_net_addr *addrs;
	size_t naddrs;
};

struct ioc_net_plan {
	enum ioc_net_mode mode;
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
