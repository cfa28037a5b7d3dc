#!/usr/bin/env bash
# t_csv_junit: --format csv and junit carry every finding of the jsonl report of the same scan, field by field: csv
# read back by Python's csv module (RFC 4180 quoting of a comma, a quote, a control byte and line breaks; cells that
# a spreadsheet would run as formulas start with '), junit by xml.etree (XML 1.0: & < > " ' escaped, a control byte
# replaced); a history finding carries its commit, author, email, UTC date and message; a clean scan is an empty
# suite, an incomplete one has a test case in error; --redact reaches both.
. "$(dirname "$0")/lib.sh"
write_test_rules
add_multi_line_rule
cat >>"$T/rules.yml" <<'YML'
  - id: e2e.csv
    name: spreadsheet hazards
    description: A value with a comma, "quotes" and = in it.
    pattern: '(?m)^=?csvkey\d?: (?P<secret>[^\n]{3,40}?)!END'
YML
R=(--no-builtin-rules --rules "$T/rules.yml" --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com GIT_COMMITTER_DATE=2026-01-03T00:00:00Z GIT_AUTHOR_DATE=2026-01-03T00:00:00Z

mkdir -p s/d
printf 'first line\n  key: "%s"\n' "$TOKEN" > s/d/conf.yml
printf 'ab KSBEGIN\nABCD1234\nKSEND tail\n' > s/d/block.txt
# a secret with a comma, a quote and a control byte on a line that starts with '='; secrets that start with @ + -
printf '=csvkey: ab,c"d\001e!END\ncsvkey2: @SUM(A1)!END\ncsvkey3: +cmd|x!END\ncsvkey4: -2+3!END\n' > s/d/sheet.txt
printf 'k=%s\n' "$TOKEN" > "s/d/a&b <c>'q\".txt"
# a history finding: committed, then deleted, so only the repository's history holds it
git init -q -b main s/repo
printf 'x=1\ntoken = %s\n' "$TOKEN" > s/repo/a.txt && git -C s/repo add a.txt
GIT_AUTHOR_NAME='Alice "A" Smith, Jr' GIT_AUTHOR_EMAIL=alice@example.com GIT_AUTHOR_DATE=2026-01-02T03:04:05+02:00 \
  git -C s/repo commit -qm "@team add a, with \"quotes\"" -m "and a body"
C=$(git -C s/repo rev-parse HEAD)
git -C s/repo rm -q a.txt && git -C s/repo commit -qm delete

ks scan "${R[@]}" --format jsonl s; expect_rc 1 "jsonl"; cp "$T/out" all.jsonl
ks scan "${R[@]}" --format csv s; expect_rc 1 "csv"; cp "$T/out" all.csv
ks scan "${R[@]}" --format junit s; expect_rc 1 "junit"; cp "$T/out" all.xml

# expected.py: the csv/junit columns of each jsonl finding, as the formats must write them
cat > expected.py <<'PY'
import json, datetime
DESC = {"e2e.multi": "A block that spans three lines.", "e2e.csv": 'A value with a comma, "quotes" and = in it.'}
NAMES = ["RuleID", "Description", "File", "StartLine", "EndLine", "StartColumn", "EndColumn", "Match", "Secret",
         "Commit", "Author", "Email", "Date", "Message", "Fingerprint", "Severity", "NearMiss", "KnownTestKey"]
def last_byte(o):  # the match's last byte, inclusive, as Gitleaks counts (from the real match, when redacted)
    line, col = o["line"], o["column"]
    ll, lc = line, col
    for ch in o.get("clear_match", o["match"]):
        ll, lc = line, col
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    return ll, lc
def columns(o):
    g = o.get("git")
    f = g["path"] if g and g["commit"] else o["path"] + ("!" + o["object"] if "object" in o else "")
    ll, lc = last_byte(o)
    date = ""
    if g and g["commit"]:
        date = datetime.datetime.fromisoformat(g["date"]).astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    gv = lambda k: g[k] if g and g["commit"] else ""
    return dict(RuleID=o["rule_id"], Description=DESC.get(o["rule_id"], o["rule_name"]), File=f,
                StartLine=str(o["line"]), EndLine=str(ll), StartColumn=str(o["column"]), EndColumn=str(lc),
                Match=o["match"], Secret=o["secret"], Commit=gv("commit"), Author=gv("author"), Email=gv("email"),
                Date=date, Message=gv("message"), Fingerprint=o["fingerprint"], Severity=o["severity"],
                NearMiss=o.get("near_miss", ""), KnownTestKey="true" if o.get("known_test_key") else "")
def load(path, clear=None):  # clear: the same scan's jsonl without --redact, for the end positions
    objs = [json.loads(l) for l in open(path, encoding="utf-8")]
    if clear:
        real = {c["fingerprint"]: c["match"] for c in load(clear)}
        for o in objs:
            o["clear_match"] = real[o["fingerprint"]]
    return objs
PY

# check_csv CSV JSONL [CLEAR_JSONL]
check_csv() {
  python3 - "$1" "$2" "$C" "${3:-}" <<'PY' || fail "csv $1 does not carry the jsonl findings of $2"
import csv, sys
sys.path.insert(0, ".")
from expected import NAMES, columns, load
raw = open(sys.argv[1], "rb").read()
assert raw.startswith((",".join(NAMES) + "\r\n").encode()), raw[:200]
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0] == NAMES, rows[0]
objs = load(sys.argv[2], sys.argv[4])
assert len(rows) - 1 == len(objs) >= 8, (len(rows), len(objs))
def cell(v):  # a spreadsheet would run it: the csv format writes it after a quote
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
want = sorted(tuple(cell(v) for v in columns(o).values()) for o in objs)
got = sorted(tuple(r) for r in rows[1:])
assert got == want, "\n".join("%r\n%r" % (g, w) for g, w in zip(got, want) if g != w)
# what the file must look like for the hazards, byte for byte (those in secrets are redacted with --redact)
for piece in () if sys.argv[4] else (b'"\'=csvkey: ab,c""d\x01e!END"', b'"ab,c""d\x01e"', b",'@SUM(A1),", b",'+cmd|x,", b",'-2+3,",
              b'"KSBEGIN\nABCD1234\nKSEND"', b'"\'@team add a, with ""quotes""\n\nand a body"', b'"Alice ""A"" Smith, Jr"'):
    assert piece in raw, piece
assert sum(1 for r in rows if r[9] == sys.argv[3]) == 1, "one history finding with its commit"
PY
}

# check_junit XML JSONL [CLEAR_JSONL]
check_junit() {
  python3 - "$1" "$2" "$C" "${3:-}" <<'PY' || fail "junit $1 does not carry the jsonl findings of $2"
import sys, xml.etree.ElementTree as ET
sys.path.insert(0, ".")
from expected import NAMES, columns, load
root = ET.parse(sys.argv[1]).getroot()
objs = load(sys.argv[2], sys.argv[4])
n = len(objs)
assert root.tag == "testsuites" and root.get("tests") == str(n) and root.get("failures") == str(n), root.attrib
[suite] = root.findall("testsuite")
assert suite.get("tests") == str(n) and suite.get("failures") == str(n) and suite.get("errors") == "0", suite.attrib
cases = suite.findall("testcase")
assert len(cases) == n >= 8
def xml_safe(v):  # XML 1.0 cannot hold C0 controls other than tab, LF and CR: the format writes U+FFFD
    return "".join("\ufffd" if ord(c) < 0x20 and c not in "\t\n\r" else c for c in v)
def body(text):  # "Column: value" lines; a line break inside a value is followed by two spaces
    out, key = {}, None
    for line in text.split("\n")[:-1]:
        if line.startswith("  ") and key:
            out[key] += "\n" + line[2:]
        else:
            key, _, val = line.partition(": ")
            out[key] = val
    return out
want = {}
for o in objs:
    c = {k: xml_safe(v) for k, v in columns(o).items()}
    want.setdefault((c["RuleID"], c["File"] + ":" + c["StartLine"], c["Fingerprint"]), []).append(c)
history = 0
for tc in cases:
    [fl] = tc.findall("failure")
    b = body(fl.text)
    key = (tc.get("classname"), tc.get("name"), b["Fingerprint"])
    w = want[key].pop()
    assert tc.get("file") == w["File"], (tc.get("file"), w["File"])
    names = [k for k in NAMES if (w["Commit"] or k not in ("Commit", "Author", "Email", "Date", "Message"))
             and (w[k] or k not in ("NearMiss", "KnownTestKey"))]
    assert list(b) == names, list(b)
    assert b == {k: w[k] for k in names}, (b, w)
    msg = fl.get("message")
    assert w["RuleID"] in msg and w["File"] in msg and "line " + w["StartLine"] in msg, msg
    assert w["Secret"] not in msg, msg
    if w["Commit"]:
        history += 1
        assert "commit " + sys.argv[3] in msg and w["Commit"] == sys.argv[3], msg
assert history == 1
PY
}

check_csv all.csv all.jsonl
check_junit all.xml all.jsonl
# the formula guard is the csv format's alone: jsonl and junit keep the value as it is
python3 -c '
import json, sys
rows = [json.loads(l) for l in open("all.jsonl")]
assert any(r["match"].startswith("=csvkey") for r in rows) and any(r["secret"] == "@SUM(A1)" for r in rows)' \
  || fail "the jsonl report lost a leading = or @"
grep -q "Match: =csvkey: ab,c&quot;d"$'\xef\xbf\xbd'"e!END" all.xml || fail "junit: the match not escaped as XML 1.0 needs"
grep -q 'name="s/d/a&amp;b &lt;c&gt;&apos;q&quot;.txt:1"' all.xml || fail "junit: a path not escaped in an attribute"

# through -o, mode 0600 and nothing on stdout; the same report
for f in csv junit; do
  ks scan "${R[@]}" --format "$f" -o "report.$f" s; expect_rc 1 "$f to a file"
  [ "$(stat -c %a "report.$f")" = 600 ] || fail "report.$f is not mode 0600"
  [ ! -s "$T/out" ] || fail "--output $f also wrote to stdout"
done
check_csv report.csv all.jsonl
check_junit report.junit all.jsonl

# no findings: the header alone; an empty suite, which JUnit readers count as passing
mkdir empty
ks scan "${R[@]}" --format csv empty; expect_rc 0 "csv, no findings"
[ "$(cat "$T/out")" = "$(head -1 all.csv)" ] || fail "csv with no findings is not the header line alone"
ks scan "${R[@]}" --format junit empty; expect_rc 0 "junit, no findings"
python3 - "$T/out" <<'PY' || fail "junit with no findings is not an empty passing suite"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
[suite] = root.findall("testsuite")
assert suite.get("tests") == "0" and suite.get("failures") == "0" and suite.get("errors") == "0"
assert list(suite) == [] and root.get("failures") == "0"
PY
# an incomplete scan (a root that does not exist) is not a passing suite
ks scan "${R[@]}" --format junit empty missing; expect_rc 2 "junit, incomplete"
python3 - "$T/out" <<'PY' || fail "junit of an incomplete scan has no test case in error"
import sys, xml.etree.ElementTree as ET
[suite] = ET.parse(sys.argv[1]).getroot().findall("testsuite")
assert suite.get("errors") == "1" and suite.get("tests") == "1", suite.attrib
[tc] = suite.findall("testcase")
assert tc.find("error") is not None
PY

# --redact: the same findings, no secret
for f in csv junit; do
  ks scan "${R[@]}" --format "$f" --redact s; expect_rc 1 "$f --redact"
  grep -q REDACTED "$T/out" || fail "$f --redact: no REDACTED"
  grep -qE "$TOKEN|ABCD1234|SUM\(A1\)" "$T/out" && fail "$f --redact: a secret leaked"
done
ks scan "${R[@]}" --format jsonl --redact s; cp "$T/out" red.jsonl
ks scan "${R[@]}" --format csv --redact s; cp "$T/out" red.csv
ks scan "${R[@]}" --format junit --redact s; cp "$T/out" red.xml
check_csv red.csv red.jsonl all.jsonl
check_junit red.xml red.jsonl all.jsonl
# a near miss and a known test key are set apart: csv columns NearMiss and KnownTestKey; junit skips a near miss
mkdir nm
# (jwt.io's sample token is in the known test keys, and passes its rule's check)
printf 'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\ntoken = %s\n' \
  eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c >nm/app.env
N=(--format jsonl --no-progress --show-near-misses --show-test-keys)
ks scan "${N[@]}" nm; expect_rc 1 "near miss and test key"; cp "$T/out" nm.jsonl
ks scan "${N[@]}" --format csv nm; cp "$T/out" nm.csv
ks scan "${N[@]}" --format junit nm; cp "$T/out" nm.xml
python3 - <<'PY' || fail "csv/junit do not mark the near miss and the known test key"
import csv, json, xml.etree.ElementTree as ET
objs = {o["rule_id"]: o for o in map(json.loads, open("nm.jsonl"))}
assert objs["github.pat.classic"]["near_miss"] == "github-crc32" and objs["jwt.token"]["known_test_key"], objs
rows = {r["RuleID"]: r for r in csv.DictReader(open("nm.csv", newline=""))}
assert rows["github.pat.classic"]["NearMiss"] == "github-crc32" and rows["github.pat.classic"]["KnownTestKey"] == ""
assert rows["jwt.token"]["NearMiss"] == "" and rows["jwt.token"]["KnownTestKey"] == "true"
[suite] = ET.parse("nm.xml").getroot().findall("testsuite")
n = len(objs)
assert suite.get("tests") == str(n) and suite.get("skipped") == "1" and suite.get("failures") == str(n - 1), suite.attrib
for tc in suite.findall("testcase"):
    near = tc.get("classname") == "github.pat.classic"
    [el] = tc.findall("skipped" if near else "failure")
    assert ("near miss: github-crc32" in el.get("message")) == near, el.get("message")
    assert ("NearMiss: github-crc32" in el.text) == near, el.text
    if tc.get("classname") == "jwt.token":
        assert "known test key" in el.get("message") and "KnownTestKey: true" in el.text, el.attrib
PY
echo PASS
