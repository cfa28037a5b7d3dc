/* git_sh.h: repositories for tests, made by git in a fresh temporary directory, isolated from the user's configuration. */
#ifndef KS_TESTS_GIT_SH_H
#define KS_TESTS_GIT_SH_H

/* Makes /tmp/<prefix>-XXXXXX into dir (64 bytes); asserts it worked. */
void git_sh_mkdir(char dir[64], const char *prefix);

/* Removes dir and everything in it, read-only files too. */
void git_sh_rmdir(const char *dir);

/* Runs a shell command (printf-style) in dir/repo, made if needed, with git's configuration isolated and its
 * dates fixed; asserts it succeeded. */
void git_sh(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
