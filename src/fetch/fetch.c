/* fetch.c — MANIFEST parser, file names and URLs, the host's apt mirror. */
#include "fetch/fetch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

int
ioc_fetch_sha256_fd(int fd, char hex[IOC_SHA256_HEX], struct ioc_error **err)
{
	struct ioc_sha256 c;
	unsigned char *buf = ioc_xmalloc(1 << 16);
	ssize_t n;
	ioc_sha256_init(&c);
	for (;;) {
		n = read(fd, buf, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ioc_sha256_update(&c, buf, (size_t)n);
	}
	free(buf);
	if (n < 0)
		return ioc_err(err, "cannot read a file to checksum it: %s", strerror(errno));
	ioc_sha256_final_hex(&c, hex);
	return 0;
}

void
ioc_fetch_manifest_init(struct ioc_fetch_manifest *m)
{
	m->v = NULL;
	m->n = m->cap = 0;
}

void
ioc_fetch_manifest_release(struct ioc_fetch_manifest *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	ioc_fetch_manifest_init(m);
}

const struct ioc_fetch_manifest_ent *
ioc_fetch_manifest_find(const struct ioc_fetch_manifest *m, const char *name)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

int
ioc_fetch_valid_file_name(const char *s, struct ioc_error **err)
{
	const char *p;
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return ioc_err(err, "invalid file name '%s': 1 to 255 characters", s);
	for (p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' ||
			*p == '+')) {
			if (ioc_has_ctrl(s))
				return ioc_err(err,
				    "invalid file name: contains a control character; "
				    "allowed: a plain name of letters, digits, '.', '_', '-', '+'");
			return ioc_err(err,
			    "invalid file name '%s': character '%c' not allowed; "
			    "allowed: a plain name of letters, digits, '.', '_', '-', '+' (e.g. base.txz)",
			    s, *p);
		}
	if (s[0] == '.')
		return ioc_err(err, "invalid file name '%s': must not start with '.'", s);
	return 0;
}

/* Copies one tab-separated field of line [p, end) starting at *pos. */
static char *
ioc_field(const char *end, const char **pos)
{
	const char *s = *pos, *t = s;
	while (t < end && *t != '\t')
		t++;
	*pos = t < end ? t + 1 : NULL;
	return ioc_xstrndup(s, (size_t)(t - s));
}

int
ioc_fetch_manifest_parse(
    const char *text, size_t len, struct ioc_fetch_manifest *m, struct ioc_error **err)
{
	const char *p = text, *end = text + len;
	unsigned long line = 0;
	struct ioc_error *e2 = NULL;

	if (len > IOC_MANIFEST_MAX)
		return ioc_err(err, "MANIFEST too large: more than %d bytes", IOC_MANIFEST_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *pos = p;
		_cleanup_free_ char *name = NULL, *hash = NULL, *count = NULL;
		long long cnt = 0;
		size_t i;
		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (memchr(p, '\0', (size_t)(le - p)) != NULL)
			return ioc_err(err, "MANIFEST line %lu: contains a NUL byte", line);
		name = ioc_field(le, &pos);
		hash = pos ? ioc_field(le, &pos) : NULL;
		count = pos ? ioc_field(le, &pos) : NULL;
		if (count == NULL)
			return ioc_err(
			    err, "MANIFEST line %lu: expected NAME<TAB>SHA256<TAB>COUNT...", line);
		if (ioc_fetch_valid_file_name(name, &e2) != 0) {
			ioc_err(err, "MANIFEST line %lu: %s", line, e2->msg);
			ioc_error_free(e2);
			return -1;
		}
		if (strlen(hash) != 64)
			return ioc_err(err,
			    "MANIFEST line %lu: SHA-256 of '%s' is not 64 hex digits", line, name);
		for (i = 0; i < 64; i++)
			if (!isxdigit((unsigned char)hash[i]))
				return ioc_err(err,
				    "MANIFEST line %lu: SHA-256 of '%s' is not 64 hex digits", line,
				    name);
		if (ioc_parse_ll(count, 0, 1LL << 62, &cnt) != 0)
			return ioc_err(err,
			    "MANIFEST line %lu: entry count of '%s' is not a number", line, name);
		if (ioc_fetch_manifest_find(m, name) != NULL)
			return ioc_err(err, "MANIFEST line %lu: '%s' is listed twice", line, name);
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 8;
			m->v = ioc_xrealloc(m->v, m->cap * sizeof(*m->v));
		}
		for (i = 0; i < 64; i++)
			m->v[m->n].sha256[i] = (char)tolower((unsigned char)hash[i]);
		m->v[m->n].sha256[64] = '\0';
		m->v[m->n].count = (unsigned long long)cnt;
		m->v[m->n].name = ioc_steal(&name);
		m->n++;
		p = nl ? nl + 1 : end;
	}
	if (m->n == 0)
		return ioc_err(err, "MANIFEST lists no files");
	return 0;
}

/* True for bytes allowed in a URL host[:port] or path here. */
static int
ioc_url_ok(char c, int path)
{
	if (isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_')
		return 1;
	if (path)
		return c == '/' || c == '~' || c == '+' || c == ',' || c == '=' || c == '%';
	return c == ':' || c == '[' || c == ']';
}

/* Checks a relative path: allowed bytes, no "." or ".." component. */
static int
ioc_url_path_ok(const char *what, const char *s, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	const char *p;
	size_t i;
	for (p = s; *p; p++)
		if (!ioc_url_ok(*p, 1)) {
			if (ioc_has_ctrl(s))
				return ioc_err(
				    err, "invalid %s: contains a control character", what);
			return ioc_err(err,
			    "invalid %s '%s': character '%c' not allowed in a path; "
			    "allowed: letters, digits and . _ - / ~ + , = %%",
			    what, s, *p);
		}
	ioc_strv_split(&parts, s, '/');
	for (i = 0; i < parts.n; i++)
		if (strcmp(parts.v[i], "..") == 0 || strcmp(parts.v[i], ".") == 0)
			return ioc_err(err,
			    "invalid %s '%s': '.' and '..' components are not allowed", what, s);
	return 0;
}

/* Splits "[scheme://]host[:port][/path]" into its parts and checks them. */
static int
ioc_url_split(const char *what, const char *url, int need_scheme, char **scheme, char **host,
    char **path, struct ioc_error **err)
{
	const char *h = url, *slash;
	const char *p;
	if (ioc_has_ctrl(url))
		return ioc_err(err, "invalid %s: contains a control character", what);
	if (strncmp(url, "http://", 7) == 0) {
		*scheme = ioc_xstrdup("http");
		h = url + 7;
	} else if (strncmp(url, "https://", 8) == 0) {
		*scheme = ioc_xstrdup("https");
		h = url + 8;
	} else if (strstr(url, "://") != NULL || need_scheme) {
		return ioc_err(
		    err, "invalid %s '%s': only http:// and https:// URLs are allowed", what, url);
	} else {
		*scheme = ioc_xstrdup("https");
	}
	slash = strchr(h, '/');
	*host = slash ? ioc_xstrndup(h, (size_t)(slash - h)) : ioc_xstrdup(h);
	if (**host == '\0')
		return ioc_err(err, "invalid %s '%s': no host name", what, url);
	for (p = *host; *p; p++)
		if (!ioc_url_ok(*p, 0))
			return ioc_err(err,
			    "invalid %s '%s': character '%c' not allowed in a host name "
			    "(no user names, queries or fragments); expected HOST[:PORT]",
			    what, url, *p);
	if ((*host)[0] == '-' || (*host)[0] == '.' || (*host)[0] == ':')
		return ioc_err(err, "invalid %s '%s': bad host name", what, url);
	p = strrchr(*host, ':');
	if (p && strchr(*host, ']') == NULL) {
		long long port;
		if (strchr(*host, ':') != p || ioc_parse_ll(p + 1, 1, 65535, &port) != 0)
			return ioc_err(err,
			    "invalid %s '%s': port must be a number from 1 to 65535", what, url);
	}
	*path = ioc_xstrdup(slash ? slash + 1 : "");
	return ioc_url_path_ok(what, *path, err);
}

/* Appends path components of s to sb, one '/' between and after each. */
static void
ioc_url_add_path(struct ioc_sb *sb, const char *s)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	size_t i;
	ioc_strv_split(&parts, s, '/');
	for (i = 0; i < parts.n; i++)
		if (*parts.v[i])
			ioc_sb_addf(sb, "%s/", parts.v[i]);
}

int
ioc_fetch_base_url(const char *ftphost, const char *ftpdir, char **url, struct ioc_error **err)
{
	_cleanup_free_ char *scheme = NULL, *host = NULL, *path = NULL;
	_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
	if (ioc_url_split("ftphost", ftphost, 0, &scheme, &host, &path, err) != 0)
		return -1;
	if (ioc_url_path_ok("ftpdir", ftpdir, err) != 0)
		return -1;
	ioc_sb_init(&sb);
	ioc_sb_addf(&sb, "%s://%s/", scheme, host);
	ioc_url_add_path(&sb, path);
	ioc_url_add_path(&sb, ftpdir);
	*url = ioc_sb_detach(&sb);
	return 0;
}

int
ioc_fetch_valid_mirror(const char *url, struct ioc_error **err)
{
	_cleanup_free_ char *scheme = NULL, *host = NULL, *path = NULL;
	return ioc_url_split("mirror", url, 1, &scheme, &host, &path, err);
}

const char *
ioc_fetch_arch(void)
{
	static struct utsname u;
	static const char *const map[][2] = { { "x86_64", "amd64" }, { "aarch64", "arm64" },
		{ "i686", "i386" }, { "i386", "i386" }, { "armv7l", "armv7" },
		{ "ppc64le", "powerpc64le" }, { "riscv64", "riscv64" } };
	size_t i;
	if (uname(&u) != 0)
		return "amd64";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u.machine, map[i][0]) == 0)
			return map[i][1];
	return u.machine;
}

/* ---- apt sources ---- */

/* True for an http(s) URI that a mirror may be. */
static int
ioc_apt_uri_ok(const char *u)
{
	return ioc_fetch_valid_mirror(u, NULL) == 0;
}

/* Splits s at blanks into sv (no empty words). */
static void
ioc_words(struct ioc_strv *sv, const char *s)
{
	while (*s) {
		const char *b;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		b = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		ioc_strv_push_owned(sv, ioc_xstrndup(b, (size_t)(s - b)));
	}
}

/* Considers one entry; sets *mirror when it qualifies and none was set yet. */
static void
ioc_apt_consider(const struct ioc_strv *types, const struct ioc_strv *uris,
    const struct ioc_strv *suites, int enabled, int (*known)(const char *, void *), void *arg,
    char **mirror)
{
	size_t i, k;
	if (*mirror || !enabled || !ioc_strv_contains(types, "deb"))
		return;
	for (i = 0; i < uris->n; i++) {
		if (!ioc_apt_uri_ok(uris->v[i]))
			continue;
		for (k = 0; k < suites->n; k++)
			if (known(suites->v[k], arg)) {
				*mirror = ioc_xstrdup(uris->v[i]);
				return;
			}
	}
}

/* One-line format: "deb [opt=val ...] URI SUITE [COMPONENT...]". */
static void
ioc_apt_oneline(const char *text, int (*known)(const char *, void *), void *arg, char **mirror)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	size_t i;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n && !*mirror; i++) {
		_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
		struct ioc_strv types = IOC_STRV_INIT, uris = IOC_STRV_INIT, suites = IOC_STRV_INIT;
		char *hash = strchr(lines.v[i], '#');
		size_t k = 1;
		if (hash)
			*hash = '\0';
		ioc_words(&w, lines.v[i]);
		if (w.n < 3)
			continue;
		if (w.v[1][0] == '[') {
			/* options: up to the word that ends with ']' */
			while (k < w.n && w.v[k][strlen(w.v[k]) - 1] != ']')
				k++;
			k++;
		}
		if (k + 1 >= w.n)
			continue;
		ioc_strv_push(&types, w.v[0]);
		ioc_strv_push(&uris, w.v[k]);
		ioc_strv_push(&suites, w.v[k + 1]);
		ioc_apt_consider(&types, &uris, &suites, 1, known, arg, mirror);
		ioc_strv_release(&types);
		ioc_strv_release(&uris);
		ioc_strv_release(&suites);
	}
}

/* deb822: stanzas separated by blank lines, "Field: value" with continuation lines. */
static void
ioc_apt_deb822(const char *text, int (*known)(const char *, void *), void *arg, char **mirror)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	struct ioc_strv types = IOC_STRV_INIT, uris = IOC_STRV_INIT, suites = IOC_STRV_INIT;
	struct ioc_strv *cur = NULL;
	int enabled = 1, any = 0;
	size_t i;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i <= lines.n && !*mirror; i++) {
		char *l = i < lines.n ? lines.v[i] : NULL;
		char *colon;
		size_t n;
		if (l) {
			n = strlen(l);
			if (n && l[n - 1] == '\r')
				l[--n] = '\0';
			if (l[0] == '#')
				continue;
		}
		if (l == NULL || strspn(l, " \t") == strlen(l)) {
			if (any)
				ioc_apt_consider(
				    &types, &uris, &suites, enabled, known, arg, mirror);
			ioc_strv_release(&types);
			ioc_strv_release(&uris);
			ioc_strv_release(&suites);
			enabled = 1;
			any = 0;
			cur = NULL;
			continue;
		}
		any = 1;
		if (l[0] == ' ' || l[0] == '\t') {
			if (cur)
				ioc_words(cur, l);
			continue;
		}
		cur = NULL;
		colon = strchr(l, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		if (strcasecmp(l, "Types") == 0)
			cur = &types;
		else if (strcasecmp(l, "URIs") == 0)
			cur = &uris;
		else if (strcasecmp(l, "Suites") == 0)
			cur = &suites;
		else if (strcasecmp(l, "Enabled") == 0) {
			_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
			ioc_words(&w, colon + 1);
			enabled = !(w.n && strcasecmp(w.v[0], "no") == 0);
		}
		if (cur)
			ioc_words(cur, colon + 1);
	}
	ioc_strv_release(&types);
	ioc_strv_release(&uris);
	ioc_strv_release(&suites);
}

int
ioc_fetch_apt_mirror_parse(const char *text, int deb822,
    int (*known_suite)(const char *suite, void *arg), void *arg, char **mirror)
{
	*mirror = NULL;
	if (deb822)
		ioc_apt_deb822(text, known_suite, arg, mirror);
	else
		ioc_apt_oneline(text, known_suite, arg, mirror);
	return *mirror ? 0 : -1;
}

#define IOC_DEBOOTSTRAP_SCRIPTS "/usr/share/debootstrap/scripts"

int
ioc_fetch_debootstrap_suite(const char *suite)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;
	const char *c;
	if (*suite == '\0' || strlen(suite) > 64)
		return 0;
	for (c = suite; *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-'))
			return 0;
	if (!islower((unsigned char)suite[0]))
		return 0;
	p = ioc_xasprintf(IOC_DEBOOTSTRAP_SCRIPTS "/%s", suite);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int
ioc_known_cb(const char *suite, void *arg)
{
	(void)arg;
	return ioc_fetch_debootstrap_suite(suite);
}

static int
ioc_cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Tries one sources file. */
static void
ioc_apt_file(const char *path, int deb822, char **mirror)
{
	_cleanup_free_ char *text = NULL;
	struct ioc_error *e = NULL;
	size_t len;
	if (*mirror)
		return;
	if (ioc_read_file(path, 1 << 20, &text, &len, &e) != 0) {
		ioc_error_free(e);
		return;
	}
	ioc_fetch_apt_mirror_parse(text, deb822, ioc_known_cb, NULL, mirror);
}

int
ioc_fetch_apt_mirror(char **mirror, struct ioc_error **err)
{
	const char *dir = "/etc/apt/sources.list.d";
	_cleanup_strv_ struct ioc_strv names = IOC_STRV_INIT;
	DIR *d;
	struct dirent *e;
	size_t i;
	*mirror = NULL;
	ioc_apt_file("/etc/apt/sources.list", 0, mirror);
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if ((n > 5 && strcmp(e->d_name + n - 5, ".list") == 0) ||
		    (n > 8 && strcmp(e->d_name + n - 8, ".sources") == 0))
			ioc_strv_push(&names, e->d_name);
	}
	if (d)
		closedir(d);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(char *), ioc_cmp_strp);
	for (i = 0; i < names.n && !*mirror; i++) {
		_cleanup_free_ char *p = ioc_xasprintf("%s/%s", dir, names.v[i]);
		size_t n = strlen(names.v[i]);
		ioc_apt_file(p, n > 8 && strcmp(names.v[i] + n - 8, ".sources") == 0, mirror);
	}
	if (*mirror == NULL)
		return ioc_err(err,
		    "no Debian mirror found in the host's apt configuration "
		    "(/etc/apt/sources.list, /etc/apt/sources.list.d/): give one with mirror=URL");
	return 0;
}
