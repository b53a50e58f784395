/*
 * tagidx.h — the root's tag index: which jail holds a tag, answered by one
 * dataset's properties instead of a read of every jail (docs/tag-index.md).
 *
 * R/.tags (canmount=off, never mounted, never a jail) carries one user
 * property per tag, org.freebsd.iocage:t.ENC = UUID, and the mark
 * org.freebsd.iocage:tagindex = 1 once a full read of every jail's tag has
 * filled it.  The jails' own tag properties stay the truth; the index only
 * says where to look:
 *
 *   - an entry is written before the tag it records (create, set tag=,
 *     import, a replica's first sync), so a jail's tag is never newer than
 *     its entry; an entry whose jail is gone or holds another tag is stale
 *     and reads as free;
 *   - a tag with no entry is free only while the mark is there; without it
 *     the next create reads every jail and completes the index (under the
 *     root lock), writing only the entries that differ;
 *   - a tag written behind iocage's back (zfs set) is seen by every full
 *     read: list and name lookups.  list reports a tag held by two jails
 *     and removes the mark, so that the next create reads every jail again.
 */
#ifndef IOC_TAGIDX_H
#define IOC_TAGIDX_H

#include "core/core.h"

#define IOC_TAGIDX_CHILD ".tags"
#define IOC_TAGIDX_MARK IOC_PROP_PREFIX "tagindex"
#define IOC_TAGIDX_ENTRY IOC_PROP_PREFIX "t."

/*
 * The entry's property name for tag: [a-z0-9._-] as they are, a capital X as
 * ":x" (':' is in no tag: the encoding is one to one).  NULL when the name
 * would be longer than ZFS allows a property name: such a tag is never in
 * the index, and a create of it reads every jail.
 */
char *ioc_tagidx_prop(const char *tag);
/* R/.tags */
char *ioc_tagidx_dataset(const struct ioc_root *root);
/*
 * Records tag -> uuid (R/.tags made when missing, without the mark).  Called
 * before the tag is written on the jail; a tag with no entry name does
 * nothing.  A failure is an error: the caller writes no tag then.
 */
int ioc_tagidx_put(
    const struct ioc_root *root, const char *tag, const char *uuid, struct ioc_error **err);
/* Tags jail uuid (R/jails/UUID): its entry, then its tag property. */
int ioc_tagidx_tag_jail(
    const struct ioc_root *root, const char *uuid, const char *tag, struct ioc_error **err);
/* Removes tag's entry when it names uuid (the caller holds the root lock). */
int ioc_tagidx_drop(
    const struct ioc_root *root, const char *tag, const char *uuid, struct ioc_error **err);
/*
 * uuid no longer holds tag (destroy, set tag=; root lock held): the entry
 * goes, or names the other jail of js (every jail) that holds tag too.
 */
int ioc_tagidx_release(const struct ioc_root *root, const struct ioc_jails *js, const char *tag,
    const char *uuid, struct ioc_error **err);
/*
 * Completes the index from js, a read of every jail of root (under the root
 * lock), plus new (tag, uuid) pairs about to be written (pairs: tag, uuid,
 * tag, uuid, ...), and sets the mark.  Writes only what differs: R/.tags in
 * one `zfs create` when it is missing (missing: known not to exist).
 */
int ioc_tagidx_build(const struct ioc_root *root, const struct ioc_jails *js,
    const struct ioc_strv *pairs, int missing, struct ioc_error **err);
/* A new root's index: empty and complete (activate, when R/jails is new). */
int ioc_tagidx_init(const struct ioc_root *root, struct ioc_error **err);
/*
 * One `zfs get` of R/.tags (the entries of tags, the mark, the root check),
 * the newest snapshot of release (when not NULL) and R/.defaults.  usable:
 * the index is complete and R an active root; uuids then holds every jail
 * an entry names, the holders of tags among them (the caller checks their
 * own tag properties: an entry may be stale).  Not usable (no index, no
 * mark, a tag without an entry name, or no active root): the caller reads
 * every jail.
 */
struct ioc_tagidx_hit {
	int usable;
	int legacy; /* R/.defaults is there */
	int exists; /* R/.tags is (or may be) there; 0: it is not */
	struct ioc_strv uuids;
	size_t missing; /* tags asked that have no entry */
	char *snap; /* the release's newest snapshot, or NULL */
};
int ioc_tagidx_lookup(const struct ioc_root *root, const char *release, const struct ioc_strv *tags,
    struct ioc_tagidx_hit *hit, struct ioc_error **err);
void ioc_tagidx_hit_release(struct ioc_tagidx_hit *hit);
/* Removes the mark (a full read found the index wrong); no index: nothing. */
int ioc_tagidx_invalidate(const struct ioc_root *root, struct ioc_error **err);

/*
 * list's check of a read of every jail: one line in said for each tag two
 * complete jails hold (only a write behind iocage's back makes one), and
 * then the mark removed (best effort).  Returns the number of such tags.
 */
size_t ioc_tagidx_dups(
    const struct ioc_root *root, const struct ioc_jails *js, struct ioc_strv *said);

#endif
