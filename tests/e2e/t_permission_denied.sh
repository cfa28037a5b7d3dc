#!/usr/bin/env bash
# t_permission_denied (T9, issue 11): unreadable files and directories are reported, counted, and make the exit
# status 2; a storm of them under one directory is summarised in one line, while every one is counted.
. "$(dirname "$0")/lib.sh"
write_test_rules
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
mkdir -p d/sub && printf '%s\n' "$TOKEN" > d/ok && printf '%s\n' "$TOKEN" > d/locked && printf 'x\n' > d/sub/f
chmod 000 d/locked d/sub
chmod 755 "$T" d; chmod 644 d/ok "$T/rules.yml"
run_as_nobody() {
  set +e
  timeout -k 5 "$(hang_s 300)" setpriv --reuid=65534 --regid=65534 --clear-groups -- "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
}
run_as_nobody scan --no-cache --no-builtin-rules --rules "$T/rules.yml" --format jsonl d
expect_rc 2 "permission denied"
expect_err "d/locked: open failed: Permission denied"
expect_err "d/sub: open directory failed: Permission denied"
expect_err "2 errors"
[ "$(lines "$T/out")" -eq 1 ] || fail "the readable file's finding was lost"

# 40 unreadable files under storm/ (in two subdirectories): 10 lines, then one that counts the rest
mkdir -p storm/a storm/b
for i in $(seq 1 20); do printf 'x\n' > "storm/a/f$i"; printf 'x\n' > "storm/b/f$i"; done
chmod 000 storm/a/* storm/b/*; chmod 755 storm storm/a storm/b
run_as_nobody scan --no-cache --no-builtin-rules --rules "$T/rules.yml" --format jsonl d storm
expect_rc 2 "a storm of permission errors"
[ "$(grep -c 'open failed: Permission denied' "$T/err")" -eq 11 ] || fail "expected 1 + 10 error lines, got:
$(cat "$T/err")"
expect_err "keysweep: ... and 30 more errors under storm"
expect_err "42 errors"
# a path named on the command line is always reported in full
run_as_nobody scan --no-cache --no-builtin-rules --rules "$T/rules.yml" --format jsonl storm storm/a/f1 storm/b/f7
expect_err "storm/a/f1: open failed: Permission denied"
expect_err "storm/b/f7: open failed: Permission denied"
echo PASS
