/* builtin.h: the built-in rule pack as data: generated into builtin_rules.c from the YAML files of detectors/rules/ at build time. */
#ifndef KS_DETECTORS_BUILTIN_H
#define KS_DETECTORS_BUILTIN_H

#include <stddef.h>

typedef struct ks_builtin_file {
    const char *name;
    const char *data;
    size_t len;
} ks_builtin_file;
extern const ks_builtin_file ks__builtin_files[];
extern const size_t ks__builtin_file_count;
/* detectors/known_test_keys.yml: the published test material the built-in pack hides (known_list.c). */
extern const ks_builtin_file ks__builtin_known;

#endif
