/*
 * record_int.h — internals of the differential packages shared by their files
 * (record.c: manifest and paths; record_diff.c: tree comparison;
 * record_write.c: archives written; record_read.c: archives read and
 * applied).  Only these files include it; everyone else uses record.h.
 */
#ifndef IOC_RECORD_INT_H
#define IOC_RECORD_INT_H

#include "util/util.h"

struct archive;

/* The value of one lowercase hex digit, or -1 (record.c). */
int ioc_hexval(char c);
/* An error naming what failed and libarchive's message; returns -1 (record_write.c). */
int ioc_arch_err(struct archive *a, const char *what, struct ioc_error **err);
/* Removes topfd/rel without following a symlink anywhere on the way (record_read.c). */
int ioc_remove_rel(int topfd, const char *rel, struct ioc_error **err);
/*
 * The end of a disk writer's work (record_write.c): closes w when the work
 * went well (rc 0; "cannot finish WHAT" when the close fails), returns to the
 * working directory cwd and frees w and topfd (each may be unset: NULL, -1).
 * Returns rc, or -1 with err set.
 */
int ioc_disk_writer_end(
    struct archive *w, int rc, const char *what, int cwd, int topfd, struct ioc_error **err);

#endif
