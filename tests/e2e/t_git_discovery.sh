#!/usr/bin/env bash
# t_git_discovery (issue 15): which repositories a walk finds: a linked worktree's .git file leads to its repository,
# whose history is read once for all its worktrees; a submodule's .git file and .git/modules/ are one repository;
# a partial clone's absent blobs are counted as skipped, never an error; keysweep git takes a .git file.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
history_rows() {
  python3 -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; h=[r for r in rows if r.get("object")]
print(len(h), len({r["object"] for r in h}), " ".join(sorted({r["path"] for r in h})))' "$T/out"
}

# a repository with a linked worktree beside it, both under one root
mkdir top
git init -q -b main top/main
echo "gone $TOKEN" >top/main/a && git -C top/main add a && git -C top/main commit -qm a
git -C top/main rm -q a && git -C top/main commit -qm "rm a"
git -C top/main worktree add -q ../wt -b wt 2>/dev/null
[ -f top/wt/.git ] || fail "git did not make a .git file for the worktree"
ks scan "${R[@]}" top; expect_rc 1 "main and linked worktree"
case "$(history_rows)" in "1 1 top/main/.git" | "1 1 top/wt/.git") ;; # whichever the walk met first
*) fail "the history of two worktrees: expected once, got: $(history_rows)" ;; esac
expect_err "history: 1 repository,"

# the worktree alone: its .git file leads to the history; keysweep git takes the work tree or the file
ks scan "${R[@]}" top/wt; expect_rc 1 "linked worktree alone"
[ "$(history_rows)" = "1 1 top/wt/.git" ] || fail "linked worktree alone: $(history_rows)"
ks git "${R[@]}" top/wt/.git; expect_rc 1 "keysweep git on a .git file"
[ "$(history_rows)" = "1 1 top/wt/.git" ] || fail "git on a .git file: $(history_rows)"
ks git "${R[@]}" top/wt top/main; expect_rc 1 "two worktrees named"
expect_err "history: 1 repository,"

# a .git file that points nowhere is only a file
mkdir odd && echo "not a pointer" >odd/.git
ks scan "${R[@]}" odd; expect_rc 0 "a stray .git file"

# a submodule: its work tree's .git file and the superproject's .git/modules/sub are one repository
git init -q -b main subsrc
echo "sub $TOKEN" >subsrc/s && git -C subsrc add s && git -C subsrc commit -qm s
git init -q -b main super
git -C super -c protocol.file.allow=always submodule -q add "$T/subsrc" sub
git -C super commit -qm "add sub"
[ -f super/sub/.git ] || fail "git did not make a .git file for the submodule"
ks scan "${R[@]}" super; expect_rc 1 "superproject with a submodule"
expect_err "history: 2 repositories,"

# a partial clone: the blobs it never fetched are counted, not an error
git -C top/main config uploadpack.allowFilter true
git clone -q --filter=blob:none --no-checkout "file://$T/top/main" partial
ls partial/.git/objects/pack/*.promisor >/dev/null || fail "no promisor pack"
ks git "${R[@]}" partial; expect_rc 0 "partial clone, whole"
expect_err "1 not in the partial clone (skipped)"
ks git "${R[@]}" --branch main partial; expect_rc 0 "partial clone, --branch"
expect_err "0 blobs scanned (of 1 selected), 1 not in the partial clone (skipped)"
ks scan "${R[@]}" partial; expect_rc 0 "partial clone met while walking"
expect_err "0 errors"
# the absent blobs are those the clone's trees name, in every commit: files and symlinks, never a submodule's
# commit (regression: counting them walked every commit and tree through libgit2, 26 s of a 30 s scan of git.git)
git init -q -b main named
echo one >named/a.txt && ln -s a.txt named/link && git -C named add a.txt link && git -C named commit -qm one
echo two >named/a.txt && git -C named update-index --add --cacheinfo "160000,$(git -C named rev-parse HEAD),sub"
git -C named commit -qam two
git -C named config uploadpack.allowFilter true
git clone -q --filter=blob:none --no-checkout "file://$T/named" named-partial
ks git "${R[@]}" named-partial; expect_rc 0 "partial clone with a symlink and a submodule"
expect_err "0 blobs scanned, 3 not in the partial clone (skipped)"
echo PASS
