/* commands.h: the CLI's subcommands. */
#ifndef KS_CLI_COMMANDS_H
#define KS_CLI_COMMANDS_H
int cmd_scan(int argc, char **argv);
int cmd_git(int argc, char **argv);
int cmd_rules(int argc, char **argv);
#endif
