#!/usr/bin/env bash
# t_peer_baseline: --baseline takes a Gitleaks JSON report or TruffleHog --json lines (told by their content, not their
# name) and hides the findings they hold: Gitleaks' by fingerprint ([commit:]file:rule-id:line), TruffleHog's by the
# same Raw secret in the same file, line (and commit); reports keysweep writes in those formats and minimal ones written
# by hand from the documented shapes; a malformed one is an error naming the file and the finding (exit 2).
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --no-progress)
T2=KSTEST_ZZZZZZZZ00000000 T3=KSTEST_NEWNEWNE00000003
secrets() { python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["secret"] for l in open(sys.argv[1]))))' "$T/out"; }
expect_secrets() {  # the secrets reported, in any order
  local want; want=$(printf '%s\n' $1 | sort | tr '\n' ' ' | sed 's/ $//')
  [ "$(secrets)" = "$want" ] || fail "$2: expected [$want], got [$(secrets)]"
}

mkdir d
printf 'a = %s\n' "$TOKEN" > d/a.txt
printf 'x\nb = %s\n' "$T2" > d/b.txt
ks scan "${R[@]}" --format gitleaks -o report.gl d; expect_rc 1 "gitleaks report"
ks scan "${R[@]}" --format trufflehog -o report.th d; expect_rc 1 "trufflehog report"
# nothing new: both hidden, counted as in the baseline
for b in report.gl report.th; do
  ks scan "${R[@]}" --format jsonl --baseline "$b" d; expect_rc 0 "nothing new ($b)"
  [ ! -s "$T/out" ] || fail "a finding of the baseline $b was reported"
  expect_err "0 findings, 2 in the baseline"
done
# a new secret, and an old one moved to another line: reported; the rest is not
printf 'c = %s\n' "$T3" > d/c.txt
printf 'moved\nx\nb = %s\n' "$T2" > d/b.txt
for b in report.gl report.th; do
  ks scan "${R[@]}" --format jsonl --baseline "$b" d; expect_rc 1 "new findings ($b)"
  expect_secrets "$T2 $T3" "against $b"
  expect_err "2 findings, 1 in the baseline"
done
# TruffleHog's key holds the secret: another secret at a listed place is new
printf 'a = %s\n' KSTEST_ANOTHERSECRE0001 > d/a.txt
ks scan "${R[@]}" --format jsonl --baseline report.th d; expect_rc 1 "another secret in place"
expect_secrets "KSTEST_ANOTHERSECRE0001 $T2 $T3" "another secret at a place the TruffleHog baseline lists"
printf 'a = %s\n' "$TOKEN" > d/a.txt
printf 'x\nb = %s\n' "$T2" > d/b.txt

# minimal reports written by hand from the documented shapes: a Gitleaks array (one finding by Fingerprint, the
# path as Gitleaks writes it under "." (no "./"), one by its File, RuleID and StartLine) and TruffleHog lines
cat > hand.gitleaks <<'JSON'
[
 {"Description": "test token", "StartLine": 1, "EndLine": 1, "StartColumn": 5, "EndColumn": 27,
  "Match": "KSTEST_ABCDEFGH12345678", "Secret": "KSTEST_ABCDEFGH12345678", "File": "d/a.txt", "SymlinkFile": "",
  "Commit": "", "Entropy": 3.9, "Author": "", "Email": "", "Date": "", "Message": "", "Tags": [],
  "RuleID": "e2e.token", "Fingerprint": "d/a.txt:e2e.token:1"},
 {"RuleID": "e2e.token", "File": "./d/c.txt", "StartLine": 1, "Commit": "", "Secret": "KSTEST_NEWNEWNE00000003"}
]
JSON
ks scan "${R[@]}" --format jsonl --baseline hand.gitleaks d; expect_rc 1 "hand-written Gitleaks report"
expect_secrets "$T2" "hand-written Gitleaks report"
cat > hand.trufflehog <<'JSON'
{"SourceMetadata":{"Data":{"Filesystem":{"file":"d/b.txt","line":2}}},"SourceID":1,"SourceType":15,"SourceName":"trufflehog - filesystem","DetectorType":904,"DetectorName":"CustomRegex","DecoderName":"PLAIN","Verified":false,"Raw":"KSTEST_ZZZZZZZZ00000000","RawV2":"","Redacted":"","ExtraData":{"name":"e2e"},"StructuredData":null}
{"SourceMetadata":{"Data":{"Filesystem":{"file":"d/c.txt","line":1}}},"DetectorName":"CustomRegex","Raw":"KSTEST_WRONGSECRET00000"}
JSON
ks scan "${R[@]}" --format jsonl --baseline hand.trufflehog d; expect_rc 1 "hand-written TruffleHog lines"
expect_secrets "$TOKEN $T3" "hand-written TruffleHog lines (c.txt's Raw is another secret)"

# history: a report of a repository's history (commit in the fingerprint, TruffleHog's git source) hides those
# findings; a secret committed later is new
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
git init -q -b main repo
printf 'x=1\ntoken = %s\n' "$TOKEN" > repo/a.txt && git -C repo add a.txt && git -C repo commit -qm a
git -C repo rm -q a.txt && git -C repo commit -qm gone
ks scan "${R[@]}" --format gitleaks -o repo.gl repo; expect_rc 1 "history, gitleaks report"
grep -q "\"Fingerprint\": \"$(git -C repo rev-parse HEAD~1):a.txt:e2e.token:2\"" repo.gl || fail "expected a commit fingerprint"
ks scan "${R[@]}" --format trufflehog -o repo.th repo; expect_rc 1 "history, trufflehog report"
printf 'new = %s\n' "$T3" > repo/n.txt && git -C repo add n.txt && git -C repo commit -qm n
for b in repo.gl repo.th; do
  ks scan "${R[@]}" --format jsonl --baseline "$b" repo; expect_rc 1 "history against $b"
  expect_secrets "$T3 $T3" "history against $b (n.txt in the work tree and in its commit)"
  expect_err "2 findings, 1 in the baseline"
done

# malformed: exit 2, no scan, the file and the finding named
printf '[{"RuleID": "e2e.token", "File": "d/a.txt"}]\n' > nolines.json
ks scan "${R[@]}" --baseline nolines.json d; expect_rc 2 "Gitleaks finding without StartLine"
expect_err "baseline nolines.json: line 1, finding 1: a Gitleaks finding without a \"StartLine\""
[ ! -s "$T/out" ] || fail "scanned despite a malformed baseline"
head -n 1 hand.trufflehog > bad.jsonl
printf '{"SourceMetadata":{"Data":{"Filesystem":{"file":"d/b.txt","line":2}}},"DetectorName":"X"}\n' >> bad.jsonl
ks scan "${R[@]}" --baseline bad.jsonl d; expect_rc 2 "TruffleHog line without Raw"
expect_err "baseline bad.jsonl: line 2, finding 2: a TruffleHog result without \"Raw\""
printf '[{"Fingerprint": "no-line-number"}]' > badfp.json
ks scan "${R[@]}" --baseline badfp.json d; expect_rc 2 "a Fingerprint of another shape"
expect_err "baseline badfp.json: line 1, finding 1: a Gitleaks \"Fingerprint\" that is neither"
printf '[{"RuleID": "e2e.token"}, {"Foo": 1}]' > unknown.json
ks scan "${R[@]}" --baseline unknown.json d; expect_rc 2 "a finding of no known tool"
expect_err "baseline unknown.json: line 1, finding 1: a Gitleaks finding without"
printf '[{"Foo": 1}]' > unknown.json
ks scan "${R[@]}" --baseline unknown.json d; expect_rc 2 "a finding of no known tool"
expect_err "baseline unknown.json: line 1, finding 1: neither a keysweep finding"
# standard input: the trufflehog format writes TruffleHog's stdin source (SourceType 40) with the line, and a report
# of it is a baseline for the next scan of standard input
printf 'a\nkey = %s\n' "$TOKEN" > in.txt
set +e; "$KEYSWEEP" scan "${R[@]}" --format trufflehog - <in.txt >stdin.jsonl 2>/dev/null; rc=$?; set -e
expect_rc 1 "stdin, trufflehog format"
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); assert o["SourceType"] == 40 and o["SourceName"] == "trufflehog - stdin" and o["SourceMetadata"]["Data"] == {"Stdin": {"line": 2}}, o' stdin.jsonl ||
  fail "stdin is not TruffleHog's stdin source"
set +e; "$KEYSWEEP" scan "${R[@]}" --baseline stdin.jsonl - <in.txt >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 0 "stdin against its own TruffleHog report"
echo PASS
