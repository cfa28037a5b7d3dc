#!/usr/bin/env bash
# t_redact: with --redact no piece of a planted secret reaches stdout, stderr or the --output file in any format;
# the findings, their positions and the exit status are the same as without it. --redact=N hides N% of each secret
# as Gitleaks does (0: nothing, 100: the same report as --redact); a bad N is an error naming the option.
. "$(dirname "$0")/lib.sh"
write_test_rules
add_multi_line_rule
cat >>"$T/rules.yml" <<'YML'
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

for f in text jsonl json sarif trufflehog gitleaks csv junit; do
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
# --redact=N: the first 100-N% of the secret's characters (rounded half to even, never all of them), then *****,
# in the secret and wherever the match holds it; positions and fingerprints unchanged
for n in 0 50 80 100; do
  ks scan "${R[@]}" --redact=$n --format jsonl d; expect_rc 1 "--redact=$n"
  python3 - clear.jsonl "$T/out" "$n" <<'PY' || fail "--redact=$n did not hide $n% of each secret"
import json, sys
n = int(sys.argv[3])
key = lambda r: (r["path"], r["start"], r["rule_id"])
a = sorted((json.loads(l) for l in open(sys.argv[1])), key=key)
b = sorted((json.loads(l) for l in open(sys.argv[2])), key=key)
assert len(a) == len(b) == 4
for x, y in zip(a, b):
    s = x["secret"]
    if n == 0:
        want = s
    elif n == 100:
        want = "REDACTED"
    else:
        want = s[:min(round(len(s) * (100 - n) / 100), len(s) - 1)] + "*****"  # round(): half to even
    assert y["secret"] == want, (n, y["secret"], want)
    assert y["match"] == x["match"].replace(s, want), (y["match"], want)
    for k in ("rule_id", "path", "start", "end", "line", "column", "fingerprint"):
        assert x[k] == y[k], (k, x[k], y[k])
if n == 50:
    assert {y["secret"] for y in b if y["rule_id"] == "e2e.token"} == {"KSTEST_ABCDE*****"}, b
PY
done
ks scan "${R[@]}" --redact --format jsonl d; cp "$T/out" full.jsonl
ks scan "${R[@]}" --redact=100 --format jsonl d
cmp -s full.jsonl "$T/out" || fail "--redact=100 differs from --redact"
for bad in 101 -1 x 50% "" 1k; do
  ks scan "${R[@]}" --redact="$bad" d; expect_rc 2 "--redact=$bad"
  expect_err "--redact: expected a percentage from 0 to 100"
  [ ! -s "$T/out" ] || fail "--redact=$bad still scanned"
done
echo PASS
