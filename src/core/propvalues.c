/*
 * propvalues.c — parsers of the compound property values other layers read
 * too (props.h): nat_prefix (an IPv4 network), nat_forwards (port
 * forwards, as iocage 1.x writes them) and sync_target (a local or remote
 * iocage root).  props.c validates with them; net/ and ops/ use their
 * results.
 */
#include "core/props.h"

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
