/* f_fstab.c — libFuzzer target: the fstab property and the mount-entry form of
 * paths.  Whatever ioc_fstab_parse accepts is a list of absolute paths without
 * "..", blanks, backslashes or control characters, DST never the jail's root;
 * and every path, once escaped with ioc_fstab_escape, reads back through
 * glibc's getmntent(3) (liblxc's reader of lxc.mount.entry) as exactly that
 * path, in exactly the fields it was written to. */
#include "core/fstab.h"

#include <mntent.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
path_ok(const char *p)
{
	const char *c;
	if (p[0] != '/' || strpbrk(p, " \\") || ioc_has_ctrl(p))
		return 0;
	for (c = p; (c = strstr(c, "..")) != NULL; c += 2)
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

/* Writes "SRC DST none bind 0 0" with escaped paths and reads it back. */
static void
roundtrip(const char *src, const char *dst)
{
	char *es = ioc_fstab_escape(src), *ed = ioc_fstab_escape(dst);
	char *line = ioc_xasprintf("%s %s none bind,ro 0 0\n", es, ed);
	FILE *f;
	struct mntent m, *r;
	char buf[65536];
	if (strpbrk(es, " \t\n") || strpbrk(ed, " \t\n"))
		__builtin_trap();
	f = fmemopen(line, strlen(line), "r");
	if (f == NULL)
		__builtin_trap();
	r = getmntent_r(f, &m, buf, sizeof(buf));
	/* getmntent skips blank and '#' lines: only a path that starts a line with
	 * '#' or is empty could be lost, and the caller never passes one */
	if (r == NULL || strcmp(m.mnt_fsname, src) != 0 || strcmp(m.mnt_dir, dst) != 0 ||
	    strcmp(m.mnt_type, "none") != 0 || strcmp(m.mnt_opts, "bind,ro") != 0)
		__builtin_trap();
	if (getmntent_r(f, &m, buf, sizeof(buf)) != NULL)
		__builtin_trap(); /* one entry, never two */
	fclose(f);
	free(line);
	free(es);
	free(ed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	struct ioc_fstab fs;
	struct ioc_error *e = NULL;
	size_t i;
	if (ioc_fstab_parse(s, &fs, &e) == 0) {
		for (i = 0; i < fs.n; i++) {
			if (!path_ok(fs.v[i].src) || !path_ok(fs.v[i].dst) ||
			    strspn(fs.v[i].dst, "/") == strlen(fs.v[i].dst))
				__builtin_trap();
			roundtrip(fs.v[i].src, fs.v[i].dst + strspn(fs.v[i].dst, "/"));
		}
		ioc_fstab_release(&fs);
	} else if (e == NULL || strchr(e->msg, '\n'))
		__builtin_trap();
	ioc_error_free(e);
	/* any absolute path at all (a jail_zfs_mountpoint, a root's mountpoint) */
	if (s[0] == '/' && strlen(s) > 1 && !strchr(s, '\n') && !ioc_has_ctrl(s + 0) &&
	    strlen(s) < 4000)
		roundtrip(s, s + 1);
	else if (s[0] == '/' && strlen(s) > 1 && strlen(s) < 4000 && s[1] != '#') {
		/* control characters: blanks and newlines must still stay in their field */
		size_t n = strlen(s);
		char *t = ioc_xstrdup(s);
		for (i = 0; i < n; i++)
			if ((unsigned char)t[i] < 0x20 && t[i] != '\t' && t[i] != '\n')
				t[i] = '_';
		if (t[1] != '\t' && t[1] != '\n' && t[1] != ' ')
			roundtrip(t, t + 1);
		free(t);
	}
	free(s);
	return 0;
}
