/*
 * image.h — the iocage image format (`export`/`import`): manifest text,
 * ZFS stream header checks and the import property policy.  Pure functions
 * (no I/O, no ZFS): the fuzz target tests/fuzz/f_export_manifest.c and the
 * unit tests drive them directly.  docs/image-format.md describes the format.
 *
 * An image (".ioc") is a POSIX tar (pax) archive whose members come in this
 * order and no other:
 *   MANIFEST                  the manifest text below (at most 1 MiB)
 *   streams/NAME.zfs.NNNNNN   consecutive chunks (NNNNNN from 000000, each at
 *                             most IOC_IMAGE_CHUNK_MAX bytes) of the plain ZFS
 *                             send stream of dataset R/jails/UUID/NAME, one
 *                             dataset after the other in manifest order
 *   SHA256SUMS                "HEX  MANIFEST" and "HEX  streams/NAME.zfs" (the
 *                             hash of the whole stream, its chunks in order)
 * Chunking lets `export ... -` stream a jail without knowing its size.
 *
 * Manifest: UTF-8 text, one item per line, "\n" endings, in this order:
 *   iocage-image 1
 *   uuid UUID
 *   tag TAG
 *   release REL|none
 *   dataset NAME full                   one line per dataset, parents first;
 *   dataset root incremental GUID       NAME is root, data or data/...; only
 *                                       root may be incremental, from the
 *                                       release snapshot whose guid is GUID
 *   prop NAME VALUE                     the jail's local iocage properties;
 *                                       VALUE escaped: \\ \t \n
 */
#ifndef IOC_IMAGE_H
#define IOC_IMAGE_H

#include "core/props.h"
#include "util/util.h"

#define IOC_IMAGE_HEADER "iocage-image 1"
#define IOC_IMAGE_MANIFEST_MAX (1u << 20)
#define IOC_IMAGE_CHUNK (4u << 20) /* what export writes */
#define IOC_IMAGE_CHUNK_MAX (64u << 20) /* what import accepts */
#define IOC_IMAGE_DATASETS_MAX 32
#define IOC_IMAGE_PROPS_MAX 512
#define IOC_DRR_BEGIN_LEN 312 /* sizeof(dmu_replay_record_t): the BEGIN record */

struct ioc_image_ds {
	char *name; /* "root", "data", "data/x" (relative to R/jails/UUID) */
	int incremental; /* from the release snapshot below */
	unsigned long long from_guid; /* guid of R/releases/REL/root@... (incremental) */
};

struct ioc_manifest {
	char *uuid, *tag, *release;
	struct ioc_image_ds *ds;
	size_t nds;
	struct ioc_strv pnames; /* property names (table names) */
	struct ioc_strv pvalues; /* their canonical values */
};

void ioc_manifest_init(struct ioc_manifest *m);
void ioc_manifest_release(struct ioc_manifest *m);
/* Adds a dataset / a property (export side; values are stored as given). */
void ioc_manifest_add_ds(
    struct ioc_manifest *m, const char *name, int incremental, unsigned long long from_guid);
void ioc_manifest_add_prop(struct ioc_manifest *m, const char *name, const char *value);

/*
 * Parses and validates a manifest: the exact order above, a UUID, a valid tag
 * and release, dataset names that are the jail's own (root first, data's
 * children after data, no duplicates, no '..'), known non-native properties
 * with values valid for their type (stored canonically), each at most once.
 * Anything else is an error naming the line.  text need not be NUL-terminated.
 */
int ioc_manifest_parse(
    const char *text, size_t len, struct ioc_manifest *m, struct ioc_error **err);
/* The manifest's text (caller frees). */
char *ioc_manifest_format(const struct ioc_manifest *m);

/*
 * Checks the first IOC_DRR_BEGIN_LEN bytes of a ZFS send stream for dataset
 * ds: a BEGIN record of a plain (non-compound: it can carry no properties)
 * stream of a filesystem, full (no from-guid) or incremental from exactly
 * ds->from_guid, whose snapshot name is printable.
 */
int ioc_image_check_begin(
    const unsigned char *rec, size_t len, const struct ioc_image_ds *ds, struct ioc_error **err);

/*
 * The import policy: turns the manifest's properties plus the command line's
 * overrides (op[i] = ov[i], already validated) into "org.freebsd.iocage:N=V"
 * entries for `zfs create -o` (tag and release excluded: the caller sets
 * them).  Skipped, as they describe the old jail or host: uuid, type, created,
 * last_started, record, source_template, template, hostid, vnetN_mac, and
 * host_hostuuid / jail_zfs_dataset when they are the old jail's defaults.
 * Everything else must be on the allow-list (image.c ioc_image_allowed: the
 * jail's own description, addresses and commands inside, limits, and the
 * isolation settings only at their built-in or stricter values); what is not
 * is refused unless an override replaces it, all refused properties named
 * in one error: fstab, host hooks, pkglist, userns=off, userns_idmap, other
 * jail_zfs_dataset values, a resolver file, ip4=inherit, interfaces,
 * devfs_ruleset, allow_*, enforce_statfs, securelevel below 2, sysv*=inherit,
 * boot=on, a limit of off, reservation, dedup, exec_fib, ftp*.
 */
int ioc_image_plan_props(const struct ioc_manifest *m, const struct ioc_prop *const *op,
    char *const *ov, size_t on, struct ioc_strv *zprops, struct ioc_error **err);

/* Escapes a value for a manifest line (\\ \t \n); caller frees. */
char *ioc_image_escape(const char *s);

#endif
