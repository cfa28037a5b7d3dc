/* toml.c: a careful TOML reader for rule configurations (Debian 12 has no C TOML library; see toml.h). */
#include "toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keysweep.h"

#include "alloc.h"
#include "hex.h"
#include "strbuf.h"
#include "strtod_c.h"

/* How a table came to exist, which decides what may still be added to it (TOML 1.0, "Table"). */
#define T_DEFINED 0x1u  /* by its own [header] */
#define T_IMPLICIT 0x2u /* as the parent in a header path ([a.b] creates a): may be defined later, once */
#define T_DOTTED 0x4u   /* by a dotted key (a.b = 1): dotted keys may extend it, headers may not */
#define T_INLINE 0x8u   /* an inline table { ... }: sealed */

#define MAX_DEPTH 64     /* nested arrays and inline tables; bounds the recursion */
#define MAX_KEY_PARTS 32 /* a.b.c... */

typedef struct parser {
    const char *p, *end;
    unsigned long line;
    ks_toml_error *err;
    int rc;
} parser;


typedef struct keypath {
    char *part[MAX_KEY_PARTS];
    size_t n;
} keypath;

static int perr(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(parser *ps, const char *fmt, ...)
{
    if (!ps->rc) {
        ps->rc = KS_EPARSE;
        ps->err->line = ps->line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int poom(parser *ps)
{
    if (!ps->rc) {
        ps->rc = KS_ENOMEM;
        ps->err->line = ps->line;
        snprintf(ps->err->msg, sizeof ps->err->msg, "out of memory");
    }
    return -1;
}

const char *ks__toml_type_name(ks_toml_type t)
{
    static const char *const names[] = {"string", "integer", "float", "boolean", "array", "table"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

/* ---- tree ---- */

static void table_free(ks_toml_table *t);

static void value_free(ks_toml_value *v)
{
    if (v->type == KS_TOML_STRING) {
        ks__free(v->u.str.s);
    } else if (v->type == KS_TOML_ARRAY && v->u.arr) {
        for (size_t i = 0; i < v->u.arr->n; i++)
            value_free(&v->u.arr->items[i]);
        ks__free(v->u.arr->items);
        ks__free(v->u.arr);
    } else if (v->type == KS_TOML_TABLE) {
        table_free(v->u.tab);
    }
    memset(v, 0, sizeof *v);
}

static void table_free(ks_toml_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        ks__free(t->items[i].key);
        value_free(&t->items[i].val);
    }
    ks__free(t->items);
    ks__free(t);
}

void ks__toml_free(ks_toml_table *t) { table_free(t); }

const ks_toml_value *ks__toml_get(const ks_toml_table *t, const char *key)
{
    if (!t || !key)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->items[i].key, key) == 0)
            return &t->items[i].val;
    return NULL;
}

static ks_toml_value *table_find(ks_toml_table *t, const char *key)
{
    return (ks_toml_value *)ks__toml_get(t, key);
}

/* Appends key (taken over, also on failure) with value v (moved in); returns the stored value or NULL. */
static ks_toml_value *table_add(parser *ps, ks_toml_table *t, char *key, ks_toml_value *v)
{
    if (ks__grow((void **)&t->items, &t->cap, t->n, sizeof *t->items, 8)) {
        ks__free(key);
        value_free(v);
        poom(ps);
        return NULL;
    }
    t->items[t->n].key = key;
    t->items[t->n].val = *v;
    memset(v, 0, sizeof *v);
    return &t->items[t->n++].val;
}

static ks_toml_value *array_push(parser *ps, ks_toml_array *a, ks_toml_value *v)
{
    if (ks__grow((void **)&a->items, &a->cap, a->n, sizeof *a->items, 8)) {
        value_free(v);
        poom(ps);
        return NULL;
    }
    a->items[a->n] = *v;
    memset(v, 0, sizeof *v);
    return &a->items[a->n++];
}

static int new_table_value(parser *ps, ks_toml_value *v, unsigned flags)
{
    memset(v, 0, sizeof *v);
    v->type = KS_TOML_TABLE;
    v->line = ps->line;
    v->u.tab = ks__calloc(1, sizeof *v->u.tab);
    if (!v->u.tab)
        return poom(ps);
    v->u.tab->flags = flags;
    return 0;
}

static int new_array_value(parser *ps, ks_toml_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = KS_TOML_ARRAY;
    v->line = ps->line;
    v->u.arr = ks__calloc(1, sizeof *v->u.arr);
    return v->u.arr ? 0 : poom(ps);
}

/* ---- lexical helpers ---- */

static int at_end(const parser *ps) { return ps->p >= ps->end; }

static int peek_is(const parser *ps, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

static void skip_ws(parser *ps)
{
    while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

static void skip_comment(parser *ps)
{
    if (!at_end(ps) && *ps->p == '#')
        while (!at_end(ps) && *ps->p != '\n')
            ps->p++;
}

/* Consumes one newline ("\n" or "\r\n"); returns 1 when there was one. */
static int eat_newline(parser *ps)
{
    if (peek_is(ps, "\n")) {
        ps->p++;
    } else if (peek_is(ps, "\r\n")) {
        ps->p += 2;
    } else {
        return 0;
    }
    ps->line++;
    return 1;
}

/* Whitespace, comments and newlines: between statements and inside arrays. */
static void skip_blank(parser *ps)
{
    for (;;) {
        skip_ws(ps);
        skip_comment(ps);
        if (!eat_newline(ps))
            return;
    }
}

/* After a statement only a comment may follow on the same line. */
static int expect_eol(parser *ps)
{
    skip_ws(ps);
    skip_comment(ps);
    if (at_end(ps) || eat_newline(ps))
        return 0;
    return perr(ps, "expected the end of the line, found '%c'", *ps->p);
}

/* Appends to a string being read; a failed allocation fails the parse. */
static int sb_add(parser *ps, ks_strbuf *b, const char *s, size_t n)
{
    ks__sb_putn(b, s, n);
    return b->oom ? poom(ps) : 0;
}

static int sb_utf8(parser *ps, ks_strbuf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return sb_add(ps, b, u, n);
}

/* TOML forbids raw control characters in strings, except tab (and newlines in multi-line ones). */
static int is_bad_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

/* One escape after the backslash (already consumed). */
static int parse_escape(parser *ps, ks_strbuf *b)
{
    if (at_end(ps))
        return perr(ps, "unterminated string");
    char c = *ps->p++;
    const char *simple = NULL;
    switch (c) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case 'e': simple = "\x1b"; break; /* TOML 1.1 */
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case 'x': case 'u': case 'U': {
        int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8; /* \xHH is TOML 1.1 */
        unsigned long cp = 0;
        for (int i = 0; i < digits; i++) {
            int h = at_end(ps) ? -1 : ks__hex_value(*ps->p);
            if (h < 0)
                return perr(ps, "\\%c needs %d hexadecimal digits", c, digits);
            cp = cp * 16 + (unsigned long)h;
            ps->p++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return perr(ps, "\\%c escape is not a Unicode scalar value", c);
        return sb_utf8(ps, b, cp);
    }
    default:
        return perr(ps, "invalid escape '\\%c' in a string (a regex in a \"...\" string needs \\\\; '...' strings "
                        "take backslashes as they are)",
                    c);
    }
    return sb_add(ps, b, simple, 1);
}

/* Strings: the opening quote(s) are at ps->p. The result is NUL-terminated and may hold NULs. */
static int parse_string(parser *ps, ks_toml_value *v)
{
    int literal = *ps->p == '\'';
    const char *q3 = literal ? "'''" : "\"\"\"";
    char q = literal ? '\'' : '"';
    int multi = peek_is(ps, q3);
    ks_strbuf b = {0};
    memset(v, 0, sizeof *v);
    v->type = KS_TOML_STRING;
    v->line = ps->line;
    if (sb_add(ps, &b, "", 0))
        return -1;
    ps->p += multi ? 3 : 1;
    if (multi)
        eat_newline(ps); /* a newline right after the opening delimiter is trimmed */
    for (;;) {
        if (at_end(ps)) {
            ps->line = v->line;
            perr(ps, "unterminated string");
            goto fail;
        }
        unsigned char c = (unsigned char)*ps->p;
        if (c == (unsigned char)q) {
            if (!multi) {
                ps->p++;
                break;
            }
            size_t run = 0;
            while (ps->p + run < ps->end && ps->p[run] == q)
                run++;
            if (run >= 3) {
                if (run > 5) {
                    perr(ps, "too many quotes at the end of a multi-line string");
                    goto fail;
                }
                if (sb_add(ps, &b, ps->p, run - 3)) /* up to two quotes end the content */
                    goto fail;
                ps->p += run;
                break;
            }
            if (sb_add(ps, &b, ps->p, run))
                goto fail;
            ps->p += run;
            continue;
        }
        if (c == '\n' || (c == '\r' && peek_is(ps, "\r\n"))) {
            if (!multi) {
                perr(ps, "unterminated string (a single-line string ends on its line)");
                goto fail;
            }
            eat_newline(ps);
            if (sb_add(ps, &b, "\n", 1)) /* CRLF is read as LF */
                goto fail;
            continue;
        }
        if (c == '\\' && !literal) {
            ps->p++;
            if (multi) {
                /* A line-ending backslash trims the newline and the whitespace that follows. */
                const char *s = ps->p;
                while (s < ps->end && (*s == ' ' || *s == '\t'))
                    s++;
                if (s < ps->end && (*s == '\n' || (*s == '\r' && s + 1 < ps->end && s[1] == '\n'))) {
                    ps->p = s;
                    for (;;) {
                        skip_ws(ps);
                        if (!eat_newline(ps))
                            break;
                    }
                    continue;
                }
            }
            if (parse_escape(ps, &b))
                goto fail;
            continue;
        }
        if (is_bad_control(c)) {
            perr(ps, "control character 0x%02x in a string (use an escape)", c);
            goto fail;
        }
        if (sb_add(ps, &b, ps->p, 1))
            goto fail;
        ps->p++;
    }
    v->u.str.s = b.s;
    v->u.str.len = b.len;
    return 0;
fail:
    ks__free(b.s);
    memset(v, 0, sizeof *v);
    return -1;
}

/* ---- keys ---- */

static int is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void keypath_free(keypath *k)
{
    for (size_t i = 0; i < k->n; i++)
        ks__free(k->part[i]);
    k->n = 0;
}

/* key = simple-key *( ws "." ws simple-key ); whitespace around it is skipped. */
static int parse_key(parser *ps, keypath *k)
{
    k->n = 0;
    for (;;) {
        skip_ws(ps);
        if (k->n == MAX_KEY_PARTS)
            return perr(ps, "key has more than %d dotted parts", MAX_KEY_PARTS);
        char *part = NULL;
        if (!at_end(ps) && (*ps->p == '"' || *ps->p == '\'')) {
            if (peek_is(ps, "\"\"\"") || peek_is(ps, "'''"))
                return perr(ps, "a key cannot be a multi-line string");
            ks_toml_value sv;
            if (parse_string(ps, &sv))
                return -1;
            if (strlen(sv.u.str.s) != sv.u.str.len) {
                value_free(&sv);
                return perr(ps, "a key cannot contain a NUL character");
            }
            part = sv.u.str.s;
        } else {
            const char *s = ps->p;
            while (!at_end(ps) && is_bare(*ps->p))
                ps->p++;
            if (ps->p == s) {
                if (at_end(ps) || *ps->p == '\n' || *ps->p == '\r')
                    return perr(ps, "expected a key");
                return perr(ps, "expected a key, found '%c'", *ps->p);
            }
            part = ks__strndup(s, (size_t)(ps->p - s));
            if (!part)
                return poom(ps);
        }
        k->part[k->n++] = part;
        skip_ws(ps);
        if (at_end(ps) || *ps->p != '.')
            return 0;
        ps->p++;
    }
}

/* ---- values ---- */

static int parse_value(parser *ps, ks_toml_value *v, int depth);
static int parse_keyval(parser *ps, ks_toml_table *cur, int depth);

static int is_value_end(char c)
{
    return c == ' ' || c == '\t' || c == ',' || c == ']' || c == '}' || c == '#' || c == '\n' || c == '\r';
}

/* Digits with single underscores between them; returns the number of characters consumed or 0. */
static size_t scan_digits(const char *s, size_t n, int base)
{
    size_t i = 0;
    int prev_digit = 0;
    for (; i < n; i++) {
        char c = s[i];
        int d = ks__hex_value(c);
        if (d >= 0 && d < base) {
            prev_digit = 1;
        } else if (c == '_' && prev_digit && i + 1 < n && ks__hex_value(s[i + 1]) >= 0 && ks__hex_value(s[i + 1]) < base) {
            prev_digit = 0;
        } else {
            break;
        }
    }
    return i;
}

static int parse_number(parser *ps, ks_toml_value *v)
{
    const char *s = ps->p;
    while (!at_end(ps) && !is_value_end(*ps->p))
        ps->p++;
    size_t n = (size_t)(ps->p - s);
    char tok[128];
    if (n >= sizeof tok)
        return perr(ps, "number too long");
    memcpy(tok, s, n);
    tok[n] = '\0';
    memset(v, 0, sizeof *v);
    v->line = ps->line;
    if (memchr(tok, ':', n) || (n >= 5 && scan_digits(tok, 4, 10) == 4 && tok[4] == '-'))
        return perr(ps, "dates and times are not supported ('%s')", tok);
    const char *t = tok;
    int neg = 0, sign = 0;
    if (*t == '+' || *t == '-') {
        neg = *t == '-';
        sign = 1;
        t++;
    }
    if (strcmp(t, "inf") == 0 || strcmp(t, "nan") == 0) {
        v->type = KS_TOML_FLOAT;
        v->u.f = t[0] == 'i' ? (neg ? -INFINITY : INFINITY) : NAN;
        return 0;
    }
    int base = 10;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        if (sign)
            return perr(ps, "a signed number cannot have a 0%c prefix", t[1]);
        t += 2;
    }
    size_t len = strlen(t), i = scan_digits(t, len, base);
    if (!i)
        return perr(ps, "invalid number '%s'", tok);
    if (base == 10 && t[0] == '0' && i > 1)
        return perr(ps, "leading zeros are not allowed in '%s'", tok);
    int is_float = 0;
    if (base == 10 && t[i] == '.') {
        size_t f = scan_digits(t + i + 1, len - i - 1, 10);
        if (!f)
            return perr(ps, "a decimal point needs digits on both sides in '%s'", tok);
        i += 1 + f;
        is_float = 1;
    }
    if (base == 10 && (t[i] == 'e' || t[i] == 'E')) {
        size_t j = i + 1;
        if (t[j] == '+' || t[j] == '-')
            j++;
        size_t e = scan_digits(t + j, len - j, 10);
        if (!e)
            return perr(ps, "invalid exponent in '%s'", tok);
        i = j + e;
        is_float = 1;
    }
    if (i != len)
        return perr(ps, "invalid number '%s'", tok);
    char clean[128];
    size_t c = 0;
    if (neg)
        clean[c++] = '-';
    for (size_t k = 0; k < len; k++)
        if (t[k] != '_')
            clean[c++] = t[k];
    clean[c] = '\0';
    errno = 0;
    if (is_float) {
        v->type = KS_TOML_FLOAT;
        v->u.f = ks__strtod_c(clean, NULL); /* "0.5" must not depend on the host's LC_NUMERIC */
        if (errno == ERANGE && isinf(v->u.f))
            return perr(ps, "number out of range '%s'", tok);
    } else {
        v->type = KS_TOML_INT;
        if (base == 10) {
            v->u.i = strtoll(clean, NULL, 10);
        } else {
            unsigned long long u = strtoull(clean, NULL, base);
            if (!errno && u > INT64_MAX)
                errno = ERANGE;
            v->u.i = (int64_t)u;
        }
        if (errno == ERANGE)
            return perr(ps, "integer out of range '%s'", tok);
    }
    return 0;
}

static int parse_array(parser *ps, ks_toml_value *v, int depth)
{
    if (new_array_value(ps, v))
        return -1;
    ps->p++; /* [ */
    for (;;) {
        skip_blank(ps);
        if (at_end(ps)) {
            ps->line = v->line;
            perr(ps, "unterminated array");
            goto fail;
        }
        if (*ps->p == ']') {
            ps->p++;
            return 0;
        }
        ks_toml_value item;
        if (parse_value(ps, &item, depth + 1))
            goto fail;
        if (!array_push(ps, v->u.arr, &item))
            goto fail;
        skip_blank(ps);
        if (!at_end(ps) && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (!at_end(ps) && *ps->p == ']')
            continue;
        if (at_end(ps)) {
            ps->line = v->line;
            perr(ps, "unterminated array");
        } else {
            perr(ps, "expected ',' or ']' in an array, found '%c'", *ps->p);
        }
        goto fail;
    }
fail:
    value_free(v);
    return -1;
}

/* { k = v, ... }: newlines and a trailing comma are accepted (TOML 1.1). */
static int parse_inline_table(parser *ps, ks_toml_value *v, int depth)
{
    if (new_table_value(ps, v, 0))
        return -1;
    ps->p++; /* { */
    for (;;) {
        skip_blank(ps);
        if (at_end(ps)) {
            ps->line = v->line;
            perr(ps, "unterminated inline table");
            goto fail;
        }
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        if (parse_keyval(ps, v->u.tab, depth + 1))
            goto fail;
        skip_blank(ps);
        if (!at_end(ps) && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (!at_end(ps) && *ps->p == '}')
            continue;
        if (at_end(ps))
            continue; /* reported as unterminated above */
        perr(ps, "expected ',' or '}' in an inline table, found '%c'", *ps->p);
        goto fail;
    }
    v->u.tab->flags |= T_INLINE;
    return 0;
fail:
    value_free(v);
    return -1;
}

static int parse_value(parser *ps, ks_toml_value *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > MAX_DEPTH)
        return perr(ps, "values nested more than %d deep", MAX_DEPTH);
    if (at_end(ps) || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '#')
        return perr(ps, "expected a value");
    char c = *ps->p;
    if (c == '"' || c == '\'')
        return parse_string(ps, v);
    if (c == '[')
        return parse_array(ps, v, depth);
    if (c == '{')
        return parse_inline_table(ps, v, depth);
    if (peek_is(ps, "true") || peek_is(ps, "false")) {
        size_t n = c == 't' ? 4 : 5;
        if (ps->p + n == ps->end || is_value_end(ps->p[n])) {
            v->type = KS_TOML_BOOL;
            v->line = ps->line;
            v->u.b = c == 't';
            ps->p += n;
            return 0;
        }
    }
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i' || c == 'n')
        return parse_number(ps, v);
    return perr(ps, "expected a value (string, number, boolean, array or table), found '%c'", c);
}

/* ---- statements ---- */

/* key = value, into table `cur` (dotted keys create or extend sub-tables). */
static int parse_keyval(parser *ps, ks_toml_table *cur, int depth)
{
    keypath k;
    unsigned long line = ps->line;
    if (parse_key(ps, &k))
        goto fail;
    ks_toml_table *t = cur;
    for (size_t i = 0; i + 1 < k.n; i++) {
        ks_toml_value *sub = table_find(t, k.part[i]);
        if (!sub) {
            ks_toml_value nv;
            if (new_table_value(ps, &nv, T_DOTTED))
                goto fail;
            char *key = k.part[i];
            k.part[i] = NULL;
            sub = table_add(ps, t, key, &nv);
            if (!sub)
                goto fail;
        } else if (sub->type != KS_TOML_TABLE || !(sub->u.tab->flags & T_DOTTED)) {
            perr(ps, "key '%s' is already defined and cannot be extended with a dotted key", k.part[i]);
            goto fail;
        }
        t = sub->u.tab;
    }
    if (at_end(ps) || *ps->p != '=') {
        perr(ps, "expected '=' after the key '%s'", k.part[k.n - 1]);
        goto fail;
    }
    ps->p++;
    skip_ws(ps);
    if (table_find(t, k.part[k.n - 1])) {
        ps->line = line;
        perr(ps, "duplicate key '%s'", k.part[k.n - 1]);
        goto fail;
    }
    ks_toml_value v;
    if (parse_value(ps, &v, depth))
        goto fail;
    char *key = k.part[k.n - 1];
    k.part[k.n - 1] = NULL;
    if (!table_add(ps, t, key, &v))
        goto fail;
    keypath_free(&k);
    return 0;
fail:
    keypath_free(&k);
    return -1;
}

/* [a.b] or [[a.b]]: finds or creates the table that following key/values go to. */
static int parse_header(parser *ps, ks_toml_table *root, ks_toml_table **cur)
{
    int array = peek_is(ps, "[[");
    unsigned long line = ps->line;
    ps->p += array ? 2 : 1;
    keypath k;
    if (parse_key(ps, &k))
        goto fail;
    if (!peek_is(ps, array ? "]]" : "]")) {
        perr(ps, "expected '%s' to close the table header", array ? "]]" : "]");
        goto fail;
    }
    ps->p += array ? 2 : 1;
    ks_toml_table *t = root;
    for (size_t i = 0; i + 1 < k.n; i++) {
        ks_toml_value *sub = table_find(t, k.part[i]);
        if (!sub) {
            ks_toml_value nv;
            if (new_table_value(ps, &nv, T_IMPLICIT))
                goto fail;
            nv.line = line;
            char *key = k.part[i];
            k.part[i] = NULL;
            if (!(sub = table_add(ps, t, key, &nv)))
                goto fail;
        }
        if (sub->type == KS_TOML_ARRAY && sub->u.arr->of_tables && sub->u.arr->n) {
            sub = &sub->u.arr->items[sub->u.arr->n - 1]; /* [[a]] then [a.b]: b goes to the last a */
        } else if (sub->type != KS_TOML_TABLE || (sub->u.tab->flags & T_INLINE)) {
            perr(ps, "'%s' is already a %s and cannot hold a table", k.part[i],
                 sub->type == KS_TOML_TABLE ? "inline table" : ks__toml_type_name(sub->type));
            goto fail;
        }
        t = sub->u.tab;
    }
    const char *name = k.part[k.n - 1];
    ks_toml_value *last = table_find(t, name);
    if (array) {
        if (!last) {
            ks_toml_value nv;
            if (new_array_value(ps, &nv))
                goto fail;
            nv.u.arr->of_tables = 1;
            nv.line = line;
            char *key = k.part[k.n - 1];
            k.part[k.n - 1] = NULL;
            if (!(last = table_add(ps, t, key, &nv)))
                goto fail;
        } else if (last->type != KS_TOML_ARRAY || !last->u.arr->of_tables) {
            perr(ps, "[[%s]]: '%s' is already a %s, not an array of tables", name, name,
                 last->type == KS_TOML_ARRAY ? "static array" : ks__toml_type_name(last->type));
            goto fail;
        }
        ks_toml_value nv;
        if (new_table_value(ps, &nv, T_DEFINED))
            goto fail;
        nv.line = line;
        ks_toml_value *el = array_push(ps, last->u.arr, &nv);
        if (!el)
            goto fail;
        *cur = el->u.tab;
    } else {
        if (!last) {
            ks_toml_value nv;
            if (new_table_value(ps, &nv, T_DEFINED))
                goto fail;
            nv.line = line;
            char *key = k.part[k.n - 1];
            k.part[k.n - 1] = NULL;
            if (!(last = table_add(ps, t, key, &nv)))
                goto fail;
        } else if (last->type == KS_TOML_TABLE && last->u.tab->flags == T_IMPLICIT) {
            last->u.tab->flags = T_DEFINED;
            last->line = line;
        } else {
            ps->line = line;
            perr(ps, "[%s]: '%s' is already defined", name, name);
            goto fail;
        }
        *cur = last->u.tab;
    }
    keypath_free(&k);
    return 0;
fail:
    keypath_free(&k);
    return -1;
}

int ks__toml_parse(const char *text, size_t len, ks_toml_table **out, ks_toml_error *err)
{
    ks_toml_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    if (!out || (!text && len))
        return KS_EINVAL;
    *out = NULL;
    parser ps = {text ? text : "", (text ? text : "") + len, 1, err, 0};
    if (peek_is(&ps, "\xEF\xBB\xBF"))
        ps.p += 3; /* a UTF-8 byte order mark */
    ks_toml_table *root = ks__calloc(1, sizeof *root);
    if (!root) {
        poom(&ps);
        return ps.rc;
    }
    root->flags = T_DEFINED;
    ks_toml_table *cur = root;
    for (;;) {
        skip_blank(&ps);
        if (at_end(&ps))
            break;
        int r = *ps.p == '[' ? parse_header(&ps, root, &cur) : parse_keyval(&ps, cur, 0);
        if (r || expect_eol(&ps))
            break;
    }
    if (ps.rc) {
        table_free(root);
        return ps.rc;
    }
    *out = root;
    return 0;
}
