/* main.c: the keysweep command: dispatches subcommands, prints help and versions. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "keysweep.h"
#include "options.h"

static void usage(FILE *f)
{
    fputs("usage: keysweep <command> [OPTIONS]\n\n"
          "Commands:\n"
          "  scan [PATH...]      scan files and directories for secrets (keysweep scan --help)\n"
          "  rules list|check    list the rules, or check their examples (keysweep rules --help)\n\n"
          "  -h, --help          this help\n"
          "  -V, --version       keysweep's and Vectorscan's versions\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("keysweep %s (Vectorscan %s)\n", ks_version(), ks_vectorscan_version());
        return 0;
    }
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(argc - 1, argv + 1);
    if (strcmp(cmd, "rules") == 0)
        return cmd_rules(argc - 1, argv + 1);
    say("unknown command '%s'", cmd);
    usage(stderr);
    return 2;
}
