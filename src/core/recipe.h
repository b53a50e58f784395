/*
 * recipe.h — the recipe file of `iocage apply FILE [TAG]` (docs/RECIPES.md).
 *
 * One statement a line, words split on blanks; "double quotes" (with \" and
 * \\ inside) and 'single quotes' keep blanks in a word; '#' at the start of a
 * word begins a comment.  Nothing is expanded: no variables, no globs, no
 * command substitution.  Statements:
 *
 *   release NAME            the release (once; default: create's)
 *   type thin|thick|empty   how the root is made (once; default thin)
 *   set PROP=VALUE ...      jail properties (not tag, release or template, nor
 *                           a value that reaches the host: host hooks, fstab,
 *                           userns, userns_idmap, hostid, devfs_ruleset ...)
 *   mount SRC DST [ro|rw]   a folder beside the recipe mounted in the jail
 *                           (together: the fstab property)
 *   forward PROTO(PORT[:HOSTPORT])   a NAT port forward (together: nat_forwards)
 *   pkg NAME ...            packages, installed with the jail's package manager
 *   copy SRC DST [MODE [OWNER[:GROUP]]]   a file beside the recipe into the jail
 *   run CMD [ARG ...]       a command run inside once
 *   service NAME            a service enabled with the jail's service manager
 *
 * pkg, copy, run and service are steps inside the jail, done in the order
 * written; each has an identity (ioc_recipe_step_id) recorded on the jail
 * when done, so applying the recipe again skips it unless it changed.  The
 * parser checks everything that needs neither the pool nor the engine:
 * words, names, paths, modes, owners, property names and values, fstab
 * entries and forwards.  A file is at most 1 MiB, a line 4096 bytes.
 */
#ifndef IOC_RECIPE_H
#define IOC_RECIPE_H

#include "util/util.h"

enum ioc_recipe_kind { IOC_RS_PKG, IOC_RS_COPY, IOC_RS_RUN, IOC_RS_SERVICE };

struct ioc_recipe_step {
	enum ioc_recipe_kind kind;
	int line; /* in the recipe, for messages */
	struct ioc_strv words; /* pkg: names; run: argv; service: the name; copy: SRC DST */
	unsigned mode; /* copy: permission bits (default 0644) */
	char *owner; /* copy: OWNER[:GROUP] inside the jail (default root) */
};

enum ioc_recipe_type { IOC_RT_DEFAULT, IOC_RT_THIN, IOC_RT_THICK, IOC_RT_EMPTY };

struct ioc_recipe {
	char *release; /* NULL: not named */
	enum ioc_recipe_type type;
	struct ioc_strv sets; /* PROPERTY=VALUE, canonical, in order; last one wins */
	struct ioc_strv mounts; /* "SRC DST ro|rw", SRC relative to the recipe's folder */
	char *forwards; /* the forward lines as one nat_forwards value, or NULL */
	struct ioc_recipe_step *steps;
	size_t nsteps;
};

/* Parses text (len bytes, may hold NULs: refused) into *r; -1 with *err naming the line. */
int ioc_recipe_parse(const char *text, size_t len, struct ioc_recipe *r, struct ioc_error **err);
void ioc_recipe_release(struct ioc_recipe *r);

/* A step for a plan or a message: "copy index.html /www/index.html 0644 root". */
char *ioc_recipe_step_str(const struct ioc_recipe_step *s);

/*
 * The step's identity, 16 hex digits of SHA-256 over its kind and words (and
 * for copy its mode, owner and content_hex, the file's SHA-256).
 */
void ioc_recipe_step_id(const struct ioc_recipe_step *s, const char *content_hex, char id[17]);

#endif
