#!/usr/bin/env bash
# t_output_failures (T23, T24): a full disk is exit 2, never 0 with lost findings; a closed pipe ends the scan quietly.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir d && for i in $(seq 1 200); do printf '%s\n' "$TOKEN" > "d/f$i"; done
ks scan "${R[@]}" --output /dev/full d;  expect_rc 2 "--output /dev/full"
expect_err "write failed: No space left on device"

echo previous > report.jsonl
ks scan "${R[@]}" --output report.jsonl d; expect_rc 1 "report written"
[ "$(lines report.jsonl)" -eq 200 ] || fail "report has $(lines report.jsonl) lines"
[ "$(stat -c %a report.jsonl)" = 600 ] || fail "report mode is $(stat -c %a report.jsonl)"
ls report.jsonl.tmp.* 2>/dev/null && fail "temporary report left behind"

# A bad rule file fails before any output: the previous report must survive.
echo 'rules: [' > bad.yml
cp report.jsonl before.jsonl
ks scan --rules bad.yml --output report.jsonl d; expect_rc 2 "bad rules"
cmp -s report.jsonl before.jsonl || fail "a failed scan clobbered the previous report"

# T24: a report on a 1 MiB tmpfs fills it: exit 2, the temporary file is removed, the old report stays
mkdir small_fs
if mount -t tmpfs -o size=1m tmpfs small_fs 2>/dev/null; then
  echo previous > small_fs/report.jsonl
  big=$(mktemp -d "$T/many.XXXX"); for i in $(seq 1 400); do for k in $(seq 1 30); do printf '%s\n' "$TOKEN"; done > "$big/f$i"; done
  ks scan "${R[@]}" --output small_fs/report.jsonl "$big"
  umount_rc=0
  [ "$(cat small_fs/report.jsonl)" = previous ] || umount_rc=1
  leftovers=$(ls small_fs | grep -c tmp || true)
  umount small_fs
  expect_rc 2 "report on a full tmpfs"
  expect_err "write failed: No space left on device"
  [ "$umount_rc" -eq 0 ] || fail "the previous report was clobbered on a full disk"
  [ "$leftovers" -eq 0 ] || fail "temporary report left on the full disk"
else
  echo "note: cannot mount a tmpfs here; the full-disk case runs with /dev/full only"
fi

# | head -1: the scan stops (a hang is caught by the time limit), prints no error, and the one line is complete JSON.
big=$(mktemp -d "$T/big.XXXX"); for i in $(seq 1 3000); do printf '%s\n%s\n' "$TOKEN" "$TOKEN" > "$big/f$i"; done
set +e; timeout "$(hang_s 300)" "$KEYSWEEP" scan "${R[@]}" "$big" 2>"$T/err" | head -1 >"$T/out"; st=("${PIPESTATUS[@]}"); set -e
[ "${st[0]}" -eq 141 ] || fail "closed pipe: exit ${st[0]}, expected 141"
[ ! -s "$T/err" ] || fail "closed pipe printed to stderr"
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())' "$T/out" || fail "head -1 got a partial line"
grep -q '"path"' "$T/err" && fail "closed pipe: findings went to stderr"
echo PASS
