#!/usr/bin/env bash
# t_format_interrupt: SIGINT mid-scan still closes the json, sarif and gitleaks documents on stdout (valid, with the
# findings so far; SARIF marks the run unsuccessful), and a report named by --output is not replaced.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir big
printf '%s\n' "$TOKEN" > big/first
truncate -s 40G big/huge   # sparse: reading it takes seconds, so the signal lands mid-scan
for f in json sarif gitleaks; do
  set +e
  timeout -k 5 60 "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" --format "$f" -j1 big >"$T/out" 2>"$T/err" &
  pid=$!
  sleep 1
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
  timeout -k 5 60 "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" --format "$f" -o "report.$f" -j1 big \
    >"$T/out" 2>"$T/err" &
  pid=$!
  sleep 1
  kill -INT $pid
  wait $pid; rc=$?
  set -e
  expect_rc 130 "SIGINT ($f to a file)"
  [ "$(cat "report.$f")" = previous ] || fail "an interrupted $f scan replaced the report"
done
echo PASS
