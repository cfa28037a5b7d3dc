#!/usr/bin/env bash
# t_output_extension: without --format, -o FILE's extension picks the format (.sarif, .json, .jsonl); --format wins.
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
ks scan "${R[@]}" -o report.txt src; expect_rc 1 "-o report.txt: no known extension, the default"
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).readline())["rule_id"]' report.txt || fail "unknown extension: jsonl"
# an explicit --format always wins over the extension
ks scan "${R[@]}" --format jsonl -o out2.sarif src; expect_rc 1 "--format jsonl -o out2.sarif"
[ "$(lines out2.sarif)" -eq 1 ] && ! grep -q '"version":"2.1.0"' out2.sarif || fail "--format jsonl must beat .sarif"
ks scan "${R[@]}" --format sarif -o out2.json src; expect_rc 1 "--format sarif -o out2.json"
grep -q '"version":"2.1.0"' out2.json || fail "--format sarif must beat .json"
echo PASS
