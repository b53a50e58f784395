/* releases.c — the releases of a root (their snapshots, the list) and the
 * host's own release name (core.h). */
#include "core/core.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* Rows of R/releases, recursive, with snapshots. */
static int
ioc_release_rows(const struct ioc_root *root, struct ioc_zrows *rows, struct ioc_error **err)
{
	_cleanup_free_ char *base = ioc_xasprintf("%s/releases", root->name);
	char *names[] = { base, NULL };
	return ioc_zfs_get(names, "creation", 1, -1, NULL, 1, rows, err);
}

int
ioc_release_snapshot(
    const struct ioc_root *root, const char *rel, char **snap, struct ioc_error **err)
{
	struct ioc_zrows rows;
	_cleanup_free_ char *prefix =
	    ioc_xasprintf("%s/releases/%s/root@" IOC_RELEASE_SNAP, root->name, rel);
	size_t i;
	long long best = -1;
	*snap = NULL;
	ioc_zrows_init(&rows);
	if (ioc_release_rows(root, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		long long c = 0;
		if (strncmp(rows.v[i].name, prefix, strlen(prefix)) != 0)
			continue;
		ioc_parse_ll(rows.v[i].value, 0, 1LL << 62, &c);
		if (c >= best) {
			best = c;
			free(*snap);
			*snap = ioc_xstrdup(rows.v[i].name);
		}
	}
	ioc_zrows_release(&rows);
	if (*snap == NULL)
		return ioc_err(err,
		    "release '%s' is not fetched (or its fetch did not finish): run 'iocage fetch release=%s'",
		    rel, rel);
	return 0;
}

static int
ioc_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ioc_release_list(const struct ioc_root *root, struct ioc_strv *out, struct ioc_error **err)
{
	struct ioc_zrows rows;
	_cleanup_free_ char *base = ioc_xasprintf("%s/releases/", root->name);
	size_t i, bl = strlen(base);
	ioc_zrows_init(&rows);
	if (ioc_release_rows(root, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++) {
		const char *n = rows.v[i].name, *s;
		_cleanup_free_ char *rel = NULL;
		if (strncmp(n, base, bl) != 0)
			continue;
		s = strstr(n + bl, "/root@" IOC_RELEASE_SNAP);
		if (s == NULL || strchr(n + bl, '/') != s)
			continue;
		rel = ioc_xstrndup(n + bl, (size_t)(s - (n + bl)));
		if (!ioc_strv_contains(out, rel))
			ioc_strv_push(out, rel);
	}
	ioc_zrows_release(&rows);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(char *), ioc_cmp_str);
	return 0;
}

const char *
ioc_host_release(struct ioc_error **err)
{
	static char *rel;
#ifdef __linux__
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	size_t len, i;
	if (rel)
		return rel;
	if (ioc_read_file("/etc/os-release", 65536, &text, &len, err) != 0)
		return NULL;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n && rel == NULL; i++) {
		const char *v = lines.v[i];
		size_t n;
		if (strncmp(v, "VERSION_CODENAME=", 17) != 0)
			continue;
		v += 17;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		if (n > 0)
			rel = ioc_xstrndup(v, n);
	}
	if (rel == NULL)
		ioc_err(
		    err, "the host's /etc/os-release names no VERSION_CODENAME: give release=REL");
	return rel;
#else
	struct utsname u;
	const char *dash;
	if (rel)
		return rel;
	if (uname(&u) != 0) {
		ioc_err(err, "uname: %s", strerror(errno));
		return NULL;
	}
	dash = strchr(u.release, '-');
	dash = dash ? strchr(dash + 1, '-') : NULL;
	rel = dash ? ioc_xstrndup(u.release, (size_t)(dash - u.release)) : ioc_xstrdup(u.release);
	return rel;
#endif
}
