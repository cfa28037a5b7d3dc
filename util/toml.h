/* toml.h: a small TOML 1.0 reader (the subset rule and keysweep configurations use) producing an immutable document tree. */
#ifndef KS_TOML_H
#define KS_TOML_H

#include <stddef.h>
#include <stdint.h>

/*
 * Why hand-written: Debian 12 ships no C TOML library (libtomlplusplus-dev is C++, and a C++ shim
 * would put a C++ runtime into a C library that appliances link statically). Gitleaks
 * configurations use a small part of TOML, which this reader covers:
 *   - comments, bare and quoted keys, dotted keys;
 *   - [tables], [[arrays of tables]] (also nested: [[rules.allowlists]]), inline tables { k = v };
 *   - strings: basic "..." with every escape, literal '...', multi-line """...""" and '''...''';
 *   - integers (decimal, 0x, 0o, 0b, with _ separators), floats (incl. inf, nan), booleans;
 *   - arrays, also spanning lines, with comments and a trailing comma.
 * Dates and times are rejected with a clear message: no rule configuration uses them.
 * Every value remembers its line so that callers can name file:line in their diagnostics.
 */

typedef enum ks_toml_type {
    KS_TOML_STRING,
    KS_TOML_INT,
    KS_TOML_FLOAT,
    KS_TOML_BOOL,
    KS_TOML_ARRAY,
    KS_TOML_TABLE,
} ks_toml_type;

typedef struct ks_toml_value ks_toml_value;
typedef struct ks_toml_table ks_toml_table;

typedef struct ks_toml_array {
    ks_toml_value *items;
    size_t n, cap;
    int of_tables; /* created by [[header]]: only headers may append to it */
} ks_toml_array;

struct ks_toml_value {
    ks_toml_type type;
    unsigned long line; /* 1-based line where the value (or the table's header) starts */
    union {
        struct {
            char *s;    /* NUL-terminated; may also hold NUL bytes (\u0000): see len */
            size_t len;
        } str;
        int64_t i;
        double f;
        int b;
        ks_toml_array *arr;
        ks_toml_table *tab;
    } u;
};

typedef struct ks_toml_kv {
    char *key;
    ks_toml_value val;
} ks_toml_kv;

struct ks_toml_table {
    ks_toml_kv *items; /* in document order */
    size_t n, cap;
    unsigned flags;    /* private to toml.c: how the table was created */
};

/* Where and why parsing stopped. */
typedef struct ks_toml_error {
    unsigned long line;
    char msg[256];
} ks_toml_error;

/*
 * Parses `len` bytes of TOML into a tree stored in *out (free it with ks__toml_free).
 * Returns 0, KS_EPARSE (err says line and reason) or KS_ENOMEM; on error *out is NULL.
 */
int ks__toml_parse(const char *text, size_t len, ks_toml_table **out, ks_toml_error *err);

/* Frees a tree from ks__toml_parse; NULL is a no-op. */
void ks__toml_free(ks_toml_table *t);

/* Returns the value of `key` in table t (not dotted), or NULL. */
const ks_toml_value *ks__toml_get(const ks_toml_table *t, const char *key);

/* Returns "string", "integer", "float", "boolean", "array" or "table". */
const char *ks__toml_type_name(ks_toml_type t);

#endif
