/* known_list.c: reads detectors/known_test_keys.yml (embedded) into a rule set's list of published test material. */
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "builtin.h"
#include "diag_emit.h"
#include "hex.h"
#include "known_list.h"
#include "rules_int.h"

static const char *scalar(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
        if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return (const char *)v->data.scalar.value;
    }
    return NULL;
}

/* 64 hex digits into 32 bytes; 0 or -1. */
static int parse_sha(const char *s, unsigned char out[32])
{
    return s && strlen(s) == 64 ? ks__hex_bytes(s, out, 32) : -1;
}

/* Every entry must say what it is and where it is published: a list nobody can audit is not kept. */
static int parse_entries(yaml_document_t *doc, yaml_node_t *list, const char *source, ks_diag_fn on_error,
                         void *ctx, unsigned char (*sha)[32], size_t *n)
{
    *n = 0;
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        unsigned long line = e ? (unsigned long)e->start_mark.line + 1 : 0;
        const char *src = e && e->type == YAML_MAPPING_NODE ? scalar(doc, e, "source") : NULL;
        const char *what = e && e->type == YAML_MAPPING_NODE ? scalar(doc, e, "what") : NULL;
        if (!e || e->type != YAML_MAPPING_NODE || parse_sha(scalar(doc, e, "sha256"), sha[*n]) || !what || !*what ||
            !src || strncmp(src, "https://", 8)) {
            ks__diag_emit(on_error, ctx, KS_EPARSE, source, line, NULL,
                          "each known test key needs sha256 (64 hex digits), what, and an https:// source");
            return KS_EPARSE;
        }
        (*n)++;
    }
    return 0;
}

int ks__known_list_load(ks_rules *rules, const char *text, size_t len, const char *source, ks_diag_fn on_error,
                        void *ctx)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return KS_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        ks__diag_emit(on_error, ctx, KS_EPARSE, source, (unsigned long)parser.problem_mark.line + 1, NULL,
                      "YAML error: %s", parser.problem ? parser.problem : "malformed YAML");
        yaml_parser_delete(&parser);
        return KS_EPARSE;
    }
    int rc = KS_EPARSE;
    yaml_node_t *root = yaml_document_get_root_node(&doc), *list = NULL;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&doc, p->key);
            if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, "known_test_keys"))
                list = yaml_document_get_node(&doc, p->value);
        }
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        ks__diag_emit(on_error, ctx, KS_EPARSE, source, 1, NULL, "expected a top-level 'known_test_keys:' list");
    } else {
        size_t total = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start), n = 0;
        unsigned char(*sha)[32] = ks__calloc(total ? total : 1, sizeof *sha);
        rc = !sha ? KS_ENOMEM : parse_entries(&doc, list, source, on_error, ctx, sha, &n);
        if (!rc)
            rc = ks__known_add(&rules->known, (const unsigned char(*)[32])sha, n);
        ks__free(sha);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int ks__known_list_load_builtin(ks_rules *rules, ks_diag_fn on_error, void *ctx)
{
    return ks__known_list_load(rules, ks__builtin_known.data, ks__builtin_known.len, "builtin:known_test_keys.yml",
                               on_error, ctx);
}
