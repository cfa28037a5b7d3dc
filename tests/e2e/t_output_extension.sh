#!/usr/bin/env bash
# t_output_extension: without --format, -o FILE's extension picks the format (.sarif, .json, .jsonl, .csv, .xml for
# junit, in any case); --format wins.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" -q)
mkdir src && printf 'key = %s\n' "$TOKEN" > src/app.env

ks scan "${R[@]}" -o out.sarif src; expect_rc 1 "-o out.sarif"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == "2.1.0" and len(d["runs"][0]["results"]) == 1' \
  out.sarif || fail "out.sarif is not a SARIF report with one result"
ks scan "${R[@]}" -o OUT.SARIF src; expect_rc 1 "-o OUT.SARIF"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["version"] == "2.1.0"' OUT.SARIF || fail "extension case"
ks scan "${R[@]}" -o out.json src; expect_rc 1 "-o out.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, list) and len(d) == 1' out.json \
  || fail "out.json is not a JSON array of one finding"
ks scan "${R[@]}" -o out.jsonl src; expect_rc 1 "-o out.jsonl"
[ "$(lines out.jsonl)" -eq 1 ] && python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())["rule_id"]' out.jsonl \
  || fail "out.jsonl is not one JSON line"
ks scan "${R[@]}" -o out.csv src; expect_rc 1 "-o out.csv"
python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); assert r[0][0] == "RuleID" and len(r) == 2, r' \
  out.csv || fail "out.csv is not a CSV report with one finding"
ks scan "${R[@]}" -o Out.XML src; expect_rc 1 "-o Out.XML"
python3 -c 'import sys, xml.etree.ElementTree as E; s=E.parse(sys.argv[1]).getroot().find("testsuite"); assert s.get("failures") == "1"' \
  Out.XML || fail "Out.XML is not a JUnit report with one failure"
ks scan "${R[@]}" -o report.txt src; expect_rc 1 "-o report.txt: no known extension, the default"
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())["rule_id"]' report.txt || fail "unknown extension: jsonl"
# an explicit --format always wins over the extension
ks scan "${R[@]}" --format jsonl -o out2.sarif src; expect_rc 1 "--format jsonl -o out2.sarif"
[ "$(lines out2.sarif)" -eq 1 ] && ! grep -q '"version":"2.1.0"' out2.sarif || fail "--format jsonl must beat .sarif"
ks scan "${R[@]}" --format sarif -o out2.json src; expect_rc 1 "--format sarif -o out2.json"
grep -q '"version":"2.1.0"' out2.json || fail "--format sarif must beat .json"
ks scan "${R[@]}" --format jsonl -o out2.csv src; expect_rc 1 "--format jsonl -o out2.csv"
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())["rule_id"]' out2.csv || fail "--format jsonl must beat .csv"
ks scan "${R[@]}" --format CSV -o out2.xml src; expect_rc 1 "--format CSV -o out2.xml"
head -1 out2.xml | grep -q '^RuleID,' || fail "--format CSV must beat .xml"
echo PASS
