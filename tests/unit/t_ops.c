/*
 * t_ops.c — the pure parts of the create operation (ops/ops.h): default
 * tags, tag uniqueness among complete jails, and the checking of a new
 * jail's PROPERTY=VALUE words that package import and update release= use.
 */
#include "ops/ops.h"
#include "check.h"

#include <stdlib.h>

/* A loaded jail with only its tag (values indexed by the property table). */
static void
jail_with_tag(struct ioc_jail *j, const char *uuid, const char *tag, int complete)
{
	const struct ioc_prop *p = ioc_prop_find("tag");
	memset(j, 0, sizeof(*j));
	j->uuid = (char *)uuid;
	j->complete = complete;
	j->values = calloc(ioc_nprops, sizeof(*j->values));
	j->values[p - ioc_props] = (char *)tag;
}

int
main(void)
{
	struct ioc_jail v[3];
	struct ioc_jails js = { v, 3, 0 };
	struct ioc_assign *as = NULL;
	struct ioc_error *err = NULL;
	size_t n = 0, i;
	char *t;

	t = ioc_jail_default_tag("0b6c2f1e-1111-4222-8333-444455556666");
	CHECK_STR(t, "0b6c2f1e");
	free(t);
	/* an all-digit tag would read as a jail number: it gets a letter */
	t = ioc_jail_default_tag("12345678-1111-4222-8333-444455556666");
	CHECK_STR(t, "j12345678");
	free(t);

	jail_with_tag(&v[0], "aaaaaaaa-1111-4222-8333-444455556666", "web", 1);
	jail_with_tag(&v[1], "bbbbbbbb-1111-4222-8333-444455556666", "db", 0); /* debris */
	jail_with_tag(&v[2], "cccccccc-1111-4222-8333-444455556666", "mail", 1);
	CHECK(ioc_jails_tag_taken(&js, "web", NULL));
	CHECK(ioc_jails_tag_taken(&js, "mail", NULL));
	/* debris holds no tag; a jail's own tag is not taken for itself */
	CHECK(!ioc_jails_tag_taken(&js, "db", NULL));
	CHECK(!ioc_jails_tag_taken(&js, "web", v[0].uuid));
	CHECK(ioc_jails_tag_taken(&js, "web", v[2].uuid));
	CHECK(!ioc_jails_tag_taken(&js, "none", NULL));
	for (i = 0; i < 3; i++)
		free(v[i].values);

	{
		char *const ok[] = { "vnet=off", "ip4=inherit", "interfaces=none" };
		CHECK(ioc_assigns_parse(ok, 3, &as, &n, &err) == 0);
		CHECK(n == 3);
		CHECK(n == 3 && strcmp(as[0].p->name, "vnet") == 0 &&
		    strcmp(as[0].value, "off") == 0);
		CHECK(n == 3 && strcmp(as[2].p->name, "interfaces") == 0);
		ioc_assigns_free(as, n);
	}
	{
		/* the first bad word stops it; what was parsed is the caller's to free */
		char *const bad[] = { "boot=on", "nosuchprop=1", "vnet=off" };
		CHECK(ioc_assigns_parse(bad, 3, &as, &n, &err) == -1);
		CHECK(n == 1);
		CHECK(err != NULL && strstr(err->msg, "nosuchprop") != NULL);
		ioc_error_free(err);
		err = NULL;
		ioc_assigns_free(as, n);
	}
	{
		char *const badval[] = { "boot=maybe" };
		CHECK(ioc_assigns_parse(badval, 1, &as, &n, &err) == -1);
		CHECK(err != NULL && strstr(err->msg, "maybe") != NULL);
		ioc_error_free(err);
		err = NULL;
		ioc_assigns_free(as, n);
	}
	{
		/* sync-info's answer from another host: exactly its two lines (three
		 * when a release was asked of), or nothing */
		static const char *const junk[] = { "", "replica yes\n", "replica yes\nsnapshots 1",
			"replica maybe\nsnapshots\n", "replica yes\nsnapshots1\n",
			"replica yes\nsnapshots 2 1\n", "replica yes\nsnapshots 1  2\n",
			"replica yes\nsnapshots 0\n", "replica yes\nsnapshots 1\nextra\n",
			"replica no\nsnapshots -1\n", "replica no\nsnapshots\nrelease maybe\n",
			"replica no\nsnapshots\nrelease same", "replica no\nsnapshots\nrelease\n",
			"replica no\nsnapshots\nrelease same\nx\n", "release same\nreplica no\n",
			"replica no\nsnapshots\nrelease same other\n", NULL };
		static const char *const rels[] = { "absent", "same", "other" };
		long long *tv = NULL;
		size_t tn = 0;
		int exists = -1, rel = 5, k;
		CHECK(ioc_sync_info_parse(
			  "replica yes\nsnapshots 1 7\n", &exists, &tv, &tn, &rel) == 0);
		CHECK(exists == 1 && tn == 2 && tv[0] == 1 && tv[1] == 7 && rel == -1);
		free(tv);
		CHECK(ioc_sync_info_parse("replica no\nsnapshots\n", &exists, &tv, &tn, &rel) == 0);
		CHECK(exists == 0 && tn == 0 && tv == NULL);
		for (k = 0; k < 3; k++) {
			char buf[80];
			snprintf(
			    buf, sizeof(buf), "replica no\nsnapshots 3\nrelease %s\n", rels[k]);
			CHECK(ioc_sync_info_parse(buf, &exists, &tv, &tn, &rel) == 0);
			CHECK(rel == k && tn == 1 && tv[0] == 3);
			CHECK(strcmp(ioc_sync_release_word(k), rels[k]) == 0);
			free(tv);
		}
		for (i = 0; junk[i]; i++) {
			CHECK(ioc_sync_info_parse(junk[i], &exists, &tv, &tn, &rel) == -1);
			CHECK(tv == NULL && tn == 0);
		}
	}
	{
		/* an op the engine lacks: a clear error naming the command and the engine */
		const struct ioc_engine_ops *e = ioc_engine();
		CHECK(ioc_engine_need((const void *)e->start, "start", &err) == 0 && err == NULL);
		CHECK(ioc_engine_need(NULL, "cap", &err) == -1);
		CHECK(err != NULL && strstr(err->msg, "cap: not supported by the ") != NULL &&
		    strstr(err->msg, e->name) != NULL);
		ioc_error_free(err);
		err = NULL;
	}
	return CHECK_DONE();
}
