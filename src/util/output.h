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

/*
 * One column of a fixed layout, as printf's "%-WIDTH.PRECs" followed by sep:
 * width pads on the right to at least that many bytes (0: none; negative:
 * on the left, as "%WIDTHs"), prec cuts the cell to at most that many bytes
 * (0: no cut).  The shell iocage printed
 * its tables so; scripts written for it count on the columns.
 */
struct ioc_colfmt {
	int width;
	int prec;
	const char *sep;
};
/*
 * Renders t with a fixed layout: the column names with head (NULL: no header
 * line), every row with row; each array has one entry a column.  Control
 * characters in cells are escaped as in -H.
 */
void ioc_table_print_fixed(const struct ioc_table *t, const struct ioc_colfmt *head,
    const struct ioc_colfmt *row, FILE *f);

#endif
