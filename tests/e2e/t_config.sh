#!/usr/bin/env bash
# t_config (issue 17): .keysweep.toml found at the scan root or the top of its git work tree, --config,
# KEYSWEEP_CONFIG and --no-config; each table taking effect; the command line winning; every mistake an error
# (status 2) naming the file, the line and the key.
. "$(dirname "$0")/lib.sh"
write_test_rules
S2=KSTEST_SECONDSECOND1234
mkdir -p repo/sub repo/vendor
git init -q repo
printf 'a = %s\nb = %s\n' "$TOKEN" "$S2" >repo/sub/app.env
cp repo/sub/app.env repo/vendor/copy.env
cp "$T/rules.yml" repo/team-rules.yml
cat >repo/.keysweep.toml <<'TOML'
# the team's settings
[scan]
format = "jsonl"
builtin_rules = false
git_history = false
progress = false
[rules]
add = ["team-rules.yml"]
[exclude]
paths = ["vendor"]
[allowlist]
stopwords = ["second"]
TOML
count() { python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)))' "$T/out"; }

# discovered at the top of the work tree, from a root below it: jsonl, the team's rules (relative to the file),
# vendor excluded, the stopword hiding the second token
ks scan repo/sub; expect_rc 1 "config found above the root"
expect_err "config: "
expect_err ".keysweep.toml"
[ "$(count)" = 1 ] || fail "expected 1 finding, got $(count)"
expect_out "$TOKEN"
expect_err "1 hidden by the configuration"
# at the scan root itself; vendor is not scanned
ks scan repo; expect_rc 1 "config at the root"
! grep -q vendor "$T/out" || fail "vendor scanned"
! grep -q "$S2" "$T/out" || fail "the allowlist's stopword ignored"
expect_out '"path":"repo/sub/app.env"'
expect_out '"path":"repo/team-rules.yml"' # the rules' own example
# the command line wins over the file; lists add up
ks scan --format text --exclude sub --exclude team-rules.yml repo; expect_rc 0 "--exclude added to the file's"
ks scan --format text repo/sub; expect_rc 1 "--format over the file's"
grep -q "^repo/sub/app.env:1:" "$T/out" || fail "--format text did not win over the file's jsonl"
# --no-config: none of it (no rules at all then, the builtins finding nothing in KSTEST tokens)
ks scan --no-config --no-builtin-rules --rules rules.yml --format jsonl --no-progress repo/sub; expect_rc 1 "--no-config"
[ "$(count)" = 2 ] || fail "--no-config still hid a finding"
! grep -q "config:" "$T/err" || fail "--no-config named a configuration"

# --config and KEYSWEEP_CONFIG, paths relative to the file; the allowlist's regexes; [rules] disable
cat >mine.toml <<'TOML'
[scan]
builtin_rules = false
format = "jsonl"
[rules]
add = ["rules.yml"]
[allowlist]
regexes = ['^KSTEST_ABCD']
TOML
ks scan --config mine.toml repo/sub; expect_rc 1 "--config"
expect_err "config: mine.toml"
[ "$(count)" = 1 ] && expect_out "$S2" || fail "--config: the regex hid nothing, or too much"
KEYSWEEP_CONFIG="$T/mine.toml" ks scan repo/sub; expect_rc 1 "KEYSWEEP_CONFIG"
[ "$(count)" = 1 ] || fail "KEYSWEEP_CONFIG not read"
printf '[scan]\nbuiltin_rules = false\n[rules]\nadd = ["rules.yml"]\ndisable = ["e2e.token"]\n' >off.toml
ks scan --config off.toml repo/sub; expect_rc 0 "a disabled rule"
expect_err "2 hidden by the configuration"

# mistakes: named file, line and key; status 2
bad() { # NAME TEXT EXPECTED-MESSAGE
  printf '%b' "$2" >"$1.toml"
  ks scan --config "$1.toml" repo/sub; expect_rc 2 "$1"
  expect_err "$3"
}
bad unknown_key '[scan]\nformatt = "x"\n' "unknown_key.toml:2: scan.formatt: not a key keysweep knows"
bad unknown_table '\n[colour]\nx = 1\n' "unknown_table.toml:2: colour: not a table keysweep knows"
bad wrong_type '[scan]\nthreads = "four"\n' "wrong_type.toml:2: scan.threads: expected a whole number, not a string"
bad bad_format '[scan]\n\nformat = "xml"\n' "bad_format.toml:3: scan.format: unknown format 'xml'"
bad refused '[scan]\nthreads = 0\n' "refused.toml:2: scan.threads: refused (--threads 0"
bad bad_regex '[allowlist]\nregexes = ["(x"]\n' "bad_regex.toml:2: allowlist.regexes: '(x' is not a regular expression"
bad bad_list '[exclude]\npaths = "vendor"\n' "bad_list.toml:2: exclude.paths: expected an array of strings"
bad bad_toml '[scan\n' "bad_toml.toml:1: "
ks scan --config missing.toml repo/sub; expect_rc 2 "a missing --config"
expect_err "missing.toml: the configuration --config names does not exist"
KEYSWEEP_CONFIG=missing.toml ks scan repo/sub; expect_rc 2 "a missing KEYSWEEP_CONFIG"
expect_err "missing.toml: the configuration KEYSWEEP_CONFIG names does not exist"
# .keysweep.yml: the same tables in YAML, found the same way, checked the same way
rm repo/.keysweep.toml
cat >repo/.keysweep.yml <<'YML'
scan:
  format: jsonl
  builtin_rules: false
rules:
  add: [team-rules.yml]
exclude:
  paths:
    - vendor
allowlist:
  stopwords: [second]
YML
ks scan repo/sub; expect_rc 1 "config found above the root, in YAML"
expect_err ".keysweep.yml"
[ "$(count)" = 1 ] || fail "YAML: expected 1 finding, got $(count)"
expect_err "1 hidden by the configuration"
printf 'scan:\n  threads: four\n' >type.yml
ks scan --config type.yml repo/sub; expect_rc 2 "a YAML value of the wrong type"
expect_err "type.yml:2: scan.threads: expected a whole number, not a string"
printf 'scan:\n  threads: 2\n  threads: 3\n' >twice.yml
ks scan --config twice.yml repo/sub; expect_rc 2 "a YAML key given twice"
expect_err "twice.yml:3: threads: given twice"
printf 'scan: [\n' >broken.yaml
ks scan --config broken.yaml repo/sub; expect_rc 2 "a YAML error"
expect_err "broken.yaml:2: YAML error"
echo PASS
