/*
 * archive_dl.h — libarchive, opened at its first use instead of linked.
 *
 * Linking it would load libarchive and what it pulls in (libxml2, ICU,
 * libstdc++) at every command's start, twice for the commands that
 * re-execute (a few ms each: bench/RESULTS.md), while only fetch, export,
 * import and the image records use it.  Include this instead of <archive.h>:
 * each archive_* call below goes through ioc_archive(), which opens the
 * library the first time.  A caller may call ioc_archive_need() first to
 * get a clean error; without it, a missing library ends the command with
 * a message naming the library (exit status 1).
 */
#ifndef IOC_ARCHIVE_DL_H
#define IOC_ARCHIVE_DL_H

#include "util/util.h"

#include <archive.h>
#include <archive_entry.h>

/* Every libarchive function iocage (and its unit tests) call. */
#define IOC_ARCHIVE_FUNCS(X) \
	X(archive_entry_copy_hardlink) \
	X(archive_entry_copy_pathname) \
	X(archive_entry_copy_stat) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_gid) \
	X(archive_entry_hardlink) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_gid) \
	X(archive_entry_set_gname) \
	X(archive_entry_set_mtime) \
	X(archive_entry_set_nlink) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_set_symlink) \
	X(archive_entry_set_uid) \
	X(archive_entry_set_uname) \
	X(archive_entry_size) \
	X(archive_entry_size_is_set) \
	X(archive_entry_uid) \
	X(archive_entry_xattr_add_entry) \
	X(archive_error_string) \
	X(archive_read_data) \
	X(archive_read_data_block) \
	X(archive_read_data_skip) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open_fd) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_filter_xz) \
	X(archive_read_support_format_7zip) \
	X(archive_read_support_format_all) \
	X(archive_read_support_format_ar) \
	X(archive_read_support_format_cab) \
	X(archive_read_support_format_cpio) \
	X(archive_read_support_format_gnutar) \
	X(archive_read_support_format_iso9660) \
	X(archive_read_support_format_lha) \
	X(archive_read_support_format_rar) \
	X(archive_read_support_format_rar5) \
	X(archive_read_support_format_tar) \
	X(archive_read_support_format_xar) \
	X(archive_read_support_format_zip) \
	X(archive_set_error) \
	X(archive_write_add_filter_xz) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_data_block) \
	X(archive_write_disk_new) \
	X(archive_write_disk_set_options) \
	X(archive_write_finish_entry) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open) \
	X(archive_write_open_fd) \
	X(archive_write_open_filename) \
	X(archive_write_set_bytes_per_block) \
	X(archive_write_set_format_pax_restricted)

struct ioc_archive_api {
#define IOC_ARCHIVE_FIELD(f) __typeof__(f) *p_##f;
	IOC_ARCHIVE_FUNCS(IOC_ARCHIVE_FIELD)
#undef IOC_ARCHIVE_FIELD
};

/* Opens libarchive when it is not yet: 0, or -1 with *err naming what is missing. */
int ioc_archive_need(struct ioc_error **err);
/* The functions (opened on the first call; exits when they cannot be). */
const struct ioc_archive_api *ioc_archive(void);

/* the calls (not in archive_dl.c itself, which fills the table) */
#ifndef IOC_ARCHIVE_DL_IMPL
/* clang-format off */
#define archive_entry_copy_hardlink (ioc_archive()->p_archive_entry_copy_hardlink)
#define archive_entry_copy_pathname (ioc_archive()->p_archive_entry_copy_pathname)
#define archive_entry_copy_stat (ioc_archive()->p_archive_entry_copy_stat)
#define archive_entry_filetype (ioc_archive()->p_archive_entry_filetype)
#define archive_entry_free (ioc_archive()->p_archive_entry_free)
#define archive_entry_gid (ioc_archive()->p_archive_entry_gid)
#define archive_entry_hardlink (ioc_archive()->p_archive_entry_hardlink)
#define archive_entry_new (ioc_archive()->p_archive_entry_new)
#define archive_entry_pathname (ioc_archive()->p_archive_entry_pathname)
#define archive_entry_set_filetype (ioc_archive()->p_archive_entry_set_filetype)
#define archive_entry_set_gid (ioc_archive()->p_archive_entry_set_gid)
#define archive_entry_set_gname (ioc_archive()->p_archive_entry_set_gname)
#define archive_entry_set_mtime (ioc_archive()->p_archive_entry_set_mtime)
#define archive_entry_set_nlink (ioc_archive()->p_archive_entry_set_nlink)
#define archive_entry_set_pathname (ioc_archive()->p_archive_entry_set_pathname)
#define archive_entry_set_perm (ioc_archive()->p_archive_entry_set_perm)
#define archive_entry_set_size (ioc_archive()->p_archive_entry_set_size)
#define archive_entry_set_symlink (ioc_archive()->p_archive_entry_set_symlink)
#define archive_entry_set_uid (ioc_archive()->p_archive_entry_set_uid)
#define archive_entry_set_uname (ioc_archive()->p_archive_entry_set_uname)
#define archive_entry_size (ioc_archive()->p_archive_entry_size)
#define archive_entry_size_is_set (ioc_archive()->p_archive_entry_size_is_set)
#define archive_entry_uid (ioc_archive()->p_archive_entry_uid)
#define archive_entry_xattr_add_entry (ioc_archive()->p_archive_entry_xattr_add_entry)
#define archive_error_string (ioc_archive()->p_archive_error_string)
#define archive_read_data (ioc_archive()->p_archive_read_data)
#define archive_read_data_block (ioc_archive()->p_archive_read_data_block)
#define archive_read_data_skip (ioc_archive()->p_archive_read_data_skip)
#define archive_read_free (ioc_archive()->p_archive_read_free)
#define archive_read_new (ioc_archive()->p_archive_read_new)
#define archive_read_next_header (ioc_archive()->p_archive_read_next_header)
#define archive_read_open_fd (ioc_archive()->p_archive_read_open_fd)
#define archive_read_support_filter_all (ioc_archive()->p_archive_read_support_filter_all)
#define archive_read_support_filter_xz (ioc_archive()->p_archive_read_support_filter_xz)
#define archive_read_support_format_7zip (ioc_archive()->p_archive_read_support_format_7zip)
#define archive_read_support_format_all (ioc_archive()->p_archive_read_support_format_all)
#define archive_read_support_format_ar (ioc_archive()->p_archive_read_support_format_ar)
#define archive_read_support_format_cab (ioc_archive()->p_archive_read_support_format_cab)
#define archive_read_support_format_cpio (ioc_archive()->p_archive_read_support_format_cpio)
#define archive_read_support_format_gnutar (ioc_archive()->p_archive_read_support_format_gnutar)
#define archive_read_support_format_iso9660 (ioc_archive()->p_archive_read_support_format_iso9660)
#define archive_read_support_format_lha (ioc_archive()->p_archive_read_support_format_lha)
#define archive_read_support_format_rar (ioc_archive()->p_archive_read_support_format_rar)
#define archive_read_support_format_rar5 (ioc_archive()->p_archive_read_support_format_rar5)
#define archive_read_support_format_tar (ioc_archive()->p_archive_read_support_format_tar)
#define archive_read_support_format_xar (ioc_archive()->p_archive_read_support_format_xar)
#define archive_read_support_format_zip (ioc_archive()->p_archive_read_support_format_zip)
#define archive_set_error (ioc_archive()->p_archive_set_error)
#define archive_write_add_filter_xz (ioc_archive()->p_archive_write_add_filter_xz)
#define archive_write_close (ioc_archive()->p_archive_write_close)
#define archive_write_data (ioc_archive()->p_archive_write_data)
#define archive_write_data_block (ioc_archive()->p_archive_write_data_block)
#define archive_write_disk_new (ioc_archive()->p_archive_write_disk_new)
#define archive_write_disk_set_options (ioc_archive()->p_archive_write_disk_set_options)
#define archive_write_finish_entry (ioc_archive()->p_archive_write_finish_entry)
#define archive_write_free (ioc_archive()->p_archive_write_free)
#define archive_write_header (ioc_archive()->p_archive_write_header)
#define archive_write_new (ioc_archive()->p_archive_write_new)
#define archive_write_open (ioc_archive()->p_archive_write_open)
#define archive_write_open_fd (ioc_archive()->p_archive_write_open_fd)
#define archive_write_open_filename (ioc_archive()->p_archive_write_open_filename)
#define archive_write_set_bytes_per_block (ioc_archive()->p_archive_write_set_bytes_per_block)
#define archive_write_set_format_pax_restricted (ioc_archive()->p_archive_write_set_format_pax_restricted)
/* clang-format on */
#endif

#endif
