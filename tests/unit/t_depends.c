/* t_depends.c — the depends value parser and the start/stop orders (core/depends.h). */
#include "check.h"
#include "core/depends.h"
#include "core/props.h"

static int
parses(const char *value, const char *canon)
{
	char *c = NULL;
	struct ioc_error *e = NULL;
	int r = ioc_depends_parse(value, NULL, &c, &e) == 0 && strcmp(c, canon) == 0;
	if (!r)
		fprintf(stderr, "  depends=%s -> %s\n", value, e ? e->msg : c);
	free(c);
	ioc_error_free(e);
	return r;
}

static int
refused(const char *value, const char *msg)
{
	char *c = NULL;
	struct ioc_error *e = NULL;
	int r = ioc_depends_parse(value, NULL, &c, &e) != 0 && e && strcmp(e->msg, msg) == 0;
	if (!r)
		fprintf(stderr, "  depends=%s unexpectedly: %s\n", value, e ? e->msg : c);
	free(c);
	ioc_error_free(e);
	return r;
}

/* The start order of targets as "a b c", or the errors "ERR(t): msg". */
static char *
start_order(const struct ioc_dep_node *v, size_t n, const size_t *targets, size_t nt)
{
	struct ioc_depgraph g;
	struct ioc_error *errs[16] = { NULL };
	struct ioc_sb sb = IOC_SB_INIT;
	size_t *out = NULL, nout = 0, i;
	ioc_sb_init(&sb);
	ioc_depgraph_build(&g, v, n);
	ioc_depgraph_start_order(&g, targets, nt, &out, &nout, errs);
	for (i = 0; i < nout; i++)
		ioc_sb_addf(&sb, "%s%s", i ? " " : "", v[out[i]].tag);
	for (i = 0; i < nt; i++)
		if (errs[i]) {
			ioc_sb_addf(&sb, "%sERR(%s): %s", sb.len ? " " : "", v[targets[i]].tag,
			    errs[i]->msg);
			ioc_error_free(errs[i]);
		}
	free(out);
	ioc_depgraph_release(&g);
	return ioc_sb_detach(&sb);
}

static char *
stop_order(const struct ioc_dep_node *v, size_t n, const size_t *targets, size_t nt,
    const unsigned char *include)
{
	struct ioc_depgraph g;
	struct ioc_sb sb = IOC_SB_INIT;
	size_t *out = NULL, nout = 0, i;
	ioc_sb_init(&sb);
	ioc_depgraph_build(&g, v, n);
	ioc_depgraph_stop_order(&g, targets, nt, include, &out, &nout);
	for (i = 0; i < nout; i++)
		ioc_sb_addf(&sb, "%s%s", i ? " " : "", v[out[i]].tag);
	free(out);
	ioc_depgraph_release(&g);
	return ioc_sb_detach(&sb);
}

static char *
check(const struct ioc_dep_node *v, size_t n, size_t self)
{
	struct ioc_depgraph g;
	struct ioc_error *e = NULL;
	char *r;
	ioc_depgraph_build(&g, v, n);
	if (ioc_depgraph_check(&g, self, &e) != 0)
		r = ioc_xstrdup(e->msg);
	else
		r = ioc_xstrdup("ok");
	ioc_error_free(e);
	ioc_depgraph_release(&g);
	return r;
}


/*
 * A parallel run of a plan in rounds: up to w items handed out together,
 * then all of them finished; "[a b] [c]".  tprio: the targets' priorities
 * (pulled-in jails have none); include NULL: a start order.
 */
static char *
waves(const struct ioc_dep_node *v, size_t n, const size_t *targets, const long long *tprio,
    size_t nt, const unsigned char *include, size_t w)
{
	struct ioc_depgraph g;
	struct ioc_depsched s;
	struct ioc_error *errs[16] = { NULL };
	struct ioc_sb sb = IOC_SB_INIT;
	size_t *out = NULL, nout = 0, i, t, k, got[16];
	long long prio[16];
	ioc_sb_init(&sb);
	ioc_depgraph_build(&g, v, n);
	if (include)
		ioc_depgraph_stop_order(&g, targets, nt, include, &out, &nout);
	else
		ioc_depgraph_start_order(&g, targets, nt, &out, &nout, errs);
	for (i = 0; i < nout; i++) {
		prio[i] = -1;
		for (t = 0; t < nt; t++)
			if (targets[t] == out[i])
				prio[i] = tprio[t];
	}
	ioc_depsched_init(&s, &g, out, nout, prio, include != NULL);
	for (;;) {
		for (k = 0; k < w && (got[k] = ioc_depsched_next(&s)) != (size_t)-1; k++)
			;
		if (k == 0)
			break;
		ioc_sb_addf(&sb, "%s[", sb.len ? " " : "");
		for (i = 0; i < k; i++) {
			ioc_sb_addf(&sb, "%s%s", i ? " " : "", v[out[got[i]]].tag);
			ioc_depsched_done(&s, got[i]);
		}
		ioc_sb_adds(&sb, "]");
	}
	if (s.left)
		ioc_sb_addf(&sb, " STUCK(%zu)", s.left);
	ioc_depsched_release(&s);
	for (i = 0; i < nt; i++)
		ioc_error_free(errs[i]);
	free(out);
	ioc_depgraph_release(&g);
	return ioc_sb_detach(&sb);
}

#define CHECK_OWNED(expr, want) do { char *s_ = (expr); CHECK_STR(s_, want); free(s_); } while (0)

int
main(void)
{
	/* the value: syntax, canonical form, duplicates */
	CHECK(parses("none", "none"));
	CHECK(parses("db", "db"));
	CHECK(parses("db,cache", "db,cache"));
	CHECK(parses(" db , cache ", "db,cache"));
	CHECK(refused("", "invalid value '' for property 'depends': expected none or TAG[,TAG...] "
	    "(tags of other jails, each once)"));
	CHECK(refused("db,,cache", "invalid value 'db,,cache' for property 'depends': an empty tag; "
	    "expected none or TAG[,TAG...] (tags of other jails, each once)"));
	CHECK(refused("db,", "invalid value 'db,' for property 'depends': an empty tag; "
	    "expected none or TAG[,TAG...] (tags of other jails, each once)"));
	CHECK(refused("db,db", "invalid value 'db,db' for property 'depends': 'db' is named twice; "
	    "expected none or TAG[,TAG...] (tags of other jails, each once)"));
	CHECK(refused("none,db", "invalid value 'none,db' for property 'depends': 'none' stands "
	    "alone; expected none or TAG[,TAG...] (tags of other jails, each once)"));
	CHECK(refused("d b", "invalid value 'd b' for property 'depends': invalid tag 'd b': "
	    "character ' ' not allowed; allowed: letters, digits, '.', '_', '-'"));
	CHECK(refused("123", "invalid value '123' for property 'depends': invalid tag '123': "
	    "a tag cannot be all digits"));
	CHECK(refused("ALL", "invalid value 'ALL' for property 'depends': invalid tag 'ALL': "
	    "reserved word"));
	{
		/* through the property table, as set and create see it */
		const struct ioc_prop *p = ioc_prop_find("depends");
		char *c = NULL;
		struct ioc_error *e = NULL;
		CHECK(p != NULL && p->type == IOC_PT_TAGS && strcmp(p->builtin, "none") == 0);
		CHECK(p != NULL && (p->flags & IOC_PF_NODEFAULT));
		CHECK(p != NULL && ioc_prop_validate(p, "a, b", &c, &e) == 0 && strcmp(c, "a,b") == 0);
		free(c);
		c = NULL;
		CHECK(p != NULL && ioc_prop_validate(p, "a\nb", &c, &e) != 0);
		ioc_error_free(e);
	}

	{
		/* web -> app -> db, cache alone, lone alone */
		static const struct ioc_dep_node v[] = { { "web", "app" }, { "app", "db,cache" },
			{ "db", "none" }, { "cache", "none" }, { "lone", "none" } };
		size_t t_web[] = { 0 }, t_all[] = { 0, 1, 2, 3, 4 }, t_lone_db[] = { 4, 2 };
		unsigned char inc_all[] = { 1, 1, 1, 1, 1 }, inc_none[] = { 0, 0, 0, 0, 0 };
		unsigned char inc_web[] = { 1, 0, 0, 0, 0 };
		size_t t_db[] = { 2 }, t_by_prio[] = { 4, 2, 3, 1, 0 };
		CHECK_OWNED(start_order(v, 5, t_web, 1), "db cache app web");
		CHECK_OWNED(start_order(v, 5, t_all, 5), "db cache app web lone");
		CHECK_OWNED(start_order(v, 5, t_lone_db, 2), "lone db");
		/* a dependency goes before its dependent even when the priority order says later */
		{
			size_t t_prio[] = { 0, 4, 2 };
			CHECK_OWNED(start_order(v, 5, t_prio, 3), "db cache app web lone");
		}
		/* stop: dependents first, only those included */
		CHECK_OWNED(stop_order(v, 5, t_db, 1, inc_all), "web app db");
		CHECK_OWNED(stop_order(v, 5, t_db, 1, inc_none), "db");
		CHECK_OWNED(stop_order(v, 5, t_db, 1, inc_web), "db");
		CHECK_OWNED(stop_order(v, 5, t_by_prio, 5, inc_all), "lone web app db cache");
		{
			unsigned char mark[5];
			struct ioc_depgraph g;
			ioc_depgraph_build(&g, v, 5);
			ioc_depgraph_dependents(&g, t_db, 1, mark);
			CHECK(mark[0] == 1 && mark[1] == 1 && mark[2] == 0 && mark[3] == 0 &&
			    mark[4] == 0);
			ioc_depgraph_dependents(&g, t_all, 5, mark);
			CHECK(mark[0] == 1 && mark[1] == 1 && mark[2] == 0 && mark[3] == 0 &&
			    mark[4] == 0);
			CHECK(ioc_depgraph_find(&g, "cache") == 3);
			CHECK(ioc_depgraph_find(&g, "nosuch") == (size_t)-1);
			ioc_depgraph_release(&g);
		}
		CHECK_OWNED(check(v, 5, 0), "ok");
	}
	{
		/* a cycle a -> b -> a; c needs a; d alone */
		static const struct ioc_dep_node v[] = { { "a", "b" }, { "b", "a" }, { "c", "a" },
			{ "d", "none" } };
		size_t t_a[] = { 0 }, t_all[] = { 0, 1, 2, 3 }, t_b[] = { 1 };
		unsigned char inc_all[] = { 1, 1, 1, 1 };
		CHECK_OWNED(start_order(v, 4, t_a, 1), "ERR(a): dependency cycle: a -> b -> a");
		/* the others go on; nothing of a refused target's walk is kept */
		CHECK_OWNED(start_order(v, 4, t_all, 4),
		    "d ERR(a): dependency cycle: a -> b -> a ERR(b): dependency cycle: b -> a -> b "
		    "ERR(c): dependency cycle: a -> b -> a");
		CHECK_OWNED(check(v, 4, 0), "dependency cycle: a -> b -> a");
		CHECK_OWNED(check(v, 4, 2), "dependency cycle: a -> b -> a");
		CHECK_OWNED(check(v, 4, 3), "ok");
		/* a stop is always possible: the cycle is broken */
		CHECK_OWNED(stop_order(v, 4, t_b, 1, inc_all), "c a b");
	}
	{
		/* self, missing (direct and deeper), a good dependency before a bad one */
		static const struct ioc_dep_node v[] = { { "self", "self" }, { "web", "app" },
			{ "app", "db" }, { "x", "ok,nosuch" }, { "ok", "none" } };
		size_t t_self[] = { 0 }, t_web[] = { 1 }, t_x_ok[] = { 3, 4 };
		CHECK_OWNED(check(v, 5, 0), "a jail cannot depend on itself ('self')");
		CHECK_OWNED(start_order(v, 5, t_self, 1), "ERR(self): dependency cycle: self -> self");
		CHECK_OWNED(start_order(v, 5, t_web, 1), "ERR(web): missing dependency: web -> app -> db "
		    "(no jail has the tag 'db')");
		CHECK_OWNED(check(v, 5, 2), "missing dependency: app -> db (no jail has the tag 'db')");
		/* set on web: its own dependency exists; app's missing one is app's affair */
		CHECK_OWNED(check(v, 5, 1), "ok");
		CHECK_OWNED(start_order(v, 5, t_x_ok, 2), "ok ERR(x): missing dependency: x -> nosuch "
		    "(no jail has the tag 'nosuch')");
	}
	{
		/* a stored value that does not parse names the jail, and is its affair alone */
		static const struct ioc_dep_node v[] = { { "a", "b,,c" }, { "w", "a" }, { "o", "none" } };
		size_t t[] = { 0 }, t_w_o[] = { 1, 2 };
		unsigned char inc[] = { 1, 1, 1 };
		CHECK_OWNED(start_order(v, 3, t, 1), "ERR(a): jail 'a': invalid value 'b,,c' for "
		    "property 'depends': an empty tag; expected none or TAG[,TAG...] (tags of other "
		    "jails, each once)");
		CHECK_OWNED(start_order(v, 3, t_w_o, 2), "o ERR(w): jail 'a': invalid value 'b,,c' for "
		    "property 'depends': an empty tag; expected none or TAG[,TAG...] (tags of other "
		    "jails, each once)");
		CHECK_OWNED(check(v, 3, 1), "ok");
		CHECK_OWNED(stop_order(v, 3, t, 1, inc), "w a");
	}
	{
		/*
		 * Parallel runs: priority 10: a, b, c (needs a); 20: d (needs b), e, f
		 * (needs g, priority 30, which joins f's group); targets by priority.
		 */
		static const struct ioc_dep_node v[] = { { "a", "none" }, { "b", "none" },
			{ "c", "a" }, { "d", "b" }, { "e", "none" }, { "f", "g" }, { "g", "none" } };
		size_t t_boot[] = { 0, 1, 2, 3, 4, 5, 6 }, t_down[] = { 6, 5, 4, 3, 2, 1, 0 };
		long long p_boot[] = { 10, 10, 10, 20, 20, 20, 30 };
		long long p_down[] = { 30, 20, 20, 20, 10, 10, 10 };
		unsigned char inc[] = { 1, 1, 1, 1, 1, 1, 1 };
		/* one worker: the serial order exactly */
		CHECK_OWNED(start_order(v, 7, t_boot, 7), "a b c d e g f");
		CHECK_OWNED(waves(v, 7, t_boot, p_boot, 7, NULL, 1),
		    "[a] [b] [c] [d] [e] [g] [f]");
		CHECK_OWNED(waves(v, 7, t_boot, p_boot, 7, NULL, 2), "[a b] [c] [d e] [g] [f]");
		CHECK_OWNED(waves(v, 7, t_boot, p_boot, 7, NULL, 8), "[a b] [c] [d e g] [f]");
		/* stop: descending, dependents first; f joins g's group */
		CHECK_OWNED(stop_order(v, 7, t_down, 7, inc), "f g e d c b a");
		CHECK_OWNED(waves(v, 7, t_down, p_down, 7, inc, 1),
		    "[f] [g] [e] [d] [c] [b] [a]");
		CHECK_OWNED(waves(v, 7, t_down, p_down, 7, inc, 2), "[f] [g] [e d] [c b] [a]");
		CHECK_OWNED(waves(v, 7, t_down, p_down, 7, inc, 8), "[f] [g] [e d] [c b] [a]");
	}
	{
		/* rcboot's test: early (10) needs late (50), needy (30) needs helper (no boot) */
		static const struct ioc_dep_node v[] = { { "late", "none" }, { "early", "late" },
			{ "mid", "none" }, { "helper", "none" }, { "needy", "helper" } };
		size_t t_boot[] = { 1, 2, 4, 0 }, t_down[] = { 0, 4, 2, 1 };
		long long p_boot[] = { 10, 20, 30, 50 }, p_down[] = { 50, 30, 20, 10 };
		unsigned char inc[] = { 1, 1, 1, 0, 1 };
		CHECK_OWNED(waves(v, 5, t_boot, p_boot, 4, NULL, 4),
		    "[late] [early] [mid] [helper] [needy]");
		CHECK_OWNED(waves(v, 5, t_down, p_down, 4, inc, 4), "[early] [late] [needy] [mid]");
	}
	{
		/* a cycle in a stop order: broken, nothing waits forever */
		static const struct ioc_dep_node v[] = { { "a", "b" }, { "b", "a" }, { "c", "a" } };
		size_t t_b[] = { 1 };
		long long p[] = { 5 };
		unsigned char inc[] = { 1, 1, 1 };
		CHECK_OWNED(waves(v, 3, t_b, p, 1, inc, 3), "[c] [a] [b]");
	}
	return CHECK_DONE();
}
