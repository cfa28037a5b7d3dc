/* error.c: error names and messages from the KS_ERRORS X-macro, versions, the CPU check and diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <hs/hs.h>

#include "diag_emit.h"

const char *ks_strerror(int code)
{
    if (code == 0)
        return "success";
    switch (code) {
#define KS__ERR_TEXT(name, value, text) \
    case value:                         \
        return text;
        KS_ERRORS(KS__ERR_TEXT)
#undef KS__ERR_TEXT
    }
    return "unknown error";
}

const char *ks_errname(int code)
{
    if (code == 0)
        return "KS_OK";
    switch (code) {
#define KS__ERR_NAME(name, value, text) \
    case value:                         \
        return #name;
        KS_ERRORS(KS__ERR_NAME)
#undef KS__ERR_NAME
    }
    return "KS_E?";
}

const char *ks_version(void) { return KS_VERSION_STRING; }

const char *ks_vectorscan_version(void) { return hs_version(); }

int ks_check_cpu(void) { return hs_valid_platform() == HS_SUCCESS ? 0 : KS_ECPU; }

static void copy_trunc(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void ks__diag_emit(ks_diag_fn fn, void *ctx, int code, const char *file, unsigned long line,
                   const char *rule_id, const char *fmt, ...)
{
    if (!fn)
        return;
    ks_diag d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.line = line;
    copy_trunc(d.file, sizeof d.file, file);
    copy_trunc(d.rule_id, sizeof d.rule_id, rule_id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    va_end(ap);
    /* "FILE:LINE: rule ID: MESSAGE", leaving out the parts we do not know. */
    size_t off = 0;
    if (d.file[0]) {
        off += (size_t)snprintf(d.text + off, sizeof d.text - off, "%s:", d.file);
        if (d.line && off < sizeof d.text)
            off += (size_t)snprintf(d.text + off, sizeof d.text - off, "%lu:", d.line);
        if (off < sizeof d.text)
            off += (size_t)snprintf(d.text + off, sizeof d.text - off, " ");
    }
    if (d.rule_id[0] && off < sizeof d.text)
        off += (size_t)snprintf(d.text + off, sizeof d.text - off, "rule '%s': ", d.rule_id);
    if (off < sizeof d.text)
        snprintf(d.text + off, sizeof d.text - off, "%s", d.message);
    fn(&d, ctx);
}
