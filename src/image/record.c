/* record.c — differential packages: the manifest and the paths it names (record.h). */
#include "image/record.h"
#include "util/archive_dl.h"
#include "image/record_int.h"
#include "core/props.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

/* ---- manifest, paths ---- */

void
ioc_pkg_manifest_init(struct ioc_pkg_manifest *m)
{
	*m = (struct ioc_pkg_manifest) { 0 };
}

void
ioc_pkg_manifest_release(struct ioc_pkg_manifest *m)
{
	free(m->release);
	free(m->uuid);
	free(m->tag);
	free(m->created);
	ioc_pkg_manifest_init(m);
}

char *
ioc_pkg_manifest_format(const struct ioc_pkg_manifest *m)
{
	return ioc_xasprintf(IOC_PKG_HEADER
	    "\nrelease %s\nuuid %s\ntag %s\ncreated %s\nfiles %llu\n"
	    "deletions %llu\n",
	    m->release, m->uuid, m->tag, m->created, m->files, m->deletions);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int
ioc_valid_stamp(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	if (strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
			return 0;
	return 1;
}

/* Line i (1..6) of a package manifest: its value checked and stored in m. */
static int
ioc_pkg_manifest_field(size_t i, const char *v, struct ioc_pkg_manifest *m, struct ioc_error **err)
{
	char **dst = i == 1 ? &m->release : i == 2 ? &m->uuid : i == 3 ? &m->tag : &m->created;
	long long n;
	if (i >= 5) {
		if (ioc_parse_ll(v, 0, 1LL << 40, &n) != 0)
			return ioc_err(err, "expected a count");
		*(i == 5 ? &m->files : &m->deletions) = (unsigned long long)n;
		return 0;
	}
	if ((i == 1 && ioc_valid_release(v, err) != 0) || (i == 3 && ioc_valid_tag(v, err) != 0))
		return -1;
	if (i == 2 && !ioc_is_uuid(v))
		return ioc_err(err, "not a UUID");
	if (i == 4 && !ioc_valid_stamp(v))
		return ioc_err(err, "expected YYYY-MM-DDTHH:MM:SSZ");
	*dst = ioc_xstrdup(v);
	return 0;
}

int
ioc_pkg_manifest_parse(
    const char *text, size_t len, struct ioc_pkg_manifest *m, struct ioc_error **err)
{
	static const char *const keys[] = { NULL, "release", "uuid", "tag", "created", "files",
		"deletions" };
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *t = NULL;
	size_t i;

	ioc_pkg_manifest_init(m);
	if (len > IOC_PKG_MANIFEST_MAX || memchr(text, '\0', len) != NULL)
		return ioc_err(err, "package manifest: too long or not text");
	t = ioc_xstrndup(text, len);
	if (len == 0 || t[len - 1] != '\n')
		return ioc_err(err, "package manifest: must end with a newline");
	t[len - 1] = '\0';
	ioc_strv_split(&lines, t, '\n');
	if (lines.n != 7)
		return ioc_err(err, "package manifest: expected 7 lines, found %zu", lines.n);
	if (strcmp(lines.v[0], IOC_PKG_HEADER) != 0)
		return ioc_err(err, "package manifest line 1: expected '" IOC_PKG_HEADER "'");
	for (i = 1; i < 7; i++) {
		const char *l = lines.v[i], *v;
		size_t kl = strlen(keys[i]);
		if (strncmp(l, keys[i], kl) != 0 || l[kl] != ' ' || ioc_has_ctrl(l)) {
			ioc_pkg_manifest_release(m);
			return ioc_err(
			    err, "package manifest line %zu: expected '%s VALUE'", i + 1, keys[i]);
		}
		v = l + kl + 1;
		if (ioc_pkg_manifest_field(i, v, m, err) != 0) {
			ioc_pkg_manifest_release(m);
			return ioc_error_wrap(err, "package manifest line %zu", i + 1);
		}
	}
	return 0;
}

int
ioc_record_valid_relpath(const char *p, size_t len)
{
	size_t i = 0, start;
	if (len == 0 || len > IOC_PKG_PATH_MAX || p[0] == '/' || memchr(p, '\0', len) != NULL)
		return 0;
	while (i <= len) {
		start = i;
		while (i < len && p[i] != '/')
			i++;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
		i++;
	}
	return 1;
}

char *
ioc_record_escape(const char *p)
{
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\')
			ioc_sb_adds(&sb, "\\\\");
		else if (c == '\n')
			ioc_sb_adds(&sb, "\\n");
		else if (c == '\t')
			ioc_sb_adds(&sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			ioc_sb_addf(&sb, "\\x%02x", c);
		else
			ioc_sb_addc(&sb, (char)c);
	}
	return ioc_sb_detach(&sb);
}

int
ioc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undoes ioc_record_escape on one line; -1 on a bad escape. */
static int
ioc_record_unescape(const char *s, size_t n, struct ioc_sb *out)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			ioc_sb_addc(out, s[i]);
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\': ioc_sb_addc(out, '\\'); break;
		case 'n': ioc_sb_addc(out, '\n'); break;
		case 't': ioc_sb_addc(out, '\t'); break;
		case 'x': {
			int a, b;
			if (i + 2 >= n)
				return -1;
			a = ioc_hexval(s[i + 1]);
			b = ioc_hexval(s[i + 2]);
			if (a < 0 || b < 0 || (a == 0 && b == 0))
				return -1;
			ioc_sb_addc(out, (char)(a * 16 + b));
			i += 2;
			break;
		}
		default: return -1;
		}
	}
	return 0;
}

int
ioc_record_parse_deletions(
    const char *text, size_t len, struct ioc_strv *out, struct ioc_error **err)
{
	size_t pos = 0, line = 0;
	if (len > IOC_PKG_DELETIONS_MAX)
		return ioc_err(err, "package deletions list is too long");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		struct ioc_sb sb = IOC_SB_INIT;
		size_t n;
		line++;
		if (nl == NULL)
			return ioc_err(err, "package deletions line %zu: no final newline", line);
		n = (size_t)(nl - (text + pos));
		ioc_sb_init(&sb);
		if (ioc_record_unescape(text + pos, n, &sb) != 0 ||
		    !ioc_record_valid_relpath(sb.buf, sb.len) || ioc_strv_contains(out, sb.buf)) {
			ioc_sb_release(&sb);
			return ioc_err(err,
			    "package deletions line %zu: not a valid relative path "
			    "(or given twice)",
			    line);
		}
		ioc_strv_push_owned(out, ioc_sb_detach(&sb));
		pos += n + 1;
	}
	return 0;
}
