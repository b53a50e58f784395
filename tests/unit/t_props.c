/* t_props.c — the property table and every value validator. */
#include "check.h"
#include "core/props.h"
#include "core/tagidx.h"

#include <stdlib.h>

static int
ok(const char *prop, const char *value, const char *canon)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	char *c = NULL;
	struct ioc_error *e = NULL;
	int r;
	if (p == NULL)
		return 0;
	r = ioc_prop_validate(p, value, &c, &e) == 0 && (canon == NULL || strcmp(c, canon) == 0);
	if (!r)
		fprintf(stderr, "  %s=%s -> %s\n", prop, value, e ? e->msg : c);
	free(c);
	ioc_error_free(e);
	return r;
}

static int
bad(const char *prop, const char *value, const char *msgpart)
{
	const struct ioc_prop *p = ioc_prop_find(prop);
	char *c = NULL;
	struct ioc_error *e = NULL;
	int r = p && ioc_prop_validate(p, value, &c, &e) != 0 && e && strstr(e->msg, msgpart);
	if (!r)
		fprintf(stderr, "  %s=%s unexpectedly: %s\n", prop, value, e ? e->msg : c);
	free(c);
	ioc_error_free(e);
	return r;
}

int
main(void)
{
	size_t i, j;
	/* every built-in default validates against its own type; names unique */
	for (i = 0; i < ioc_nprops; i++) {
		const struct ioc_prop *p = &ioc_props[i];
		char *d = ioc_prop_builtin(p, "0123abcd-0000-4000-8000-000000000000", "tank/iocage");
		char *c = NULL;
		struct ioc_error *e = NULL;
		/* (a jail always gets its tag at create; its UUID stand-in is no tag) */
		if (!(p->flags & (IOC_PF_RO | IOC_PF_RUNTIME)) && p->type != IOC_PT_TAG) {
			int r = ioc_prop_validate(p, d, &c, &e);
			if (r != 0)
				fprintf(stderr, "  built-in %s=%s: %s\n", p->name, d, e->msg);
			CHECK(r == 0);
		}
		for (j = i + 1; j < ioc_nprops; j++)
			CHECK(strcmp(p->name, ioc_props[j].name) != 0);
		free(d);
		free(c);
		ioc_error_free(e);
	}
	CHECK(ioc_prop_find("istemplate") == ioc_prop_find("template"));
	CHECK(ioc_prop_find("nope") == NULL);
	/* on/off spellings and canonical forms */
	CHECK(ok("boot", "yes", "on") && ok("boot", "1", "on") && ok("boot", "OFF", "off"));
	CHECK(ok("template", "on", "yes") && ok("allow_raw_sockets", "on", "1"));
	CHECK(bad("boot", "maybe", "expected on|off"));
	/* integers and ranges */
	CHECK(ok("priority", "0", "0") && ok("priority", "999", "999"));
	CHECK(bad("priority", "1000", "from 0 to 999") && bad("priority", "-1", "from 0 to 999"));
	CHECK(bad("priority", "1e3", "integer") && bad("securelevel", "4", "from -1 to 3"));
	/* sizes and limits */
	CHECK(ok("quota", "20G", "20G") && ok("quota", "none", "none") && ok("quota", "0", "none"));
	CHECK(bad("quota", "20X", "size") && bad("quota", "-1", "size"));
	CHECK(ok("memoryuse", "8G:log", NULL) && ok("maxproc", "100:deny", NULL));
	CHECK(ok("pcpu", "50:sigterm", NULL) && ok("memoryuse", "off", NULL));
	CHECK(bad("memoryuse", "8G", "LIMIT:ACTION") && bad("memoryuse", "8G:nuke", "LIMIT:ACTION"));
	/* addresses and interfaces */
	CHECK(ok("ip4_addr", "vnet0|10.0.0.5/24", NULL) && ok("ip4_addr", "10.0.0.5", NULL));
	CHECK(ok("ip4_addr", "vnet0|10.0.0.5/24,vnet1|192.168.1.1/16", NULL));
	CHECK(bad("ip4_addr", "vnet0|10.0.0.256/24", "IFACE|ADDR") && bad("ip4_addr", "vnet0|10.0.0.1/33", "IFACE"));
	CHECK(bad("ip4_addr", "bad iface|10.0.0.1", "IFACE") && bad("ip4_addr", "vnet0|fd00::1", "IFACE"));
	CHECK(ok("ip6_addr", "vnet0|fd00::5/64", NULL) && bad("ip6_addr", "vnet0|10.0.0.1", "PREFIX"));
	CHECK(ok("interfaces", "vnet0:bridge0,vnet1:bridge1", NULL) && bad("interfaces", "vnet0", "NAME:BRIDGE"));
	/* sync_target: a local root, or a remote one; no snapshot, no option, no empty part */
	CHECK(ok("sync_target", "tank/backup/iocage", NULL) && ok("sync_target", "none", NULL) &&
	    ok("sync_target", "bk_1@host-2.example:tank/iocage", NULL) &&
	    ok("sync_tgt_zpool", "h:tank/i", NULL));
	CHECK(bad("sync_target", "tank", "POOL/DATASET") && bad("sync_target", "-o/x", "POOL") &&
	    bad("sync_target", "u@:tank/x", "POOL") && bad("sync_target", "U@h:tank/x", "POOL") &&
	    bad("sync_target", "h:tank/x@s", "POOL") && bad("sync_target", "-h:tank/x", "POOL") &&
	    bad("sync_target", "h:tank/../x", "POOL") && bad("sync_target", "h;reboot:tank/x", "POOL"));
	{
		char *h = NULL, *d = NULL;
		CHECK(ioc_sync_target_parse("me@b.example:tank/i", &h, &d) == 0 && h && d &&
		    strcmp(h, "me@b.example") == 0 && strcmp(d, "tank/i") == 0);
		free(h);
		free(d);
		CHECK(ioc_sync_target_parse("tank/i", &h, &d) == 0 && h == NULL && strcmp(d, "tank/i") == 0);
		free(d);
	}
	/* found by f_net: a leading - would read as an option where a name is an argument */
	CHECK(ok("nat_interface", "eth0", NULL) && bad("nat_interface", "-x", "not starting with"));
	CHECK(ok("defaultrouter", "10.0.0.1", NULL) && bad("defaultrouter", "10.0.0.1/24", "IPv4"));
	CHECK(ok("vnet0_mac", "02ff60000001 02ff60000002", NULL) && bad("vnet0_mac", "02ff6000000", "hex"));
	CHECK(ok("cpuset", "0,2-3", NULL) && bad("cpuset", "3-1", "CPU list") && bad("cpuset", "a", "CPU"));
	CHECK(ok("userns_idmap", "100000:65536", NULL) && bad("userns_idmap", "100000", "HOSTID:COUNT"));
	CHECK(ok("host_hostname", "web.example.org", NULL) && bad("host_hostname", "a..b", "host name"));
	CHECK(ok("jail_zfs_dataset", "jails/x/data", NULL) && bad("jail_zfs_dataset", "../x", "dataset"));
	CHECK(bad("jail_zfs_dataset", "/abs", "dataset") && bad("jail_zfs_mountpoint", "rel", "absolute"));
	CHECK(bad("pkglist", "/a/../b", "absolute"));
	CHECK(ok("compression", "gzip-9", NULL) && bad("compression", "gzip-10", "gzip"));
	CHECK(ok("sysvmsg", "inherit", NULL) && bad("sysvmsg", "all", "new|inherit|disable"));
	/* text: tabs only where stored verbatim, never newlines */
	CHECK(ok("notes", "a\tb $(x) `y` ;", NULL) && bad("notes", "a\nb", "control character"));
	CHECK(bad("exec_start", "/bin/sh\t-c", "control character") && bad("exec_start", "", "command"));
	/* tags and releases */
	CHECK(ioc_valid_tag("web-1.a_b", NULL) == 0);
	CHECK(ioc_valid_tag("a/b", NULL) != 0 && ioc_valid_tag("..", NULL) != 0);
	CHECK(ioc_valid_tag("123", NULL) != 0 && ioc_valid_tag("", NULL) != 0);
	CHECK(ioc_valid_tag("01234567-89ab-cdef-0123-456789abcdef", NULL) != 0);
	CHECK(ioc_valid_tag("ALL", NULL) != 0 && ioc_valid_tag("-x", NULL) != 0);
	CHECK(ioc_valid_release("13.2-RELEASE", NULL) == 0 && ioc_valid_release("bookworm", NULL) == 0);
	CHECK(ioc_valid_release("a/b", NULL) != 0 && ioc_valid_release("..", NULL) != 0);
	CHECK(ioc_is_uuid("01234567-89ab-cdef-0123-456789abcdef") && !ioc_is_uuid("0123"));
	/* value length limit */
	{
		char big[IOC_VALUE_MAX + 2];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(bad("notes", big, "longer than"));
	}
	/* assignments */
	{
		const struct ioc_prop *p;
		char *c = NULL;
		struct ioc_error *e = NULL;
		CHECK(ioc_prop_parse_assign("uuid=x", 0, &p, &c, &e) != 0 && strstr(e->msg, "read-only"));
		ioc_error_free(e);
		e = NULL;
		CHECK(ioc_prop_parse_assign("release=x", 0, &p, &c, &e) != 0 && strstr(e->msg, "at create"));
		ioc_error_free(e);
		e = NULL;
		CHECK(ioc_prop_parse_assign("bot=on", 0, &p, &c, &e) != 0 && strstr(e->msg, "did you mean boot"));
		ioc_error_free(e);
		e = NULL;
		CHECK(ioc_prop_parse_assign("=on", 0, &p, &c, &e) != 0 && e->code == IOC_EXIT_USAGE);
		ioc_error_free(e);
		e = NULL;
		CHECK(ioc_prop_parse_assign("notes=x=y,z", 0, &p, &c, &e) == 0 && strcmp(c, "x=y,z") == 0);
		free(c);
	}
	{
		/* the tag index's property names: one to one, only what ZFS takes */
		static const char *const same[][2] = {
			{ "web", "org.freebsd.iocage:t.web" },
			{ "WebServer", "org.freebsd.iocage:t.:web:server" },
			{ "a.b_c-9", "org.freebsd.iocage:t.a.b_c-9" },
		};
		char big[130], *pp;
		for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
			pp = ioc_tagidx_prop(same[i][0]);
			CHECK_STR(pp, same[i][1]);
			free(pp);
		}
		CHECK(ioc_tagidx_prop("") == NULL && ioc_tagidx_prop("a b") == NULL &&
		    ioc_tagidx_prop("a:b") == NULL && ioc_tagidx_prop("\xc3\xa9") == NULL);
		/* 117 capitals fit in 255 bytes, 118 do not; 128 lower-case letters do */
		memset(big, 'Q', sizeof(big));
		big[117] = '\0';
		pp = ioc_tagidx_prop(big);
		CHECK(pp != NULL && strlen(pp) == 255);
		free(pp);
		big[117] = 'Q';
		big[118] = '\0';
		CHECK(ioc_tagidx_prop(big) == NULL);
		memset(big, 'q', 128);
		big[128] = '\0';
		pp = ioc_tagidx_prop(big);
		CHECK(pp != NULL && strlen(pp) == 21 + 128);
		free(pp);
	}
	return CHECK_DONE();
}
