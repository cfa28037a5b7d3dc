#!/usr/bin/env bash
# t_redact: with --redact no piece of a planted secret reaches stdout, stderr or the --output file in any format;
# the findings, their positions and the exit status are the same as without it.
. "$(dirname "$0")/lib.sh"
write_test_rules
cat >>"$T/rules.yml" <<'YML'
  - id: e2e.multi
    name: multi-line block
    pattern: 'KSBEGIN\n(?P<secret>[A-Z0-9]{8})\nKSEND'
  - id: e2e.whole
    name: whole match is the secret
    pattern: 'KSWHOLE[0-9]{10}'
YML
R=(--no-builtin-rules --rules "$T/rules.yml")
mkdir d
printf 'first line\n  key: "%s" again %s\n' "$TOKEN" "$TOKEN" > d/conf.yml
printf 'ab KSBEGIN\nQWRT7890\nKSEND tail\nKSWHOLE1234567890\n' > d/block.txt
SECRETS="$TOKEN QWRT7890 KSWHOLE1234567890"

# no_piece FILE: no 5-byte piece of any planted secret occurs in FILE
no_piece() {
  python3 - "$1" $SECRETS <<'PY' || fail "a piece of a secret leaked into $1 with --redact"
import sys
data = open(sys.argv[1], "rb").read()
for s in sys.argv[2:]:
    for i in range(len(s) - 4):
        piece = s[i:i + 5].encode()
        assert piece not in data, (sys.argv[1], piece)
PY
}

ks scan "${R[@]}" --format jsonl d; expect_rc 1 "clear"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out"
cp "$T/out" clear.jsonl
grep -q "$TOKEN" clear.jsonl || fail "the secret is not in the clear report: the test proves nothing"
clear_summary=$(grep -o '[0-9]* findings' "$T/err")

for f in text jsonl json sarif trufflehog gitleaks; do
  ks scan "${R[@]}" --redact --format "$f" d; expect_rc 1 "--redact $f"
  no_piece "$T/out"; no_piece "$T/err"
  grep -q REDACTED "$T/out" || fail "$f: no REDACTED marker"
  [ "$(grep -o '[0-9]* findings' "$T/err")" = "$clear_summary" ] || fail "$f: --redact changed the counts"
  ks scan "${R[@]}" --redact --format "$f" -o "report.$f" d; expect_rc 1 "--redact $f to a file"
  no_piece "report.$f"; no_piece "$T/err"
done

# the same findings at the same places; only secret and match differ
ks scan "${R[@]}" --redact --format jsonl d
python3 - clear.jsonl "$T/out" <<'PY' || fail "--redact changed findings or positions"
import json, sys
key = lambda r: (r["path"], r["start"], r["rule_id"])  # files may be reported in any order
a = sorted((json.loads(l) for l in open(sys.argv[1])), key=key)
b = sorted((json.loads(l) for l in open(sys.argv[2])), key=key)
assert len(a) == len(b) == 4, (len(a), len(b))
for x, y in zip(a, b):
    assert y["secret"] == "REDACTED", y
    assert "REDACTED" in y["match"] and "secret_b64" not in y
    for k in ("rule_id", "path", "start", "end", "line", "column", "fingerprint"):
        assert x[k] == y[k], (k, x[k], y[k])
multi = [y for y in b if y["rule_id"] == "e2e.multi"][0]
assert multi["match"] == "KSBEGIN\nREDACTED\nKSEND", multi["match"]
PY
echo PASS
