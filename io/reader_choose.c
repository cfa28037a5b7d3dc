/* reader_choose.c: the one place where the reader backend is chosen, and where io_uring falls back to pread. */
#include <string.h>

#include "reader.h"

const ks_reader_ops *ks_reader_choose(const char *name, int *why)
{
    *why = 0;
    if (strcmp(name, "pread") == 0)
        return &ks_reader_pread;
    if (strcmp(name, "uring") != 0 && strcmp(name, "auto") != 0)
        return NULL;
    /* Refusals (no kernel support, a seccomp filter, a container's policy) show at set-up. */
    void *state = NULL;
    int rc = ks_reader_uring.init(&state, 8);
    if (rc == 0) {
        ks_reader_uring.fini(state);
        return &ks_reader_uring;
    }
    *why = -rc;
    return strcmp(name, "uring") == 0 ? NULL : &ks_reader_pread;
}
