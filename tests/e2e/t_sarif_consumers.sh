#!/usr/bin/env bash
# t_sarif_consumers (issue 17): SARIF that GitHub code scanning and other readers take without loss. URIs relative to
# %SRCROOT% (the working directory, in originalUriBaseIds and invocations[0].workingDirectory) for relative roots
# and for absolute ones below it, never "./" or "//"; no byteOffset/byteLength unless --sarif-byte-offsets (they
# then equal jsonl's start and end); standard input as "stdin"; a match that takes its newline ends on its own line;
# partialFingerprints that hold when lines are added above a secret, numbered when a secret repeats in a file; and
# no more than GitHub's 25,000 results in a run, the rest counted in a notification and a warning.
. "$(dirname "$0")/lib.sh"
write_test_rules
cat >>"$T/rules.yml" <<'YML'
  - id: e2e.eol
    name: token with its line end
    pattern: '(?P<secret>KSEOL_[0-9]{6})\r?\n'
YML
R=(--no-builtin-rules --rules "$T/rules.yml")
mkdir -p src/conf
printf 'a: 1\nkey: %s\nsame: %s\nend: KSEOL_123456\n' "$TOKEN" "$TOKEN" >src/conf/app.yml

sarif() { # sarif FILE EXPR: evaluates a Python expression over the document d (and run r); fails when false
  python3 - "$@" <<'PY' || fail "SARIF check failed: $2"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
res = r["results"]
locs = [x["locations"][0]["physicalLocation"] for x in res]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(d, indent=1)[:4000], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# relative roots, however written: relative URIs under %SRCROOT%, which is the working directory
for root in src ./src ./src// src/../src; do
  ks scan "${R[@]}" --format sarif -o rel.sarif "$root"; expect_rc 1 "scan $root"
  sarif rel.sarif '[l["artifactLocation"] for l in locs] == [{"uri": "src/conf/app.yml", "uriBaseId": "%SRCROOT%"}] * 3'
done
sarif rel.sarif 'r["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://'"$T"'/" == r["invocations"][0]["workingDirectory"]["uri"]'
sarif rel.sarif 'all("byteOffset" not in l["region"] and "byteLength" not in l["region"] for l in locs)'

# an absolute root below the working directory is written relative to it; one outside it stays absolute
ks scan "${R[@]}" --format sarif -o abs.sarif "$T/src"; expect_rc 1 "absolute root"
sarif abs.sarif 'locs[0]["artifactLocation"] == {"uri": "src/conf/app.yml", "uriBaseId": "%SRCROOT%"}'
mkdir elsewhere
cd elsewhere
ks scan "${R[@]}" --format sarif -o ../out.sarif "$T/src"; expect_rc 1 "root outside the working directory"
cd "$T"
sarif out.sarif 'locs[0]["artifactLocation"] == {"uri": "file://'"$T"'/src/conf/app.yml"}'

# byte offsets on request, equal to the jsonl report's
ks scan "${R[@]}" --format jsonl src; expect_rc 1 "jsonl"
cp "$T/out" ref.jsonl
ks scan "${R[@]}" --format sarif --sarif-byte-offsets -o off.sarif src; expect_rc 1 "--sarif-byte-offsets"
sarif off.sarif '[(l["region"]["byteOffset"], l["region"]["byteOffset"] + l["region"]["byteLength"]) for l in locs] == [(j["start"], j["end"]) for j in map(json.loads, open("ref.jsonl"))]'

# a match that ends with its newline ends on its own line (endLine is not the next line)
sarif rel.sarif '[(l["region"]["startLine"], l["region"]["endLine"], l["region"]["endColumn"]) for l, x in zip(locs, res) if x["ruleId"] == "e2e.eol"] == [(4, 4, 18)]'

# standard input
set +e; "$KEYSWEEP" scan "${R[@]}" --format sarif - <src/conf/app.yml >stdin.sarif 2>/dev/null; rc=$?; set -e
expect_rc 1 "stdin"
sarif stdin.sarif 'locs[0]["artifactLocation"] == {"uri": "stdin", "description": {"text": "standard input"}}'

# fingerprints: lines added above keep them; the same secret twice in a file is :1 and :2
fp() { python3 -c 'import json,sys; print(" ".join(x["ruleId"] + "=" + x["partialFingerprints"]["secretLocationHash/v1"] for x in json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$1"; }
before=$(fp rel.sarif)
case "$before" in *":1 "*":2 "*) ;; *) fail "the repeated secret is not numbered: $before" ;; esac
{ printf 'new: line\nanother: one\n'; cat src/conf/app.yml; } >x && mv x src/conf/app.yml
ks scan "${R[@]}" --format sarif -o moved.sarif src; expect_rc 1 "after the edit"
[ "$(fp moved.sarif)" = "$before" ] || fail "fingerprints changed with lines added above: $before / $(fp moved.sarif)"
sarif moved.sarif 'locs[0]["region"]["startLine"] == 4'

# GitHub's limit: 25,000 results in a run; the rest are counted, and said
python3 -c '
for i in range(25003):
    print("KSTEST_%016d" % i)' >src/many.txt
ks scan "${R[@]}" --format sarif -o many.sarif src/many.txt; expect_rc 1 "25,003 findings"
expect_err "more than 25000 results"
sarif many.sarif 'len(res) == 25000 and r["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].startswith("3 results not listed")'
echo "t_sarif_consumers: ok"
