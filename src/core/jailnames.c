/*
 * jailnames.c — a jail by its name (core.h): tags (through the tag index
 * when it can answer, tagidx.h), UUIDs and UUID prefixes, and create's read
 * of the tags it is about to take.  The loading itself is jails.c's.
 */
#include "core/jails_int.h"
#include "core/tagidx.h"
#include "core/runrec.h"

#include <string.h>
#include <unistd.h>

const struct ioc_jail *
ioc_jails_tag_holder(const struct ioc_jails *js, const char *tag, const char *self)
{
	size_t i;
	for (i = 0; i < js->n; i++) {
		const char *t = ioc_jail_get(&js->v[i], "tag");
		if (js->v[i].complete && t && strcmp(t, tag) == 0 &&
		    (self == NULL || strcmp(js->v[i].uuid, self) != 0))
			return &js->v[i];
	}
	return NULL;
}

int
ioc_jails_load_tags_for(const struct ioc_root *root, const char *release,
    const struct ioc_strv *tags, struct ioc_jails *out, char **snap, int *all,
    struct ioc_error **err)
{
	static const char *const props[] = { "tag", NULL };
	struct ioc_tagidx_hit hit;
	int rc = -1;

	*all = 0;
	if (ioc_tagidx_lookup(root, release, tags, &hit, err) != 0)
		return -1;
	if (!hit.usable) {
		/* no complete index: every jail's tag (the caller completes the index) */
		*all = hit.exists ? 1 : 2;
		ioc_tagidx_hit_release(&hit);
		return ioc_jails_load_tags(root, release, out, snap, err);
	}
	/* the jails the entries name, their own tags read: a stale entry holds nothing */
	if (hit.uuids.n > 0) {
		if (ioc_jails_load_depth(root, props, NULL, 1, &hit.uuids, out, NULL, err) != 0)
			goto out;
	} else {
		out->v = NULL;
		out->n = 0;
	}
	out->legacy = hit.legacy;
	if (snap) {
		*snap = hit.snap;
		hit.snap = NULL;
	}
	rc = 0;
out:
	ioc_tagidx_hit_release(&hit);
	return rc;
}

/* Whether name may be taken as a UUID prefix: IOC_UUID_PREFIX_MIN or more
 * lower-case hex characters (shorter or other words are names only). */
static int
ioc_uuid_prefix_ok(const char *name)
{
	size_t nl = strlen(name);
	return nl >= IOC_UUID_PREFIX_MIN && strspn(name, "0123456789abcdef-") == nl;
}

/*
 * Loads the jail uuid alone (one read: it also checks the root); 1 when it is
 * complete and (tag not NULL) holds tag, 0 when not (js empty again).
 */
static int
ioc_jail_load_uuid(const struct ioc_root *root, const char *uuid, const char *tag,
    const char *const *props, struct ioc_jails *js, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv cand = IOC_STRV_INIT;
	ioc_strv_push(&cand, uuid);
	if (ioc_jails_load_depth(root, props, NULL, 2, &cand, js, NULL, err) != 0)
		return -1;
	/* gone, half made, or its entry stale: the ordinary lookup says what it is */
	if (js->n != 1 || !js->v[0].complete ||
	    (tag && ioc_jails_tag_holder(js, tag, NULL) == NULL)) {
		ioc_jails_release(js);
		return 0;
	}
	return 1;
}

/*
 * ioc_jails_load_named through the tag index: names that are full UUIDs or
 * tags with an entry each (a name that may be a UUID prefix must be matched
 * against every UUID: not here).  *done stays 0 when the index cannot answer
 * (no complete index, a name without an entry, an entry whose jail holds
 * another tag now): the caller reads every jail's tag.
 */
static int
ioc_jails_named_indexed(const struct ioc_root *root, const char *const *props, char *const *names,
    struct ioc_jails *out, int *done, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv cand = IOC_STRV_INIT;
	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	struct ioc_tagidx_hit hit;
	size_t i;

	*done = 0;
	for (i = 0; names[i]; i++) {
		if (ioc_is_uuid(names[i]))
			ioc_strv_push(&cand, names[i]);
		else if (ioc_uuid_prefix_ok(names[i]))
			return 0;
		else
			ioc_strv_push(&tags, names[i]);
	}
	if (tags.n == 0)
		return 0;
	if (cand.n == 0 && tags.n == 1) {
		/* one tag: the jail it named last time alone, if it still holds it */
		_cleanup_free_ char *uuid = ioc_runrec_name_hint(root->name, tags.v[0]);
		int r = uuid ? ioc_jail_load_uuid(root, uuid, tags.v[0], props, out, err) : 0;
		if (r != 0) {
			*done = r == 1;
			return r < 0 ? -1 : 0;
		}
	}
	if (ioc_tagidx_lookup(root, NULL, &tags, &hit, err) != 0)
		return -1;
	if (!hit.usable || hit.missing > 0) {
		ioc_tagidx_hit_release(&hit);
		return 0;
	}
	for (i = 0; i < hit.uuids.n; i++)
		if (!ioc_strv_contains(&cand, hit.uuids.v[i]))
			ioc_strv_push(&cand, hit.uuids.v[i]);
	ioc_tagidx_hit_release(&hit);
	if (ioc_jails_load_depth(root, props, NULL, 2, &cand, out, NULL, err) != 0)
		return -1;
	/* each tag's entry must name a jail that holds it still */
	for (i = 0; i < tags.n; i++) {
		const struct ioc_jail *h = ioc_jails_tag_holder(out, tags.v[i], NULL);
		if (h == NULL) {
			ioc_jails_release(out);
			return 0;
		}
		if (cand.n == 1 && tags.n == 1)
			ioc_runrec_name_note(root->name, tags.v[0], h->uuid);
	}
	*done = 1;
	return 0;
}

int
ioc_jails_load_named(const struct ioc_root *root, const char *const *props, char *const *names,
    struct ioc_jails *out, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv cand = IOC_STRV_INIT;
	struct ioc_jails t;
	size_t i, k;
	int uuids = names[0] != NULL;

	out->v = NULL;
	out->n = 0;
	out->legacy = 0;
	for (i = 0; names[i]; i++)
		uuids &= ioc_is_uuid(names[i]);
	if (uuids) {
		/* tags never look like a UUID: R/jails/UUID alone decides */
		for (i = 0; names[i]; i++)
			ioc_strv_push(&cand, names[i]);
		if (ioc_jails_load_depth(root, props, NULL, 2, &cand, out, NULL, err) != 0)
			return -1;
		if (out->n > 0)
			return 0;
		/* none there: the tag read below checks the root and finds nothing */
		ioc_strv_release(&cand);
		ioc_strv_init(&cand);
	} else {
		int done;
		if (ioc_jails_named_indexed(root, props, names, out, &done, err) != 0)
			return -1;
		if (done)
			return 0;
	}
	if (ioc_jails_load_tags(root, NULL, &t, NULL, err) != 0)
		return -1;
	for (k = 0; k < t.n; k++) {
		const char *tag = ioc_jail_get(&t.v[k], "tag");
		for (i = 0; names[i]; i++) {
			/* a prefix as ioc_jail_resolve takes one: 'b' names no jail 'b…' */
			if (strcmp(tag, names[i]) != 0 && strcmp(t.v[k].uuid, names[i]) != 0 &&
			    !(ioc_uuid_prefix_ok(names[i]) &&
				strncmp(t.v[k].uuid, names[i], strlen(names[i])) == 0))
				continue;
			if (!ioc_strv_contains(&cand, t.v[k].uuid))
				ioc_strv_push(&cand, t.v[k].uuid);
		}
	}
	ioc_jails_release(&t);
	if (cand.n == 0)
		return 0;
	return ioc_jails_load_depth(root, props, NULL, 2, &cand, out, NULL, err);
}

/* ioc_jail_load_uuid under the jail's lock (*lockfd, held when 1). */
static int
ioc_jail_load_held(const struct ioc_root *root, const char *uuid, const char *tag,
    struct ioc_jails *js, struct ioc_jail **j, int *lockfd, struct ioc_error **err)
{
	int r, fd = ioc_lock_jail(root, uuid, err);
	if (fd < 0)
		return -1;
	r = ioc_jail_load_uuid(root, uuid, tag, NULL, js, err);
	if (r != 1) {
		close(fd);
		return r;
	}
	*j = &js->v[0];
	*lockfd = fd;
	return 1;
}

int
ioc_jail_load_locked(const struct ioc_root *root, const char *name, struct ioc_jails *js,
    struct ioc_jail **j, int *lockfd, struct ioc_error **err)
{
	_cleanup_strv_ struct ioc_strv tags = IOC_STRV_INIT;
	_cleanup_free_ char *uuid = NULL;
	struct ioc_tagidx_hit hit;
	int r;

	js->v = NULL;
	js->n = 0;
	js->legacy = 0;
	*j = NULL;
	*lockfd = -1;
	if (ioc_is_uuid(name))
		return ioc_jail_load_held(root, name, NULL, js, j, lockfd, err);
	if (ioc_uuid_prefix_ok(name))
		return 0;
	/* the UUID this tag named last time: that jail alone, if it still holds it */
	uuid = ioc_runrec_name_hint(root->name, name);
	if (uuid && (r = ioc_jail_load_held(root, uuid, name, js, j, lockfd, err)) != 0)
		return r;
	free(uuid);
	uuid = NULL;
	ioc_strv_push(&tags, name);
	if (ioc_tagidx_lookup(root, NULL, &tags, &hit, err) != 0)
		return -1;
	if (hit.usable && hit.missing == 0 && hit.uuids.n == 1)
		uuid = ioc_xstrdup(hit.uuids.v[0]);
	ioc_tagidx_hit_release(&hit);
	if (uuid == NULL)
		return 0;
	r = ioc_jail_load_held(root, uuid, name, js, j, lockfd, err);
	if (r == 1)
		ioc_runrec_name_note(root->name, name, uuid);
	return r;
}

int
ioc_jail_load_one(const struct ioc_root *root, const char *name, const char *const *props, int all,
    struct ioc_jails *js, struct ioc_jail **j, struct ioc_error **err)
{
	char *const names[] = { (char *)name, NULL };
	if ((all ? ioc_jails_load(root, props, js, err) :
		   ioc_jails_load_named(root, props, names, js, err)) != 0)
		return -1;
	if (ioc_jail_resolve(js, name, j, err) != 0) {
		ioc_jails_release(js);
		return -1;
	}
	return 0;
}

int
ioc_jail_resolve(
    const struct ioc_jails *js, const char *name, struct ioc_jail **out, struct ioc_error **err)
{
	struct ioc_sb sb = IOC_SB_INIT;
	size_t i, n = 0, nl = strlen(name);
	struct ioc_jail *hit = NULL;

	*out = NULL;
	if (*name == '\0')
		return ioc_fail(
		    err, IOC_EXIT_USAGE, "a jail name (tag, UUID or UUID prefix) is required");
	for (i = 0; i < js->n; i++) {
		const char *tag = ioc_jail_get(&js->v[i], "tag");
		if (!js->v[i].complete)
			continue;
		if ((tag && strcmp(tag, name) == 0) || strcmp(js->v[i].uuid, name) == 0) {
			*out = &js->v[i];
			return 0;
		}
	}
	if (!ioc_uuid_prefix_ok(name)) {
		/* short or non-hex words are names, never prefixes: 'a' must not pick a jail */
		if (ioc_has_ctrl(name) || nl > 128)
			return ioc_err(
			    err, "no jail with that name (the name is not printable or too long)");
		return ioc_err(err,
		    "no jail named '%s' (name a jail by tag, UUID or a UUID prefix of at least %d characters; 'iocage list' shows them)",
		    name, IOC_UUID_PREFIX_MIN);
	}
	ioc_sb_init(&sb);
	for (i = 0; i < js->n; i++) {
		if (!js->v[i].complete || strncmp(js->v[i].uuid, name, nl) != 0)
			continue;
		hit = &js->v[i];
		ioc_sb_addf(&sb, "%s%s (%s)", n ? ", " : "", hit->uuid, ioc_jail_get(hit, "tag"));
		n++;
	}
	if (n == 1) {
		ioc_sb_release(&sb);
		*out = hit;
		return 0;
	}
	if (n > 1)
		ioc_err(err, "'%s' is ambiguous: it matches %s", name, sb.buf);
	else if (ioc_has_ctrl(name) || nl > 128)
		ioc_err(err, "no jail with that name (the name is not printable or too long)");
	else
		ioc_err(err,
		    "no jail named '%s' (name a jail by tag, UUID or unique UUID prefix; 'iocage list' shows them)",
		    name);
	ioc_sb_release(&sb);
	return -1;
}
