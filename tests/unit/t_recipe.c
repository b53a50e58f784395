/*
 * t_recipe.c — the recipe grammar (core/recipe.h): words and quotes, every
 * statement, the checks made before anything is read from the pool, and the
 * identities that let apply skip steps already done.
 */
#include "core/recipe.h"
#include "check.h"

#include <stdlib.h>

static int
parses(const char *text, struct ioc_recipe *r)
{
	struct ioc_error *e = NULL;
	int rc = ioc_recipe_parse(text, strlen(text), r, &e);
	if (rc != 0) {
		fprintf(stderr, "parse error: %s\n", e->msg);
		ioc_error_free(e);
	}
	return rc == 0;
}

/* 1 when text is refused with a message holding want. */
static int
refused(const char *text, size_t len, const char *want)
{
	struct ioc_recipe r;
	struct ioc_error *e = NULL;
	int ok;
	if (ioc_recipe_parse(text, len, &r, &e) == 0) {
		ioc_recipe_release(&r);
		fprintf(stderr, "accepted: %s\n", text);
		return 0;
	}
	ok = strstr(e->msg, want) != NULL;
	if (!ok)
		fprintf(stderr, "'%s' lacks '%s'\n", e->msg, want);
	ioc_error_free(e);
	return ok;
}

int
main(void)
{
	struct ioc_recipe r;
	char id1[17], id2[17];
	char *s;
	const char *text = "# web\n"
			   "release 13.2-RELEASE\n"
			   "type thin\r\n"
			   "set notes=\"a b\" boot=on\n"
			   "set notes='c \"d\"'   # the last one wins\n"
			   "mount www /usr/local/www ro\n"
			   "mount data /data\n"
			   "forward tcp(80:8080) udp(53)\n"
			   "pkg nginx py39-certbot\n"
			   "copy site/index.html /www/index.html 0640 www:www\n"
			   "copy rc /etc/rc\n"
			   "run sh -c \"echo \\\"hi\\\" > /x\" ''\n"
			   "service nginx\n";

	CHECK(parses(text, &r));
	CHECK_STR(r.release, "13.2-RELEASE");
	CHECK(r.type == IOC_RT_THIN);
	CHECK(r.sets.n == 3);
	CHECK_STR(r.sets.v[0], "notes=a b");
	CHECK_STR(r.sets.v[1], "boot=on");
	CHECK_STR(r.sets.v[2], "notes=c \"d\"");
	CHECK(r.mounts.n == 2);
	CHECK_STR(r.mounts.v[0], "www /usr/local/www ro");
	CHECK_STR(r.mounts.v[1], "data /data rw");
	CHECK_STR(r.forwards, "tcp(80:8080),udp(53)");
	CHECK(r.nsteps == 5);
	CHECK(r.steps[0].kind == IOC_RS_PKG && r.steps[0].words.n == 2);
	CHECK(r.steps[1].kind == IOC_RS_COPY && r.steps[1].mode == 0640);
	CHECK_STR(r.steps[1].owner, "www:www");
	CHECK(r.steps[2].mode == 0644);
	CHECK_STR(r.steps[2].owner, "root");
	CHECK(r.steps[3].kind == IOC_RS_RUN && r.steps[3].words.n == 4);
	CHECK_STR(r.steps[3].words.v[2], "echo \"hi\" > /x");
	CHECK_STR(r.steps[3].words.v[3], "");
	CHECK(r.steps[3].line == 12);
	CHECK(r.steps[4].kind == IOC_RS_SERVICE);
	/* a step prints back as a line that parses to the same words */
	s = ioc_recipe_step_str(&r.steps[3]);
	CHECK_STR(s, "run sh -c \"echo \\\"hi\\\" > /x\" \"\"");
	free(s);
	s = ioc_recipe_step_str(&r.steps[1]);
	CHECK_STR(s, "copy site/index.html /www/index.html 0640 www:www");
	free(s);
	/* identities: the same step the same, content and mode count for copy */
	ioc_recipe_step_id(&r.steps[1], "00", id1);
	ioc_recipe_step_id(&r.steps[1], "00", id2);
	CHECK_STR(id1, id2);
	CHECK(strlen(id1) == 16);
	ioc_recipe_step_id(&r.steps[1], "01", id2);
	CHECK(strcmp(id1, id2) != 0);
	r.steps[1].mode = 0600;
	ioc_recipe_step_id(&r.steps[1], "00", id2);
	CHECK(strcmp(id1, id2) != 0);
	ioc_recipe_step_id(&r.steps[0], NULL, id1);
	ioc_recipe_step_id(&r.steps[4], NULL, id2);
	CHECK(strcmp(id1, id2) != 0);
	ioc_recipe_release(&r);

	CHECK(parses("", &r) && r.nsteps == 0 && r.release == NULL && r.mounts.n == 0);
	ioc_recipe_release(&r);
	CHECK(parses("type empty\nset boot=on\n", &r) && r.type == IOC_RT_EMPTY);
	ioc_recipe_release(&r);

	CHECK(refused("frobnicate x\n", 13, "recipe line 1: unknown statement 'frobnicate'"));
	CHECK(refused("\nrun \"open\n", 11, "recipe line 2: a double quote is not closed"));
	CHECK(refused("run 'open\n", 10, "a single quote is not closed"));
	CHECK(refused("run a\0b\n", 8, "control character"));
	CHECK(refused("run \"a\tb\"\n", 10, "a tab inside quotes"));
	CHECK(refused("release a\nrelease b\n", 20, "named twice"));
	CHECK(refused("release ../x\n", 13, "release"));
	CHECK(refused("type fat\n", 9, "expected 'type thin'"));
	CHECK(refused("type empty\nrelease 13.2-RELEASE\n", 32, "type empty has no release"));
	CHECK(refused("set boot\n", 9, "is not PROPERTY=VALUE"));
	CHECK(refused("set tag=x\n", 10, "tag is not set by a recipe"));
	CHECK(refused("set release=x\n", 14, "use a 'release' line"));
	CHECK(refused("set template=yes\n", 17, "not a template"));
	CHECK(refused("set exec_poststart=/bin/id\n", 27, "may not set exec_poststart"));
	CHECK(refused("set exec_system_user=root\n", 26, "may not set exec_system_user"));
	CHECK(refused("set userns_idmap=200000:65536\n", 29, "may not set userns_idmap"));
	CHECK(refused("set hostid=x\n", 13, "may not set hostid"));
	CHECK(refused("set sync_target=p/x\n", 20, "may not set sync_target"));
	CHECK(refused("set enforce_statfs=0\n", 21, "may not set enforce_statfs"));
	CHECK(refused("set resolver=/etc/passwd\n", 25, "may not set resolver"));
	CHECK(parses("set resolver=\"nameserver 10.0.0.1\"\n", &r));
	ioc_recipe_release(&r);
	CHECK(refused("mount /etc /x\n", 14, "never names the host's own paths"));
	CHECK(refused("mount a/../.. /x\n", 17, "must be a folder beside the recipe"));
	CHECK(refused("mount a /\n", 10, "DST cannot be the jail's root"));
	CHECK(refused("mount a ../x\n", 13, "mount"));
	CHECK(refused("mount a /x rx\n", 14, "expected 'mount SRC DST [ro|rw]'"));
	CHECK(refused("forward tcp(80:70000)\n", 22, "forward"));
	CHECK(refused("forward tcp(80),tcp(81)\n", 24, "one forward a word"));
	CHECK(refused("pkg\n", 4, "expected 'pkg NAME"));
	CHECK(refused("pkg -y\n", 7, "invalid package name '-y'"));
	CHECK(refused("copy a\n", 7, "expected 'copy SRC DST"));
	CHECK(refused("copy ./a /x\n", 12, "must name a file beside the recipe"));
	CHECK(refused("copy a//b /x\n", 13, "must name a file beside the recipe"));
	CHECK(refused("copy a/ /x\n", 11, "must name a file beside the recipe"));
	CHECK(refused("copy a /\n", 9, "absolute path of a file in the jail"));
	CHECK(refused("copy a /x/../y\n", 15, "absolute path of a file in the jail"));
	CHECK(refused("copy a /x/\n", 11, "absolute path of a file in the jail"));
	CHECK(refused("copy a /x 999\n", 14, "octal digits"));
	CHECK(refused("copy a /x 12\n", 13, "octal digits"));
	CHECK(refused("copy a /x 0644 a:b:c\n", 21, "owner 'a:b:c'"));
	CHECK(refused("copy a /x 0644 :b\n", 18, "owner ':b'"));
	CHECK(refused("copy a /x 0644 a:\n", 18, "owner 'a:'"));
	CHECK(parses("copy a /x 4755 0:0\n", &r) && r.steps[0].mode == 04755);
	ioc_recipe_release(&r);
	CHECK(refused("run \"\"\n", 7, "expected 'run COMMAND"));
	CHECK(refused("service a b\n", 12, "expected 'service NAME'"));
	CHECK(refused("service -x\n", 11, "expected 'service NAME'"));
	return CHECK_DONE();
}
