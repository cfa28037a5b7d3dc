#!/usr/bin/env bash
# t_permission_denied (T9): unreadable files and directories are reported, counted, and make the exit status 2.
. "$(dirname "$0")/lib.sh"
write_test_rules
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
mkdir -p d/sub && printf '%s\n' "$TOKEN" > d/ok && printf '%s\n' "$TOKEN" > d/locked && printf 'x\n' > d/sub/f
chmod 000 d/locked d/sub
chmod 755 "$T" d; chmod 644 d/ok "$T/rules.yml"
run_as_nobody() {
  set +e
  timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
}
run_as_nobody scan --no-cache --no-builtin-rules --rules "$T/rules.yml" --format jsonl d
expect_rc 2 "permission denied"
expect_err "d/locked: open failed: Permission denied"
expect_err "d/sub: open directory failed: Permission denied"
expect_err "2 errors"
[ "$(lines "$T/out")" -eq 1 ] || fail "the readable file's finding was lost"
echo PASS
