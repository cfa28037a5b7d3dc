#!/usr/bin/env bash
# t_git_history (issue 15): a secret committed and then deleted is found in the repository's history, once, as the
# blob that held it (object = the blob id, line and column in the blob), whether the blob is loose, packed, both, or
# at the end of a long delta chain, on one worker or several, in a work tree's .git or a bare repository, and
# once in all when two clones are scanned together;
# --no-git-history reads no history; a damaged pack makes the scan incomplete and is named.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q repo
git -C repo config user.email dev@example.com
git -C repo config user.name Dev
printf 'x=1\ntoken = %s\n' "$TOKEN" >repo/app.env
git -C repo add app.env && git -C repo commit -qm "add config"
BLOB=$(git -C repo rev-parse HEAD:app.env)
git -C repo rm -q app.env && git -C repo commit -qm "remove the token"
echo "nothing here" >repo/README && git -C repo add README && git -C repo commit -qm readme

# once, as its blob: path the git directory, object the blob id, line and column in the blob
one_finding() {
  python3 - "$T/out" "$1" "$2" <<'PY' || fail "$3"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, "%d findings" % len(rows)
r = rows[0]
assert r["path"] == sys.argv[2] and r["object"] == sys.argv[3], (r["path"], r["object"])
assert (r["line"], r["column"], r["start"]) == (2, 9, 12), (r["line"], r["column"], r["start"])
assert r["secret"] == "KSTEST_ABCDEFGH12345678"
PY
}
for j in 1 2; do
  ks scan "${R[@]}" -j $j repo; expect_rc 1 "loose, -j$j"
  one_finding repo/.git "$BLOB" "loose objects, -j$j"
done
expect_err "1 finding"
# a repository is history in the summary, not an archive with members (regression: "1 archive opened")
expect_err "history: 1 repository"
# the bytes scanned are the blobs' (regression: "0 B" for a history alone)
ks git "${R[@]}" repo; expect_rc 1 "keysweep git"
expect_err "history: 1 repository"
! grep -q " 0 B in" "$T/err" || fail "history scanned as 0 bytes: $(cat "$T/err")"
! grep -q "archive" "$T/err" || fail "a repository counted as an archive: $(cat "$T/err")"

# packed; then the same blob loose as well (each id is read once)
LOOSE="repo/.git/objects/${BLOB:0:2}/${BLOB:2}"
cp "$LOOSE" "$T/loose-copy"
git -C repo gc -q
[ ! -e "$LOOSE" ] || fail "gc left the blob loose"
ks scan "${R[@]}" repo; expect_rc 1 "packed"
one_finding repo/.git "$BLOB" "packed"
mkdir -p "$(dirname "$LOOSE")" && cp "$T/loose-copy" "$LOOSE"
ks scan "${R[@]}" -j 2 repo; expect_rc 1 "packed and loose"
one_finding repo/.git "$BLOB" "packed and loose: once"

# deep in a delta chain: the secret's file back (the same blob as before) and edited 60 times (60 more), then
# repacked with long chains
printf 'x=1\ntoken = %s\n' "$TOKEN" >repo/app.env
for i in $(seq 1 60); do
  echo "edit $i" >>repo/app.env
  git -C repo add app.env && git -C repo commit -qm "edit $i"
done
git -C repo repack -q -adf --depth=50 --window=50
ks scan "${R[@]}" -j 2 --no-progress repo; expect_rc 1 "delta chains"
python3 - "$T/out" <<'PY' || fail "delta chains: each version once"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
objs = [r["object"] for r in rows if r["path"] == "repo/.git"]
work = [r for r in rows if r["path"] == "repo/app.env"]
assert len(objs) == len(set(objs)) == 61, "%d findings in history, %d distinct" % (len(objs), len(set(objs)))
assert len(work) == 1 and all(r["line"] == 2 for r in rows)
PY

# a bare clone given as the root
git clone -q --bare repo bare.git
ks scan "${R[@]}" bare.git; expect_rc 1 "bare repository"
[ "$(python3 -c 'import json,sys; print(len({json.loads(l)["object"] for l in open(sys.argv[1])}))' "$T/out")" = 61 ] ||
  fail "bare repository: 61 blobs with the token"

# two clones in one scan: each blob once, whichever repository it was read from first
git clone -q --bare repo clones/a.git && git clone -q --bare repo clones/b.git
for j in 1 2; do
  ks scan "${R[@]}" -j $j clones; expect_rc 1 "two clones, -j$j"
  python3 - "$T/out" <<'PY' || fail "two clones, -j$j: each blob once"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
objs = [r["object"] for r in rows]
assert len(objs) == len(set(objs)) == 61, "%d findings, %d blobs" % (len(objs), len(set(objs)))
assert {r["path"] for r in rows} <= {"clones/a.git", "clones/b.git"}
PY
done

# --no-git-history: no history read, the work tree still scanned
ks scan "${R[@]}" --no-git-history repo; expect_rc 1 "--no-git-history"
[ "$(lines "$T/out")" = 1 ] && expect_out '"path":"repo/app.env"'

# a damaged pack: named, what can be read is, the scan incomplete
PACK=$(ls bare.git/objects/pack/*.pack)
truncate -s $(( $(stat -c %s "$PACK") / 2 )) "$PACK"
ks scan "${R[@]}" bare.git; expect_rc 2 "truncated pack"
expect_err ".pack"
# said once, in words: no "read failed: Input/output error" after the objects were named (regression)
expect_err "history incomplete: the objects named above were not scanned"
! grep -q "Input/output error" "$T/err" || fail "errno text after the named objects: $(cat "$T/err")"
