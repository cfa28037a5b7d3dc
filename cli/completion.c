/* completion.c: `keysweep completion bash|zsh|fish`: shell completion scripts made from the commands' option tables,
 * so that a new option completes without anyone editing a script. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "argerr.h"
#include "commands.h"
#include "git_opts.h"
#include "options.h"
#include "output.h"

/* What an option's argument completes to: a fixed set of words, files, directories, or nothing to offer. */
typedef enum { ARG_NONE, ARG_WORDS, ARG_FILE, ARG_DIR } arg_kind;

/* The arguments that are not free text; "" for --format means the formats output.c knows. */
static const struct { const char *option, *words; arg_kind kind; } ARGS[] = {
    {"format", "", ARG_WORDS},        {"color", "auto always never", ARG_WORDS},
    {"io", "auto uring pread", ARG_WORDS}, {"archive-limits", "error warn", ARG_WORDS},
    {"output", NULL, ARG_FILE},       {"rules", NULL, ARG_FILE},
    {"config", NULL, ARG_FILE},       {"baseline", NULL, ARG_FILE},
    {"cache-dir", NULL, ARG_DIR},
};

static const char *const COMMANDS = "scan git rules help completion";

typedef struct command {
    const char *name;
    const struct option *table;
    int git_only_too; /* offers the options only `keysweep git` takes (git_opt_git_only) */
    const char *words; /* what comes after the options: NULL files, else these words */
} command;

static int offered(const command *c, const struct option *o)
{
    return c->git_only_too || !git_opt_git_only(o->val);
}

static arg_kind arg_of(const struct option *o, const char **words)
{
    *words = NULL;
    if (o->has_arg == no_argument)
        return ARG_NONE;
    for (size_t i = 0; i < sizeof ARGS / sizeof *ARGS; i++)
        if (!strcmp(o->name, ARGS[i].option)) {
            *words = ARGS[i].words;
            return ARGS[i].kind;
        }
    return ARG_NONE;
}

/* The words of a word-valued argument, space-separated. */
static void put_words(const char *words)
{
    if (*words) {
        fputs(words, stdout);
        return;
    }
    for (size_t i = 0; out_format_name(i); i++)
        printf("%s%s", i ? " " : "", out_format_name(i));
}

static void bash(const command *cmds, size_t n)
{
    printf("# bash completion for keysweep (keysweep completion bash)\n"
           "_keysweep() {\n"
           "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n"
           "  done\n"
           "  if [ -z \"$cmd\" ]; then\n"
           "    COMPREPLY=($(compgen -W \"%s --help --version\" -- \"$cur\")); return\n"
           "  fi\n"
           "  case \"$cmd:$prev\" in\n",
           COMMANDS);
    for (size_t c = 0; c < n; c++)
        for (const struct option *o = cmds[c].table; o->name; o++) {
            const char *words;
            arg_kind k = arg_of(o, &words);
            if (!offered(&cmds[c], o) || o->has_arg != required_argument)
                continue;
            printf("    %s:--%s) ", cmds[c].name, o->name);
            if (k == ARG_WORDS) {
                fputs("COMPREPLY=($(compgen -W \"", stdout);
                put_words(words);
                fputs("\" -- \"$cur\"))", stdout);
            } else if (k == ARG_FILE || k == ARG_DIR) {
                printf("COMPREPLY=($(compgen -%c -- \"$cur\"))", k == ARG_FILE ? 'f' : 'd');
            } else {
                fputs("COMPREPLY=()", stdout);
            }
            fputs("; return ;;\n", stdout);
        }
    fputs("  esac\n  local opts= words=\n  case $cmd in\n", stdout);
    for (size_t c = 0; c < n; c++) {
        printf("    %s) opts=\"", cmds[c].name);
        int first = 1;
        for (const struct option *o = cmds[c].table; o && o->name; o++)
            if (offered(&cmds[c], o))
                printf("%s--%s", first ? "" : " ", o->name), first = 0;
        printf("\"%s%s%s ;;\n", cmds[c].words ? " words=\"" : "", cmds[c].words ? cmds[c].words : "",
               cmds[c].words ? "\"" : "");
    }
    fputs("  esac\n"
          "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "  elif [ -n \"$words\" ]; then COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
          "  else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n"
          "}\n"
          "complete -o filenames -F _keysweep keysweep\n",
          stdout);
}

static void zsh(const command *cmds, size_t n)
{
    printf("#compdef keysweep\n"
           "# zsh completion for keysweep (keysweep completion zsh)\n"
           "_keysweep() {\n"
           "  if (( CURRENT == 2 )); then\n"
           "    compadd -- %s --help --version; return\n"
           "  fi\n"
           "  local cmd=$words[2]\n"
           "  shift words; (( CURRENT-- ))\n"
           "  case $cmd in\n",
           COMMANDS);
    for (size_t c = 0; c < n; c++) {
        printf("    %s) _arguments -s", cmds[c].name);
        for (const struct option *o = cmds[c].table; o && o->name; o++) {
            if (!offered(&cmds[c], o))
                continue;
            const char *words;
            arg_kind k = arg_of(o, &words);
            printf(" '--%s", o->name);
            if (o->has_arg == optional_argument)
                fputs("=-", stdout);
            if (o->has_arg == no_argument) {
                /* a flag */
            } else if (k == ARG_WORDS) {
                printf(":%s:(", o->name);
                put_words(words);
                fputs(")", stdout);
            } else if (k == ARG_FILE || k == ARG_DIR) {
                printf(":%s:_files%s", o->name, k == ARG_DIR ? " -/" : "");
            } else if (o->has_arg == required_argument) {
                printf(":%s: ", o->name);
            }
            fputs("'", stdout);
        }
        if (cmds[c].words)
            printf(" '*:argument:(%s)' ;;\n", cmds[c].words);
        else
            fputs(" '*:path:_files' ;;\n", stdout);
    }
    fputs("  esac\n}\n_keysweep \"$@\"\n", stdout);
}

static void fish(const command *cmds, size_t n)
{
    printf("# fish completion for keysweep (keysweep completion fish)\n"
           "complete -c keysweep -f\n"
           "complete -c keysweep -n __fish_use_subcommand -a '%s'\n"
           "complete -c keysweep -n __fish_use_subcommand -l help\n"
           "complete -c keysweep -n __fish_use_subcommand -l version\n",
           COMMANDS);
    for (size_t c = 0; c < n; c++) {
        const char *cond = cmds[c].name;
        if (cmds[c].words)
            printf("complete -c keysweep -n '__fish_seen_subcommand_from %s' -a '%s'\n", cond, cmds[c].words);
        else
            printf("complete -c keysweep -n '__fish_seen_subcommand_from %s' -F\n", cond);
        for (const struct option *o = cmds[c].table; o && o->name; o++) {
            if (!offered(&cmds[c], o))
                continue;
            const char *words;
            arg_kind k = arg_of(o, &words);
            printf("complete -c keysweep -n '__fish_seen_subcommand_from %s' -l %s", cond, o->name);
            if (k == ARG_WORDS) {
                fputs(" -x -a '", stdout);
                put_words(words);
                fputs("'", stdout);
            } else if (k == ARG_FILE || k == ARG_DIR) {
                fputs(" -r -F", stdout);
            } else if (o->has_arg == required_argument) {
                fputs(" -x", stdout);
            }
            fputs("\n", stdout);
        }
    }
}

static const struct option NO_OPTIONS[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

int cmd_completion(int argc, char **argv)
{
    static const char *const shells[] = {"bash", "zsh", "fish"};
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs("usage: keysweep completion bash|zsh|fish\n"
              "Prints a completion script for the shell, made from keysweep's own option tables:\n"
              "  bash: source <(keysweep completion bash)    (or save it in\n"
              "        /usr/share/bash-completion/completions/keysweep)\n"
              "  zsh:  keysweep completion zsh > \"${fpath[1]}/_keysweep\"\n"
              "  fish: keysweep completion fish > ~/.config/fish/completions/keysweep.fish\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const command cmds[] = {
        {"scan", scan_option_table(), 0, NULL},   {"git", scan_option_table(), 1, NULL},
        {"rules", rules_option_table(), 1, "list check"}, {"help", NO_OPTIONS, 1, "scan git rules completion"},
        {"completion", NO_OPTIONS, 1, "bash zsh fish"},
    };
    size_t n = sizeof cmds / sizeof *cmds;
    if (argc > 2) {
        say("completion: one shell, not '%s' too", argv[2]);
        return 2;
    }
    if (!strcmp(argv[1], "bash"))
        bash(cmds, n);
    else if (!strcmp(argv[1], "zsh"))
        zsh(cmds, n);
    else if (!strcmp(argv[1], "fish"))
        fish(cmds, n);
    else
        return unknown_word("shell", argv[1], shells, 3, "completion");
    return fflush(stdout) || ferror(stdout) ? 2 : 0;
}
