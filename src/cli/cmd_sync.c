/*
 * cmd_sync.c — `iocage sync TAG|ALL`: a warm copy of jails in the iocage
 * root their sync_target names (ops/sync.c).  ALL: every jail with
 * sync_state=on.  One jail failing does not stop the others; each synced
 * jail is a row (TAG, TARGET, SNAPSHOT, KIND: full or incremental), and
 * --json gives the rows as objects.
 */
#include "cli/commands.h"
#include "ops/ops.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
ioc_cmd_sync(struct ioc_ctx *ctx, int argc, char **argv, struct ioc_error **err)
{
	static const char *const cols[] = { "TAG", "TARGET", "SNAPSHOT", "KIND", NULL };
	struct ioc_jails js = { NULL, 0, 0 };
	struct ioc_jail *one = NULL, **v = NULL;
	struct ioc_table t;
	size_t i, n = 0, failed = 0;
	struct ioc_opts o;
	int k = ioc_opts_parse(ctx, "sync", "", argc - 1, argv + 1, &o, err), rc = 0;

	if (k < 0)
		return -1;
	if (argc - k - 1 != 1)
		return ioc_usage(err, "sync");
	if (strcmp(argv[k + 1], "ALL") == 0) {
		if (ioc_jails_load(&ctx->root, NULL, &js, err) != 0)
			return -1;
		v = ioc_xcalloc(js.n + 1, sizeof(*v));
		for (i = 0; i < js.n; i++)
			if (js.v[i].complete && !ioc_jail_is_replica(&js.v[i]) &&
			    ioc_parse_bool(ioc_jail_get(&js.v[i], "sync_state")) == 1)
				v[n++] = &js.v[i];
		if (n == 0)
			printf("sync: no jails with sync_state=on\n");
	} else {
		if (ioc_ctx_jail(ctx, argv[k + 1], NULL, &js, &one, err) != 0)
			return -1;
		v = ioc_xcalloc(2, sizeof(*v));
		v[n++] = one;
	}
	ioc_table_init(&t, cols);
	for (i = 0; i < n; i++) {
		struct ioc_sync_result res;
		struct ioc_error *e = NULL;
		const char *tag = ioc_jail_get(v[i], "tag");
		int lock = ioc_lock_jail(&ctx->root, v[i]->uuid, &e);
		if (lock >= 0) {
			if (ioc_jail_sync(&ctx->root, v[i], &res, &e) == 0) {
				const char *c[] = { tag, res.target, strchr(res.snap, '@') + 1,
					res.full ? "full" : "incremental" };
				ioc_table_add(&t, c);
				ioc_sync_result_release(&res);
			}
			close(lock);
		}
		if (e == NULL)
			continue;
		failed++;
		if (n == 1) {
			*err = e;
			rc = -1;
		} else {
			fprintf(stderr, "iocage: sync %s: %s\n", tag, e->msg);
			ioc_error_free(e);
		}
	}
	if (t.nrows)
		ioc_table_print(&t, ctx->fmt, stdout);
	ioc_table_release(&t);
	if (rc == 0 && failed)
		rc = ioc_err(err, "sync: %zu of %zu jails failed", failed, n);
	free(v);
	ioc_jails_release(&js);
	return rc;
}
