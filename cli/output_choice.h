/* output_choice.h: the one rule for what a scan's report is when the command line does not say all: its format,
 * colour and redaction, from --format, -o, the terminal and the CI environment. */
#ifndef KS_CLI_OUTPUT_CHOICE_H
#define KS_CLI_OUTPUT_CHOICE_H

#include "output.h"

typedef struct output_request {
    const char *format; /* --format, or NULL */
    const char *output; /* -o FILE, or NULL */
    const char *color;  /* --color: auto, always or never */
    int redact;         /* --redact[=N]: the percentage of each secret hidden, or -1 when not given */
} output_request;

typedef struct output_choice {
    out_format fmt;
    int color;  /* the text format is coloured */
    int redact; /* the percentage of each secret hidden: 0 none, 100 all */
} output_choice;

/* The environment variable that says this is a CI job (CI=true, GITHUB_ACTIONS...), or NULL when none does. */
const char *ci_variable(void);
/* Applies the rule (output_choice.c says it); returns 0, or -1 after saying what was wrong with an option. */
int choose_output(const output_request *q, output_choice *c);

#endif
