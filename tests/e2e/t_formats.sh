#!/usr/bin/env bash
# t_formats: every --format parses with a real JSON parser and carries the known finding's path, line, column,
# end position and secret; json, sarif and gitleaks are valid documents with no findings and through --output.
. "$(dirname "$0")/lib.sh"
write_test_rules
add_multi_line_rule
cat >>"$T/rules.yml" <<'YML'
    references: [https://example.com/ks-multi]
    categories: [test, secret]
YML
R=(--no-builtin-rules --rules "$T/rules.yml")
mkdir -p "d/sub dir" empty
printf 'first line\n  key: "%s"\n' "$TOKEN" > d/conf.yml
printf 'ab KSBEGIN\nABCD1234\nKSEND tail\n' > "d/sub dir/block#1.txt"

check() { # check FORMAT FILE: parse FILE as FORMAT and compare with the two known findings
  python3 - "$1" "$2" "$TOKEN" <<'PY' || fail "format $1 does not carry the known findings"
import json, sys
fmt, path, tok = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8").read()
tok_want = dict(path="d/conf.yml", line=2, col=9, last_line=2, last_col=9 + len(tok) - 1, secret=tok, rule="e2e.token")
blk_want = dict(path="d/sub dir/block#1.txt", line=1, col=4, last_line=3, last_col=5, secret="ABCD1234", rule="e2e.multi")
def same(got, want):
    for k, v in want.items():
        assert got[k] == v, (fmt, k, got[k], v)
def by_rule(rows):
    return {r["rule"]: r for r in rows}
if fmt == "jsonl" or fmt == "json":
    objs = [json.loads(l) for l in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    assert isinstance(objs, list) and len(objs) == 2, objs
    rows = [dict(path=o["path"], line=o["line"], col=o["column"], secret=o["secret"], rule=o["rule_id"]) for o in objs]
    for o in objs:
        assert len(o["fingerprint"]) == 16 and o["match"]
    got = by_rule(rows)
    for w in (tok_want, blk_want):
        same(got[w["rule"]], {k: w[k] for k in ("path", "line", "col", "secret")})
elif fmt == "sarif":
    doc = json.loads(text)
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"], doc.keys()
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    drv = run["tool"]["driver"]
    assert drv["name"] == "keysweep" and drv["version"] and drv["informationUri"].startswith("https://")
    rules = drv["rules"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert len(run["results"]) == 2
    for r in rules:
        assert r["id"] and r["name"] and r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["properties"]["precision"] in ("very-high", "high", "medium", "low")
        tags = r["properties"]["tags"]
        assert "security" in tags and len(tags) == len(set(tags)), tags
    multi = [r for r in rules if r["id"] == "e2e.multi"][0]
    assert multi["helpUri"] == "https://example.com/ks-multi" and "test" in multi["properties"]["tags"]
    assert multi["fullDescription"]["text"] == "A block that spans three lines."
    rows = []
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        h, n = res["partialFingerprints"]["secretLocationHash/v1"].split(":")
        assert len(h) == 16 and n == "1" and len(res["properties"]["fingerprint"]) == 16, res
        loc = res["locations"][0]["physicalLocation"]
        reg = loc["region"]
        rows.append(dict(path=loc["artifactLocation"]["uri"], line=reg["startLine"], col=reg["startColumn"],
                         end=(reg["endLine"], reg["endColumn"]), secret=reg["snippet"]["text"], rule=res["ruleId"]))
    got = by_rule(rows)
    same(got["e2e.token"], dict(path="d/conf.yml", line=2, col=9, end=(2, 9 + len(tok)), secret=tok))
    same(got["e2e.multi"], dict(path="d/sub%20dir/block%231.txt", line=1, col=4, end=(3, 6), secret="KSBEGIN\nABCD1234\nKSEND"))
elif fmt == "trufflehog":
    objs = [json.loads(l) for l in text.splitlines()]
    assert len(objs) == 2
    keys = ["SourceMetadata", "SourceID", "SourceType", "SourceName", "DetectorType", "DetectorName",
            "DetectorDescription", "DecoderName", "Verified", "VerificationFromCache", "Raw", "RawV2", "Redacted",
            "ExtraData", "StructuredData", "SecretParts"]
    rows = []
    for o in objs:
        assert list(o.keys()) == keys, list(o.keys())
        assert o["SourceType"] == 15 and o["SourceName"] == "trufflehog - filesystem" and o["DecoderName"] == "PLAIN"
        assert o["Verified"] is False and isinstance(o["DetectorType"], int) and o["DetectorName"]
        fs = o["SourceMetadata"]["Data"]["Filesystem"]
        rows.append(dict(path=fs["file"], line=fs["line"], col=int(o["ExtraData"]["column"]), secret=o["Raw"],
                         rule=o["ExtraData"]["rule_id"]))
    got = by_rule(rows)
    for w in (tok_want, blk_want):
        same(got[w["rule"]], {k: w[k] for k in ("path", "line", "col", "secret")})
elif fmt == "gitleaks":
    objs = json.loads(text)
    assert isinstance(objs, list) and len(objs) == 2
    keys = ["RuleID", "Description", "StartLine", "EndLine", "StartColumn", "EndColumn", "Match", "Secret", "File",
            "SymlinkFile", "Commit", "Entropy", "Author", "Email", "Date", "Message", "Tags", "Fingerprint"]
    rows = []
    for o in objs:
        assert list(o.keys()) == keys, list(o.keys())
        assert o["Fingerprint"] == "%s:%s:%d" % (o["File"], o["RuleID"], o["StartLine"])
        assert isinstance(o["Entropy"], (int, float)) and o["Entropy"] > 2 and isinstance(o["Tags"], list)
        rows.append(dict(path=o["File"], line=o["StartLine"], col=o["StartColumn"], last_line=o["EndLine"],
                         last_col=o["EndColumn"], secret=o["Secret"], rule=o["RuleID"]))
    got = by_rule(rows)
    same(got["e2e.token"], tok_want)
    same(got["e2e.multi"], blk_want)
    assert got["e2e.multi"]["secret"] == "ABCD1234"
else:
    raise SystemExit("unknown format " + fmt)
PY
}

for f in jsonl json sarif trufflehog gitleaks; do
  ks scan "${R[@]}" --format "$f" d; expect_rc 1 "$f"
  check "$f" "$T/out"
  rm -f "report.$f"
  ks scan "${R[@]}" --format "$f" -o "report.$f" d; expect_rc 1 "$f to a file"
  [ "$(stat -c %a "report.$f")" = 600 ] || fail "report.$f is not mode 0600"
  [ ! -s "$T/out" ] || fail "--output $f also wrote to stdout"
  check "$f" "report.$f"
done

# one-document formats are valid with no findings
for f in json gitleaks sarif; do
  ks scan "${R[@]}" --format "$f" empty; expect_rc 0 "$f, no findings"
  python3 - "$f" "$T/out" <<'PY' || fail "$f with no findings is not a valid document"
import json, sys
doc = json.load(open(sys.argv[2]))
if sys.argv[1] == "sarif":
    run = doc["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == [] and run["tool"]["driver"]["name"] == "keysweep"
else:
    assert doc == [], doc
PY
done
ks scan "${R[@]}" --format jsonl empty; expect_rc 0 "jsonl, no findings"; [ ! -s "$T/out" ] || fail "jsonl with no findings is not empty"

# text: no colour when stdout is not a terminal, unless asked
ks scan "${R[@]}" --format text d; expect_rc 1 text
expect_out "d/conf.yml:2:9: e2e.token"
grep -q $'\x1b' "$T/out" && fail "colour in text written to a file"
ks scan "${R[@]}" --format text --color always d; grep -q $'\x1b\\[' "$T/out" || fail "--color always gave no colour"

ks scan "${R[@]}" --format yaml d; expect_rc 2 "unknown format"; expect_err "unknown format 'yaml'"
echo PASS
