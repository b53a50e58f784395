/* t_manifest.c — SHA-256, the MANIFEST parser, file names, URLs and apt sources parsing. */
#include "fetch/fetch.h"

#include <string.h>

static int fails;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #cond); fails++; } } while (0)

static void
sha(const char *msg, size_t len, const char *want)
{
	struct ioc_sha256 c;
	char hex[IOC_SHA256_HEX];
	size_t i;
	ioc_sha256_init(&c);
	ioc_sha256_update(&c, msg, len);
	ioc_sha256_final_hex(&c, hex);
	if (strcmp(hex, want) != 0) {
		fprintf(stderr, "sha256 of %zu bytes: got %s want %s\n", len, hex, want);
		fails++;
	}
	/* the same bytes one at a time */
	ioc_sha256_init(&c);
	for (i = 0; i < len; i++)
		ioc_sha256_update(&c, msg + i, 1);
	ioc_sha256_final_hex(&c, hex);
	CHECK(strcmp(hex, want) == 0);
}

static void
test_sha256(void)
{
	char *m = ioc_xmalloc(1000000);
	sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	memset(m, 'a', 1000000);
	sha(m, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	sha(m, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	sha(m, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	free(m);
}

static const char good[] =
    "base.txz\t0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef\t28000\tbase\t\"Base system (MANDATORY)\"\ton\n"
    "\n"
    "lib32.txz\tfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\t1200\tlib32\t\"32-bit compatibility libraries\"\ton\r\n"
    "kernel.txz\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\t12";

static int
manifest_err(const char *text, const char *want)
{
	struct ioc_fetch_manifest m;
	struct ioc_error *e = NULL;
	int ok;
	ioc_fetch_manifest_init(&m);
	ok = ioc_fetch_manifest_parse(text, strlen(text), &m, &e) == -1 && e && strstr(e->msg, want);
	if (!ok)
		fprintf(stderr, "manifest %.40s...: want error '%s', got '%s'\n", text, want,
		    e ? e->msg : "(none)");
	ioc_error_free(e);
	ioc_fetch_manifest_release(&m);
	return ok;
}

static void
test_manifest(void)
{
	struct ioc_fetch_manifest m;
	struct ioc_error *e = NULL;
	const struct ioc_fetch_manifest_ent *x;
	ioc_fetch_manifest_init(&m);
	CHECK(ioc_fetch_manifest_parse(good, strlen(good), &m, &e) == 0);
	CHECK(m.n == 3);
	x = ioc_fetch_manifest_find(&m, "base.txz");
	CHECK(x && strcmp(x->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") == 0);
	CHECK(x && x->count == 28000);
	x = ioc_fetch_manifest_find(&m, "lib32.txz");
	CHECK(x && x->count == 1200);
	CHECK(ioc_fetch_manifest_find(&m, "kernel.txz") != NULL);
	CHECK(ioc_fetch_manifest_find(&m, "src.txz") == NULL);
	ioc_fetch_manifest_release(&m);
	ioc_error_free(e);

	CHECK(manifest_err("", "lists no files"));
	CHECK(manifest_err("\n\n", "lists no files"));
	CHECK(manifest_err("base.txz\n", "line 1: expected NAME"));
	CHECK(manifest_err("base.txz\tabc\t1\n", "not 64 hex"));
	CHECK(manifest_err("base.txz\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\t1\n",
	    "not 64 hex"));
	CHECK(manifest_err("\n../x\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n",
	    "line 2: invalid file name '../x'"));
	CHECK(manifest_err("a/b\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n",
	    "invalid file name"));
	CHECK(manifest_err(".hidden\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n",
	    "must not start with '.'"));
	CHECK(manifest_err("a\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\tx\n",
	    "not a number"));
	CHECK(manifest_err("a\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n"
	    "a\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n", "listed twice"));
	{
		/* a NUL inside a line */
		char t[] = "a\t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\n";
		struct ioc_fetch_manifest m2;
		struct ioc_error *e2 = NULL;
		t[1] = '\0';
		ioc_fetch_manifest_init(&m2);
		CHECK(ioc_fetch_manifest_parse(t, sizeof(t) - 1, &m2, &e2) == -1);
		ioc_error_free(e2);
		ioc_fetch_manifest_release(&m2);
	}
}

static int
url_is(const char *host, const char *dir, const char *want)
{
	char *u = NULL;
	struct ioc_error *e = NULL;
	int r = ioc_fetch_base_url(host, dir, &u, &e);
	int ok = want ? (r == 0 && strcmp(u, want) == 0) : r == -1;
	if (!ok)
		fprintf(stderr, "url(%s, %s): got %s / %s, want %s\n", host, dir, u ? u : "-",
		    e ? e->msg : "-", want ? want : "error");
	free(u);
	ioc_error_free(e);
	return ok;
}

static void
test_urls(void)
{
	CHECK(url_is("download.example.org", "releases/amd64/14.1-RELEASE",
	    "https://download.example.org/releases/amd64/14.1-RELEASE/"));
	CHECK(url_is("http://127.0.0.1:8080", "/x//y/", "http://127.0.0.1:8080/x/y/"));
	CHECK(url_is("https://h.example/pub/", "rel", "https://h.example/pub/rel/"));
	CHECK(url_is("http://127.0.0.1:8080", "", "http://127.0.0.1:8080/"));
	CHECK(url_is("ftp://h.example", "x", NULL));
	CHECK(url_is("file:///etc", "x", NULL));
	CHECK(url_is("http://user@h.example", "x", NULL));
	CHECK(url_is("http://h.example:0", "x", NULL));
	CHECK(url_is("http://h.example:99999", "x", NULL));
	CHECK(url_is("http://h.example:80:81", "x", NULL));
	CHECK(url_is("http://", "x", NULL));
	CHECK(url_is("http://h.example/a?b", "x", NULL));
	CHECK(url_is("h.example", "../etc", NULL));
	CHECK(url_is("h.example", "a/./b", NULL));
	CHECK(url_is("h.example", "a b", NULL));
	CHECK(url_is("h.example\n", "a", NULL));
	CHECK(url_is("-h.example", "a", NULL));
	CHECK(ioc_fetch_valid_mirror("http://127.0.0.1:3142/debian", NULL) == 0);
	CHECK(ioc_fetch_valid_mirror("127.0.0.1/debian", NULL) == -1);
	CHECK(ioc_fetch_valid_file_name("base.txz", NULL) == 0);
	CHECK(ioc_fetch_valid_file_name("a/b", NULL) == -1);
	CHECK(ioc_fetch_valid_file_name("..", NULL) == -1);
	CHECK(ioc_fetch_valid_file_name("", NULL) == -1);
	CHECK(ioc_fetch_valid_file_name("a b", NULL) == -1);
}

static int
known(const char *s, void *arg)
{
	(void)arg;
	return strcmp(s, "bookworm") == 0 || strcmp(s, "trixie") == 0;
}

static int
mirror_is(const char *text, int deb822, const char *want)
{
	char *m = NULL;
	int r = ioc_fetch_apt_mirror_parse(text, deb822, known, NULL, &m);
	int ok = want ? (r == 0 && strcmp(m, want) == 0) : (r == -1 && m == NULL);
	if (!ok)
		fprintf(stderr, "mirror: got %s want %s for:\n%s\n", m ? m : "-", want ? want : "-",
		    text);
	free(m);
	return ok;
}

static void
test_apt(void)
{
	CHECK(mirror_is("# comment\ndeb-src http://a.example/debian bookworm main\n"
	    "deb http://b.example/debian-security bookworm-security main\n"
	    "deb [arch=amd64 signed-by=/k.gpg] http://c.example/debian bookworm main contrib\n"
	    "deb http://d.example/debian bookworm main\n", 0, "http://c.example/debian"));
	CHECK(mirror_is("deb [ arch=amd64 ] https://e.example/d trixie main\n", 0, "https://e.example/d"));
	CHECK(mirror_is("deb cdrom:[Debian]/ bookworm main\ndeb file:/srv bookworm main\n", 0, NULL));
	CHECK(mirror_is("deb http://x.example/nodistro nodistro main\n", 0, NULL));
	CHECK(mirror_is("", 0, NULL));
	CHECK(mirror_is("Types: deb\nURIs: http://a.example/debian-security\nSuites: bookworm-security\n"
	    "Components: main\n\n"
	    "Types: deb deb-src\nEnabled: no\nURIs: http://b.example/debian\nSuites: bookworm\n\n"
	    "# a comment\nTypes: deb-src\nURIs: http://c.example/debian\nSuites: bookworm\n\n"
	    "Types: deb\nURIs:\n http://d.example/debian\n http://e.example/debian\n"
	    "Suites: bookworm bookworm-updates\nComponents: main\n", 1, "http://d.example/debian"));
	CHECK(mirror_is("Types: deb\r\nURIs: http://f.example/debian\r\nSuites: trixie\r\n", 1,
	    "http://f.example/debian"));
	CHECK(mirror_is("URIs: http://g.example/debian\nSuites: trixie\n", 1, NULL));
}

int
main(void)
{
	test_sha256();
	test_manifest();
	test_urls();
	test_apt();
	if (fails) {
		fprintf(stderr, "t_manifest: %d check(s) failed\n", fails);
		return 1;
	}
	printf("t_manifest: ok\n");
	return 0;
}
