#!/usr/bin/env bash
# t_scan_help: `keysweep scan --help` and README's options table name every long option the parser accepts.
. "$(dirname "$0")/lib.sh"
SRC=${KS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -f "$SRC/cli/scan_cmd.c" ] || { echo "SKIP: sources not found"; exit 77; }
ks scan --help; expect_rc 0 "scan --help"
opts=$(grep -o '{"[a-z-]*", *\(no\|required\|optional\)_argument' "$SRC/cli/scan_cmd.c" | sed 's/{"\([a-z-]*\)".*/\1/')
[ "$(echo "$opts" | wc -l)" -ge 20 ] || fail "could not read the option table from scan_cmd.c"
for o in $opts; do
  grep -q -- "--$o\b" "$T/out" || fail "scan --help does not list --$o"
  [ "$o" = help ] || grep -q -- "--$o\b" "$SRC/README.md" || fail "README does not list --$o"
done
for f in text jsonl json sarif trufflehog gitleaks csv junit; do
  expect_out "$f"
done
echo PASS
