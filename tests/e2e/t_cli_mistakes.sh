#!/usr/bin/env bash
# t_cli_mistakes: a mistyped option or command gets one "did you mean" line and a hint, not the whole help; one
# keysweep: prefix; format names in any case; `keysweep help COMMAND`; a clean --version; singular counts.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml")
mkdir src && printf 'key = %s\n' "$TOKEN" > src/app.env

# exactly the two lines, every one with the keysweep: prefix
two_lines() {
  [ "$(lines "$T/err")" -eq 2 ] || fail "$1: expected two lines on stderr"
  [ "$(grep -c '^keysweep: ' "$T/err")" -eq 2 ] || fail "$1: every line starts with keysweep:"
  [ ! -s "$T/out" ] || fail "$1: nothing on stdout"
}
ks scan --fromat json src; expect_rc 2 "--fromat"
expect_err "keysweep: unknown option '--fromat'; did you mean '--format'?"
expect_err "keysweep scan --help"
two_lines "--fromat"
ks scan --formta=json src; expect_rc 2 "--formta=json"
expect_err "unknown option '--formta'; did you mean '--format'?"
ks scan --no-buitlin-rules src; expect_rc 2 "swapped letters"
expect_err "did you mean '--no-builtin-rules'?"
ks scan --zzzzzz src; expect_rc 2 "nothing close"
expect_err "keysweep: unknown option '--zzzzzz'"
grep -q "did you mean" "$T/err" && fail "no suggestion when nothing is within two edits"
two_lines "--zzzzzz"
ks scan -Z src; expect_rc 2 "-Z"
expect_err "keysweep: unknown option '-Z'"; two_lines "-Z"
ks scan src --format; expect_rc 2 "missing value"
expect_err "keysweep: option '--format' needs a value"; two_lines "missing value"
ks scan --quiet=yes src; expect_rc 2 "value for a flag"
expect_err "keysweep: option '--quiet' takes no value"
ks rules list --rulez x; expect_rc 2 "rules --rulez"
expect_err "keysweep: unknown option '--rulez'; did you mean '--rules'?"; two_lines "rules --rulez"
grep -q "^list:\|^scan:\|^rules:" "$T/err" && fail "a getopt prefix slipped through"

ks scna src; expect_rc 2 "unknown command"
expect_err "keysweep: unknown command 'scna'; did you mean 'scan'?"
expect_err "keysweep --help"; two_lines "scna"
ks rules lsit; expect_rc 2 "unknown rules subcommand"
expect_err "did you mean 'list'?"; two_lines "rules lsit"
ks --verison; expect_rc 2 "unknown top-level option"
expect_err "keysweep: unknown option '--verison'; did you mean '--version'?"; two_lines "--verison"

ks scan "${R[@]}" --format SARIF src; expect_rc 1 "--format SARIF"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["version"] == "2.1.0"' "$T/out" || fail "SARIF is sarif"
ks scan "${R[@]}" --format JsonL src; expect_rc 1 "--format JsonL"
expect_out '"rule_id":"e2e.token"'

ks help scan; expect_rc 0 "help scan"
expect_out "usage: keysweep scan"
ks help; expect_rc 0 "help"
expect_out "usage: keysweep <command>"
ks help rules; expect_rc 0 "help rules"
expect_out "usage: keysweep rules"
ks help bogus; expect_rc 2 "help bogus"
expect_err "unknown command 'bogus'"

ks --version; expect_rc 0 "--version"
grep -qE '^keysweep [0-9.]+ \(Vectorscan [0-9][^ ]*\)$' "$T/out" || fail "--version: '$(cat "$T/out")'"

ks scan "${R[@]}" --format jsonl src/app.env; expect_rc 1 "one file"
expect_err "keysweep: 1 file scanned,"
expect_err "; 1 finding;"
expect_err "; 0 errors"
printf 'nothing\n' > src/b.txt
ks scan "${R[@]}" --format jsonl src; expect_rc 1 "two files"
expect_err "keysweep: 2 files scanned,"
echo PASS
