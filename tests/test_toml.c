/* test_toml.c: the TOML reader: every construct Gitleaks configurations use, errors with their line, allocation failures. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toml.h"
#include "fault.h"
#include "keysweep.h"

static ks_toml_table *parse_ok(const char *text)
{
    ks_toml_table *t = NULL;
    ks_toml_error err;
    int rc = ks__toml_parse(text, strlen(text), &t, &err);
    cr_assert_eq(rc, 0, "parse failed at line %lu: %s", err.line, err.msg);
    cr_assert_not_null(t);
    return t;
}

static void parse_err(const char *text, unsigned long line, const char *needle)
{
    ks_toml_table *t = (ks_toml_table *)1;
    ks_toml_error err;
    int rc = ks__toml_parse(text, strlen(text), &t, &err);
    cr_assert_eq(rc, KS_EPARSE, "expected KS_EPARSE for <<%s>>, got %d", text, rc);
    cr_assert_null(t);
    cr_assert_eq(err.line, line, "line %lu, expected %lu (%s) for <<%s>>", err.line, line, err.msg, text);
    cr_assert(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
}

static const ks_toml_value *get(const ks_toml_table *t, const char *key, ks_toml_type type)
{
    const ks_toml_value *v = ks__toml_get(t, key);
    cr_assert_not_null(v, "no key '%s'", key);
    cr_assert_eq(v->type, type, "'%s' is a %s, expected a %s", key, ks__toml_type_name(v->type), ks__toml_type_name(type));
    return v;
}

static const char *str(const ks_toml_table *t, const char *key) { return get(t, key, KS_TOML_STRING)->u.str.s; }

Test(toml, basic_strings_and_escapes)
{
    ks_toml_table *t = parse_ok("a = \"plain\"\n"
                                "b = \"tab\\there \\\"quoted\\\" back\\\\slash\\n\"\n"
                                "c = \"\\u00e9\\U0001F600\\b\\f\\r\"\n"
                                "d = \"\\u0000x\"\n"
                                "e = \"\"\n");
    cr_assert_str_eq(str(t, "a"), "plain");
    cr_assert_str_eq(str(t, "b"), "tab\there \"quoted\" back\\slash\n");
    cr_assert_str_eq(str(t, "c"), "\xc3\xa9\xf0\x9f\x98\x80\b\f\r");
    const ks_toml_value *d = get(t, "d", KS_TOML_STRING);
    cr_assert_eq(d->u.str.len, 2); /* an embedded NUL is kept, with its length */
    cr_assert_eq(d->u.str.s[1], 'x');
    cr_assert_str_eq(str(t, "e"), "");
    ks__toml_free(t);
}

Test(toml, literal_strings_keep_backslashes)
{
    ks_toml_table *t = parse_ok("re = '\\b(ghp_[0-9a-zA-Z]{36})\\b'\nq = 'say \"hi\"'\n");
    cr_assert_str_eq(str(t, "re"), "\\b(ghp_[0-9a-zA-Z]{36})\\b");
    cr_assert_str_eq(str(t, "q"), "say \"hi\"");
    ks__toml_free(t);
}

Test(toml, multiline_strings)
{
    ks_toml_table *t = parse_ok("lit = '''\n"
                                "first\\n 'quoted' ''two''\n"
                                "second'''\n"
                                "bas = \"\"\"\n"
                                "one \\\n"
                                "     two\\tthree\n"
                                "\"\"\"\n"
                                "q1 = \"\"\"ends with a quote\"\"\"\"\n"
                                "q2 = '''ends with two quotes'''''\n"
                                "after = 1\n");
    cr_assert_str_eq(str(t, "lit"), "first\\n 'quoted' ''two''\nsecond");
    cr_assert_str_eq(str(t, "bas"), "one two\tthree\n");
    cr_assert_str_eq(str(t, "q1"), "ends with a quote\"");
    cr_assert_str_eq(str(t, "q2"), "ends with two quotes''");
    const ks_toml_value *after = get(t, "after", KS_TOML_INT);
    cr_assert_eq(after->line, 10, "multi-line strings must keep the line count (got %lu)", after->line);
    ks__toml_free(t);
}

Test(toml, numbers_and_booleans)
{
    ks_toml_table *t = parse_ok("i1 = 42\ni2 = -17\ni3 = +1_000\ni4 = 0\n"
                                "h = 0xDEAD_beef\no = 0o755\nb = 0b1101\n"
                                "f1 = 3.5\nf2 = -2e3\nf3 = 6.626e-34\nf4 = 1_0.0_1\n"
                                "f5 = inf\nf6 = -inf\nf7 = nan\n"
                                "t = true\nf = false\n"
                                "big = 9223372036854775807\n");
    cr_assert_eq(get(t, "i1", KS_TOML_INT)->u.i, 42);
    cr_assert_eq(get(t, "i2", KS_TOML_INT)->u.i, -17);
    cr_assert_eq(get(t, "i3", KS_TOML_INT)->u.i, 1000);
    cr_assert_eq(get(t, "i4", KS_TOML_INT)->u.i, 0);
    cr_assert_eq(get(t, "h", KS_TOML_INT)->u.i, 0xDEADBEEF);
    cr_assert_eq(get(t, "o", KS_TOML_INT)->u.i, 0755);
    cr_assert_eq(get(t, "b", KS_TOML_INT)->u.i, 13);
    cr_assert_float_eq(get(t, "f1", KS_TOML_FLOAT)->u.f, 3.5, 1e-12);
    cr_assert_float_eq(get(t, "f2", KS_TOML_FLOAT)->u.f, -2000.0, 1e-9);
    cr_assert_float_eq(get(t, "f3", KS_TOML_FLOAT)->u.f, 6.626e-34, 1e-40);
    cr_assert_float_eq(get(t, "f4", KS_TOML_FLOAT)->u.f, 10.01, 1e-12);
    cr_assert(isinf(get(t, "f5", KS_TOML_FLOAT)->u.f) && get(t, "f5", KS_TOML_FLOAT)->u.f > 0);
    cr_assert(isinf(get(t, "f6", KS_TOML_FLOAT)->u.f) && get(t, "f6", KS_TOML_FLOAT)->u.f < 0);
    cr_assert(isnan(get(t, "f7", KS_TOML_FLOAT)->u.f));
    cr_assert_eq(get(t, "t", KS_TOML_BOOL)->u.b, 1);
    cr_assert_eq(get(t, "f", KS_TOML_BOOL)->u.b, 0);
    cr_assert_eq(get(t, "big", KS_TOML_INT)->u.i, INT64_MAX);
    ks__toml_free(t);
}

Test(toml, arrays_span_lines_with_comments_and_trailing_commas)
{
    ks_toml_table *t = parse_ok("keywords = [\n"
                                "    \"ghp_\", # a comment inside\n"
                                "    'gho_',\n"
                                "\n"
                                "    '''ghu_''',\n"
                                "]\n"
                                "nested = [[1, 2], [\"a\"], []]\n"
                                "mixed = [1, 'two', 3.0, true]\n"
                                "empty = [ ]\n");
    const ks_toml_array *a = get(t, "keywords", KS_TOML_ARRAY)->u.arr;
    cr_assert_eq(a->n, 3);
    cr_assert_str_eq(a->items[0].u.str.s, "ghp_");
    cr_assert_str_eq(a->items[1].u.str.s, "gho_");
    cr_assert_str_eq(a->items[2].u.str.s, "ghu_");
    cr_assert_eq(a->items[2].line, 5);
    const ks_toml_array *n = get(t, "nested", KS_TOML_ARRAY)->u.arr;
    cr_assert_eq(n->n, 3);
    cr_assert_eq(n->items[0].u.arr->n, 2);
    cr_assert_eq(n->items[0].u.arr->items[1].u.i, 2);
    cr_assert_eq(n->items[2].u.arr->n, 0);
    cr_assert_eq(get(t, "mixed", KS_TOML_ARRAY)->u.arr->n, 4);
    cr_assert_eq(get(t, "empty", KS_TOML_ARRAY)->u.arr->n, 0);
    ks__toml_free(t);
}

Test(toml, tables_arrays_of_tables_and_nesting)
{
    ks_toml_table *t = parse_ok("# header comment\n"
                                "title = \"cfg\"\n"
                                "\n"
                                "[allowlist]\n"
                                "paths = ['a']\n"
                                "\n"
                                "[[rules]]\n"
                                "id = \"one\"\n"
                                "[[rules.allowlists]]\n"
                                "regexes = ['x']\n"
                                "[[rules.allowlists]]\n"
                                "stopwords = ['y']\n"
                                "\n"
                                "[[rules]]  # trailing comment\n"
                                "id = \"two\"\n"
                                "[rules.allowlist]\n"
                                "regexTarget = \"match\"\n"
                                "[ a . \"b c\" . 'd' ]\n"
                                "k = 1\n");
    cr_assert_str_eq(str(t, "title"), "cfg");
    cr_assert_eq(get(t, "allowlist", KS_TOML_TABLE)->line, 4);
    const ks_toml_array *rules = get(t, "rules", KS_TOML_ARRAY)->u.arr;
    cr_assert_eq(rules->n, 2);
    cr_assert_eq(rules->items[0].line, 7);
    cr_assert_eq(rules->items[1].line, 14);
    const ks_toml_table *r0 = rules->items[0].u.tab, *r1 = rules->items[1].u.tab;
    cr_assert_str_eq(str(r0, "id"), "one");
    const ks_toml_array *al = get(r0, "allowlists", KS_TOML_ARRAY)->u.arr;
    cr_assert_eq(al->n, 2);
    cr_assert_eq(al->items[1].line, 11);
    cr_assert_not_null(ks__toml_get(al->items[1].u.tab, "stopwords"));
    cr_assert_str_eq(str(r1, "id"), "two");
    cr_assert_str_eq(str(get(r1, "allowlist", KS_TOML_TABLE)->u.tab, "regexTarget"), "match");
    const ks_toml_table *a = get(t, "a", KS_TOML_TABLE)->u.tab;
    const ks_toml_table *bc = get(a, "b c", KS_TOML_TABLE)->u.tab;
    cr_assert_eq(get(get(bc, "d", KS_TOML_TABLE)->u.tab, "k", KS_TOML_INT)->u.i, 1);
    ks__toml_free(t);
}

Test(toml, dotted_quoted_keys_and_inline_tables)
{
    ks_toml_table *t = parse_ok("extend.useDefault = true\n"
                                "extend.path = \"base.toml\"\n"
                                "\"quoted key\" = 1\n"
                                "'lit.key' = 2\n"
                                "point = { x = 1, y = 'two', sub.z = [3] }\n"
                                "empty = {}\n");
    const ks_toml_table *ext = get(t, "extend", KS_TOML_TABLE)->u.tab;
    cr_assert_eq(get(ext, "useDefault", KS_TOML_BOOL)->u.b, 1);
    cr_assert_str_eq(str(ext, "path"), "base.toml");
    cr_assert_eq(get(t, "quoted key", KS_TOML_INT)->u.i, 1);
    cr_assert_eq(get(t, "lit.key", KS_TOML_INT)->u.i, 2);
    const ks_toml_table *p = get(t, "point", KS_TOML_TABLE)->u.tab;
    cr_assert_str_eq(str(p, "y"), "two");
    cr_assert_eq(get(get(p, "sub", KS_TOML_TABLE)->u.tab, "z", KS_TOML_ARRAY)->u.arr->n, 1);
    cr_assert_eq(get(t, "empty", KS_TOML_TABLE)->u.tab->n, 0);
    ks__toml_free(t);
}

Test(toml, crlf_bom_and_empty_documents)
{
    ks_toml_table *t = parse_ok("\xEF\xBB\xBF# bom\r\na = 'x'\r\n[t]\r\nb = \"\"\"\r\nl1\r\nl2\"\"\"\r\nc = 3\r\n");
    cr_assert_str_eq(str(t, "a"), "x");
    const ks_toml_table *tt = get(t, "t", KS_TOML_TABLE)->u.tab;
    cr_assert_str_eq(str(tt, "b"), "l1\nl2");
    cr_assert_eq(get(tt, "c", KS_TOML_INT)->line, 7);
    ks__toml_free(t);
    t = parse_ok("");
    cr_assert_eq(t->n, 0);
    ks__toml_free(t);
    t = parse_ok("# only a comment\n\n   \n");
    cr_assert_eq(t->n, 0);
    ks__toml_free(t);
}

Test(toml, errors_name_the_line)
{
    parse_err("a = 1\nb = \"unterminated\n", 2, "unterminated string");
    parse_err("a = 1\n\nb = '''never\nclosed\n", 3, "unterminated string");
    parse_err("a = 1\na = 2\n", 2, "duplicate key 'a'");
    parse_err("x = \"bad \\q escape\"\n", 1, "invalid escape");
    parse_err("[t]\n[t]\n", 2, "already defined");
    parse_err("a = [1]\n[[a]]\n", 2, "not an array of tables");
    parse_err("a = 1\n[a.b]\n", 2, "cannot hold a table");
    parse_err("\n\nkey\n", 3, "expected '='");
    parse_err("n = 012\n", 1, "leading zeros");
    parse_err("n = 1__0\n", 1, "invalid number");
    parse_err("n = 1.\n", 1, "decimal point");
    parse_err("n = 0x\n", 1, "invalid number");
    parse_err("n = 99999999999999999999\n", 1, "out of range");
    parse_err("d = 1979-05-27\n", 1, "dates and times are not supported");
    parse_err("t = 07:32:00\n", 1, "dates and times are not supported");
    parse_err("a = 1 b = 2\n", 1, "expected the end of the line");
    parse_err("a = [1, 2\nb = 3\n", 2, "expected ',' or ']'");
    parse_err("a = [1,\n2,\n", 1, "unterminated array");
    parse_err("a = \"ctl\x01\"\n", 1, "control character");
    parse_err("a = truex\n", 1, "expected a value");
    parse_err("a =\n", 1, "expected a value");
    parse_err("= 1\n", 1, "expected a key");
    parse_err("[t\nx = 1\n", 1, "to close the table header");
    parse_err("t = {a = 1}\n[t]\n", 2, "already defined");
    parse_err("a.b = 1\n[a]\n", 2, "already defined");
    parse_err("[a.b]\n[a]\nb.c = 1\n", 3, "dotted key");
    parse_err("a = 1\na.b = 2\n", 2, "dotted key");
    parse_err("s = \"\\uD800\"\n", 1, "not a Unicode scalar value");
    parse_err("s = \"\"\"a\"\"\"\"\"\"\n", 1, "too many quotes");
}

Test(toml, nesting_is_bounded)
{
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "a = ");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    parse_err(deep, 1, "nested more than");
}

Test(toml, allocation_failures_are_reported_and_leak_nothing)
{
    const char *doc = "[[rules]]\nid = 'a'\nregex = '''x'''\nkeywords = [\"k\", \"l\"]\n"
                      "[[rules.allowlists]]\nregexes = ['a', \"b\"]\np = { q = 1 }\n";
    int succeeded = 0;
    for (long n = 1; n < 500 && !succeeded; n++) {
        ks__fault_alloc_set(n, 0);
        ks_toml_table *t = NULL;
        ks_toml_error err;
        int rc = ks__toml_parse(doc, strlen(doc), &t, &err);
        long failures = ks__fault_alloc_failures();
        ks__fault_alloc_set(0, 0);
        if (!failures) {
            cr_assert_eq(rc, 0);
            succeeded = 1;
        } else {
            cr_assert_eq(rc, KS_ENOMEM, "allocation %ld failed, rc %d", n, rc);
            cr_assert_null(t);
            cr_assert_str_eq(err.msg, "out of memory");
        }
        ks__toml_free(t);
    }
    cr_assert(succeeded);
}
