/* zfs.c — zfs(8) through spawn: batched reads, guarded writes. */
#include "zfs/zfs.h"

#include "spawn/spawn.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

static char *ioc_guard_root;

void
ioc_zrows_init(struct ioc_zrows *r)
{
	r->v = NULL;
	r->n = r->cap = 0;
}

void
ioc_zrows_release(struct ioc_zrows *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].prop);
		free(r->v[i].value);
		free(r->v[i].source);
	}
	free(r->v);
	ioc_zrows_init(r);
}

const struct ioc_zrow *
ioc_zrows_find(const struct ioc_zrows *r, const char *name, const char *prop)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 && strcmp(r->v[i].prop, prop) == 0)
			return &r->v[i];
	return NULL;
}

const char *
ioc_zrows_value(const struct ioc_zrows *r, const char *name, const char *prop)
{
	const struct ioc_zrow *row = ioc_zrows_find(r, name, prop);
	return row ? row->value : NULL;
}

int
ioc_zfs_valid_name(const char *name)
{
	const char *p, *comp = name;
	int at = 0;
	if (*name == '\0' || strlen(name) > 255)
		return 0;
	for (p = name;; p++) {
		if (*p == '/' || *p == '@' || *p == '\0') {
			size_t n = (size_t)(p - comp);
			if (n == 0 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return 0;
			if (*p == '\0')
				break;
			if (*p == '@') {
				if (at++)
					return 0;
			} else if (at)
				return 0;
			comp = p + 1;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || strchr("_-.:", *p)))
			return 0;
	}
	return 1;
}

/* "the value of P on D contains a newline" when the broken line starts a row. */
static int
ioc_zfs_parse_newline(
    const char *l, const char *t1, const char *t2, size_t lineno, struct ioc_error **err)
{
	_cleanup_free_ char *name = t1 ? ioc_xstrndup(l, (size_t)(t1 - l)) : NULL;
	_cleanup_free_ char *prop = t1 && t2 ? ioc_xstrndup(t1 + 1, (size_t)(t2 - t1 - 1)) : NULL;
	if (name && prop && ioc_zfs_valid_name(name) && !ioc_has_ctrl(prop) && *prop &&
	    strlen(prop) < 256)
		return ioc_err(err,
		    "the value of property %s on %s contains a newline (written "
		    "outside iocage?); remove it with 'zfs inherit %s %s'",
		    prop, name, prop, name);
	return ioc_err(err,
	    "cannot parse zfs output line %zu: expected 4 tab-separated fields "
	    "(a property value with a newline?)",
	    lineno);
}

int
ioc_zfs_parse_get(const char *text, int want_snaps, struct ioc_zrows *rows, struct ioc_error **err)
{
	const char *line = text;
	size_t lineno = 0, i;
	_cleanup_strv_ struct ioc_strv done = IOC_STRV_INIT; /* datasets whose rows ended */
	_cleanup_strv_ struct ioc_strv props = IOC_STRV_INIT; /* properties of the current one */
	_cleanup_free_ char *cur = NULL;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *t1, *t2, *tl;
		struct ioc_zrow r;
		_cleanup_free_ char *l = ioc_xstrndup(line, len);
		lineno++;
		line = end ? end + 1 : line + len;
		if (len == 0)
			continue;
		t1 = strchr(l, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		tl = strrchr(l, '\t');
		if (t1 == NULL || t2 == NULL || tl == t2)
			return ioc_zfs_parse_newline(l, t1, t2, lineno, err);
		r.name = ioc_xstrndup(l, (size_t)(t1 - l));
		if (!ioc_zfs_valid_name(r.name)) {
			free(r.name);
			return ioc_err(
			    err, "cannot parse zfs output line %zu: not a dataset name", lineno);
		}
		r.prop = ioc_xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
		/*
		 * zfs prints every property of one dataset in one block.  A value
		 * with a newline can make the text after it look like a row of
		 * another dataset: a block that resumes, or a property seen twice
		 * in a block, is such a forged row.
		 */
		if (cur == NULL || strcmp(cur, r.name) != 0) {
			if (ioc_strv_contains(&done, r.name)) {
				ioc_err(err,
				    "zfs output lists %s in two places: a property value "
				    "contains a newline (written outside iocage?); 'zfs get -H all' "
				    "shows which",
				    r.name);
				free(r.name);
				free(r.prop);
				return -1;
			}
			if (cur)
				ioc_strv_push_owned(&done, ioc_steal(&cur));
			cur = ioc_xstrdup(r.name);
			ioc_strv_release(&props);
		}
		for (i = 0; i < props.n; i++)
			if (strcmp(props.v[i], r.prop) == 0)
				break;
		if (i < props.n) {
			ioc_err(err,
			    "zfs output lists property %s of %s twice: a property value contains "
			    "a newline (written outside iocage?); 'zfs get -H all %s' shows which",
			    ioc_has_ctrl(r.prop) ? "?" : r.prop, r.name, r.name);
			free(r.name);
			free(r.prop);
			return -1;
		}
		ioc_strv_push(&props, r.prop);
		if (strchr(r.name, '@') && !want_snaps) {
			free(r.name);
			free(r.prop);
			continue;
		}
		r.value = ioc_xstrndup(t2 + 1, (size_t)(tl - t2 - 1));
		r.source = ioc_xstrdup(tl + 1);
		if (rows->n == rows->cap) {
			rows->cap = rows->cap ? rows->cap * 2 : 64;
			rows->v = ioc_xrealloc(rows->v, rows->cap * sizeof(*rows->v));
		}
		rows->v[rows->n++] = r;
	}
	return 0;
}

void
ioc_zfs_set_guard_root(const char *root)
{
	free(ioc_guard_root);
	ioc_guard_root = root ? ioc_xstrdup(root) : NULL;
}

const char *
ioc_zfs_guard_root(void)
{
	return ioc_guard_root;
}

int
ioc_zfs_guard(const char *name, struct ioc_error **err)
{
	size_t rl;
	if (!ioc_zfs_valid_name(name))
		return ioc_err(err, "refusing to touch '%s': not a valid dataset name", name);
	if (ioc_guard_root == NULL)
		return ioc_err(err, "refusing to touch '%s': no iocage root is active", name);
	rl = strlen(ioc_guard_root);
	if (strncmp(name, ioc_guard_root, rl) == 0 &&
	    (name[rl] == '\0' || name[rl] == '/' || name[rl] == '@'))
		return 0;
	return ioc_err(
	    err, "refusing to touch '%s': outside the iocage root '%s'", name, ioc_guard_root);
}

static int
ioc_zfs_run(struct ioc_strv *argv, char **out, struct ioc_error **err)
{
	return ioc_run_ok(ioc_strv_argv(argv), out, err);
}

int
ioc_zfs_get(char *const *names, const char *props, int recursive, int depth, const char *sources,
    int want_snaps, struct ioc_zrows *rows, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	_cleanup_free_ char *out = NULL;
	size_t i;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "get");
	ioc_strv_push(&a, "-H");
	ioc_strv_push(&a, "-p");
	if (recursive)
		ioc_strv_push(&a, "-r");
	else if (depth >= 0) {
		ioc_strv_push(&a, "-d");
		ioc_strv_pushf(&a, "%d", depth);
	}
	if (sources) {
		ioc_strv_push(&a, "-s");
		ioc_strv_push(&a, sources);
	}
	ioc_strv_push(&a, "-o");
	ioc_strv_push(&a, "name,property,value,source");
	ioc_strv_push(&a, props);
	for (i = 0; names && names[i]; i++)
		ioc_strv_push(&a, names[i]);
	if (ioc_zfs_run(&a, &out, err) != 0)
		return -1;
	return ioc_zfs_parse_get(out, want_snaps, rows, err);
}

int
ioc_zfs_get_existing(char *const *names, const char *props, int depth, int want_snaps,
    struct ioc_zrows *rows, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	struct ioc_run_result r;
	const char *line;
	size_t i;
	int rc = 0;

	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "get");
	ioc_strv_push(&a, "-H");
	ioc_strv_push(&a, "-p");
	if (depth >= 0) {
		ioc_strv_push(&a, "-d");
		ioc_strv_pushf(&a, "%d", depth);
	}
	ioc_strv_push(&a, "-o");
	ioc_strv_push(&a, "name,property,value,source");
	ioc_strv_push(&a, props);
	for (i = 0; names[i]; i++)
		ioc_strv_push(&a, names[i]);
	ioc_run_result_init(&r);
	if (ioc_run(ioc_strv_argv(&a), NULL, &r, err) != 0) {
		ioc_run_result_release(&r);
		return -1;
	}
	if (r.status != 0) {
		/* every complaint must be about a missing dataset */
		for (line = r.err.buf; *line;) {
			const char *e = strchr(line, '\n');
			size_t n = e ? (size_t)(e - line) : strlen(line);
			_cleanup_free_ char *l = ioc_xstrndup(line, n);
			if (n && strstr(l, "dataset does not exist") == NULL) {
				rc = ioc_err(err, "zfs get: %s", l);
				break;
			}
			line += n + (e != NULL);
		}
	}
	if (rc == 0)
		rc = ioc_zfs_parse_get(r.out.buf, want_snaps, rows, err);
	ioc_run_result_release(&r);
	return rc;
}

int
ioc_zfs_get1(const char *name, const char *prop, char **value, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)name, NULL };
	struct ioc_run_result r;
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;

	*value = NULL;
	if (!ioc_zfs_valid_name(name))
		return ioc_err(err, "invalid dataset name '%s'", name);
	/* run by hand: a missing dataset is not an error here */
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "get");
	ioc_strv_push(&a, "-H");
	ioc_strv_push(&a, "-p");
	ioc_strv_push(&a, "-o");
	ioc_strv_push(&a, "name,property,value,source");
	ioc_strv_push(&a, prop);
	ioc_strv_push(&a, name);
	(void)names;
	ioc_run_result_init(&r);
	if (ioc_run(ioc_strv_argv(&a), NULL, &r, err) != 0) {
		ioc_run_result_release(&r);
		return -1;
	}
	if (r.status != 0) {
		int missing = strstr(r.err.buf, "does not exist") != NULL;
		if (!missing)
			ioc_err(err, "zfs get %s %s: %s", prop, name, r.err.buf);
		ioc_run_result_release(&r);
		return missing ? 0 : -1;
	}
	ioc_zrows_init(&rows);
	if (ioc_zfs_parse_get(r.out.buf, 1, &rows, err) != 0) {
		ioc_run_result_release(&r);
		ioc_zrows_release(&rows);
		return -1;
	}
	if (rows.n > 0)
		*value = ioc_xstrdup(rows.v[0].value);
	ioc_zrows_release(&rows);
	ioc_run_result_release(&r);
	return 0;
}

int
ioc_zfs_exists(const char *name)
{
	char *v = NULL;
	int r = ioc_zfs_get1(name, "type", &v, NULL);
	int e = r == 0 && v != NULL;
	free(v);
	return e;
}

void
ioc_zfs_push_props(struct ioc_strv *a, const struct ioc_strv *props)
{
	size_t i;
	for (i = 0; props && i < props->n; i++) {
		ioc_strv_push(a, "-o");
		ioc_strv_push(a, props->v[i]);
	}
}

int
ioc_zfs_create(const char *name, const struct ioc_strv *props, int parents, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	if (ioc_zfs_guard(name, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "create");
	if (parents)
		ioc_strv_push(&a, "-p");
	ioc_zfs_push_props(&a, props);
	ioc_strv_push(&a, name);
	return ioc_zfs_run(&a, NULL, err);
}

int
ioc_zfs_clone(
    const char *snap, const char *name, const struct ioc_strv *props, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	if (ioc_zfs_guard(name, err) != 0 || ioc_zfs_guard(snap, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "clone");
	ioc_zfs_push_props(&a, props);
	ioc_strv_push(&a, snap);
	ioc_strv_push(&a, name);
	return ioc_zfs_run(&a, NULL, err);
}

int
ioc_zfs_snapshot(const char *snap, int recursive, struct ioc_error **err)
{
	return ioc_zfs_snapshot_props(snap, recursive, NULL, err);
}

int
ioc_zfs_snapshot_props(
    const char *snap, int recursive, const struct ioc_strv *props, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	size_t i;
	if (ioc_zfs_guard(snap, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "snapshot");
	if (recursive)
		ioc_strv_push(&a, "-r");
	for (i = 0; props && i < props->n; i++) {
		ioc_strv_push(&a, "-o");
		ioc_strv_push(&a, props->v[i]);
	}
	ioc_strv_push(&a, snap);
	return ioc_zfs_run(&a, NULL, err);
}

int
ioc_zfs_list_children(const char *name, struct ioc_strv *out, struct ioc_error **err)
{
	struct ioc_zrows rows;
	char *names[] = { (char *)name, NULL };
	size_t i;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "type", 1, -1, NULL, 0, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++)
		if (strcmp(rows.v[i].value, "filesystem") == 0 ||
		    strcmp(rows.v[i].value, "volume") == 0)
			ioc_strv_push(out, rows.v[i].name);
	ioc_zrows_release(&rows);
	return 0;
}

int
ioc_zfs_unmount(const char *name, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	struct ioc_run_result r;
	int rc = 0;
	if (ioc_zfs_guard(name, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "unmount");
	ioc_strv_push(&a, name);
	ioc_run_result_init(&r);
	if (ioc_run(ioc_strv_argv(&a), NULL, &r, err) != 0)
		rc = -1;
	else if (r.status != 0 && strstr(r.err.buf, "not currently mounted") == NULL &&
	    strstr(r.err.buf, "not mounted") == NULL)
		rc = ioc_err(err, "cannot unmount '%s': %s", name, r.err.buf);
	ioc_run_result_release(&r);
	if (rc != 0 && *err) {
		/* trim the trailing newline of zfs's message */
		size_t l = strlen((*err)->msg);
		while (l && (*err)->msg[l - 1] == '\n')
			(*err)->msg[--l] = '\0';
	}
	return rc;
}

/* `zfs VERB [ARG] NAME` on a guarded dataset: mount, promote, set, inherit. */
static int
ioc_zfs_verb(const char *verb, const char *arg, const char *name, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	if (ioc_zfs_guard(name, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, verb);
	if (arg != NULL)
		ioc_strv_push(&a, arg);
	ioc_strv_push(&a, name);
	return ioc_zfs_run(&a, NULL, err);
}

int
ioc_zfs_mount(const char *name, struct ioc_error **err)
{
	return ioc_zfs_verb("mount", NULL, name, err);
}

int
ioc_zfs_destroy(const char *name, int recursive, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	int tries;
	if (ioc_zfs_guard(name, err) != 0)
		return -1;
	if (strcmp(name, ioc_guard_root) == 0)
		return ioc_err(err, "refusing to destroy the iocage root '%s' itself", name);
	if (strchr(name, '@') == NULL) {
		/* zfs-fuse cannot destroy a mounted dataset: unmount children first */
		_cleanup_strv_ struct ioc_strv kids = IOC_STRV_INIT;
		size_t i;
		if (recursive && ioc_zfs_list_children(name, &kids, err) != 0)
			return -1;
		if (!recursive)
			ioc_strv_push(&kids, name);
		for (i = kids.n; i > 0; i--)
			if (ioc_zfs_unmount(kids.v[i - 1], err) != 0)
				return -1;
	}
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "destroy");
	if (recursive)
		ioc_strv_push(&a, "-r");
	ioc_strv_push(&a, name);
	/*
	 * zfs-fuse may report a just-unmounted dataset busy for a moment:
	 * retry that one answer briefly (never any other failure).
	 */
	for (tries = 0;; tries++) {
		struct ioc_error *e = NULL;
		if (ioc_zfs_run(&a, NULL, &e) == 0)
			return 0;
		if (tries >= 20 || strstr(e->msg, "busy") == NULL) {
			if (err && *err == NULL)
				*err = e;
			else
				ioc_error_free(e);
			return -1;
		}
		ioc_error_free(e);
		usleep(100000);
	}
}

int
ioc_zfs_set(const char *name, const char *prop, const char *value, struct ioc_error **err)
{
	_cleanup_free_ char *pv = ioc_xasprintf("%s=%s", prop, value);
	return ioc_zfs_verb("set", pv, name, err);
}

int
ioc_zfs_inherit(const char *name, const char *prop, struct ioc_error **err)
{
	return ioc_zfs_verb("inherit", prop, name, err);
}

int
ioc_zfs_rollback(const char *snap, int destroy_newer, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	if (ioc_zfs_guard(snap, err) != 0)
		return -1;
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "rollback");
	if (destroy_newer)
		ioc_strv_push(&a, "-r");
	ioc_strv_push(&a, snap);
	return ioc_zfs_run(&a, NULL, err);
}

int
ioc_zfs_promote(const char *name, struct ioc_error **err)
{
	return ioc_zfs_verb("promote", NULL, name, err);
}

/* `zfs rename from to`: both unmounted (zfs-fuse renames nothing mounted), both guarded. */
int
ioc_zfs_rename(const char *from, const char *to, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	if (ioc_zfs_guard(from, err) != 0 || ioc_zfs_guard(to, err) != 0)
		return -1;
	if (strchr(from, '@') || strchr(to, '@'))
		return ioc_err(err, "refusing to rename '%s': datasets only", from);
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "rename");
	ioc_strv_push(&a, from);
	ioc_strv_push(&a, to);
	return ioc_zfs_run(&a, NULL, err);
}

/* Splits a line at runs of blanks (tabs, spaces). */
static void
ioc_allow_words(const char *l, struct ioc_strv *w)
{
	while (*l) {
		size_t n;
		l += strspn(l, " \t");
		n = strcspn(l, " \t");
		if (n)
			ioc_strv_push_owned(w, ioc_xstrndup(l, n));
		l += n;
	}
}

/* One "PERMS" word list: 1 when it holds userprop or allow, or names a risky set. */
static int
ioc_allow_risky(const char *perms, const struct ioc_strv *risky_sets)
{
	_cleanup_free_ char *copy = ioc_xstrdup(perms);
	char *save = NULL, *w;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "userprop") == 0 || strcmp(w, "allow") == 0)
			return 1;
		if (w[0] == '@' && ioc_strv_contains(risky_sets, w))
			return 1;
	}
	return 0;
}

size_t
ioc_zfs_parse_allow(const char *text, const char *dataset, struct ioc_strv *who)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT, sets = IOC_STRV_INIT;
	_cleanup_free_ char *on = NULL;
	size_t i, added = 0;
	int pass;
	enum { NONE, SETS, LOCAL, DESC } sec = NONE;
	ioc_strv_split(&lines, text, '\n');
	/* pass 0 collects the risky @sets (a set may be defined after its use), pass 1 the grants */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < lines.n; i++) {
			const char *l = lines.v[i];
			_cleanup_strv_ struct ioc_strv w = IOC_STRV_INIT;
			if (strncmp(l, "---- Permissions on ", 20) == 0) {
				free(on);
				on = ioc_xstrndup(l + 20, strcspn(l + 20, " "));
				sec = NONE;
				continue;
			}
			if (l[0] != '\t' && l[0] != ' ') {
				sec = strcmp(l, "Permission sets:") == 0 ? SETS :
				    strcmp(l, "Local permissions:") == 0 ? LOCAL :
				    strcmp(l, "Descendent permissions:") == 0 ||
					strcmp(l, "Local+Descendent permissions:") == 0 ?
									   DESC :
									   NONE;
				continue;
			}
			ioc_allow_words(l, &w);
			if (sec == SETS && pass == 0 && w.n == 2 && w.v[0][0] == '@' &&
			    ioc_allow_risky(w.v[1], &sets))
				ioc_strv_push(&sets, w.v[0]);
			if (pass == 0 || (sec != LOCAL && sec != DESC))
				continue;
			if (sec == LOCAL && (on == NULL || strcmp(on, dataset) != 0))
				continue; /* an ancestor's local grant stops there */
			if (w.n == 3 &&
			    (strcmp(w.v[0], "user") == 0 || strcmp(w.v[0], "group") == 0) &&
			    ioc_allow_risky(w.v[2], &sets)) {
				if (strcmp(w.v[1], "root") == 0 || strcmp(w.v[1], "0") == 0)
					continue;
				ioc_strv_pushf(who, "%s %s (%s on %s)", w.v[0], w.v[1], w.v[2],
				    on ? on : dataset);
				added++;
			} else if (w.n == 2 && strcmp(w.v[0], "everyone") == 0 &&
			    ioc_allow_risky(w.v[1], &sets)) {
				ioc_strv_pushf(
				    who, "everyone (%s on %s)", w.v[1], on ? on : dataset);
				added++;
			}
		}
	}
	return added;
}

int
ioc_zfs_delegated(const char *dataset, struct ioc_strv *who, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv a = IOC_STRV_INIT;
	struct ioc_run_result r;
	if (!ioc_zfs_valid_name(dataset))
		return ioc_err(err, "invalid dataset name '%s'", dataset);
	ioc_strv_push(&a, "zfs");
	ioc_strv_push(&a, "allow");
	ioc_strv_push(&a, dataset);
	ioc_run_result_init(&r);
	if (ioc_run(ioc_strv_argv(&a), NULL, &r, err) != 0) {
		ioc_run_result_release(&r);
		return -1;
	}
	if (r.status != 0 && strstr(r.out.buf, "pyzfs.py not found") == NULL &&
	    strstr(r.err.buf, "pyzfs.py not found") == NULL) {
		size_t l = strcspn(r.err.buf, "\n");
		ioc_err(err, "zfs allow %s failed with status %d: %.*s", dataset, r.status,
		    (int)(l > 300 ? 300 : l), r.err.buf);
		ioc_run_result_release(&r);
		return -1;
	}
	if (r.status == 0)
		ioc_zfs_parse_allow(r.out.buf, dataset, who);
	ioc_run_result_release(&r);
	return 0;
}
