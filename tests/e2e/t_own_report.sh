#!/usr/bin/env bash
# t_own_report: the report being written (-o inside the scanned tree), and the previous one it replaces, are never scanned.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml")
mkdir src && printf 'key = %s\n' "$TOKEN" > src/app.env

# first run: the temporary report file is in the tree while it is walked
ks scan "${R[@]}" --format jsonl -o src/report.jsonl src; expect_rc 1 "first scan"
[ "$(lines src/report.jsonl)" -eq 1 ] || fail "first report: expected one finding"
expect_err "1 file scanned"
expect_err "skipped: 1 report file (--output)"
# second run: the previous report holds the token and the fingerprints; it must not be reported again
for i in 1 2 3; do
  ks scan "${R[@]}" --format jsonl -o src/report.jsonl src; expect_rc 1 "scan $i over a previous report"
  [ "$(lines src/report.jsonl)" -eq 1 ] || fail "run $i: the previous report's secrets were reported again"
  grep -q '"path":"src/app.env"' src/report.jsonl || fail "run $i: the finding is not src/app.env's"
  expect_err "1 file scanned"
  expect_err "skipped: 2 report files (--output)"
done
# json and sarif reports by extension, relative path given another way: by device and inode, not by name
mkdir s2 && cp src/app.env s2/ && cd s2
ks scan "${R[@]}" -o ./out.sarif .; expect_rc 1 "sarif, first"
ks scan "${R[@]}" -o "$T/s2/out.sarif" "$T/s2"; expect_rc 1 "sarif, again, by absolute path"
cd "$T"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"]; assert len(r) == 1, r' s2/out.sarif \
  || fail "out.sarif reported its own previous findings"
# another report file in the tree is data like any other: it is scanned
cp src/report.jsonl src/copy.jsonl
ks scan "${R[@]}" --format jsonl -o src/report.jsonl src; expect_rc 1 "copy of a report"
grep -q '"path":"src/copy.jsonl"' src/report.jsonl || fail "a file that is not the -o file must be scanned"
echo PASS
