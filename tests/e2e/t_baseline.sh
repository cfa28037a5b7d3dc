#!/usr/bin/env bash
# t_baseline: --baseline takes a previous jsonl or json report and hides the findings it lists, so only new ones
# are reported (and set the exit status); a missing, unreadable or foreign baseline is an error (exit 2). Gitleaks and
# TruffleHog reports as baselines: t_peer_baseline.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml")
T2=KSTEST_ZZZZZZZZ00000000
mkdir d
printf 'a = %s\n' "$TOKEN" > d/old.txt
printf 'b = %s\n' "$TOKEN" > d/old2.txt
ks scan "${R[@]}" --format jsonl -o base.jsonl d; expect_rc 1 "baseline run"
ks scan "${R[@]}" --format json -o base.json d; expect_rc 1 "baseline run (json)"
[ "$(lines base.jsonl)" = 2 ] || fail "expected 2 findings in the baseline"

# nothing new: exit 0 and nothing reported, with either kind of baseline
for b in base.jsonl base.json; do
  ks scan "${R[@]}" --format jsonl --baseline "$b" d; expect_rc 0 "nothing new ($b)"
  [ ! -s "$T/out" ] || fail "a finding in the baseline $b was reported"
  expect_err "0 findings, 2 in the baseline"
done

# a new secret in a new file and a new place in an old file are reported; the old ones are not
printf 'c = %s\n' "$T2" > d/new.txt
printf 'moved\nb = %s\n' "$TOKEN" > d/old2.txt
ks scan "${R[@]}" --format jsonl --baseline base.json d; expect_rc 1 "new findings"
python3 - "$T/out" <<'PY' || fail "wrong findings reported against the baseline"
import json, sys
rows = sorted((r["path"], r["line"]) for r in map(json.loads, open(sys.argv[1])))
assert rows == [("d/new.txt", 1), ("d/old2.txt", 2)], rows
PY
expect_err "2 findings, 1 in the baseline"

# empty reports are valid baselines
: > empty.jsonl; echo '[]' > empty.json
for b in empty.jsonl empty.json; do
  ks scan "${R[@]}" --format jsonl --baseline "$b" d; expect_rc 1 "empty baseline $b"
  [ "$(lines "$T/out")" = 3 ] || fail "an empty baseline hid findings"
done

# errors: exit 2 with the file named, and no scan
ks scan "${R[@]}" --baseline missing.json d; expect_rc 2 "missing baseline"; expect_err "baseline missing.json"
[ ! -s "$T/out" ] || fail "scanned despite a missing baseline"
head -c 100 base.jsonl > truncated.jsonl
ks scan "${R[@]}" --baseline truncated.jsonl d; expect_rc 2 "truncated baseline"; expect_err "baseline truncated.jsonl: line 1"
ks scan "${R[@]}" --format sarif -o report.sarif d
ks scan "${R[@]}" --baseline report.sarif d; expect_rc 2 "a SARIF file is not a baseline"; expect_err "neither a keysweep finding"
echo '[{"fingerprint":"xyz"}]' > bad.json
ks scan "${R[@]}" --baseline bad.json d; expect_rc 2 "bad fingerprint"; expect_err "not 16 hex digits"
mkdir adir
ks scan "${R[@]}" --baseline adir d; expect_rc 2 "a directory"; expect_err "not a regular file"
if [ "$(id -u)" != 0 ]; then
  cp base.json noread.json; chmod 000 noread.json
  ks scan "${R[@]}" --baseline noread.json d; expect_rc 2 "unreadable baseline"; expect_err "Permission denied"
fi
echo PASS
