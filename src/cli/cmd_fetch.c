/*
 * cmd_fetch.c — `iocage fetch`: the words parsed into a request and what it
 * did printed; the fetch itself is ops/fetch_release.c's.
 */
#include "cli/commands.h"

#include <string.h>

/* Parses fetch's words into s; an unknown word is a usage error. */
static int
ioc_fetch_parse_args(int argc, char **argv, struct ioc_fetch_spec *s, struct ioc_error **err)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (strcmp(w, "-n") == 0)
			s->no_update = 1;
		else if (strncmp(w, "release=", 8) == 0)
			s->release = w + 8;
		else if (strncmp(w, "ftphost=", 8) == 0)
			s->ftphost = w + 8;
		else if (strncmp(w, "ftpdir=", 7) == 0)
			s->ftpdir = w + 7;
		else if (strncmp(w, "ftpfiles=", 9) == 0)
			s->ftpfiles = w + 9;
		else if (strncmp(w, "file=", 5) == 0)
			s->file = w + 5;
		else if (strncmp(w, "mirror=", 7) == 0)
			s->mirror = w + 7;
		else if (ioc_has_ctrl(w))
			return ioc_fail(err, IOC_EXIT_USAGE,
			    "fetch: unknown argument with a "
			    "control character; expected -n, release=, ftphost=, ftpdir=, "
			    "ftpfiles=, file=, mirror=");
		else
			return ioc_fail(err, IOC_EXIT_USAGE,
			    "fetch: unknown argument '%s'; "
			    "expected -n, release=REL, ftphost=HOST, ftpdir=DIR, "
			    "ftpfiles=\"FILE ...\", file=PATH, mirror=URL",
			    w);
	}
	return 0;
}

int
ioc_cmd_fetch(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	struct ioc_fetch_spec s;
	struct ioc_fetch_result res;

	memset(&s, 0, sizeof(s));
	s.say = ioc_print_line;
	if (ioc_fetch_parse_args(argc, argv, &s, err) != 0)
		return -1;
	if (ioc_release_fetch(&ctx->root, &s, &res, err) != 0) {
		ioc_fetch_result_release(&res);
		return -1;
	}
	if (res.already)
		printf("release %s already fetched\n", res.release);
	else
		printf("release %s fetched%s\n", res.release,
		    res.shifted ? " (owners shifted for the user namespace)" : "");
	ioc_fetch_result_release(&res);
	return 0;
}
