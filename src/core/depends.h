/*
 * depends.h — boot dependencies between jails: the `depends` property.
 *
 * A jail's `depends` is "none" or TAG[,TAG...]: the jails that must run
 * before it starts and that stop only after it.  This module is pure: it
 * works on a view of the jails (each one's tag and depends value) and
 * answers orders as indexes into that view; it starts, stops and reads
 * nothing.  The cli decides what the orders are for (start, stop, rcboot,
 * rcshutdown, set, create).
 *
 * Messages name the chain: "dependency cycle: a -> b -> a",
 * "missing dependency: web -> app -> db (no jail has the tag 'db')".
 */
#ifndef IOC_DEPENDS_H
#define IOC_DEPENDS_H

#include "util/util.h"

/*
 * Parses a depends value: "none" (nothing) or TAG[,TAG...], each a valid tag
 * (ioc_valid_tag), none twice; blanks around a tag are dropped.  The tags
 * are appended to out (may be NULL: only validates); *canon (may be NULL)
 * gets the canonical form ("none" or the tags joined by ','), caller frees.
 * Errors name the value and what is allowed.
 */
int ioc_depends_parse(
    const char *value, struct ioc_strv *out, char **canon, struct ioc_error **err);

/* One jail of the view: both strings are borrowed and outlive the graph. */
struct ioc_dep_node {
	const char *tag;
	const char *depends; /* "none" or TAG[,TAG...] as stored */
};

/*
 * The graph of a view: dep[i] lists the indexes of i's dependencies in the
 * order written; missing[i] is i's first dependency no node has (NULL if
 * none); invalid[i] the error of a stored value that does not parse (written
 * behind iocage's back), naming the jail: such a node has no dependencies,
 * and starting it (or a jail that needs it) is refused with that message.
 * Tags are expected unique (the caller's view holds complete jails).
 */
struct ioc_depgraph {
	const struct ioc_dep_node *v;
	size_t n;
	size_t **dep;
	size_t *ndep;
	char **missing;
	char **invalid;
};

/* Builds g over v[0..n) (release with ioc_depgraph_release). */
void ioc_depgraph_build(struct ioc_depgraph *g, const struct ioc_dep_node *v, size_t n);
void ioc_depgraph_release(struct ioc_depgraph *g);
/* 1 when node k lists node d among its dependencies. */
int ioc_depgraph_has(const struct ioc_depgraph *g, size_t k, size_t d);
/* The index of the node tagged tag, or (size_t)-1. */
size_t ioc_depgraph_find(const struct ioc_depgraph *g, const char *tag);

/*
 * Start order: every target after everything it depends on (recursively);
 * apart from that, targets keep the order given (e.g. by priority), and a
 * dependency comes right before the first target that needs it.  out
 * (caller frees, room for g->n) gets the indexes, *nout their number; each
 * node appears once.  A target whose dependencies hold a cycle or a missing
 * tag is left out with nothing of its own visit kept, and errs[t] (errs has
 * nt slots, NULL-initialised by the caller) gets the chain.  Returns the
 * number of targets left out.
 */
size_t ioc_depgraph_start_order(const struct ioc_depgraph *g, const size_t *targets, size_t nt,
    size_t **out, size_t *nout, struct ioc_error **errs);

/*
 * Marks in mark[0..n) every node that depends on a target, directly or
 * through others (a target itself only when it depends on another target).
 */
void ioc_depgraph_dependents(
    const struct ioc_depgraph *g, const size_t *targets, size_t nt, unsigned char *mark);

/*
 * Stop order: every target after the nodes marked in include that depend on
 * it (recursively), dependents first; apart from that targets keep the order
 * given.  Cycles are broken (a stop must always be possible).  out (caller
 * frees) and *nout as for the start order.
 */
void ioc_depgraph_stop_order(const struct ioc_depgraph *g, const size_t *targets, size_t nt,
    const unsigned char *include, size_t **out, size_t *nout);

/*
 * For set and create: node self may not list its own tag, every one of its
 * dependencies must exist, and no cycle may be reachable from it (missing or
 * invalid values further down are their own jails' affair).
 */
int ioc_depgraph_check(const struct ioc_depgraph *g, size_t self, struct ioc_error **err);

/*
 * A plan run by several workers at once (rcboot -j N, start ALL -j N): the
 * scheduler hands out the items of a plan (order[0..n), a start or stop
 * order from above) as they become ready, and is told when each finishes.
 *
 * Items come in groups run one after the other: by priority (prio[i] of
 * item i; a negative value marks a jail pulled in, which has none of its
 * own), ascending at start, descending at stop.  A dependency joins the
 * group of its earliest dependent at start, a dependent the group of its
 * earliest dependency at stop, so no dependency edge points to a later
 * group.  Within a group an item is ready when every item before it in the
 * order that it must follow has finished (start: its dependencies; stop:
 * its dependents); edges to later items are ignored, which breaks the
 * cycles a stop order may hold.  One worker taking items from
 * ioc_depsched_next in turn runs them in exactly the order given.
 */
struct ioc_depsched {
	const struct ioc_depgraph *g;
	const size_t *order;
	size_t n;
	int stopping;
	size_t *group; /* per item: its group, 0 first */
	unsigned char *state; /* per item: 0 waiting, 1 handed out, 2 finished */
	size_t cur; /* the group being run */
	size_t left; /* items not finished */
};

/* prio has n entries; order and g are borrowed and outlive s. */
void ioc_depsched_init(struct ioc_depsched *s, const struct ioc_depgraph *g, const size_t *order,
    size_t n, const long long *prio, int stopping);
void ioc_depsched_release(struct ioc_depsched *s);
/* The first ready item (an index into order), now handed out; (size_t)-1 when
 * none is ready until a handed-out one finishes, or when all have finished. */
size_t ioc_depsched_next(struct ioc_depsched *s);
/* Item i (handed out) has finished, whether it succeeded or not. */
void ioc_depsched_done(struct ioc_depsched *s, size_t i);
/* 1 when item p must finish before item i may begin. */
int ioc_depsched_before(const struct ioc_depsched *s, size_t p, size_t i);

#endif
