/* fstab.c — parsing and validation of the fstab property (see fstab.h). */
#include "core/fstab.h"

#include <string.h>

void
ioc_fstab_release(struct ioc_fstab *fs)
{
	size_t i;
	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].src);
		free(fs->v[i].dst);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

/* An absolute path without "..", backslashes or control characters. */
static int
ioc_fstab_path_ok(const char *p)
{
	const char *c;
	if (p[0] != '/' || strchr(p, '\\') || ioc_has_ctrl(p) || strlen(p) > 1000)
		return 0;
	for (c = p; (c = strstr(c, "..")) != NULL; c += 2)
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

int
ioc_fstab_parse(const char *value, struct ioc_fstab *fs, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv ents = IOC_STRV_INIT;
	size_t i;
	fs->v = NULL;
	fs->n = 0;
	if (strcmp(value, "none") == 0 || *value == '\0')
		return 0;
	ioc_strv_split(&ents, value, ';');
	for (i = 0; i < ents.n; i++) {
		_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
		char *s = ents.v[i], *tok, *save = NULL;
		struct ioc_fstab_ent *e;
		for (tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			ioc_strv_push(&w, tok);
		if (w.n == 0)
			continue;
		if (w.n < 2 || w.n > 3 ||
		    (w.n == 3 && strcmp(w.v[2], "ro") != 0 && strcmp(w.v[2], "rw") != 0)) {
			ioc_fstab_release(fs);
			return ioc_err(err,
			    "invalid fstab entry %zu: expected 'SRC DST [ro|rw]' "
			    "(entries separated by ';')",
			    i + 1);
		}
		if (!ioc_fstab_path_ok(w.v[0]) || !ioc_fstab_path_ok(w.v[1])) {
			ioc_fstab_release(fs);
			return ioc_err(err,
			    "invalid fstab entry %zu: SRC and DST must be absolute paths "
			    "without '..', backslashes or control characters",
			    i + 1);
		}
		if (strspn(w.v[1], "/") == strlen(w.v[1])) {
			ioc_fstab_release(fs);
			return ioc_err(err,
			    "invalid fstab entry %zu: DST cannot be the jail's root '/'", i + 1);
		}
		fs->v = ioc_xrealloc(fs->v, (fs->n + 1) * sizeof(*fs->v));
		e = &fs->v[fs->n++];
		e->src = ioc_xstrdup(w.v[0]);
		e->dst = ioc_xstrdup(w.v[1]);
		e->ro = w.n == 3 && strcmp(w.v[2], "ro") == 0;
	}
	return 0;
}

char *
ioc_fstab_escape(const char *path)
{
	struct ioc_sb sb = IOC_SB_INIT;
	const char *p;
	ioc_sb_init(&sb);
	for (p = path; *p; p++) {
		switch (*p) {
		case ' ': ioc_sb_adds(&sb, "\\040"); break;
		case '\t': ioc_sb_adds(&sb, "\\011"); break;
		case '\n': ioc_sb_adds(&sb, "\\012"); break;
		case '\\': ioc_sb_adds(&sb, "\\134"); break;
		default: ioc_sb_addc(&sb, *p); break;
		}
	}
	return ioc_sb_detach(&sb);
}
