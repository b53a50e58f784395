/* jails_int.h — what jails.c shares with jailnames.c (core only). */
#ifndef IOC_JAILS_INT_H
#define IOC_JAILS_INT_H

#include "core/core.h"

/*
 * The one `zfs get` of the jails (all, or only those UUIDs) to depth, with
 * props as for ioc_jails_load; release: *snap gets its newest snapshot.
 */
int ioc_jails_load_depth(const struct ioc_root *root, const char *const *props, const char *release,
    int depth, const struct ioc_strv *only, struct ioc_jails *out, char **snap,
    struct ioc_error **err);

#endif
