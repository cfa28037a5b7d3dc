#!/usr/bin/env bash
# t_defectdojo (issue 17): what DefectDojo's importers make of keysweep's gitleaks, trufflehog and sarif reports.
# The parsers are re-stated below, field by field, from DefectDojo's dojo/tools/{gitleaks,trufflehog,sarif}/parser.py
# as of django-DefectDojo commit 7cfa159a (2026-08-07): nothing of theirs is vendored or installed. Each finding
# must come through with the path Gitleaks and TruffleHog would write (no "./"), its line, a title naming the
# provider as the peer does, and the severity DefectDojo gives that peer's own finding: TruffleHog's detector
# names (PrivateKey is High; everything else unverified is Critical), Gitleaks' rule ids, SARIF's security-severity.
. "$(dirname "$0")/lib.sh"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

python3 - <<'PY'
import base64, random, zlib
rnd = random.Random(17)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
body = "".join(rnd.choice(B62) for _ in range(30))
crc, tail = zlib.crc32(body.encode()), ""
for _ in range(6):
    tail = B62[crc % 62] + tail
    crc //= 62
b64 = base64.b64encode(bytes(rnd.randrange(256) for _ in range(600))).decode()
pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + \
    "\n-----END RSA PRIVATE KEY-----\n"
open("app.env", "w").write("# service settings\nGITHUB_TOKEN=ghp_%s%s\n" % (body, tail) +
                           "aws_access_key_id = AKIA%s\n" % "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)) +
                           'db_password = "Vq7%s!x"\n' % "".join(rnd.choice(B62) for _ in range(12)))
open("deploy.pem", "w").write(pem)
PY
mkdir w && mv app.env deploy.pem w/

# (rule, line) -> what each importer must show, for the files above
python3 - >"$T/expected.json" <<'PY'
import json
print(json.dumps({
  "github.pat.classic": {"line": 2, "gitleaks": "github-pat", "th_name": "Github", "th_type": 8, "th_sev": "Critical", "sarif_sev": "High"},
  "aws.access_key_id": {"line": 3, "gitleaks": "aws-access-token", "th_name": "AWS", "th_type": 2, "th_sev": "Critical", "sarif_sev": "High"},
  "generic.password_assignment": {"line": 4, "gitleaks": "generic-api-key", "th_name": None, "th_type": 904, "th_sev": "Critical", "sarif_sev": "Medium"},
  "private_key.rsa": {"line": 1, "gitleaks": "private-key", "th_name": "PrivateKey", "th_type": 15, "th_sev": "High", "sarif_sev": "High"},
}))
PY

# check FORMAT REPORT PREFIX COMMIT: the importer's view of REPORT, against expected.json. Files are PREFIX + name.
check() {
  python3 - "$@" "$T/expected.json" <<'PY' || fail "DefectDojo's $1 importer would not show the findings as expected"
import hashlib, json, sys, textwrap
fmt, report, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
commit = sys.argv[4]
want = json.load(open(sys.argv[5]))
file_of = {"private_key.rsa": prefix + "deploy.pem"}
def want_file(rule): return file_of.get(rule, prefix + "app.env")
text = open(report, encoding="utf-8").read()
seen = {}

if fmt == "gitleaks":
    # GitleaksParser.get_finding_current: title from Description and File, line from StartLine, severity High,
    # dedupe by md5(title + secret + line)
    issues = json.loads(text)
    for issue in issues:
        assert not issue.get("rule") and issue.get("Description"), "read as the legacy format: %r" % issue
        line = int(issue.get("StartLine")) if issue.get("StartLine") else 0
        title = "Hard coded %s found in %s" % (issue["Description"], issue["File"])
        key = hashlib.md5((title + issue["Secret"] + str(line)).encode()).hexdigest()
        assert key not in seen, ("one finding merged into another", title)
        tags = issue["Tags"]
        ours = [t[len("keysweep-rule:"):] for t in tags if t.startswith("keysweep-rule:")]
        rule = ours[0] if ours else issue["RuleID"]
        seen[key] = (rule, issue["File"], line, title, "High", issue["RuleID"], issue["Commit"])
    got = {r[0]: r for r in seen.values()}
    for rule, w in want.items():
        r = got.pop(rule)
        assert r[1] == want_file(rule) and r[2] == w["line"], (rule, r)
        assert r[5] == (w["gitleaks"] or rule), ("RuleID", rule, r[5])
        assert r[6] == commit, ("Commit", r[6])
        print("gitleaks  ", r[1], r[2], r[3], r[4], sep=" | ")

elif fmt == "trufflehog":
    # TruffleHogParser.get_findings_v3: the first key of SourceMetadata.Data is the source; title from DetectorName
    # and file; severity Critical unless unverified PrivateKey (High) or "Generic Secret" (Medium)
    for line_text in text.splitlines():
        j = json.loads(line_text)
        assert "SourceMetadata" in j
        data = j["SourceMetadata"]["Data"]
        source = list(data.keys())[0]
        sd = data[source]
        name = j.get("DetectorName", "")
        sev = "Critical"
        if not j.get("Verified", ""):
            if "Oauth" in name or "AWS" in name or "Heroku" in name:
                sev = "Critical"
            elif name == "PrivateKey":
                sev = "High"
            elif name == "Generic Secret":
                sev = "Medium"
        title = "Hard Coded %s secret in: %s" % (name, sd.get("file", ""))
        rule = j["ExtraData"]["rule_id"]
        seen[rule] = (sd.get("file", ""), sd.get("line", 0), title, sev, name, j["DetectorType"], source,
                      sd.get("commit", ""), j["ExtraData"].get("name"))
    for rule, w in want.items():
        r = seen.pop(rule)
        assert r[0] == want_file(rule) and r[1] == w["line"], (rule, r)
        assert r[4] == (w["th_name"] or "CustomRegex") and r[5] == w["th_type"], ("detector", rule, r)
        assert r[3] == w["th_sev"], ("severity", rule, r)
        assert r[6] == ("Git" if commit else "Filesystem") and r[7] == commit, ("source", rule, r)
        assert r[8], ("ExtraData.name is the rule's name", rule)
        print("trufflehog", r[0], r[1], r[2], r[3], sep=" | ")

elif fmt == "sarif":
    # SarifParser.get_items_from_result: file_path is the artifact URI as written, line the region's startLine
    # unless the region has a byteOffset; title the result message (else the rule's shortDescription, ...);
    # severity from the rule's properties.security-severity (>= 9 Critical, >= 7 High, >= 4 Medium, > 0 Low)
    run = json.loads(text)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    def sev_of(rule):
        cvss = float(rule["properties"]["security-severity"])
        return "Critical" if cvss >= 9 else "High" if cvss >= 7 else "Medium" if cvss >= 4 else "Low" if cvss > 0 else "Info"
    for res in run["results"]:
        assert res.get("kind", "fail") == "fail"
        loc = res["locations"][0]["physicalLocation"]
        region = loc.get("region", {})
        line = None if "byteOffset" in region else region["startLine"]
        rule = rules.get(res.get("ruleId"))
        msg = res["message"]
        assert "id" not in msg, "a messageStrings reference: DefectDojo looks it up in the rule"
        title = textwrap.shorten(msg["text"], 150)
        seen[res["ruleId"]] = (loc["artifactLocation"]["uri"], line, title, sev_of(rule))
    for rule, w in want.items():
        r = seen.pop(rule)
        assert r[0] == want_file(rule) and r[1] == w["line"], (rule, r)
        assert r[3] == w["sarif_sev"], ("severity", rule, r)
        assert r[2], ("title", rule)
        print("sarif     ", r[0], r[1], r[2], r[3], sep=" | ")
assert not [k for k in seen if k in want], seen
PY
}

# a directory scan, its root named five ways: the peers write the path as Go's filepath.Clean does ("./w//" is "w")
for root in . ./ w ./w// w/../w; do
  case $root in .|./) dir=w pre= ;; *) dir=. pre=w/ ;; esac
  for fmt in gitleaks trufflehog sarif; do
    cd "$T/$dir"
    ks scan --format "$fmt" -o "$T/report.$fmt" $root
    cd "$T"
    expect_rc 1 "scan $root --format $fmt"
    check "$fmt" "$T/report.$fmt" "$pre" "" >"$T/view.$fmt"
  done
done
cat "$T/view.gitleaks" "$T/view.trufflehog" "$T/view.sarif"

# history: the findings of a repository's history name the file in the commit, and TruffleHog's Git source
git init -q repo
git -C repo config user.email dev@example.com
git -C repo config user.name Dev
cp w/app.env w/deploy.pem repo/
git -C repo add -A
git -C repo commit -qm "add settings"
git -C repo rm -q app.env deploy.pem
git -C repo commit -qm "remove settings"
c=$(git -C repo rev-parse HEAD~1)
for fmt in gitleaks trufflehog; do
  ks git --format "$fmt" -o "$T/hist.$fmt" repo
  expect_rc 1 "git --format $fmt"
  check "$fmt" "$T/hist.$fmt" "" "$c" >/dev/null
done
echo "t_defectdojo: ok"
