/* compiler.h: branch hints shared by the hot paths. */
#ifndef KS_UTIL_COMPILER_H
#define KS_UTIL_COMPILER_H

#define KS_LIKELY(x) __builtin_expect(!!(x), 1)
#define KS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
