/*
 * pkglist.h — the package list of `create pkglist=FILE`: one package name a
 * line ('#' comments and blank lines ignored), or the shell iocage's JSON
 * form {"pkgs": ["a", "b"]}.  Names: a letter or digit, then letters,
 * digits, '+', '-', '.', '_', ':' (apt's and pkg's names); nothing else, so
 * no name can become an option or a second command.
 */
#ifndef IOC_PKGLIST_H
#define IOC_PKGLIST_H

#include "util/util.h"

/* Parses text into names (appended to out); -1 with *err naming the bad line. */
int ioc_pkglist_parse(const char *text, struct ioc_strv *out, struct ioc_error **err);
/* Reads and parses a file (at most 1 MiB). */
int ioc_pkglist_read(const char *path, struct ioc_strv *out, struct ioc_error **err);

#endif
