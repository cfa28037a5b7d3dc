#!/usr/bin/env bash
# t_detect_engine: issue 16 on the CLI: severity in every format, per-path rules, exact spans, near-miss reasons, one finding per secret, known test keys hidden and counted.
. "$(dirname "$0")/lib.sh"
mkdir -p d home
# a generic assignment (medium), an AWS secret under its own key (critical, the generic rule yields)
printf 'DB_PASSWORD="SH9m*RWupk!Utmli"\naws_secret_access_key = "Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4Tu6I"\n' > d/app.env
# a GitHub token with a bad checksum under token = "...": a near miss of the provider rule, nothing generic
printf 'token = "ghp_Zx8Lq2Vn4Rt6Yp0Bm3Kc7Hs1Df5Gj9Wa2Qe4"\n' > d/gh.txt
# published test material: AWS's documented example key, the Azurite account key
printf 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\nAccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\n' > d/examples.md
# the same .netrc line in a .netrc and in notes: the per-path rule reports only in the first
printf 'machine api.example.org login me password Xk9qv2LmP0sW\n' > home/.netrc
cp home/.netrc home/notes.txt

ks scan --no-cache --format jsonl --show-near-misses d home; expect_rc 1 "findings"
expect_err "known test key"
python3 - "$T/out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
by = {}
for r in rows:
    by.setdefault((r["path"].split("/")[-1], r["rule_id"]), r)
ids = sorted(by)
# one secret, one finding: no generic rule where a provider rule matched the secret
assert ("app.env", "aws.secret_access_key") in by, ids
assert not any(f == "app.env" and i == "generic.secret_assignment" for f, i in ids), ids
assert not any(f == "gh.txt" and i.startswith("generic") for f, i in ids), ids
gh = by[("gh.txt", "github.pat.classic")]
assert gh["near_miss"] == "github-crc32", gh
# severity
assert by[("app.env", "aws.secret_access_key")]["severity"] == "critical"
assert by[("app.env", "generic.password_assignment")]["severity"] == "medium"
# exact spans
data = open("d/app.env", "rb").read()
for r in rows:
    if r["path"].endswith("app.env"):
        assert data[r["secret_start"]:r["secret_end"]].decode() == r["secret"], r
        assert r["match"][-1] not in "\"'\n\\=,;", r
        assert data[r["start"]:r["end"]].decode() == r["match"], r
# per-path rule
assert ("notes.txt", "credential_file.netrc") not in by, ids
assert (".netrc", "credential_file.netrc") in by, ids
# known test keys: hidden
assert not any(f == "examples.md" for f, i in ids), ids
PY

# regression: shown with --show-test-keys, marked
ks scan --no-cache --format jsonl --show-test-keys d/examples.md; expect_rc 1 "test keys shown"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r.get("known_test_key") is True for r in rows), rows
' "$T/out"
expect_err "(shown)"

# only test keys: nothing reported, exit 0, the summary counts them
ks scan --no-cache --format jsonl d/examples.md; expect_rc 0 "only known test keys"
[ "$(lines "$T/out")" = 0 ] || fail "known test keys reported without --show-test-keys"
expect_err "known test key"

# SARIF: security-severity on the rules, level from the severity
ks scan --no-cache --format sarif d/app.env; expect_rc 1 "sarif"
python3 - "$T/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
assert rules["aws.secret_access_key"]["properties"]["security-severity"] == "9.5", rules
assert rules["aws.secret_access_key"]["defaultConfiguration"]["level"] == "error"
assert rules["generic.password_assignment"]["properties"]["security-severity"] == "5.5"
levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
assert levels == {"aws.secret_access_key": "error", "generic.password_assignment": "warning"}, levels
PY

# the peer formats and text carry it too
ks scan --no-cache --format gitleaks d/app.env; expect_rc 1 "gitleaks"; expect_out '"severity:critical"'
ks scan --no-cache --format trufflehog d/app.env; expect_rc 1 "trufflehog"; expect_out '"severity":"critical"'
ks scan --no-cache --format text --color never d/app.env; expect_rc 1 "text"; expect_out "[critical]"

# rules list shows severity and path
ks rules list --format jsonl; expect_rc 0 "rules list"
python3 -c '
import json, sys
rules = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
assert rules["credential_file.netrc"]["path"] and rules["credential_file.netrc"]["severity"] == "high"
assert rules["stripe.secret_key.live"]["severity"] == "critical"
' "$T/out"
echo PASS
