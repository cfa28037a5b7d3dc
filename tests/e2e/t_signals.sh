#!/usr/bin/env bash
# t_signals (T31): SIGINT/SIGTERM mid-scan flush the findings so far, mark the summary interrupted, exit 130/143,
# and never replace a previous --output report.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir big
printf '%s\n' "$TOKEN" > big/first
truncate -s 40G big/huge   # sparse: reading it takes seconds, so the signal lands mid-scan
printf '%s\n' "$TOKEN" | dd of=big/huge conv=notrunc status=none
for sig in INT TERM; do
  want=$([ $sig = INT ] && echo 130 || echo 143)
  for mode in stdout report; do
    echo previous > report.jsonl
    out=("$T/out"); args=(--format jsonl)
    [ $mode = report ] && args=(-o report.jsonl)
    set +e
    timeout -k 5 60 "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" "${args[@]}" -j1 big >"$T/out" 2>"$T/err" &
    pid=$!
    sleep 1
    start=$(date +%s%N)
    kill -$sig $pid
    wait $pid; rc=$?
    set -e
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_rc "$want" "SIG$sig ($mode)"
    expect_err "interrupted"
    [ "$elapsed" -lt 5000 ] || fail "took ${elapsed} ms to stop after SIG$sig"
    if [ $mode = stdout ]; then
      python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" || fail "partial line after SIG$sig"
      [ "$(lines "$T/out")" -ge 1 ] || fail "findings found before SIG$sig were not flushed"
    else
      [ "$(cat report.jsonl)" = previous ] || fail "an interrupted scan replaced the report"
      ls report.jsonl.tmp.* 2>/dev/null && fail "temporary report left behind"
    fi
  done
done
echo PASS
