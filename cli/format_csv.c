/* format_csv.c: findings as CSV, one header line and one line per finding, for spreadsheets and Gitleaks' CSV readers. */
#include "formats.h"

void csv_header(ks_strbuf *b)
{
    for (int i = 0; i < FINDING_COLUMNS; i++) {
        if (i)
            ks__sb_putn(b, ",", 1);
        ks__sb_puts(b, finding_column_names[i]);
    }
    ks__sb_putn(b, "\r\n", 2); /* RFC 4180's record separator; line breaks inside a quoted field stay as they were */
}

void csv_row(ks_strbuf *b, const finding_view *f)
{
    finding_row r;
    finding_row_fill(&r, f);
    for (int i = 0; i < FINDING_COLUMNS; i++) {
        if (i)
            ks__sb_putn(b, ",", 1);
        csv_cell(b, r.s[i], r.n[i]);
    }
    ks__sb_putn(b, "\r\n", 2);
    if (r.file.oom)
        b->oom = 1;
    finding_row_free(&r);
}
