/*
 * props.h — the property table: every property iocage knows, its type,
 * built-in default, flags and the engines that consume it.  One table drives
 * validation, `get all`, `defaults`, help and completion.
 *
 * Storage: iocage properties are the ZFS user properties
 * "org.freebsd.iocage:NAME" on R/jails/UUID (defaults: on R); native ones
 * (IOC_PF_NATIVE) are the dataset's own ZFS properties.
 */
#ifndef IOC_PROPS_H
#define IOC_PROPS_H

#include "util/util.h"

#define IOC_PROP_PREFIX "org.freebsd.iocage:"
#define IOC_VALUE_MAX 1024 /* ZFS's limit for a user property value (zfs-fuse) */

enum ioc_ptype {
	IOC_PT_STRING, /* free text: no control characters (tabs allowed if IOC_PF_TABS) */
	IOC_PT_ONOFF, /* on|off (accepts 1/0, yes/no, true/false); stores on|off */
	IOC_PT_YESNO, /* yes|no (accepts the same); stores yes|no */
	IOC_PT_BOOL01, /* 1|0 (accepts the same); stores 1|0 — jail(8) integer flags */
	IOC_PT_INT, /* integer in [min, max] */
	IOC_PT_CHOICE, /* one of choices (|-separated) */
	IOC_PT_SIZE, /* none or a size: digits with optional K M G T P suffix */
	IOC_PT_RLIMIT, /* off or LIMIT:ACTION */
	IOC_PT_TAG, /* [A-Za-z0-9._-], not a UUID, not all digits */
	IOC_PT_TAGS, /* none or TAG[,TAG...], each once (core/depends.h) */
	IOC_PT_IP4, /* none, inherit, or [IFACE|]ADDR[/MASK][,...] */
	IOC_PT_IP6, /* likewise for IPv6 */
	IOC_PT_IFACES, /* none or NAME:BRIDGE[,NAME:BRIDGE...] */
	IOC_PT_HOSTNAME, /* RFC 1123 host name */
	IOC_PT_ADDR4, /* none or an IPv4 address */
	IOC_PT_ADDR6, /* none or an IPv6 address */
	IOC_PT_MAC, /* none or two MAC addresses "AABBCCDDEEFF AABBCCDDEEFF" or one */
	IOC_PT_CPUSET, /* off or a CPU list: 0,1,3-5 */
	IOC_PT_RELEASE, /* a release name */
	IOC_PT_COMMAND, /* a command line (split into words, never given to a shell) */
	IOC_PT_DATASET, /* a dataset name relative to R (or absolute within R) */
	IOC_PT_PATH, /* none or an absolute path */
	IOC_PT_IDMAP, /* HOSTID:COUNT */
	IOC_PT_NATIVE_SIZE, /* native quota/reservation: none or a size */
	IOC_PT_NATIVE_COMPRESS,
	IOC_PT_NETIF, /* none or a network interface name (1-15 of [A-Za-z0-9._-]) */
	IOC_PT_CIDR4, /* an IPv4 network ADDR/LEN, LEN 8..30, no host bits */
	IOC_PT_FORWARDS, /* none or PROTO(JAILPORT[:HOSTPORT])[,...] (ioc_forwards_parse) */
	IOC_PT_SYNCTARGET, /* none, POOL/DATASET, or [USER@]HOST:POOL/DATASET
			      (ioc_sync_target_parse) */
};

enum ioc_pflags {
	IOC_PF_RO = 1 << 0, /* read-only: refused by set */
	IOC_PF_CREATE = 1 << 1, /* only at create */
	IOC_PF_NATIVE = 1 << 2, /* a native ZFS property of R/jails/UUID */
	IOC_PF_FREEBSD = 1 << 3, /* consumed only by the FreeBSD engine */
	IOC_PF_LINUX = 1 << 4, /* consumed only by the Linux engine */
	IOC_PF_TABS = 1 << 5, /* value may contain tabs (stored verbatim) */
	IOC_PF_NODEFAULT = 1 << 6, /* cannot be a root default (per jail: tag, quota...) */
	IOC_PF_RUNTIME = 1 << 7, /* computed at read time (state, jid) */
	IOC_PF_HIDDEN = 1 << 8, /* internal, not shown by get all */
};

struct ioc_prop {
	const char *name;
	enum ioc_ptype type;
	const char *builtin; /* built-in default; "%UUID%" etc. are expanded */
	unsigned flags;
	long long min, max; /* IOC_PT_INT */
	const char *choices; /* IOC_PT_CHOICE */
	const char *help;
};

extern const struct ioc_prop ioc_props[];
extern const size_t ioc_nprops;

/* Looks a property up by name (aliases: istemplate -> template, hostname ->
 * host_hostname). NULL if unknown. */
const struct ioc_prop *ioc_prop_find(const char *name);

/*
 * Unknown-name error with close matches: "unknown property 'bot': did you
 * mean boot? (iocage help properties lists them all)".
 */
int ioc_prop_unknown(const char *name, struct ioc_error **err);

/*
 * Validates value for p and stores its canonical form in *canon (caller
 * frees).  On error: "invalid value 'X' for property 'P': expected ...".
 */
int ioc_prop_validate(
    const struct ioc_prop *p, const char *value, char **canon, struct ioc_error **err);

/* Parses "name=value" (value may be empty): validates the name, the value and
 * the flags (read-only, create-only unless creating).  Fills *p and *canon. */
int ioc_prop_parse_assign(
    const char *arg, int creating, const struct ioc_prop **p, char **canon, struct ioc_error **err);

/*
 * nat_forwards, as iocage 1.x writes it: tcp(80:8080),udp(53) forwards host
 * port 8080 to the jail's port 80 and host port 53 to the jail's 53.  Each
 * (protocol, host port) at most once.  "none" gives n = 0.
 */
struct ioc_forward {
	int udp; /* 0: tcp */
	unsigned jport, hport; /* 1..65535 */
};
int ioc_forwards_parse(
    const char *value, struct ioc_forward **out, size_t *n, struct ioc_error **err);

/* nat_prefix: "172.16.0.0/12" -> network address (host order) and length. */
int ioc_cidr4_parse(const char *value, unsigned long *net, int *len);

/* ZFS property name: "org.freebsd.iocage:NAME" or the native name. */
char *ioc_prop_zfs_name(const struct ioc_prop *p);

/* Expands %UUID% and %ROOT% in a built-in default. */
char *ioc_prop_builtin(const struct ioc_prop *p, const char *uuid, const char *root);

/* Validators shared with other modules. */
int ioc_valid_tag(const char *s, struct ioc_error **err);
int ioc_valid_release(const char *s, struct ioc_error **err);
int ioc_is_uuid(const char *s);
int ioc_parse_size(const char *s, unsigned long long *out);
/* Human-readable size of a byte count ("1.50G"); raw when parsable or not a number. */
char *ioc_fmt_size(const char *bytes, int parsable);
/* Normalises on/off-ish words: returns 1 for on, 0 for off, -1 otherwise. */
int ioc_parse_bool(const char *s);

/*
 * sync_target: none, a local dataset POOL/DATASET (*host NULL), or
 * [USER@]HOST:POOL/DATASET (*host "[USER@]HOST").  USER: [a-z_][a-z0-9_-]*;
 * HOST: letters, digits, '.', '-', not starting with '-'.  0, or -1 when the
 * value is none or malformed.  Caller frees *host and *dataset.
 */
int ioc_sync_target_parse(const char *v, char **host, char **dataset);

#endif
