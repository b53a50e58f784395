/* sha256.h — SHA-256 (FIPS 180-4), for release and image checksums. */
#ifndef IOC_SHA256_H
#define IOC_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* the portable code's state */
struct ioc_sha256_c {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
};

#ifdef IOC_HAVE_LIBCRYPTO
/*
 * libcrypto's SHA-256 (hardware instructions where the CPU has them: about
 * seven times the portable code on the machines this was measured on),
 * opened at the first hash (sha256.c), not linked: loading it would cost
 * every command's start.  Where it cannot be opened, the portable code.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
struct ioc_sha256 {
	int lib; /* 1: c holds libcrypto's context */
	union {
		SHA256_CTX c;
		struct ioc_sha256_c p;
	} u;
};
#else
struct ioc_sha256 {
	union {
		struct ioc_sha256_c p;
	} u;
};
#endif

void ioc_sha256_init(struct ioc_sha256 *s);
void ioc_sha256_update(struct ioc_sha256 *s, const void *data, size_t len);
/* Writes 64 lower-case hex digits and a NUL into hex. */
void ioc_sha256_final_hex(struct ioc_sha256 *s, char hex[65]);
/* SHA-256 of a whole file as hex; 0 or -1 (errno set). */
int ioc_sha256_file(const char *path, char hex[65]);
/* The same for an open file, read from its start; 0 or -1 (errno set). */
int ioc_sha256_fd(int fd, char hex[65]);

#endif
