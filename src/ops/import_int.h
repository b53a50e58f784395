/*
 * import_int.h — what import.c (images of this tool) shares with
 * import_legacy.c (the shell iocage's images and packages).  Only these two
 * include it; everyone else uses ops.h.
 */
#ifndef IOC_IMPORT_INT_H
#define IOC_IMPORT_INT_H

#include "ops/ops.h"

/* The value the request gives for property name, or NULL. */
const char *ioc_override(const struct ioc_import_req *l, const char *name);
/* 1 when a jail of js has tag. */
int ioc_tag_used(const struct ioc_jails *js, const char *tag);
/* The jail's UUID: the image's unless this root has it already. */
char *ioc_import_uuid(const struct ioc_root *root, const struct ioc_jails *js, const char *want);
/*
 * Creates jailds, the imported jail's dataset, untagged (the quarantine: list
 * never shows it) with canmount=off, devices=off, its type, release, creation
 * time and zprops ("org.freebsd.iocage:NAME=VALUE"); 0 or -1.
 */
int ioc_import_quarantine(const char *jailds, const char *type, const char *release,
    const struct ioc_strv *zprops, struct ioc_error **err);
/*
 * Sets *uuid_out and *tag_out (the caller frees them, also on failure), then
 * makes the complete jail's tag links; 0, or -1 with err saying the jail was
 * imported but its links were not made.
 */
int ioc_import_publish(const struct ioc_root *root, const struct ioc_jails *js, const char *uuid,
    const char *tag, char **uuid_out, char **tag_out, struct ioc_error **err);

#endif
