/* format_junit.c: findings as a JUnit XML report, one failed test case per finding, for CI test-report views. */
#include <string.h>

#include "formats.h"
#include "output.h"

static void attr(ks_strbuf *b, const char *name, const void *s, size_t n)
{
    ks__sb_printf(b, " %s=\"", name);
    xml_string(b, s, n, 1);
    ks__sb_putn(b, "\"", 1);
}

static void attr_str(ks_strbuf *b, const char *name, const char *s) { attr(b, name, s, strlen(s)); }

/* The failure's text: one "Column: value" line per column (those of Gitleaks' CSV header, the csv format's), the
 * commit's only for a history finding; a line break inside a value is followed by two spaces, so that a reader
 * splits the lines back into columns and a person sees where a multi-line match or message goes on. */
static void failure_body(ks_strbuf *b, const finding_row *r)
{
    for (int i = 0; i < FINDING_COLUMNS; i++) {
        if ((!r->origin && i >= COL_COMMIT && i <= COL_MESSAGE) || (i >= COL_NEAR_MISS && !r->n[i]))
            continue;
        ks__sb_printf(b, "%s: ", finding_column_names[i]);
        const unsigned char *s = r->s[i], *end = s + r->n[i];
        while (s < end) {
            const unsigned char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
            xml_string(b, s, n, 0);
            s += n;
            if (nl) {
                ks__sb_puts(b, "\n  ");
                s++;
            }
        }
        ks__sb_putn(b, "\n", 1);
    }
}

void junit_case(ks_strbuf *cases, const finding_view *f)
{
    finding_row r;
    finding_row_fill(&r, f);
    ks_strbuf t = {0};
    const char *file = (const char *)r.s[COL_FILE];
    /* name: where, as people and editors write it (path:line); classname: the rule, so that a CI view groups by it */
    ks__sb_printf(&t, "%s:%llu", file, (unsigned long long)f->m->line);
    ks__sb_puts(cases, "  <testcase");
    attr_str(cases, "classname", f->m->rule_id);
    attr(cases, "name", t.s ? t.s : "", t.len);
    attr_str(cases, "file", file);
    /* a near miss failed its rule's check: shown as a skipped test, never as a failure a CI view counts */
    ks__sb_puts(cases, f->m->near_miss ? ">\n    <skipped" : ">\n    <failure");
    /* the message never holds the secret: CI views print it in lists */
    t.len = 0;
    ks__sb_printf(&t, "%s (%s) in %s at line %llu, column %llu", f->m->rule_id, f->rule->name, file,
                  (unsigned long long)f->m->line, (unsigned long long)f->m->column);
    if (r.origin && *r.origin->commit)
        ks__sb_printf(&t, ", commit %s", r.origin->commit);
    if (f->m->near_miss)
        ks__sb_printf(&t, " (near miss: %s failed)", finding_near_miss(f->m));
    else if (f->m->known_test_key)
        ks__sb_puts(&t, " (a known test key)");
    attr(cases, "message", t.s ? t.s : "", t.len);
    attr_str(cases, "type", finding_severity(f->m));
    ks__sb_puts(cases, ">");
    failure_body(cases, &r);
    ks__sb_puts(cases, f->m->near_miss ? "</skipped>\n  </testcase>\n" : "</failure>\n  </testcase>\n");
    if (t.oom || r.file.oom)
        cases->oom = 1;
    ks__sb_free(&t);
    finding_row_free(&r);
}

void junit_document(ks_strbuf *b, const ks_strbuf *cases, unsigned long long n, unsigned long long skipped, int complete)
{
    /* an incomplete or interrupted scan is one more test, in error: a CI view must not show it as passing */
    unsigned long long errors = complete ? 0 : 1;
    ks__sb_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    ks__sb_printf(b, "<testsuites name=\"keysweep\" tests=\"%llu\" failures=\"%llu\" errors=\"%llu\">\n", n + errors,
                  n - skipped, errors);
    ks__sb_printf(b, "<testsuite name=\"keysweep\" tests=\"%llu\" failures=\"%llu\" errors=\"%llu\" skipped=\"%llu\"",
                  n + errors, n - skipped, errors, skipped);
    if (!n && !errors) { /* a clean scan: an empty suite, which JUnit readers count as passing */
        ks__sb_puts(b, "/>\n</testsuites>\n");
        return;
    }
    ks__sb_puts(b, ">\n");
    ks__sb_putn(b, cases->s ? cases->s : "", cases->len);
    if (errors)
        ks__sb_puts(b, "  <testcase classname=\"keysweep\" name=\"scan\">\n    <error message=\"the scan is incomplete "
                       "(files not read, or interrupted): keysweep's messages say why\" type=\"incomplete\"/>\n"
                       "  </testcase>\n");
    ks__sb_puts(b, "</testsuite>\n</testsuites>\n");
}
