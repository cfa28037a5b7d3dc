#!/usr/bin/env bash
# t_rules_check: `keysweep rules check` passes over the built-in pack and names every failing example;
# `rules list` shows each rule with its confidence and validators.
. "$(dirname "$0")/lib.sh"
ks rules check;  expect_rc 0 "built-in pack"
expect_out "negative examples: all pass"
n=$(grep -oE '^[0-9]+ rules' "$T/out" | cut -d' ' -f1)
[ "$n" -ge 150 ] || fail "only $n built-in rules"
ks rules list;   expect_rc 0 "list"
expect_out "github.pat.classic"
grep -E '^github\.pat\.classic +high +github-crc32' "$T/out" >/dev/null || fail "list lacks confidence/validator columns"
cat > bad.yml <<'YML'
rules:
  - id: t.bad
    name: example that does not match
    pattern: '\bzz_[0-9]{8}\b'
    examples: ['zz_1234']
    negative_examples: ['zz_12345678']
YML
ks rules check --no-builtin-rules bad.yml;  expect_rc 1 "failing examples"
expect_out "FAIL bad.yml:2: rule 't.bad': example 1 does not match"
expect_out "FAIL bad.yml:2: rule 't.bad': negative example 1 matches rule 't.bad'"
expect_out "2 failures"
echo PASS
