/*
 * import.c — import of whole jails (format: image.h, docs/image-format.md)
 * (ops.h; the shell iocage's UUID_DATE.tar.xz images: import_legacy.c).
 *
 * One pass over the image, from a file or a pipe: the manifest comes first
 * and is checked (the property policy, the tag, the release snapshot of an
 * incremental image) before anything is made; then the jail's dataset is
 * created without its tag (the quarantine: debris, never listed, swept by
 * the next create/import/clean) and every stream goes to `zfs receive`
 * while it is hashed, its BEGIN record checked before its first byte is
 * passed on.  SHA256SUMS, at the end, decides; then the received datasets
 * are checked (origin, no local or received properties) and their trees
 * walked (no device node, no setuid file of a foreign id), and the tag is
 * set last.  Any failure destroys the quarantine.
 *
 * zfs-fuse's `zfs receive` knows only -v -n -F -d, so the import cannot use
 * -u, -o or -x: it accepts only plain (non-compound) streams, which carry no
 * properties, and names every target itself (never -d, never -F).
 */
#include "ops/ops.h"
#include "util/archive_dl.h"
#include "core/tagidx.h"
#include "ops/import_int.h"
#include "fetch/fetch.h"
#include "image/image.h"
#include "image/record.h"
#include "spawn/spawn.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the one pass over an image found, and where its streams go. */
struct ioc_walk {
	struct ioc_manifest m;
	char *mtext;
	size_t mlen;
	char mhex[65];
	char (*shex)[65]; /* per dataset */
	unsigned long long total;
	/* called once the manifest is parsed, before any stream is read */
	int (*manifest)(void *cb, struct ioc_error **err);
	int (*feed)(void *cb, size_t ds, const void *buf, size_t n, struct ioc_error **err);
	int (*start)(void *cb, size_t ds, struct ioc_error **err);
	int (*end)(void *cb, size_t ds, struct ioc_error **err);
	void *cb;
	void (*progress)(void *arg, size_t bytes, int final);
	void *parg;
};

static void
ioc_walk_release(struct ioc_walk *w)
{
	ioc_manifest_release(&w->m);
	free(w->mtext);
	free(w->shex);
	w->mtext = NULL;
	w->shex = NULL;
}

/* Parses SHA256SUMS and compares it with what the pass computed. */
static int
ioc_walk_check_sums(struct ioc_walk *w, const char *text, size_t len, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
	_cleanup_free_ char *t = ioc_xstrndup(text, len);
	size_t i, k, want = 1 + w->m.nds;
	if (strlen(t) != len || len == 0 || t[len - 1] != '\n')
		return ioc_err(err, "image is corrupt: SHA256SUMS is malformed");
	t[len - 1] = '\0';
	ioc_strv_split(&lines, t, '\n');
	if (lines.n != want)
		return ioc_err(err, "image is corrupt: SHA256SUMS lists %zu members, expected %zu",
		    lines.n, want);
	for (i = 0; i < lines.n; i++) {
		const char *l = lines.v[i];
		_cleanup_free_ char *name = NULL;
		const char *hex;
		if (strlen(l) < 67 || l[64] != ' ' || l[65] != ' ')
			return ioc_err(
			    err, "image is corrupt: SHA256SUMS line %zu is malformed", i + 1);
		name = ioc_xstrdup(l + 66);
		if (i == 0) {
			hex = w->mhex;
			if (strcmp(name, "MANIFEST") != 0)
				return ioc_err(
				    err, "image is corrupt: SHA256SUMS must list MANIFEST first");
		} else {
			_cleanup_free_ char *exp =
			    ioc_xasprintf("streams/%s.zfs", w->m.ds[i - 1].name);
			if (strcmp(name, exp) != 0)
				return ioc_err(err,
				    "image is corrupt: SHA256SUMS line %zu names the wrong member",
				    i + 1);
			hex = w->shex[i - 1];
		}
		for (k = 0; k < 64; k++)
			if (!((l[k] >= '0' && l[k] <= '9') || (l[k] >= 'a' && l[k] <= 'f')))
				return ioc_err(err,
				    "image is corrupt: SHA256SUMS line %zu is malformed", i + 1);
		if (strncmp(l, hex, 64) != 0)
			return ioc_err(err, "image is corrupt: checksum mismatch for %s", name);
	}
	return 0;
}

/* Where the pass over an image is: the archive, the current stream and its hash. */
struct ioc_walk_pos {
	struct archive *a;
	unsigned char *buf; /* 64 KiB */
	struct ioc_sha256 h;
	size_t cur; /* the current dataset, (size_t)-1 before the first */
	size_t chunk; /* the number of its next chunk */
	int in_stream, have_sums;
	unsigned long long sofar;
};

/* Reads the image's first member, the manifest: hashed, parsed, then handed to w->manifest. */
static int
ioc_walk_manifest(struct archive *a, struct ioc_walk *w, const char *name, la_int64_t size,
    struct ioc_error **err)
{
	struct ioc_sha256 h;
	la_ssize_t n;
	if (strcmp(name, "MANIFEST") != 0 || (size_t)size > IOC_IMAGE_MANIFEST_MAX)
		return ioc_err(err, "not an iocage image: it does not start with a MANIFEST");
	w->mtext = ioc_xmalloc((size_t)size + 1);
	n = size ? archive_read_data(a, w->mtext, (size_t)size) : 0;
	if (n != size)
		return ioc_err(err, "image is corrupt or truncated: %s",
		    n < 0 ? archive_error_string(a) : "short manifest");
	w->mtext[size] = '\0';
	w->mlen = (size_t)size;
	ioc_sha256_init(&h);
	ioc_sha256_update(&h, w->mtext, w->mlen);
	ioc_sha256_final_hex(&h, w->mhex);
	if (ioc_manifest_parse(w->mtext, w->mlen, &w->m, err) != 0)
		return -1;
	w->shex = ioc_xcalloc(w->m.nds, sizeof(*w->shex));
	if (w->manifest && w->manifest(w->cb, err) != 0)
		return -1;
	return 0;
}

/* Ends the current dataset's stream, if one is open: its checksum, then w->end. */
static int
ioc_walk_stream_end(struct ioc_walk_pos *p, struct ioc_walk *w, struct ioc_error **err)
{
	if (!p->in_stream)
		return 0;
	p->in_stream = 0;
	ioc_sha256_final_hex(&p->h, w->shex[p->cur]);
	if (w->end && w->end(w->cb, p->cur, err) != 0)
		return -1;
	return 0;
}

/* Reads the last member, SHA256SUMS, after every dataset's stream, and checks it. */
static int
ioc_walk_sums(struct ioc_walk_pos *p, struct ioc_walk *w, la_int64_t size, struct ioc_error **err)
{
	_cleanup_free_ char *t = NULL;
	la_ssize_t n;
	if (ioc_walk_stream_end(p, w, err) != 0)
		return -1;
	if (p->cur + 1 != w->m.nds)
		return ioc_err(err, "image is corrupt or truncated: streams are missing");
	if (size > 65536)
		return ioc_err(err, "image is corrupt: SHA256SUMS is too large");
	t = ioc_xmalloc((size_t)size + 1);
	n = size ? archive_read_data(p->a, t, (size_t)size) : 0;
	if (n != size)
		return ioc_err(err, "image is corrupt or truncated: short SHA256SUMS");
	if (ioc_walk_check_sums(w, t, (size_t)size, err) != 0)
		return -1;
	p->have_sums = 1;
	return 0;
}

/*
 * Passes the data of the current member, a chunk of the current stream, to
 * w->feed, hashed as it goes; a stream's first chunk has its BEGIN record
 * checked before a byte of it is fed on.
 */
static int
ioc_walk_feed(struct ioc_walk_pos *p, struct ioc_walk *w, int first, struct ioc_error **err)
{
	la_ssize_t n;
	while ((n = archive_read_data(p->a, p->buf, 1 << 16)) > 0) {
		if (first) {
			/* the first read of a chunk of >= 312 bytes returns them all
			 * unless the archive is broken: insist */
			if ((size_t)n < IOC_DRR_BEGIN_LEN)
				return ioc_err(err,
				    "image is corrupt: short read of the stream "
				    "of '%s'",
				    w->m.ds[p->cur].name);
			if (ioc_image_check_begin(p->buf, (size_t)n, &w->m.ds[p->cur], err) != 0)
				return -1;
			first = 0;
		}
		ioc_sha256_update(&p->h, p->buf, (size_t)n);
		p->sofar += (unsigned long long)n;
		if (w->feed && w->feed(w->cb, p->cur, p->buf, (size_t)n, err) != 0)
			return -1;
		if (w->progress)
			w->progress(w->parg, (size_t)n, 0);
	}
	if (n < 0)
		return ioc_err(
		    err, "image is corrupt or truncated: %s", archive_error_string(p->a));
	return 0;
}

/* Takes a stream member: the current dataset's next chunk, or the next dataset's first. */
static int
ioc_walk_stream(struct ioc_walk_pos *p, struct ioc_walk *w, const char *name, la_int64_t size,
    struct ioc_error **err)
{
	/* streams/NAME.zfs.NNNNNN: the current dataset's next chunk, or the next's first */
	_cleanup_free_ char *same = NULL;
	_cleanup_free_ char *next = NULL;
	int first = 0;
	if (p->in_stream)
		same = ioc_xasprintf("streams/%s.zfs.%06zu", w->m.ds[p->cur].name, p->chunk);
	if (p->cur + 1 < w->m.nds)
		next = ioc_xasprintf("streams/%s.zfs.000000", w->m.ds[p->cur + 1].name);
	if (same && strcmp(name, same) == 0) {
		p->chunk++;
	} else if (next && strcmp(name, next) == 0) {
		if (ioc_walk_stream_end(p, w, err) != 0)
			return -1;
		p->cur++;
		p->chunk = 1;
		p->in_stream = 1;
		first = 1;
		ioc_sha256_init(&p->h);
		if (w->start && w->start(w->cb, p->cur, err) != 0)
			return -1;
	} else {
		return ioc_err(err, "image is corrupt: unexpected member '%s'",
		    !ioc_has_ctrl(name) && strlen(name) < 200 ? name : "(unprintable)");
	}
	if (first && size < IOC_DRR_BEGIN_LEN)
		return ioc_err(
		    err, "image is corrupt: the stream of '%s' is too short", w->m.ds[p->cur].name);
	return ioc_walk_feed(p, w, first, err);
}

/*
 * One pass over an image read from fd (a file or a pipe, read once, in
 * order).  Verifies member names, order and types, the manifest, every
 * stream's BEGIN record before a byte of that stream is fed on, and every
 * checksum while the streams go to w->feed (hashed as they pass): a
 * mismatch is known at SHA256SUMS, the end, and the caller then undoes what
 * the receives made.
 */
static int
ioc_walk_image(int fd, struct ioc_walk *w, struct ioc_error **err)
{
	struct archive_entry *e;
	_cleanup_free_ unsigned char *buf = ioc_xmalloc(1 << 16);
	struct ioc_walk_pos p;
	int rc = -1, r;

	memset(&p, 0, sizeof(p));
	p.a = archive_read_new();
	p.buf = buf;
	p.cur = (size_t)-1;
	archive_read_support_format_tar(p.a);
	if (archive_read_open_fd(p.a, fd, 1 << 16) != ARCHIVE_OK) {
		ioc_err(
		    err, "not an iocage image, or a corrupt one: %s", archive_error_string(p.a));
		goto out;
	}
	for (;;) {
		const char *name;
		la_int64_t size;
		r = archive_read_next_header(p.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			ioc_err(
			    err, "image is corrupt or truncated: %s", archive_error_string(p.a));
			goto out;
		}
		name = archive_entry_pathname(e);
		size = archive_entry_size(e);
		if (name == NULL || archive_entry_filetype(e) != AE_IFREG ||
		    !archive_entry_size_is_set(e) || size < 0 ||
		    (unsigned long long)size > IOC_IMAGE_CHUNK_MAX) {
			ioc_err(err, "image is corrupt: unexpected member '%s'",
			    name && !ioc_has_ctrl(name) && strlen(name) < 200 ? name :
										"(unprintable)");
			goto out;
		}
		if (p.have_sums) {
			ioc_err(err, "image is corrupt: members after SHA256SUMS");
			goto out;
		}
		/* the manifest comes first */
		if (w->mtext == NULL)
			r = ioc_walk_manifest(p.a, w, name, size, err);
		else if (strcmp(name, "SHA256SUMS") == 0)
			r = ioc_walk_sums(&p, w, size, err);
		else
			r = ioc_walk_stream(&p, w, name, size, err);
		if (r != 0)
			goto out;
	}
	if (w->mtext == NULL) {
		ioc_err(err, "not an iocage image: it is empty");
		goto out;
	}
	if (!p.have_sums) {
		ioc_err(err, "image is truncated: SHA256SUMS is missing");
		goto out;
	}
	w->total = p.sofar;
	rc = 0;
out:
	archive_read_free(p.a);
	return rc;
}

struct ioc_import {
	struct ioc_walk w;
	char *jailds;
	int pipefd;
	int running;
	struct ioc_async b;
	size_t cur;
};

static int
ioc_imp_start(void *cb, size_t ds, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	_cleanup_free_ char *target = ioc_xasprintf("%s/%s", im->jailds, im->w.m.ds[ds].name);
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return ioc_err(err, "cannot create a pipe: %s", strerror(errno));
	ioc_big_pipe(p[1]);
	if (ioc_zfs_receive_async(target, p[0], &im->b, err) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	im->pipefd = p[1];
	im->running = 1;
	im->cur = ds;
	return 0;
}

static int
ioc_imp_end(void *cb, size_t ds, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	_cleanup_free_ char *what = ioc_xasprintf("zfs receive of '%s'", im->w.m.ds[ds].name);
	if (!im->running)
		return 0;
	close(im->pipefd);
	im->pipefd = -1;
	im->running = 0;
	/* the stream's checksum is compared when SHA256SUMS is read; a receive
	 * that took a bad stream is undone with the whole jail */
	return ioc_run_async_wait(&im->b, what, err);
}

static int
ioc_imp_feed(void *cb, size_t ds, const void *buf, size_t n, struct ioc_error **err)
{
	struct ioc_import *im = cb;
	(void)ds;
	if (ioc_write_full(im->pipefd, buf, n) != 0)
		return ioc_err(err, "zfs receive of '%s' stopped reading its stream (%s)",
		    im->w.m.ds[im->cur].name, strerror(errno));
	return 0;
}

/*
 * Checks what the receives made: no origin but the expected, no local
 * properties.  rows keeps what the one `zfs get -r all` read (the scan, the
 * values below and the snapshot cleanup use it: no second read).
 */
static int
ioc_import_postcheck(
    struct ioc_import *im, const char *relsnap, struct ioc_zrows *rows, struct ioc_error **err)
{
	char *names[] = { im->jailds, NULL };
	size_t i, jl = strlen(im->jailds);
	int rc = 0;
	if (ioc_zfs_get(names, "all", 1, -1, NULL, 1, rows, err) != 0)
		return -1;
	for (i = 0; i < rows->n && rc == 0; i++) {
		const struct ioc_zrow *r = &rows->v[i];
		const char *rel = r->name + jl;
		if (strcmp(r->name, im->jailds) == 0 || strchr(r->name, '@'))
			continue;
		if (strcmp(r->prop, "origin") == 0) {
			int root = strcmp(rel, "/root") == 0;
			int inc = root && im->w.m.ds[0].incremental;
			if (inc ? relsnap == NULL || strcmp(r->value, relsnap) != 0 :
				  strcmp(r->value, "-") != 0)
				rc = ioc_err(err,
				    "received dataset '%s' has the unexpected origin '%s'", r->name,
				    r->value);
		} else if (strcmp(r->source, "local") == 0 || strcmp(r->source, "received") == 0) {
			rc = ioc_err(err, "received dataset '%s' carries the property %s: refused",
			    r->name, r->prop);
		}
	}
	return rc;
}

/*
 * A value the imported jail gets: from its planned properties, else R's own
 * (seen on the jail's dataset as inherited from R: a value from above R does
 * not count), else built in.
 */
static char *
ioc_import_value(const struct ioc_root *root, const struct ioc_strv *zprops,
    const struct ioc_zrows *rows, const char *jailds, const char *name)
{
	_cleanup_free_ char *prop = ioc_xasprintf(IOC_PROP_PREFIX "%s", name);
	_cleanup_free_ char *key = ioc_xasprintf("%s=", prop);
	_cleanup_free_ char *from_root = ioc_xasprintf("inherited from %s", root->name);
	const struct ioc_zrow *r = ioc_zrows_find(rows, jailds, prop);
	size_t i;
	for (i = 0; i < zprops->n; i++)
		if (strncmp(zprops->v[i], key, strlen(key)) == 0)
			return ioc_xstrdup(zprops->v[i] + strlen(key));
	if (r && strcmp(r->source, from_root) == 0)
		return ioc_xstrdup(r->value);
	return ioc_xstrdup(ioc_prop_find(name)->builtin);
}

/*
 * The received datasets are still a quarantine (untagged: list never shows
 * them).  Their trees may hold what no jail of ours would: device nodes, and
 * setuid files of ids outside the jail's range (a uid-0 setuid shell for an
 * unprivileged jail gives every host user root).  Refused, and the caller
 * destroys the quarantine.
 */
static int
ioc_import_scan(const struct ioc_root *root, struct ioc_import *im, const struct ioc_strv *zprops,
    const struct ioc_zrows *rows, struct ioc_error **err)
{
	static const char *const parts[] = { "root", "data", NULL };
	unsigned long base = 0, count = 0;
	size_t i;
#ifdef __linux__
	_cleanup_free_ char *userns = ioc_import_value(root, zprops, rows, im->jailds, "userns");
	_cleanup_free_ char *map = ioc_import_value(root, zprops, rows, im->jailds, "userns_idmap");
	if (ioc_parse_bool(userns) == 1) {
		const char *c = strchr(map, ':');
		long long h, n;
		_cleanup_free_ char *a = c ? ioc_xstrndup(map, (size_t)(c - map)) : NULL;
		if (c == NULL || ioc_parse_ll(a, 0, 4294967295LL, &h) != 0 ||
		    ioc_parse_ll(c + 1, 1, 4294967295LL, &n) != 0)
			return ioc_err(err, "invalid userns_idmap '%s'", map);
		base = (unsigned long)h;
		count = (unsigned long)n;
	}
#else
	(void)root;
	(void)zprops;
#endif
	for (i = 0; parts[i]; i++) {
		_cleanup_free_ char *ds = ioc_xasprintf("%s/%s", im->jailds, parts[i]);
		const struct ioc_zrow *r = ioc_zrows_find(rows, ds, "mountpoint");
		const char *mp = r ? r->value : NULL;
		if (mp == NULL || mp[0] != '/')
			continue; /* no such dataset, or not mounted */
		if (ioc_tree_refuse_hostile(mp, base, count, err) != 0)
			return ioc_error_wrap(err, "the image's %s is refused", parts[i]);
	}
	return 0;
}

const char *
ioc_override(const struct ioc_import_req *l, const char *name)
{
	size_t i;
	for (i = l->n; i > 0; i--)
		if (strcmp(l->p[i - 1]->name, name) == 0)
			return l->v[i - 1];
	return NULL;
}

int
ioc_tag_used(const struct ioc_jails *js, const char *tag)
{
	size_t i;
	for (i = 0; i < js->n; i++)
		if (js->v[i].complete && strcmp(ioc_jail_get(&js->v[i], "tag"), tag) == 0)
			return 1;
	return 0;
}

/* The jail's UUID: the image's unless this root has it already. */
char *
ioc_import_uuid(const struct ioc_root *root, const struct ioc_jails *js, const char *want)
{
	size_t i;
	_cleanup_free_ char *ds = NULL;
	if (want == NULL)
		return ioc_uuid_new();
	for (i = 0; i < js->n; i++)
		if (strcmp(js->v[i].uuid, want) == 0)
			return ioc_uuid_new();
	ds = ioc_xasprintf("%s/jails/%s", root->name, want);
	if (ioc_zfs_exists(ds))
		return ioc_uuid_new();
	return ioc_xstrdup(want);
}

/* Makes the jail's dataset untagged (the quarantine) with its type, release and properties. */
int
ioc_import_quarantine(const char *jailds, const char *type, const char *release,
    const struct ioc_strv *zprops, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv cp = IOC_STRV_INIT;
	_cleanup_free_ char *now = ioc_now_fmt("%Y-%m-%d %H:%M:%S");
	size_t i;
	ioc_strv_push(&cp, "canmount=off");
	ioc_strv_push(&cp, "devices=off");
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "type=%s", type);
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "release=%s", release);
	ioc_strv_pushf(&cp, IOC_PROP_PREFIX "created=%s", now);
	for (i = 0; i < zprops->n; i++)
		ioc_strv_push(&cp, zprops->v[i]);
	return ioc_zfs_create(jailds, &cp, 0, err);
}

/* Hands out the complete jail's UUID and tag, then makes its tag links. */
int
ioc_import_publish(const struct ioc_root *root, const struct ioc_jails *js, const char *uuid,
    const char *tag, char **uuid_out, char **tag_out, struct ioc_error **err)
{
	*uuid_out = ioc_xstrdup(uuid);
	*tag_out = ioc_xstrdup(tag);
	if (ioc_ops_tag_links(root, js->legacy, uuid, tag, err) != 0)
		return ioc_error_wrap(err, "jail '%s' (%s) imported, but", tag, uuid);
	return 0;
}

/* Finds R/releases/REL/root@* whose guid is g. */
static int
ioc_release_by_guid(const struct ioc_root *root, const char *rel, unsigned long long g, char **snap,
    struct ioc_error **err)
{
	_cleanup_free_ char *rr = ioc_xasprintf("%s/releases/%s/root", root->name, rel);
	char *names[] = { rr, NULL };
	struct ioc_zrows rows;
	size_t i;
	*snap = NULL;
	if (!ioc_zfs_exists(rr))
		return 0;
	ioc_zrows_init(&rows);
	if (ioc_zfs_get(names, "guid", 0, 1, NULL, 1, &rows, err) != 0) {
		ioc_zrows_release(&rows);
		return -1;
	}
	for (i = 0; i < rows.n; i++)
		if (strchr(rows.v[i].name, '@') && strtoull(rows.v[i].value, NULL, 10) == g) {
			*snap = ioc_xstrdup(rows.v[i].name);
			break;
		}
	ioc_zrows_release(&rows);
	return 0;
}

/*
 * The manifest hook of import: every check the manifest allows (tag, release
 * snapshot of an incremental image, properties), then the quarantine: the
 * jail's dataset made untagged (list never shows it; debris to the next
 * command if this one dies), into which the streams are received.
 */
struct ioc_import_run {
	struct ioc_import im;
	const struct ioc_root *root;
	const struct ioc_import_req *ov;
	struct ioc_jails *js;
	struct ioc_strv zprops;
	char *relsnap, *uuid, *tag;
	int created;
};

static int
ioc_imp_manifest(void *cb, struct ioc_error **err)
{
	struct ioc_import_run *q = cb;
	struct ioc_manifest *m = &q->im.w.m;
	const char *tag = ioc_override(q->ov, "tag");

	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	int all = 0;

	q->tag = ioc_xstrdup(tag ? tag : m->tag);
	/* the tag through the tag index (tagidx.h): the jail its entry names,
	 * or every jail's tag when the index is not complete */
	ioc_strv_push(&tags, q->tag);
	if (ioc_jails_load_tags_for(q->root, NULL, &tags, q->js, NULL, &all, err) != 0)
		return -1;
	if (ioc_tag_used(q->js, q->tag))
		return ioc_err(err,
		    "tag '%s' is already used by another jail: import with tag=NEWTAG", q->tag);
	if (m->ds[0].incremental) {
		if (ioc_release_by_guid(
			q->root, m->release, m->ds[0].from_guid, &q->relsnap, err) != 0)
			return -1;
		if (q->relsnap == NULL)
			return ioc_err(err,
			    "the image is incremental from release '%s' (snapshot guid "
			    "%llu), which this root does not have (a release fetched separately differs): "
			    "export the jail without -i",
			    m->release, m->ds[0].from_guid);
	}
	if (ioc_image_plan_props(m, q->ov->p, q->ov->v, q->ov->n, &q->zprops, err) != 0)
		return -1;
	q->uuid = ioc_import_uuid(q->root, q->js, m->uuid);
	/* act: debris among the jails read (all of them when the index was not complete) */
	if (ioc_clean_debris(q->root, q->js, NULL, err) != 0)
		return -1;
	q->im.jailds = ioc_xasprintf("%s/jails/%s", q->root->name, q->uuid);
	if (ioc_import_quarantine(q->im.jailds, m->ds[0].incremental ? "clonejail" : "jail",
		m->release, &q->zprops, err) != 0)
		return -1;
	q->created = 1;
	return 0;
}

/* Opens the image to import: a regular file, or standard input read as it comes. */
static int
ioc_import_open(const char *file, struct ioc_error **err)
{
	struct stat st;
	int fd;
	if (strcmp(file, "-") == 0) {
		if (isatty(0))
			return ioc_err(
			    err, "import: standard input is a terminal: pipe an image into it");
		return fcntl(0, F_DUPFD_CLOEXEC, 3);
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ioc_err(err, "cannot open '%s': %s",
		    ioc_has_ctrl(file) ? "(unprintable)" : file, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ioc_err(err, "'%s' is not a regular file", file);
	}
	return fd;
}

int
ioc_jail_import(const struct ioc_root *root, const struct ioc_import_req *req, char **uuid_out,
    char **tag_out, struct ioc_error **err)
{
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_import_run q;
	struct ioc_import *im = &q.im;
	struct ioc_zrows rows;
	int rc = -1, fd = -1;
	size_t d;

	memset(&q, 0, sizeof(q));
	ioc_strv_init(&q.zprops);
	ioc_zrows_init(&rows);
	im->pipefd = -1;
	if (ioc_override(req, "release") != NULL) {
		ioc_fail(err, IOC_EXIT_USAGE,
		    "import: the release comes from the image and cannot be given");
		goto out;
	}
	fd = ioc_import_open(req->file, err);
	if (fd < 0)
		goto out;
	/* one pass: the manifest is checked and the quarantine made before the
	   first stream; the streams are hashed as they go to zfs receive */
	q.root = root;
	q.ov = req;
	q.js = &js;
	signal(SIGPIPE, SIG_IGN);
	im->w.manifest = ioc_imp_manifest;
	im->w.feed = ioc_imp_feed;
	im->w.start = ioc_imp_start;
	im->w.end = ioc_imp_end;
	im->w.cb =
	    &q; /* q.im is its first member: the stream callbacks take it as their ioc_import */
	im->w.progress = req->progress;
	im->w.parg = req->progress_arg;
	if (ioc_walk_image(fd, &im->w, err) != 0) {
		if (im->running)
			ioc_imp_end(im, im->cur, NULL);
		goto out;
	}
	if (req->progress)
		req->progress(req->progress_arg, 0, 1);
	if (ioc_import_postcheck(im, q.relsnap, &rows, err) != 0 ||
	    ioc_import_scan(root, im, &q.zprops, &rows, err) != 0)
		goto out;
	/* the streams' snapshots are not the user's (their type rows, one each) */
	for (d = 0; d < rows.n; d++)
		if (strchr(rows.v[d].name, '@') && strcmp(rows.v[d].prop, "type") == 0 &&
		    ioc_zfs_destroy(rows.v[d].name, 0, err) != 0)
			goto out;
	if (ioc_tagidx_tag_jail(root, q.uuid, q.tag, err) != 0)
		goto out;
	q.created = 0; /* the jail is complete: nothing below removes it */
	rc = ioc_import_publish(root, &js, q.uuid, q.tag, uuid_out, tag_out, err);
out:
	if (rc != 0 && q.created) {
		struct ioc_error *e2 = NULL;
		ioc_zfs_destroy(im->jailds, 1, &e2);
		ioc_error_free(e2);
	}
	if (fd >= 0)
		close(fd);
	if (im->pipefd >= 0)
		close(im->pipefd);
	free(im->jailds);
	free(q.relsnap);
	free(q.uuid);
	free(q.tag);
	ioc_strv_release(&q.zprops);
	ioc_zrows_release(&rows);
	ioc_walk_release(&im->w);
	ioc_jails_release(&js);
	return rc;
}
