/* commands.h: the CLI's subcommands. */
#ifndef KS_CLI_COMMANDS_H
#define KS_CLI_COMMANDS_H
int cmd_scan(int argc, char **argv);
int cmd_git(int argc, char **argv);
int cmd_rules(int argc, char **argv);
/* `keysweep completion bash|zsh|fish`: a completion script made from the option tables below. */
int cmd_completion(int argc, char **argv);

struct option;
/* The commands' getopt_long tables (ended by a zeroed entry): scan's is also git's. */
const struct option *scan_option_table(void);
const struct option *rules_option_table(void);
#endif
