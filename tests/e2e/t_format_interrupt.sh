#!/usr/bin/env bash
# t_format_interrupt: SIGINT mid-scan still closes the json, sarif and gitleaks documents on stdout (valid, with the
# findings so far; SARIF marks the run unsuccessful) and writes the junit document (valid, with a test case in error),
# and a report named by --output is not replaced.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir big
printf '%s\n' "$TOKEN" > first   # named before big: its finding comes before the huge file is read
truncate -s 200G big/huge   # sparse: reading it takes far longer than the wait below
found_in() { local f; for f in $1; do grep -q "$TOKEN" "$f" 2>/dev/null && return 0; done; return 1; } # $1: a glob
for f in json sarif gitleaks; do
  set +e
  timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" --format "$f" -j1 first big \
    >"$T/out" 2>"$T/err" &
  pid=$!
  wait_until $pid found_in "$T/out" || fail "the $f scan ended or hung before its first finding"
  kill -INT $pid
  wait $pid; rc=$?
  set -e
  expect_rc 130 "SIGINT ($f)"
  python3 - "$f" "$T/out" <<'PY' || fail "$f on stdout is not a valid document after SIGINT"
import json, sys
doc = json.load(open(sys.argv[2]))
if sys.argv[1] == "sarif":
    run = doc["runs"][0]
    assert len(run["results"]) == 1 and run["invocations"][0]["executionSuccessful"] is False, run
else:
    assert len(doc) == 1, doc
PY
  echo previous > "report.$f"
  set +e
  timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" --format "$f" -o "report.$f" \
    -j1 first big >"$T/out" 2>"$T/err" &
  pid=$!
  wait_until $pid found_in "report.$f.tmp.*" || fail "the $f scan to a file ended or hung before its first finding"
  kill -INT $pid
  wait $pid; rc=$?
  set -e
  expect_rc 130 "SIGINT ($f to a file)"
  [ "$(cat "report.$f")" = previous ] || fail "an interrupted $f scan replaced the report"
done
# junit holds its test cases until the end: wait until the huge file is open (reading it), then interrupt
huge_open() { local c; for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do ls -l "/proc/$c/fd" 2>/dev/null | grep -q big/huge && return 0; done; return 1; }
set +e
timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" --format junit -j1 first big \
  >"$T/out" 2>"$T/err" &
pid=$!
wait_until $pid huge_open $pid || fail "the junit scan ended or hung before it opened the huge file"
kill -INT $pid
wait $pid; rc=$?
set -e
expect_rc 130 "SIGINT (junit)"
python3 - "$T/out" <<'PY' || fail "junit on stdout is not a valid document with a test case in error after SIGINT"
import sys, xml.etree.ElementTree as ET
[suite] = ET.parse(sys.argv[1]).getroot().findall("testsuite")
assert suite.get("errors") == "1" and int(suite.get("failures")) <= 1, suite.attrib
assert [tc for tc in suite.findall("testcase") if tc.find("error") is not None], "no test case in error"
PY
echo PASS
