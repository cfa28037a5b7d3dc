#!/usr/bin/env bash
# t_r_a_7z_inside_an_archive: a 7z inside a tar, a .tar.gz or a zip lost every member (its reader seeks to the index
# at its end, which a member cannot), said as a corrupt member, exit 2; and what followed a 7z or an lz4 stream inside
# another archive was read and never scanned. A 7z member is now held whole in memory (up to 64 MiB) and opened
# there, and both ends are known, so a note after either is scanned as "[trailing@N]" inside the member.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
write_sample_7z k.7z
{ cat k.7z; printf 'a note KSTEST_NOTEAFTERTHE7Z01\n'; } > kn.7z
printf 'x=1\nlz4 KSTEST_INSIDETHELZ4AA01\n' > l.txt
lz4 -q -c l.txt > l.txt.lz4
{ cat l.txt.lz4; printf 'after KSTEST_NOTEAFTERTHELZ41\n'; } > ln.lz4
mkdir in
python3 - "$(stat -c %s l.txt.lz4)" <<'PY'
import gzip, sys
sys.path.insert(0, __import__("os").environ["KS_SOURCE_DIR"] + "/tests/e2e")
import archives
members = [("pkg/kn.7z", open("kn.7z", "rb").read()), ("pkg/ln.lz4", open("ln.lz4", "rb").read())]
open("in/a.tar", "wb").write(archives.tar(members))
open("in/a.tar.gz", "wb").write(gzip.compress(archives.tar(members)))
open("in/a.zip", "wb").write(archives.zipped(members))
PY
ks scan "${R[@]}" in; expect_rc 1 "every archive opened whole"
! grep -qE "corrupt|stopped|error:" "$T/err" || fail "nothing to say: $(cat "$T/err")"
python3 - "$T/out" "$(stat -c %s k.7z)" "$(stat -c %s l.txt.lz4)" <<'PY' || fail "findings"
import json, sys
got = sorted((json.loads(l)["path"].split("/")[-1], json.loads(l)["object"], json.loads(l)["secret"], json.loads(l)["line"])
             for l in open(sys.argv[1]))
k7, klz = int(sys.argv[2]), int(sys.argv[3])
want = sorted((a, o, s, ln) for a in ("a.tar", "a.tar.gz", "a.zip") for o, s, ln in (
    ("pkg/kn.7z!deep/creds.txt", "KSTEST_SEVENZIPPIPED001", 3),
    ("pkg/kn.7z![trailing@%d]" % k7, "KSTEST_NOTEAFTERTHE7Z01", 1),
    ("pkg/ln.lz4!ln", "KSTEST_INSIDETHELZ4AA01", 2),
    ("pkg/ln.lz4![trailing@%d]" % klz, "KSTEST_NOTEAFTERTHELZ41", 1)))
assert got == want, "\n".join(map(str, got))
PY
# from a pipe too, the same four in the tar.gz
ks_from in/a.tar.gz scan "${R[@]}" -; expect_rc 1 "piped"
[ "$(grep -c KSTEST_ "$T/out")" = 4 ] || fail "piped: $(cat "$T/out")"
echo PASS
