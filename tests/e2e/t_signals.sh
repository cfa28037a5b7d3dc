#!/usr/bin/env bash
# t_signals (T31): SIGINT/SIGTERM mid-scan flush the findings so far, mark the summary interrupted, exit 130/143,
# and never replace a previous --output report.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir big
printf '%s\n' "$TOKEN" > first   # named before big: its finding comes before the huge file is read
truncate -s 200G big/huge   # sparse: reading it takes far longer than the wait below
printf '%s\n' "$TOKEN" | dd of=big/huge conv=notrunc status=none
found_in() { local f; for f in $1; do grep -q "$TOKEN" "$f" 2>/dev/null && return 0; done; return 1; } # $1: a glob
for sig in INT TERM; do
  want=$([ $sig = INT ] && echo 130 || echo 143)
  for mode in stdout report; do
    echo previous > report.jsonl
    args=(--format jsonl)
    [ $mode = report ] && args=(-o report.jsonl)
    set +e
    timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" scan --no-builtin-rules --rules "$T/rules.yml" "${args[@]}" -j1 first big \
      >"$T/out" 2>"$T/err" &
    pid=$!
    # signal once the first finding is out (on stdout, or in the temporary report): the scan is under way
    if [ $mode = stdout ]; then wait_until $pid found_in "$T/out"; else wait_until $pid found_in "report.jsonl.tmp.*"; fi \
      || fail "the scan ended or hung before its first finding (SIG$sig, $mode)"
    start=$SECONDS
    kill -$sig $pid
    wait $pid; rc=$?
    set -e
    expect_rc "$want" "SIG$sig ($mode)"
    expect_err "interrupted"
    # it stops at the signal instead of reading the rest of 200 GiB (a hang detector, not a speed check)
    [ $((SECONDS - start)) -lt "$(hang_s 120)" ] || fail "took $((SECONDS - start)) s to stop after SIG$sig"
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
