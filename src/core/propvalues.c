/*
 * propvalues.c — parsers of the compound property values other layers read
 * too (props.h): nat_prefix (an IPv4 network), nat_forwards (port
 * forwards, as iocage 1.x writes them) and sync_target (a local or remote
 * iocage root).  props.c validates with them; net/ and ops/ use their
 * results; and ioc_prop_validate, the check of every property value by type.
 */
#include "core/props.h"
#include "core/depends.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
ioc_cidr4_parse(const char *value, unsigned long *net, int *len)
{
	const char *slash = strchr(value, '/');
	_cleanup_free_ char *a = slash ? ioc_xstrndup(value, (size_t)(slash - value)) : NULL;
	struct in_addr in;
	long long l;
	unsigned long n, mask;
	if (a == NULL || inet_pton(AF_INET, a, &in) != 1 || ioc_parse_ll(slash + 1, 8, 30, &l) != 0)
		return -1;
	n = ntohl(in.s_addr);
	mask = (0xffffffffUL << (32 - l)) & 0xffffffffUL;
	if ((n & ~mask & 0xffffffffUL) != 0)
		return -1;
	*net = n;
	*len = (int)l;
	return 0;
}

static int
ioc_forward_port(const char *s, size_t n, unsigned *out)
{
	char buf[8];
	long long v;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ioc_parse_ll(buf, 1, 65535, &v) != 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
ioc_forwards_parse(const char *value, struct ioc_forward **out, size_t *n, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	struct ioc_forward *f = NULL;
	size_t i, k;
	*out = NULL;
	*n = 0;
	if (strcmp(value, "none") == 0)
		return 0;
	ioc_strv_split(&parts, value, ',');
	f = ioc_xcalloc(parts.n + 1, sizeof(*f));
	for (i = 0; i < parts.n; i++) {
		const char *e = parts.v[i], *open = strchr(e, '('), *colon;
		size_t len = strlen(e);
		if (open == NULL || len < 3 || e[len - 1] != ')' ||
		    !((open - e == 3 && strncmp(e, "tcp", 3) == 0) ||
			(open - e == 3 && strncmp(e, "udp", 3) == 0)))
			goto bad;
		f[i].udp = e[0] == 'u';
		open++;
		colon = memchr(open, ':', (size_t)(e + len - 1 - open));
		if (colon) {
			if (ioc_forward_port(open, (size_t)(colon - open), &f[i].jport) != 0 ||
			    ioc_forward_port(
				colon + 1, (size_t)(e + len - 1 - colon - 1), &f[i].hport) != 0)
				goto bad;
		} else {
			if (ioc_forward_port(open, (size_t)(e + len - 1 - open), &f[i].jport) != 0)
				goto bad;
			f[i].hport = f[i].jport;
		}
		for (k = 0; k < i; k++)
			if (f[k].udp == f[i].udp && f[k].hport == f[i].hport) {
				ioc_err(err,
				    "invalid value for property 'nat_forwards': host port %s %u is "
				    "forwarded twice",
				    f[i].udp ? "udp" : "tcp", f[i].hport);
				free(f);
				return -1;
			}
	}
	*out = f;
	*n = parts.n;
	return 0;
bad:
	free(f);
	if (ioc_has_ctrl(parts.v[i]) || strlen(parts.v[i]) > 64)
		return ioc_err(err,
		    "invalid value for property 'nat_forwards': expected none or "
		    "PROTO(JAILPORT[:HOSTPORT])[,...] with PROTO tcp or udp, e.g. tcp(80:8080),udp(53)");
	return ioc_err(err,
	    "invalid value for property 'nat_forwards': entry '%s': expected "
	    "PROTO(JAILPORT[:HOSTPORT]) with PROTO tcp or udp and ports 1-65535, "
	    "e.g. tcp(80:8080),udp(53)",
	    parts.v[i]);
}

int
ioc_sync_target_parse(const char *v, char **host, char **dataset)
{
	const char *colon = strchr(v, ':'), *at = NULL, *h, *q, *ds = v;
	*host = NULL;
	*dataset = NULL;
	if (strcmp(v, "none") == 0 || strlen(v) > 512)
		return -1;
	if (colon) {
		at = memchr(v, '@', (size_t)(colon - v));
		h = at ? at + 1 : v;
		if (at) {
			if (!(islower((unsigned char)v[0]) || v[0] == '_'))
				return -1;
			for (q = v; q < at; q++)
				if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) ||
					*q == '_' || *q == '-'))
					return -1;
		}
		if (h == colon || *h == '-')
			return -1;
		for (q = h; q < colon; q++)
			if (!(isalnum((unsigned char)*q) || *q == '.' || *q == '-'))
				return -1;
		ds = colon + 1;
	}
	/* POOL/DATASET: ZFS name characters, at least one '/', no snapshot */
	if (strchr(ds, '/') == NULL || ds[0] == '/' || ds[strlen(ds) - 1] == '/' ||
	    strstr(ds, "//") || strstr(ds, "/./") || strstr(ds, "/../") || ds[0] == '-')
		return -1;
	for (q = ds; *q; q++)
		if (!(isalnum((unsigned char)*q) || strchr("/._-", *q)))
			return -1;
	if (colon)
		*host = ioc_xstrndup(v, (size_t)(colon - v));
	*dataset = ioc_xstrdup(ds);
	return 0;
}

static int
ioc_valid_ifname(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || n > 15)
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return s[0] != '-';
}

/* One address "ADDR[/MASK]" of the given family. */
static int
ioc_valid_addr(const char *s, int af, int allow_mask)
{
	_cleanup_free_ char *a = ioc_xstrdup(s);
	char *slash = strchr(a, '/');
	unsigned char buf[16];
	long long m;
	if (slash) {
		if (!allow_mask)
			return 0;
		*slash = '\0';
		if (ioc_parse_ll(slash + 1, 0, af == AF_INET ? 32 : 128, &m) != 0)
			return 0;
	}
	return inet_pton(af, a, buf) == 1;
}

/* "[IFACE|]ADDR[/MASK][,...]" */
static int
ioc_valid_iplist(const char *s, int af)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	size_t i;
	int ok = 1;
	ioc_strv_split(&parts, s, ',');
	for (i = 0; i < parts.n && ok; i++) {
		const char *e = parts.v[i];
		const char *bar = strchr(e, '|');
		if (bar) {
			if (!ioc_valid_ifname(e, (size_t)(bar - e)))
				ok = 0;
			e = bar + 1;
		}
		if (ok &&
		    !(ioc_valid_addr(e, af, 1) ||
			(bar && strcasecmp(e, "dhcp") == 0 && af == AF_INET) ||
			(bar && strcasecmp(e, "accept_rtadv") == 0 && af == AF_INET6)))
			ok = 0;
	}
	ioc_strv_release(&parts);
	return ok;
}

static int
ioc_valid_ifaces(const char *s)
{
	struct ioc_strv parts = IOC_STRV_INIT;
	size_t i;
	int ok = 1;
	ioc_strv_split(&parts, s, ',');
	for (i = 0; i < parts.n && ok; i++) {
		const char *c = strchr(parts.v[i], ':');
		if (c == NULL || !ioc_valid_ifname(parts.v[i], (size_t)(c - parts.v[i])) ||
		    !ioc_valid_ifname(c + 1, strlen(c + 1)))
			ok = 0;
	}
	ioc_strv_release(&parts);
	return ok;
}

static int
ioc_valid_hostname(const char *s)
{
	const char *p;
	size_t label = 0;
	if (*s == '\0' || strlen(s) > 253)
		return 0;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[0] != '-';
}

static int
ioc_valid_rlimit(const char *s)
{
	static const char *const actions[] = { "deny", "log", "devctl", "throttle", NULL };
	const char *c = strchr(s, ':');
	unsigned long long v;
	size_t i;
	_cleanup_free_ char *amount = NULL;
	if (strcmp(s, "off") == 0)
		return 1;
	if (c == NULL)
		return 0;
	amount = ioc_xstrndup(s, (size_t)(c - s));
	if (ioc_parse_size(amount, &v) != 0)
		return 0;
	c++;
	for (i = 0; actions[i]; i++)
		if (strcmp(c, actions[i]) == 0)
			return 1;
	if (strncmp(c, "sig", 3) == 0 && c[3] != '\0') {
		for (c += 3; *c; c++)
			if (!isalnum((unsigned char)*c))
				return 0;
		return 1;
	}
	return 0;
}

static int
ioc_valid_cpuset(const char *s)
{
	const char *p = s;
	if (strcmp(s, "off") == 0)
		return 1;
	for (;;) {
		char *end;
		unsigned long a, b;
		if (!isdigit((unsigned char)*p))
			return 0;
		a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return 0;
			b = strtoul(p, &end, 10);
			p = end;
			if (b < a || b > 4095)
				return 0;
		}
		if (a > 4095)
			return 0;
		if (*p == '\0')
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

static int
ioc_valid_mac1(const char *s, size_t n)
{
	size_t i;
	if (n != 12)
		return 0;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
ioc_valid_choice(const char *choices, const char *v)
{
	struct ioc_strv c = IOC_STRV_INIT;
	int ok;
	ioc_strv_split(&c, choices, '|');
	ok = ioc_strv_contains(&c, v);
	ioc_strv_release(&c);
	return ok;
}

static int
ioc_bad(struct ioc_error **err, const struct ioc_prop *p, const char *value, const char *expected)
{
	if (ioc_has_ctrl(value))
		return ioc_err(err,
		    "invalid value for property '%s' (contains a control character): expected %s",
		    p->name, expected);
	if (strlen(value) > 200)
		return ioc_err(err, "invalid value for property '%s' (%zu characters): expected %s",
		    p->name, strlen(value), expected);
	return ioc_err(
	    err, "invalid value '%s' for property '%s': expected %s", value, p->name, expected);
}

static int
ioc_valid_netif(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 1;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && ioc_plain_word(s, 15, "._-");
}

/* Checks a value of a network type: addresses, interfaces, host names, MACs, port forwards. */
static int
ioc_valid_net_value(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	switch (p->type) {
	case IOC_PT_IP4:
	case IOC_PT_IP6:
		if (strcmp(value, "none") != 0 &&
		    !ioc_valid_iplist(value, p->type == IOC_PT_IP4 ? AF_INET : AF_INET6))
			return ioc_bad(err, p, value,
			    p->type == IOC_PT_IP4 ?
				"none or IFACE|ADDR/MASK[,IFACE|ADDR/MASK...], e.g. vnet0|10.0.0.5/24" :
				"none or IFACE|ADDR/PREFIX[,...], e.g. vnet0|fd00::5/64");
		break;
	case IOC_PT_IFACES:
		if (strcmp(value, "none") != 0 && !ioc_valid_ifaces(value))
			return ioc_bad(err, p, value,
			    "none or NAME:BRIDGE[,NAME:BRIDGE...], e.g. vnet0:bridge0");
		break;
	case IOC_PT_HOSTNAME:
		if (!ioc_valid_hostname(value))
			return ioc_bad(err, p, value, "a host name (letters, digits, '-', '.')");
		break;
	case IOC_PT_ADDR4:
	case IOC_PT_ADDR6:
		if (strcmp(value, "none") != 0 &&
		    !ioc_valid_addr(value, p->type == IOC_PT_ADDR4 ? AF_INET : AF_INET6, 0))
			return ioc_bad(err, p, value,
			    p->type == IOC_PT_ADDR4 ? "none or an IPv4 address" :
						      "none or an IPv6 address");
		break;
	case IOC_PT_MAC: {
		const char *sp = strchr(value, ' ');
		if (strcmp(value, "none") != 0 &&
		    !(sp ? ioc_valid_mac1(value, (size_t)(sp - value)) &&
				ioc_valid_mac1(sp + 1, strlen(sp + 1)) :
			   ioc_valid_mac1(value, strlen(value))))
			return ioc_bad(
			    err, p, value, "none or 'HOSTMAC JAILMAC', 12 hex digits each");
		break;
	}
	case IOC_PT_NETIF:
		if (!ioc_valid_netif(value))
			return ioc_bad(err, p, value,
			    "none or an interface name (1-15 letters, "
			    "digits, '.', '_', '-', not starting with '-'), e.g. eth0");
		break;
	case IOC_PT_CIDR4: {
		unsigned long net;
		int len;
		if (ioc_cidr4_parse(value, &net, &len) != 0)
			return ioc_bad(err, p, value,
			    "an IPv4 network ADDR/LEN with LEN 8 to 30 "
			    "and no host bits set, e.g. 172.16.0.0/12");
		break;
	}
	case IOC_PT_FORWARDS: {
		struct ioc_forward *f = NULL;
		size_t nf;
		if (ioc_forwards_parse(value, &f, &nf, err) != 0)
			return -1;
		free(f);
		break;
	}
	default: break; /* ioc_prop_validate sends only the types above */
	}
	return 0;
}

/* Checks a value of a storage type: releases, datasets, paths, compression, sync targets. */
static int
ioc_valid_storage_value(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	long long n;

	switch (p->type) {
	case IOC_PT_RELEASE:
		if (strcmp(value, "none") != 0 && ioc_valid_release(value, err) != 0)
			return -1;
		break;
	case IOC_PT_DATASET: {
		const char *q;
		if (*value == '\0' || value[0] == '/' || strstr(value, "..") ||
		    strstr(value, "//") || value[strlen(value) - 1] == '/')
			return ioc_bad(err, p, value,
			    "a dataset path below the iocage root, e.g. jails/UUID/data");
		for (q = value; *q; q++)
			if (!(isalnum((unsigned char)*q) || strchr("/._-:", *q)))
				return ioc_bad(err, p, value,
				    "a dataset path below the iocage "
				    "root (letters, digits, '/', '.', '_', '-', ':')");
		break;
	}
	case IOC_PT_PATH:
		if (strcmp(value, "none") != 0 &&
		    (value[0] != '/' || strstr(value, "/../") ||
			(strlen(value) >= 3 && strcmp(value + strlen(value) - 3, "/..") == 0)))
			return ioc_bad(err, p, value, "none or an absolute path without '..'");
		break;
	case IOC_PT_NATIVE_COMPRESS:
		if (!(ioc_valid_choice("on|off|lzjb|gzip|zle|lz4|zstd|zstd-fast", value) ||
			(strncmp(value, "gzip-", 5) == 0 && value[5] >= '1' && value[5] <= '9' &&
			    !value[6]) ||
			(strncmp(value, "zstd-", 5) == 0 &&
			    ioc_parse_ll(value + 5, 1, 19, &n) == 0)))
			return ioc_bad(
			    err, p, value, "on|off|lz4|lzjb|gzip|gzip-1..9|zle|zstd|zstd-1..19");
		break;
	case IOC_PT_SYNCTARGET: {
		char *h = NULL, *d = NULL;
		if (strcmp(value, "none") != 0 && ioc_sync_target_parse(value, &h, &d) != 0)
			return ioc_bad(err, p, value,
			    "none, an iocage root POOL/DATASET, or "
			    "[USER@]HOST:POOL/DATASET");
		free(h);
		free(d);
		break;
	}
	default: break; /* ioc_prop_validate sends only the types above */
	}
	return 0;
}

/* Checks a value of a limit type: rctl limits, CPU sets, id ranges. */
static int
ioc_valid_limit_value(const struct ioc_prop *p, const char *value, struct ioc_error **err)
{
	switch (p->type) {
	case IOC_PT_RLIMIT:
		if (!ioc_valid_rlimit(value))
			return ioc_bad(err, p, value,
			    "off or LIMIT:ACTION, e.g. 8G:deny "
			    "(actions: deny, log, devctl, throttle, sigNAME)");
		break;
	case IOC_PT_CPUSET:
		if (!ioc_valid_cpuset(value))
			return ioc_bad(err, p, value, "off or a CPU list such as 0,2-3");
		break;
	case IOC_PT_IDMAP: {
		long long a, c;
		const char *colon = strchr(value, ':');
		_cleanup_free_ char *first =
		    colon ? ioc_xstrndup(value, (size_t)(colon - value)) : NULL;
		if (!colon || ioc_parse_ll(first, 1, 4294967295LL, &a) != 0 ||
		    ioc_parse_ll(colon + 1, 1, 4294967295LL, &c) != 0 || a + c > 4294967296LL)
			return ioc_bad(err, p, value, "HOSTID:COUNT, e.g. 100000:65536");
		break;
	}
	default: break; /* ioc_prop_validate sends only the types above */
	}
	return 0;
}

/*
 * Checks value against p's type and sets *canon to its canonical spelling.
 * The scalar types are checked here; the others by type family above.
 */
int
ioc_prop_validate(const struct ioc_prop *p, const char *value, char **canon, struct ioc_error **err)
{
	const char *v = value;
	int b;
	long long n;
	unsigned long long sz;
	char buf[64];

	if (strlen(value) > IOC_VALUE_MAX)
		return ioc_err(err, "invalid value for property '%s': longer than %d bytes",
		    p->name, IOC_VALUE_MAX);
	/* control characters: never allowed except tabs where stored verbatim */
	for (const char *q = value; *q; q++)
		if (((unsigned char)*q < 0x20 || *q == 0x7f) &&
		    !(*q == '\t' && (p->flags & IOC_PF_TABS)))
			return ioc_bad(err, p, value,
			    (p->flags & IOC_PF_TABS) ?
				"text without newlines or control characters (tabs are kept)" :
				"a value without control characters (no tabs or newlines)");
	switch (p->type) {
	case IOC_PT_STRING:
	case IOC_PT_COMMAND:
		if (*value == '\0' && p->type == IOC_PT_COMMAND)
			return ioc_bad(err, p, value, "a command line");
		break;
	case IOC_PT_ONOFF:
	case IOC_PT_YESNO:
	case IOC_PT_BOOL01:
		b = ioc_parse_bool(value);
		if (b < 0)
			return ioc_bad(err, p, value,
			    p->type == IOC_PT_YESNO	? "yes|no" :
				p->type == IOC_PT_ONOFF ? "on|off" :
							  "1|0 (or on|off)");
		v = p->type == IOC_PT_ONOFF ? (b ? "on" : "off") :
		    p->type == IOC_PT_YESNO ? (b ? "yes" : "no") :
					      (b ? "1" : "0");
		break;
	case IOC_PT_INT: {
		long long lo = p->min, hi = p->max;
		if (lo == 0 && hi == 0)
			hi = 2147483647LL;
		if (ioc_parse_ll(value, lo, hi, &n) != 0) {
			snprintf(buf, sizeof(buf), "an integer from %lld to %lld", lo, hi);
			return ioc_bad(err, p, value, buf);
		}
		snprintf(buf, sizeof(buf), "%lld", n);
		v = buf;
		break;
	}
	case IOC_PT_CHOICE:
		if (!ioc_valid_choice(p->choices, value))
			return ioc_bad(err, p, value, p->choices);
		break;
	case IOC_PT_SIZE:
	case IOC_PT_NATIVE_SIZE:
		if (strcmp(value, "none") != 0 && strcmp(value, "0") != 0 &&
		    ioc_parse_size(value, &sz) != 0)
			return ioc_bad(err, p, value, "none or a size such as 512M, 20G");
		if (strcmp(value, "0") == 0)
			v = "none";
		break;
	case IOC_PT_TAG:
		return ioc_valid_tag(value, err) != 0 ? -1 : (*canon = ioc_xstrdup(value), 0);
	case IOC_PT_TAGS: return ioc_depends_parse(value, NULL, canon, err);
	case IOC_PT_IP4:
	case IOC_PT_IP6:
	case IOC_PT_IFACES:
	case IOC_PT_HOSTNAME:
	case IOC_PT_ADDR4:
	case IOC_PT_ADDR6:
	case IOC_PT_MAC:
	case IOC_PT_NETIF:
	case IOC_PT_CIDR4:
	case IOC_PT_FORWARDS:
		if (ioc_valid_net_value(p, value, err) != 0)
			return -1;
		break;
	case IOC_PT_RELEASE:
	case IOC_PT_DATASET:
	case IOC_PT_PATH:
	case IOC_PT_NATIVE_COMPRESS:
	case IOC_PT_SYNCTARGET:
		if (ioc_valid_storage_value(p, value, err) != 0)
			return -1;
		break;
	case IOC_PT_RLIMIT:
	case IOC_PT_CPUSET:
	case IOC_PT_IDMAP:
		if (ioc_valid_limit_value(p, value, err) != 0)
			return -1;
		break;
	}
	*canon = ioc_xstrdup(v);
	return 0;
}
