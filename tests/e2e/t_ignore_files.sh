#!/usr/bin/env bash
# t_ignore_files: .keysweepignore at a scan root (comments, negation, directory-only, anchoring, **, escapes);
# .gitignore files only with --gitignore, deeper ones overriding shallower ones, .keysweepignore overriding both.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir -p r/build r/sub/build.d r/docs/a/b r/x/y/fixtures r/src r/sub/deeper
cat > r/.keysweepignore <<'IGN'
# a comment, then a blank line

*.log
!keep.log
build/
/top.txt
docs/**/secret.md
**/fixtures
\#hash.txt
!reinclude.env
IGN
cat > r/.gitignore <<'IGN'
*.env
/local.txt
IGN
printf 'local.txt\n!keep.env\n' > r/sub/.gitignore
printf 'sub.txt\n' > r/sub/deeper/.gitignore
for f in a.log keep.log sub/x.log build/x.txt sub/build top.txt sub/top.txt docs/secret.md docs/a/b/secret.md \
         docs/other.md x/y/fixtures/f.txt src/app.txt '#hash.txt' .env drop.env reinclude.env sub/keep.env \
         sub/drop.env local.txt sub/local.txt sub/deeper/local.txt sub/deeper/sub.txt sub/sub.txt; do
  printf 'k = %s\n' "$TOKEN" > "r/$f"
done

# scanned ROOT WANT...: the files with findings are exactly WANT (paths relative to ROOT)
scanned() {
  local root=$1; shift
  python3 - "$T/out" "$root" "$@" <<'PY' || fail "wrong set of files scanned under $root"
import json, sys
root = sys.argv[2].rstrip("/") + "/"
got = sorted(json.loads(l)["path"][len(root):] for l in open(sys.argv[1]))
want = sorted(sys.argv[3:])
assert got == want, ("missing", sorted(set(want) - set(got)), "unexpected", sorted(set(got) - set(want)))
PY
}
BASE=(keep.log sub/build sub/top.txt docs/other.md src/app.txt local.txt sub/local.txt sub/deeper/local.txt
      sub/deeper/sub.txt sub/sub.txt)
ks scan "${R[@]}" r; expect_rc 1 ".keysweepignore"
scanned r "${BASE[@]}" .env drop.env reinclude.env sub/keep.env sub/drop.env
expect_err "excluded"
ks scan "${R[@]}" r/; expect_rc 1 "root with a trailing slash"
scanned r "${BASE[@]}" .env drop.env reinclude.env sub/keep.env sub/drop.env

# --gitignore: *.env and /local.txt from the root, local.txt and !keep.env in sub/, sub.txt in sub/deeper/;
# .keysweepignore's !reinclude.env wins over the root .gitignore
ks scan "${R[@]}" --gitignore r; expect_rc 1 "--gitignore"
scanned r keep.log sub/build sub/top.txt docs/other.md src/app.txt sub/sub.txt reinclude.env sub/keep.env

# --exclude still applies alongside
ks scan "${R[@]}" --gitignore --exclude 'src' r; expect_rc 1 "--exclude with ignore files"
scanned r keep.log sub/build sub/top.txt docs/other.md sub/sub.txt reinclude.env sub/keep.env

# the ignore file belongs to the root it sits in: scanning r/sub directly does not read r/.keysweepignore
ks scan "${R[@]}" r/sub; expect_rc 1 "a subdirectory as the root"
scanned r/sub x.log build top.txt keep.env drop.env local.txt deeper/local.txt deeper/sub.txt sub.txt

# glob details: a trailing /** (everything inside, not the directory's siblings), ? and [...] stop at '/',
# a/**/b with zero or more directories between, escaped trailing space, CRLF lines
mkdir -p g/logs/deep g/a/b g/a/x/y/b g/q
printf 'logs/**\r\nfile?.txt\n[xy]z.txt\na/**/b/*.key\nsp\\ \n' > g/.keysweepignore
for f in logs/deep/l.txt logs.txt file1.txt file12.txt xz.txt yz.txt zz.txt a/b/k.key a/x/y/b/k.key a/b/k.txt \
         q/file2.txt 'sp ' sp; do
  printf 'k = %s\n' "$TOKEN" > "g/$f"
done
ks scan "${R[@]}" g; expect_rc 1 "glob details"
scanned g logs.txt file12.txt zz.txt a/b/k.txt sp

# an unreadable ignore file makes the scan incomplete rather than silently scanning what it hides
if [ "$(id -u)" != 0 ]; then
  chmod 000 r/.keysweepignore
  ks scan "${R[@]}" r; expect_rc 2 "unreadable .keysweepignore"; expect_err ".keysweepignore"
fi
echo PASS
