/* main.c: the keysweep command: dispatches subcommands, prints help and versions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argerr.h"
#include "commands.h"
#include "keysweep.h"
#include "options.h"

static void usage(FILE *f)
{
    fputs("usage: keysweep <command> [OPTIONS]\n\n"
          "Commands:\n"
          "  scan [PATH...]      scan files and directories for secrets (keysweep scan --help)\n"
          "  git [REPO...]       scan git history, narrowed to a range, a branch or the staged changes\n"
          "                      (keysweep git --help)\n"
          "  rules list|check    list the rules, or check their examples (keysweep rules --help)\n"
          "  completion SHELL    a completion script for bash, zsh or fish (keysweep completion --help)\n"
          "  help [COMMAND]      this help, or COMMAND's\n\n"
          "  -h, --help          this help\n"
          "  -V, --version       keysweep's and Vectorscan's versions\n",
          f);
}

/* Vectorscan's version string may end in a space (5.4.9 gives "5.4.9 "): printed without it. */
static void print_version(void)
{
    const char *vs = ks_vectorscan_version();
    size_t n = strlen(vs);
    while (n && (vs[n - 1] == ' ' || vs[n - 1] == '\t'))
        n--;
    printf("keysweep %s (Vectorscan %.*s)\n", ks_version(), (int)n, vs);
}

static const char *const commands[] = {"scan", "git", "rules", "help", "completion"};
static const char *const top_options[] = {"--help", "--version"};

/* Runs a command by name; help_only asks for its help (`keysweep help COMMAND`). */
static int run_command(const char *cmd, int argc, char **argv, int help_only)
{
    static char help[] = "--help";
    char *help_argv[] = {(char *)cmd, help, NULL};
    if (help_only) {
        argc = 2;
        argv = help_argv;
    }
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(argc, argv);
    if (strcmp(cmd, "git") == 0)
        return cmd_git(argc, argv);
    if (strcmp(cmd, "rules") == 0)
        return cmd_rules(argc, argv);
    if (strcmp(cmd, "completion") == 0)
        return cmd_completion(argc, argv);
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (cmd[0] == '-')
        return unknown_word("option", cmd, top_options, sizeof top_options / sizeof *top_options, NULL);
    return unknown_word("command", cmd, commands, sizeof commands / sizeof *commands, NULL);
}

/* With TZ unset, glibc's mktime and localtime stat /etc/localtime on every call, under a lock: libarchive
 * converts each zip member's times with mktime (six calls a member), so a zip of 17,207 members cost 103,265
 * stats and lock contention between the workers (-j2 was slower than -j1). Naming the same file in TZ lets glibc
 * keep what it read: the same zone, read once. */
static void zone_read_once(void)
{
    const char *tz = getenv("TZ");
    if (!tz)
        setenv("TZ", ":/etc/localtime", 0);
}

int main(int argc, char **argv)
{
    zone_read_once();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        return run_command(argv[2], 0, NULL, 1);
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        print_version();
        return 0;
    }
    return run_command(cmd, argc - 1, argv + 1, 0);
}
