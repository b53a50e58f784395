/*
 * internal.h — what the files of the FreeBSD engine share; private to
 * src/engine/freebsd (the engine's contract is engine_freebsd.h).
 *
 *   engine_freebsd.c            the planner's view of a jail (struct ioc_fb),
 *                               the steps the plans share, the plans for
 *                               exec, console, cap, uncap and pkg
 *   engine_freebsd_lifecycle.c  the start and stop plans
 *   engine_freebsd_net.c        addresses, interfaces, MACs, NAT
 *   engine_freebsd_ops.c        the read-only queries and the engine ops
 *
 * All of it is pure planning but the ops: no function here runs anything.
 */
#ifndef IOC_ENGINE_FREEBSD_INTERNAL_H
#define IOC_ENGINE_FREEBSD_INTERNAL_H

#include "engine/freebsd/engine_freebsd.h"
#include "net/net.h"

/* ------------------------------------------------ engine_freebsd.c */

/* The planner's view of one jail: validated, canonical values. */
struct ioc_fb {
	const struct ioc_root *root;
	const struct ioc_jail *j;
	char *name; /* ioc-UUID */
	char *path; /* the jail root's mountpoint */
	char **val; /* per ioc_props index, canonical; NULL if not used */
};

/* Validates the jail's identity and every property the engine reads, and
 * fills f (0); on failure nothing is left to release (-1, err set). */
int ioc_fb_load(struct ioc_fb *f, const struct ioc_root *root, const struct ioc_jail *j,
    struct ioc_error **err);
/* Frees what ioc_fb_load filled and zeroes f. */
void ioc_fb_release(struct ioc_fb *f);
/* The canonical value of prop ("" for none); prop must be one the engine reads. */
const char *ioc_fb_get(const struct ioc_fb *f, const char *prop);
/* 1 when boolean property prop is on. */
int ioc_fb_on(const struct ioc_fb *f, const char *prop);
/* 1 for "none", "off" and "". */
int ioc_fb_isnone(const char *v);

/* Adds host hook prop (its words, the jail name, the jail path) with step
 * flags; nothing for a no-op hook.  -1 for a bad or relative command. */
int ioc_fb_add_hook(
    struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags, struct ioc_error **err);
/* Adds exec_start / exec_stop (prop) run inside the jail with jexec(8). */
int ioc_fb_add_inside(
    struct ioc_fb *f, struct ioc_plan *p, const char *prop, unsigned flags, struct ioc_error **err);
/* Adds `rctl -a` of every limit that is not off, with `rctl -r` undo when undo. */
void ioc_fb_add_rctl(const struct ioc_fb *f, struct ioc_plan *p, int undo);
/* Pushes the word "key=value". */
void ioc_fb_kv(struct ioc_pargv *a, const char *key, const char *value);

/* -------------------------------------------- engine_freebsd_net.c */

/* One entry of ip4_addr / ip6_addr. */
struct ioc_fb_ip {
	char *iface; /* NULL when not given */
	char *addr; /* address, "dhcp" or "accept_rtadv" */
	char *len; /* mask length, NULL when not given */
};

/* One entry of interfaces=: NIC:BRIDGE. */
struct ioc_fb_nic {
	char *nic, *bridge, *host; /* host: the host-side name (ioc_net_host_ifname) */
};

/* Splits a validated address list into *out (caller frees with
 * ioc_fb_ips_free); returns the number of entries, 0 for "none". */
size_t ioc_fb_ips(const char *value, struct ioc_fb_ip **out);
void ioc_fb_ips_free(struct ioc_fb_ip *v, size_t n);
/* interfaces= into *out and *nout (caller frees with ioc_fb_nics_free);
 * -1 for too many, repeated or lo0 entries. */
int ioc_fb_nics(
    const struct ioc_fb *f, struct ioc_fb_nic **out, size_t *nout, struct ioc_error **err);
void ioc_fb_nics_free(struct ioc_fb_nic *v, size_t n);
/* ADDR/LEN in the form ifconfig(8) takes; jail(8)'s defaults for no mask
 * (caller frees). */
char *ioc_fb_cidr(const struct ioc_fb_ip *ip, int v6);
/* ip4=/ip6= (v6) and the addresses of a shared-IP jail (vnet=off) pushed
 * onto jail(8)'s parameters a. */
int ioc_fb_shared_ip(const struct ioc_fb *f, struct ioc_pargv *a, int v6, struct ioc_error **err);
/* Steps adding one address inside a vnet jail, on interface nic. */
void ioc_fb_add_vnet_addr(const struct ioc_fb *f, struct ioc_plan *p, const char *nic,
    const struct ioc_fb_ip *ip, int v6);
/* The interface of nics an address goes on (the first when it names none);
 * NULL (err set, prop named) when it names one not in interfaces=. */
const char *ioc_fb_addr_nic(const struct ioc_fb_nic *nics, size_t nn, const struct ioc_fb_ip *ip,
    const char *prop, struct ioc_error **err);
/* nat=on with interfaces=none: makes vnet0 the one interface. */
void ioc_fb_nat_nic(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn);
/* nat=on: net.h's plan into np (caller releases it), the NAT interface added
 * when there is none; -1 without nat_interface. */
int ioc_fb_nat_plan(const struct ioc_fb *f, struct ioc_fb_nic **nics, size_t *nn,
    struct ioc_net_plan *np, struct ioc_error **err);
/* The pf rules of a NAT jail for its anchor iocage/NAME (caller frees). */
char *ioc_fb_nat_rules(const struct ioc_net_plan *np);

#endif
