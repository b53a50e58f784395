/* recipe.c — parsing and checking recipe files (see recipe.h). */
#include "core/recipe.h"

#include "core/fstab.h"
#include "core/pkglist.h"
#include "core/props.h"
#include "util/sha256.h"

#include <ctype.h>
#include <string.h>

#define IOC_RECIPE_MAX ((size_t)1 << 20)
#define IOC_RECIPE_LINE 4096
#define IOC_RECIPE_STEPS 400 /* their identities fit one ZFS user property (8 KiB) */

static const char *const ioc_recipe_words =
    "release, type, set, mount, forward, pkg, copy, run, service";

void
ioc_recipe_release(struct ioc_recipe *r)
{
	size_t i;
	for (i = 0; i < r->nsteps; i++) {
		ioc_strv_release(&r->steps[i].words);
		free(r->steps[i].owner);
	}
	free(r->steps);
	free(r->release);
	ioc_strv_release(&r->mounts);
	free(r->forwards);
	ioc_strv_release(&r->sets);
	memset(r, 0, sizeof(*r));
}

/*
 * Splits one line into words: blanks separate, "..." and '...' quote, '#'
 * at the start of a word ends the line.  -1 with *err on an open quote.
 */
static int
ioc_recipe_split(const char *s, size_t n, struct ioc_strv *out, struct ioc_error **err)
{
	size_t i = 0;
	while (i < n) {
		struct ioc_sb w = IOC_SB_INIT;
		int any = 0;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '#')
			break;
		ioc_sb_init(&w);
		while (i < n && s[i] != ' ' && s[i] != '\t') {
			char q = s[i];
			if (q != '"' && q != '\'') {
				ioc_sb_addc(&w, s[i++]);
				continue;
			}
			any = 1;
			for (i++; i < n && s[i] != q; i++) {
				if (s[i] == '\t') {
					ioc_sb_release(&w);
					return ioc_err(err,
					    "a tab inside quotes (a word holds no "
					    "control character)");
				}
				if (q == '"' && s[i] == '\\' && i + 1 < n &&
				    (s[i + 1] == '"' || s[i + 1] == '\\'))
					i++;
				ioc_sb_addc(&w, s[i]);
			}
			if (i == n) {
				ioc_sb_release(&w);
				return ioc_err(err, "a %s quote is not closed",
				    q == '"' ? "double" : "single");
			}
			i++;
		}
		if (w.len == 0 && !any) {
			ioc_sb_release(&w);
			continue;
		}
		ioc_strv_push_owned(out, w.len ? ioc_sb_detach(&w) : ioc_xstrdup(""));
		ioc_sb_release(&w);
	}
	return 0;
}

/* 1 when p has a "." or ".." component, or an empty one between slashes. */
static int
ioc_recipe_dotdot(const char *p)
{
	const char *c = p;
	while (*c) {
		size_t n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 1;
		if (n == 0 && c != p)
			return 1;
		c += n;
		if (*c == '/')
			c++;
	}
	return 0;
}

static int
ioc_recipe_copy_paths(const char *src, const char *dst, struct ioc_error **err)
{
	if (src[0] == '\0' || src[0] == '/' || ioc_recipe_dotdot(src) || strlen(src) > 1000 ||
	    src[strlen(src) - 1] == '/')
		return ioc_err(err,
		    "copy: source '%s' must name a file beside the recipe or in a "
		    "folder below it (a relative path without '.', '..' or empty parts)",
		    src);
	if (dst[0] != '/' || dst[1] == '\0' || ioc_recipe_dotdot(dst + 1) || strlen(dst) > 1000 ||
	    dst[strlen(dst) - 1] == '/' || strchr(dst, '\\'))
		return ioc_err(err,
		    "copy: destination '%s' must be an absolute path of a file in "
		    "the jail, without '.', '..', empty parts or backslashes",
		    dst);
	return 0;
}

/* NAME or NAME:GROUP, each a user or group name or number as passwd(5) has them. */
static int
ioc_recipe_owner_ok(const char *s)
{
	size_t n = 0;
	int colon = 0;
	for (; *s; s++, n++) {
		if (*s == ':') {
			if (colon || n == 0)
				return 0;
			colon = 1;
			n = (size_t)-1;
			continue;
		}
		if (n == 0 && !(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
		if (!(isalnum((unsigned char)*s) || strchr("_.-", *s)) || n >= 32)
			return 0;
	}
	return n != 0 && n != (size_t)-1;
}

static int
ioc_recipe_copy(struct ioc_recipe_step *st, struct ioc_strv *w, struct ioc_error **err)
{
	if (w->n < 3 || w->n > 5)
		return ioc_err(err, "copy: expected 'copy SRC DST [MODE [OWNER[:GROUP]]]'");
	if (ioc_recipe_copy_paths(w->v[1], w->v[2], err) != 0)
		return -1;
	st->mode = 0644;
	if (w->n > 3) {
		size_t k, len = strlen(w->v[3]);
		for (k = 0; k < len; k++)
			if (w->v[3][k] < '0' || w->v[3][k] > '7')
				break;
		if (len < 3 || len > 4 || k != len)
			return ioc_err(
			    err, "copy: mode '%s': expected 3 or 4 octal digits (0644)", w->v[3]);
		st->mode = (unsigned)strtoul(w->v[3], NULL, 8);
	}
	if (w->n > 4 && !ioc_recipe_owner_ok(w->v[4]))
		return ioc_err(err,
		    "copy: owner '%s': expected USER or USER:GROUP (names or "
		    "numbers of the jail's passwd and group: letters, digits, '_', '.', '-')",
		    w->v[4]);
	st->owner = ioc_xstrdup(w->n > 4 ? w->v[4] : "root");
	ioc_strv_push(&st->words, w->v[1]);
	ioc_strv_push(&st->words, w->v[2]);
	return 0;
}

static int
ioc_recipe_service_ok(const char *s)
{
	size_t i, n = strlen(s);
	if (n == 0 || n > 64 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_.@-", s[i])))
			return 0;
	return 1;
}

/* The steps inside the jail: pkg, copy, run, service. */
static int
ioc_recipe_step(struct ioc_recipe *r, int line, struct ioc_strv *w, struct ioc_error **err)
{
	const char *k = w->v[0];
	struct ioc_recipe_step st;
	size_t i;

	memset(&st, 0, sizeof(st));
	ioc_strv_init(&st.words);
	st.line = line;
	if (r->nsteps >= IOC_RECIPE_STEPS)
		return ioc_err(err, "more than %d steps", IOC_RECIPE_STEPS);
	if (strcmp(k, "pkg") == 0) {
		st.kind = IOC_RS_PKG;
		if (w->n < 2)
			return ioc_err(err, "pkg: expected 'pkg NAME ...'");
		for (i = 1; i < w->n; i++) {
			_cleanup_strv_ struct ioc_strv one = IOC_STRV_INIT;
			_cleanup_free_ char *l = ioc_xasprintf("%s\n", w->v[i]);
			struct ioc_error *e = NULL;
			if (ioc_pkglist_parse(l, &one, &e) != 0 || one.n != 1 ||
			    strcmp(one.v[0], w->v[i]) != 0) {
				ioc_error_free(e);
				ioc_strv_release(&st.words);
				return ioc_err(err,
				    "pkg: invalid package name '%s': allowed letters, "
				    "digits, '+', '-', '.', '_', ':' (a letter or digit first)",
				    w->v[i]);
			}
			ioc_strv_push(&st.words, w->v[i]);
		}
	} else if (strcmp(k, "copy") == 0) {
		st.kind = IOC_RS_COPY;
		if (ioc_recipe_copy(&st, w, err) != 0) {
			ioc_strv_release(&st.words);
			return -1;
		}
	} else if (strcmp(k, "run") == 0) {
		st.kind = IOC_RS_RUN;
		if (w->n < 2 || w->v[1][0] == '\0')
			return ioc_err(err, "run: expected 'run COMMAND [ARG ...]'");
		for (i = 1; i < w->n; i++)
			ioc_strv_push(&st.words, w->v[i]);
	} else {
		st.kind = IOC_RS_SERVICE;
		if (w->n != 2 || !ioc_recipe_service_ok(w->v[1]))
			return ioc_err(err,
			    "service: expected 'service NAME' (letters, digits, "
			    "'_', '.', '@', '-'; a letter, digit or '_' first)");
		ioc_strv_push(&st.words, w->v[1]);
	}
	r->steps = ioc_xrealloc(r->steps, (r->nsteps + 1) * sizeof(*r->steps));
	r->steps[r->nsteps++] = st;
	return 0;
}

/*
 * Values a recipe may not set: those that reach the host (host hooks and the
 * host user they run as, host paths, the id map and privilege, a dataset to
 * delegate, the host a jail belongs to, where it is replicated) and those
 * that loosen a FreeBSD jail's hold on the host's devices and mounts.  The
 * administrator sets them with `iocage set`, having read what they do.
 */
static int
ioc_recipe_prop_refused(const char *name, const char *value, struct ioc_error **err)
{
	static const char *const never[] = { "exec_prestart", "exec_poststart", "exec_prestop",
		"exec_poststop", "exec_system_user", "fstab", "userns", "userns_idmap",
		"jail_zfs_dataset", "hostid", "sync_target", "sync_state", "devfs_ruleset",
		"enforce_statfs", "children_max", NULL };
	size_t i;
	int refused = ioc_startswith(name, "allow_mount") ||
	    (strcmp(name, "resolver") == 0 && value[0] == '/');
	for (i = 0; never[i] && !refused; i++)
		refused = strcmp(name, never[i]) == 0;
	if (!refused)
		return 0;
	return ioc_err(err,
	    "set: a recipe may not set %s: its value reaches the host or loosens "
	    "the jail's hold on it (%s); the administrator sets it with 'iocage set' after "
	    "reading what it does",
	    name,
	    strcmp(name, "fstab") == 0 ? "use 'mount' lines: "
					 "their sources are folders beside the recipe" :
					 "see iocage(8), SECURITY");
}

static int
ioc_recipe_set(struct ioc_recipe *r, struct ioc_strv *w, struct ioc_error **err)
{
	size_t i;
	if (w->n < 2)
		return ioc_err(err, "set: expected 'set PROPERTY=VALUE ...'");
	for (i = 1; i < w->n; i++) {
		const struct ioc_prop *p;
		_cleanup_free_ char *canon = NULL;
		if (strchr(w->v[i], '=') == NULL)
			return ioc_err(err, "set: '%s' is not PROPERTY=VALUE", w->v[i]);
		if (ioc_prop_parse_assign(w->v[i], 1, &p, &canon, err) != 0)
			return -1;
		if (strcmp(p->name, "tag") == 0 || strcmp(p->name, "release") == 0 ||
		    strcmp(p->name, "template") == 0)
			return ioc_err(err, "set: %s is not set by a recipe (%s)", p->name,
			    strcmp(p->name, "tag") == 0 ? "the tag is apply's TAG or the recipe's "
							  "file name" :
				strcmp(p->name, "release") == 0 ?
							  "use a 'release' line" :
							  "a recipe makes a jail, not a template");
		if (ioc_recipe_prop_refused(p->name, canon, err) != 0)
			return -1;
		ioc_strv_pushf(&r->sets, "%s=%s", p->name, canon);
	}
	return 0;
}

/* mount and forward lines gather into one property value each. */
static int
ioc_recipe_gather(
    struct ioc_strv *w, struct ioc_sb *fstab, struct ioc_sb *fwd, struct ioc_error **err)
{
	size_t i;
	if (strcmp(w->v[0], "forward") == 0) {
		if (w->n < 2)
			return ioc_err(
			    err, "forward: expected 'forward PROTO(JAILPORT[:HOSTPORT]) ...'");
		for (i = 1; i < w->n; i++) {
			if (strchr(w->v[i], ',') || w->v[i][0] == '\0')
				return ioc_err(
				    err, "forward: one forward a word, got '%s'", w->v[i]);
			ioc_sb_addf(fwd, "%s%s", fwd->len ? "," : "", w->v[i]);
		}
		return 0;
	}
	if (w->n < 3 || w->n > 4 ||
	    (w->n == 4 && strcmp(w->v[3], "ro") != 0 && strcmp(w->v[3], "rw") != 0))
		return ioc_err(err, "mount: expected 'mount SRC DST [ro|rw]'");
	for (i = 1; i < 3; i++)
		if (strpbrk(w->v[i], " \t;") != NULL || w->v[i][0] == '\0')
			return ioc_err(err, "mount: path '%s' may not hold blanks or ';'", w->v[i]);
	if (w->v[1][0] == '/' || ioc_recipe_dotdot(w->v[1]) || strlen(w->v[1]) > 1000)
		return ioc_err(err,
		    "mount: source '%s' must be a folder beside the recipe or below "
		    "it (a relative path without '.', '..' or empty parts): a recipe never names "
		    "the host's own paths",
		    w->v[1]);
	ioc_sb_addf(fstab, "%s/%s %s%s%s", fstab->len ? ";" : "", w->v[1], w->v[2],
	    w->n == 4 ? " " : "", w->n == 4 ? w->v[3] : "");
	return 0;
}

static int
ioc_recipe_line(struct ioc_recipe *r, int line, struct ioc_strv *w, struct ioc_sb *fstab,
    struct ioc_sb *fwd, struct ioc_error **err)
{
	const char *k = w->v[0];
	if (strcmp(k, "release") == 0) {
		if (r->release)
			return ioc_err(err, "release: named twice");
		if (w->n != 2)
			return ioc_err(err, "release: expected 'release NAME'");
		if (ioc_valid_release(w->v[1], err) != 0)
			return -1;
		r->release = ioc_xstrdup(w->v[1]);
		return 0;
	}
	if (strcmp(k, "type") == 0) {
		static const char *const names[] = { "thin", "thick", "empty" };
		size_t i;
		if (r->type != IOC_RT_DEFAULT)
			return ioc_err(err, "type: named twice");
		for (i = 0; w->n == 2 && i < 3; i++)
			if (strcmp(w->v[1], names[i]) == 0)
				r->type = (enum ioc_recipe_type)(i + 1);
		if (r->type == IOC_RT_DEFAULT)
			return ioc_err(
			    err, "type: expected 'type thin', 'type thick' or 'type empty'");
		return 0;
	}
	if (strcmp(k, "set") == 0)
		return ioc_recipe_set(r, w, err);
	if (strcmp(k, "mount") == 0 || strcmp(k, "forward") == 0)
		return ioc_recipe_gather(w, fstab, fwd, err);
	if (strcmp(k, "pkg") == 0 || strcmp(k, "copy") == 0 || strcmp(k, "run") == 0 ||
	    strcmp(k, "service") == 0)
		return ioc_recipe_step(r, line, w, err);
	return ioc_err(err, "unknown statement '%s' (allowed: %s)", k, ioc_recipe_words);
}

/* After the last line: the gathered values, checked as the properties they become. */
static int
ioc_recipe_finish(
    struct ioc_recipe *r, struct ioc_sb *fstab, struct ioc_sb *fwd, struct ioc_error **err)
{
	size_t i;
	for (i = 0; i < r->sets.n; i++) {
		if (fwd->len && ioc_startswith(r->sets.v[i], "nat_forwards="))
			return ioc_err(
			    err, "set nat_forwards= and 'forward' lines: use one or the other");
	}
	if (r->type == IOC_RT_EMPTY && r->release)
		return ioc_err(err, "type empty has no release: drop the 'release' line");
	if (fstab->len) {
		/* checked as the fstab value it becomes once the sources are absolute */
		struct ioc_fstab fs = { NULL, 0 };
		if (ioc_fstab_parse(fstab->buf, &fs, err) != 0)
			return ioc_error_wrap(err, "mount");
		for (i = 0; i < fs.n; i++)
			ioc_strv_pushf(&r->mounts, "%s %s %s", fs.v[i].src + 1, fs.v[i].dst,
			    fs.v[i].ro ? "ro" : "rw");
		ioc_fstab_release(&fs);
	}
	if (fwd->len) {
		struct ioc_forward *f = NULL;
		size_t n = 0;
		if (ioc_forwards_parse(fwd->buf, &f, &n, err) != 0)
			return ioc_error_wrap(err, "forward");
		free(f);
		r->forwards = ioc_xstrdup(fwd->buf);
	}
	return 0;
}

int
ioc_recipe_parse(const char *text, size_t len, struct ioc_recipe *r, struct ioc_error **err)
{
	_cleanup_sb_ struct ioc_sb fstab = IOC_SB_INIT;
	_cleanup_sb_ struct ioc_sb fwd = IOC_SB_INIT;
	size_t pos = 0;
	int line = 0;

	memset(r, 0, sizeof(*r));
	ioc_strv_init(&r->sets);
	ioc_strv_init(&r->mounts);
	ioc_sb_init(&fstab);
	ioc_sb_init(&fwd);
	if (len > IOC_RECIPE_MAX)
		return ioc_err(err, "recipe: larger than 1 MiB");
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, i;
		_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
		pos += n + (nl != NULL);
		line++;
		if (nl != NULL && nl != s && nl[-1] == '\r')
			n--; /* a CRLF line ending */
		if (n > IOC_RECIPE_LINE) {
			ioc_err(err, "recipe line %d: longer than %d bytes", line, IOC_RECIPE_LINE);
			goto bad;
		}
		for (i = 0; i < n; i++)
			if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
				ioc_err(err, "recipe line %d: a control character (byte 0x%02x)",
				    line, (unsigned char)s[i]);
				goto bad;
			}
		if (ioc_recipe_split(s, n, &w, err) != 0 ||
		    (w.n > 0 && ioc_recipe_line(r, line, &w, &fstab, &fwd, err) != 0)) {
			ioc_error_wrap(err, "recipe line %d", line);
			goto bad;
		}
	}
	if (ioc_recipe_finish(r, &fstab, &fwd, err) == 0)
		return 0;
	ioc_error_wrap(err, "recipe");
bad:
	ioc_recipe_release(r);
	return -1;
}

char *
ioc_recipe_step_str(const struct ioc_recipe_step *s)
{
	static const char *const kw[] = { "pkg", "copy", "run", "service" };
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;
	ioc_sb_init(&sb);
	ioc_sb_adds(&sb, kw[s->kind]);
	for (i = 0; i < s->words.n; i++) {
		const char *w = s->words.v[i];
		int q = w[0] == '\0' || strpbrk(w, " \t\"'#\\") != NULL;
		ioc_sb_addc(&sb, ' ');
		if (!q) {
			ioc_sb_adds(&sb, w);
			continue;
		}
		ioc_sb_addc(&sb, '"');
		for (; *w; w++) {
			if (*w == '"' || *w == '\\')
				ioc_sb_addc(&sb, '\\');
			ioc_sb_addc(&sb, *w);
		}
		ioc_sb_addc(&sb, '"');
	}
	if (s->kind == IOC_RS_COPY)
		ioc_sb_addf(&sb, " %04o %s", s->mode, s->owner);
	return ioc_sb_detach(&sb);
}

void
ioc_recipe_step_id(const struct ioc_recipe_step *s, const char *content_hex, char id[17])
{
	struct ioc_sha256 h;
	char hex[65];
	size_t i;
	ioc_sha256_init(&h);
	ioc_sha256_update(&h, &"PCRS"[s->kind], 1);
	for (i = 0; i < s->words.n; i++)
		ioc_sha256_update(&h, s->words.v[i], strlen(s->words.v[i]) + 1);
	if (s->kind == IOC_RS_COPY) {
		char m[16];
		snprintf(m, sizeof(m), "%o", s->mode);
		ioc_sha256_update(&h, m, strlen(m) + 1);
		ioc_sha256_update(&h, s->owner, strlen(s->owner) + 1);
		ioc_sha256_update(
		    &h, content_hex ? content_hex : "", content_hex ? strlen(content_hex) : 0);
	}
	ioc_sha256_final_hex(&h, hex);
	memcpy(id, hex, 16);
	id[16] = '\0';
}
