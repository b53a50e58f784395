/* archive_dl.c — libarchive opened at its first use (archive_dl.h). */
#define IOC_ARCHIVE_DL_IMPL
#include "util/archive_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef IOC_ARCHIVE_SONAME
#define IOC_ARCHIVE_SONAME "libarchive.so.13"
#endif

static struct ioc_archive_api ioc_ar;
static int ioc_ar_ready;

int
ioc_archive_need(struct ioc_error **err)
{
	void *h;
	if (ioc_ar_ready)
		return 0;
	h = dlopen(IOC_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return ioc_err(err,
		    "cannot load libarchive (%s), which fetch, export, import and "
		    "image records need: %s",
		    IOC_ARCHIVE_SONAME, dlerror());
		/* POSIX: a function's address from dlsym, stored through a void pointer */
#define IOC_ARCHIVE_SYM(f) \
	*(void **)(&ioc_ar.p_##f) = dlsym(h, #f); \
	if (ioc_ar.p_##f == NULL) \
		return ioc_err(err, "libarchive (%s) lacks %s", IOC_ARCHIVE_SONAME, #f);
	IOC_ARCHIVE_FUNCS(IOC_ARCHIVE_SYM)
#undef IOC_ARCHIVE_SYM
	ioc_ar_ready = 1; /* the handle stays open for the process's life */
	return 0;
}

const struct ioc_archive_api *
ioc_archive(void)
{
	struct ioc_error *e = NULL;
	if (!ioc_ar_ready && ioc_archive_need(&e) != 0) {
		fprintf(stderr, "iocage: %s\n", e->msg);
		exit(1);
	}
	return &ioc_ar;
}
