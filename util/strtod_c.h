/* strtod_c.h: numbers in rule files read in the C locale, whatever LC_NUMERIC the host program chose. */
#ifndef KS_UTIL_STRTOD_C_H
#define KS_UTIL_STRTOD_C_H

/* strtod in the C locale: "3.5" is 3.5 under de_DE too. NAN (and *end = s) if no C locale exists. */
double ks__strtod_c(const char *s, char **end);

#endif
