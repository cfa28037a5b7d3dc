#!/usr/bin/env bash
# t_exit_codes: 0 clean, 1 findings, 2 error or incomplete scan (even with findings); messages name the path.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)

mkdir clean && echo "nothing here" > clean/a.txt
ks scan "${R[@]}" clean;                 expect_rc 0 "clean tree"
[ "$(lines "$T/out")" -eq 0 ] || fail "clean tree printed findings"
expect_err "1 file scanned"

mkdir dirty && printf 'x\ny = %s\n' "$TOKEN" > dirty/a.txt
ks scan "${R[@]}" dirty;                 expect_rc 1 "tree with a token"
[ "$(lines "$T/out")" -eq 1 ] || fail "expected one finding"

ks scan "${R[@]}" dirty no-such-path;    expect_rc 2 "missing path with findings"
expect_err "no-such-path: open failed: No such file or directory"
[ "$(lines "$T/out")" -eq 1 ] || fail "findings must still be reported when the scan is incomplete"
expect_err "incomplete"

ks scan --bogus-option;                  expect_rc 2 "unknown option"
ks frobnicate;                           expect_rc 2 "unknown command"
ks --version;                            expect_rc 0 "version"
expect_out "keysweep 0.1.0 (Vectorscan"
ks scan --help;                          expect_rc 0 "scan help"
for opt in --format --output --rules --no-builtin-rules --exclude --max-file-size --follow --no-progress; do
  expect_out "$opt"
done
echo PASS
