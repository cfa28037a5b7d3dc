#!/usr/bin/env bash
# t_git_provenance (issue 15): a finding in a repository's history names the commit that introduced its blob, the path
# there, the author, email, date and message, in every format (jsonl "git", gitleaks Commit/Author/.../Fingerprint,
# trufflehog SourceType 16, SARIF versionControlProvenance, text commit:path:line:column), checked against the ids git
# gives; --git-all-paths lists every commit and path; a dangling blob has no commit; and the issue's headline case:
# 8 small repositories whose 24 secrets were committed then removed (4 loose, 4 packed by git gc), each found with its
# commit, path, author and line.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com
at() { export GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1"; }

at 2026-01-01T00:00:00Z
git init -q -b main repo
echo hello >repo/README && git -C repo add README && git -C repo commit -qm one
printf 'x=1\ntoken = %s\n' "$TOKEN" >repo/a.txt && git -C repo add a.txt
GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com GIT_AUTHOR_DATE=2026-01-02T03:04:05+02:00 \
  git -C repo commit -qm "add a" -m "with a body"
C2=$(git -C repo rev-parse HEAD)
BLOB=$(git -C repo rev-parse HEAD:a.txt)
at 2026-01-03T00:00:00Z
mkdir repo/b && git -C repo mv a.txt b/c.txt && git -C repo commit -qm rename
C3=$(git -C repo rev-parse HEAD)
at 2026-01-04T00:00:00Z
git -C repo rm -q b/c.txt && git -C repo commit -qm delete
HEAD_ID=$(git -C repo rev-parse HEAD)
git -C repo remote add origin https://dev:hunter2@example.com/team/repo.git

ks scan "${R[@]}" --format jsonl repo; expect_rc 1 "jsonl"
python3 - "$T/out" "$C2" "$BLOB" <<'PY' || fail "jsonl git object"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, rows
r = rows[0]
assert (r["path"], r["object"], r["line"], r["column"]) == ("repo/.git", sys.argv[3], 2, 9), r
assert r["git"] == {"repository": "repo/.git", "commit": sys.argv[2], "path": "a.txt", "blob": sys.argv[3],
                    "author": "Alice", "email": "alice@example.com", "date": "2026-01-02T03:04:05+02:00",
                    "message": "add a\n\nwith a body"}, r["git"]
PY

ks scan "${R[@]}" --format text --color never repo; expect_rc 1 "text"
expect_out "$C2:a.txt:2:9: e2e.token"

# keysweep git names the commit too, whichever way the repository is named (regression: no "git" object at all)
for name in repo repo/ repo/.git; do
  ks git "${R[@]}" --format jsonl "$name"; expect_rc 1 "keysweep git $name"
  python3 - "$T/out" "$C2" <<'PY' || fail "keysweep git $name: no commit"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1 and rows[0].get("git", {}).get("commit") == sys.argv[2], rows
assert rows[0]["git"]["path"] == "a.txt" and rows[0]["git"]["author"] == "Alice", rows[0]["git"]
PY
done

ks scan "${R[@]}" --format gitleaks repo; expect_rc 1 "gitleaks"
python3 - "$T/out" "$C2" <<'PY' || fail "gitleaks fields"
import json, sys
[f] = json.load(open(sys.argv[1]))
c = sys.argv[2]
want = {"File": "a.txt", "Commit": c, "Author": "Alice", "Email": "alice@example.com", "Date": "2026-01-02T01:04:05Z",
        "Message": "add a\n\nwith a body", "StartLine": 2, "Fingerprint": c + ":a.txt:e2e.token:2"}
got = {k: f[k] for k in want}
assert got == want, got
PY

ks scan "${R[@]}" --format trufflehog repo; expect_rc 1 "trufflehog"
python3 - "$T/out" "$C2" <<'PY' || fail "trufflehog git source"
import json, sys
[f] = [json.loads(l) for l in open(sys.argv[1])]
assert f["SourceType"] == 16 and f["SourceName"] == "trufflehog - git", f
g = f["SourceMetadata"]["Data"]["Git"]
assert g == {"commit": sys.argv[2], "file": "a.txt", "email": "Alice <alice@example.com>",
             "repository": "https://example.com/team/repo.git", "timestamp": "2026-01-02 03:04:05 +0200", "line": 2}, g
PY
grep -q hunter2 "$T/out" && fail "the remote's password reached the report"

ks scan "${R[@]}" --format sarif repo; expect_rc 1 "sarif"
python3 - "$T/out" "$C2" "$HEAD_ID" <<'PY' || fail "sarif provenance"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
assert run["versionControlProvenance"] == [{"repositoryUri": "https://example.com/team/repo.git",
                                            "revisionId": sys.argv[3], "branch": "main"}], run["versionControlProvenance"]
[res] = run["results"]
assert res["properties"]["commit"] == sys.argv[2], res["properties"]
assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.txt"
PY

# --git-all-paths: added at a.txt, renamed to b/c.txt (a new path: another origin), then deleted
ks scan "${R[@]}" --format jsonl --git-all-paths repo; expect_rc 1 "--git-all-paths"
python3 - "$T/out" "$C2" "$C3" <<'PY' || fail "--git-all-paths origins"
import json, sys
[r] = [json.loads(l) for l in open(sys.argv[1])]
got = [(o["commit"], o["path"]) for o in r["git"]["origins"]]
assert got == [(sys.argv[2], "a.txt"), (sys.argv[3], "b/c.txt")], got
assert r["git"]["commit"] == sys.argv[2]
PY

# a dangling blob: no commit, said so, and the scan is not failed for it
DANGLING=$(printf 'lost %s\n' KSTEST_DANGLINGBLOB1234 | git -C repo hash-object -w --stdin)
ks scan "${R[@]}" --format jsonl repo; expect_rc 1 "dangling"
python3 - "$T/out" "$DANGLING" <<'PY' || fail "dangling blob: empty commit"
import json, sys
rows = {json.loads(l)["object"]: json.loads(l) for l in open(sys.argv[1])}
g = rows[sys.argv[2]]["git"]
assert g["commit"] == "" and g["path"] == "" and g["blob"] == sys.argv[2], g
PY
ks scan "${R[@]}" --format text --color never repo; expect_rc 1 "dangling, text"
expect_out "repo/.git!$DANGLING:1:6"

# ---- the headline case: 8 repositories, 3 secrets each, committed and then removed; 4 of them packed ----
mkdir corpus
: >expected
n=0
for r in 1 2 3 4 5 6 7 8; do
  d=corpus/r$r
  git init -q -b main "$d"
  at "2026-02-0${r}T00:00:00Z"
  echo "project $r" >"$d/README" && git -C "$d" add README && git -C "$d" commit -qm init
  for k in 1 2 3; do
    n=$((n + 1))
    tok=$(printf 'KSTEST_R%dK%d%012d' "$r" "$k" "$n")
    mkdir -p "$d/conf"
    printf '# settings\nname = r%d\napi_key = %s\n' "$r" "$tok" >"$d/conf/s$k.env"
    git -C "$d" add "conf/s$k.env"
    at "2026-02-0${r}T0${k}:00:00Z"
    GIT_AUTHOR_NAME="Author $r" GIT_AUTHOR_EMAIL="a$r@example.com" git -C "$d" commit -qm "add key $k"
    printf '%s\t%s\t%s\t%s\t%s\n' "$tok" "$(git -C "$d" rev-parse HEAD)" "conf/s$k.env" "Author $r" 3 >>expected
  done
  at "2026-02-0${r}T09:00:00Z"
  git -C "$d" rm -q -r conf && git -C "$d" commit -qm "remove the keys"
  [ "$r" -le 4 ] || git -C "$d" gc -q
done
[ "$(ls corpus/r5/.git/objects/pack/*.pack | wc -l)" -ge 1 ] || fail "gc packed nothing"
for j in 1 2; do
  ks scan "${R[@]}" --format jsonl -j $j corpus; expect_rc 1 "24 secrets, -j$j"
  python3 - "$T/out" "$T/expected" <<'PY' || fail "24 secrets with commit, path, author and line (-j$j)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = {}
for line in open(sys.argv[2]):
    tok, commit, path, author, ln = line.rstrip("\n").split("\t")
    want[tok] = (commit, path, author, int(ln))
got = {r["secret"]: (r["git"]["commit"], r["git"]["path"], r["git"]["author"], r["line"]) for r in rows}
assert len(rows) == 24 and got == want, "\n".join("%s: got %s want %s" % (k, got.get(k), want.get(k))
                                               for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k))
PY
done
expect_err "24 findings"
# the same in the text format: one line per secret, commit:path:line:column
ks scan "${R[@]}" --format text --color never corpus; expect_rc 1 "24 secrets, text"
while IFS=$'\t' read -r tok commit path author ln; do
  expect_out "$commit:$path:$ln:11: e2e.token (e2e test token) [high]: $tok"
done <expected
