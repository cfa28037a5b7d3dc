#!/usr/bin/env bash
# t_rule_errors (T30): bad rules stop the scan before it starts, with file:line, rule id and the reason.
. "$(dirname "$0")/lib.sh"
mkdir d && echo hi > d/a
cat > unbounded.yml <<'YML'
rules:
  - id: ok
    name: fine
    pattern: 'abc[0-9]{3}'
  - id: greedy
    name: unbounded
    pattern: 'password=.*'
YML
ks scan --no-builtin-rules --rules unbounded.yml d; expect_rc 2 "unbounded rule"
expect_err "unbounded.yml:5: rule 'greedy': match width is unbounded"
cat > backref.yml <<'YML'
rules:
  - {id: br, name: backref, pattern: '(a)\1'}
YML
ks scan --rules backref.yml d; expect_rc 2 "backreference"
expect_err "backref.yml:2: rule 'br': Vectorscan rejects the pattern: Back-references are unsupported"
printf 'rules:\n  - {id: x, name: y, pattern: [1\n' > syntax.yml
ks scan --rules syntax.yml d; expect_rc 2 "YAML syntax"
expect_err "syntax.yml:"
expect_err "YAML error"
ks scan --rules missing.yml d; expect_rc 2 "missing rule file"
expect_err "missing.yml: cannot read rules: No such file or directory"
[ "$(lines "$T/err")" -eq 1 ] || fail "a missing rule file takes one line, not a second 'cannot load rules'"
ks scan --rules missing.toml d; expect_rc 2 "missing Gitleaks configuration"
expect_err "keysweep: missing.toml: cannot read rules: No such file or directory"
[ "$(lines "$T/err")" -eq 1 ] || fail "a missing rule file takes one line, not a second 'cannot load rules'"
ks scan --no-builtin-rules d; expect_rc 2 "no rules at all"
expect_err "no rules"
echo PASS
