#!/usr/bin/env bash
# t_r_a_container_after_an_archives_end: what followed an archive's end was scanned as raw bytes even when it was a
# container itself: `cat a.tar b.tar.gz` (or a zip after a tar, a .tar.xz after the tar inside a .tar.gz's stream)
# lost every key of the second archive, compressed, and the scan exited 0. It is now opened like any member, named
# "[trailing@N]" then its own members, from a file and through standard input; a chain of archives appended one
# after another is opened one level deeper each time, so the depth limit bounds it (the rest is scanned as bytes,
# and their keys, uncompressed, are still found). A zip appended to a zip (`cat a.zip b.zip`) lost the first zip's
# keys from a file, whose zip libarchive reads by the last end record (b's): read as the pipe reads it now.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, io, json, lzma, tarfile, zipfile
import os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar, zipped
first = tar([("a/.env", b"x=1\nk=KSTEST_FIRSTARCHIVE0001\n")])          # line 2, column 3
second = [("b/creds", b"one\ntwo\nkey KSTEST_SECONDARCHIVE001\n")]       # line 3, column 5
want = {}
def case(name, data, chain):
    open(name, "wb").write(data)
    want[name] = chain
case("tar-targz.tar", first + gzip.compress(tar(second), mtime=0), "[trailing@%d]!b/creds" % len(first))
case("tar-zip.tar", first + zipped(second), "[trailing@%d]!b/creds" % len(first))
zfirst = zipped([("a/.env", b"x=1\nk=KSTEST_FIRSTARCHIVE0001\n")])
case("zip-zip.zip", zfirst + zipped(second), "[trailing@%d]!b/creds" % len(zfirst))
# inside a .tar.gz's stream: the tar, then a .tar.xz
inner = first + lzma.compress(tar(second))
case("in.tar.gz", gzip.compress(inner, mtime=0), "in.tar![trailing@%d]!b/creds" % len(first))
json.dump(want, open("want.json", "w"))
# 300 tars one after another, a key in each: opened down to the depth limit, the rest bytes; every key once
chain = b"".join(tar([("m%03d" % i, b"KSTEST_CHAINEDTARS%05d\n" % i)]) for i in range(300))
open("chain.tar", "wb").write(chain)
PY
for f in tar-targz.tar tar-zip.tar zip-zip.zip in.tar.gz; do
  for how in file stdin; do
    if [ $how = file ]; then ks scan "${R[@]}" "$f"; else ks_from "$f" scan "${R[@]}" -; fi
    expect_rc 1 "$f ($how)"
    python3 - "$T/out" "$f" $how <<'PY' || fail "$f ($how)"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
chain = json.load(open("want.json"))[sys.argv[2]]
if sys.argv[3] == "stdin":
    chain = chain.replace(sys.argv[2].rsplit(".", 1)[0] + "!", "data!")
first = [x for x in f if x["secret"] == "KSTEST_FIRSTARCHIVE0001"]
second = [x for x in f if x["secret"] == "KSTEST_SECONDARCHIVE001"]
assert len(f) == 2 and len(first) == 1 and len(second) == 1, f
assert second[0]["object"] == chain and second[0]["line"] == 3 and second[0]["column"] == 5, (second, chain)
PY
  done
done
ks scan "${R[@]}" --archive-depth 1 tar-targz.tar; expect_rc 1 "depth 1: the second archive is bytes"
expect_out '"secret":"KSTEST_FIRSTARCHIVE0001"'
! grep -q KSTEST_SECONDARCHIVE001 "$T/out" || fail "depth 1: the compressed key cannot be found"
ks scan "${R[@]}" chain.tar; expect_rc 1 "300 tars"
python3 - "$T/out" <<'PY' || fail "300 tars"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted(x["secret"] for x in f)
assert keys == ["KSTEST_CHAINEDTARS%05d" % i for i in range(300)], (len(keys), keys[:3])
# the outer tar, then 7 more opened one below the other (--archive-depth 8), then the rest as bytes
opened = [x for x in f if not x["object"].endswith("]")]
assert [x["object"].count("[trailing@") for x in opened] == list(range(8)), [x["object"] for x in opened]
assert all(x["object"].count("[trailing@") == 8 for x in f if x not in opened), f[8:10]
assert f[1]["object"].startswith("[trailing@") and f[1]["object"].endswith("!m001"), f[1]
PY
echo PASS
