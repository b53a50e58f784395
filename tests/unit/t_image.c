/* t_image.c — the image manifest parser/formatter, the ZFS BEGIN-record check
 * and the import property policy (image.h). */
#include "check.h"
#include "image/image.h"

#include <stdint.h>

static const char good[] =
    "iocage-image 1\n"
    "uuid 0b6c2f1e-1111-4222-8333-444455556666\n"
    "tag web\n"
    "release bb\n"
    "dataset root full\n"
    "dataset data full\n"
    "dataset data/db full\n"
    "prop notes a\\tb\\\\c\n"
    "prop boot yes\n"
    "prop created 2016-01-01 00:00:00\n"
    "prop vnet0_mac 02ff60000001 02ff60000002\n";

static int
parses(const char *text)
{
	struct ioc_manifest m;
	struct ioc_error *e = NULL;
	int rc = ioc_manifest_parse(text, strlen(text), &m, &e);
	ioc_error_free(e);
	if (rc == 0)
		ioc_manifest_release(&m);
	return rc == 0;
}

/* good with one line replaced (or appended when from is NULL). */
static char *
edit(const char *from, const char *to)
{
	struct ioc_sb sb = IOC_SB_INIT;
	const char *p;
	ioc_sb_init(&sb);
	if (from == NULL) {
		ioc_sb_adds(&sb, good);
		ioc_sb_adds(&sb, to);
		return ioc_sb_detach(&sb);
	}
	p = strstr(good, from);
	ioc_sb_add(&sb, good, (size_t)(p - good));
	ioc_sb_adds(&sb, to);
	ioc_sb_adds(&sb, p + strlen(from));
	return ioc_sb_detach(&sb);
}

static void
begin(unsigned char *r, int le, uint32_t payload, uint64_t vinfo, uint32_t ost, uint32_t flags,
    uint64_t from, const char *name)
{
	uint64_t v[3] = { 0x2F5BACBACULL, vinfo, 1700000000 };
	int i, k;
	memset(r, 0, IOC_DRR_BEGIN_LEN);
#define PUT(off, val, n) for (k = 0; k < (n); k++) r[(off) + (le ? k : (n) - 1 - k)] = \
	(unsigned char)((uint64_t)(val) >> (8 * k))
	PUT(4, payload, 4);
	for (i = 0; i < 3; i++)
		PUT(8 + 8 * i, v[i], 8);
	PUT(32, ost, 4);
	PUT(36, flags, 4);
	PUT(40, 1234, 8);
	PUT(48, from, 8);
	memcpy(r + 56, name, strlen(name));
}

int
main(void)
{
	struct ioc_manifest m, m2;
	struct ioc_error *e = NULL;
	struct ioc_strv z = IOC_STRV_INIT;
	unsigned char rec[IOC_DRR_BEGIN_LEN];
	struct ioc_image_ds full = { (char *)"root", 0, 0 }, inc = { (char *)"root", 1, 77 };
	const struct ioc_prop *op[1];
	char *ov[1];
	char *t;
	size_t i;
	static const char *const bad[][2] = {
		{ "iocage-image 1\n", "iocage-image 2\n" },
		{ "tag web\n", "tag ../x\n" },
		{ "tag web\n", "tag 12345\n" },
		{ "release bb\n", "release a/b\n" },
		{ "dataset data full\n", "dataset ../../vbox full\n" },
		{ "dataset data full\n", "dataset root/x full\n" },
		{ "dataset data full\n", "dataset data/.. full\n" },
		{ "dataset data full\n", "dataset data incremental 5\n" },
		{ "dataset data full\n", "dataset root full\n" },
		{ "dataset data full\ndataset data/db full\n", "dataset data/db full\n" },
		{ "prop boot yes\n", "prop boot maybe\n" },
		{ "prop boot yes\n", "prop mountpoint /etc\n" },
		{ "prop boot yes\n", "prop quota 1G\n" },
		{ "prop boot yes\n", "prop tag other\n" },
		{ "prop boot yes\n", "prop nosuch 1\n" },
		{ "prop boot yes\n", "prop notes \\x\n" },
		{ "prop boot yes\n", "prop notes a\tb\n" },
		{ "prop boot yes\n", "prop istemplate yes\n" },
		{ "prop boot yes\n", "prop notes x\nprop notes y\n" },
		{ "prop boot yes\n", "dataset data/late full\n" },
	};

	CHECK(ioc_manifest_parse(good, strlen(good), &m, &e) == 0);
	CHECK(m.nds == 3 && m.pnames.n == 4);
	CHECK_STR(m.pvalues.v[0], "a\tb\\c");
	CHECK_STR(m.pvalues.v[1], "on"); /* canonical */
	t = ioc_manifest_format(&m);
	CHECK(ioc_manifest_parse(t, strlen(t), &m2, NULL) == 0);
	CHECK_STR(m2.pvalues.v[0], "a\tb\\c");
	ioc_manifest_release(&m2);
	free(t);
	/* truncation anywhere but after the last line's newline is refused */
	CHECK(ioc_manifest_parse(good, strlen(good) - 1, &m2, NULL) != 0);
	CHECK(ioc_manifest_parse(good, 40, &m2, NULL) != 0);
	CHECK(!parses("iocage-image 1\nuuid 0b6c2f1e-1111-4222-8333-444455556666\ntag a\nrelease bb\n"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b = edit(bad[i][0], bad[i][1]);
		if (parses(b)) {
			fprintf(stderr, "accepted: %s\n", bad[i][1]);
			CHECK(0);
		} else
			CHECK(1);
		free(b);
	}
	{
		/* incremental root needs a release and a guid */
		char *b = edit("dataset root full\n", "dataset root incremental 5736529072921847706\n");
		CHECK(parses(b));
		free(b);
		b = edit("dataset root full\n", "dataset root incremental 0\n");
		CHECK(!parses(b));
		free(b);
		/* the largest 64-bit guid is one; one more is refused, not clamped to it */
		b = edit("dataset root full\n", "dataset root incremental 18446744073709551615\n");
		CHECK(parses(b));
		free(b);
		b = edit("dataset root full\n", "dataset root incremental 18446744073709551616\n");
		CHECK(!parses(b));
		free(b);
		b = edit("dataset root full\n", "dataset root incremental 99999999999999999999\n");
		CHECK(!parses(b));
		free(b);
	}

	/*
	 * policy: old identity skipped; an allow-list: boot=on (in the manifest)
	 * and fstab are refused, both named, until the command line decides
	 */
	CHECK(ioc_image_plan_props(&m, NULL, NULL, 0, &z, &e) != 0 && strstr(e->msg, "boot='on'"));
	ioc_error_free(e);
	e = NULL;
	ioc_strv_release(&z);
	ioc_strv_init(&z);
	ioc_manifest_add_prop(&m, "fstab", "/etc /mnt ro");
	CHECK(ioc_image_plan_props(&m, NULL, NULL, 0, &z, &e) != 0 &&
	    strstr(e->msg, "the image sets boot='on', fstab='/etc /mnt ro', which may reach the host"));
	ioc_error_free(e);
	e = NULL;
	{
		const struct ioc_prop *op2[2] = { ioc_prop_find("fstab"), ioc_prop_find("boot") };
		char *ov2[2] = { (char *)"none", (char *)"on" };
		ioc_strv_release(&z);
		ioc_strv_init(&z);
		CHECK(ioc_image_plan_props(&m, op2, ov2, 2, &z, NULL) == 0);
		CHECK(z.n == 3); /* notes; fstab and boot as decided; created and vnet0_mac skipped */
		CHECK(ioc_strv_contains(&z, IOC_PROP_PREFIX "fstab=none"));
		CHECK(ioc_strv_contains(&z, IOC_PROP_PREFIX "boot=on"));
	}
	(void)op;
	(void)ov;
	ioc_strv_release(&z);
	ioc_manifest_release(&m);

	/* BEGIN records, both byte orders */
	begin(rec, 1, 0, 1, 2, 0, 0, "tank/j/root@ioc-export-1");
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) == 0);
	begin(rec, 0, 0, 1, 2, 0, 0, "tank/j/root@ioc-export-1");
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) == 0);
	CHECK(ioc_image_check_begin(rec, sizeof(rec) - 1, &full, NULL) != 0);
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &inc, NULL) != 0);
	begin(rec, 1, 0, 1, 2, 1, 77, "tank/j/root@s");
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &inc, NULL) == 0);
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) != 0);
	begin(rec, 1, 0x200, 2, 2, 0, 0, "tank/j/root@s"); /* compound (-R/-p) */
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, &e) != 0 && strstr(e->msg, "compound"));
	ioc_error_free(e);
	e = NULL;
	begin(rec, 1, 0, 1, 3, 0, 0, "tank/vol@s"); /* a volume */
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) != 0);
	begin(rec, 1, 0, 1, 2, 0, 0, "tank/j/root"); /* no snapshot name */
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) != 0);
	begin(rec, 1, 0, 1, 2, 0, 0, "tank/j/root@a b");
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) != 0);
	rec[8] ^= 1; /* bad magic */
	CHECK(ioc_image_check_begin(rec, sizeof(rec), &full, NULL) != 0);
	return CHECK_DONE();
}
