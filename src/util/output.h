/*
 * output.h — one row collector rendered three ways: an aligned table with a
 * header, -H (tab-separated, no header; tabs and newlines inside a cell are
 * shown as \t and \n so a value can never forge a row), or --json (an array
 * of objects keyed by the lower-cased column names).
 */
#ifndef IOC_OUTPUT_H
#define IOC_OUTPUT_H

#include "util/util.h"

enum ioc_fmt { IOC_FMT_TABLE, IOC_FMT_TABS, IOC_FMT_JSON };

struct ioc_table {
	struct ioc_strv cols;
	struct ioc_strv cells; /* row-major */
	size_t nrows;
};

void ioc_table_init(struct ioc_table *t, const char *const *cols);
void ioc_table_release(struct ioc_table *t);
/* Adds one row: exactly as many cells as columns. */
void ioc_table_add(struct ioc_table *t, const char *const *cells);
/* Renders to f. */
void ioc_table_print(const struct ioc_table *t, enum ioc_fmt fmt, FILE *f);

#endif
