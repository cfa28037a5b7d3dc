#!/usr/bin/env bash
# t_exit_code_option: --exit-code N is the status for findings (183 as TruffleHog users expect); a clean scan is
# still 0 and an error or incomplete scan still 2; bad values are refused.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir clean dirty && echo nothing > clean/a && printf 'y = %s\n' "$TOKEN" > dirty/a
ks scan "${R[@]}" --exit-code 183 dirty;              expect_rc 183 "findings"
[ "$(lines "$T/out")" -eq 1 ] || fail "expected one finding"
ks scan "${R[@]}" --exit-code 183 clean;              expect_rc 0 "clean"
ks scan "${R[@]}" --exit-code 183 dirty no-such-path; expect_rc 2 "an error wins over findings"
ks scan "${R[@]}" --exit-code 0 dirty;                expect_rc 0 "findings reported but not failing"
[ "$(lines "$T/out")" -eq 1 ] || fail "--exit-code 0 must still report"
for bad in 256 -1 x 1K ""; do
  ks scan "${R[@]}" --exit-code "$bad" dirty;         expect_rc 2 "--exit-code '$bad'"
  expect_err "--exit-code"
done
echo PASS
