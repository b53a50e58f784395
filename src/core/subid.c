/* subid.c — the host's /etc/subuid and /etc/subgid (subid.h). */
#include "core/subid.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int
ioc_subid_covers(const char *text, unsigned long host, unsigned long count)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	size_t i;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n; i++) {
		_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
		long long s, n;
		ioc_strv_split(&f, lines.v[i], ':');
		if (f.n != 3 || (strcmp(f.v[0], "root") != 0 && strcmp(f.v[0], "0") != 0))
			continue;
		if (ioc_parse_ll(f.v[1], 0, 4294967295LL, &s) != 0 ||
		    ioc_parse_ll(f.v[2], 1, 4294967295LL, &n) != 0)
			continue;
		if ((unsigned long)s <= host && host + count <= (unsigned long)(s + n))
			return 1;
	}
	return 0;
}

char *
ioc_subid_overlap(const char *text, unsigned long host, unsigned long count)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	size_t i;
	ioc_strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n; i++) {
		_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
		long long s, n;
		ioc_strv_split(&f, lines.v[i], ':');
		if (f.n != 3 || strcmp(f.v[0], "root") == 0 || strcmp(f.v[0], "0") == 0)
			continue;
		if (ioc_parse_ll(f.v[1], 0, 4294967295LL, &s) != 0 ||
		    ioc_parse_ll(f.v[2], 1, 4294967295LL, &n) != 0)
			continue;
		if ((unsigned long)s < host + count && host < (unsigned long)(s + n))
			return ioc_xstrdup(lines.v[i]);
	}
	return NULL;
}

int
ioc_subid_parse(const char *s, size_t len, unsigned long *host, unsigned long *count)
{
	_cleanup_free_ char *copy = ioc_xstrndup(s, len);
	_cleanup_strv_ struct ioc_strv f = IOC_STRV_INIT;
	long long h, n;
	ioc_strv_split(&f, copy, ':');
	if (f.n != 3 || strcmp(f.v[0], "root") != 0 ||
	    ioc_parse_ll(f.v[1], 0, 4294967295LL, &h) != 0 ||
	    ioc_parse_ll(f.v[2], 1, 4294967295LL, &n) != 0)
		return -1;
	*host = (unsigned long)h;
	*count = (unsigned long)n;
	return 0;
}

/* The file's text ("" when missing) and its mode (0644 when missing). */
static int
ioc_subid_read(const char *file, char **text, int *mode, struct ioc_error **err)
{
	struct stat st;
	size_t len;
	*mode = 0644;
	if (lstat(file, &st) != 0) {
		if (errno != ENOENT)
			return ioc_err(err, "cannot read '%s': %s", file, strerror(errno));
		*text = ioc_xstrdup("");
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return ioc_err(err, "'%s' is not a regular file (refused)", file);
	*mode = (int)(st.st_mode & 07777);
	return ioc_read_file(file, 1 << 20, text, &len, err);
}

int
ioc_subid_file_covers(
    const char *file, unsigned long host, unsigned long count, struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL;
	int mode;
	if (ioc_subid_read(file, &text, &mode, err) != 0)
		return -1;
	return ioc_subid_covers(text, host, count);
}

/* Writes text to file atomically with mode (not the umask's). */
static int
ioc_subid_write(const char *file, const char *text, int mode, struct ioc_error **err)
{
	if (ioc_write_file_atomic(file, text, strlen(text), mode, err) != 0)
		return -1;
	if (chmod(file, (mode_t)mode) != 0)
		return ioc_err(err, "cannot set the mode of '%s': %s", file, strerror(errno));
	return 0;
}

int
ioc_subid_add(const char *file, unsigned long host, unsigned long count, struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	size_t len;
	int mode;
	if (ioc_subid_read(file, &text, &mode, err) != 0)
		return -1;
	len = strlen(text);
	out = ioc_xasprintf(
	    "%s%sroot:%lu:%lu\n", text, len && text[len - 1] != '\n' ? "\n" : "", host, count);
	return ioc_subid_write(file, out, mode, err);
}

int
ioc_subid_remove(const char *file, unsigned long host, unsigned long count, struct ioc_error **err)
{
	_cleanup_free_ char *text = NULL, *line = ioc_xasprintf("root:%lu:%lu", host, count);
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	struct ioc_sb out = IOC_SB_INIT;
	size_t i;
	int mode, found = 0, rc;
	if (ioc_subid_read(file, &text, &mode, err) != 0)
		return -1;
	ioc_strv_split(&lines, text, '\n');
	ioc_sb_init(&out);
	for (i = 0; i < lines.n; i++) {
		if (!found && strcmp(lines.v[i], line) == 0) {
			found = 1;
			continue;
		}
		if (i + 1 < lines.n || lines.v[i][0] != '\0')
			ioc_sb_addf(&out, "%s%s", lines.v[i], i + 1 < lines.n ? "\n" : "");
	}
	rc = found ? ioc_subid_write(file, out.buf ? out.buf : "", mode, err) : 0;
	ioc_sb_release(&out);
	return rc;
}
