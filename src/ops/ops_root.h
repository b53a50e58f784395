/*
 * ops_root.h — operations on an iocage root itself: fetching a release,
 * activate and deactivate, a pool on a file (activate --file).  Included
 * by ops/ops.h.
 */
#ifndef IOC_OPS_ROOT_H
#define IOC_OPS_ROOT_H

#include "ops/ops.h"

/* ---- fetch_release.c ----------------------------------------------------- */

/* What fetch is asked (NULL: not given). */
struct ioc_fetch_spec {
	const char *release; /* NULL: the host's own (told through say) */
	const char *file; /* file=PATH: a local root-filesystem archive */
	const char *ftphost, *ftpdir, *ftpfiles, *mirror;
	int no_update; /* -n: no freebsd-update of a FreeBSD release */
	/* a line to show as it goes (the host's release, an unfinished one removed, ...) */
	ioc_say_fn say;
	void *say_arg;
};
struct ioc_fetch_result {
	char *release;
	int already; /* it was fetched before: nothing done */
	int shifted; /* its owners were shifted for the user namespace */
};
void ioc_fetch_result_release(struct ioc_fetch_result *res);
/*
 * fetch: the whole request checked and resolved (URL, files, mirror, id map)
 * before the first write; then, under the release's lock, the files
 * downloaded and checked against the MANIFEST, the root made and filled
 * (extracted, or debootstrap), its owners shifted, the snapshot last: a
 * failure removes the unfinished release, a kill leaves it to the next fetch.
 */
int ioc_release_fetch(const struct ioc_root *root, const struct ioc_fetch_spec *spec,
    struct ioc_fetch_result *res, struct ioc_error **err);

/* ---- activate.c ---------------------------------------------------------- */

/* What activate --file made, recorded on the root for deactivate. */
#define IOC_FILEPOOL_PROP IOC_PROP_PREFIX "activate_file"

/*
 * activate: ds becomes an active iocage root (file: the pool's file that
 * activate --file made, recorded for deactivate), the root's id range is
 * granted where newuidmap needs it (recorded too), a shell iocage root is
 * adopted in place.  What it did is appended to said, also on failure.
 */
int ioc_activate(const char *ds, const char *file, struct ioc_strv *said, struct ioc_error **err);
/*
 * deactivate, under the root lock: refused while a jail runs; the subid
 * line activate added goes (or moves to another active root that needs
 * it), then the active mark; a pool activate --file made is exported and
 * its boot unit removed.  Every dataset is kept.  said as above.
 */
int ioc_deactivate(const struct ioc_root *root, struct ioc_strv *said, struct ioc_error **err);
/*
 * subids add|remove PATH (make install, make uninstall): add grants the
 * built-in userns_idmap range to root where no line covers it and records
 * what it added in PATH; remove takes exactly that out and deletes PATH.
 */
int ioc_subids_install(const char *path, int add, struct ioc_strv *said, struct ioc_error **err);

/* ---- filepool.c ---------------------------------------------------------- */

/* activate --file: a new pool on a new sparse file, for a root POOL/DATASET. */
struct ioc_filepool_req {
	const char *path; /* absolute; must not exist; its directory must */
	unsigned long long size; /* bytes, at least 64M */
	const char *dataset; /* POOL/DATASET: the pool is new, the root its child */
};
/* The systemd unit directory (IOCAGE_SYSTEMD_DIR in tests, else /etc/systemd/system). */
const char *ioc_filepool_unit_dir(void);
/* Checks the request without touching anything (paths, size, names). */
int ioc_filepool_check(const struct ioc_filepool_req *req, struct ioc_error **err);
/*
 * Makes the pool: ZFS answering (zfs-fuse started when there is no kernel
 * module), the pool name free, the file created (O_EXCL, 0600, sparse),
 * `zpool create POOL FILE`, and the unit iocage-pool-POOL.service (enabled
 * by its multi-user.target.wants link) that imports it at boot.  A failure
 * removes what was made.  said gets a line for each thing done.  The caller
 * then activates req->dataset and records req->path on it.
 */
int ioc_filepool_make(
    const struct ioc_filepool_req *req, struct ioc_strv *said, struct ioc_error **err);
/*
 * deactivate of a root made so: removes the unit, and exports the pool when
 * it holds nothing but root (the file is kept: it holds the jails).
 */
int ioc_filepool_unmake(
    const char *root, const char *file, struct ioc_strv *said, struct ioc_error **err);

#endif
