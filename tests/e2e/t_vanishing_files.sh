#!/usr/bin/env bash
# t_vanishing_files (T10, T11): files deleted or truncated during the scan never crash it and are no errors; the rest is found.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir d
for i in $(seq 1 3000); do printf 'x\n%s\n' "$TOKEN" > "d/f$i"; done
( sleep 0.05; for i in $(seq 1 3000 | shuf); do rm -f "d/f$i"; done ) &
killer=$!
ks scan --no-builtin-rules --rules "$T/rules.yml" --format jsonl -j2 d
wait $killer || true
# a file deleted after it was listed is not lost data: counted as vanished, never an error (exit 0 or 1)
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "unexpected status $rc"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" || fail "invalid JSON"
expect_err "; 0 errors"
grep -q "No such file" "$T/err" && fail "a vanished file was reported as an error"
# truncated while being read: the bytes that were read are scanned, no crash
head -c 50000000 /dev/zero > trunc
printf '%s\n' "$TOKEN" >> trunc
( sleep 0.02; : > trunc ) &
ks scan --no-builtin-rules --rules "$T/rules.yml" --format jsonl -j1 --chunk-size 65536 trunc
wait
[ "$rc" -le 2 ] || fail "status $rc"
echo PASS
