/* image.c — image manifest, ZFS stream header checks, import property policy. */
#include "image/image.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

void
ioc_manifest_init(struct ioc_manifest *m)
{
	memset(m, 0, sizeof(*m));
	ioc_strv_init(&m->pnames);
	ioc_strv_init(&m->pvalues);
}

void
ioc_manifest_release(struct ioc_manifest *m)
{
	size_t i;
	free(m->uuid);
	free(m->tag);
	free(m->release);
	for (i = 0; i < m->nds; i++)
		free(m->ds[i].name);
	free(m->ds);
	ioc_strv_release(&m->pnames);
	ioc_strv_release(&m->pvalues);
	ioc_manifest_init(m);
}

void
ioc_manifest_add_ds(
    struct ioc_manifest *m, const char *name, int incremental, unsigned long long from_guid)
{
	m->ds = ioc_xrealloc(m->ds, (m->nds + 1) * sizeof(*m->ds));
	m->ds[m->nds].name = ioc_xstrdup(name);
	m->ds[m->nds].incremental = incremental;
	m->ds[m->nds].from_guid = from_guid;
	m->nds++;
}

void
ioc_manifest_add_prop(struct ioc_manifest *m, const char *name, const char *value)
{
	ioc_strv_push(&m->pnames, name);
	ioc_strv_push(&m->pvalues, value);
}

char *
ioc_image_escape(const char *s)
{
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	for (; *s; s++) {
		if (*s == '\\')
			ioc_sb_adds(&sb, "\\\\");
		else if (*s == '\t')
			ioc_sb_adds(&sb, "\\t");
		else if (*s == '\n')
			ioc_sb_adds(&sb, "\\n");
		else
			ioc_sb_addc(&sb, *s);
	}
	return ioc_sb_detach(&sb);
}

/* Undoes ioc_image_escape; NULL on a bad escape or a control character. */
static char *
ioc_image_unescape(const char *s, size_t n)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;
	ioc_sb_init(&sb);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i == n)
				goto bad;
			if (s[i] == '\\')
				ioc_sb_addc(&sb, '\\');
			else if (s[i] == 't')
				ioc_sb_addc(&sb, '\t');
			else if (s[i] == 'n')
				ioc_sb_addc(&sb, '\n');
			else
				goto bad;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		ioc_sb_addc(&sb, (char)c);
	}
	return ioc_sb_detach(&sb);
bad:
	ioc_sb_release(&sb);
	return NULL;
}

char *
ioc_manifest_format(const struct ioc_manifest *m)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;
	ioc_sb_init(&sb);
	ioc_sb_addf(&sb, "%s\nuuid %s\ntag %s\nrelease %s\n", IOC_IMAGE_HEADER, m->uuid, m->tag,
	    m->release);
	for (i = 0; i < m->nds; i++) {
		if (m->ds[i].incremental)
			ioc_sb_addf(&sb, "dataset %s incremental %llu\n", m->ds[i].name,
			    m->ds[i].from_guid);
		else
			ioc_sb_addf(&sb, "dataset %s full\n", m->ds[i].name);
	}
	for (i = 0; i < m->pnames.n; i++) {
		_cleanup_free_ char *v = ioc_image_escape(m->pvalues.v[i]);
		ioc_sb_addf(&sb, "prop %s %s\n", m->pnames.v[i], v);
	}
	return ioc_sb_detach(&sb);
}

/* A dataset name relative to the jail: root, data, data/COMPONENT... */
static int
ioc_image_ds_name_ok(const char *n)
{
	const char *p, *comp;
	int depth = 0;
	if (strcmp(n, "root") == 0 || strcmp(n, "data") == 0)
		return 1;
	if (strncmp(n, "data/", 5) != 0 || strlen(n) > 200)
		return 0;
	for (comp = n + 5;; comp = p + 1) {
		size_t l;
		p = strchr(comp, '/');
		l = p ? (size_t)(p - comp) : strlen(comp);
		if (l == 0 || (l == 1 && comp[0] == '.') ||
		    (l == 2 && comp[0] == '.' && comp[1] == '.'))
			return 0;
		for (size_t i = 0; i < l; i++)
			if (!(isalnum((unsigned char)comp[i]) || strchr("_-.:", comp[i])))
				return 0;
		if (++depth > 8)
			return 0;
		if (p == NULL)
			return 1;
	}
}

static int
ioc_manifest_line_err(struct ioc_error **err, size_t lineno, const char *what)
{
	return ioc_err(err, "invalid image manifest, line %zu: %s", lineno, what);
}

/* Reads an incremental stream's base guid: 1 to 20 decimal digits, not 0,
 * and no more than 64 bits hold (a larger number is refused, not clamped). */
static int
ioc_manifest_guid(const char *s, unsigned long long *g)
{
	char *end = NULL;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 20)
		return -1;
	errno = 0;
	*g = strtoull(s, &end, 10);
	return *end != '\0' || *g == 0 || errno == ERANGE ? -1 : 0;
}

/* Takes a "dataset NAME full|incremental GUID" line: root first, each after its parent. */
static int
ioc_manifest_dataset(
    struct ioc_manifest *m, const char *rest, size_t lineno, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
	unsigned long long g = 0;
	int inc;
	size_t i;

	ioc_strv_split(&f, rest, ' ');
	if (f.n < 2 || !ioc_image_ds_name_ok(f.v[0]))
		return ioc_manifest_line_err(
		    err, lineno, "expected 'dataset root|data|data/NAME full|incremental GUID'");
	inc = strcmp(f.v[1], "incremental") == 0;
	if (!((f.n == 2 && strcmp(f.v[1], "full") == 0) ||
		(f.n == 3 && inc && strcmp(f.v[0], "root") == 0)))
		return ioc_manifest_line_err(
		    err, lineno, "expected 'full', or 'incremental GUID' for root only");
	if (inc) {
		if (ioc_manifest_guid(f.v[2], &g) != 0)
			return ioc_manifest_line_err(err, lineno, "invalid guid");
		if (strcmp(m->release, "none") == 0)
			return ioc_manifest_line_err(
			    err, lineno, "an incremental stream needs a release");
	}
	if (m->nds == 0 && strcmp(f.v[0], "root") != 0)
		return ioc_manifest_line_err(err, lineno, "the first dataset must be root");
	if (m->nds >= IOC_IMAGE_DATASETS_MAX)
		return ioc_manifest_line_err(err, lineno, "too many datasets");
	for (i = 0; i < m->nds; i++)
		if (strcmp(m->ds[i].name, f.v[0]) == 0)
			return ioc_manifest_line_err(err, lineno, "dataset listed twice");
	if (strncmp(f.v[0], "data/", 5) == 0) {
		/* its parent must come first */
		_cleanup_free_ char *parent =
		    ioc_xstrndup(f.v[0], (size_t)(strrchr(f.v[0], '/') - f.v[0]));
		int found = 0;
		for (i = 0; i < m->nds; i++)
			found |= strcmp(m->ds[i].name, parent) == 0;
		if (!found)
			return ioc_manifest_line_err(
			    err, lineno, "a dataset must follow its parent");
	}
	ioc_manifest_add_ds(m, f.v[0], inc, g);
	return 0;
}

/* Takes a "prop NAME VALUE" line: a property an image may carry, once, with a valid value. */
static int
ioc_manifest_prop(struct ioc_manifest *m, const char *rest, size_t lineno, struct ioc_error **err)
{
	const char *vsp = strchr(rest, ' ');
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *val = NULL;
	char *canon = NULL;
	const struct ioc_prop *p;

	if (vsp == NULL)
		return ioc_manifest_line_err(err, lineno, "expected 'prop NAME VALUE'");
	name = ioc_xstrndup(rest, (size_t)(vsp - rest));
	p = ioc_prop_find(name);
	if (p == NULL || strcmp(p->name, name) != 0 ||
	    (p->flags & (IOC_PF_NATIVE | IOC_PF_RUNTIME)) || strcmp(name, "uuid") == 0 ||
	    strcmp(name, "tag") == 0 || strcmp(name, "release") == 0)
		return ioc_err(err,
		    "invalid image manifest, line %zu: property '%s' cannot be "
		    "carried by an image",
		    lineno, ioc_has_ctrl(name) || strlen(name) > 64 ? "(unprintable)" : name);
	if (ioc_strv_contains(&m->pnames, name))
		return ioc_manifest_line_err(err, lineno, "property listed twice");
	if (m->pnames.n >= IOC_IMAGE_PROPS_MAX)
		return ioc_manifest_line_err(err, lineno, "too many properties");
	val = ioc_image_unescape(vsp + 1, strlen(vsp + 1));
	if (val == NULL)
		return ioc_manifest_line_err(
		    err, lineno, "bad escape or control character in a value");
	if (ioc_prop_validate(p, val, &canon, err) != 0) {
		ioc_error_wrap(err, "invalid image manifest, line %zu", lineno);
		return -1;
	}
	ioc_manifest_add_prop(m, name, canon);
	free(canon);
	return 0;
}

/*
 * Parses a manifest line by line: the header, uuid, tag and release lines in
 * that order, then the datasets (ioc_manifest_dataset) and the properties
 * (ioc_manifest_prop).
 */
int
ioc_manifest_parse(const char *text, size_t len, struct ioc_manifest *m, struct ioc_error **err)
{
	size_t pos = 0, lineno = 0;
	int stage = 0; /* 0 header, 1 uuid, 2 tag, 3 release, 4 datasets, 5 props */
	ioc_manifest_init(m);
	if (len > IOC_IMAGE_MANIFEST_MAX)
		return ioc_err(
		    err, "invalid image manifest: larger than %u bytes", IOC_IMAGE_MANIFEST_MAX);
	if (len == 0 || text[len - 1] != '\n')
		return ioc_err(
		    err, "invalid image manifest: empty or truncated (no final newline)");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = (size_t)(nl - (text + pos));
		_cleanup_free_ char *line = NULL;
		const char *sp, *rest;
		_cleanup_free_ char *word = NULL;
		lineno++;
		if (memchr(text + pos, '\0', l) != NULL) {
			ioc_manifest_line_err(err, lineno, "contains a NUL byte");
			goto fail;
		}
		line = ioc_xstrndup(text + pos, l);
		pos += l + 1;
		if (stage == 0) {
			if (strcmp(line, IOC_IMAGE_HEADER) != 0) {
				ioc_err(err,
				    "not an iocage image (or a newer format): "
				    "expected '%s' first",
				    IOC_IMAGE_HEADER);
				goto fail;
			}
			stage = 1;
			continue;
		}
		sp = strchr(line, ' ');
		if (sp == NULL) {
			ioc_manifest_line_err(err, lineno, "expected 'KEY VALUE'");
			goto fail;
		}
		word = ioc_xstrndup(line, (size_t)(sp - line));
		rest = sp + 1;
		if (stage == 1) {
			if (strcmp(word, "uuid") != 0 || !ioc_is_uuid(rest)) {
				ioc_manifest_line_err(err, lineno, "expected 'uuid UUID'");
				goto fail;
			}
			m->uuid = ioc_xstrdup(rest);
			stage = 2;
		} else if (stage == 2) {
			if (strcmp(word, "tag") != 0 || ioc_has_ctrl(rest) ||
			    ioc_valid_tag(rest, NULL) != 0) {
				ioc_manifest_line_err(
				    err, lineno, "expected 'tag TAG' with a valid tag");
				goto fail;
			}
			m->tag = ioc_xstrdup(rest);
			stage = 3;
		} else if (stage == 3) {
			if (strcmp(word, "release") != 0 || ioc_has_ctrl(rest) ||
			    (strcmp(rest, "none") != 0 && ioc_valid_release(rest, NULL) != 0)) {
				ioc_manifest_line_err(err, lineno, "expected 'release REL|none'");
				goto fail;
			}
			m->release = ioc_xstrdup(rest);
			stage = 4;
		} else if (strcmp(word, "dataset") == 0 && stage == 4) {
			if (ioc_manifest_dataset(m, rest, lineno, err) != 0)
				goto fail;
		} else if (strcmp(word, "prop") == 0 && (stage == 4 || stage == 5) && m->nds > 0) {
			stage = 5;
			if (ioc_manifest_prop(m, rest, lineno, err) != 0)
				goto fail;
		} else {
			ioc_manifest_line_err(err, lineno, "unexpected line");
			goto fail;
		}
	}
	if (stage < 4 || m->nds == 0) {
		ioc_err(err, "invalid image manifest: incomplete (no datasets)");
		goto fail;
	}
	return 0;
fail:
	ioc_manifest_release(m);
	return -1;
}

/* Reads an integer in the sender's byte order (le: little-endian); the magic tells which. */
static uint64_t
ioc_get64(const unsigned char *p, int le)
{
	uint64_t v = 0;
	int i;
	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (le ? 8 * i : 8 * (7 - i));
	return v;
}

static uint32_t
ioc_get32(const unsigned char *p, int le)
{
	uint32_t v = 0;
	int i;
	for (i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (le ? 8 * i : 8 * (3 - i));
	return v;
}

#define IOC_DRR_MAGIC 0x2F5BACBACULL
#define IOC_DRR_SUBSTREAM 1
#define IOC_DRR_FLAG_CLONE 1
#define IOC_DMU_OST_ZFS 2

int
ioc_image_check_begin(
    const unsigned char *rec, size_t len, const struct ioc_image_ds *ds, struct ioc_error **err)
{
	int le;
	uint64_t vinfo, from;
	uint32_t ostype, flags;
	const char *toname, *at;
	size_t n, i;

	if (len < IOC_DRR_BEGIN_LEN)
		return ioc_err(
		    err, "stream of '%s' is too short to be a ZFS send stream", ds->name);
	if (ioc_get64(rec + 8, 1) == IOC_DRR_MAGIC)
		le = 1;
	else if (ioc_get64(rec + 8, 0) == IOC_DRR_MAGIC)
		le = 0;
	else
		return ioc_err(
		    err, "stream of '%s' is not a ZFS send stream (bad magic)", ds->name);
	if (ioc_get32(rec, le) != 0)
		return ioc_err(err, "stream of '%s' does not start with a BEGIN record", ds->name);
	vinfo = ioc_get64(rec + 16, le);
	if ((vinfo & 3) != IOC_DRR_SUBSTREAM || ioc_get32(rec + 4, le) != 0)
		return ioc_err(err,
		    "stream of '%s' is a compound stream (zfs send -R/-p, which carries "
		    "properties and other datasets): refused",
		    ds->name);
	ostype = ioc_get32(rec + 32, le);
	flags = ioc_get32(rec + 36, le);
	from = ioc_get64(rec + 48, le);
	if (ostype != IOC_DMU_OST_ZFS)
		return ioc_err(err, "stream of '%s' is not a filesystem stream", ds->name);
	if (ds->incremental) {
		if (from != ds->from_guid || !(flags & IOC_DRR_FLAG_CLONE))
			return ioc_err(err,
			    "stream of '%s' is not the incremental stream the manifest announces",
			    ds->name);
	} else if (from != 0)
		return ioc_err(
		    err, "stream of '%s' is incremental but the manifest says full", ds->name);
	toname = (const char *)rec + 56;
	for (n = 0; n < 256 && toname[n]; n++)
		;
	if (n == 0 || n == 256)
		return ioc_err(err, "stream of '%s' has no valid snapshot name", ds->name);
	at = memchr(toname, '@', n);
	if (at == NULL || at + 1 == toname + n)
		return ioc_err(err, "stream of '%s' has no valid snapshot name", ds->name);
	for (i = (size_t)(at + 1 - toname); i < n; i++)
		if (!(isalnum((unsigned char)toname[i]) || strchr("_-.:", toname[i])))
			return ioc_err(
			    err, "stream of '%s' has an invalid snapshot name", ds->name);
	return 0;
}

/* Properties that describe the exported jail or its host, not the new one. */
static int
ioc_image_skipped(const struct ioc_manifest *m, const char *name, const char *value)
{
	static const char *const skip[] = { "uuid", "type", "created", "last_started", "record",
		"source_template", "template", "hostid", "vnet0_mac", "vnet1_mac", "vnet2_mac",
		"vnet3_mac", NULL };
	size_t i;
	for (i = 0; skip[i]; i++)
		if (strcmp(skip[i], name) == 0)
			return 1;
	if (strcmp(name, "host_hostuuid") == 0 && strcmp(value, m->uuid) == 0)
		return 1;
	if (strcmp(name, "jail_zfs_dataset") == 0) {
		_cleanup_free_ char *def = ioc_xasprintf("jails/%s/data", m->uuid);
		return strcmp(value, def) == 0;
	}
	return 0;
}

/* 1 when word is one of the blank-separated words of list. */
static int
ioc_image_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	while (*list) {
		size_t k = strcspn(list, " ");
		if (k == n && strncmp(list, word, n) == 0)
			return 1;
		list += k;
		list += strspn(list, " ");
	}
	return 0;
}

/*
 * The allow-list (issue 10): what an image may set by itself, because it
 * cannot reach the host or weaken the jail's isolation.  Everything else is
 * refused unless the same property is given on the import command line.
 */
static int
ioc_image_allowed(const char *name, const char *value)
{
	/* the jail's own description, addresses, commands inside, lowering limits */
	static const char *const any[] = { "tag", "release", "notes", "owner", "priority",
		"host_hostname", "host_domainname", "host_hostuuid", "ip4_addr", "ip6_addr",
		"defaultrouter", "defaultrouter6", "ip4_saddrsel", "ip6_saddrsel", "mac_prefix",
		"exec_start", "exec_stop", "exec_jail_user", "exec_system_jail_user", "login_flags",
		"exec_timeout", "stop_timeout", "exec_clean", "jail_zfs", "jail_zfs_mountpoint",
		"rlimits", "cpuset", "quota", "compression", "allow_set_hostname", NULL };
	/* these only with the values listed: the built-in ones, or stricter */
	static const struct {
		const char *name, *ok;
	} only[] = {
		{ "boot", "off" },
		{ "vnet", "on" },
		{ "ip4", "new disable" },
		{ "ip6", "new disable" },
		{ "userns", "on" },
		{ "securelevel", "2 3" },
		{ "enforce_statfs", "2" },
		{ "devfs_ruleset", "4" },
		{ "children_max", "0" },
		{ "exec_fib", "0" },
		{ "sysvmsg", "new disable" },
		{ "sysvsem", "new disable" },
		{ "sysvshm", "new disable" },
		{ "dedup", "off" },
		{ "fstab", "none" },
		{ "pkglist", "none" },
		{ "mount_devfs", "1" },
		{ "mount_fdescfs", "0 1" },
		{ "mount_procfs", "0" },
		{ "mount_linprocfs", "0" },
		{ "exec_prestart", "/usr/bin/true" },
		{ "exec_poststart", "/usr/bin/true" },
		{ "exec_prestop", "/usr/bin/true" },
		{ "exec_poststop", "/usr/bin/true" },
		{ "resolver", "none" },
	};
	const struct ioc_prop *p = ioc_prop_find(name);
	size_t i;
	for (i = 0; any[i]; i++)
		if (strcmp(any[i], name) == 0)
			return 1;
	for (i = 0; i < sizeof(only) / sizeof(only[0]); i++)
		if (strcmp(only[i].name, name) == 0)
			return ioc_image_word_in(value, only[i].ok) ||
			    (strcmp(name, "resolver") == 0 && value[0] != '/');
	if (strncmp(name, "allow_", 6) == 0)
		return strcmp(value, "0") == 0;
	/* a limit, never none: "off" would lift the root's default */
	return p && p->type == IOC_PT_RLIMIT && strcmp(value, "off") != 0;
}

/* What to suggest for a refused property on the import command line. */
static const char *
ioc_image_suggest(const char *name)
{
	const struct ioc_prop *p = ioc_prop_find(name);
	if (strcmp(name, "userns") == 0 || strcmp(name, "vnet") == 0)
		return "on";
	if (strcmp(name, "userns_idmap") == 0)
		return "100000:65536";
	if (strcmp(name, "jail_zfs_dataset") == 0)
		return "jails/UUID/data";
	if (strcmp(name, "boot") == 0 || strcmp(name, "dedup") == 0)
		return "off";
	if (strncmp(name, "allow_", 6) == 0)
		return "0";
	return p && p->builtin && strchr(p->builtin, '%') == NULL && *p->builtin ? p->builtin :
										   "none";
}

int
ioc_image_plan_props(const struct ioc_manifest *m, const struct ioc_prop *const *op,
    char *const *ov, size_t on, struct ioc_strv *zprops, struct ioc_error **err)
{
	struct ioc_sb refused = IOC_SB_INIT;
	const char *first = NULL;
	size_t i, k;
	ioc_sb_init(&refused);
	for (i = 0; i < m->pnames.n; i++) {
		const char *name = m->pnames.v[i], *value = m->pvalues.v[i];
		int overridden = 0;
		for (k = 0; k < on; k++)
			overridden |= strcmp(op[k]->name, name) == 0;
		if (overridden || ioc_image_skipped(m, name, value))
			continue;
		if (!ioc_image_allowed(name, value)) {
			_cleanup_free_ char *shown = ioc_image_escape(value);
			ioc_sb_addf(
			    &refused, "%s%s='%.200s'", refused.len ? ", " : "", name, shown);
			if (first == NULL)
				first = name;
			continue;
		}
		ioc_strv_pushf(zprops, IOC_PROP_PREFIX "%s=%s", name, value);
	}
	if (first) {
		ioc_err(err,
		    "the image sets %s, which may reach the host or weaken the jail's "
		    "isolation: review them and import with PROPERTY=VALUE for each to decide "
		    "(e.g. %s=%s)",
		    refused.buf, first, ioc_image_suggest(first));
		ioc_sb_release(&refused);
		return -1;
	}
	ioc_sb_release(&refused);
	for (k = 0; k < on; k++) {
		if (strcmp(op[k]->name, "tag") == 0 || strcmp(op[k]->name, "release") == 0)
			continue;
		if (op[k]->flags & IOC_PF_NATIVE)
			ioc_strv_pushf(zprops, "%s=%s", op[k]->name, ov[k]);
		else
			ioc_strv_pushf(zprops, IOC_PROP_PREFIX "%s=%s", op[k]->name, ov[k]);
	}
	return 0;
}
