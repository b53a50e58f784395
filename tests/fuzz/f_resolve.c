/* f_resolve.c — libFuzzer target: naming a jail by tag, UUID or UUID prefix
 * (ioc_jail_resolve), and the tag/UUID validators.  Input: the name on the first
 * line, then one jail per line "UUID [TAG]" (a leading '!' marks debris: an
 * incomplete jail).  A name resolves only to a complete jail, to an exact tag or
 * UUID match when there is one, else to the one jail whose UUID it prefixes (at
 * least IOC_UUID_PREFIX_MIN hex characters); errors are one printable line. */
#include "core/core.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = ioc_xstrndup((const char *)data, size);
	struct ioc_strv lines = IOC_STRV_INIT;
	struct ioc_jails js = { NULL, 0 };
	struct ioc_jail *hit = NULL;
	struct ioc_error *e = NULL;
	const struct ioc_prop *tp = ioc_prop_find("tag");
	size_t tagi = (size_t)(tp - ioc_props), i, nl, exact = 0, prefixed = 0;
	const char *name;
	int rc;

	ioc_strv_split(&lines, s, '\n');
	name = lines.n ? lines.v[0] : "";
	nl = strlen(name);
	for (i = 1; i < lines.n && js.n < 64; i++) {
		struct ioc_jail *j;
		char *l = lines.v[i], *sp;
		int debris = l[0] == '!';
		if (debris)
			l++;
		if (*l == '\0' || *l == ' ')
			continue; /* a dataset name component is never empty */
		js.v = ioc_xrealloc(js.v, (js.n + 1) * sizeof(*js.v));
		j = &js.v[js.n++];
		memset(j, 0, sizeof(*j));
		j->values = ioc_xcalloc(ioc_nprops, sizeof(char *));
		j->srcs = ioc_xcalloc(ioc_nprops, sizeof(*j->srcs));
		j->natsrc = ioc_xcalloc(ioc_nprops, sizeof(char *));
		j->ignored_from = ioc_xcalloc(ioc_nprops, sizeof(char *));
		sp = strchr(l, ' ');
		j->uuid = sp ? ioc_xstrndup(l, (size_t)(sp - l)) : ioc_xstrdup(l);
		/* a UUID is a dataset name component iocage made: map other bytes into
		 * [0-9a-f-] so that prefixes collide often */
		for (char *c = j->uuid; *c; c++)
			if (!strchr("0123456789abcdef-", *c))
				*c = "0123456789abcdef-"[(unsigned char)*c % 17];
		j->values[tagi] = ioc_xstrdup(sp ? sp + 1 : j->uuid);
		j->dataset = ioc_xasprintf("r/jails/%s", j->uuid);
		j->complete = !debris;
	}
	for (i = 0; i < js.n; i++) {
		if (!js.v[i].complete)
			continue;
		if (strcmp(js.v[i].values[tagi], name) == 0 || strcmp(js.v[i].uuid, name) == 0)
			exact++;
		else if (nl >= IOC_UUID_PREFIX_MIN && strspn(name, "0123456789abcdef-") == nl &&
		    strncmp(js.v[i].uuid, name, nl) == 0)
			prefixed++;
	}
	rc = ioc_jail_resolve(&js, name, &hit, &e);
	if (rc == 0) {
		if (hit == NULL || !hit->complete)
			__builtin_trap();
		if (exact) {
			if (strcmp(hit->values[tagi], name) != 0 && strcmp(hit->uuid, name) != 0)
				__builtin_trap();
		} else if (prefixed != 1 || strncmp(hit->uuid, name, nl) != 0)
			__builtin_trap();
	} else if (nl == 0) {
		/* an empty name is a usage error, whatever the jails are called */
		if (hit != NULL || e == NULL || e->code != IOC_EXIT_USAGE)
			__builtin_trap();
	} else {
		if (hit != NULL || e == NULL || e->msg == NULL || exact || prefixed == 1)
			__builtin_trap();
		/* control characters in the message only where a tag (written with
		 * `zfs set` behind iocage's back) had them: never the name's own */
		int tagctrl = 0;
		for (i = 0; i < js.n; i++)
			tagctrl |= ioc_has_ctrl(js.v[i].values[tagi]);
		if (ioc_has_ctrl(e->msg) && !tagctrl)
			__builtin_trap();
		if (ioc_has_ctrl(name) && strstr(e->msg, name) != NULL)
			__builtin_trap();
	}
	ioc_error_free(e);
	e = NULL;
	/* a valid tag is never a UUID, never all digits, never names a path */
	if (ioc_valid_tag(name, &e) == 0) {
		if (ioc_is_uuid(name) || strspn(name, "0123456789") == nl || strchr(name, '/') ||
		    name[0] == '.' || name[0] == '-' || nl > 128)
			__builtin_trap();
	} else if (e == NULL || (ioc_has_ctrl(e->msg) && nl > 0))
		__builtin_trap();
	ioc_error_free(e);
	ioc_jails_release(&js);
	ioc_strv_release(&lines);
	free(s);
	return 0;
}
