/* diag_emit.h: diagnostics about rules and rule files, built and handed to the caller's ks_diag_fn (error.c). */
#ifndef KS_CORE_DIAG_EMIT_H
#define KS_CORE_DIAG_EMIT_H

#include "keysweep.h"

void ks__diag_emit(ks_diag_fn fn, void *ctx, int code, const char *file, unsigned long line,
                   const char *rule_id, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
