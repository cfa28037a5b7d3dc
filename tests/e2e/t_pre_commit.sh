#!/usr/bin/env bash
# t_pre_commit (issue 17): the repository's .pre-commit-hooks.yaml, used as pre-commit users use it (Debian's
# pre-commit, a local clone of the hooks' repository at a commit): the keysweep hook stops a commit that stages a
# secret, naming it, and lets a clean one through; keysweep-scan finds a secret that is only in history.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
command -v pre-commit >/dev/null || { echo "pre-commit not installed (scripts/install-deps installs it): skipped"; exit 77; }
export HOME="$T" PRE_COMMIT_HOME="$T/pc-cache" GIT_CONFIG_NOSYSTEM=1
git config --global user.email dev@example.com
git config --global user.name Dev
git config --global init.defaultBranch main
mkdir bin && ln -s "$KEYSWEEP" bin/keysweep
export PATH="$T/bin:$PATH"

# the hooks' repository, as pre-commit clones it
git init -q hooks
cp "$SRC/.pre-commit-hooks.yaml" hooks/
git -C hooks add -A && git -C hooks commit -qm hooks
rev=$(git -C hooks rev-parse HEAD)

git init -q proj
cd proj
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: keysweep\n      - id: keysweep-scan\n' "$T/hooks" "$rev" \
  > .pre-commit-config.yaml
pre-commit install >/dev/null || fail "pre-commit install"
git add .pre-commit-config.yaml
printf 'name: app\n' > app.yml && git add app.yml
set +e; git commit -qm "clean" >"$T/out" 2>&1; rc=$?; set -e
expect_rc 0 "a clean commit"
tok="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"
printf 'token: %s\n' "$tok" > leak.yml && git add leak.yml
set +e; git commit -qm "leak" >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "a commit staging a secret went through"
grep -q "keysweep (staged changes).*Failed" "$T/out" || fail "the hook is not what failed"
grep -q "leak.yml:1:8" "$T/out" || fail "the secret's place is not named"
[ "$(git rev-list --count HEAD)" = 1 ] || fail "the commit was made"
git rm -q --cached leak.yml && rm leak.yml

# a secret committed (hooks bypassed) then deleted: only history holds it; the manual stage's full scan finds it
printf 'token: %s\n' "$tok" > old.yml && git add old.yml && git commit -qm old --no-verify
git rm -q old.yml && git commit -qm "remove old" --no-verify
set +e; pre-commit run keysweep-scan --hook-stage manual >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the full scan did not fail on a secret in history"
grep -q "old.yml:1:8" "$T/out" || fail "the history finding is not named"
set +e; pre-commit run keysweep --hook-stage commit >"$T/out" 2>&1; rc=$?; set -e
expect_rc 0 "nothing staged"
echo PASS
