/* sha256.c — SHA-256 (FIPS 180-4): libcrypto's where configure found it and it opens, else plain C.
 */
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* the portable SHA-256 */

static const uint32_t ioc_k[64] = {
	0x428a2f98,
	0x71374491,
	0xb5c0fbcf,
	0xe9b5dba5,
	0x3956c25b,
	0x59f111f1,
	0x923f82a4,
	0xab1c5ed5,
	0xd807aa98,
	0x12835b01,
	0x243185be,
	0x550c7dc3,
	0x72be5d74,
	0x80deb1fe,
	0x9bdc06a7,
	0xc19bf174,
	0xe49b69c1,
	0xefbe4786,
	0x0fc19dc6,
	0x240ca1cc,
	0x2de92c6f,
	0x4a7484aa,
	0x5cb0a9dc,
	0x76f988da,
	0x983e5152,
	0xa831c66d,
	0xb00327c8,
	0xbf597fc7,
	0xc6e00bf3,
	0xd5a79147,
	0x06ca6351,
	0x14292967,
	0x27b70a85,
	0x2e1b2138,
	0x4d2c6dfc,
	0x53380d13,
	0x650a7354,
	0x766a0abb,
	0x81c2c92e,
	0x92722c85,
	0xa2bfe8a1,
	0xa81a664b,
	0xc24b8b70,
	0xc76c51a3,
	0xd192e819,
	0xd6990624,
	0xf40e3585,
	0x106aa070,
	0x19a4c116,
	0x1e376c08,
	0x2748774c,
	0x34b0bcb5,
	0x391c0cb3,
	0x4ed8aa4a,
	0x5b9cca4f,
	0x682e6ff3,
	0x748f82ee,
	0x78a5636f,
	0x84c87814,
	0x8cc70208,
	0x90befffa,
	0xa4506ceb,
	0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
ioc_sha256_block(struct ioc_sha256_c *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	size_t i;
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		    (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	f = s->h[5];
	g = s->h[6];
	h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + ioc_k[i] +
		    w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
	s->h[5] += f;
	s->h[6] += g;
	s->h[7] += h;
}

static void
ioc_sha256_c_init(struct ioc_sha256_c *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
		0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void
ioc_sha256_c_update(struct ioc_sha256_c *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	s->len += len;
	while (len) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			ioc_sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void
ioc_sha256_c_final_hex(struct ioc_sha256_c *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, len8[8];
	int i;
	ioc_sha256_c_update(s, &pad, 1);
	pad = 0;
	while (s->n != 56)
		ioc_sha256_c_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len8[i] = (unsigned char)(bits >> (56 - 8 * i));
	ioc_sha256_c_update(s, len8, 8);
	for (i = 0; i < 8; i++)
		snprintf(hex + 8 * (size_t)i, 9, "%08x", s->h[i]);
}

#ifdef IOC_HAVE_LIBCRYPTO
#include <dlfcn.h>
#ifndef IOC_CRYPTO_SONAME
#define IOC_CRYPTO_SONAME "libcrypto.so.3"
#endif
static struct {
	int (*init)(SHA256_CTX *);
	int (*update)(SHA256_CTX *, const void *, size_t);
	int (*final)(unsigned char *, SHA256_CTX *);
} ioc_crypto;

/* 1 when libcrypto's functions are there (opened once, kept for the process's life). */
static int
ioc_crypto_load(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: not there */
	void *h;
	if (state)
		return state > 0;
	state = -1;
	h = dlopen(IOC_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return 0;
	*(void **)(&ioc_crypto.init) = dlsym(h, "SHA256_Init");
	*(void **)(&ioc_crypto.update) = dlsym(h, "SHA256_Update");
	*(void **)(&ioc_crypto.final) = dlsym(h, "SHA256_Final");
	if (ioc_crypto.init && ioc_crypto.update && ioc_crypto.final)
		state = 1;
	return state > 0;
}
#endif

void
ioc_sha256_init(struct ioc_sha256 *s)
{
#ifdef IOC_HAVE_LIBCRYPTO
	s->lib = ioc_crypto_load();
	if (s->lib) {
		ioc_crypto.init(&s->u.c);
		return;
	}
#endif
	ioc_sha256_c_init(&s->u.p);
}

void
ioc_sha256_update(struct ioc_sha256 *s, const void *data, size_t len)
{
#ifdef IOC_HAVE_LIBCRYPTO
	if (s->lib) {
		ioc_crypto.update(&s->u.c, data, len);
		return;
	}
#endif
	ioc_sha256_c_update(&s->u.p, data, len);
}

void
ioc_sha256_final_hex(struct ioc_sha256 *s, char hex[65])
{
#ifdef IOC_HAVE_LIBCRYPTO
	if (s->lib) {
		unsigned char md[SHA256_DIGEST_LENGTH];
		size_t i;
		ioc_crypto.final(md, &s->u.c);
		for (i = 0; i < sizeof(md); i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		return;
	}
#endif
	ioc_sha256_c_final_hex(&s->u.p, hex);
}

int
ioc_sha256_fd(int fd, char hex[65])
{
	struct ioc_sha256 s;
	unsigned char buf[65536];
	ssize_t r;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	ioc_sha256_init(&s);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		ioc_sha256_update(&s, buf, (size_t)r);
	if (r < 0)
		return -1;
	ioc_sha256_final_hex(&s, hex);
	return 0;
}

int
ioc_sha256_file(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;
	if (fd < 0)
		return -1;
	rc = ioc_sha256_fd(fd, hex);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
