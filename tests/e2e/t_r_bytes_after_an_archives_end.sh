#!/usr/bin/env bash
# t_r_bytes_after_an_archives_end: what followed a container's end in a file (a key appended to a .tar, .tar.gz,
# .tar.bz2, .zip or .a; a tar appended to a tar; text after the tar inside a .tar.gz's stream) was read past and
# never scanned: the scan exited 0. It is now scanned as trailing data, the object "[trailing@N]" (N where it begins
# in the object that holds the container), with exact lines, from a file of one chunk or many, at every -j, and
# through standard input; zero padding alone is no object.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import bz2, gzip, io, random, tarfile, zipfile, json
rng = random.Random(7)
import os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar, zipped
inner = [("srv/app.env", b"x=1\nk=KSTEST_INSIDEARCHIVE001\n")]            # line 2, column 3
note = b"appended by hand\n\nkey: KSTEST_AFTERTHEEND00001\n"             # line 3, column 6
big = [("blob.bin", bytes(rng.getrandbits(8) for _ in range(3 << 20)))] + inner
want = {}
def case(name, data, chain):
    open(name, "wb").write(data)
    want[name] = chain
t = tar(inner)
case("a.tar", t + note, "[trailing@%d]" % len(t))
case("a.tar.gz", gzip.compress(t, mtime=0) + note, "[trailing@%d]" % len(gzip.compress(t, mtime=0)))
case("a.tar.bz2", bz2.compress(t) + note, "[trailing@%d]" % len(bz2.compress(t)))
case("in.tar.gz", gzip.compress(t + note, mtime=0), "in.tar![trailing@%d]" % len(t))
z = zipped(inner)
case("a.zip", z + note, "[trailing@%d]" % len(z))
tb = tar(big)
case("big.tar", tb + note, "[trailing@%d]" % len(tb))                   # read again through its descriptor
case("big.tar.gz", gzip.compress(tb + note, mtime=0, compresslevel=1), "big.tar![trailing@%d]" % len(tb))
# a tar appended to a tar (GNU tar reads only the first without -i): opened as a tar of its own
# (t_r_a_container_after_an_archives_end)
t2 = tar([("second/creds", b"KSTEST_SECONDTARMEMB001\n")])
case("two.tar", t + t2, None)
# zips as streaming writers leave them (data descriptors, no sizes in the local headers) and with zip64 end
# records: read as they stream (stdin, inside a tar), their central directory is skipped record by record
class Unseekable(io.RawIOBase):
    def __init__(self): self.b = bytearray()
    def writable(self): return True
    def write(self, d): self.b += d; return len(d)
u = Unseekable()
with zipfile.ZipFile(u, "w", zipfile.ZIP_DEFLATED) as zz:
    for name, data in inner:
        zz.writestr(name, data)
dd = bytes(u.b)
assert dd[6] & 8, "data descriptors"
e = z.rfind(b"PK\x05\x06")
cd_size, cd_off = int.from_bytes(z[e+12:e+16], "little"), int.from_bytes(z[e+16:e+20], "little")
rec = (b"PK\x06\x06" + (44).to_bytes(8, "little") + (45).to_bytes(2, "little") * 2 + bytes(8)
       + (1).to_bytes(8, "little") * 2 + cd_size.to_bytes(8, "little") + cd_off.to_bytes(8, "little"))
loc = b"PK\x06\x07" + bytes(4) + e.to_bytes(8, "little") + (1).to_bytes(4, "little")
z64 = z[:e] + rec + loc + z[e:]
for name, data in (("dd.zip", dd), ("z64.zip", z64)):
    case(name, data + note, "[trailing@%d]" % len(data))
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t3:
        i = tarfile.TarInfo("lib/" + name); i.size = len(data + note); t3.addfile(i, io.BytesIO(data + note))
    case("in-" + name + ".tar", b.getvalue(), "lib/%s![trailing@%d]" % (name, len(data)))
json.dump(want, open("want.json", "w"))
open("padded.tar", "wb").write(t + bytes(8192))
PY

check() { # file, -j, what
  python3 - "$T/out" "$1" <<'PY' || fail "$3"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
name = sys.argv[2]
chain = json.load(open("want.json"))[name]
by = {x["secret"]: x for x in f}
assert set(by) == {"KSTEST_INSIDEARCHIVE001", "KSTEST_AFTERTHEEND00001"}, f
assert by["KSTEST_INSIDEARCHIVE001"]["object"].endswith("srv/app.env"), f
a = by["KSTEST_AFTERTHEEND00001"]
assert a["object"] == chain and (a["line"], a["column"], a["start"]) == (3, 6, 23), (a, chain)
PY
}
for f in a.tar a.tar.gz a.tar.bz2 in.tar.gz a.zip big.tar big.tar.gz dd.zip z64.zip in-dd.zip.tar in-z64.zip.tar; do
  for j in 1 3; do
    ks scan "${R[@]}" -j "$j" "$f"; expect_rc 1 "$f -j$j"
    check "$f" "$j" "$f -j$j"
  done
done
# through standard input: the same (a zip is read as it streams there: its central directory is skipped)
for f in a.tar a.tar.gz a.tar.bz2 in.tar.gz big.tar.gz a.zip dd.zip z64.zip; do
  set +e
  timeout -k 5 "$(hang_s 120)" "$KEYSWEEP" scan "${R[@]}" - <"$f" >"$T/out" 2>"$T/err"; rc=$?
  set -e
  expect_rc 1 "$f from stdin"
  sed -i 's/"path":"-"/"path":"x"/' "$T/out"
  python3 - "$T/out" "$f" <<'PY' || fail "$f from stdin"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
chain = json.load(open("want.json"))[sys.argv[2]].replace(sys.argv[2].rsplit(".", 1)[0] + "!", "data!")
a = [x for x in f if x["secret"] == "KSTEST_AFTERTHEEND00001"]
assert len(a) == 1 and a[0]["object"] == chain and a[0]["line"] == 3, (f, chain)
PY
done
ks scan "${R[@]}" two.tar; expect_rc 1 "two tars"
expect_out '"secret":"KSTEST_SECONDTARMEMB001"'
expect_out '"object":"[trailing@10240]!second/creds"'
ks scan "${R[@]}" padded.tar; expect_rc 1 "padded"
[ "$(lines "$T/out")" = 1 ] || fail "padded.tar: zeros are no object: $(cat "$T/out")"
ks scan "${R[@]}" --archive-depth 0 a.tar; expect_rc 1 "containers off: the tar is bytes"
expect_out '"secret":"KSTEST_AFTERTHEEND00001"'
echo PASS
