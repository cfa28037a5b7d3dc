#!/usr/bin/env bash
# t_diff (issue 17, rough edge 3): a unified diff's added lines are scanned as the files they go into: the new
# path, the new side's line, a column that does not count the '+'; removed and context lines are not reported; a
# block added over several lines is found once; auto-detected on stdin and on a FIFO or <(...) named on the
# command line (--no-diff scans the text), --diff for a diff file; a malformed diff is an incomplete scan.
. "$(dirname "$0")/lib.sh"
write_test_rules
add_multi_line_rule
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl --no-progress)
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev \
  GIT_COMMITTER_EMAIL=dev@example.com
OLD=KSTEST_OLDOLDOLDOLD1234 CTX=KSTEST_CONTEXTCONTEXT12 NEW=KSTEST_NEWNEWNEWNEW1234
git init -q repo
{ echo "first"; echo "ctx = $CTX"; echo "old = $OLD"; for i in $(seq 1 40); do echo "filler $i"; done; } >repo/a.env
printf 'gone = %s\n' "$OLD" >repo/deleted.env
printf 'kept\n' >repo/renamed-from.txt
git -C repo add -A && git -C repo commit -qm one
# edits: a removed secret, a context secret, additions in two hunks far apart, a block over three lines, a new
# file whose name needs quoting, a deleted file, a rename with an added line
sed -i "s/^old = .*/old gone/" repo/a.env
sed -i "s/^filler 30\$/filler 30\ntoken = $TOKEN/" repo/a.env
printf 'KSBEGIN\nABCD1234\nKSEND\n' >>repo/a.env
printf 'x\nnew = %s\n' "$NEW" >"repo/we\"ird name.env"
git -C repo rm -q deleted.env
git -C repo mv renamed-from.txt renamed-to.txt && printf 'more %s\n' "$NEW" >>repo/renamed-to.txt
git -C repo add -A
git -C repo diff --cached >changes.diff

check() { # the findings of a diff scan, whatever fed it
  python3 - "$T/out" "$TOKEN" "$NEW" <<'PY' || fail "$1"
import json, sys
rows = sorted((r["path"], r["line"], r["column"], r["rule_id"], r["secret"]) for r in map(json.loads, open(sys.argv[1])))
want = sorted([("a.env", 34, 9, "e2e.token", sys.argv[2]),          # after filler 30 (line 33)
               ("a.env", 45, 1, "e2e.multi", "ABCD1234"),           # the block, once, at its first line
               ('we"ird name.env', 2, 7, "e2e.token", sys.argv[3]),
               ("renamed-to.txt", 2, 6, "e2e.token", sys.argv[3])])
assert rows == want, "\n got %s\nwant %s" % (rows, want)
PY
}
set +e; timeout 60 "$KEYSWEEP" scan "${R[@]}" - <changes.diff >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "a diff on stdin"
check "a diff on stdin"
expect_err "- is a unified diff: scanning its added lines (--no-diff scans it as text)"
# the line numbers are the new file's: the added token is at line 34 of a.env as staged
sed -n 34p repo/a.env | grep -q "$TOKEN" || fail "the test's own line 34 is wrong"
# a pipe, as git diff | keysweep scan -
set +e; git -C repo diff --cached | timeout 60 "$KEYSWEEP" scan "${R[@]}" - >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "git diff | keysweep scan -"
check "a diff through a pipe"
# process substitution and a named FIFO: streams, not 'not a regular file or directory'
set +e; timeout 60 "$KEYSWEEP" scan "${R[@]}" <(git -C repo diff --cached) >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "<(git diff)"
check "<(git diff)"
mkfifo fifo
(cat changes.diff >fifo &)
ks scan "${R[@]}" fifo; expect_rc 1 "a named FIFO"
check "a named FIFO"
# --diff for a diff file; --no-diff scans the text itself (the removed and context secrets too)
ks scan "${R[@]}" --diff changes.diff; expect_rc 1 "--diff FILE"
check "--diff FILE"
set +e; timeout 60 "$KEYSWEEP" scan "${R[@]}" --no-diff - <changes.diff >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "--no-diff"
grep -q "$OLD" "$T/out" && grep -q "$CTX" "$T/out" || fail "--no-diff did not scan the diff's text"
grep -q '"path":"-"' "$T/out" || fail "--no-diff: findings not in -"
# a plain diff -u; nothing added; a diff cut short: incomplete (status 2), naming the line
cp repo/a.env new.env
printf 'plain = %s\n' "$TOKEN" >>new.env
git -C repo show HEAD:a.env >old.env
diff -u old.env new.env >plain.diff || true
ks scan "${R[@]}" --diff plain.diff; expect_rc 1 "diff -u"
grep -q '"path":"new.env"' "$T/out" || fail "diff -u: the new file's path is not new.env"
printf -- '--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-gone\n+here\n' >none.diff
ks scan "${R[@]}" --diff none.diff; expect_rc 0 "a diff that adds no secret"
head -n -1 changes.diff >cut.diff
ks scan "${R[@]}" --diff cut.diff; expect_rc 2 "a diff cut short"
expect_err "cut.diff:"
expect_err "the diff ends inside a hunk"
printf -- '--- a/x\n+++ b/x\n@@ -1 +1 @ broken\n+%s\n' "$TOKEN" >bad.diff
ks scan "${R[@]}" --diff bad.diff; expect_rc 2 "a hunk header that cannot be read"
expect_err "bad.diff:3: not a unified diff line: a hunk header that cannot be read"
# a FIFO met while walking is still never opened
mkdir walked && mkfifo walked/pipe && echo "x = $TOKEN" >walked/f.txt
ks scan "${R[@]}" walked; expect_rc 1 "a FIFO inside a walked directory"
echo PASS
