/* depends.c — boot dependencies: parsing the value, ordering starts and stops. */
#include "core/depends.h"
#include "core/props.h"

#include <string.h>

#define IOC_DEPENDS_EXPECTED "expected none or TAG[,TAG...] (tags of other jails, each once)"

int
ioc_depends_parse(const char *value, struct ioc_strv *out, char **canon, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv parts = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i;

	if (strcmp(value, "none") == 0) {
		if (canon)
			*canon = ioc_xstrdup("none");
		return 0;
	}
	if (*value == '\0')
		return ioc_err(
		    err, "invalid value '' for property 'depends': %s", IOC_DEPENDS_EXPECTED);
	ioc_strv_split(&parts, value, ',');
	for (i = 0; i < parts.n; i++) {
		const char *s = parts.v[i];
		size_t len;
		_cleanup_free_ char *tag = NULL;
		while (*s == ' ')
			s++;
		len = strlen(s);
		while (len > 0 && s[len - 1] == ' ')
			len--;
		tag = ioc_xstrndup(s, len);
		if (*tag == '\0')
			return ioc_err(err,
			    "invalid value '%s' for property 'depends': an empty tag; %s", value,
			    IOC_DEPENDS_EXPECTED);
		if (strcmp(tag, "none") == 0)
			return ioc_err(err,
			    "invalid value '%s' for property 'depends': 'none' stands "
			    "alone; %s",
			    value, IOC_DEPENDS_EXPECTED);
		if (ioc_valid_tag(tag, err) != 0)
			return ioc_error_wrap(
			    err, "invalid value '%s' for property 'depends'", value);
		if (ioc_strv_contains(&tags, tag))
			return ioc_err(err,
			    "invalid value '%s' for property 'depends': '%s' is named "
			    "twice; %s",
			    value, tag, IOC_DEPENDS_EXPECTED);
		ioc_strv_push(&tags, tag);
	}
	ioc_sb_init(&sb);
	for (i = 0; i < tags.n; i++) {
		ioc_sb_addf(&sb, "%s%s", i ? "," : "", tags.v[i]);
		if (out)
			ioc_strv_push(out, tags.v[i]);
	}
	if (canon)
		*canon = ioc_sb_detach(&sb);
	ioc_sb_release(&sb);
	return 0;
}

size_t
ioc_depgraph_find(const struct ioc_depgraph *g, const char *tag)
{
	size_t i;
	for (i = 0; i < g->n; i++)
		if (g->v[i].tag && strcmp(g->v[i].tag, tag) == 0)
			return i;
	return (size_t)-1;
}

void
ioc_depgraph_build(struct ioc_depgraph *g, const struct ioc_dep_node *v, size_t n)
{
	size_t i, k;
	memset(g, 0, sizeof(*g));
	g->v = v;
	g->n = n;
	g->dep = ioc_xcalloc(n + 1, sizeof(*g->dep));
	g->ndep = ioc_xcalloc(n + 1, sizeof(*g->ndep));
	g->missing = ioc_xcalloc(n + 1, sizeof(*g->missing));
	g->invalid = ioc_xcalloc(n + 1, sizeof(*g->invalid));
	for (i = 0; i < n; i++) {
		_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
		struct ioc_error *e = NULL;
		if (ioc_depends_parse(v[i].depends ? v[i].depends : "none", &tags, NULL, &e) != 0) {
			/* written behind iocage's back: this jail's affair, not every jail's */
			g->invalid[i] = ioc_xasprintf("jail '%s': %s", v[i].tag ? v[i].tag : "?",
			    e ? e->msg : "invalid depends");
			ioc_error_free(e);
		}
		g->dep[i] = ioc_xcalloc(tags.n + 1, sizeof(**g->dep));
		for (k = 0; k < tags.n; k++) {
			size_t d = ioc_depgraph_find(g, tags.v[k]);
			if (d == (size_t)-1) {
				if (g->missing[i] == NULL)
					g->missing[i] = ioc_xstrdup(tags.v[k]);
				continue;
			}
			g->dep[i][g->ndep[i]++] = d;
		}
	}
}

void
ioc_depgraph_release(struct ioc_depgraph *g)
{
	size_t i;
	for (i = 0; g->dep && i < g->n; i++) {
		free(g->dep[i]);
		free(g->missing[i]);
		free(g->invalid[i]);
	}
	free(g->dep);
	free(g->ndep);
	free(g->missing);
	free(g->invalid);
	memset(g, 0, sizeof(*g));
}

/* A depth-first walk towards dependencies (start order, checks). */
struct ioc_depwalk {
	const struct ioc_depgraph *g;
	unsigned char *state; /* 0: not seen, 1: on the stack, 2: done */
	size_t *stack, sp;
	size_t *out, nout;
	size_t missing_depth; /* missing dependencies are errors up to this depth */
};

static void
ioc_depwalk_chain(const struct ioc_depwalk *w, size_t from, struct ioc_sb *sb)
{
	size_t k;
	for (k = from; k < w->sp; k++)
		ioc_sb_addf(sb, "%s -> ", w->g->v[w->stack[k]].tag);
}

static int
ioc_depwalk_visit(struct ioc_depwalk *w, size_t i, struct ioc_error **err)
{
	const struct ioc_depgraph *g = w->g;
	size_t k;
	if (w->state[i] == 2)
		return 0;
	if (w->state[i] == 1) {
		_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
		for (k = 0; k < w->sp && w->stack[k] != i; k++)
			;
		ioc_sb_init(&sb);
		ioc_depwalk_chain(w, k, &sb);
		ioc_sb_adds(&sb, g->v[i].tag);
		return ioc_err(err, "dependency cycle: %s", sb.buf);
	}
	if (g->invalid[i] && w->sp <= w->missing_depth)
		return ioc_err(err, "%s", g->invalid[i]);
	if (g->missing[i] && w->sp <= w->missing_depth) {
		_cleanup_sb_ struct ioc_sb sb = IOC_SB_INIT;
		ioc_sb_init(&sb);
		ioc_depwalk_chain(w, 0, &sb);
		return ioc_err(err, "missing dependency: %s%s -> %s (no jail has the tag '%s')",
		    sb.buf, g->v[i].tag, g->missing[i], g->missing[i]);
	}
	w->state[i] = 1;
	w->stack[w->sp++] = i;
	for (k = 0; k < g->ndep[i]; k++)
		if (ioc_depwalk_visit(w, g->dep[i][k], err) != 0)
			return -1;
	w->sp--;
	w->state[i] = 2;
	if (w->out)
		w->out[w->nout++] = i;
	return 0;
}

size_t
ioc_depgraph_start_order(const struct ioc_depgraph *g, const size_t *targets, size_t nt,
    size_t **out, size_t *nout, struct ioc_error **errs)
{
	struct ioc_depwalk w;
	_cleanup_free_ unsigned char *saved = ioc_xcalloc(g->n + 1, 1);
	size_t t, failed = 0;
	memset(&w, 0, sizeof(w));
	w.g = g;
	w.state = ioc_xcalloc(g->n + 1, 1);
	w.stack = ioc_xcalloc(g->n + 1, sizeof(*w.stack));
	w.out = ioc_xcalloc(g->n + 1, sizeof(*w.out));
	w.missing_depth = (size_t)-1;
	for (t = 0; t < nt; t++) {
		size_t before = w.nout;
		memcpy(saved, w.state, g->n);
		w.sp = 0;
		if (ioc_depwalk_visit(&w, targets[t], &errs[t]) != 0) {
			/* nothing of this target's walk is kept */
			memcpy(w.state, saved, g->n);
			w.nout = before;
			failed++;
		}
	}
	free(w.state);
	free(w.stack);
	*out = w.out;
	*nout = w.nout;
	return failed;
}

int
ioc_depgraph_check(const struct ioc_depgraph *g, size_t self, struct ioc_error **err)
{
	struct ioc_depwalk w;
	size_t k;
	int rc;
	for (k = 0; k < g->ndep[self]; k++)
		if (g->dep[self][k] == self)
			return ioc_err(
			    err, "a jail cannot depend on itself ('%s')", g->v[self].tag);
	memset(&w, 0, sizeof(w));
	w.g = g;
	w.state = ioc_xcalloc(g->n + 1, 1);
	w.stack = ioc_xcalloc(g->n + 1, sizeof(*w.stack));
	w.missing_depth = 0; /* a dependency's own missing ones are its affair */
	rc = ioc_depwalk_visit(&w, self, err);
	free(w.state);
	free(w.stack);
	return rc;
}

int
ioc_depgraph_has(const struct ioc_depgraph *g, size_t k, size_t d)
{
	size_t q;
	for (q = 0; q < g->ndep[k]; q++)
		if (g->dep[k][q] == d)
			return 1;
	return 0;
}

void
ioc_depgraph_dependents(
    const struct ioc_depgraph *g, const size_t *targets, size_t nt, unsigned char *mark)
{
	_cleanup_free_ unsigned char *target = ioc_xcalloc(g->n + 1, 1);
	size_t t, k, q;
	int changed = 1;
	memset(mark, 0, g->n);
	for (t = 0; t < nt; t++)
		target[targets[t]] = 1;
	while (changed) {
		changed = 0;
		for (k = 0; k < g->n; k++) {
			if (mark[k])
				continue;
			for (q = 0; q < g->ndep[k]; q++) {
				size_t d = g->dep[k][q];
				if (target[d] || mark[d]) {
					mark[k] = 1;
					changed = 1;
					break;
				}
			}
		}
	}
}

static void
ioc_depgraph_stop_visit(const struct ioc_depgraph *g, size_t i, const unsigned char *include,
    unsigned char *state, size_t *out, size_t *nout)
{
	size_t k;
	if (state[i] != 0)
		return; /* done, or on the stack: a cycle, broken here */
	state[i] = 1;
	for (k = 0; k < g->n; k++)
		if (include[k] && k != i && ioc_depgraph_has(g, k, i))
			ioc_depgraph_stop_visit(g, k, include, state, out, nout);
	state[i] = 2;
	out[(*nout)++] = i;
}

void
ioc_depgraph_stop_order(const struct ioc_depgraph *g, const size_t *targets, size_t nt,
    const unsigned char *include, size_t **out, size_t *nout)
{
	_cleanup_free_ unsigned char *state = ioc_xcalloc(g->n + 1, 1);
	size_t t;
	*out = ioc_xcalloc(g->n + 1, sizeof(**out));
	*nout = 0;
	for (t = 0; t < nt; t++)
		ioc_depgraph_stop_visit(g, targets[t], include, state, *out, nout);
}

int
ioc_depsched_before(const struct ioc_depsched *s, size_t p, size_t i)
{
	if (p >= i)
		return 0;
	return s->stopping ? ioc_depgraph_has(s->g, s->order[p], s->order[i]) :
			     ioc_depgraph_has(s->g, s->order[i], s->order[p]);
}

/* Ascending key: the lower the earlier its group runs. */
static long long
ioc_depsched_key(const struct ioc_depsched *s, long long prio)
{
	return s->stopping ? -prio : prio;
}

void
ioc_depsched_init(struct ioc_depsched *s, const struct ioc_depgraph *g, const size_t *order,
    size_t n, const long long *prio, int stopping)
{
	_cleanup_free_ long long *key = ioc_xcalloc(n + 1, sizeof(*key));
	_cleanup_free_ unsigned char *has = ioc_xcalloc(n + 1, 1);
	size_t i, p, k;
	int changed = 1;

	memset(s, 0, sizeof(*s));
	s->g = g;
	s->order = order;
	s->n = n;
	s->stopping = stopping;
	s->left = n;
	s->group = ioc_xcalloc(n + 1, sizeof(*s->group));
	s->state = ioc_xcalloc(n + 1, 1);
	for (i = 0; i < n; i++) {
		has[i] = prio[i] >= 0;
		key[i] = has[i] ? ioc_depsched_key(s, prio[i]) : 0;
	}
	/* the one that must go first joins the earliest group of those after it */
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++)
			for (p = 0; p < n; p++) {
				if (p == i ||
				    !(stopping ? ioc_depgraph_has(g, order[p], order[i]) :
						 ioc_depgraph_has(g, order[i], order[p])) ||
				    !has[i])
					continue;
				/* p goes before i */
				if (!has[p] || key[i] < key[p]) {
					key[p] = key[i];
					has[p] = 1;
					changed = 1;
				}
			}
	}
	/* groups: the distinct keys ranked (a jail keyed by nothing runs last) */
	for (i = 0; i < n; i++) {
		size_t rank = 0;
		for (k = 0; k < n; k++) {
			int earlier = 1;
			if (!has[k] || (has[i] && key[k] >= key[i]))
				continue;
			for (p = 0; p < k && earlier; p++)
				earlier = !(has[p] && key[p] == key[k]); /* each key counted once */
			rank += earlier;
		}
		s->group[i] = rank;
	}
}

void
ioc_depsched_release(struct ioc_depsched *s)
{
	free(s->group);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

size_t
ioc_depsched_next(struct ioc_depsched *s)
{
	size_t i, p;
	int open = 0;
	if (s->left == 0)
		return (size_t)-1;
	/* groups are ranks (no gaps) and the earlier ones are all finished */
	while (!open) {
		for (i = 0; i < s->n; i++)
			open |= s->group[i] == s->cur && s->state[i] != 2;
		if (!open)
			s->cur++;
	}
	for (i = 0; i < s->n; i++) {
		int ready = s->state[i] == 0 && s->group[i] == s->cur;
		for (p = 0; p < i && ready; p++)
			if (s->state[p] != 2 && ioc_depsched_before(s, p, i))
				ready = 0;
		if (ready) {
			s->state[i] = 1;
			return i;
		}
	}
	return (size_t)-1;
}

void
ioc_depsched_done(struct ioc_depsched *s, size_t i)
{
	if (i < s->n && s->state[i] != 2) {
		s->state[i] = 2;
		s->left--;
	}
}
