/* output.c — render collected rows as a table, -H or JSON. */
#include "util/output.h"

#include <ctype.h>
#include <string.h>

void
ioc_table_init(struct ioc_table *t, const char *const *cols)
{
	size_t i;
	ioc_strv_init(&t->cols);
	ioc_strv_init(&t->cells);
	t->nrows = 0;
	for (i = 0; cols[i]; i++)
		ioc_strv_push(&t->cols, cols[i]);
}

void
ioc_table_release(struct ioc_table *t)
{
	ioc_strv_release(&t->cols);
	ioc_strv_release(&t->cells);
	t->nrows = 0;
}

void
ioc_table_add(struct ioc_table *t, const char *const *cells)
{
	size_t i;
	for (i = 0; i < t->cols.n; i++)
		ioc_strv_push(&t->cells, cells[i] ? cells[i] : "-");
	t->nrows++;
}

/* A cell for one-line output: control characters escaped. */
static char *
ioc_cell_flat(const char *s)
{
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	for (; *s; s++) {
		if (*s == '\t')
			ioc_sb_adds(&sb, "\\t");
		else if (*s == '\n')
			ioc_sb_adds(&sb, "\\n");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			ioc_sb_addf(&sb, "\\x%02x", (unsigned char)*s);
		else if (*s == '\\')
			ioc_sb_adds(&sb, "\\\\");
		else
			ioc_sb_addc(&sb, *s);
	}
	return ioc_sb_detach(&sb);
}

/* Display width of a UTF-8 string (code points; good enough for tables). */
static size_t
ioc_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
ioc_table_print(const struct ioc_table *t, enum ioc_fmt fmt, FILE *f)
{
	size_t nc = t->cols.n, r, c;
	struct ioc_sb sb = IOC_SB_INIT;

	ioc_sb_init(&sb);
	if (fmt == IOC_FMT_JSON) {
		ioc_sb_addc(&sb, '[');
		for (r = 0; r < t->nrows; r++) {
			ioc_sb_adds(&sb, r ? ",\n {" : "\n {");
			for (c = 0; c < nc; c++) {
				_cleanup_free_ char *key = ioc_xstrdup(t->cols.v[c]);
				char *k;
				for (k = key; *k; k++)
					*k = (char)tolower((unsigned char)*k);
				if (c)
					ioc_sb_adds(&sb, ", ");
				ioc_sb_add_json(&sb, key);
				ioc_sb_adds(&sb, ": ");
				ioc_sb_add_json(&sb, t->cells.v[r * nc + c]);
			}
			ioc_sb_addc(&sb, '}');
		}
		ioc_sb_adds(&sb, t->nrows ? "\n]\n" : "]\n");
	} else if (fmt == IOC_FMT_TABS) {
		for (r = 0; r < t->nrows; r++) {
			for (c = 0; c < nc; c++) {
				_cleanup_free_ char *cell = ioc_cell_flat(t->cells.v[r * nc + c]);
				if (c)
					ioc_sb_addc(&sb, '\t');
				ioc_sb_adds(&sb, cell);
			}
			ioc_sb_addc(&sb, '\n');
		}
	} else {
		size_t *w = ioc_xcalloc(nc, sizeof(size_t));
		struct ioc_strv flat = IOC_STRV_INIT;
		for (r = 0; r < t->nrows * nc; r++)
			ioc_strv_push_owned(&flat, ioc_cell_flat(t->cells.v[r]));
		for (c = 0; c < nc; c++)
			w[c] = ioc_width(t->cols.v[c]);
		for (r = 0; r < t->nrows; r++)
			for (c = 0; c < nc; c++)
				/* nrows * nc cells were pushed above: flat.v is set */
				/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
				if (ioc_width(flat.v[r * nc + c]) > w[c])
					w[c] = ioc_width(flat.v[r * nc + c]);
		for (r = 0; r <= t->nrows; r++) {
			for (c = 0; c < nc; c++) {
				const char *s = r == 0 ? t->cols.v[c] : flat.v[(r - 1) * nc + c];
				size_t pad = w[c] - ioc_width(s) + 2, k;
				ioc_sb_adds(&sb, s);
				if (c + 1 < nc)
					for (k = 0; k < pad; k++)
						ioc_sb_addc(&sb, ' ');
			}
			ioc_sb_addc(&sb, '\n');
		}
		ioc_strv_release(&flat);
		free(w);
	}
	fwrite(sb.buf, 1, sb.len, f);
	ioc_sb_release(&sb);
}

/* Appends s as printf's "%-W.Ps" would, then the separator. */
static void
ioc_fixed_cell(struct ioc_sb *sb, const char *s, const struct ioc_colfmt *f)
{
	size_t len = strlen(s), k;
	size_t w = f->width < 0 ? (size_t)-f->width : (size_t)f->width;
	if (f->prec > 0 && len > (size_t)f->prec)
		len = (size_t)f->prec;
	for (k = len; f->width < 0 && k < w; k++)
		ioc_sb_addc(sb, ' ');
	ioc_sb_add(sb, s, len);
	for (k = len; f->width > 0 && k < w; k++)
		ioc_sb_addc(sb, ' ');
	ioc_sb_adds(sb, f->sep ? f->sep : "");
}

void
ioc_table_print_fixed(
    const struct ioc_table *t, const struct ioc_colfmt *head, const struct ioc_colfmt *row, FILE *f)
{
	size_t nc = t->cols.n, r, c;
	struct ioc_sb sb = IOC_SB_INIT;
	ioc_sb_init(&sb);
	for (c = 0; head && c < nc; c++)
		ioc_fixed_cell(&sb, t->cols.v[c], &head[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < nc; c++) {
			_cleanup_free_ char *cell = ioc_cell_flat(t->cells.v[r * nc + c]);
			ioc_fixed_cell(&sb, cell, &row[c]);
		}
	fwrite(sb.buf, 1, sb.len, f);
	ioc_sb_release(&sb);
}
