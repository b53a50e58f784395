/* check.h — tiny assertion helpers for the C unit tests; each program ends with
 * CHECK_DONE(), which prints "N passed, N failed" and returns the exit status. */
#ifndef IOC_CHECK_H
#define IOC_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;
#define CHECK(c) do { if (c) check_pass++; else { check_fail++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && strcmp(a_, b_) == 0) check_pass++; else { check_fail++; \
	fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__, a_ ? a_ : "(null)", \
	    b_ ? b_ : "(null)"); } } while (0)
#define CHECK_DONE() (printf("%s: %d passed, %d failed\n", __FILE__, check_pass, check_fail), \
	check_fail != 0)

#endif
