/* config_yaml.h: a YAML configuration as the TOML reader's tree (config_yaml.c). */
#ifndef KS_CLI_CONFIG_YAML_H
#define KS_CLI_CONFIG_YAML_H

#include <stddef.h>

#include "keysweep.h"
#include "toml.h"

/* Parses len bytes of YAML into *out (free with ks__toml_free). Returns 0, KS_EPARSE (err_line and err say where
 * and why) or KS_ENOMEM. */
int config_yaml_parse(const char *text, size_t len, ks_toml_table **out, unsigned long *err_line, char *err,
                      size_t err_len);

#endif
