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

#endif
