#!/usr/bin/env bash
# t_jsonl_fields: every jsonl line parses; fields are exact; fingerprints are stable across runs; stdin works.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir d && printf 'first line\n  key: "%s"\n' "$TOKEN" > d/conf.yml
ks scan "${R[@]}" d; expect_rc 1 "finding"
cp "$T/out" "$T/run1"
python3 - "$T/out" "$TOKEN" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 1, rows
r = rows[0]
tok = sys.argv[2]
want = {"rule_id": "e2e.token", "rule_name": "e2e test token", "path": "d/conf.yml", "start": 19, "end": 19 + len(tok),
        "line": 2, "column": 9, "secret": tok, "match": tok}
for k, v in want.items():
    assert r[k] == v, (k, r[k], v)
assert len(r["fingerprint"]) == 16
data = open("d/conf.yml", "rb").read()
assert data[r["start"]:r["end"]] == tok.encode()
PY
ks scan "${R[@]}" d; cmp -s "$T/out" "$T/run1" || fail "output (and fingerprints) differ between runs"

printf 'a\nb %s\n' "$TOKEN" | (set +e; timeout "$(hang_s 300)" "$KEYSWEEP" scan "${R[@]}" - >"$T/out" 2>"$T/err"; echo $? >"$T/rc")
rc=$(cat "$T/rc"); expect_rc 1 "stdin"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); assert r["path"]=="-" and r["line"]==2 and r["column"]==3, r' "$T/out"
echo PASS
