/* pkglist.c — package lists for create pkglist=FILE. */
#include "core/pkglist.h"

#include <ctype.h>
#include <string.h>

static int
ioc_pkg_name_ok(const char *s, size_t n)
{
	size_t i;
	if (n == 0 || n > 200 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("+-._:", s[i])))
			return 0;
	return 1;
}

/* The JSON form: every string literal after "pkgs" is a name. */
static int
ioc_pkglist_json(const char *text, struct ioc_strv *out, struct ioc_error **err)
{
	const char *p = strstr(text, "\"pkgs\"");
	if (p == NULL)
		return ioc_err(err, "pkglist: JSON without a \"pkgs\" list");
	p = strchr(p + 6, '[');
	if (p == NULL)
		return ioc_err(err, "pkglist: \"pkgs\" is not a list");
	for (p++; *p && *p != ']'; p++) {
		const char *e;
		if (*p != '"')
			continue;
		e = strchr(p + 1, '"');
		if (e == NULL)
			return ioc_err(err, "pkglist: unterminated string");
		if (!ioc_pkg_name_ok(p + 1, (size_t)(e - p - 1)))
			return ioc_err(err,
			    "pkglist: invalid package name '%.*s': allowed letters, digits, '+', '-', '.', '_', ':'",
			    (int)(e - p - 1 > 80 ? 80 : e - p - 1), p + 1);
		ioc_strv_push_owned(out, ioc_xstrndup(p + 1, (size_t)(e - p - 1)));
		p = e;
	}
	if (*p != ']')
		return ioc_err(err, "pkglist: unterminated list");
	return 0;
}

int
ioc_pkglist_parse(const char *text, struct ioc_strv *out, struct ioc_error **err)
{
	const char *line = text;
	size_t lineno = 0;
	while (isspace((unsigned char)*line))
		line++;
	if (*line == '{')
		return ioc_pkglist_json(line, out, err);
	line = text;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		const char *s = line, *e = line + n;
		lineno++;
		line = end ? end + 1 : line + n;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		if (!ioc_pkg_name_ok(s, (size_t)(e - s)))
			return ioc_err(err,
			    "pkglist line %zu: invalid package name: allowed one name a line of letters, digits, '+', '-', '.', '_', ':'",
			    lineno);
		ioc_strv_push_owned(out, ioc_xstrndup(s, (size_t)(e - s)));
	}
	return 0;
}

int
ioc_pkglist_read(const char *path, struct ioc_strv *out, struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (ioc_read_file(path, 1 << 20, &text, &len, err) != 0)
		return ioc_error_wrap(err, "pkglist");
	if (memchr(text, '\0', len) != NULL)
		return ioc_err(err, "pkglist: not a text file");
	if (ioc_pkglist_parse(text, out, err) != 0)
		return -1;
	if (out->n == 0)
		return ioc_err(err, "pkglist '%s' names no package", path);
	return 0;
}
