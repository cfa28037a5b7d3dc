#!/usr/bin/env bash
# t_format_interrupt: SIGINT mid-scan still closes the json, sarif and gitleaks documents on stdout (valid, with the
# findings so far; SARIF marks the run unsuccessful), and a report named by --output is not replaced.
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
echo PASS
