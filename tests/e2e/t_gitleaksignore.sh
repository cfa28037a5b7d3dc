#!/usr/bin/env bash
# t_gitleaksignore: a .gitleaksignore (Gitleaks fingerprints, one a line) at a scan root hides the findings it lists,
# written as keysweep's gitleaks format writes them (file:rule-id:line) or relative to the root; one at the top of a
# repository hides the history findings its commit:file:rule-id:line entries name; they are counted, not reported.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --no-progress --format jsonl)
T2=KSTEST_ZZZZZZZZ00000000
secrets() { python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["secret"] for l in open(sys.argv[1]))))' "$T/out"; }

# a directory scan: two findings, one listed (relative to the root, as Gitleaks users write it)
mkdir d
printf 'a = %s\n' "$TOKEN" > d/a.txt
printf 'x\nb = %s\n' "$T2" > d/b.txt
ks scan "${R[@]}" d; expect_rc 1 "no .gitleaksignore"
[ "$(secrets)" = "$TOKEN $T2" ] || fail "both findings first"
printf '# reviewed\n\na.txt:e2e.token:1\nb.txt:e2e.token:1\n' > d/.gitleaksignore   # b is on line 2: not this one
ks scan "${R[@]}" d; expect_rc 1 "one listed"
[ "$(secrets)" = "$T2" ] || fail "the listed finding was reported, or the other one was not"
expect_err "1 finding, 1 in .gitleaksignore"
# the fingerprint keysweep's gitleaks format writes (the root's path in it) hides it too, and from inside the root
printf 'd/a.txt:e2e.token:1\n' > d/.gitleaksignore
ks scan "${R[@]}" d; expect_rc 1 "as the gitleaks format writes it"
[ "$(secrets)" = "$T2" ] || fail "a fingerprint with the root's path did not hide its finding"
printf 'a.txt:e2e.token:1\nb.txt:e2e.token:2\n' > d/.gitleaksignore
cd d; ks scan "${R[@]}"; cd ..; expect_rc 0 "both listed, scanning ."
[ ! -s "$T/out" ] || fail "a listed finding was reported scanning ."
expect_err "0 findings, 2 in .gitleaksignore"
# the rule id is part of the fingerprint; lines of another shape are named and skipped
printf 'a.txt:other.rule:1\nnot a fingerprint\nb.txt:e2e.token:two\n' > d/.gitleaksignore
ks scan "${R[@]}" d; expect_rc 1 "another rule"
[ "$(secrets)" = "$TOKEN $T2" ] || fail "an entry of another rule hid a finding"
expect_err "d/.gitleaksignore: line 2: not a Gitleaks fingerprint"
expect_err "d/.gitleaksignore: line 3: not a Gitleaks fingerprint"
# a .gitleaksignore that cannot be read: the scan is incomplete
if [ "$(id -u)" != 0 ]; then
  chmod 000 d/.gitleaksignore
  ks scan "${R[@]}" d; expect_rc 2 "unreadable .gitleaksignore"; expect_err ".gitleaksignore"
  chmod 600 d/.gitleaksignore
fi

# history: two secrets committed then removed; the repository's .gitleaksignore names one by commit:file:rule-id:line
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
git init -q -b main repo
printf 'x=1\ntoken = %s\n' "$TOKEN" > repo/a.txt && git -C repo add a.txt && git -C repo commit -qm a
C1=$(git -C repo rev-parse HEAD)
printf 'other = %s\n' "$T2" > repo/b.txt && git -C repo add b.txt && git -C repo commit -qm b
C2=$(git -C repo rev-parse HEAD)
git -C repo rm -q a.txt b.txt && git -C repo commit -qm gone
ks scan "${R[@]}" repo; expect_rc 1 "history, nothing listed"
[ "$(secrets)" = "$TOKEN $T2" ] || fail "both history findings first"
printf '%s:a.txt:e2e.token:2\n%s:b.txt:e2e.token:2\n' "$C1" "$C2" > repo/.gitleaksignore   # b's is on line 1
ks scan "${R[@]}" repo; expect_rc 1 "history, one listed"
[ "$(secrets)" = "$T2" ] || fail "the listed history finding was reported, or the other one was not"
expect_err "1 finding, 1 in .gitleaksignore"
# the same when the repository is found below the root
mkdir top && mv repo top/
ks scan "${R[@]}" top; expect_rc 1 "repository below the root"
[ "$(secrets)" = "$T2" ] || fail "a repository's .gitleaksignore was not read when the walk found it"
# a commit that did not introduce the blob names another finding
printf '%s:a.txt:e2e.token:2\n' "$C2" > top/repo/.gitleaksignore
ks scan "${R[@]}" top; expect_rc 1 "another commit"
[ "$(secrets)" = "$TOKEN $T2" ] || fail "an entry with another commit hid a finding"
# a rule with a Gitleaks equivalent: the gitleaks format names it by Gitleaks' id, so a .gitleaksignore written
# from that report (or from Gitleaks' own) lists it so; keysweep's own id still works
mkdir p
printf 'a = %s\n' "$TOKEN" > p/a.txt
sed 's/    name: e2e test token/    name: e2e test token\n    gitleaks_id: e2e-peer-token/' "$T/rules.yml" > "$T/peer.yml"
P=(--no-builtin-rules --rules "$T/peer.yml" --no-progress)
ks scan "${P[@]}" --format gitleaks p; expect_rc 1 "gitleaks format"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; assert r["RuleID"] == "e2e-peer-token" and r["Fingerprint"] == "p/a.txt:e2e-peer-token:1" and "keysweep-rule:e2e.token" in r["Tags"], r' "$T/out" ||
  fail "the gitleaks format does not name the rule by its Gitleaks id"
for entry in a.txt:e2e-peer-token:1 a.txt:e2e.token:1 p/a.txt:e2e-peer-token:1; do
  printf '%s\n' "$entry" > p/.gitleaksignore
  ks scan "${P[@]}" --format jsonl p; expect_rc 0 "listed as $entry"
  expect_err "0 findings, 1 in .gitleaksignore"
done
printf 'a.txt:github-pat:1\n' > p/.gitleaksignore
ks scan "${P[@]}" --format jsonl p; expect_rc 1 "another Gitleaks id"
echo PASS
