/* strtod_c.c: strtod in the C locale, for rule files (YAML, TOML) whatever the host's LC_NUMERIC. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "strtod_c.h"

double ks__strtod_c(const char *s, char **end)
{
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c) {
        if (end)
            *end = (char *)s;
        return NAN;
    }
    double d = strtod_l(s, end, c);
    freelocale(c);
    return d;
}
