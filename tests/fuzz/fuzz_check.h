/* fuzz_check.h: the fuzz targets' assertion: says what broke, then aborts so that libFuzzer keeps the input. */
#ifndef KS_FUZZ_CHECK_H
#define KS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                                                           \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, __VA_ARGS__);                                                                          \
            fputc('\n', stderr);                                                                                   \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

#endif
