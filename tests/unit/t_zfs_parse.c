/* t_zfs_parse.c — `zfs get -H -p` parsing, the guard, name checks, output escaping. */
#include "check.h"
#include "core/props.h"
#include "util/output.h"
#include "zfs/zfs.h"

int
main(void)
{
	struct ioc_zrows r;
	struct ioc_error *e = NULL;

	ioc_zrows_init(&r);
	CHECK(ioc_zfs_parse_get("t/a\torg.freebsd.iocage:notes\tx\ty\tlocal\n"
	    "t/a@s\tused\t0\t-\n" "t/b\tquota\t0\tdefault\n", 0, &r, &e) == 0);
	CHECK(r.n == 2);
	CHECK_STR(r.v[0].value, "x\ty");	/* a tab inside a value stays in it */
	CHECK_STR(r.v[0].source, "local");
	CHECK_STR(r.v[1].name, "t/b");
	ioc_zrows_release(&r);
	/* snapshots kept on request */
	CHECK(ioc_zfs_parse_get("t/a@s\tused\t0\t-\n", 1, &r, &e) == 0 && r.n == 1);
	ioc_zrows_release(&r);
	/* short lines and forged names fail the whole parse */
	CHECK(ioc_zfs_parse_get("t/a\ttag\tx\n", 0, &r, &e) != 0);
	ioc_error_free(e);
	e = NULL;
	ioc_zrows_release(&r);
	CHECK(ioc_zfs_parse_get("t/a\ttag\tx\tlocal\n../x\ttag\ty\tlocal\n", 0, &r, &e) != 0);
	ioc_error_free(e);
	e = NULL;
	ioc_zrows_release(&r);
	CHECK(ioc_zfs_parse_get("", 0, &r, &e) == 0 && r.n == 0);
	ioc_zrows_release(&r);
	/*
	 * A value with a newline (written with `zfs set` behind iocage's back)
	 * forging a row of another dataset: the row of t/b inside t/a's block,
	 * or a second exec_prestart at the head of t/b's block, fails the parse.
	 */
	CHECK(ioc_zfs_parse_get("t/a\tnotes\tx\tlocal\n"
	    "t/b\texec_prestart\t/tmp/PWN\tlocal\n" "t/a\ttag\ta\tlocal\n"
	    "t/b\ttag\tb\tlocal\n" "t/b\texec_prestart\t-\t-\n", 0, &r, &e) != 0);
	CHECK(e && strstr(e->msg, "t/a in two places") && strstr(e->msg, "newline"));
	ioc_error_free(e);
	e = NULL;
	ioc_zrows_release(&r);
	CHECK(ioc_zfs_parse_get("t/a\ttag\ta\tlocal\n" "t/a\tnotes\tx\tlocal\n"
	    "t/b\texec_prestart\t/tmp/PWN\tlocal\n" "t/b\ttag\tb\tlocal\n"
	    "t/b\texec_prestart\t-\t-\n", 0, &r, &e) != 0);
	CHECK(e && strstr(e->msg, "property exec_prestart of t/b twice"));
	ioc_error_free(e);
	e = NULL;
	ioc_zrows_release(&r);
	/* a value whose newline leaves a short line names the property to fix */
	CHECK(ioc_zfs_parse_get("t/a\torg.freebsd.iocage:notes\tx\n"
	    "lxc.x=1\tlocal\n", 0, &r, &e) != 0);
	CHECK(e && strstr(e->msg, "org.freebsd.iocage:notes on t/a contains a newline") &&
	    strstr(e->msg, "zfs inherit org.freebsd.iocage:notes t/a"));
	ioc_error_free(e);
	e = NULL;
	ioc_zrows_release(&r);
	/* snapshots are blocks of their own */
	CHECK(ioc_zfs_parse_get("t/a\tused\t1\t-\n" "t/a@s\tused\t0\t-\n" "t/b\tused\t1\t-\n"
	    "t/b@s\tused\t0\t-\n", 0, &r, &e) == 0 && r.n == 2);
	ioc_zrows_release(&r);

	/* names */
	CHECK(ioc_zfs_valid_name("tank/iocage/jails/x@ioc-2024-01-01_10:00:00"));
	CHECK(!ioc_zfs_valid_name("tank//x") && !ioc_zfs_valid_name("tank/../x"));
	CHECK(!ioc_zfs_valid_name("tank/x@a@b") && !ioc_zfs_valid_name("tank/x@a/b"));
	CHECK(!ioc_zfs_valid_name("") && !ioc_zfs_valid_name("tank/a b") && !ioc_zfs_valid_name("/tank"));

	/* the guard */
	CHECK(ioc_zfs_guard("tank/iocage", NULL) != 0);	/* no root yet: nothing allowed */
	ioc_zfs_set_guard_root("tank/iocage");
	CHECK(ioc_zfs_guard("tank/iocage", NULL) == 0);
	CHECK(ioc_zfs_guard("tank/iocage/jails/x", NULL) == 0);
	CHECK(ioc_zfs_guard("tank/iocage@s", NULL) == 0);
	CHECK(ioc_zfs_guard("tank/iocage2", &e) != 0 && strstr(e->msg, "outside the iocage root"));
	ioc_error_free(e);
	e = NULL;
	CHECK(ioc_zfs_guard("tank", NULL) != 0 && ioc_zfs_guard("tank/vbox", NULL) != 0);
	CHECK(ioc_zfs_guard("tank/iocage/../vbox", NULL) != 0);
	/* the root itself is never destroyed (refused before any zfs call) */
	CHECK(ioc_zfs_destroy("tank/iocage", 1, &e) != 0 && strstr(e->msg, "root"));
	ioc_error_free(e);
	e = NULL;
	ioc_zfs_set_guard_root(NULL);

	/* output: -H escapes tabs and newlines; JSON escapes quotes and controls */
	{
		static const char *const cols[] = { "A", "B", NULL };
		const char *row[] = { "x\ty", "q\"\n" };
		struct ioc_table t;
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		ioc_table_init(&t, cols);
		ioc_table_add(&t, row);
		ioc_table_print(&t, IOC_FMT_TABS, f);
		ioc_table_print(&t, IOC_FMT_JSON, f);
		fclose(f);
		CHECK(strstr(buf, "x\\ty\tq\"\\n\n") != NULL);
		CHECK(strstr(buf, "{\"a\": \"x\\ty\", \"b\": \"q\\\"\\n\"}") != NULL);
		free(buf);
		ioc_table_release(&t);
	}
	{
		char *s = ioc_fmt_size("1610612736", 0);
		CHECK_STR(s, "1.50G");
		free(s);
	}
	{
		/* `zfs allow` as OpenZFS prints it (zfs-allow(8) examples) */
		struct ioc_strv who = IOC_STRV_INIT;
		const char *out =
		    "---- Permissions on tank/iocage/jails/u -----------------------------\n"
		    "Local permissions:\n"
		    "\tuser bob snapshot,mount\n"
		    "---- Permissions on tank/iocage -------------------------------------\n"
		    "Permission sets:\n"
		    "\t@tenant create,mount,userprop\n"
		    "\t@safe mount,snapshot\n"
		    "Create time permissions:\n"
		    "\tcreate,destroy,mount,userprop\n"
		    "Local permissions:\n"
		    "\tuser carol userprop\n"
		    "Local+Descendent permissions:\n"
		    "\tuser alice @tenant\n"
		    "\tuser root userprop\n"
		    "\tgroup staff @safe,rename\n"
		    "\teveryone allow\n";
		CHECK(ioc_zfs_parse_allow(out, "tank/iocage/jails/u", &who) == 2);
		CHECK(who.n == 2);
		CHECK_STR(who.v[0], "user alice (@tenant on tank/iocage)");
		CHECK_STR(who.v[1], "everyone (allow on tank/iocage)");
		ioc_strv_release(&who);
		/* carol's local grant on tank/iocage applies there, not below */
		CHECK(ioc_zfs_parse_allow(out, "tank/iocage", &who) == 3);
		CHECK_STR(who.v[0], "user carol (userprop on tank/iocage)");
		ioc_strv_release(&who);
		/* a grant of the jail's own dataset, with the set defined below its use */
		CHECK(ioc_zfs_parse_allow("---- Permissions on t/j ----\n"
		    "Descendent permissions:\n\tgroup 1001 @s\n"
		    "Permission sets:\n\t@s userprop\n", "t/j/root", &who) == 1);
		CHECK_STR(who.v[0], "group 1001 (@s on t/j)");
		ioc_strv_release(&who);
		/* nothing delegated, garbage, empty */
		CHECK(ioc_zfs_parse_allow("---- Permissions on t ----\nLocal+Descendent permissions:\n"
		    "\tuser bob snapshot\n", "t", &who) == 0);
		CHECK(ioc_zfs_parse_allow("\tuser x userprop extra\nuserprop\n\n", "t", &who) == 0);
		CHECK(ioc_zfs_parse_allow("", "t", &who) == 0 && who.n == 0);
		ioc_strv_release(&who);
	}
	return CHECK_DONE();
}
