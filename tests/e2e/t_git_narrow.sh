#!/usr/bin/env bash
# t_git_narrow (issue 15): keysweep git narrows history: --since-commit, --range, --branch, --staged (as a pre-commit
# hook that stops a commit holding a new secret), --git-reachable-only, --max-blob-size (counted); exit codes for
# findings, mistakes and missing objects; a repository named by its work tree, its .git, a .git file.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
secrets() { python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["secret"] for l in open(sys.argv[1]))))' "$T/out"; }
expect_secrets() { [ "$(secrets)" = "$1" ] || fail "$2: expected [$1], got [$(secrets)]"; }

S1=KSTEST_AAAAAAAAAAAAAAA1 S2=KSTEST_BBBBBBBBBBBBBBB2 S3=KSTEST_CCCCCCCCCCCCCCC3
git init -q -b main repo
cd repo
echo "one $S1" >a && git add a && git commit -qm c1 && git tag c1
echo "two $S2" >b && git add b && git commit -qm c2 && git tag c2
git rm -q a && git commit -qm "remove a" && git tag c3
echo "one $S1" >again && git add again && git commit -qm "S1 back under another path" && git tag c4
git checkout -q -b feature && echo "three $S3" >f && git add f && git commit -qm f && git checkout -q main
cd "$T"

ks git "${R[@]}" repo; expect_rc 1 "whole history"
expect_secrets "$S1 $S2 $S3" "whole history"
ks git "${R[@]}" --since-commit c2 repo; expect_rc 1 "--since-commit c2"
expect_secrets "$S1" "--since-commit c2: the blob put back under another path"
ks git "${R[@]}" --range c1..c2 repo; expect_rc 1 "--range c1..c2"
expect_secrets "$S2" "--range c1..c2"
ks git "${R[@]}" --range c2..c3 repo; expect_rc 0 "--range c2..c3 (a deletion introduces nothing)"
expect_err "0 blobs scanned (of 0 selected)"
ks git "${R[@]}" --branch feature --since-commit main repo; expect_rc 1 "--branch feature --since-commit main"
expect_secrets "$S3" "--since-commit main on feature"
ks git "${R[@]}" --branch main repo; expect_rc 1 "--branch main"
expect_secrets "$S1 $S2" "--branch main"

# a work tree, its .git, run from inside (default .)
ks git "${R[@]}" --branch main repo/.git; expect_rc 1 "repo/.git"
expect_secrets "$S1 $S2" "repo/.git"
python3 - "$T/out" <<'PY' || fail "a finding's path is the git directory, its object the blob"
import json, sys
for r in map(json.loads, open(sys.argv[1])):
    assert r["path"] == "repo/.git" and len(r["object"]) == 40, (r["path"], r["object"])
PY
(cd repo && timeout -k 5 "$(hang_s 120)" "$KEYSWEEP" git "${R[@]}" --range c1..c2 >"$T/out" 2>"$T/err") || rc=$?
expect_secrets "$S2" "default repository: ."

# --max-blob-size: skipped and counted
head -c 300000 /dev/zero | tr '\0' 'x' >repo/big && echo " $S3" >>repo/big
git -C repo add big && git -C repo commit -qm big
ks git "${R[@]}" --since-commit c4 --max-blob-size 100K repo; expect_rc 0 "--max-blob-size"
expect_err "1 over --max-blob-size"

# reachable only: a dangling blob is left out
echo "dangling KSTEST_DDDDDDDDDDDDDDD4" | git -C repo hash-object -w --stdin >/dev/null
ks git "${R[@]}" repo; expect_rc 1 "dangling, whole"
[[ "$(secrets)" == *KSTEST_DDDDDDDDDDDDDDD4* ]] || fail "the dangling blob is read with every blob"
ks git "${R[@]}" --git-reachable-only repo; expect_rc 1 "reachable only"
[[ "$(secrets)" != *KSTEST_DDDDDDDDDDDDDDD4* ]] || fail "--git-reachable-only read the dangling blob"
ks scan "${R[@]}" --git-reachable-only repo; expect_rc 1 "scan --git-reachable-only"
[[ "$(secrets)" != *KSTEST_DDDDDDDDDDDDDDD4* ]] || fail "scan --git-reachable-only read the dangling blob"

# mistakes: exit 2, named
ks git "${R[@]}" --range nosuch..HEAD repo; expect_rc 2 "bad revision"
expect_err "nosuch"
ks git "${R[@]}" --range c1..c2 --since-commit c1 repo; expect_rc 2 "--range with --since-commit"
expect_err "cannot go together"
ks scan "${R[@]}" --since-commit c1 repo; expect_rc 2 "--since-commit with scan"
expect_err "keysweep git"
mkdir plain
ks git "${R[@]}" plain; expect_rc 2 "not a repository"
expect_err "not a git repository"
ks git "${R[@]}" --max-blob-size lots repo; expect_rc 2 "bad size"

# a missing blob in a repository that is not a partial clone: incomplete, named
git clone -q --no-local repo damaged
B=$(git -C damaged rev-parse c2:b)
rm -f damaged/.git/objects/pack/*
git -C repo cat-file --batch-all-objects --batch-check='%(objectname)' | grep -v "^$B$" |
  git -C repo pack-objects -q "$T/damaged/.git/objects/pack/pack" >/dev/null
ks git "${R[@]}" --branch main damaged; expect_rc 2 "a missing blob"
expect_err "$B: not read: the blob is missing"

# --staged as a pre-commit hook: a new secret staged stops the commit; one only in the work tree does not
git init -q -b main hooked
cat >hooked/.git/hooks/pre-commit <<SH
#!/bin/sh
exec "$KEYSWEEP" git --staged -q --format text --no-builtin-rules --rules "$T/rules.yml" --no-progress
SH
chmod +x hooked/.git/hooks/pre-commit
echo "fine" >hooked/ok && git -C hooked add ok && git -C hooked commit -qm ok || fail "a clean first commit was refused"
echo "key $S2" >hooked/leak && git -C hooked add leak
if git -C hooked commit -qm leak >"$T/out" 2>"$T/err"; then fail "the hook let a staged secret be committed"; fi
expect_err "$S2" # git shows the hook's output on its stderr
# the finding names the staged file (regression: the blob id only, after walking the whole history for a commit)
grep -q "^leak:1:5: " "$T/err" || fail "the staged finding does not name leak:1:5"
git -C hooked reset -q
echo "only here $S2" >hooked/leak
echo "fine 2" >hooked/ok && git -C hooked add ok
git -C hooked commit -qm ok2 >"$T/out" 2>"$T/err" || fail "a secret only in the work tree stopped the commit"
ks git "${R[@]}" --staged hooked; expect_rc 0 "--staged, nothing staged"
echo PASS
