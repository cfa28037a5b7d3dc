/* argerr.c: diagnostics for mistyped command lines: unknown options and commands, with the closest known name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argerr.h"
#include "options.h"

int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) /* nothing that long is a typo of an option name */
        return 1000;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *closest_name(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < n; i++) {
        int dist = edit_distance(word, names[i]);
        if (dist < best_d) {
            best_d = dist;
            best = names[i];
        }
    }
    return best;
}

static void help_hint(const char *cmd)
{
    if (cmd)
        say("run 'keysweep %s --help' for the options", cmd);
    else
        say("run 'keysweep --help' for the commands");
}

/* How many long options getopt_long could have read prefix as (val 0: any), or -1 on an exact match. */
static int prefix_matches(const struct option *longopts, const char *prefix, size_t len, int val)
{
    int n = 0;
    for (const struct option *o = longopts; o->name; o++) {
        if (strncmp(o->name, prefix, len) == 0 && (!val || o->val == val)) {
            if (strlen(o->name) == len)
                return -1;
            n++;
        }
    }
    return n;
}

int getopt_refused(const char *cmd, int c, char *const *argv, const struct option *longopts)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int dashes = strncmp(arg, "--", 2) == 0;
    const char *name = dashes ? arg + 2 : "";
    size_t len = strcspn(name, "=");
    /* getopt leaves the refused argument before optind, except inside a cluster of short options */
    int is_long = dashes && (optopt == 0 || c == ':' ||
                             (name[len] == '=' && prefix_matches(longopts, name, len, optopt)));
    if (!is_long) {
        if (c == ':')
            say("option '-%c' needs a value", optopt);
        else
            say("unknown option '-%c'", optopt);
        help_hint(cmd);
        return 2;
    }
    if (c == ':') {
        say("option '%.*s' needs a value", (int)len + 2, arg);
    } else if (optopt != 0) { /* a known option that takes no value was given one */
        say("option '%.*s' takes no value", (int)len + 2, arg);
    } else if (prefix_matches(longopts, name, len, 0) > 1) {
        say("option '%.*s' is ambiguous: several options start so", (int)len + 2, arg);
    } else {
        const char *names[128];
        size_t n = 0;
        for (const struct option *o = longopts; o->name && n < 128; o++)
            names[n++] = o->name;
        char *word = strndup(name, len);
        const char *near = word ? closest_name(word, names, n) : NULL;
        free(word);
        if (near)
            say("unknown option '%.*s'; did you mean '--%s'?", (int)len + 2, arg, near);
        else
            say("unknown option '%.*s'", (int)len + 2, arg);
    }
    help_hint(cmd);
    return 2;
}

int unknown_word(const char *what, const char *word, const char *const *names, size_t n, const char *help_cmd)
{
    const char *near = closest_name(word, names, n);
    if (near)
        say("unknown %s '%s'; did you mean '%s'?", what, word, near);
    else
        say("unknown %s '%s'", what, word);
    help_hint(help_cmd);
    return 2;
}
