/* config_yaml.c: a .keysweep.yml read with libyaml into the tree the TOML reader builds, so that one set of checks
 * (config.c) serves both: mappings become tables, sequences arrays, plain true/false booleans, plain integers
 * integers, every other scalar a string. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "config_yaml.h"

typedef struct conv {
    yaml_document_t *doc;
    unsigned long err_line;
    char *err;
    size_t err_len;
    int depth;
} conv;

static int fail(conv *c, const yaml_node_t *n, const char *why)
{
    c->err_line = n ? (unsigned long)n->start_mark.line + 1 : 0;
    snprintf(c->err, c->err_len, "%s", why);
    return KS_EPARSE;
}

static int to_value(conv *c, yaml_node_t *n, ks_toml_value *v);

static int to_table(conv *c, yaml_node_t *n, ks_toml_table **out)
{
    ks_toml_table *t = ks__calloc(1, sizeof *t);
    if (!t)
        return KS_ENOMEM;
    *out = t;
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (count && !(t->items = ks__calloc(count, sizeof *t->items)))
        return KS_ENOMEM;
    t->cap = count;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *val = yaml_document_get_node(c->doc, p->value);
        if (!k || !val || k->type != YAML_SCALAR_NODE)
            return fail(c, k ? k : n, "a key must be a plain name");
        const char *key = (const char *)k->data.scalar.value;
        for (size_t i = 0; i < t->n; i++)
            if (!strcmp(t->items[i].key, key)) {
                char why[200];
                snprintf(why, sizeof why, "%.160s: given twice", key);
                return fail(c, k, why);
            }
        ks_toml_kv *kv = &t->items[t->n];
        if (!(kv->key = ks__strdup(key)))
            return KS_ENOMEM;
        t->n++;
        int rc = to_value(c, val, &kv->val);
        if (rc)
            return rc;
    }
    return 0;
}

static int to_value(conv *c, yaml_node_t *n, ks_toml_value *v)
{
    v->line = (unsigned long)n->start_mark.line + 1;
    if (++c->depth > 32)
        return fail(c, n, "nested too deep");
    int rc = 0;
    if (n->type == YAML_MAPPING_NODE) {
        v->type = KS_TOML_TABLE;
        rc = to_table(c, n, &v->u.tab);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        v->type = KS_TOML_ARRAY;
        size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (!(v->u.arr = ks__calloc(1, sizeof *v->u.arr)) ||
            (count && !(v->u.arr->items = ks__calloc(count, sizeof *v->u.arr->items))))
            rc = KS_ENOMEM;
        for (yaml_node_item_t *it = n->data.sequence.items.start; !rc && it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(c->doc, *it);
            if (!e)
                rc = fail(c, n, "an empty item");
            else if (!(rc = to_value(c, e, &v->u.arr->items[v->u.arr->n])))
                v->u.arr->n++;
        }
        if (v->u.arr)
            v->u.arr->cap = count;
    } else {
        const char *s = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;
        int plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        char *end = NULL;
        errno = 0;
        long long i = plain && len ? strtoll(s, &end, 10) : 0;
        if (plain && (!strcmp(s, "true") || !strcmp(s, "false"))) {
            v->type = KS_TOML_BOOL;
            v->u.b = s[0] == 't';
        } else if (plain && len && end == s + len && !errno) {
            v->type = KS_TOML_INT;
            v->u.i = i;
        } else {
            v->type = KS_TOML_STRING;
            v->u.str.len = len;
            if (!(v->u.str.s = ks__strndup(s, len)))
                rc = KS_ENOMEM;
        }
    }
    c->depth--;
    return rc;
}

int config_yaml_parse(const char *text, size_t len, ks_toml_table **out, unsigned long *err_line, char *err,
                      size_t err_len)
{
    *out = NULL;
    *err_line = 0;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return KS_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        *err_line = (unsigned long)parser.problem_mark.line + 1;
        snprintf(err, err_len, "YAML error: %s", parser.problem ? parser.problem : "unreadable");
        yaml_parser_delete(&parser);
        return KS_EPARSE;
    }
    conv c = {.doc = &doc, .err = err, .err_len = err_len};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc;
    if (!root) /* an empty file: no settings */
        rc = (*out = ks__calloc(1, sizeof **out)) ? 0 : KS_ENOMEM;
    else if (root->type != YAML_MAPPING_NODE)
        rc = fail(&c, root, "the file must be a mapping of tables (scan:, rules:, exclude:, allowlist:)");
    else
        rc = to_table(&c, root, out);
    if (rc) {
        ks__toml_free(*out);
        *out = NULL;
        *err_line = c.err_line;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
